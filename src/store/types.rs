//! What goes in and out of the store: records, filters, queries and errors.

use crate::domain::kpi::FactValue;
use crate::domain::{Dealer, Month, SizeTier, Values, Violation};

/// A storage failure, typed so that callers can tell a conflict from a broken database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    /// A uniqueness or optimistic-concurrency conflict.
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt data in storage: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Which database serves the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where a report stands. `Missing` is the absence of a row and is not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportStatus {
    Draft,
    Accepted,
    AcceptedWithWarnings,
}

impl ReportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Draft => "DRAFT",
            ReportStatus::Accepted => "ACCEPTED",
            ReportStatus::AcceptedWithWarnings => "ACCEPTED_WITH_WARNINGS",
        }
    }

    pub fn parse(s: &str) -> Option<ReportStatus> {
        [
            ReportStatus::Draft,
            ReportStatus::Accepted,
            ReportStatus::AcceptedWithWarnings,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// The current state of one dealer-month report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRecord {
    pub dealer_code: String,
    pub month: Month,
    pub status: ReportStatus,
    /// 0 while only a draft exists; 1 for the first submission, +1 per amendment.
    pub revision: i32,
    pub values: Values,
    pub warnings: Vec<Violation>,
    /// First submitted after the deadline.
    pub late: bool,
    /// Epoch milliseconds.
    pub first_submitted_at: Option<i64>,
    pub updated_at: i64,
    pub updated_by: String,
}

/// One submitted revision, complete.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub revision: i32,
    pub status: ReportStatus,
    pub values: Values,
    pub warnings: Vec<Violation>,
    pub author: String,
    /// Why it was amended (none for the first submission).
    pub reason: Option<String>,
    pub created_at: i64,
}

/// A submission or amendment to store atomically.
#[derive(Debug, Clone)]
pub struct NewRevision {
    pub dealer_code: String,
    pub month: Month,
    /// The revision the writer saw; the write fails with a conflict if it changed.
    pub expected_revision: i32,
    pub status: ReportStatus,
    pub values: Values,
    pub warnings: Vec<Violation>,
    pub author: String,
    pub reason: Option<String>,
    pub late: bool,
    pub now: i64,
    /// Wall-clock time stamped on the recomputed KPI facts (what `updatedSince` pulls compare).
    pub facts_at: i64,
}

impl NewRevision {
    /// The report as this revision leaves it once stored at `revision`.
    pub fn record(
        &self,
        revision: i32,
        late: bool,
        first_submitted_at: Option<i64>,
    ) -> ReportRecord {
        ReportRecord {
            dealer_code: self.dealer_code.clone(),
            month: self.month,
            status: self.status,
            revision,
            values: self.values.clone(),
            warnings: self.warnings.clone(),
            late,
            first_submitted_at,
            updated_at: self.now,
            updated_by: self.author.clone(),
        }
    }
}

/// What a writer read of its dealers' submitted reports, as they will stand once its
/// revisions are stored: by dealer and month, the revision and its values. A recomputation
/// uses them instead of reading the reports again when every revision still matches.
#[derive(Debug, Clone, Default)]
pub struct SeenReports(
    pub std::collections::HashMap<String, std::collections::BTreeMap<Month, (i32, Values)>>,
);

/// A dealer together with its region in the month asked about.
#[derive(Debug, Clone, PartialEq)]
pub struct DealerInMonth {
    pub dealer: Dealer,
    pub region_code: Option<String>,
}

/// Which dealers to list. Every filter is optional; `regions` and `dealer` carry the caller's scope.
#[derive(Debug, Clone, Default)]
pub struct DealerFilter {
    /// Month for region membership and activity.
    pub month: Option<Month>,
    /// Only dealers in one of these regions in `month`.
    pub regions: Option<Vec<String>>,
    /// Only this dealer.
    pub dealer: Option<String>,
    /// Case-insensitive substring of code, name or city.
    pub search: Option<String>,
    /// Only dealers active in `month`.
    pub active_only: bool,
}

