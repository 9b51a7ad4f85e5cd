//! Storage: one contract ([`Store`]), implemented for SQLite (embedded default) and
//! PostgreSQL (production). All SQL of MSI Hub lives under this module.
//!
//! The contract is written as one trait per concern (maintenance, network, reports, facts,
//! the change log, publication, bulk loading); [`Store`] is all of them together, and
//! `use crate::store::prelude::*` brings every method into scope.

mod sql;
mod types;

pub use sql::{PgStore, SqliteStore};
pub use types::*;

use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::events::SubmissionEvent;
use crate::domain::kpi::ParamValue;
use crate::domain::{Dealer, Month, Region, RegionAssignment, Values};

/// Every part of the storage contract, for `use crate::store::prelude::*`.
pub mod prelude {
    pub use super::{
        ActionStore, BulkStore, ChangeStore, FactStore, Maintenance, NetworkStore,
        PublicationStore, ReportStore, Store, TargetStore,
    };
}

/// The storage of MSI Hub: every concern's trait. Implementations must make every method
/// atomic.
pub trait Store:
    Maintenance
    + NetworkStore
    + ReportStore
    + FactStore
    + ChangeStore
    + PublicationStore
    + TargetStore
    + ActionStore
    + BulkStore
    + EventStore
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: Maintenance
        + NetworkStore
        + ReportStore
        + FactStore
        + ChangeStore
        + PublicationStore
        + TargetStore
        + ActionStore
        + BulkStore
        + EventStore
        + Send
        + Sync
        + 'static
{
}

/// What a connection pool holds (metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// Migrations, planner statistics, health and settings.
#[async_trait]
pub trait Maintenance: Send + Sync {
    fn backend(&self) -> Backend;

    /// The connection pool's use: connections open, idle, and the most it opens.
    fn pool_use(&self) -> PoolUse;

    /// Runs pending migrations.
    async fn migrate(&self) -> StoreResult<()>;

    /// The schema version the database is at and the one this build's migrations reach.
    async fn schema_version(&self) -> StoreResult<(i64, i64)>;

    /// Refreshes the query planner's statistics (after bulk loads).
    async fn analyze(&self) -> StoreResult<()>;

    /// Whether the planner has the statistics this build keeps (SQLite: `sqlite_stat1`,
    /// without the histogram samples of `sqlite_stat4`; see `analyze`).
    async fn has_statistics(&self) -> StoreResult<bool>;

    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;

    /// A setting (e.g. the generated development JWT secret), creating it with `default` if absent.
    async fn setting_or_insert(&self, key: &str, default: &str) -> StoreResult<String>;
    /// A setting, if set.
    async fn setting(&self, key: &str) -> StoreResult<Option<String>>;
    /// Sets a setting.
    async fn put_setting(&self, key: &str, value: &str) -> StoreResult<()>;
}

/// Regions, dealers and their region histories.
#[async_trait]
pub trait NetworkStore: Send + Sync {
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
    /// Dealers matching `filter`, in code order: the page `page` of them.
    async fn list_dealers(
        &self,
        filter: &DealerFilter,
        page: KeyPage<'_>,
    ) -> StoreResult<Vec<DealerInMonth>>;
    /// How many dealers match `filter`.
    async fn count_matching_dealers(&self, filter: &DealerFilter) -> StoreResult<i64>;
    async fn count_dealers(&self) -> StoreResult<i64>;
}

