//! Drafts, submissions, amendments and the submission status of a month.

use std::collections::BTreeMap;

use super::{App, AppError, AppResult};
use crate::auth::Principal;
use crate::domain::kpi::max_window;
use crate::domain::report::{check, decimal_value};
use crate::domain::{Completeness, Dealer, Month, RawReport, Rule, Values, Violation};
use crate::store::{
    DealerFilter, NewRevision, ReportRecord, ReportStatus, Revision, SeenReports, StatusRow,
    StoreError,
};

/// What became of a draft, submission or amendment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    DraftSaved,
    Accepted,
    AcceptedWithWarnings,
    /// Hard errors: nothing was stored.
    Rejected,
    /// The same content was already stored: nothing changed.
    Unchanged,
}

/// The answer to a write: the outcome, the stored report, and every violation found.
#[derive(Debug, Clone)]
pub struct SubmitOutcome {
    pub outcome: Outcome,
    pub record: Option<ReportRecord>,
    pub errors: Vec<Violation>,
    pub warnings: Vec<Violation>,
}

impl SubmitOutcome {
    pub(super) fn rejected(errors: Vec<Violation>) -> SubmitOutcome {
        SubmitOutcome {
            outcome: Outcome::Rejected,
            record: None,
            errors,
            warnings: vec![],
        }
    }

    fn unchanged(record: ReportRecord) -> SubmitOutcome {
        let warnings = record.warnings.clone();
        SubmitOutcome {
            outcome: Outcome::Unchanged,
            record: Some(record),
            errors: vec![],
            warnings,
        }
    }
}

/// Counts of a month's submission status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusCounts {
    pub total: usize,
    pub missing: usize,
    pub draft: usize,
    pub accepted: usize,
    pub accepted_with_warnings: usize,
    /// Submitted after the deadline (also counted as accepted or accepted with warnings).
    pub late: usize,
}

/// Every dealer of a scope for one month, with its report status.
#[derive(Debug, Clone)]
pub struct SubmissionStatus {
    pub month: Month,
    pub deadline_ms: i64,
    pub rows: Vec<StatusRow>,
    pub counts: StatusCounts,
}

/// Months of history the plausibility check looks at.
pub(super) const HISTORY_MONTHS: i32 = 12;
/// Longest amendment reason kept.
const MAX_REASON_CHARS: usize = 1000;

/// A stored report back in entry form (display units), to resubmit a draft.
fn raw_of(values: &Values) -> RawReport {
    values
        .iter()
        .map(|(f, v)| (f, decimal_value(f.kind(), v)))
        .collect()
}

impl App {
    /// Rules about the month and the dealer rather than the figures.
    pub(super) fn month_violations(&self, dealer: &Dealer, month: Month) -> Vec<Violation> {
        let mut out = Vec::new();
        let current = self.current_month();
        if month > current {
            out.push(Violation::of_report(
                "month",
                Rule::FutureMonth,
                format!("{month} is in the future (the current month is {current})"),
                month.to_string(),
            ));
        }
        if !dealer.is_active(month) {
            let closed = dealer
                .closed
                .map_or(String::new(), |c| format!(", closed after {c}"));
            out.push(Violation::of_report(
                "dealer_code",
                Rule::DealerInactive,
                format!(
                    "dealer {} is not active in {month} (opened {}{closed})",
                    dealer.code, dealer.opened
                ),
                dealer.code.clone(),
            ));
        }
        out
    }

    /// Saves a (possibly partial) draft. Values are checked field by field, not for completeness.
    pub async fn save_draft(
        &self,
        who: &Principal,
        dealer_code: &str,
        month: Month,
        raw: &RawReport,
    ) -> AppResult<SubmitOutcome> {
        let dealer = self.require_dealer(dealer_code).await?;
        let mut checked = check(raw, month, Completeness::Draft, &[]);
        let mut errors = self.month_violations(&dealer, month);
        errors.append(&mut checked.errors);
        if !errors.is_empty() {
            return Ok(SubmitOutcome::rejected(errors));
        }
        let record = self
            .store
            .save_draft(dealer_code, month, &checked.values, &who.sub, self.now_ms())
            .await?;
        Ok(SubmitOutcome {
            outcome: Outcome::DraftSaved,
            record: Some(record),
            errors: vec![],
            warnings: vec![],
        })
    }

    /// A dealer's report for a month (draft or submitted), if any.
    pub async fn report(&self, dealer_code: &str, month: Month) -> AppResult<Option<ReportRecord>> {
        Ok(self.store.report(dealer_code, month).await?)
    }

    /// Every submitted revision of a dealer's report for a month, oldest first.
    pub async fn revisions(&self, dealer_code: &str, month: Month) -> AppResult<Vec<Revision>> {
        Ok(self.store.revisions(dealer_code, month).await?)
    }

