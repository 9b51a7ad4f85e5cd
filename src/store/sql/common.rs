//! Helpers shared by every part of the SQL store: row mappers, bound lists, fact writes
//! and recomputation, the change log.

use super::*;

macro_rules! common_sql {
    ($Store:ident, $Db:ty, $Row:ty, $backend:expr) => {
        impl $Store {
            pub(super) fn dealer_row(r: &$Row) -> StoreResult<Dealer> {
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

            pub(super) fn report_row(r: &$Row) -> StoreResult<ReportRecord> {
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
            pub(super) fn push_list<'a, T>(q: &mut sqlx::QueryBuilder<'a, $Db>, values: impl Iterator<Item = T>)
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

            pub(super) fn fact_row(r: &$Row) -> StoreResult<FactRow> {
                Ok(FactRow {
                    kpi: r.try_get("kpi")?,
                    month: month_of(r.try_get("month")?)?,
                    dealer_code: r.try_get("dealer_code")?,
                    region_code: r.try_get("region_code")?,
                    value: fact_value(r.try_get("numerator")?, r.try_get("denominator")?, r.try_get("reason")?)?,
                    updated_at: r.try_get("updated_at")?,
                })
            }

            /// Recomputes facts from the stored reports, in the caller's transaction; returns how many
            /// changed (written or deleted).
            ///
            /// `dealers`: whose facts (`None`: every dealer's); each of them gets a change-log
            /// entry of its own, so that caches reload those dealers only.
            pub(super) async fn recompute_in(conn: &mut <$Db as sqlx::Database>::Connection, dealers: Option<&[String]>, from: Month, to: Month, only: Option<&[i16]>, holds: Holds, now: i64, seen: Option<&SeenReports>) -> StoreResult<u64> {
                if dealers.is_some_and(|ds| ds.is_empty()) {
                    return Ok(0);
                }
                Self::lock_facts(&mut *conn, dealers.is_none()).await?;
                Self::recompute_locked_in(conn, dealers, from, to, only, holds, now, seen).await
            }

            /// [`recompute_in`](Self::recompute_in) in a transaction that holds the facts lock
            /// already (begun by `begin_fact_write`).
            pub(super) async fn recompute_locked_in(conn: &mut <$Db as sqlx::Database>::Connection, dealers: Option<&[String]>, from: Month, to: Month, only: Option<&[i16]>, holds: Holds, now: i64, seen: Option<&SeenReports>) -> StoreResult<u64> {
                if dealers.is_some_and(|ds| ds.is_empty()) {
                    return Ok(0);
                }
                if let Some(ds) = dealers {
                    Self::lock_dealers(&mut *conn, ds).await?;
                }
                let first = from.plus(-window());
                let seen = seen.zip(dealers);
                let RecomputeInputs { histories, params, targets, revisions } = Self::recompute_inputs(&mut *conn, dealers, from, to, seen.map(|_| first)).await?;
                let by_dealer = match seen.and_then(|(seen, ds)| seen_if_current(seen, ds, first, to, &revisions)) {
                    Some(window) => window,
                    None => Self::submitted_window(&mut *conn, dealers, first, to).await?,
                };
                let mut facts: Vec<FactRow> = Vec::new();
                for (code, reports) in &by_dealer {
                    let history = histories.get(code).map(Vec::as_slice).unwrap_or_default();
                    let region = |m: Month| region_at(history, m).map(str::to_string);
                    let target = |m: Month, i: TargetItem| targets.get(&(code.clone(), m, i)).copied();
                    for (month, fact) in kpi::dealer_facts(reports, from, to, &params, &region, &target, only) {
                        let Some(region_code) = region(month) else { continue };
                        facts.push(FactRow { kpi: fact.kpi, month, dealer_code: code.clone(), region_code, value: fact.value, updated_at: now });
                    }
                }
                // Only what changed is written: an amendment usually moves a few KPIs, and
                // unchanged facts keep their `updated_at` for incremental pulls.
                let stored = match dealers {
                    Some(ds) => Self::facts_of_dealers(&mut *conn, ds, from, to, only).await?,
                    None => {
                        let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT kpi, month, dealer_code, region_code, numerator, denominator, reason, updated_at FROM kpi_facts WHERE month >= ");
                        q.push_bind(from.index()).push(" AND month <= ").push_bind(to.index());
                        if let Some(ids) = only {
                            q.push(" AND kpi IN ");
                            Self::push_list(&mut q, ids.iter().copied());
                        }
                        q.build().fetch_all(&mut *conn).await?.iter().map(Self::fact_row).collect::<StoreResult<Vec<_>>>()?
                    }
                };
                let mut stale: std::collections::HashMap<(i16, Month, String), FactRow> = std::collections::HashMap::new();
                for f in stored {
                    stale.insert((f.kpi, f.month, f.dealer_code.clone()), f);
                }
                // What dealers were shown of a published month stays as it was (held) until
                // the month is republished: keep each changed fact's old value.
                let mut held: Vec<HeldFact> = Vec::new();
                // Facts not stored yet are inserted; changed ones replaced.
                let (mut fresh, mut replaced) = (Vec::new(), Vec::new());
                for f in facts {
                    match stale.remove(&(f.kpi, f.month, f.dealer_code.clone())) {
                        Some(old) if old.value == f.value => {
                            if old.region_code != f.region_code {
                                replaced.push(f);
                            }
                        }
                        old => {
                            held.push(HeldFact { month: f.month, dealer_code: f.dealer_code.clone(), kpi: f.kpi, value: old.as_ref().map(|o| o.value) });
                            if old.is_some() { replaced.push(f) } else { fresh.push(f) }
                        }
                    }
                }
                // What is left of `stale` is no longer produced (a report or a region is gone).
                for (kpi, month, code) in stale.keys() {
                    sqlx::query("DELETE FROM kpi_facts WHERE kpi = $1 AND month = $2 AND dealer_code = $3")
                        .bind(*kpi)
                        .bind(month.index())
                        .bind(code)
                        .execute(&mut *conn)
                        .await?;
                }
                held.extend(stale.into_values().map(|old| HeldFact { month: old.month, dealer_code: old.dealer_code, kpi: old.kpi, value: Some(old.value) }));
                let changed = replaced.len() + fresh.len() + held.iter().filter(|h| h.value.is_some()).count();
                if let (Holds::WhereHeld, Some(ds)) = (holds, dealers) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT DISTINCT dealer_code, month FROM published_holds WHERE dealer_code IN ");
                    Self::push_list(&mut q, ds.iter());
                    let mut months: std::collections::HashSet<(String, i32)> = std::collections::HashSet::new();
                    for r in q.build().fetch_all(&mut *conn).await? {
                        months.insert((r.try_get("dealer_code")?, r.try_get("month")?));
                    }
                    held.retain(|h| months.contains(&(h.dealer_code.clone(), h.month.index())));
                }
                Self::hold_published_in(&mut *conn, held).await?;
                Self::insert_facts(&mut *conn, &fresh, FactWrite::New).await?;
                Self::insert_facts(&mut *conn, &replaced, FactWrite::Replace).await?;
                match dealers {
                    Some(ds) => Self::log_changes(conn, ChangeKind::Facts, ds, Some(from), Some(to)).await?,
                    None => Self::log_change(conn, ChangeKind::Facts, None, Some(from), Some(to)).await?,
                }
                Ok(changed as u64)
            }

            /// The submitted reports of `dealers` (`None`: all) in `first..=to`, by dealer.
            async fn submitted_window(conn: &mut <$Db as sqlx::Database>::Connection, dealers: Option<&[String]>, first: Month, to: Month) -> StoreResult<ReportWindow> {
                let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT dealer_code, month, data FROM reports WHERE revision > 0 AND month >= ");
                q.push_bind(first.index()).push(" AND month <= ").push_bind(to.index());
                if let Some(ds) = dealers {
                    q.push(" AND dealer_code IN ");
                    Self::push_list(&mut q, ds.iter());
                }
                q.push(" ORDER BY dealer_code, month");
                let mut window: ReportWindow = Vec::new();
                for r in &q.build().fetch_all(&mut *conn).await? {
                    let code: String = r.try_get("dealer_code")?;
                    let month = month_of(r.try_get("month")?)?;
                    let values = values_of(r.try_get("data")?)?;
                    match window.last_mut() {
                        Some((c, m)) if *c == code => {
                            m.insert(month, values);
                        }
                        _ => window.push((code, [(month, values)].into_iter().collect())),
                    }
                }
                Ok(window)
            }

            /// Inserts or replaces facts in the caller's transaction, holding the published
            /// values of facts of published months (a load into a month already published,
            /// e.g. a re-run after an interruption).
            pub(super) async fn write_facts_in(conn: &mut <$Db as sqlx::Database>::Connection, rows: &[FactRow]) -> StoreResult<()> {
                Self::lock_facts(&mut *conn, false).await?;
                let months: std::collections::BTreeSet<Month> = rows.iter().map(|f| f.month).collect();
                let published = Self::published_among(&mut *conn, &months).await?;
                if !published.is_empty() {
                    let mut held = Vec::new();
                    let targets: std::collections::BTreeSet<(Month, &str)> = rows.iter().filter(|f| published.contains(&f.month)).map(|f| (f.month, f.dealer_code.as_str())).collect();
                    for (month, dealer) in targets {
                        let old: std::collections::HashMap<i16, FactValue> = sqlx::query("SELECT kpi, month, dealer_code, region_code, numerator, denominator, reason, updated_at FROM kpi_facts WHERE month = $1 AND dealer_code = $2")
                            .bind(month.index())
                            .bind(dealer)
                            .fetch_all(&mut *conn)
                            .await?
                            .iter()
                            .map(|r| Self::fact_row(r).map(|f| (f.kpi, f.value)))
                            .collect::<StoreResult<_>>()?;
                        for f in rows.iter().filter(|f| f.month == month && f.dealer_code == dealer) {
                            let before = old.get(&f.kpi).copied();
                            if before != Some(f.value) {
                                held.push(HeldFact { month, dealer_code: dealer.to_string(), kpi: f.kpi, value: before });
                            }
                        }
                    }
                    Self::hold_published_in(&mut *conn, held).await?;
                }
                Self::insert_facts(&mut *conn, rows, FactWrite::Replace).await?;
                Ok(())
            }

            /// Takes the lock every fact writer holds (PostgreSQL: `ROW EXCLUSIVE` on
            /// `kpi_facts`, which a publication's `SHARE` lock waits for and excludes), so that
            /// which months are published cannot change under the writer; a writer of
            /// `every_dealer`'s facts takes `SHARE ROW EXCLUSIVE`, so that no writer of some
            /// dealers' facts runs meanwhile (they lock their dealers only). SQLite has one
            /// writer at a time anyway.
            pub(super) async fn lock_facts(conn: &mut <$Db as sqlx::Database>::Connection, every_dealer: bool) -> StoreResult<()> {
                if $backend == Backend::Postgres {
                    let sql = if every_dealer { LOCK_FACTS_FOR_NETWORK } else { LOCK_FACTS_FOR_DEALERS };
                    sqlx::query(sql).execute(&mut *conn).await?;
                }
                Ok(())
            }

            /// PostgreSQL: waits for every other writer of these dealers' facts to commit, and
            /// keeps new ones waiting until the caller does (a lock per dealer, taken in one
            /// order by every writer). Without it, two writes of one dealer's different months
            /// at once would each recompute the months both reach without the other's report,
            /// and the later commit would leave facts missing the earlier's change. It comes
            /// before the recomputation reads anything: each statement after it sees what the
            /// writers before committed.
            async fn lock_dealers(conn: &mut <$Db as sqlx::Database>::Connection, dealers: &[String]) -> StoreResult<()> {
                if $backend != Backend::Postgres || dealers.is_empty() {
                    return Ok(());
                }
                let mut q = sqlx::QueryBuilder::<$Db>::new(
                    "SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(current_schema() || '/' || code, 0) AS k FROM dealers WHERE code IN ",
                );
                Self::push_list(&mut q, dealers.iter());
                q.push(" ORDER BY 1) AS d");
                q.build().execute(&mut *conn).await?;
                Ok(())
            }

            /// Waits for every fact writer in flight and keeps new ones out until the caller
            /// commits (a publication: its snapshot must be the facts as they are).
            pub(super) async fn lock_facts_for_publication(conn: &mut <$Db as sqlx::Database>::Connection) -> StoreResult<()> {
                if $backend == Backend::Postgres {
                    sqlx::query("LOCK TABLE kpi_facts IN SHARE MODE").execute(&mut *conn).await?;
                }
                Ok(())
            }

            /// Which of `months` are published.
            pub(super) async fn published_among(conn: &mut <$Db as sqlx::Database>::Connection, months: &std::collections::BTreeSet<Month>) -> StoreResult<std::collections::BTreeSet<Month>> {
                if months.is_empty() {
                    return Ok(Default::default());
                }
                let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT month FROM publications WHERE version > 0 AND month IN ");
                Self::push_list(&mut q, months.iter().map(|m| m.index()));
                let rows = q.build().fetch_all(&mut *conn).await?;
                rows.iter().map(|r| month_of(r.try_get("month")?)).collect()
            }

            /// Keeps the published value of each fact about to change in a published month
            /// (the first hold of a fact wins: it is what was published).
            pub(super) async fn hold_published_in(conn: &mut <$Db as sqlx::Database>::Connection, held: Vec<HeldFact>) -> StoreResult<()> {
                // Only months published count. A report's few holds go in one statement that
                // checks that itself; a bulk load's many (most of them in months not published)
                // are filtered first rather than sent for nothing.
                let held = if held.len() > BULK_ROWS {
                    let months: std::collections::BTreeSet<Month> = held.iter().map(|h| h.month).collect();
                    let published = Self::published_among(&mut *conn, &months).await?;
                    held.into_iter().filter(|h| published.contains(&h.month)).collect()
                } else {
                    held
                };
                for chunk in held.chunks(BULK_ROWS) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new("WITH h (month, dealer_code, kpi, present, numerator, denominator, reason) AS (");
                    q.push_values(chunk, |mut b, h| {
                        let (n, d, reason) = h.value.as_ref().map_or((None, None, None), fact_columns);
                        b.push_bind(h.month.index()).push_bind(&h.dealer_code).push_bind(h.kpi).push_bind(h.value.is_some()).push_bind(n).push_bind(d).push_bind(reason);
                    });
                    q.push(") INSERT INTO published_holds (month, dealer_code, kpi, present, numerator, denominator, reason) \
                            SELECT * FROM h WHERE h.month IN (SELECT month FROM publications WHERE version > 0) \
                            ON CONFLICT (month, dealer_code, kpi) DO NOTHING");
                    q.build().execute(&mut *conn).await?;
                }
                Ok(())
            }

            pub(super) fn held_row(r: &$Row) -> StoreResult<HeldFact> {
                let present: bool = r.try_get("present")?;
                Ok(HeldFact {
                    month: month_of(r.try_get("month")?)?,
                    dealer_code: r.try_get("dealer_code")?,
                    kpi: r.try_get("kpi")?,
                    value: if present { Some(fact_value(r.try_get("numerator")?, r.try_get("denominator")?, r.try_get("reason")?)?) } else { None },
                })
            }

            /// Records a change in the caller's transaction.
            pub(super) async fn log_change(conn: &mut <$Db as sqlx::Database>::Connection, kind: ChangeKind, dealer: Option<&str>, from: Option<Month>, to: Option<Month>) -> StoreResult<()> {
                let kind = kind.as_str();
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

            /// Records the same change for each of `dealers`, in the caller's transaction.
            pub(super) async fn log_changes(conn: &mut <$Db as sqlx::Database>::Connection, kind: ChangeKind, dealers: &[String], from: Option<Month>, to: Option<Month>) -> StoreResult<()> {
                let at = chrono::Utc::now().timestamp_millis();
                for chunk in dealers.chunks(BULK_ROWS) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new("INSERT INTO change_log (kind, dealer_code, from_month, to_month, changed_at) ");
                    q.push_values(chunk, |mut b, d| {
                        b.push_bind(kind.as_str()).push_bind(d).push_bind(from.map(Month::index)).push_bind(to.map(Month::index)).push_bind(at);
                    });
                    q.build().execute(&mut *conn).await?;
                }
                Ok(())
            }

            /// What a recomputation reads besides the reports, in one statement: the region
            /// histories of `dealers` (`None`: all), the OEM's parameters, the approved phased
            /// targets of `from..=to`, and with `revisions_from` the revisions of the dealers'
            /// submitted reports from then to `to`.
            async fn recompute_inputs(conn: &mut <$Db as sqlx::Database>::Connection, dealers: Option<&[String]>, from: Month, to: Month, revisions_from: Option<Month>) -> StoreResult<RecomputeInputs> {
                let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT 'region' AS part, dealer_code AS code, from_month AS n, region_code AS name, NULL AS value FROM dealer_regions");
                if let Some(ds) = dealers {
                    q.push(" WHERE dealer_code IN ");
                    Self::push_list(&mut q, ds.iter());
                }
                q.push(" UNION ALL SELECT 'param', region_code, year, name, value FROM oem_parameters");
                q.push(" UNION ALL SELECT 'target', dealer_code, month, item, value FROM target_months WHERE month >= ");
                q.push_bind(from.index()).push(" AND month <= ").push_bind(to.index());
                if let Some(ds) = dealers {
                    q.push(" AND dealer_code IN ");
                    Self::push_list(&mut q, ds.iter());
                }
                if let (Some(first), Some(ds)) = (revisions_from, dealers) {
                    q.push(" UNION ALL SELECT 'revision', dealer_code, month, '', revision FROM reports WHERE revision > 0 AND month >= ");
                    q.push_bind(first.index()).push(" AND month <= ").push_bind(to.index()).push(" AND dealer_code IN ");
                    Self::push_list(&mut q, ds.iter());
                }
                let mut out = RecomputeInputs::default();
                for r in q.build().fetch_all(&mut *conn).await? {
                    let (part, code, n, name): (String, String, i32, String) = (r.try_get("part")?, r.try_get("code")?, r.try_get("n")?, r.try_get("name")?);
                    match part.as_str() {
                        "region" => out.histories.entry(code).or_default().push(RegionAssignment { from: month_of(n)?, region_code: name }),
                        "param" => out.params.extend(param_of(&name, n, code, r.try_get("value")?)),
                        "revision" => {
                            let revision: i64 = r.try_get("value")?;
                            out.revisions.insert((code, n), i32::try_from(revision).map_err(|_| StoreError::Corrupt(format!("revision {revision}")))?);
                        }
                        _ => {
                            let item = TargetItem::parse(&name).ok_or_else(|| StoreError::Corrupt(format!("target item {name}")))?;
                            out.targets.insert((code, month_of(n)?, item), r.try_get("value")?);
                        }
                    }
                }
                Ok(out)
            }

            pub(super) async fn params_in(conn: &mut <$Db as sqlx::Database>::Connection) -> StoreResult<Vec<kpi::ParamValue>> {
                let rows = sqlx::query("SELECT name, year, region_code, value FROM oem_parameters ORDER BY name, year, region_code").fetch_all(&mut *conn).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    out.extend(param_of(&r.try_get::<String, _>("name")?, r.try_get("year")?, r.try_get("region_code")?, r.try_get("value")?));
                }
                Ok(out)
            }

            /// `SELECT * FROM (SELECT <select>, region_code FROM dealers d ...) x WHERE <filter>`,
            /// optionally joined with the month's reports as `r`; callers append to it.
            pub(super) fn dealer_query<'a>(select: &str, join_reports: bool, filter: &'a DealerFilter) -> sqlx::QueryBuilder<'a, $Db> {
                Self::dealer_query_with("*", select, join_reports, filter)
            }

            /// [`Self::dealer_query`] with the outer select (`COUNT(*)` to count).
            pub(super) fn dealer_query_with<'a>(outer: &str, select: &str, join_reports: bool, filter: &'a DealerFilter) -> sqlx::QueryBuilder<'a, $Db> {
                let month = filter.month.map_or(i32::MAX, Month::index);
                let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT ");
                q.push(outer);
                q.push(" FROM (SELECT ");
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
    };
}

common_sql!(SqliteStore, sqlx::Sqlite, SqliteRow, Backend::Sqlite);
common_sql!(PgStore, sqlx::Postgres, PgRow, Backend::Postgres);

/// What the writer saw of `dealers`' submitted reports in `first..=to`, if every revision
/// there is still the one it saw (`stored`: the revisions there now, by dealer and month
/// index): the reports need not be read and parsed again.
fn seen_if_current(
    seen: &SeenReports,
    dealers: &[String],
    first: Month,
    to: Month,
    stored: &std::collections::HashMap<(String, i32), i32>,
) -> Option<ReportWindow> {
    let mut window = Vec::with_capacity(dealers.len());
    let mut matched = 0;
    for d in dealers {
        let mut months = std::collections::BTreeMap::new();
        for (m, (revision, values)) in seen
            .0
            .get(d)
            .into_iter()
            .flatten()
            .filter(|(m, _)| **m >= first && **m <= to)
        {
            if stored.get(&(d.clone(), m.index())) != Some(revision) {
                return None;
            }
            matched += 1;
            months.insert(*m, values.clone());
        }
        if !months.is_empty() {
            window.push((d.clone(), months));
        }
    }
    (matched == stored.len()).then_some(window)
}