/// Reports, drafts, revisions and the submission status.
#[async_trait]
pub trait ReportStore: Send + Sync {
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
    /// The reports (drafts included) of `dealers` in `from..=to`, in no order.
    async fn reports_in(
        &self,
        dealers: &[String],
        from: Month,
        to: Month,
    ) -> StoreResult<Vec<ReportRecord>>;
    /// Stores a submission or amendment as a new revision, if `expected_revision` is still
    /// current, and recomputes the KPI facts it changes (holding the published ones back).
    async fn add_revision(&self, rev: &NewRevision) -> StoreResult<ReportRecord> {
        match self
            .add_revisions(std::slice::from_ref(rev), None)
            .await?
            .pop()
        {
            Some(stored) => stored,
            None => Err(StoreError::Corrupt("a revision went missing".into())),
        }
    }
    /// [`ReportStore::add_revision`] for several reports (at most one per dealer and month)
    /// in one transaction, their facts recomputed in one pass: each gets its record or its
    /// conflict (nothing of it stored), and the others are stored. Fails whole (nothing
    /// stored) on any other error. `seen`: what the writer read of these dealers' reports
    /// (see [`SeenReports`]).
    async fn add_revisions(
        &self,
        revs: &[NewRevision],
        seen: Option<&SeenReports>,
    ) -> StoreResult<Vec<StoreResult<ReportRecord>>>;
    async fn revisions(&self, dealer_code: &str, month: Month) -> StoreResult<Vec<Revision>>;
    /// The first and last months of a dealer's reports (drafts included).
    async fn report_span(&self, dealer_code: &str) -> StoreResult<Option<(Month, Month)>>;
    /// Every dealer active in `month` within `filter`'s scope, with its report status.
    async fn submission_status(
        &self,
        month: Month,
        filter: &DealerFilter,
    ) -> StoreResult<Vec<StatusRow>>;
}

