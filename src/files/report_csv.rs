//! Reports as CSV rows, one per dealer and month (a feed of a dealer management system,
//! or a sheet saved as CSV): the header names the fields by their codes as in the schema
//! (`working_days` or `workingDays`), plus `dealer_code` and `month` (and `dealer_name`,
//! which is not read).
//!
//! Read as a stream, whatever the file's size. UTF-8 with or without a byte-order mark,
//! UTF-16 with one, and GB18030 (of which GBK is a part: what Chinese Excel writes) when
//! the start of the file is not UTF-8.

use std::io::{self, BufRead, BufReader, Read};

use encoding_rs::{Encoding, GB18030, UTF_8};
use encoding_rs_io::{DecodeReaderBytes, DecodeReaderBytesBuilder};

use super::cells;
use crate::domain::{Field, Month, RawReport, Rule, Violation};

/// Bytes looked at to tell UTF-8 from GB18030.
const SNIFF_BYTES: usize = 64 * 1024;
/// Most cells in a row (the form has under a hundred fields).
const MAX_COLUMNS: usize = 512;

/// A file that cannot be read as report rows at all.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("the file has no header row")]
    NoHeader,
    #[error("column {column} (`{name}`): {problem}")]
    Header {
        column: String,
        name: String,
        problem: String,
    },
    #[error("the header has no `{0}` column")]
    MissingColumn(&'static str),
    #[error("the header has {0} columns; at most {MAX_COLUMNS} are read")]
    TooManyColumns(usize),
    #[error("reading the file: {0}")]
    Read(String),
}

impl From<csv::Error> for CsvError {
    fn from(e: csv::Error) -> Self {
        CsvError::Read(e.to_string())
    }
}

impl From<io::Error> for CsvError {
    fn from(e: io::Error) -> Self {
        CsvError::Read(e.to_string())
    }
}

/// The spreadsheet name of the `i`-th column (0 → A, 26 → AA).
pub fn column_letters(i: usize) -> String {
    let mut n = i + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// `workingDays` → `working_days`.
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// What each column of the file holds.
#[derive(Debug, Clone)]
pub struct Header {
    /// The names as written.
    pub names: Vec<String>,
    dealer: usize,
    month: usize,
    fields: Vec<(usize, Field)>,
}

impl Header {
    fn parse(names: Vec<String>) -> Result<Header, CsvError> {
        if names.len() > MAX_COLUMNS {
            return Err(CsvError::TooManyColumns(names.len()));
        }
        let (mut dealer, mut month) = (None, None);
        let mut fields: Vec<(usize, Field)> = Vec::new();
        for (i, raw) in names.iter().enumerate() {
            let name = raw.trim().trim_start_matches('\u{feff}');
            let bad = |problem: String| CsvError::Header {
                column: column_letters(i),
                name: crate::domain::text::excerpt(name),
                problem,
            };
            let code = snake(name);
            let slot = match code.as_str() {
                // What a feed often carries beside the code, for people: not read.
                "dealer_name" => continue,
                "dealer_code" => &mut dealer,
                "month" => &mut month,
                _ => {
                    let Some(f) = Field::from_name(&code) else {
                        return Err(bad(
                            "not a field of the report: use the field codes of the schema (`working_days` or `workingDays`), `dealer_code` and `month`".into(),
                        ));
                    };
                    if fields.iter().any(|(_, g)| *g == f) {
                        return Err(bad("the field is named twice".into()));
                    }
                    fields.push((i, f));
                    continue;
                }
            };
            if slot.is_some() {
                return Err(bad("named twice".into()));
            }
            *slot = Some(i);
        }
        Ok(Header {
            dealer: dealer.ok_or(CsvError::MissingColumn("dealer_code"))?,
            month: month.ok_or(CsvError::MissingColumn("month"))?,
            fields,
            names,
        })
    }

    fn column_of(&self, field: &str) -> Option<usize> {
        match field {
            "dealer_code" => Some(self.dealer),
            "month" => Some(self.month),
            _ => self
                .fields
                .iter()
                .find(|(_, f)| f.name() == field)
                .map(|(i, _)| *i),
        }
    }

    /// Where a violation of `field` stands: `working_days (column C)`.
    pub fn cell_of(&self, field: &str) -> Option<String> {
        self.column_of(field)
            .map(|i| format!("{} (column {})", self.names[i].trim(), column_letters(i)))
    }
}

/// One data row: its line in the file, what it names, and what could not be read.
#[derive(Debug, Clone)]
pub struct ReportRow {
    /// The row's line in the file (the header is line 1).
    pub line: u64,
    pub dealer_code: String,
    pub month: Option<Month>,
    pub raw: RawReport,
    /// Cells that could not be read, by field.
    pub errors: Vec<Violation>,
    /// The cells as written, to hand rejected rows back.
    pub cells: csv::StringRecord,
}

/// Where rows come from.
enum Source<R: Read> {
    Csv(Box<csv::Reader<DecodeReaderBytes<BufReader<R>, Vec<u8>>>>),
    /// A workbook's first sheet, as text, with each row's number in the sheet.
    Sheet {
        rows: std::vec::IntoIter<(u64, csv::StringRecord)>,
        done: u64,
    },
}

/// Rows of a report CSV (or of a workbook's first sheet laid out the same way), read one
/// at a time.
pub struct ReportRows<R: Read> {
    source: Source<R>,
    pub header: Header,
    pub encoding: &'static Encoding,
    record: csv::StringRecord,
    line: u64,
}

/// The encoding of a file that starts with `head`: a byte-order mark says it; otherwise
/// UTF-8 if the start is UTF-8 (cut anywhere), else GB18030.
pub fn sniff(head: &[u8]) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(head) {
        return enc;
    }
    match std::str::from_utf8(head) {
        Ok(_) => UTF_8,
        Err(e) if e.error_len().is_none() => UTF_8,
        Err(_) => GB18030,
    }
}

