//! The SQL behind [`Store`], written once and instantiated for SQLite and PostgreSQL.
//!
//! Both dialects accept the same statements here (`$n` parameters, `ON CONFLICT`,
//! correlated subqueries), so one body serves both; what differs is how a pool is opened
//! and which migration set runs.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::Row;

use super::*;
use crate::domain::kpi::{self, Param};
use crate::domain::network::region_at;
use crate::domain::{MonthRange, SizeTier};

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
            // 16 MiB of pages per connection (default 2 MiB): index pages a write touches stay
            // in memory instead of being read from the file again.
            .pragma("cache_size", "-16384");
        let pool = SqlitePoolOptions::new()
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
}

impl PgStore {
    /// Connects to PostgreSQL at `url`.
    pub async fn connect(url: &str) -> StoreResult<PgStore> {
        Self::connect_with(PgConnectOptions::from_str(url)?).await
    }

    /// Connects with explicit options (tests use a private `search_path`).
    pub async fn connect_with(options: PgConnectOptions) -> StoreResult<PgStore> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(PgStore { pool })
    }

    /// PostgreSQL writers run concurrently: no guard.
    async fn begin_write(
        &self,
    ) -> StoreResult<(WriterGuard<'_>, sqlx::Transaction<'static, sqlx::Postgres>)> {
        Ok((None, self.pool.begin().await?))
    }
}

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

/// Months a KPI of month M reads back to (M − 7 for the 6-month windows).
fn window() -> i32 {
    i32::from(kpi::max_window())
}

const DEALER_COLUMNS: &str =
    "d.code, d.name, d.brand, d.province, d.city, d.size_tier, d.opened_month, d.closed_month";
const REPORT_COLUMNS: &str = "dealer_code, month, status, revision, data, warnings, late, first_submitted_at, updated_at, updated_by";
/// Rows per multi-row INSERT in bulk loads (well under both databases' parameter limits).
const BULK_ROWS: usize = 500;