/// KPI facts and OEM parameters.
///
/// Every write of a fact of a published month first keeps the published value in
/// `published_holds` (in the same transaction), so that what dealers were shown does not
/// move until the month is republished.
#[async_trait]
pub trait FactStore: Send + Sync {
    /// Every OEM parameter value.
    async fn params(&self) -> StoreResult<Vec<ParamValue>>;
    /// Sets a parameter and recomputes the KPIs that read it for that year.
    async fn set_param(&self, value: &ParamValue, author: &str, now: i64) -> StoreResult<u64>;
    /// Inserts or replaces facts (bulk loading).
    async fn load_facts(&self, rows: &[FactRow]) -> StoreResult<()>;
    /// The facts of every KPI of `dealers` for `from..=to`.
    async fn dealer_facts(
        &self,
        dealers: &[String],
        from: Month,
        to: Month,
    ) -> StoreResult<Vec<FactRow>>;
    /// How many facts a query covers (its cursors and limit aside).
    async fn count_facts(&self, q: &FactQuery) -> StoreResult<i64>;
    /// The facts of one KPI and month for a BI page (one indexed query).
    async fn fact_rows(&self, probe: &FactProbe<'_>) -> StoreResult<Vec<FactRow>>;
    /// Streams every fact of a month to `sink(kpi, dealer, value, updated_at)` (for the
    /// in-memory cache: rows are not collected first).
    async fn month_facts(&self, month: Month, sink: &mut MonthFactSink<'_>) -> StoreResult<u64>;
    /// The dealers with at least one submitted report, in code order.
    async fn reporting_dealers(&self) -> StoreResult<Vec<String>>;
    /// Recomputes every fact of one dealer from its reports with this build's catalog,
    /// writing only the facts that changed; returns how many changed. A catalog change
    /// applies to every dealer at once, so published months are restated rather than held,
    /// except where the dealer already has held facts (its amendment since publication
    /// stays unseen until a republication): there the changed facts are held too.
    async fn recompute_dealer(&self, dealer: &str, now: i64) -> StoreResult<u64>;
}

/// Targets (目标管理): dealers' and regions' yearly targets, their revisions, phased months and
/// the OEM's phasing profiles. Writing an approved dealer target recomputes the
/// achievement facts of its year in the same transaction.
#[async_trait]
pub trait TargetStore: Send + Sync {
    /// The targets of one dealer or region for a year.
    async fn targets(
        &self,
        scope: TargetScope,
        code: &str,
        year: i32,
    ) -> StoreResult<Vec<TargetRecord>>;
    /// One target.
    async fn target(&self, key: &TargetKey) -> StoreResult<Option<TargetRecord>>;
    /// Writes the next revision; `Conflict` when the current revision is not the expected one.
    async fn write_target(&self, w: &TargetWrite) -> StoreResult<TargetRecord>;
    /// Every revision of a target, oldest first.
    async fn target_revisions(&self, key: &TargetKey) -> StoreResult<Vec<TargetRevision>>;
    /// The approved phased months of a dealer's targets on items, for a year.
    async fn target_months(&self, dealer: &str, year: i32)
        -> StoreResult<Vec<(String, [i64; 12])>>;
    /// The OEM's phasing profile of an item for a year.
    async fn phasing_profile(&self, year: i32, item: &str) -> StoreResult<Option<[i64; 12]>>;
    /// Sets (or with `None` removes) a phasing profile.
    async fn set_phasing_profile(
        &self,
        year: i32,
        item: &str,
        weights: Option<[i64; 12]>,
        author: &str,
        now: i64,
    ) -> StoreResult<()>;
    /// The submitted values of several dealers over `from..=to` (one query per chunk).
    async fn submitted_values_of(
        &self,
        dealers: &[String],
        from: Month,
        to: Month,
    ) -> StoreResult<Vec<(String, Month, Values)>>;
}

/// Action plans: items, their revisions and follow-ups.
#[async_trait]
pub trait ActionStore: Send + Sync {
    /// Creates an item (revision 1, with its first revision recorded).
    async fn create_action(&self, new: &NewAction) -> StoreResult<ActionRecord>;
    /// One item.
    async fn action(&self, id: i64) -> StoreResult<Option<ActionRecord>>;
    /// Writes the next revision of an item's state; `Conflict` when it is not at
    /// `expected_revision`.
    async fn update_action(
        &self,
        id: i64,
        expected_revision: i32,
        state: &ActionState,
        reason: Option<&str>,
        author: &str,
        now: i64,
    ) -> StoreResult<ActionRecord>;
    /// Items by filter, in id order.
    async fn actions(&self, filter: &ActionFilter) -> StoreResult<Vec<ActionRecord>>;
    /// How many items match `filter` (its page bounds and limit aside).
    async fn count_actions(&self, filter: &ActionFilter) -> StoreResult<i64>;
    /// (items, Σ revisions): both only grow (items are never deleted, every change is a
    /// new revision), so any write since an earlier answer changes it.
    async fn actions_version(&self) -> StoreResult<(i64, i64)>;
    /// Every revision of an item, oldest first.
    async fn action_revisions(&self, id: i64) -> StoreResult<Vec<ActionRevision>>;
    /// Appends a follow-up note.
    async fn add_followup(
        &self,
        id: i64,
        author: &str,
        note: &str,
        now: i64,
    ) -> StoreResult<FollowUp>;
    /// The follow-ups of these items, in order.
    async fn followups(&self, ids: &[i64]) -> StoreResult<Vec<FollowUp>>;
}

/// The change log that keeps in-process caches in step across replicas.
#[async_trait]
pub trait ChangeStore: Send + Sync {
    /// Changes after `after`, and those of `also` (sequence numbers seen missing before:
    /// a transaction may commit after a later one), in sequence order.
    async fn changes_since(&self, after: i64, also: &[i64]) -> StoreResult<Vec<Change>>;
    /// The last sequence number of the change log (0 when empty).
    async fn last_change(&self) -> StoreResult<i64>;
    /// Whether there is, after `after` or among `also`, a change that is not one dealer's
    /// facts (the network, a publication, every dealer's facts).
    async fn shared_change_since(&self, after: i64, also: &[i64]) -> StoreResult<bool>;
}

/// Submission events across replicas: PostgreSQL carries them with `NOTIFY` to every
/// replica that `LISTEN`s; SQLite (one process) has nothing to carry.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Sends events to every listening replica, this one included; `false` when the
    /// database carries none (the caller delivers them in process).
    async fn notify_events(&self, events: &[SubmissionEvent]) -> StoreResult<bool>;
    /// The events every replica sends, as they arrive (`None`: the database carries none).
    /// The stream reconnects by itself; events sent while it was cut are lost.
    async fn listen_events(&self) -> StoreResult<Option<EventStream>>;
}

/// Events as a database delivers them.
pub type EventStream =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = SubmissionEvent> + Send + 'static>>;

/// Published months: what dealers are shown of other dealers (see `domain::disclosure`).
///
/// A published month is its membership snapshot (`published_members`: each dealer's
/// region and peer group when it was published) and the live facts, except the facts
/// written since, whose published values are held in `published_holds`.
#[async_trait]
pub trait PublicationStore: Send + Sync {
    /// Every month with a publication or a schedule.
    async fn publications(&self) -> StoreResult<Vec<PublicationRecord>>;
    /// Every (re)publication of a month, oldest first.
    async fn publication_events(&self, month: Month) -> StoreResult<Vec<PublicationEvent>>;
    /// Sets (or with `None` clears) the OEM's publication time of a month not yet
    /// published; a conflict once it is published.
    async fn schedule_publication(&self, month: Month, at: Option<i64>) -> StoreResult<()>;
    /// Months up to `through` with at least one submitted report and no publication.
    async fn unpublished_months(&self, through: Month) -> StoreResult<Vec<Month>>;
    /// Publishes a month for the first time: its members as they are now, its facts as
    /// they are now. A conflict when it is already published; returns the members.
    async fn publish(
        &self,
        month: Month,
        kind: PublicationKind,
        at: i64,
        author: &str,
    ) -> StoreResult<u64>;
    /// What changed since a month was published: dealers whose facts or groups differ.
    async fn pending_changes(&self, month: Month) -> StoreResult<Vec<PendingChange>>;
    /// Republishes the pending changes of the dealers `choose` picks (all in one
    /// transaction, with the pending changes as of that transaction).
    async fn republish(
        &self,
        month: Month,
        kind: PublicationKind,
        at: i64,
        author: &str,
        choose: &Chooser<'_>,
    ) -> StoreResult<RepublishOutcome>;
    /// The membership snapshot of a published month.
    async fn published_members(&self, month: Month) -> StoreResult<Vec<PublishedMember>>;
    /// The held facts of a month.
    async fn month_holds(&self, month: Month) -> StoreResult<Vec<HeldFact>>;
    /// The held facts of `dealers` for `from..=to`.
    async fn dealer_holds(
        &self,
        dealers: &[String],
        from: Month,
        to: Month,
    ) -> StoreResult<Vec<HeldFact>>;
}

/// Bulk loading of generated networks (the demo, benchmark data).
#[async_trait]
pub trait BulkStore: Send + Sync {
    /// Creates regions and dealers, skipping those that exist (idempotent).
    async fn load_network(
        &self,
        regions: &[Region],
        dealers: &[NewDealer],
        moves: &[(String, String, Month)],
    ) -> StoreResult<()>;
    /// Inserts reports as revision 1 together with their KPI facts (those of `facts` for
    /// the dealer-months inserted), in one transaction; dealer-months that already have a
    /// report, a draft included, are left alone. Returns the dealer-months inserted.
    async fn load_reports(
        &self,
        reports: &[BulkReport],
        facts: &[FactRow],
    ) -> StoreResult<Vec<(String, Month)>>;
    /// Inserts dealer targets with their revisions and phased months, skipping those that
    /// exist (idempotent); no fact is recomputed (the loader computes achievement with the
    /// reports). Returns how many were inserted.
    async fn load_targets(&self, targets: &[BulkTarget]) -> StoreResult<u64>;
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