impl<R: Read> ReportRows<R> {
    /// Opens `input`, detecting its encoding unless `encoding` is given.
    pub fn open(input: R, encoding: Option<&'static Encoding>) -> Result<ReportRows<R>, CsvError> {
        let mut buffered = BufReader::with_capacity(SNIFF_BYTES, input);
        let encoding = match encoding {
            Some(e) => e,
            None => sniff(buffered.fill_buf()?),
        };
        let decoded = DecodeReaderBytesBuilder::new()
            .encoding(Some(encoding))
            .bom_override(true)
            .build(buffered);
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(decoded);
        let names: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
        if names.iter().all(|n| n.trim().is_empty()) {
            return Err(CsvError::NoHeader);
        }
        let header = Header::parse(names)?;
        Ok(ReportRows {
            source: Source::Csv(Box::new(reader)),
            header,
            encoding,
            record: csv::StringRecord::new(),
            line: 0,
        })
    }

    /// Rows of a workbook (read whole); `None` for a CSV, read as it goes.
    pub fn len_hint(&self) -> Option<u64> {
        match &self.source {
            Source::Csv(_) => None,
            Source::Sheet { rows, done } => Some(*done + rows.len() as u64),
        }
    }

    /// Bytes of decoded text read so far, or rows of a workbook (for progress).
    pub fn position(&self) -> u64 {
        match &self.source {
            Source::Csv(reader) => reader.position().byte(),
            Source::Sheet { done, .. } => *done,
        }
    }

    /// The next row, or `None` at the end.
    pub fn next_row(&mut self) -> Result<Option<ReportRow>, CsvError> {
        loop {
            match &mut self.source {
                Source::Csv(reader) => {
                    if !reader.read_record(&mut self.record)? {
                        return Ok(None);
                    }
                    self.line = self.record.position().map_or(0, |p| p.line());
                }
                Source::Sheet { rows, done } => {
                    let Some((line, record)) = rows.next() else {
                        return Ok(None);
                    };
                    *done += 1;
                    self.line = line;
                    self.record = record;
                }
            }
            // Blank lines (a spreadsheet's trailing rows) are no rows.
            if self.record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            return Ok(Some(self.row()));
        }
    }

    fn row(&self) -> ReportRow {
        let h = &self.header;
        let r = &self.record;
        let line = self.line;
        let cell = |i: usize| r.get(i).unwrap_or("");
        let mut errors = Vec::new();
        let dealer_code = cell(h.dealer).trim().to_string();
        if dealer_code.is_empty() {
            errors.push(Violation::of_report(
                "dealer_code",
                Rule::Required,
                "the dealer code is empty".into(),
                String::new(),
            ));
        }
        let month_text = cell(h.month).trim();
        let month = match month_text.parse::<Month>() {
            Ok(m) => Some(m),
            Err(_) => {
                errors.push(Violation::of_report(
                    "month",
                    Rule::Format,
                    format!(
                        "`{}` is not a month: write YYYY-MM, e.g. 2026-10",
                        crate::domain::text::excerpt(month_text)
                    ),
                    month_text.to_string(),
                ));
                None
            }
        };
        if r.len() > h.names.len() {
            errors.push(Violation::of_report(
                "row",
                Rule::Format,
                format!(
                    "the row has {} cells, the header {}: a cell holds a stray separator",
                    r.len(),
                    h.names.len()
                ),
                String::new(),
            ));
        }
        let mut raw = RawReport::new();
        for &(i, field) in &h.fields {
            match cells::number(cell(i)) {
                Ok(Some(v)) => {
                    raw.insert(field, v);
                }
                Ok(None) => {}
                Err(message) => errors.push(Violation::of_report(
                    field.name(),
                    Rule::Format,
                    message,
                    crate::domain::text::excerpt(cell(i)),
                )),
            }
        }
        ReportRow {
            line,
            dealer_code,
            month,
            raw,
            errors,
            cells: r.clone(),
        }
    }
}

