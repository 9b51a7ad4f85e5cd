//! Bulk import: report rows from a file (a dealer management system's feed), each stored
//! as a draft, a first submission or — only when asked, with a reason — an amendment,
//! through the same checks and revisions as the API.
//!
//! Each report is stored atomically (one transaction, as a mutation stores it), so an
//! import stopped anywhere leaves whole reports only; importing the same file again stores
//! what is missing and leaves the rest UNCHANGED.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use futures_util::stream::{self, StreamExt};

use super::reports::HISTORY_MONTHS;
use super::{App, AppError, AppResult};
use crate::auth::{Principal, Role};
use crate::domain::kpi::ParamValue;
use crate::domain::report::check;
use crate::domain::{Completeness, Dealer, Month, Rule, Values, Violation};
use crate::files::{Header, ReportRow, ReportRows};
use crate::store::ReportRecord;

/// Rows read ahead: a feed sorted by dealer then gives several dealers to store at once.
const CHUNK: usize = 512;
/// Dealers whose reports are stored at once.
const CONCURRENCY: usize = 8;

/// How the rows are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// As drafts (months not yet submitted).
    Draft,
    /// As first submissions.
    Submit,
}

/// What an import does.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub mode: ImportMode,
    /// Amend submitted reports whose content differs, with this reason; without it such
    /// rows are conflicts, and nothing of them is stored.
    pub amend_reason: Option<String>,
    /// Check every row and say what would happen; store nothing.
    pub dry_run: bool,
}

/// What became of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOutcome {
    DraftSaved,
    Accepted,
    AcceptedWithWarnings,
    Amended,
    /// The same content is stored already.
    Unchanged,
    /// Broken rules: nothing stored.
    Rejected,
    /// The report is submitted with other content and no amendment was asked for (or a
    /// draft was offered for a submitted month): nothing stored.
    Conflict,
}

impl RowOutcome {
    pub fn code(self) -> &'static str {
        match self {
            RowOutcome::DraftSaved => "DRAFT_SAVED",
            RowOutcome::Accepted => "ACCEPTED",
            RowOutcome::AcceptedWithWarnings => "ACCEPTED_WITH_WARNINGS",
            RowOutcome::Amended => "AMENDED",
            RowOutcome::Unchanged => "UNCHANGED",
            RowOutcome::Rejected => "REJECTED",
            RowOutcome::Conflict => "CONFLICT",
        }
    }

    /// Rows to hand back, fixed, in a new import.
    pub fn is_refused(self) -> bool {
        matches!(self, RowOutcome::Rejected | RowOutcome::Conflict)
    }
}

/// A broken rule at its cell.
#[derive(Debug, Clone)]
pub struct CellViolation {
    /// The column as the file names it, and its letter: `working_days (column C)`.
    pub cell: Option<String>,
    pub field: String,
    pub rule: String,
    pub message: String,
    /// A warning (the report is stored) rather than an error.
    pub warning: bool,
}

impl CellViolation {
    fn of(v: &Violation, header: &Header, warning: bool) -> CellViolation {
        CellViolation {
            cell: header.cell_of(&v.field),
            field: v.field.clone(),
            rule: v.rule.code().to_string(),
            message: v.message.clone(),
            warning,
        }
    }

    /// `working_days (column C): must be at most 31 [RANGE]`.
    pub fn describe(&self) -> String {
        let at = self.cell.as_deref().unwrap_or(&self.field);
        format!("{at}: {} [{}]", self.message, self.rule)
    }
}

/// The outcome of one row.
#[derive(Debug, Clone)]
pub struct RowResult {
    /// Its line in the file (the header is line 1).
    pub line: u64,
    pub dealer_code: String,
    pub month: Option<Month>,
    pub outcome: RowOutcome,
    /// The stored revision (0 for a draft) after the row.
    pub revision: Option<i32>,
    /// Errors of a rejected row, warnings of an accepted one, or why it conflicts.
    pub violations: Vec<CellViolation>,
}

impl RowResult {
    /// The violations in one line, for the `reason` column of the rejected rows.
    pub fn reason(&self) -> String {
        self.violations
            .iter()
            .filter(|v| !v.warning)
            .map(CellViolation::describe)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// What the rows of a chunk share, read once per chunk.
struct Shared<'a> {
    header: &'a Header,
    params: &'a [ParamValue],
    dealers: &'a HashMap<String, Dealer>,
    /// Submitted values by dealer and month.
    history: &'a HashMap<String, BTreeMap<Month, Values>>,
}

/// Rows by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub rows: usize,
    pub draft_saved: usize,
    pub accepted: usize,
    pub accepted_with_warnings: usize,
    pub amended: usize,
    pub unchanged: usize,
    pub rejected: usize,
    pub conflict: usize,
}

impl ImportSummary {
    fn count(&mut self, outcome: RowOutcome) {
        self.rows += 1;
        *match outcome {
            RowOutcome::DraftSaved => &mut self.draft_saved,
            RowOutcome::Accepted => &mut self.accepted,
            RowOutcome::AcceptedWithWarnings => &mut self.accepted_with_warnings,
            RowOutcome::Amended => &mut self.amended,
            RowOutcome::Unchanged => &mut self.unchanged,
            RowOutcome::Rejected => &mut self.rejected,
            RowOutcome::Conflict => &mut self.conflict,
        } += 1;
    }
}

