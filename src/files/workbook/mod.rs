//! The MSI form as an Excel workbook: one sheet laid out by section with Chinese and
//! English labels, white input cells (unlocked, with data validation and the rule as a
//! note), blue totals as live formulas, last month's figures beside them, and the dealer,
//! month, revision and form version in a protected header.
//!
//! Cells are found again by the field code in column A, so a workbook saved by other
//! software (which may drop styles or move nothing else) still reads.

mod read;
mod write;

pub use read::{read, FilledWorkbook, WorkbookError};
pub use write::{rule_text, write, ReportSheet};

/// The form's layout version: a workbook of another version is refused on upload.
pub const FORM_VERSION: &str = "MSI-2026.1";
/// The sheet's name.
pub const SHEET: &str = "MSI";
/// Header rows (0-based): where the dealer, the month, the revision and the version are.
pub const DEALER_ROW: u32 = 1;
pub const MONTH_ROW: u32 = 2;
pub const REVISION_ROW: u32 = 3;
pub const VERSION_ROW: u32 = 4;
/// Columns (0-based): code, Chinese label, English label, this month, last month, rule.
pub const CODE_COL: u16 = 0;
pub const VALUE_COL: u16 = 3;
const LAST_COL: u16 = 4;
const RULE_COL: u16 = 5;
/// The first row of the form's body.
const FIRST_ROW: u32 = 7;