/// Whether `bytes` start as a workbook (a zip archive) rather than as text.
pub fn is_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

impl ReportRows<std::io::Empty> {
    /// The first sheet of a workbook laid out as the CSV is: a header row of field codes
    /// with `dealer_code` and `month`, then one row per dealer and month. (A workbook is
    /// read whole: its rows are compressed XML.)
    pub fn open_workbook(bytes: &[u8]) -> Result<ReportRows<std::io::Empty>, CsvError> {
        super::archive::check(bytes).map_err(CsvError::Read)?;
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(
            bytes,
        ))
        .map_err(|e: calamine::XlsxError| {
            CsvError::Read(format!("not an Excel workbook (.xlsx): {e}"))
        })?;
        let first = book
            .sheet_names()
            .first()
            .cloned()
            .ok_or(CsvError::NoHeader)?;
        let range = book
            .worksheet_range(&first)
            .map_err(|e| CsvError::Read(e.to_string()))?;
        let top = range.start().map_or(0, |(r, _)| u64::from(r));
        let mut rows = range.rows().enumerate().map(|(i, cells)| {
            let record: csv::StringRecord = cells.iter().map(cells::workbook_text).collect();
            (top + i as u64 + 1, record)
        });
        let names: Vec<String> = match rows.next() {
            Some((_, header)) => header.iter().map(str::to_string).collect(),
            None => return Err(CsvError::NoHeader),
        };
        if names.iter().all(|n| n.trim().is_empty()) {
            return Err(CsvError::NoHeader);
        }
        let header = Header::parse(names)?;
        let rows: Vec<(u64, csv::StringRecord)> = rows.collect();
        Ok(ReportRows {
            source: Source::Sheet {
                rows: rows.into_iter(),
                done: 0,
            },
            header,
            encoding: UTF_8,
            record: csv::StringRecord::new(),
            line: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(bytes: &[u8]) -> (Vec<ReportRow>, &'static Encoding) {
        let mut r = ReportRows::open(bytes, None).unwrap();
        let mut out = Vec::new();
        while let Some(row) = r.next_row().unwrap() {
            out.push(row);
        }
        (out, r.encoding)
    }

    #[test]
    fn columns_are_named_like_spreadsheets() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn utf8_with_and_without_bom_and_camel_case_headers() {
        let text = "dealer_code,month,workingDays,mechanics\nD1,2024-05,22,\"1,234\"\n\n";
        for bytes in [
            text.as_bytes().to_vec(),
            [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        ] {
            let (rows, enc) = rows(&bytes);
            assert_eq!(enc, UTF_8);
            assert_eq!(rows.len(), 1);
            let r = &rows[0];
            assert_eq!((r.line, r.dealer_code.as_str()), (2, "D1"));
            assert_eq!(r.month, "2024-05".parse().ok());
            assert_eq!(
                r.raw[&Field::from_name("working_days").unwrap()].to_string(),
                "22"
            );
            assert_eq!(
                r.raw[&Field::from_name("mechanics").unwrap()].to_string(),
                "1234"
            );
            assert!(r.errors.is_empty());
        }
    }

    #[test]
    fn gbk_is_detected_and_decoded() {
        let text = "dealer_code,month,working_days\n经销商1,2024-05,２２\n";
        let (bytes, _, _) = GB18030.encode(text);
        let (rows, enc) = rows(&bytes);
        assert_eq!(enc, GB18030);
        assert_eq!(rows[0].dealer_code, "经销商1");
        assert_eq!(rows[0].raw.values().next().unwrap().to_string(), "22");
    }

    #[test]
    fn unreadable_cells_are_named_and_the_rest_read() {
        let (rows, _) = rows(b"dealer_code,month,working_days,mechanics\n,2024-13,x,5,extra\n");
        let r = &rows[0];
        let fields: Vec<(&str, &str)> = r
            .errors
            .iter()
            .map(|v| (v.field.as_str(), v.rule.code()))
            .collect();
        assert_eq!(
            fields,
            [
                ("dealer_code", "REQUIRED"),
                ("month", "FORMAT"),
                ("row", "FORMAT"),
                ("working_days", "FORMAT")
            ]
        );
        assert_eq!(r.raw.len(), 1);
    }

    #[test]
    fn bad_headers_are_refused_with_the_column() {
        let err = |t: &str| {
            ReportRows::open(t.as_bytes(), None)
                .err()
                .unwrap()
                .to_string()
        };
        assert!(err("dealer_code,month,workng_days\n").contains("column C (`workng_days`)"));
        assert!(err("dealer_code,month,mechanics,mechanics\n").contains("named twice"));
        assert!(err("month,mechanics\n").contains("no `dealer_code` column"));
        assert!(err("").contains("no header"));
    }
}