fn refused(row: &ReportRow, outcome: RowOutcome, violations: Vec<CellViolation>) -> RowResult {
    RowResult {
        line: row.line,
        dealer_code: row.dealer_code.clone(),
        month: row.month,
        outcome,
        revision: None,
        violations,
    }
}

fn stored(row: &ReportRow, outcome: RowOutcome, record: Option<&ReportRecord>) -> RowResult {
    RowResult {
        line: row.line,
        dealer_code: row.dealer_code.clone(),
        month: row.month,
        outcome,
        revision: record.map(|r| r.revision),
        violations: Vec::new(),
    }
}

impl App {
    /// Imports every row of `rows` as `who` (the OEM), in the file's order of outcomes;
    /// `on_row` hears of each row as it is done (progress, outcome files).
    pub async fn import_reports<R: Read>(
        &self,
        who: &Principal,
        rows: &mut ReportRows<R>,
        options: &ImportOptions,
        mut on_row: impl FnMut(&ReportRow, &RowResult, u64),
    ) -> AppResult<ImportSummary> {
        if who.role != Role::OemAdmin {
            return Err(AppError::Forbidden(
                "importing reports is for the OEM (oem_admin)".into(),
            ));
        }
        if let Some(reason) = &options.amend_reason {
            crate::domain::text::check_text("reason", reason.trim(), 1000)
                .map_err(|m| AppError::invalid("reason", m))?;
        }
        let header = rows.header.clone();
        let mut summary = ImportSummary::default();
        loop {
            let mut chunk = Vec::with_capacity(CHUNK);
            while chunk.len() < CHUNK {
                match rows.next_row() {
                    Ok(Some(r)) => chunk.push(r),
                    Ok(None) => break,
                    Err(e) => {
                        return Err(AppError::invalid(
                            "file",
                            format!("{e} (after {} rows)", summary.rows),
                        ))
                    }
                }
            }
            if chunk.is_empty() {
                return Ok(summary);
            }
            // What every row of the chunk reads alike, read once: the KPI cache brought up to
            // date, the OEM's parameters, the dealers named.
            self.refresh_kpis().await?;
            let params = self.store.params().await?;
            let mut codes: Vec<String> = chunk.iter().map(|r| r.dealer_code.clone()).collect();
            codes.sort();
            codes.dedup();
            let dealers: HashMap<String, Dealer> = self
                .store
                .dealers_by_code(&codes)
                .await?
                .into_iter()
                .map(|d| (d.code.clone(), d))
                .collect();
            // The dealers' submitted months that the rows' plausibility checks look back on.
            let months: Vec<Month> = chunk.iter().filter_map(|r| r.month).collect();
            let mut history: HashMap<String, BTreeMap<Month, Values>> = HashMap::new();
            if let (Some(&lo), Some(&hi)) = (months.iter().min(), months.iter().max()) {
                for (code, m, v) in self
                    .store
                    .submitted_values_of(&codes, lo.plus(-HISTORY_MONTHS), hi.plus(-1))
                    .await?
                {
                    history.entry(code).or_default().insert(m, v);
                }
            }
            let shared = Shared {
                header: &header,
                params: &params,
                dealers: &dealers,
                history: &history,
            };
            let shared = &shared;
            // One dealer's rows one after another (a report's facts reach into the
            // dealer's later months, so two of its months stored at once could lock each
            // other out), different dealers at once.
            let mut by_dealer: HashMap<&str, Vec<&ReportRow>> = HashMap::new();
            for r in &chunk {
                by_dealer.entry(&r.dealer_code).or_default().push(r);
            }
            let mut pending = Vec::with_capacity(by_dealer.len());
            for rows in by_dealer.into_values() {
                pending.push(async move {
                    // Its months stored by the rows before count in the next rows' checks.
                    let mut history = rows
                        .first()
                        .and_then(|r| shared.history.get(&r.dealer_code))
                        .cloned()
                        .unwrap_or_default();
                    let mut out = Vec::with_capacity(rows.len());
                    for r in rows {
                        out.push(
                            self.import_row(who, r, shared, &mut history, options)
                                .await?,
                        );
                    }
                    AppResult::Ok(out)
                });
            }
            let mut results: Vec<RowResult> = stream::iter(pending)
                .buffer_unordered(CONCURRENCY)
                .collect::<Vec<AppResult<Vec<RowResult>>>>()
                .await
                .into_iter()
                .collect::<AppResult<Vec<Vec<RowResult>>>>()?
                .into_iter()
                .flatten()
                .collect();
            results.sort_by_key(|r| r.line);
            let position = rows.position();
            for (row, result) in chunk.iter().zip(&results) {
                summary.count(result.outcome);
                on_row(row, result, position);
            }
        }
    }

