//! `importReports`: a CSV of reports uploaded (the GraphQL multipart request spec), each
//! row stored as the mutations store a report, every row's outcome answered.

use async_graphql::{Context, Enum, Object, SimpleObject, Upload};

use super::error::{to_gql, GqlResult};
use super::guards::{principal, OEM_ADMIN};
use crate::app::{AppError, ImportOptions, ImportSummary, RowResult};
use crate::domain::Month;
use crate::files::report_csv::is_workbook;
use crate::files::{RejectedRows, ReportRows};

/// Row outcomes returned one by one; past it, only the refused rows (every row is counted
/// in the summary whatever the file's size).
const MAX_ROWS_LISTED: usize = 10_000;

/// How imported rows are stored.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::app::ImportMode")]
pub enum ImportMode {
    /// As drafts (months not yet submitted).
    Draft,
    /// As first submissions.
    Submit,
}

/// What became of a row.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::app::RowOutcome")]
pub enum ImportOutcome {
    DraftSaved,
    Accepted,
    AcceptedWithWarnings,
    Amended,
    /// The same figures are stored already: nothing changed.
    Unchanged,
    /// Broken rules: nothing stored.
    Rejected,
    /// Submitted with other figures and no amendment asked (or a draft offered for a
    /// submitted month): nothing stored.
    Conflict,
}

/// A broken rule at its cell.
#[derive(SimpleObject)]
pub struct ImportViolation {
    /// The column as the file names it, with its letter: `working_days (column C)`.
    pub cell: Option<String>,
    /// snake_case field (`dealer_code`, `month`, `row` for the whole row).
    pub field: String,
    pub rule: String,
    pub message: String,
    /// A warning (the report is stored) rather than an error.
    pub warning: bool,
}

/// One row's outcome.
#[derive(SimpleObject)]
pub struct ImportRow {
    /// The row's line in the file (the header is line 1).
    pub line: i64,
    pub dealer_code: String,
    pub month: Option<Month>,
    pub outcome: ImportOutcome,
    /// The report's revision after the row (0: a draft).
    pub revision: Option<i32>,
    pub violations: Vec<ImportViolation>,
}

impl From<&RowResult> for ImportRow {
    fn from(r: &RowResult) -> Self {
        ImportRow {
            line: r.line as i64,
            dealer_code: r.dealer_code.clone(),
            month: r.month,
            outcome: r.outcome.into(),
            revision: r.revision,
            violations: r
                .violations
                .iter()
                .map(|v| ImportViolation {
                    cell: v.cell.clone(),
                    field: v.field.clone(),
                    rule: v.rule.clone(),
                    message: v.message.clone(),
                    warning: v.warning,
                })
                .collect(),
        }
    }
}

/// Rows by outcome.
#[derive(SimpleObject)]
pub struct ImportCounts {
    pub rows: i32,
    pub draft_saved: i32,
    pub accepted: i32,
    pub accepted_with_warnings: i32,
    pub amended: i32,
    pub unchanged: i32,
    pub rejected: i32,
    pub conflict: i32,
}

impl From<&ImportSummary> for ImportCounts {
    fn from(s: &ImportSummary) -> Self {
        let n = |x: usize| x.min(i32::MAX as usize) as i32;
        ImportCounts {
            rows: n(s.rows),
            draft_saved: n(s.draft_saved),
            accepted: n(s.accepted),
            accepted_with_warnings: n(s.accepted_with_warnings),
            amended: n(s.amended),
            unchanged: n(s.unchanged),
            rejected: n(s.rejected),
            conflict: n(s.conflict),
        }
    }
}

/// The outcome of an import.
#[derive(SimpleObject)]
pub struct ImportResult {
    pub counts: ImportCounts,
    /// Nothing was stored (`dryRun`).
    pub dry_run: bool,
    /// Every row's outcome, in the file's order (up to 10,000 rows; beyond, the refused
    /// rows only).
    pub rows: Vec<ImportRow>,
    /// The refused rows as CSV (the file's columns, then `line` and `reason`), to fix and
    /// import again; null when none was refused.
    pub rejected_csv: Option<String>,
}

#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Imports reports from a CSV upload (oem_admin): a header of field codes as in the
    /// schema (`working_days` or `workingDays`) with `dealer_code` and `month`, one row per
    /// dealer and month, UTF-8 (with or without BOM) or GBK / GB18030; or an Excel workbook
    /// whose first sheet is laid out the same way. Each row is stored
    /// as the report mutations store it (same checks, revisions and atomicity); submitted
    /// reports with other figures are amended only with `amendReason`, otherwise CONFLICT.
    /// Importing the same file again changes nothing (UNCHANGED).
    #[graphql(guard = "OEM_ADMIN")]
    async fn import_reports(
        &self,
        ctx: &Context<'_>,
        file: Upload,
        #[graphql(desc = "How the rows are stored (default SUBMIT)")] mode: Option<ImportMode>,
        amend_reason: Option<String>,
        #[graphql(desc = "Check every row and say what would happen; store nothing")]
        dry_run: Option<bool>,
    ) -> async_graphql::Result<ImportResult> {
        let who = principal(ctx)?;
        let (mode, dry_run) = (mode.unwrap_or(ImportMode::Submit), dry_run.unwrap_or(false));
        // Held in memory by the request already (at most the upload limit).
        let bytes = file.value(ctx)?.content;
        let options = ImportOptions {
            mode: mode.into(),
            amend_reason,
            dry_run,
        };
        let bad = |e: crate::files::CsvError| to_gql(AppError::invalid("file", e.to_string()));
        let app = super::app(ctx);
        let (summary, listed, rejected_csv) = if is_workbook(&bytes) {
            let rows = ReportRows::open_workbook(&bytes).map_err(bad)?;
            import_rows(app, who, rows, &options).await?
        } else {
            let rows = ReportRows::open(std::io::Cursor::new(&bytes[..]), None).map_err(bad)?;
            import_rows(app, who, rows, &options).await?
        };
        Ok(ImportResult {
            counts: (&summary).into(),
            dry_run,
            rows: listed,
            rejected_csv,
        })
    }
}

/// Imports `rows`: the summary, the rows listed and the refused rows as CSV.
async fn import_rows<R: std::io::Read + Send>(
    app: &std::sync::Arc<crate::app::App>,
    who: &crate::auth::Principal,
    mut rows: ReportRows<R>,
    options: &ImportOptions,
) -> async_graphql::Result<(ImportSummary, Vec<ImportRow>, Option<String>)> {
    let internal = |e: crate::files::CsvError| to_gql(AppError::Internal(e.into()));
    let mut rejected = RejectedRows::new(Vec::new(), &rows.header).map_err(internal)?;
    let mut listed = Vec::new();
    let mut write_error = None;
    let summary = app
        .import_reports(who, &mut rows, options, |row, result, _| {
            if listed.len() < MAX_ROWS_LISTED || result.outcome.is_refused() {
                listed.push(ImportRow::from(result));
            }
            if result.outcome.is_refused() {
                if let Err(e) = rejected.push(&row.cells, result.line, &result.reason()) {
                    write_error.get_or_insert(e);
                }
            }
        })
        .await
        .gql()?;
    if let Some(e) = write_error {
        return Err(internal(e));
    }
    let refused = summary.rejected + summary.conflict;
    let rejected_csv = if refused > 0 {
        Some(String::from_utf8_lossy(&rejected.finish().map_err(internal)?).into_owned())
    } else {
        None
    };
    Ok((summary, listed, rejected_csv))
}
