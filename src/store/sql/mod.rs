//! The SQL behind [`Store`], written once and instantiated for SQLite and PostgreSQL.
//!
//! Both dialects accept the same statements here (`$n` parameters, `ON CONFLICT`,
//! correlated subqueries), so one body serves both; what differs is how a pool is opened
//! and which migration set runs. Each concern implements its part of the [`Store`] contract
//! in a file of its own, through a macro instantiated for both backends.

mod actions;
mod bulk;
mod changes;
mod common;
mod events;
mod fact_rows;
mod facts;
mod maintenance;
mod network;
mod publication;
mod reports;
mod targets;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Row};

use super::*;
use crate::domain::kpi::{self, FactValue, Param};
use crate::domain::network::region_at;
use crate::domain::targets::TargetItem;
use crate::domain::SizeTier;
use crate::domain::Violation;
use fact_rows::FactWrite;

/// SQLite: the embedded default (one file, WAL mode).
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// SQLite has one writer at a time: writers queue here, in order, instead of meeting
    /// `SQLITE_BUSY` and sleeping in the busy handler's back-off (the long tail under load).
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// PostgreSQL: the production backend, shared by stateless replicas.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// The `NOTIFY` channel of submission events: one per schema, so that databases (and
    /// test schemas) sharing a server do not hear each other.
    events_channel: String,
}

/// A pooled connection idle for longer than this is pinged before it is used.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Pings only connections that sat idle (after a database restart, say): sqlx's default,
/// a ping on every acquire, doubled the round trips of every query (a change-log read, each
/// step of a submission). A connection that broke less than [`PING_AFTER_IDLE`] ago fails
/// its one query, and is dropped.
fn ping_when_idle<DB: sqlx::Database>(options: PoolOptions<DB>) -> PoolOptions<DB> {
    options
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for < PING_AFTER_IDLE {
                    return Ok(true);
                }
                // A broken connection is closed, and the pool tries another.
                Ok(sqlx::Connection::ping(conn).await.is_ok())
            })
        })
}

/// Held while a write transaction runs (SQLite only).
type WriterGuard<'a> = Option<tokio::sync::MutexGuard<'a, ()>>;

impl SqliteStore {
    /// Opens (creating if missing) the SQLite database at `url`.
    pub async fn connect(url: &str) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // 4 MiB of pages per connection (default 2 MiB): the index pages a write touches
            // stay in memory, within the service's memory budget (8 connections).
            .pragma("cache_size", "-4096")
            // Rows cross from the connection's thread to the task in a channel; at the
            // default 50 the two threads wake each other every 50 rows, which dominated a
            // bulk import's profile (context switches). A few thousand rows in flight cost
            // little memory and let a long read run ahead.
            .row_buffer_size(4096)
            // Loading a month of facts (600,000 rows) takes a second by design.
            .log_slow_statements(log::LevelFilter::Warn, Duration::from_secs(10));
        let pool = ping_when_idle(SqlitePoolOptions::new())
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(SqliteStore {
            pool,
            writer: Default::default(),
        })
    }

    async fn begin_write(
        &self,
    ) -> StoreResult<(WriterGuard<'_>, sqlx::Transaction<'static, sqlx::Sqlite>)> {
        let guard = self.writer.lock().await;
        Ok((Some(guard), self.pool.begin().await?))
    }

    /// A write that recomputes facts (SQLite's one writer at a time keeps publications out).
    async fn begin_fact_write(
        &self,
    ) -> StoreResult<(WriterGuard<'_>, sqlx::Transaction<'static, sqlx::Sqlite>)> {
        self.begin_write().await
    }
}

impl PgStore {
    /// Connects to PostgreSQL at `url`.
    pub async fn connect(url: &str) -> StoreResult<PgStore> {
        Self::connect_with(
            PgConnectOptions::from_str(url)?
                .log_slow_statements(log::LevelFilter::Warn, Duration::from_secs(10)),
        )
        .await
    }

    /// Connects with explicit options (tests use a private `search_path`).
    pub async fn connect_with(options: PgConnectOptions) -> StoreResult<PgStore> {
        let pool = ping_when_idle(PgPoolOptions::new())
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        let schema: String = sqlx::query_scalar("SELECT current_schema()::text")
            .fetch_one(&pool)
            .await?;
        let events_channel = events::channel_of(&schema);
        Ok(PgStore {
            pool,
            events_channel,
        })
    }

    /// PostgreSQL writers run concurrently: no guard.
    async fn begin_write(
        &self,
    ) -> StoreResult<(WriterGuard<'_>, sqlx::Transaction<'static, sqlx::Postgres>)> {
        Ok((None, self.pool.begin().await?))
    }

    /// A write that recomputes some dealers' facts: the facts lock (`lock_facts`) taken
    /// with `BEGIN`, in the same round trip.
    async fn begin_fact_write(
        &self,
    ) -> StoreResult<(WriterGuard<'_>, sqlx::Transaction<'static, sqlx::Postgres>)> {
        Ok((
            None,
            self.pool
                .begin_with(format!("BEGIN; {LOCK_FACTS_FOR_DEALERS}"))
                .await?,
        ))
    }
}