    /// First submission of a month: `raw`, or the saved draft when `raw` is absent.
    pub async fn submit(
        &self,
        who: &Principal,
        dealer_code: &str,
        month: Month,
        raw: Option<&RawReport>,
        expected_revision: Option<i32>,
    ) -> AppResult<SubmitOutcome> {
        let dealer = self.require_dealer(dealer_code).await?;
        let reports = self.reports_around(dealer_code, month).await?;
        let current = reports.get(&month).cloned();
        let draft;
        let raw = match (raw, &current) {
            (Some(r), _) => r,
            (None, Some(c)) if c.revision == 0 => {
                draft = raw_of(&c.values);
                &draft
            }
            (None, _) => {
                return Err(AppError::invalid(
                    "input",
                    "no report content given and no draft saved: send `input`",
                ))
            }
        };
        let checked = self.checked(&dealer, month, raw, &reports).await?;
        if !checked.errors.is_empty() {
            return Ok(SubmitOutcome::rejected(checked.errors));
        }
        let current_revision = current.as_ref().map_or(0, |c| c.revision);
        if let Some(c) = current.filter(|c| c.revision > 0) {
            if c.values == checked.values {
                return Ok(SubmitOutcome::unchanged(c));
            }
            return Err(AppError::Conflict {
                message: format!("the report of {dealer_code} for {month} was already submitted (revision {}): change it with amendMonthlyReport and a reason", c.revision),
                current_revision: Some(c.revision),
            });
        }
        let expected = expected_revision.unwrap_or(current_revision);
        self.store_revision(
            who,
            (dealer_code, month),
            (expected, current_revision),
            checked,
            None,
            reports,
        )
        .await
    }

    /// Amends a submitted report: a new complete revision with a reason.
    pub async fn amend(
        &self,
        who: &Principal,
        dealer_code: &str,
        month: Month,
        raw: &RawReport,
        expected_revision: i32,
        reason: &str,
    ) -> AppResult<SubmitOutcome> {
        let reason = reason.trim();
        crate::domain::text::check_text("reason", reason, MAX_REASON_CHARS)
            .map_err(|m| AppError::invalid("reason", m))?;
        let dealer = self.require_dealer(dealer_code).await?;
        let reports = self.reports_around(dealer_code, month).await?;
        let current = match reports.get(&month) {
            Some(c) if c.revision > 0 => c.clone(),
            _ => {
                return Err(AppError::NotFound(format!(
                    "no submitted report of {dealer_code} for {month} to amend: submit it first"
                )))
            }
        };
        let checked = self.checked(&dealer, month, raw, &reports).await?;
        if !checked.errors.is_empty() {
            return Ok(SubmitOutcome::rejected(checked.errors));
        }
        if current.values == checked.values {
            return Ok(SubmitOutcome::unchanged(current));
        }
        self.store_revision(
            who,
            (dealer_code, month),
            (expected_revision, current.revision),
            checked,
            Some(reason.to_string()),
            reports,
        )
        .await
    }

    /// `raw` checked as the dealer's report of `month`, against its submitted months before
    /// (among `reports`, see [`App::reports_around`]) and its peers (the KPI cache as it
    /// stands: [`App::require_dealer`] brought it up to date).
    async fn checked(
        &self,
        dealer: &Dealer,
        month: Month,
        raw: &RawReport,
        reports: &BTreeMap<Month, ReportRecord>,
    ) -> AppResult<crate::domain::Checked> {
        let params = self.cache.params(self.store.as_ref()).await?;
        let history: Vec<Values> = reports
            .range(month.plus(-HISTORY_MONTHS)..month)
            .filter(|(_, r)| r.revision > 0)
            .map(|(_, r)| r.values.clone())
            .collect();
        self.checked_with(dealer, month, raw, &params, &history)
            .await
    }

    /// A dealer's reports (drafts too) of the months a revision of `month` reads, in one
    /// read: the twelve months before, for its plausibility checks, and the months around
    /// it whose KPIs it recomputes (the store uses them instead of reading them again).
    async fn reports_around(
        &self,
        dealer: &str,
        month: Month,
    ) -> AppResult<BTreeMap<Month, ReportRecord>> {
        let window = i32::from(max_window());
        let rows = self
            .store
            .reports_in(
                &[dealer.to_string()],
                month.plus(-HISTORY_MONTHS.max(window)),
                month.plus(window),
            )
            .await?;
        Ok(rows.into_iter().map(|r| (r.month, r)).collect())
    }

    /// [`App::checked`] with the OEM's parameters and the dealer's submitted values of the
    /// twelve months before given, and the KPI cache as it stands (an import reads them and
    /// refreshes it once per chunk of rows).
    pub(super) async fn checked_with(
        &self,
        dealer: &Dealer,
        month: Month,
        raw: &RawReport,
        params: &[crate::domain::kpi::ParamValue],
        history: &[Values],
    ) -> AppResult<crate::domain::Checked> {
        let mut checked = check(raw, month, Completeness::Complete, history);
        let mut errors = self.month_violations(dealer, month);
        errors.append(&mut checked.errors);
        checked.errors = errors;
        if checked.errors.is_empty() {
            let mut peers = self
                .peer_warnings(dealer, month, &checked.values, params)
                .await?;
            checked.warnings.append(&mut peers);
        }
        Ok(checked)
    }

