//! Storage: one trait, implemented for SQLite (embedded default) and PostgreSQL
//! (production). All SQL of MSI Hub lives under this module.

mod sql;

pub use sql::{PgStore, SqliteStore};

use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::kpi::{FactValue, ParamValue};
use crate::domain::{Dealer, Month, Region, RegionAssignment, Values, Violation};

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
    pub after: Option<(i16, Month, String)>,
    pub limit: usize,
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

/// The storage of MSI Hub. Implementations must make every method atomic.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// Runs pending migrations.
    async fn migrate(&self) -> StoreResult<()>;

    /// Refreshes the query planner's statistics (after bulk loads).
    async fn analyze(&self) -> StoreResult<()>;

    /// Whether the planner has statistics at all (SQLite: `sqlite_stat1` exists).
    async fn has_statistics(&self) -> StoreResult<bool>;

    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;

    /// A setting (e.g. the generated development JWT secret), creating it with `default` if absent.
    async fn setting_or_insert(&self, key: &str, default: &str) -> StoreResult<String>;

    // --- the network ---

    async fn regions(&self) -> StoreResult<Vec<Region>>;
    async fn create_region(&self, region: &Region) -> StoreResult<()>;
    async fn update_region(&self, region: &Region) -> StoreResult<()>;

    async fn create_dealer(&self, new: &NewDealer) -> StoreResult<()>;
    /// Replaces a dealer's master data (not its region history).
    async fn update_dealer(&self, dealer: &Dealer) -> StoreResult<()>;
    /// Records that from `from` on the dealer belongs to `region_code`, and rewrites its
    /// facts from then on (stamped `now`, wall-clock).
    async fn move_dealer(
        &self,
        code: &str,
        region_code: &str,
        from: Month,
        now: i64,
    ) -> StoreResult<()>;

    /// Dealers by code (for the dataloader); unknown codes are left out.
    async fn dealers_by_code(&self, codes: &[String]) -> StoreResult<Vec<Dealer>>;
    /// Region histories by dealer code (every dealer's when `codes` is `None`).
    async fn region_histories(
        &self,
        codes: Option<&[String]>,
    ) -> StoreResult<Vec<(String, Vec<RegionAssignment>)>>;
    /// Dealers matching `filter`, ordered by code, after the code `after`, at most `limit`.
    async fn list_dealers(
        &self,
        filter: &DealerFilter,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<DealerInMonth>>;
    async fn count_dealers(&self) -> StoreResult<i64>;

    // --- reports ---

    async fn report(&self, dealer_code: &str, month: Month) -> StoreResult<Option<ReportRecord>>;
    /// Submitted values of the dealer's months in `[from, to]`, oldest first.
    async fn submitted_values(
        &self,
        dealer_code: &str,
        from: Month,
        to: Month,
    ) -> StoreResult<Vec<(Month, Values)>>;
    /// Saves a draft; fails with a conflict once the month has been submitted.
    async fn save_draft(
        &self,
        dealer_code: &str,
        month: Month,
        values: &Values,
        author: &str,
        now: i64,
    ) -> StoreResult<ReportRecord>;
    /// Stores a submission or amendment as a new revision, if `expected_revision` is still current.
    async fn add_revision(&self, rev: &NewRevision) -> StoreResult<ReportRecord>;
    async fn revisions(&self, dealer_code: &str, month: Month) -> StoreResult<Vec<Revision>>;
    /// Every dealer active in `month` within `filter`'s scope, with its report status.
    async fn submission_status(
        &self,
        month: Month,
        filter: &DealerFilter,
    ) -> StoreResult<Vec<StatusRow>>;

    // --- KPIs ---

    /// Every OEM parameter value.
    async fn params(&self) -> StoreResult<Vec<ParamValue>>;
    /// Sets a parameter and recomputes the KPIs that read it for that year.
    async fn set_param(&self, value: &ParamValue, author: &str, now: i64) -> StoreResult<u64>;
    /// Inserts or replaces facts (bulk loading).
    async fn load_facts(&self, rows: &[FactRow]) -> StoreResult<()>;
    /// A dealer's facts of every KPI for `from..=to`.
    async fn dealer_facts(&self, dealer: &str, from: Month, to: Month)
        -> StoreResult<Vec<FactRow>>;
    /// A page of facts for BI pulls.
    async fn fact_page(&self, q: &FactQuery) -> StoreResult<Vec<FactRow>>;

    // --- the change log ---

    /// Changes after `after`, and those of `also` (sequence numbers seen missing before:
    /// a transaction may commit after a later one), in sequence order.
    async fn changes_since(&self, after: i64, also: &[i64]) -> StoreResult<Vec<Change>>;
    /// The last sequence number of the change log (0 when empty).
    async fn last_change(&self) -> StoreResult<i64>;
    /// Streams every fact of a month to `sink(kpi, dealer, value, updated_at)` (for the
    /// in-memory cache: rows are not collected first).
    async fn month_facts(&self, month: Month, sink: &mut MonthFactSink<'_>) -> StoreResult<u64>;

    // --- bulk loading ---

    /// Creates regions and dealers, skipping those that exist (idempotent).
    async fn load_network(
        &self,
        regions: &[Region],
        dealers: &[NewDealer],
        moves: &[(String, String, Month)],
    ) -> StoreResult<()>;
    /// Inserts reports as revision 1, skipping dealer-months that already have one; returns
    /// the dealer-months inserted.
    async fn load_reports(&self, reports: &[BulkReport]) -> StoreResult<Vec<(String, Month)>>;
    /// Sets a parameter without recomputing anything (bulk loading, before the facts).
    async fn put_param_if_absent(
        &self,
        value: &ParamValue,
        author: &str,
        now: i64,
    ) -> StoreResult<()>;
}

/// Opens the store a database URL names (`sqlite:` or `postgres:`), without migrating.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else {
        Err(StoreError::Database(sqlx::Error::Configuration(
            "DATABASE_URL must start with sqlite: or postgres://".into(),
        )))
    }
}