/// PostgreSQL: the lock every writer of some dealers' facts takes first: `ROW EXCLUSIVE` on
/// `kpi_facts`. A publication's `SHARE` lock and a writer of every dealer's facts wait for
/// it and exclude it. Each writer then locks its dealers (`lock_dealers`).
const LOCK_FACTS_FOR_DEALERS: &str = "LOCK TABLE kpi_facts IN ROW EXCLUSIVE MODE";

/// PostgreSQL: the lock of a writer of every dealer's facts (a new OEM parameter):
/// `SHARE ROW EXCLUSIVE`, which waits for the writers of some dealers' facts in flight and
/// keeps new ones (and other writers of every dealer's) out until it commits.
const LOCK_FACTS_FOR_NETWORK: &str = "LOCK TABLE kpi_facts IN SHARE ROW EXCLUSIVE MODE";

fn month_of(index: i32) -> StoreResult<Month> {
    Month::from_index(index).ok_or_else(|| StoreError::Corrupt(format!("month index {index}")))
}

fn values_of(json: &str) -> StoreResult<Values> {
    Values::from_json(json).map_err(StoreError::Corrupt)
}

fn warnings_of(json: &str) -> StoreResult<Vec<Violation>> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("warnings: {e}")))
}

fn warnings_json(w: &[Violation]) -> String {
    serde_json::to_string(w).expect("violations serialise")
}

fn status_of(s: &str) -> StoreResult<ReportStatus> {
    ReportStatus::parse(s).ok_or_else(|| StoreError::Corrupt(format!("report status {s}")))
}

/// Maps a unique-key violation to a conflict named `what`.
fn unique_as_conflict(e: sqlx::Error, what: impl FnOnce() -> String) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(what()),
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound(what()),
        _ => StoreError::Database(e),
    }
}

/// `%term%` for LIKE, with the wildcards of `term` escaped (use with `ESCAPE '\'`).
fn like_pattern(term: &str) -> String {
    let escaped = term
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// `(numerator, denominator, reason)` columns of a fact.
fn fact_columns(
    value: &Result<(i64, i64), kpi::Unavailable>,
) -> (Option<i64>, Option<i64>, Option<&'static str>) {
    match value {
        Ok((n, d)) => (Some(*n), Some(*d), None),
        Err(u) => (None, None, Some(u.code())),
    }
}

fn fact_value(
    num: Option<i64>,
    den: Option<i64>,
    reason: Option<String>,
) -> StoreResult<Result<(i64, i64), kpi::Unavailable>> {
    match (num, den, reason) {
        (Some(n), Some(d), None) => Ok(Ok((n, d))),
        (None, None, Some(r)) => kpi::Unavailable::parse(&r)
            .map(Err)
            .ok_or_else(|| StoreError::Corrupt(format!("fact reason {r}"))),
        _ => Err(StoreError::Corrupt(
            "fact with both a value and a reason".into(),
        )),
    }
}

/// Month indexes of `from..=to` (callers make sure the range is not empty).
fn months_of(from: Month, to: Month) -> std::ops::RangeInclusive<i32> {
    from.index()..=to.index()
}

/// Months a KPI of month M reads back to (M − 12 for year-on-year growth).
fn window() -> i32 {
    i32::from(kpi::max_window())
}

const DEALER_COLUMNS: &str =
    "d.code, d.name, d.brand, d.province, d.city, d.size_tier, d.opened_month, d.closed_month";
const REPORT_COLUMNS: &str = "dealer_code, month, status, revision, data, warnings, late, first_submitted_at, updated_at, updated_by";
/// Which changed facts of a published month a recomputation holds at their published value.
#[derive(Clone, Copy)]
enum Holds {
    /// Every one: a dealer's own change stays unseen until the month is republished.
    Changed,
    /// Only in months where the dealer already has held facts: a catalog change restates
    /// every dealer at once, which reveals no one's figures.
    WhereHeld,
}

/// What a recomputation reads besides the reports.
#[derive(Default)]
struct RecomputeInputs {
    /// Region histories by dealer.
    histories: std::collections::HashMap<String, Vec<RegionAssignment>>,
    /// The OEM's parameters.
    params: Vec<kpi::ParamValue>,
    /// Approved phased targets by (dealer, month, item).
    targets: std::collections::HashMap<(String, Month, TargetItem), i64>,
    /// The revisions of the dealers' submitted reports by (dealer, month index), when
    /// asked for (to check that what the writer read is still current).
    revisions: std::collections::HashMap<(String, i32), i32>,
}

/// A stored OEM parameter; `None` for a parameter this version does not know (ignored,
/// not fatal).
fn param_of(name: &str, year: i32, region_code: String, value: i64) -> Option<kpi::ParamValue> {
    Some(kpi::ParamValue {
        param: Param::parse(name)?,
        year,
        region_code,
        value,
    })
}

/// Dealers' submitted reports by month, one entry per dealer, in dealer order.
type ReportWindow = Vec<(String, std::collections::BTreeMap<Month, Values>)>;

/// Rows per multi-row INSERT in bulk loads (well under both databases' parameter limits).
const BULK_ROWS: usize = 500;