    /// The revision that stores `checked` over revision `expected`, stamped now.
    pub(super) fn new_revision(
        &self,
        who: &Principal,
        dealer_code: &str,
        month: Month,
        expected: i32,
        checked: &crate::domain::Checked,
        reason: Option<String>,
    ) -> NewRevision {
        let now = self.now();
        NewRevision {
            dealer_code: dealer_code.to_string(),
            month,
            expected_revision: expected,
            status: if checked.warnings.is_empty() {
                ReportStatus::Accepted
            } else {
                ReportStatus::AcceptedWithWarnings
            },
            values: checked.values.clone(),
            warnings: checked.warnings.clone(),
            author: who.sub.clone(),
            reason,
            late: now > self.deadline(month),
            now: now.timestamp_millis(),
            facts_at: self.wall_ms(),
        }
    }

    /// Stores `checked` as the revision after `current` of the dealer's report of `month`,
    /// if the writer `expected` that one; `reports` are the dealer's reports it read
    /// ([`App::reports_around`]).
    async fn store_revision(
        &self,
        who: &Principal,
        (dealer_code, month): (&str, Month),
        (expected, current): (i32, i32),
        checked: crate::domain::Checked,
        reason: Option<String>,
        reports: BTreeMap<Month, ReportRecord>,
    ) -> AppResult<SubmitOutcome> {
        let stale = |current: i32| {
            AppError::Conflict {
            message: format!(
                "expectedRevision {expected} is stale: the report of {dealer_code} for {month} is at revision {current}; reload it and apply your change again"
            ),
            current_revision: Some(current),
        }
        };
        if expected != current {
            return Err(stale(current));
        }
        let rev = self.new_revision(who, dealer_code, month, expected, &checked, reason);
        let status = rev.status;
        let values = rev.values.clone();
        // The dealer's submitted months as they will stand: the store recomputes the facts
        // from these if every revision is still the one read.
        let mut months: BTreeMap<Month, (i32, Values)> = reports
            .into_values()
            .filter(|r| r.revision > 0)
            .map(|r| (r.month, (r.revision, r.values)))
            .collect();
        months.insert(month, (current + 1, values.clone()));
        let seen = SeenReports([(dealer_code.to_string(), months)].into_iter().collect());
        let stored = self
            .store
            .add_revisions(std::slice::from_ref(&rev), Some(&seen))
            .await
            .and_then(|mut one| {
                one.pop()
                    .unwrap_or_else(|| Err(StoreError::Corrupt("a revision went missing".into())))
            });
        match stored {
            Ok(record) => {
                self.stored_revisions(&[&record]).await;
                let outcome = if status == ReportStatus::Accepted {
                    Outcome::Accepted
                } else {
                    Outcome::AcceptedWithWarnings
                };
                Ok(SubmitOutcome {
                    outcome,
                    record: Some(record),
                    errors: vec![],
                    warnings: checked.warnings,
                })
            }
            Err(StoreError::Conflict(_)) => match self.store.report(dealer_code, month).await? {
                // A concurrent writer stored exactly this content first: nothing to do.
                Some(r) if r.revision > 0 && r.values == values => Ok(SubmitOutcome::unchanged(r)),
                r => Err(stale(r.map_or(0, |r| r.revision))),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// What follows the storing of revisions: they are counted (metrics) and announced
    /// (submission events).
    pub(super) async fn stored_revisions(&self, records: &[&ReportRecord]) {
        let submitted = records.iter().filter(|r| r.revision == 1).count() as u64;
        let amended = records.len() as u64 - submitted;
        self.metrics.reports_stored(submitted, amended);
        self.announce(records).await;
    }

    /// Every active dealer of the scope in `month` with its status, and the counts.
    pub async fn submission_status(
        &self,
        month: Month,
        filter: &DealerFilter,
    ) -> AppResult<SubmissionStatus> {
        let rows = self.store.submission_status(month, filter).await?;
        let mut counts = StatusCounts {
            total: rows.len(),
            ..Default::default()
        };
        for r in &rows {
            match r.status {
                None => counts.missing += 1,
                Some(ReportStatus::Draft) => counts.draft += 1,
                Some(ReportStatus::Accepted) => counts.accepted += 1,
                Some(ReportStatus::AcceptedWithWarnings) => counts.accepted_with_warnings += 1,
            }
            counts.late += usize::from(r.late);
        }
        Ok(SubmissionStatus {
            month,
            deadline_ms: self.deadline(month).timestamp_millis(),
            rows,
            counts,
        })
    }
}