    async fn import_row(
        &self,
        who: &Principal,
        row: &ReportRow,
        shared: &Shared<'_>,
        history: &mut BTreeMap<Month, Values>,
        options: &ImportOptions,
    ) -> AppResult<RowResult> {
        let header = shared.header;
        let errors = |vs: &[Violation]| -> Vec<CellViolation> {
            vs.iter()
                .map(|v| CellViolation::of(v, header, false))
                .collect()
        };
        let Some(month) = row.month else {
            return Ok(refused(row, RowOutcome::Rejected, errors(&row.errors)));
        };
        if !row.errors.is_empty() {
            // Every error of the row at once: the rules of the cells that could be read
            // too (an unreadable cell is not also reported missing).
            let completeness = match options.mode {
                ImportMode::Draft => Completeness::Draft,
                ImportMode::Submit => Completeness::Complete,
            };
            let mut all = row.errors.clone();
            all.extend(
                check(&row.raw, month, completeness, &[])
                    .errors
                    .into_iter()
                    .filter(|v| {
                        !(v.rule == Rule::Required && row.errors.iter().any(|e| e.field == v.field))
                    }),
            );
            return Ok(refused(row, RowOutcome::Rejected, errors(&all)));
        }
        let Some(dealer) = shared.dealers.get(&row.dealer_code) else {
            let v = Violation::of_report(
                "dealer_code",
                Rule::UnknownDealer,
                format!(
                    "no dealer {} in the network",
                    crate::domain::text::excerpt(&row.dealer_code)
                ),
                row.dealer_code.clone(),
            );
            return Ok(refused(row, RowOutcome::Rejected, errors(&[v])));
        };
        let current = self.store.report(&dealer.code, month).await?;
        let submitted = current.as_ref().filter(|c| c.revision > 0);
        let conflict = |message: String| {
            let v = CellViolation {
                cell: None,
                field: "row".into(),
                rule: "CONFLICT".into(),
                message,
                warning: false,
            };
            Ok(refused(row, RowOutcome::Conflict, vec![v]))
        };
        if options.mode == ImportMode::Draft {
            let mut checked = check(&row.raw, month, Completeness::Draft, &[]);
            let mut errs = self.month_violations(dealer, month);
            errs.append(&mut checked.errors);
            if !errs.is_empty() {
                return Ok(refused(row, RowOutcome::Rejected, errors(&errs)));
            }
            if let Some(c) = submitted {
                return conflict(format!(
                    "the report of {} for {month} is submitted (revision {}): a draft cannot replace it",
                    dealer.code, c.revision
                ));
            }
            if current.as_ref().is_some_and(|c| c.values == checked.values) {
                return Ok(stored(row, RowOutcome::Unchanged, current.as_ref()));
            }
            if options.dry_run {
                return Ok(stored(row, RowOutcome::DraftSaved, None));
            }
            let record = self
                .store
                .save_draft(
                    &dealer.code,
                    month,
                    &checked.values,
                    &who.sub,
                    self.now_ms(),
                )
                .await?;
            return Ok(stored(row, RowOutcome::DraftSaved, Some(&record)));
        }
        let before: Vec<Values> = history
            .range(month.plus(-HISTORY_MONTHS)..month)
            .map(|(_, v)| v.clone())
            .collect();
        let checked = self
            .checked_with(dealer, month, &row.raw, shared.params, &before)
            .await?;
        if !checked.errors.is_empty() {
            return Ok(refused(row, RowOutcome::Rejected, errors(&checked.errors)));
        }
        let warnings: Vec<CellViolation> = checked
            .warnings
            .iter()
            .map(|v| CellViolation::of(v, header, true))
            .collect();
        let (expected, reason) = match submitted {
            Some(c) if c.values == checked.values => {
                return Ok(stored(row, RowOutcome::Unchanged, Some(c)));
            }
            Some(c) => match &options.amend_reason {
                Some(reason) => (c.revision, Some(reason.trim().to_string())),
                None => {
                    return conflict(format!(
                        "the report of {} for {month} is submitted (revision {}) with other figures: import with an amendment reason to amend it",
                        dealer.code, c.revision
                    ))
                }
            },
            None => (current.as_ref().map_or(0, |c| c.revision), None),
        };
        let outcome = match (&reason, checked.warnings.is_empty()) {
            (Some(_), _) => RowOutcome::Amended,
            (None, true) => RowOutcome::Accepted,
            (None, false) => RowOutcome::AcceptedWithWarnings,
        };
        if options.dry_run {
            let mut r = stored(row, outcome, None);
            r.violations = warnings;
            return Ok(r);
        }
        let values = checked.values.clone();
        let result = self
            .store_revision(
                who,
                &dealer.code,
                month,
                expected,
                expected,
                checked,
                reason,
            )
            .await;
        let done = match result {
            Ok(done) => done,
            Err(AppError::Conflict { message, .. }) => return conflict(message),
            Err(e) => return Err(e),
        };
        let outcome = match done.outcome {
            super::Outcome::Unchanged => RowOutcome::Unchanged,
            _ => outcome,
        };
        history.insert(month, values);
        let mut r = stored(row, outcome, done.record.as_ref());
        r.violations = warnings;
        Ok(r)
    }
}