/// A page of a list in key order: the keys strictly between `after` and `before`, the
/// first `limit` of them or (`from_end`) the last `limit`, always returned in key order.
#[derive(Debug, Clone, Copy)]
pub struct KeyPage<'a> {
    pub after: Option<&'a str>,
    pub before: Option<&'a str>,
    pub limit: i64,
    pub from_end: bool,
}

impl KeyPage<'_> {
    /// Every key.
    pub fn all() -> KeyPage<'static> {
        KeyPage {
            after: None,
            before: None,
            limit: i64::MAX,
            from_end: false,
        }
    }
}

/// A dealer-month row of the submission status list.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusRow {
    pub dealer_code: String,
    pub dealer_name: String,
    pub region_code: Option<String>,
    /// `None` when no report exists.
    pub status: Option<ReportStatus>,
    pub revision: i32,
    pub late: bool,
    pub first_submitted_at: Option<i64>,
}

/// A dealer to create, with its first region.
#[derive(Debug, Clone)]
pub struct NewDealer {
    pub dealer: Dealer,
    pub region_code: String,
}

/// A whole report row for bulk loading (demo and generator), already checked.
#[derive(Debug, Clone)]
pub struct BulkReport {
    pub dealer_code: String,
    pub month: Month,
    pub status: ReportStatus,
    pub values: Values,
    pub warnings: Vec<Violation>,
    pub late: bool,
    pub submitted_at: i64,
    pub author: String,
}

/// One KPI of one dealer-month as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactRow {
    pub kpi: i16,
    pub month: Month,
    pub dealer_code: String,
    /// The dealer's region in that month.
    pub region_code: String,
    /// `(numerator, denominator)` in storage units, or why there is no value.
    pub value: FactValue,
    pub updated_at: i64,
}

/// A page of facts: KPIs in id order, then months, then dealers.
#[derive(Debug, Clone)]
pub struct FactQuery {
    pub from: Month,
    pub to: Month,
    /// Only facts written at or after this time (epoch ms).
    pub updated_since: Option<i64>,
    /// KPI ids, in ascending order.
    pub kpis: Vec<i16>,
    /// Only these regions (of the fact's month).
    pub regions: Option<Vec<String>>,
    /// Only this dealer.
    pub dealer: Option<String>,
    /// Resume after this `(kpi, month, dealer)`.
    pub after: Option<FactCursor>,
    /// Only facts strictly before this `(kpi, month, dealer)`.
    pub before: Option<FactCursor>,
    /// The last `limit` facts rather than the first.
    pub from_end: bool,
    pub limit: usize,
}

/// A cursor position in fact pages: after this `(kpi, month, dealer)` (an empty dealer:
/// at the start of that KPI and month).
pub type FactCursor = (i16, Month, String);

/// One KPI of one month of a fact page: the facts of the dealers after `after`, in code
/// order, at most `limit`.
#[derive(Debug, Clone, Copy)]
pub struct FactProbe<'a> {
    pub kpi: i16,
    pub month: Month,
    /// Dealers strictly between `after` and `before`.
    pub after: Option<&'a str>,
    pub before: Option<&'a str>,
    /// The last `limit` of them rather than the first (returned in code order all the same).
    pub from_end: bool,
    pub updated_since: Option<i64>,
    pub regions: Option<&'a [String]>,
    pub dealer: Option<&'a str>,
    pub limit: usize,
}

/// A page of facts and where the next one starts (`None`: this was the last).
#[derive(Debug, Clone, PartialEq)]
pub struct FactPage {
    pub rows: Vec<FactRow>,
    pub next: Option<FactCursor>,
    /// Where the page before this one ends (`before` of the next backward page; `None`:
    /// nothing lies before it within the query's bounds).
    pub previous: Option<FactCursor>,
}

