//! Published months: membership snapshots, held facts, the schedule and the history of
//! (re)publications.

use super::*;

/// The dealers active in month `$1` with their region then and their peer group now.
const LIVE_MEMBERS: &str = "SELECT * FROM (SELECT d.code AS dealer_code, d.brand, d.size_tier, \
     (SELECT dr.region_code FROM dealer_regions dr WHERE dr.dealer_code = d.code AND dr.from_month <= $1 \
      ORDER BY dr.from_month DESC LIMIT 1) AS region_code \
     FROM dealers d WHERE d.opened_month <= $1 AND (d.closed_month IS NULL OR d.closed_month >= $1)) x \
     WHERE x.region_code IS NOT NULL";

macro_rules! publication_sql {
    ($Store:ident, $Db:ty, $Row:ty, $backend:expr) => {
        impl $Store {
            pub(super) fn member_row(r: &$Row) -> StoreResult<PublishedMember> {
                let tier: String = r.try_get("size_tier")?;
                Ok(PublishedMember {
                    dealer_code: r.try_get("dealer_code")?,
                    groups: MemberGroups {
                        region_code: r.try_get("region_code")?,
                        brand: r.try_get("brand")?,
                        size_tier: SizeTier::parse(&tier).ok_or_else(|| StoreError::Corrupt(format!("size tier {tier}")))?,
                    },
                })
            }

            /// The published version of a month (0 or none: not published).
            pub(super) async fn version_in(conn: &mut <$Db as sqlx::Database>::Connection, month: Month) -> StoreResult<i32> {
                let v: Option<i32> = sqlx::query_scalar("SELECT version FROM publications WHERE month = $1")
                    .bind(month.index())
                    .fetch_optional(&mut *conn)
                    .await?;
                Ok(v.unwrap_or(0))
            }

            /// The pending changes of a published month, and the dealers whose holds all
            /// equal their live facts again (nothing to publish, only to tidy).
            pub(super) async fn pending_in(conn: &mut <$Db as sqlx::Database>::Connection, month: Month) -> StoreResult<(Vec<PendingChange>, Vec<String>)> {
                use std::collections::{BTreeMap, BTreeSet};
                let published: BTreeMap<String, MemberGroups> = sqlx::query("SELECT dealer_code, region_code, brand, size_tier FROM published_members WHERE month = $1")
                    .bind(month.index())
                    .fetch_all(&mut *conn)
                    .await?
                    .iter()
                    .map(|r| Self::member_row(r).map(|m| (m.dealer_code, m.groups)))
                    .collect::<StoreResult<_>>()?;
                let live: BTreeMap<String, MemberGroups> = sqlx::query(LIVE_MEMBERS)
                    .bind(month.index())
                    .fetch_all(&mut *conn)
                    .await?
                    .iter()
                    .map(|r| Self::member_row(r).map(|m| (m.dealer_code, m.groups)))
                    .collect::<StoreResult<_>>()?;
                let mut held: BTreeMap<String, bool> = BTreeMap::new();
                let rows = sqlx::query(
                    "SELECT h.month, h.dealer_code, h.kpi, h.present, h.numerator, h.denominator, h.reason, \
                     f.kpi AS live_kpi, f.numerator AS live_numerator, f.denominator AS live_denominator, f.reason AS live_reason \
                     FROM published_holds h LEFT JOIN kpi_facts f ON f.month = h.month AND f.dealer_code = h.dealer_code AND f.kpi = h.kpi \
                     WHERE h.month = $1",
                )
                .bind(month.index())
                .fetch_all(&mut *conn)
                .await?;
                for r in &rows {
                    let h = Self::held_row(r)?;
                    let live_kpi: Option<i16> = r.try_get("live_kpi")?;
                    let now = match live_kpi {
                        Some(_) => Some(fact_value(r.try_get("live_numerator")?, r.try_get("live_denominator")?, r.try_get("live_reason")?)?),
                        None => None,
                    };
                    *held.entry(h.dealer_code).or_default() |= now != h.value;
                }
                let dealers: BTreeSet<&String> = published.keys().chain(live.keys()).chain(held.keys()).collect();
                let mut pending = Vec::new();
                let mut tidy = Vec::new();
                for d in dealers {
                    let (p, l) = (published.get(d), live.get(d));
                    let facts_changed = held.get(d).copied().unwrap_or(false);
                    if facts_changed || p != l {
                        pending.push(PendingChange { dealer_code: d.clone(), published: p.cloned(), live: l.cloned(), facts_changed });
                    } else if held.contains_key(d) {
                        tidy.push(d.clone());
                    }
                }
                Ok((pending, tidy))
            }

            /// Deletes the rows of `table` of a month for `dealers`.
            pub(super) async fn delete_dealers_in(conn: &mut <$Db as sqlx::Database>::Connection, table: &str, month: Month, dealers: &[String]) -> StoreResult<()> {
                for chunk in dealers.chunks(BULK_ROWS) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new(format!("DELETE FROM {table} WHERE month = "));
                    q.push_bind(month.index()).push(" AND dealer_code IN ");
                    Self::push_list(&mut q, chunk.iter().map(|d| d.as_str()));
                    q.build().execute(&mut *conn).await?;
                }
                Ok(())
            }

            pub(super) async fn add_event_in(conn: &mut <$Db as sqlx::Database>::Connection, e: &PublicationEvent) -> StoreResult<()> {
                sqlx::query("INSERT INTO publication_events (month, version, kind, at, author, dealers_published, dealers_held) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(e.month.index())
                    .bind(e.version)
                    .bind(e.kind.as_str())
                    .bind(e.at)
                    .bind(&e.author)
                    .bind(e.dealers_published)
                    .bind(e.dealers_held)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }
        }

        #[async_trait]
        impl PublicationStore for $Store {
            async fn publications(&self) -> StoreResult<Vec<PublicationRecord>> {
                let rows = sqlx::query("SELECT month, version, scheduled_at, published_at, updated_at FROM publications ORDER BY month")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(PublicationRecord {
                            month: month_of(r.try_get("month")?)?,
                            version: r.try_get("version")?,
                            scheduled_at: r.try_get("scheduled_at")?,
                            published_at: r.try_get("published_at")?,
                            updated_at: r.try_get("updated_at")?,
                        })
                    })
                    .collect()
            }

            async fn publication_events(&self, month: Month) -> StoreResult<Vec<PublicationEvent>> {
                let rows = sqlx::query("SELECT month, version, kind, at, author, dealers_published, dealers_held FROM publication_events WHERE month = $1 ORDER BY version")
                    .bind(month.index())
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        let kind: String = r.try_get("kind")?;
                        Ok(PublicationEvent {
                            month: month_of(r.try_get("month")?)?,
                            version: r.try_get("version")?,
                            kind: PublicationKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("publication kind {kind}")))?,
                            at: r.try_get("at")?,
                            author: r.try_get("author")?,
                            dealers_published: r.try_get("dealers_published")?,
                            dealers_held: r.try_get("dealers_held")?,
                        })
                    })
                    .collect()
            }

            async fn schedule_publication(&self, month: Month, at: Option<i64>) -> StoreResult<()> {
                let (_writer, mut tx) = self.begin_write().await?;
                let done = sqlx::query(
                    "INSERT INTO publications (month, version, scheduled_at) VALUES ($1, 0, $2) \
                     ON CONFLICT (month) DO UPDATE SET scheduled_at = excluded.scheduled_at WHERE publications.version = 0",
                )
                .bind(month.index())
                .bind(at)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Conflict(format!("{month} is already published: republish it instead")));
                }
                tx.commit().await?;
                Ok(())
            }

            async fn unpublished_months(&self, through: Month) -> StoreResult<Vec<Month>> {
                let rows = sqlx::query(
                    "SELECT DISTINCT month FROM reports WHERE revision > 0 AND month <= $1 \
                     AND month NOT IN (SELECT month FROM publications WHERE version > 0) ORDER BY month",
                )
                .bind(through.index())
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| month_of(r.try_get("month")?)).collect()
            }

            async fn publish(&self, month: Month, kind: PublicationKind, at: i64, author: &str) -> StoreResult<u64> {
                let (_writer, mut tx) = self.begin_write().await?;
                Self::lock_facts_for_publication(&mut tx).await?;
                if Self::version_in(&mut tx, month).await? > 0 {
                    return Err(StoreError::Conflict(format!("{month} is already published: republish it instead")));
                }
                sqlx::query(
                    "INSERT INTO publications (month, version, scheduled_at, published_at, updated_at) VALUES ($1, 1, NULL, $2, $2) \
                     ON CONFLICT (month) DO UPDATE SET version = 1, published_at = excluded.published_at, updated_at = excluded.updated_at",
                )
                .bind(month.index())
                .bind(at)
                .execute(&mut *tx)
                .await?;
                for table in ["published_members", "published_holds"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE month = $1")).bind(month.index()).execute(&mut *tx).await?;
                }
                let members = sqlx::query(&format!(
                    "INSERT INTO published_members (month, dealer_code, region_code, brand, size_tier) \
                     SELECT $1, dealer_code, region_code, brand, size_tier FROM ({LIVE_MEMBERS}) m"
                ))
                .bind(month.index())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let event = PublicationEvent { month, version: 1, kind, at, author: author.to_string(), dealers_published: members as i64, dealers_held: 0 };
                Self::add_event_in(&mut tx, &event).await?;
                Self::log_change(&mut tx, ChangeKind::Publication, None, Some(month), Some(month)).await?;
                tx.commit().await?;
                Ok(members)
            }

            async fn pending_changes(&self, month: Month) -> StoreResult<Vec<PendingChange>> {
                let mut conn = self.pool.acquire().await?;
                Ok(Self::pending_in(&mut conn, month).await?.0)
            }

            async fn republish(&self, month: Month, kind: PublicationKind, at: i64, author: &str, choose: &Chooser<'_>) -> StoreResult<RepublishOutcome> {
                let (_writer, mut tx) = self.begin_write().await?;
                Self::lock_facts_for_publication(&mut tx).await?;
                let version = Self::version_in(&mut tx, month).await?;
                if version == 0 {
                    return Err(StoreError::Conflict(format!("{month} is not published yet: publish it first")));
                }
                let (pending, tidy) = Self::pending_in(&mut tx, month).await?;
                let mut chosen = choose(&pending);
                chosen.retain(|d| pending.iter().any(|p| &p.dealer_code == d));
                chosen.sort();
                chosen.dedup();
                Self::delete_dealers_in(&mut tx, "published_holds", month, &tidy).await?;
                let held = pending.len() - chosen.len();
                if chosen.is_empty() {
                    tx.commit().await?;
                    return Ok(RepublishOutcome { version, published: chosen, held });
                }
                Self::delete_dealers_in(&mut tx, "published_holds", month, &chosen).await?;
                Self::delete_dealers_in(&mut tx, "published_members", month, &chosen).await?;
                let joining: Vec<(&String, &MemberGroups)> = pending
                    .iter()
                    .filter(|p| chosen.binary_search(&p.dealer_code).is_ok())
                    .filter_map(|p| p.live.as_ref().map(|g| (&p.dealer_code, g)))
                    .collect();
                for chunk in joining.chunks(BULK_ROWS) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new("INSERT INTO published_members (month, dealer_code, region_code, brand, size_tier) ");
                    q.push_values(chunk, |mut b, (d, g)| {
                        b.push_bind(month.index()).push_bind(d.as_str()).push_bind(g.region_code.as_str()).push_bind(g.brand.as_str()).push_bind(g.size_tier.as_str());
                    });
                    q.build().execute(&mut *tx).await?;
                }
                let version = version + 1;
                sqlx::query("UPDATE publications SET version = $2, updated_at = $3 WHERE month = $1")
                    .bind(month.index())
                    .bind(version)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                let event = PublicationEvent { month, version, kind, at, author: author.to_string(), dealers_published: chosen.len() as i64, dealers_held: held as i64 };
                Self::add_event_in(&mut tx, &event).await?;
                Self::log_change(&mut tx, ChangeKind::Publication, None, Some(month), Some(month)).await?;
                tx.commit().await?;
                Ok(RepublishOutcome { version, published: chosen, held })
            }

            async fn published_members(&self, month: Month) -> StoreResult<Vec<PublishedMember>> {
                let rows = sqlx::query("SELECT dealer_code, region_code, brand, size_tier FROM published_members WHERE month = $1 ORDER BY dealer_code")
                    .bind(month.index())
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(Self::member_row).collect()
            }

            async fn month_holds(&self, month: Month) -> StoreResult<Vec<HeldFact>> {
                let rows = sqlx::query("SELECT month, dealer_code, kpi, present, numerator, denominator, reason FROM published_holds WHERE month = $1")
                    .bind(month.index())
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(Self::held_row).collect()
            }

            async fn dealer_holds(&self, dealers: &[String], from: Month, to: Month) -> StoreResult<Vec<HeldFact>> {
                let mut out = Vec::new();
                if from > to {
                    return Ok(out);
                }
                for chunk in dealers.chunks(BULK_ROWS) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT month, dealer_code, kpi, present, numerator, denominator, reason FROM published_holds WHERE dealer_code IN ");
                    Self::push_list(&mut q, chunk.iter());
                    q.push(" AND month IN ");
                    Self::push_list(&mut q, months_of(from, to));
                    for r in q.build().fetch_all(&self.pool).await? {
                        out.push(Self::held_row(&r)?);
                    }
                }
                Ok(out)
            }
        }
    };
}

publication_sql!(SqliteStore, sqlx::Sqlite, SqliteRow, Backend::Sqlite);
publication_sql!(PgStore, sqlx::Postgres, PgRow, Backend::Postgres);
