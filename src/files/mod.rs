//! Files in and out: report rows as CSV (bulk imports), KPI facts as CSV (bulk pulls), the
//! report as a workbook, the meeting pack, with
//! the lenient reading of a cell's number that every file format shares. Formats only:
//! what a row does is the app's.

pub mod archive;
pub mod cells;
pub mod fact_csv;
pub mod meeting_pack;
pub mod rejected_rows;
pub mod report_csv;
pub mod workbook;

pub use rejected_rows::RejectedRows;
pub use report_csv::{CsvError, Header, ReportRow, ReportRows};
