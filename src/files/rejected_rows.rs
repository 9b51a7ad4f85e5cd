//! The refused rows of an import handed back as CSV, to fix and import again.

use std::io::Write;

use super::report_csv::{CsvError, Header};

/// The rejected rows of an import as CSV (UTF-8 with a byte-order mark, which Excel
/// opens as UTF-8): the file's own columns, then `line` and `reason`, to fix and import
/// again.
pub struct RejectedRows<W: Write> {
    writer: csv::Writer<W>,
}

impl<W: Write> RejectedRows<W> {
    pub fn new(mut out: W, header: &Header) -> Result<RejectedRows<W>, CsvError> {
        out.write_all("\u{feff}".as_bytes())?;
        let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(out);
        let mut names = header.names.clone();
        names.push("line".into());
        names.push("reason".into());
        writer.write_record(&names)?;
        Ok(RejectedRows { writer })
    }

    pub fn push(
        &mut self,
        row: &csv::StringRecord,
        line: u64,
        reason: &str,
    ) -> Result<(), CsvError> {
        let mut cells: Vec<&str> = row.iter().collect();
        let line = line.to_string();
        cells.push(&line);
        cells.push(reason);
        self.writer.write_record(&cells)?;
        Ok(())
    }

    pub fn finish(mut self) -> Result<W, CsvError> {
        self.writer.flush()?;
        self.writer
            .into_inner()
            .map_err(|e| CsvError::Read(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::ReportRows;

    #[test]
    fn rejected_rows_keep_the_cells_and_say_why() {
        let mut r = ReportRows::open(&b"dealer_code,month\nD1,2024-05\n"[..], None).unwrap();
        let row = r.next_row().unwrap().unwrap();
        let mut out = RejectedRows::new(Vec::new(), &r.header).unwrap();
        out.push(&row.cells, row.line, "month: in the future")
            .unwrap();
        let text = String::from_utf8(out.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "\u{feff}dealer_code,month,line,reason\nD1,2024-05,2,month: in the future\n"
        );
    }
}