/// Receives the facts of a month: KPI id, dealer code, value or reason, `updated_at`.
pub type MonthFactSink<'s> = dyn for<'a> FnMut(i16, &'a str, FactValue, i64) + Send + 's;

/// What a change-log entry says changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// KPI facts: of one dealer for a month range, or all of them.
    Facts,
    /// Regions, dealers or region histories.
    Network,
    /// The publication of the months `from..=to` (members and held facts).
    Publication,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Facts => "FACTS",
            ChangeKind::Network => "NETWORK",
            ChangeKind::Publication => "PUBLICATION",
        }
    }

    pub fn parse(s: &str) -> Option<ChangeKind> {
        [
            ChangeKind::Facts,
            ChangeKind::Network,
            ChangeKind::Publication,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One entry of the change log that keeps in-process caches in step across replicas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub kind: ChangeKind,
    /// `None`: every dealer.
    pub dealer_code: Option<String>,
    pub from: Option<Month>,
    pub to: Option<Month>,
}

/// A month's publication, or the OEM's schedule for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationRecord {
    pub month: Month,
    /// 0 while only scheduled; 1 once published, +1 per republication.
    pub version: i32,
    /// When the OEM wants it published (`None`: the default schedule).
    pub scheduled_at: Option<i64>,
    /// The first publication (epoch ms).
    pub published_at: Option<i64>,
    /// The latest (re)publication.
    pub updated_at: Option<i64>,
}

/// Why a month was (re)published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublicationKind {
    /// At the month's close (deadline plus grace), by the scheduler.
    Scheduled,
    /// Before its close, by the OEM ("publish now").
    Early,
    /// Late submissions and amendments of enough dealers, by the OEM.
    Republication,
    /// Everything of a year, once it has ended, by the OEM.
    Restatement,
}

impl PublicationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PublicationKind::Scheduled => "SCHEDULED",
            PublicationKind::Early => "EARLY",
            PublicationKind::Republication => "REPUBLICATION",
            PublicationKind::Restatement => "RESTATEMENT",
        }
    }

    pub fn parse(s: &str) -> Option<PublicationKind> {
        [
            PublicationKind::Scheduled,
            PublicationKind::Early,
            PublicationKind::Republication,
            PublicationKind::Restatement,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One (re)publication of a month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicationEvent {
    pub month: Month,
    pub version: i32,
    pub kind: PublicationKind,
    pub at: i64,
    pub author: String,
    /// Dealers whose figures this publication showed (all members at the first).
    pub dealers_published: i64,
    /// Dealers with changes left waiting.
    pub dealers_held: i64,
}

/// A dealer's groups in a month: its region and peer group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MemberGroups {
    pub region_code: String,
    pub brand: String,
    pub size_tier: SizeTier,
}

/// A dealer of a published month's membership snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedMember {
    pub dealer_code: String,
    pub groups: MemberGroups,
}

/// A dealer whose live figures or groups differ from what was published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChange {
    pub dealer_code: String,
    /// Its groups in the published snapshot (`None`: not a member then).
    pub published: Option<MemberGroups>,
    /// Its groups now (`None`: not active in the month now).
    pub live: Option<MemberGroups>,
    /// Some KPI fact differs from the published one.
    pub facts_changed: bool,
}

/// Picks, from the pending changes of a month, the dealers to republish.
pub type Chooser<'a> = dyn Fn(&[PendingChange]) -> Vec<String> + Send + Sync + 'a;

/// What a republication did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepublishOutcome {
    pub version: i32,
    /// Dealers whose changes are now published.
    pub published: Vec<String>,
    /// Dealers whose changes still wait.
    pub held: usize,
}

/// A fact of a published month as it was published, where the live fact has changed since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldFact {
    pub month: Month,
    pub dealer_code: String,
    pub kpi: i16,
    /// `None`: there was no fact when the month was published.
    pub value: Option<FactValue>,
}

/// Whose target: a dealer's, or (set by the OEM) a region's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetScope {
    Dealer,
    Region,
}

impl TargetScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetScope::Dealer => "DEALER",
            TargetScope::Region => "REGION",
        }
    }

    pub fn parse(s: &str) -> Option<TargetScope> {
        [TargetScope::Dealer, TargetScope::Region]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// Which target: whose, which year, which item (a target item code or `kpi:<code>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TargetKey {
    pub scope: TargetScope,
    pub code: String,
    pub year: i32,
    pub item: String,
}

