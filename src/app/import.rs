//! Bulk import: report rows from a file (a dealer management system's feed), each stored
//! as a draft, a first submission or — only when asked, with a reason — an amendment,
//! through the same checks and revisions as the API.
//!
//! Each report is stored atomically (one transaction, as a mutation stores it), so an
//! import stopped anywhere leaves whole reports only; importing the same file again stores
//! what is missing and leaves the rest UNCHANGED.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::Arc;

use futures_util::stream::{self, StreamExt};

use super::reports::HISTORY_MONTHS;
use super::{App, AppError, AppResult};
use crate::auth::{Principal, Role};
use crate::domain::kpi::ParamValue;
use crate::domain::report::check;
use crate::domain::{Completeness, Dealer, Month, Rule, Values, Violation};
use crate::files::{Header, ReportRow, ReportRows};
use crate::store::{NewRevision, ReportRecord, SeenReports, StoreError};

/// Rows read ahead: a feed sorted by dealer then gives several dealers to store at once.
const CHUNK: usize = 512;
/// Dealers whose rows are decided at once.
const CONCURRENCY: usize = 8;
/// Transactions a chunk's revisions are stored in (at once, where the database allows).
const WRITERS: usize = 4;

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
        self: &Arc<Self>,
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
        let mut emit = |chunk: &[ReportRow], mut results: Vec<RowResult>, position: u64| {
            results.sort_by_key(|r| r.line);
            for (row, result) in chunk.iter().zip(&results) {
                summary.count(result.outcome);
                on_row(row, result, position);
            }
        };
        // One chunk is stored while the next is read and decided (the database's threads
        // and the service's run at once), unless they share a dealer: its rows then wait for
        // the earlier ones to be stored, as they would one after another.
        let mut storing: Option<Storing> = None;
        loop {
            let mut chunk = Vec::with_capacity(CHUNK);
            let mut failed = None;
            while chunk.len() < CHUNK {
                match rows.next_row() {
                    Ok(Some(r)) => chunk.push(r),
                    Ok(None) => break,
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            let position = rows.position();
            let overlaps = storing
                .as_ref()
                .is_some_and(|s| chunk.iter().any(|r| s.dealers.contains(&r.dealer_code)));
            if failed.is_some() || chunk.is_empty() || overlaps {
                if let Some(s) = storing.take() {
                    let (chunk, results, position) = s.finish().await?;
                    emit(&chunk, results, position);
                }
            }
            if let Some(e) = failed {
                return Err(AppError::invalid(
                    "file",
                    format!("{e} (after {} rows)", summary.rows),
                ));
            }
            if chunk.is_empty() {
                return Ok(summary);
            }
            let decided = match storing.take() {
                Some(s) => {
                    let (decided, stored) = futures_util::future::join(
                        self.decide_chunk(who, &chunk, &header, options),
                        s.finish(),
                    )
                    .await;
                    let (done, results, at) = stored?;
                    emit(&done, results, at);
                    decided
                }
                None => self.decide_chunk(who, &chunk, &header, options).await,
            };
            let (steps, seen) = decided?;
            let dealers = chunk.iter().map(|r| r.dealer_code.clone()).collect();
            // A task of its own, so that storing and deciding run on both of the runtime's
            // threads; if the import is dropped, the chunk is still stored whole.
            let app = self.clone();
            storing = Some(Storing {
                chunk,
                position,
                dealers,
                task: tokio::spawn(async move { app.store_steps(steps, &seen).await }),
            });
        }
    }

    /// Reads what a chunk's rows need, once for all of them, and decides each row: drafts
    /// are stored at once, revisions are handed back to be stored together.
    async fn decide_chunk(
        &self,
        who: &Principal,
        chunk: &[ReportRow],
        header: &Header,
        options: &ImportOptions,
    ) -> AppResult<(Vec<Step>, SeenReports)> {
        let started = std::time::Instant::now();
        // The KPI cache brought up to date, the OEM's parameters, the dealers named.
        self.refresh_kpis().await?;
        let params = self.cache.params(self.store.as_ref()).await?;
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
        // The dealers' submitted months that the rows' plausibility checks look back on,
        // and the reports (drafts too) of the months the rows name.
        let mut months: Vec<Month> = chunk.iter().filter_map(|r| r.month).collect();
        months.sort();
        months.dedup();
        let mut states: HashMap<String, DealerState> = HashMap::new();
        if let (Some(&lo), Some(&hi)) = (months.first(), months.last()) {
            for r in self
                .store
                .reports_in(&codes, lo.plus(-HISTORY_MONTHS), hi)
                .await?
            {
                states
                    .entry(r.dealer_code.clone())
                    .or_default()
                    .reports
                    .insert(r.month, r);
            }
        }
        let read = started.elapsed();
        let shared = Shared {
            header,
            params: &params,
            dealers: &dealers,
        };
        let shared = &shared;
        // One dealer's rows one after another, each seeing what the rows before left (as
        // stored or about to be), different dealers at once.
        let mut by_dealer: HashMap<&str, Vec<&ReportRow>> = HashMap::new();
        for r in chunk {
            by_dealer.entry(&r.dealer_code).or_default().push(r);
        }
        let mut work = Vec::with_capacity(by_dealer.len());
        for (code, rows) in by_dealer {
            let mut state = states.remove(code).unwrap_or_default();
            work.push(async move {
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    out.push(self.import_row(who, r, shared, &mut state, options).await?);
                }
                AppResult::Ok((code.to_string(), state, out))
            });
        }
        let mut steps = Vec::with_capacity(chunk.len());
        let mut seen = SeenReports::default();
        for done in stream::iter(work)
            .buffer_unordered(CONCURRENCY)
            .collect::<Vec<_>>()
            .await
        {
            let (code, state, out) = done?;
            // What the dealer's months will be once its revisions are stored: the store
            // recomputes its facts from these, if they are still current then.
            if out.iter().any(|s| matches!(s, Step::Store(..))) {
                let submitted = state
                    .reports
                    .into_values()
                    .filter(|r| r.revision > 0)
                    .map(|r| (r.month, (r.revision, r.values)))
                    .collect();
                seen.0.insert(code, submitted);
            }
            steps.extend(out);
        }
        tracing::debug!(
            rows = chunk.len(),
            read_ms = read.as_millis() as u64,
            decide_ms = started.elapsed().as_millis() as u64,
            "import chunk decided"
        );
        Ok((steps, seen))
    }

    /// Stores the chunk's revisions in a few transactions of many reports each (their
    /// facts recomputed in one pass per transaction), one dealer's in one of them, in order:
    /// each report is whole or absent, and a report costs a few statements instead of a
    /// dozen. PostgreSQL runs the transactions at once; SQLite one after another.
    async fn store_steps(&self, steps: Vec<Step>, seen: &SeenReports) -> AppResult<Vec<RowResult>> {
        let mut results = Vec::with_capacity(steps.len());
        let mut revs: Vec<(NewRevision, RowResult)> = Vec::new();
        for step in steps {
            match step {
                Step::Done(r) => results.push(r),
                Step::Store(rev, r) => revs.push((*rev, r)),
            }
        }
        // Each transaction a range of dealer codes (its facts then fill pages of their own),
        // one dealer's revisions in one of them, in the file's order.
        revs.sort_by(|(a, _), (b, _)| a.dealer_code.cmp(&b.dealer_code));
        let per_batch = revs.len().div_ceil(WRITERS).max(1);
        let mut batches: Vec<Vec<(NewRevision, RowResult)>> = Vec::new();
        for (rev, r) in revs {
            match batches.last_mut() {
                Some(b)
                    if b.len() < per_batch
                        || b.last()
                            .is_some_and(|(p, _)| p.dealer_code == rev.dealer_code) =>
                {
                    b.push((rev, r))
                }
                _ => batches.push(vec![(rev, r)]),
            }
        }
        let stored = futures_util::future::try_join_all(
            batches.into_iter().map(|b| self.store_batch(b, seen)),
        )
        .await?;
        results.extend(stored.into_iter().flatten());
        Ok(results)
    }

    async fn store_batch(
        &self,
        batch: Vec<(NewRevision, RowResult)>,
        seen: &SeenReports,
    ) -> AppResult<Vec<RowResult>> {
        let (revs, waiting): (Vec<NewRevision>, Vec<RowResult>) = batch.into_iter().unzip();
        let stored = match self.store.add_revisions(&revs, Some(seen)).await {
            Ok(stored) => stored,
            // Another writer got in between (a revision of the same report): one by one,
            // so that only the reports concerned conflict.
            Err(StoreError::Conflict(_)) => {
                let mut one_by_one = Vec::with_capacity(revs.len());
                for rev in &revs {
                    one_by_one.push(self.store.add_revision(rev).await);
                }
                one_by_one
            }
            Err(e) => return Err(e.into()),
        };
        let records: Vec<&ReportRecord> = stored.iter().filter_map(|s| s.as_ref().ok()).collect();
        self.stored_revisions(&records).await;
        let mut results = Vec::with_capacity(revs.len());
        for ((rev, mut r), stored) in revs.iter().zip(waiting).zip(stored) {
            match stored {
                Ok(record) => r.revision = Some(record.revision),
                Err(StoreError::Conflict(message)) => {
                    r = match self.store.report(&rev.dealer_code, rev.month).await? {
                        // Stored with exactly this content by another writer first.
                        Some(c) if c.revision > 0 && c.values == rev.values => RowResult {
                            outcome: RowOutcome::Unchanged,
                            revision: Some(c.revision),
                            violations: Vec::new(),
                            ..r
                        },
                        _ => RowResult {
                            outcome: RowOutcome::Conflict,
                            revision: None,
                            violations: vec![conflict_violation(message)],
                            ..r
                        },
                    };
                }
                Err(e) => return Err(e.into()),
            }
            results.push(r);
        }
        Ok(results)
    }

    /// Decides one row against what the dealer's rows before it left; a draft is stored at
    /// once, a revision is handed back to be stored with the chunk's others.
    async fn import_row(
        &self,
        who: &Principal,
        row: &ReportRow,
        shared: &Shared<'_>,
        state: &mut DealerState,
        options: &ImportOptions,
    ) -> AppResult<Step> {
        let header = shared.header;
        let errors = |vs: &[Violation]| -> Vec<CellViolation> {
            vs.iter()
                .map(|v| CellViolation::of(v, header, false))
                .collect()
        };
        let done = |r: RowResult| Ok(Step::Done(r));
        let Some(month) = row.month else {
            return done(refused(row, RowOutcome::Rejected, errors(&row.errors)));
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
            return done(refused(row, RowOutcome::Rejected, errors(&all)));
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
            return done(refused(row, RowOutcome::Rejected, errors(&[v])));
        };
        let current = state.reports.get(&month);
        let submitted = current.filter(|c| c.revision > 0);
        let conflict = |message: String| {
            done(refused(
                row,
                RowOutcome::Conflict,
                vec![conflict_violation(message)],
            ))
        };
        if options.mode == ImportMode::Draft {
            let mut checked = check(&row.raw, month, Completeness::Draft, &[]);
            let mut errs = self.month_violations(dealer, month);
            errs.append(&mut checked.errors);
            if !errs.is_empty() {
                return done(refused(row, RowOutcome::Rejected, errors(&errs)));
            }
            if let Some(c) = submitted {
                return conflict(format!(
                    "the report of {} for {month} is submitted (revision {}): a draft cannot replace it",
                    dealer.code, c.revision
                ));
            }
            if current.is_some_and(|c| c.values == checked.values) {
                return done(stored(row, RowOutcome::Unchanged, current));
            }
            if options.dry_run {
                return done(stored(row, RowOutcome::DraftSaved, None));
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
                .await;
            return match record {
                Ok(record) => {
                    let r = stored(row, RowOutcome::DraftSaved, Some(&record));
                    state.reports.insert(month, record);
                    done(r)
                }
                Err(StoreError::Conflict(message)) => conflict(message),
                Err(e) => Err(e.into()),
            };
        }
        let before: Vec<Values> = state
            .reports
            .range(month.plus(-HISTORY_MONTHS)..month)
            .filter(|(_, r)| r.revision > 0)
            .map(|(_, r)| r.values.clone())
            .collect();
        let checked = self
            .checked_with(dealer, month, &row.raw, shared.params, &before)
            .await?;
        if !checked.errors.is_empty() {
            return done(refused(row, RowOutcome::Rejected, errors(&checked.errors)));
        }
        let warnings: Vec<CellViolation> = checked
            .warnings
            .iter()
            .map(|v| CellViolation::of(v, header, true))
            .collect();
        let (expected, reason) = match submitted {
            Some(c) if c.values == checked.values => {
                return done(stored(row, RowOutcome::Unchanged, Some(c)));
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
            None => (current.map_or(0, |c| c.revision), None),
        };
        let outcome = match (&reason, checked.warnings.is_empty()) {
            (Some(_), _) => RowOutcome::Amended,
            (None, true) => RowOutcome::Accepted,
            (None, false) => RowOutcome::AcceptedWithWarnings,
        };
        let rev = self.new_revision(who, &dealer.code, month, expected, &checked, reason);
        // The rows after this one see the report as this one leaves it.
        state.reports.insert(
            month,
            rev.record(rev.expected_revision + 1, rev.late, Some(rev.now)),
        );
        let mut r = stored(row, outcome, None);
        r.violations = warnings;
        if options.dry_run {
            return done(r);
        }
        Ok(Step::Store(Box::new(rev), r))
    }
}

/// A chunk whose revisions are being stored.
struct Storing {
    chunk: Vec<ReportRow>,
    /// Where the file was read up to after the chunk.
    position: u64,
    dealers: std::collections::HashSet<String>,
    task: tokio::task::JoinHandle<AppResult<Vec<RowResult>>>,
}

impl Storing {
    /// The chunk, its rows' results and the file's position after it, once stored.
    async fn finish(self) -> AppResult<(Vec<ReportRow>, Vec<RowResult>, u64)> {
        let results = self.task.await.map_err(|e| {
            AppError::Internal(anyhow::anyhow!("storing a chunk of the import failed: {e}"))
        })??;
        Ok((self.chunk, results, self.position))
    }
}

/// A dealer's reports as the rows before have left them.
#[derive(Default)]
struct DealerState {
    /// Its reports (drafts too) from the plausibility checks' first month to the chunk's
    /// last month, by month.
    reports: BTreeMap<Month, ReportRecord>,
}

/// What a row comes to before the chunk's revisions are stored.
enum Step {
    Done(RowResult),
    /// A revision to store; the row's result once it is stored.
    Store(Box<NewRevision>, RowResult),
}

fn conflict_violation(message: String) -> CellViolation {
    CellViolation {
        cell: None,
        field: "row".into(),
        rule: "CONFLICT".into(),
        message,
        warning: false,
    }
}