macro_rules! sql_store {
    ($Store:ident, $Db:ty, $Row:ty, $backend:expr, $migrations:literal) => {
        impl $Store {
            fn dealer_row(r: &$Row) -> StoreResult<Dealer> {
                let tier: String = r.try_get("size_tier")?;
                Ok(Dealer {
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    brand: r.try_get("brand")?,
                    province: r.try_get("province")?,
                    city: r.try_get("city")?,
                    size_tier: SizeTier::parse(&tier).ok_or_else(|| StoreError::Corrupt(format!("size tier {tier}")))?,
                    opened: month_of(r.try_get("opened_month")?)?,
                    closed: r.try_get::<Option<i32>, _>("closed_month")?.map(month_of).transpose()?,
                })
            }

            fn report_row(r: &$Row) -> StoreResult<ReportRecord> {
                Ok(ReportRecord {
                    dealer_code: r.try_get("dealer_code")?,
                    month: month_of(r.try_get("month")?)?,
                    status: status_of(r.try_get("status")?)?,
                    revision: r.try_get("revision")?,
                    values: values_of(r.try_get("data")?)?,
                    warnings: warnings_of(r.try_get("warnings")?)?,
                    late: r.try_get("late")?,
                    first_submitted_at: r.try_get("first_submitted_at")?,
                    updated_at: r.try_get("updated_at")?,
                    updated_by: r.try_get("updated_by")?,
                })
            }

/// Appends `(v1, v2, ...)` with every value bound (callers handle an empty list).
            fn push_list<'a, T>(q: &mut sqlx::QueryBuilder<'a, $Db>, values: impl Iterator<Item = T>)
            where
                T: 'a + sqlx::Encode<'a, $Db> + sqlx::Type<$Db>,
            {
                q.push("(");
                let mut sep = q.separated(", ");
                for v in values {
                    sep.push_bind(v);
                }
                sep.push_unseparated(")");
            }

                        fn fact_row(r: &$Row) -> StoreResult<FactRow> {
                Ok(FactRow {
                    kpi: r.try_get("kpi")?,
                    month: month_of(r.try_get("month")?)?,
                    dealer_code: r.try_get("dealer_code")?,
                    region_code: r.try_get("region_code")?,
                    value: fact_value(r.try_get("numerator")?, r.try_get("denominator")?, r.try_get("reason")?)?,
                    updated_at: r.try_get("updated_at")?,
                })
            }

            async fn insert_facts(conn: &mut <$Db as sqlx::Database>::Connection, rows: &[FactRow]) -> StoreResult<()> {
                for chunk in rows.chunks(BULK_ROWS) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new("INSERT INTO kpi_facts (kpi, month, dealer_code, region_code, numerator, denominator, reason, updated_at) ");
                    q.push_values(chunk, |mut b, f| {
                        let (n, d, reason) = fact_columns(&f.value);
                        b.push_bind(f.kpi).push_bind(f.month.index()).push_bind(&f.dealer_code).push_bind(&f.region_code).push_bind(n).push_bind(d).push_bind(reason).push_bind(f.updated_at);
                    });
                    q.push(
                        " ON CONFLICT (kpi, month, dealer_code) DO UPDATE SET region_code = excluded.region_code, numerator = excluded.numerator, \
                         denominator = excluded.denominator, reason = excluded.reason, updated_at = excluded.updated_at",
                    );
                    q.build().execute(&mut *conn).await?;
                }
                Ok(())
            }

            /// Recomputes facts from the stored reports, in the caller's transaction; returns how many
            /// changed (written or deleted).
            async fn recompute_in(conn: &mut <$Db as sqlx::Database>::Connection, dealer: Option<&str>, from: Month, to: Month, only: Option<&[i16]>, now: i64) -> StoreResult<u64> {
                let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT dealer_code, month, data FROM reports WHERE revision > 0 AND month >= ");
                q.push_bind(from.plus(-window()).index()).push(" AND month <= ").push_bind(to.index());
                if let Some(d) = dealer {
                    q.push(" AND dealer_code = ").push_bind(d);
                }
                q.push(" ORDER BY dealer_code, month");
                let rows = q.build().fetch_all(&mut *conn).await?;
                let mut by_dealer: Vec<(String, std::collections::BTreeMap<Month, Values>)> = Vec::new();
                for r in &rows {
                    let code: String = r.try_get("dealer_code")?;
                    let month = month_of(r.try_get("month")?)?;
                    let values = values_of(r.try_get("data")?)?;
                    match by_dealer.last_mut() {
                        Some((c, m)) if *c == code => {
                            m.insert(month, values);
                        }
                        _ => by_dealer.push((code, [(month, values)].into_iter().collect())),
                    }
                }
                let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT dealer_code, from_month, region_code FROM dealer_regions");
                if let Some(d) = dealer {
                    q.push(" WHERE dealer_code = ").push_bind(d);
                }
                let mut histories: std::collections::HashMap<String, Vec<RegionAssignment>> = std::collections::HashMap::new();
                for r in q.build().fetch_all(&mut *conn).await? {
                    let a = RegionAssignment { from: month_of(r.try_get("from_month")?)?, region_code: r.try_get("region_code")? };
                    histories.entry(r.try_get("dealer_code")?).or_default().push(a);
                }
                let params = Self::params_in(&mut *conn).await?;
                let mut facts: Vec<FactRow> = Vec::new();
                for (code, reports) in &by_dealer {
                    let history = histories.get(code).map(Vec::as_slice).unwrap_or_default();
                    let region = |m: Month| region_at(history, m).map(str::to_string);
                    for (month, fact) in kpi::dealer_facts(reports, from, to, &params, &region, only) {
                        let Some(region_code) = region(month) else { continue };
                        facts.push(FactRow { kpi: fact.kpi, month, dealer_code: code.clone(), region_code, value: fact.value, updated_at: now });
                    }
                }
                // Only what changed is written: an amendment usually moves a few KPIs, and
                // unchanged facts keep their `updated_at` for incremental pulls.
                let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT kpi, month, dealer_code, region_code, numerator, denominator, reason, updated_at FROM kpi_facts WHERE ");
                match dealer {
                    // One seek per (month, dealer) of the key.
                    Some(d) => {
                        q.push("dealer_code = ").push_bind(d).push(" AND month IN ");
                        Self::push_list(&mut q, months_of(from, to));
                    }
                    None => {
                        q.push("month >= ").push_bind(from.index()).push(" AND month <= ").push_bind(to.index());
                    }
                }
                if let Some(ids) = only {
                    q.push(" AND kpi IN ");
                    Self::push_list(&mut q, ids.iter().copied());
                }
                let mut stale: std::collections::HashMap<(i16, Month, String), FactRow> = std::collections::HashMap::new();
                for r in q.build().fetch_all(&mut *conn).await? {
                    let f = Self::fact_row(&r)?;
                    stale.insert((f.kpi, f.month, f.dealer_code.clone()), f);
                }
                facts.retain(|f| {
                    match stale.remove(&(f.kpi, f.month, f.dealer_code.clone())) {
                        Some(old) => old.value != f.value || old.region_code != f.region_code,
                        None => true,
                    }
                });
                // What is left of `stale` is no longer produced (a report or a region is gone).
                for (kpi, month, code) in stale.keys() {
                    sqlx::query("DELETE FROM kpi_facts WHERE kpi = $1 AND month = $2 AND dealer_code = $3")
                        .bind(*kpi)
                        .bind(month.index())
                        .bind(code)
                        .execute(&mut *conn)
                        .await?;
                }
                Self::insert_facts(&mut *conn, &facts).await?;
                Self::log_change(conn, ChangeKind::Facts, dealer, Some(from), Some(to)).await?;
                Ok((facts.len() + stale.len()) as u64)
            }

            /// Records a change in the caller's transaction.
            async fn log_change(conn: &mut <$Db as sqlx::Database>::Connection, kind: ChangeKind, dealer: Option<&str>, from: Option<Month>, to: Option<Month>) -> StoreResult<()> {
                let kind = match kind {
                    ChangeKind::Facts => "FACTS",
                    ChangeKind::Network => "NETWORK",
                };
                sqlx::query("INSERT INTO change_log (kind, dealer_code, from_month, to_month, changed_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(kind)
                    .bind(dealer)
                    .bind(from.map(Month::index))
                    .bind(to.map(Month::index))
                    .bind(chrono::Utc::now().timestamp_millis())
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn params_in(conn: &mut <$Db as sqlx::Database>::Connection) -> StoreResult<Vec<kpi::ParamValue>> {
                let rows = sqlx::query("SELECT name, year, region_code, value FROM oem_parameters ORDER BY name, year, region_code").fetch_all(&mut *conn).await?;
                rows.iter()
                    .filter_map(|r| {
                        let name: String = match r.try_get("name") {
                            Ok(n) => n,
                            Err(e) => return Some(Err(e.into())),
                        };
                        // Parameters this version does not know are ignored, not fatal.
                        let param = Param::parse(&name)?;
                        Some((|| Ok(kpi::ParamValue { param, year: r.try_get("year")?, region_code: r.try_get("region_code")?, value: r.try_get("value")? }))())
                    })
                    .collect()
            }

            /// `SELECT * FROM (SELECT <select>, region_code FROM dealers d ...) x WHERE <filter>`,
            /// optionally joined with the month's reports as `r`; callers append to it.
            fn dealer_query<'a>(select: &str, join_reports: bool, filter: &'a DealerFilter) -> sqlx::QueryBuilder<'a, $Db> {
                let month = filter.month.map_or(i32::MAX, Month::index);
                let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT * FROM (SELECT ");
                q.push(select);
                q.push(", (SELECT dr.region_code FROM dealer_regions dr WHERE dr.dealer_code = d.code AND dr.from_month <= ").push_bind(month);
                q.push(" ORDER BY dr.from_month DESC LIMIT 1) AS region_code FROM dealers d");
                if join_reports {
                    q.push(" LEFT JOIN reports r ON r.dealer_code = d.code AND r.month = ").push_bind(month);
                }
                q.push(" WHERE 1 = 1");
                if filter.active_only {
                    q.push(" AND d.opened_month <= ").push_bind(month);
                    q.push(" AND (d.closed_month IS NULL OR d.closed_month >= ").push_bind(month).push(")");
                }
                if let Some(code) = &filter.dealer {
                    q.push(" AND d.code = ").push_bind(code.as_str());
                }
                if let Some(term) = &filter.search {
                    let p = like_pattern(term);
                    q.push(" AND (LOWER(d.code) LIKE ").push_bind(p.clone()).push(" ESCAPE '\\'");
                    q.push(" OR LOWER(d.name) LIKE ").push_bind(p.clone()).push(" ESCAPE '\\'");
                    q.push(" OR LOWER(d.city) LIKE ").push_bind(p).push(" ESCAPE '\\')");
                }
                q.push(") x WHERE 1 = 1");
                if let Some(regions) = &filter.regions {
                    if regions.is_empty() {
                        q.push(" AND 1 = 0");
                    } else {
                        q.push(" AND x.region_code IN ");
                        Self::push_list(&mut q, regions.iter().map(|r| r.as_str()));
                    }
                }
                q
            }
        }

        #[async_trait]
        impl Store for $Store {
            fn backend(&self) -> Backend {
                $backend
            }

            async fn migrate(&self) -> StoreResult<()> {
                sqlx::migrate!($migrations).run(&self.pool).await?;
                Ok(())
            }

            async fn analyze(&self) -> StoreResult<()> {
                // Without statistics SQLite would answer a dealer's facts from the (kpi, month)
                // key, reading every dealer of those months. A sampled ANALYZE takes milliseconds.
                if $backend == Backend::Sqlite {
                    sqlx::query("PRAGMA analysis_limit = 400").execute(&self.pool).await?;
                }
                sqlx::query("ANALYZE").execute(&self.pool).await?;
                Ok(())
            }

            async fn has_statistics(&self) -> StoreResult<bool> {
                if $backend == Backend::Postgres {
                    return Ok(true);
                }
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").fetch_one(&self.pool).await?;
                Ok(n > 0)
            }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn setting_or_insert(&self, key: &str, default: &str) -> StoreResult<String> {
                sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                    .bind(key)
                    .bind(default)
                    .execute(&self.pool)
                    .await?;
                Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = $1").bind(key).fetch_one(&self.pool).await?)
            }

            async fn regions(&self) -> StoreResult<Vec<Region>> {
                let rows = sqlx::query("SELECT code, name FROM regions ORDER BY code").fetch_all(&self.pool).await?;
                rows.iter().map(|r| Ok(Region { code: r.try_get("code")?, name: r.try_get("name")? })).collect()
            }

            async fn create_region(&self, region: &Region) -> StoreResult<()> {
                let (_writer, mut tx) = self.begin_write().await?;
                sqlx::query("INSERT INTO regions (code, name) VALUES ($1, $2)")
                    .bind(&region.code)
                    .bind(&region.name)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| unique_as_conflict(e, || format!("region {} already exists", region.code)))?;
                Self::log_change(&mut tx, ChangeKind::Network, None, None, None).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn update_region(&self, region: &Region) -> StoreResult<()> {
                let (_writer, mut tx) = self.begin_write().await?;
                let done = sqlx::query("UPDATE regions SET name = $2 WHERE code = $1").bind(&region.code).bind(&region.name).execute(&mut *tx).await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound(format!("region {}", region.code)));
                }
                Self::log_change(&mut tx, ChangeKind::Network, None, None, None).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_dealer(&self, new: &NewDealer) -> StoreResult<()> {
                let d = &new.dealer;
                let (_writer, mut tx) = self.begin_write().await?;
                sqlx::query("INSERT INTO dealers (code, name, brand, province, city, size_tier, opened_month, closed_month) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(&d.code)
                    .bind(&d.name)
                    .bind(&d.brand)
                    .bind(&d.province)
                    .bind(&d.city)
                    .bind(d.size_tier.as_str())
                    .bind(d.opened.index())
                    .bind(d.closed.map(Month::index))
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| unique_as_conflict(e, || format!("dealer {} already exists", d.code)))?;
                sqlx::query("INSERT INTO dealer_regions (dealer_code, from_month, region_code) VALUES ($1, $2, $3)")
                    .bind(&d.code)
                    .bind(d.opened.index())
                    .bind(&new.region_code)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| unique_as_conflict(e, || format!("region {}", new.region_code)))?;
                Self::log_change(&mut tx, ChangeKind::Network, Some(&d.code), None, None).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn update_dealer(&self, d: &Dealer) -> StoreResult<()> {
                let (_writer, mut tx) = self.begin_write().await?;
                let done = sqlx::query("UPDATE dealers SET name = $2, brand = $3, province = $4, city = $5, size_tier = $6, opened_month = $7, closed_month = $8 WHERE code = $1")
                    .bind(&d.code)
                    .bind(&d.name)
                    .bind(&d.brand)
                    .bind(&d.province)
                    .bind(&d.city)
                    .bind(d.size_tier.as_str())
                    .bind(d.opened.index())
                    .bind(d.closed.map(Month::index))
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound(format!("dealer {}", d.code)));
                }
                Self::log_change(&mut tx, ChangeKind::Network, Some(&d.code), None, None).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn move_dealer(&self, code: &str, region_code: &str, from: Month, now: i64) -> StoreResult<()> {
                let (_writer, mut tx) = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO dealer_regions (dealer_code, from_month, region_code) VALUES ($1, $2, $3) \
                     ON CONFLICT (dealer_code, from_month) DO UPDATE SET region_code = excluded.region_code",
                )
                .bind(code)
                .bind(from.index())
                .bind(region_code)
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_as_conflict(e, || format!("dealer {code} or region {region_code}")))?;
                // Facts carry the region of their month (and regional parameters may differ).
                Self::recompute_in(&mut tx, Some(code), from, from.plus(1200), None, now).await?;
                Self::log_change(&mut tx, ChangeKind::Network, Some(code), None, None).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn params(&self) -> StoreResult<Vec<kpi::ParamValue>> {
                let mut conn = self.pool.acquire().await?;
                Self::params_in(&mut conn).await
            }

            async fn set_param(&self, v: &kpi::ParamValue, author: &str, now: i64) -> StoreResult<u64> {
                let (_writer, mut tx) = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO oem_parameters (name, year, region_code, value, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (name, year, region_code) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                )
                .bind(v.param.code())
                .bind(v.year)
                .bind(&v.region_code)
                .bind(v.value)
                .bind(now)
                .bind(author)
                .execute(&mut *tx)
                .await?;
                let affected: Vec<i16> = kpi::KPIS.iter().filter(|k| kpi::uses_param(k)).map(|k| k.id).collect();
                let year = Month::new(v.year, 1).ok_or_else(|| StoreError::Corrupt(format!("year {}", v.year)))?;
                let n = Self::recompute_in(&mut tx, None, year, year.plus(11), Some(&affected), now).await?;
                tx.commit().await?;
                Ok(n)
            }

            async fn load_facts(&self, rows: &[FactRow]) -> StoreResult<()> {
                let (_writer, mut tx) = self.begin_write().await?;
                Self::insert_facts(&mut tx, rows).await?;
                Self::log_change(&mut tx, ChangeKind::Facts, None, None, None).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn dealer_facts(&self, dealer: &str, from: Month, to: Month) -> StoreResult<Vec<FactRow>> {
                if from > to {
                    return Ok(vec![]);
                }
                // One seek per (month, dealer) of the key.
                let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT kpi, month, dealer_code, region_code, numerator, denominator, reason, updated_at FROM kpi_facts WHERE dealer_code = ");
                q.push_bind(dealer).push(" AND month IN ");
                Self::push_list(&mut q, months_of(from, to));
                q.push(" ORDER BY kpi, month");
                let rows = q.build().fetch_all(&self.pool).await?;
                rows.iter().map(Self::fact_row).collect()
            }

            async fn fact_page(&self, fq: &FactQuery) -> StoreResult<Vec<FactRow>> {
                let mut out = Vec::new();
                let (start_kpi, start_month, mut after_dealer) = match &fq.after {
                    Some((k, m, d)) => (*k, *m, d.clone()),
                    None => (i16::MIN, fq.from, String::new()),
                };
                for &kpi in fq.kpis.iter().filter(|&&k| k >= start_kpi) {
                    let first = if kpi == start_kpi { start_month.max(fq.from) } else { fq.from };
                    let Some(months) = MonthRange::new(first, fq.to) else { continue };
                    for month in months.months() {
                        let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT kpi, month, dealer_code, region_code, numerator, denominator, reason, updated_at FROM kpi_facts WHERE kpi = ");
                        q.push_bind(kpi).push(" AND month = ").push_bind(month.index()).push(" AND dealer_code > ").push_bind(after_dealer.clone());
                        if let Some(t) = fq.updated_since {
                            q.push(" AND updated_at >= ").push_bind(t);
                        }
                        if let Some(d) = &fq.dealer {
                            q.push(" AND dealer_code = ").push_bind(d.clone());
                        }
                        if let Some(rs) = &fq.regions {
                            if rs.is_empty() {
                                return Ok(vec![]);
                            }
                            q.push(" AND region_code IN ");
                            Self::push_list(&mut q, rs.iter().cloned());
                        }
                        q.push(" ORDER BY dealer_code LIMIT ").push_bind((fq.limit - out.len()) as i64);
                        for r in q.build().fetch_all(&self.pool).await? {
                            out.push(Self::fact_row(&r)?);
                        }
                        if out.len() >= fq.limit {
                            return Ok(out);
                        }
                        after_dealer.clear();
                    }
                }
                Ok(out)
            }

            async fn dealers_by_code(&self, codes: &[String]) -> StoreResult<Vec<Dealer>> {
                let mut q = sqlx::QueryBuilder::<$Db>::new(format!("SELECT {DEALER_COLUMNS} FROM dealers d WHERE d.code IN "));
                Self::push_list(&mut q, codes.iter().map(|c| c.as_str()));
                if codes.is_empty() {
                    return Ok(vec![]);
                }
                let rows = q.build().fetch_all(&self.pool).await?;
                rows.iter().map(Self::dealer_row).collect()
            }

            async fn region_histories(&self, codes: Option<&[String]>) -> StoreResult<Vec<(String, Vec<RegionAssignment>)>> {
                let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT dealer_code, from_month, region_code FROM dealer_regions");
                if let Some(codes) = codes {
                    if codes.is_empty() {
                        return Ok(vec![]);
                    }
                    q.push(" WHERE dealer_code IN ");
                    Self::push_list(&mut q, codes.iter().map(|c| c.as_str()));
                }
                q.push(" ORDER BY dealer_code, from_month");
                let rows = q.build().fetch_all(&self.pool).await?;
                let mut out: Vec<(String, Vec<RegionAssignment>)> = Vec::new();
                for r in &rows {
                    let code: String = r.try_get("dealer_code")?;
                    let a = RegionAssignment { from: month_of(r.try_get("from_month")?)?, region_code: r.try_get("region_code")? };
                    match out.last_mut() {
                        Some((c, list)) if *c == code => list.push(a),
                        _ => out.push((code, vec![a])),
                    }
                }
                Ok(out)
            }

            async fn list_dealers(&self, filter: &DealerFilter, after: Option<&str>, limit: i64) -> StoreResult<Vec<DealerInMonth>> {
                let mut q = Self::dealer_query(DEALER_COLUMNS, false, filter);
                if let Some(a) = after {
                    q.push(" AND x.code > ").push_bind(a);
                }
                q.push(" ORDER BY x.code LIMIT ").push_bind(limit);
                let rows = q.build().fetch_all(&self.pool).await?;
                rows.iter().map(|r| Ok(DealerInMonth { dealer: Self::dealer_row(r)?, region_code: r.try_get("region_code")? })).collect()
            }

            async fn count_dealers(&self) -> StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM dealers").fetch_one(&self.pool).await?)
            }

            async fn report(&self, dealer_code: &str, month: Month) -> StoreResult<Option<ReportRecord>> {
                let row = sqlx::query(&format!("SELECT {REPORT_COLUMNS} FROM reports WHERE dealer_code = $1 AND month = $2"))
                    .bind(dealer_code)
                    .bind(month.index())
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::report_row).transpose()
            }

            async fn submitted_values(&self, dealer_code: &str, from: Month, to: Month) -> StoreResult<Vec<(Month, Values)>> {
                let rows = sqlx::query("SELECT month, data FROM reports WHERE dealer_code = $1 AND month >= $2 AND month <= $3 AND revision > 0 ORDER BY month")
                    .bind(dealer_code)
                    .bind(from.index())
                    .bind(to.index())
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|r| Ok((month_of(r.try_get("month")?)?, values_of(r.try_get("data")?)?))).collect()
            }

            async fn save_draft(&self, dealer_code: &str, month: Month, values: &Values, author: &str, now: i64) -> StoreResult<ReportRecord> {
                let (_writer, mut tx) = self.begin_write().await?;
                let row = sqlx::query(&format!(
                    "INSERT INTO reports ({REPORT_COLUMNS}) VALUES ($1, $2, 'DRAFT', 0, $3, '[]', FALSE, NULL, $4, $5) \
                     ON CONFLICT (dealer_code, month) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at, updated_by = excluded.updated_by \
                     WHERE reports.revision = 0 RETURNING {REPORT_COLUMNS}"
                ))
                .bind(dealer_code)
                .bind(month.index())
                .bind(values.to_json())
                .bind(now)
                .bind(author)
                .fetch_optional(&mut *tx)
                .await?;
                tx.commit().await?;
                match row {
                    Some(r) => Self::report_row(&r),
                    None => Err(StoreError::Conflict(format!(
                        "the report of {dealer_code} for {month} has already been submitted; amend it with amendMonthlyReport instead of saving a draft"
                    ))),
                }
            }

            async fn add_revision(&self, rev: &NewRevision) -> StoreResult<ReportRecord> {
                let next = rev.expected_revision + 1;
                let data = rev.values.to_json();
                let warnings = warnings_json(&rev.warnings);
                let (_writer, mut tx) = self.begin_write().await?;
                // The conditional UPDATE is the first statement so that SQLite takes its write lock at once.
                let updated = sqlx::query(
                    "UPDATE reports SET status = $3, revision = revision + 1, data = $4, warnings = $5, \
                     late = CASE WHEN first_submitted_at IS NULL THEN $6 ELSE late END, \
                     first_submitted_at = COALESCE(first_submitted_at, $7), updated_at = $7, updated_by = $8 \
                     WHERE dealer_code = $1 AND month = $2 AND revision = $9",
                )
                .bind(&rev.dealer_code)
                .bind(rev.month.index())
                .bind(rev.status.as_str())
                .bind(&data)
                .bind(&warnings)
                .bind(rev.late)
                .bind(rev.now)
                .bind(&rev.author)
                .bind(rev.expected_revision)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let stale = || format!("the report of {} for {} is no longer at revision {}", rev.dealer_code, rev.month, rev.expected_revision);
                let conflict = || StoreError::Conflict(stale());
                if updated == 0 {
                    if rev.expected_revision != 0 {
                        return Err(conflict());
                    }
                    let inserted = sqlx::query(&format!(
                        "INSERT INTO reports ({REPORT_COLUMNS}) VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $7, $8) ON CONFLICT (dealer_code, month) DO NOTHING"
                    ))
                    .bind(&rev.dealer_code)
                    .bind(rev.month.index())
                    .bind(rev.status.as_str())
                    .bind(&data)
                    .bind(&warnings)
                    .bind(rev.late)
                    .bind(rev.now)
                    .bind(&rev.author)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if inserted == 0 {
                        return Err(conflict());
                    }
                }
                sqlx::query(
                    "INSERT INTO report_revisions (dealer_code, month, revision, status, data, warnings, author, reason, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&rev.dealer_code)
                .bind(rev.month.index())
                .bind(next)
                .bind(rev.status.as_str())
                .bind(&data)
                .bind(&warnings)
                .bind(&rev.author)
                .bind(rev.reason.as_deref())
                .bind(rev.now)
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_as_conflict(e, stale))?;
                let row = sqlx::query(&format!("SELECT {REPORT_COLUMNS} FROM reports WHERE dealer_code = $1 AND month = $2"))
                    .bind(&rev.dealer_code)
                    .bind(rev.month.index())
                    .fetch_one(&mut *tx)
                    .await?;
                let record = Self::report_row(&row)?;
                // The KPIs of this month, and of the later months whose windows reach back to it.
                Self::recompute_in(&mut tx, Some(&rev.dealer_code), rev.month, rev.month.plus(window()), None, rev.facts_at).await?;
                tx.commit().await?;
                Ok(record)
            }

            async fn revisions(&self, dealer_code: &str, month: Month) -> StoreResult<Vec<Revision>> {
                let rows = sqlx::query(
                    "SELECT revision, status, data, warnings, author, reason, created_at FROM report_revisions \
                     WHERE dealer_code = $1 AND month = $2 ORDER BY revision",
                )
                .bind(dealer_code)
                .bind(month.index())
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(Revision {
                            revision: r.try_get("revision")?,
                            status: status_of(r.try_get("status")?)?,
                            values: values_of(r.try_get("data")?)?,
                            warnings: warnings_of(r.try_get("warnings")?)?,
                            author: r.try_get("author")?,
                            reason: r.try_get("reason")?,
                            created_at: r.try_get("created_at")?,
                        })
                    })
                    .collect()
            }

            async fn submission_status(&self, month: Month, filter: &DealerFilter) -> StoreResult<Vec<StatusRow>> {
                let filter = DealerFilter { month: Some(month), active_only: true, ..filter.clone() };
                let mut q = Self::dealer_query("d.code, d.name, r.status, r.revision, r.late, r.first_submitted_at", true, &filter);
                q.push(" ORDER BY x.code");
                let rows = q.build().fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| {
                        let status: Option<String> = r.try_get("status")?;
                        Ok(StatusRow {
                            dealer_code: r.try_get("code")?,
                            dealer_name: r.try_get("name")?,
                            region_code: r.try_get("region_code")?,
                            status: status.as_deref().map(status_of).transpose()?,
                            revision: r.try_get::<Option<i32>, _>("revision")?.unwrap_or(0),
                            late: r.try_get::<Option<bool>, _>("late")?.unwrap_or(false),
                            first_submitted_at: r.try_get("first_submitted_at")?,
                        })
                    })
                    .collect()
            }

            async fn changes_since(&self, after: i64, also: &[i64]) -> StoreResult<Vec<Change>> {
                let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT seq, kind, dealer_code, from_month, to_month FROM change_log WHERE seq > ");
                q.push_bind(after);
                if !also.is_empty() {
                    q.push(" OR seq IN ");
                    Self::push_list(&mut q, also.iter().copied());
                }
                q.push(" ORDER BY seq");
                let rows = q.build().fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| {
                        let kind: String = r.try_get("kind")?;
                        Ok(Change {
                            seq: r.try_get("seq")?,
                            kind: if kind == "NETWORK" { ChangeKind::Network } else { ChangeKind::Facts },
                            dealer_code: r.try_get("dealer_code")?,
                            from: r.try_get::<Option<i32>, _>("from_month")?.map(month_of).transpose()?,
                            to: r.try_get::<Option<i32>, _>("to_month")?.map(month_of).transpose()?,
                        })
                    })
                    .collect()
            }

            async fn last_change(&self) -> StoreResult<i64> {
                Ok(sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(seq) FROM change_log").fetch_one(&self.pool).await?.unwrap_or(0))
            }

            async fn month_facts(&self, month: Month, sink: &mut MonthFactSink<'_>) -> StoreResult<u64> {
                use futures_util::TryStreamExt;
                // One range of the (month, dealer, kpi) key.
                let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT kpi, dealer_code, numerator, denominator, reason, updated_at FROM kpi_facts WHERE month = ");
                q.push_bind(month.index());
                let query = q.build();
                let mut rows = query.fetch(&self.pool);
                let mut n = 0;
                while let Some(r) = rows.try_next().await? {
                    let dealer: &str = r.try_get("dealer_code")?;
                    let value = fact_value(r.try_get("numerator")?, r.try_get("denominator")?, r.try_get("reason")?)?;
                    sink(r.try_get("kpi")?, dealer, value, r.try_get("updated_at")?);
                    n += 1;
                }
                Ok(n)
            }

            async fn load_network(&self, regions: &[Region], dealers: &[NewDealer], moves: &[(String, String, Month)]) -> StoreResult<()> {
                let (_writer, mut tx) = self.begin_write().await?;
                for chunk in regions.chunks(BULK_ROWS) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new("INSERT INTO regions (code, name) ");
                    q.push_values(chunk, |mut b, r| {
                        b.push_bind(&r.code).push_bind(&r.name);
                    });
                    q.push(" ON CONFLICT (code) DO NOTHING");
                    q.build().execute(&mut *tx).await?;
                }
                for chunk in dealers.chunks(BULK_ROWS) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new("INSERT INTO dealers (code, name, brand, province, city, size_tier, opened_month, closed_month) ");
                    q.push_values(chunk, |mut b, n| {
                        let d = &n.dealer;
                        b.push_bind(&d.code)
                            .push_bind(&d.name)
                            .push_bind(&d.brand)
                            .push_bind(&d.province)
                            .push_bind(&d.city)
                            .push_bind(d.size_tier.as_str())
                            .push_bind(d.opened.index())
                            .push_bind(d.closed.map(Month::index));
                    });
                    q.push(" ON CONFLICT (code) DO NOTHING");
                    q.build().execute(&mut *tx).await?;
                    let mut q = sqlx::QueryBuilder::<$Db>::new("INSERT INTO dealer_regions (dealer_code, from_month, region_code) ");
                    q.push_values(chunk, |mut b, n| {
                        b.push_bind(&n.dealer.code).push_bind(n.dealer.opened.index()).push_bind(&n.region_code);
                    });
                    q.push(" ON CONFLICT (dealer_code, from_month) DO NOTHING");
                    q.build().execute(&mut *tx).await?;
                }
                Self::log_change(&mut tx, ChangeKind::Network, None, None, None).await?;
                for chunk in moves.chunks(BULK_ROWS) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new("INSERT INTO dealer_regions (dealer_code, from_month, region_code) ");
                    q.push_values(chunk, |mut b, (code, region, from)| {
                        b.push_bind(code).push_bind(from.index()).push_bind(region);
                    });
                    q.push(" ON CONFLICT (dealer_code, from_month) DO NOTHING");
                    q.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn put_param_if_absent(&self, v: &kpi::ParamValue, author: &str, now: i64) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO oem_parameters (name, year, region_code, value, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (name, year, region_code) DO NOTHING",
                )
                .bind(v.param.code())
                .bind(v.year)
                .bind(&v.region_code)
                .bind(v.value)
                .bind(now)
                .bind(author)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn load_reports(&self, reports: &[BulkReport]) -> StoreResult<Vec<(String, Month)>> {
                let (_writer, mut tx) = self.begin_write().await?;
                let mut inserted = Vec::new();
                for chunk in reports.chunks(BULK_ROWS) {
                    let rows: Vec<(&BulkReport, String, String)> = chunk.iter().map(|r| (r, r.values.to_json(), warnings_json(&r.warnings))).collect();
                    let mut q = sqlx::QueryBuilder::<$Db>::new(format!("INSERT INTO reports ({REPORT_COLUMNS}) "));
                    q.push_values(&rows, |mut b, (r, data, warnings)| {
                        b.push_bind(&r.dealer_code)
                            .push_bind(r.month.index())
                            .push_bind(r.status.as_str())
                            .push_bind(1_i32)
                            .push_bind(data)
                            .push_bind(warnings)
                            .push_bind(r.late)
                            .push_bind(r.submitted_at)
                            .push_bind(r.submitted_at)
                            .push_bind(&r.author);
                    });
                    q.push(" ON CONFLICT (dealer_code, month) DO NOTHING RETURNING dealer_code, month");
                    for r in q.build().fetch_all(&mut *tx).await? {
                        inserted.push((r.try_get("dealer_code")?, month_of(r.try_get("month")?)?));
                    }
                    let mut q = sqlx::QueryBuilder::<$Db>::new("INSERT INTO report_revisions (dealer_code, month, revision, status, data, warnings, author, reason, created_at) ");
                    q.push_values(&rows, |mut b, (r, data, warnings)| {
                        b.push_bind(&r.dealer_code)
                            .push_bind(r.month.index())
                            .push_bind(1_i32)
                            .push_bind(r.status.as_str())
                            .push_bind(data)
                            .push_bind(warnings)
                            .push_bind(&r.author)
                            .push_bind(None::<String>)
                            .push_bind(r.submitted_at);
                    });
                    q.push(" ON CONFLICT (dealer_code, month, revision) DO NOTHING");
                    q.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(inserted)
            }
        }
    };
}

sql_store!(
    SqliteStore,
    sqlx::Sqlite,
    SqliteRow,
    Backend::Sqlite,
    "migrations/sqlite"
);
sql_store!(
    PgStore,
    sqlx::Postgres,
    PgRow,
    Backend::Postgres,
    "migrations/postgres"
);