/// A target as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRecord {
    pub key: TargetKey,
    /// Storage units (counts, fen), or a KPI's display value in hundredths.
    pub value: i64,
    pub status: crate::domain::targets::TargetStatus,
    pub revision: i32,
    /// What shaped its months (approved volume targets of dealers and regions).
    pub phasing: Option<crate::domain::targets::PhasingBasis>,
    /// The latest reason or comment (a return's comment, a change's reason).
    pub comment: Option<String>,
    pub updated_at: i64,
    pub updated_by: String,
}

/// One revision of a target.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRevision {
    pub revision: i32,
    pub status: crate::domain::targets::TargetStatus,
    pub value: i64,
    pub reason: Option<String>,
    pub author: String,
    pub at: i64,
}

/// A dealer target for bulk loading (the generator's), with the revisions that led to it.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkTarget {
    pub dealer_code: String,
    pub year: i32,
    /// A target item code.
    pub item: String,
    pub value: i64,
    pub status: crate::domain::targets::TargetStatus,
    pub phasing: Option<crate::domain::targets::PhasingBasis>,
    /// Approved: the phased months, January first.
    pub months: Option<[i64; 12]>,
    /// Oldest first; the last is the target's state.
    pub revisions: Vec<TargetRevision>,
}

/// A change to a target: the next revision, written only if the current one is
/// `expected_revision` (0: none yet).
#[derive(Debug, Clone)]
pub struct TargetWrite {
    pub key: TargetKey,
    pub expected_revision: i32,
    pub value: i64,
    pub status: crate::domain::targets::TargetStatus,
    pub phasing: Option<crate::domain::targets::PhasingBasis>,
    pub reason: Option<String>,
    pub author: String,
    pub now: i64,
    /// For an approved dealer target on a target item: its months, phased (January
    /// first). Their achievement facts are recomputed in the same transaction.
    pub months: Option<[i64; 12]>,
    /// When the facts were computed (wall clock, for incremental pulls).
    pub facts_at: i64,
}

/// The editable state of an action item (what its revisions record).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ActionState {
    /// 现状: the problem as observed.
    pub problem: String,
    /// 主要缺失因素: the main cause.
    pub cause: String,
    /// 改进措施 / 行动方案: the countermeasure.
    pub countermeasure: String,
    /// 责任人: who carries it out (a name).
    pub owner: String,
    /// 责任部门: the department.
    pub department: String,
    pub due_month: Month,
    pub status: crate::domain::actions::ActionStatus,
    /// The value aimed at, in hundredths of the KPI's display unit.
    pub expected: Option<i64>,
}

/// An action item as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRecord {
    pub id: i64,
    pub dealer_code: String,
    /// A KPI code or a target item code.
    pub subject: String,
    pub state: ActionState,
    pub baseline_from: Month,
    pub baseline_to: Month,
    /// The subject's summed numerator and denominator over the baseline period.
    pub baseline: Option<(i64, i64)>,
    pub revision: i32,
    pub created_at: i64,
    pub created_by: String,
    pub updated_at: i64,
    pub updated_by: String,
}

/// A new action item (revision 1).
#[derive(Debug, Clone)]
pub struct NewAction {
    pub dealer_code: String,
    pub subject: String,
    pub state: ActionState,
    pub baseline_from: Month,
    pub baseline_to: Month,
    pub baseline: Option<(i64, i64)>,
    pub author: String,
    pub now: i64,
}

/// One revision of an action item.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRevision {
    pub revision: i32,
    pub state: ActionState,
    pub reason: Option<String>,
    pub author: String,
    pub at: i64,
}

/// A follow-up note.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUp {
    pub item_id: i64,
    pub seq: i32,
    pub at: i64,
    pub author: String,
    pub note: String,
}

/// Which action items to list: of these dealers (all when `None`), in these statuses (all
/// when empty), due in `due_from..=due_to` when set, after id `after`, at most `limit`.
#[derive(Debug, Clone, Default)]
pub struct ActionFilter {
    pub dealers: Option<Vec<String>>,
    pub statuses: Vec<crate::domain::actions::ActionStatus>,
    pub due_from: Option<Month>,
    pub due_to: Option<Month>,
    /// Ids strictly between `after` and `before`.
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub limit: i64,
    /// The last `limit` of them rather than the first (returned in id order all the same).
    pub from_end: bool,
}
