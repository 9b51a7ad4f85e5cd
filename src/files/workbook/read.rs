//! Reading a filled report workbook back: found by the field codes of column A, so a
//! workbook saved by other software (which may drop styles and notes) reads as well.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};

use super::{CODE_COL, DEALER_ROW, FORM_VERSION, MONTH_ROW, SHEET, VALUE_COL, VERSION_ROW};
use crate::domain::{Field, Month, RawReport, Rule, Violation};
use crate::files::cells;
use crate::files::report_csv::column_letters;

/// A workbook that cannot be read as the MSI form at all.
#[derive(Debug, thiserror::Error)]
pub enum WorkbookError {
    #[error("the file is not an Excel workbook (.xlsx): {0}")]
    NotAWorkbook(String),
    /// Not a zip archive, or one that unpacks to more than is read.
    #[error("{0}")]
    Archive(String),
    #[error("the workbook has no sheet `{SHEET}`: it is not the MSI form (download it from /reports/...)")]
    NoSheet,
    #[error("the workbook's form version is `{0}`; this service reads `{FORM_VERSION}`: download the form again")]
    Version(String),
    #[error("cell {cell}: {problem}")]
    Header { cell: String, problem: String },
}

/// What a filled workbook holds.
#[derive(Debug, Clone)]
pub struct FilledWorkbook {
    pub dealer_code: String,
    pub month: Month,
    pub raw: RawReport,
    /// Cells that could not be read, by field.
    pub errors: Vec<Violation>,
    /// Each field's cell, `MSI!D23`.
    pub cells: HashMap<String, String>,
}

fn cell_ref(row: u32, col: u16) -> String {
    format!("{SHEET}!{}{}", column_letters(col as usize), row + 1)
}

fn text(d: Option<&Data>) -> String {
    d.map(|d| cells::workbook_text(d).trim().to_string())
        .unwrap_or_default()
}

/// Reads a filled MSI workbook.
pub fn read(bytes: &[u8]) -> Result<FilledWorkbook, WorkbookError> {
    crate::files::archive::check(bytes).map_err(WorkbookError::Archive)?;
    let mut book: Xlsx<_> =
        open_workbook_from_rs(Cursor::new(bytes)).map_err(|e: calamine::XlsxError| {
            WorkbookError::NotAWorkbook(crate::domain::text::excerpt(&e.to_string()))
        })?;
    let sheet = book
        .worksheet_range(SHEET)
        .map_err(|_| WorkbookError::NoSheet)?;
    let at = |row: u32, col: u16| sheet.get_value((row, u32::from(col)));
    let version = text(at(VERSION_ROW, 1));
    if version != FORM_VERSION {
        return Err(WorkbookError::Version(crate::domain::text::excerpt(
            &version,
        )));
    }
    let dealer_code = text(at(DEALER_ROW, 1));
    if dealer_code.is_empty() {
        return Err(WorkbookError::Header {
            cell: cell_ref(DEALER_ROW, 1),
            problem: "the dealer code is empty".into(),
        });
    }
    let month_text = text(at(MONTH_ROW, 1));
    let month = month_text
        .parse::<Month>()
        .map_err(|_| WorkbookError::Header {
            cell: cell_ref(MONTH_ROW, 1),
            problem: format!(
                "`{}` is not a month (YYYY-MM)",
                crate::domain::text::excerpt(&month_text)
            ),
        })?;
    let mut raw = RawReport::new();
    let mut errors = Vec::new();
    let mut cells_of = HashMap::new();
    let last = sheet.end().map_or(0, |(r, _)| r);
    for row in 0..=last {
        let Some(field) = Field::from_name(&text(at(row, CODE_COL))) else {
            continue;
        };
        let cell = cell_ref(row, VALUE_COL);
        if cells_of.contains_key(field.name()) {
            continue;
        }
        match at(row, VALUE_COL).map_or(Ok(None), cells::workbook_number) {
            Ok(Some(v)) => {
                raw.insert(field, v);
            }
            Ok(None) => {}
            Err(message) => errors.push(Violation::of_report(
                field.name(),
                Rule::Format,
                format!("{cell}: {message}"),
                text(at(row, VALUE_COL)),
            )),
        }
        cells_of.insert(field.name().to_string(), cell);
    }
    cells_of.insert("dealer_code".into(), cell_ref(DEALER_ROW, 1));
    cells_of.insert("month".into(), cell_ref(MONTH_ROW, 1));
    Ok(FilledWorkbook {
        dealer_code,
        month,
        raw,
        errors,
        cells: cells_of,
    })
}
