//! Bulk loading of generated networks (the demo, benchmark data).

use super::*;

macro_rules! bulk_sql {
    ($Store:ident, $Db:ty, $Row:ty, $backend:expr) => {
        #[async_trait]
        impl BulkStore for $Store {
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

            async fn load_targets(&self, targets: &[BulkTarget]) -> StoreResult<u64> {
                let (_writer, mut tx) = self.begin_write().await?;
                let mut inserted = std::collections::BTreeSet::new();
                for chunk in targets.chunks(BULK_ROWS) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new("INSERT INTO targets (scope, code, year, item, value, status, revision, phasing, comment, updated_at, updated_by) ");
                    q.push_values(chunk, |mut b, t| {
                        let last = t.revisions.last();
                        b.push_bind(TargetScope::Dealer.as_str())
                            .push_bind(&t.dealer_code)
                            .push_bind(t.year)
                            .push_bind(&t.item)
                            .push_bind(t.value)
                            .push_bind(t.status.code())
                            .push_bind(last.map_or(1, |r| r.revision))
                            .push_bind(t.phasing.map(super::targets::phasing_code))
                            .push_bind(last.and_then(|r| r.reason.clone()))
                            .push_bind(last.map_or(0, |r| r.at))
                            .push_bind(last.map_or(String::new(), |r| r.author.clone()));
                    });
                    q.push(" ON CONFLICT (scope, code, year, item) DO NOTHING RETURNING code, year, item");
                    for r in q.build().fetch_all(&mut *tx).await? {
                        inserted.insert((r.try_get::<String, _>("code")?, r.try_get::<i32, _>("year")?, r.try_get::<String, _>("item")?));
                    }
                }
                let new: Vec<&BulkTarget> = targets.iter().filter(|t| inserted.contains(&(t.dealer_code.clone(), t.year, t.item.clone()))).collect();
                let revisions: Vec<(&BulkTarget, &TargetRevision)> = new.iter().flat_map(|t| t.revisions.iter().map(move |r| (*t, r))).collect();
                for chunk in revisions.chunks(BULK_ROWS) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new("INSERT INTO target_revisions (scope, code, year, item, revision, status, value, reason, author, at) ");
                    q.push_values(chunk, |mut b, (t, r)| {
                        b.push_bind(TargetScope::Dealer.as_str())
                            .push_bind(&t.dealer_code)
                            .push_bind(t.year)
                            .push_bind(&t.item)
                            .push_bind(r.revision)
                            .push_bind(r.status.code())
                            .push_bind(r.value)
                            .push_bind(&r.reason)
                            .push_bind(&r.author)
                            .push_bind(r.at);
                    });
                    q.build().execute(&mut *tx).await?;
                }
                let mut months = Vec::new();
                for t in &new {
                    let (Some(values), Some(jan)) = (t.months, Month::new(t.year, 1)) else {
                        continue;
                    };
                    months.extend(values.iter().enumerate().map(|(i, v)| (&t.dealer_code, jan.plus(i as i32).index(), &t.item, *v)));
                }
                for chunk in months.chunks(BULK_ROWS) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new("INSERT INTO target_months (dealer_code, month, item, value) ");
                    q.push_values(chunk, |mut b, (d, m, i, v)| {
                        b.push_bind(*d).push_bind(*m).push_bind(*i).push_bind(*v);
                    });
                    q.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(inserted.len() as u64)
            }

            async fn load_reports(&self, reports: &[BulkReport], facts: &[FactRow]) -> StoreResult<Vec<(String, Month)>> {
                let (_writer, mut tx) = self.begin_write().await?;
                let mut inserted = std::collections::BTreeSet::new();
                for chunk in reports.chunks(BULK_ROWS) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new(format!("INSERT INTO reports ({REPORT_COLUMNS}) "));
                    q.push_values(chunk, |mut b, r| {
                        b.push_bind(&r.dealer_code)
                            .push_bind(r.month.index())
                            .push_bind(r.status.as_str())
                            .push_bind(1_i32)
                            .push_bind(r.values.to_json())
                            .push_bind(warnings_json(&r.warnings))
                            .push_bind(r.late)
                            .push_bind(r.submitted_at)
                            .push_bind(r.submitted_at)
                            .push_bind(&r.author);
                    });
                    // A dealer-month with a report already (a draft included) is left alone.
                    q.push(" ON CONFLICT (dealer_code, month) DO NOTHING RETURNING dealer_code, month");
                    for r in q.build().fetch_all(&mut *tx).await? {
                        inserted.insert((r.try_get::<String, _>("dealer_code")?, month_of(r.try_get("month")?)?));
                    }
                }
                // Revisions and facts of the reports inserted only, in the same transaction: an
                // interrupted load leaves either all of a report or nothing of it.
                let new: Vec<&BulkReport> = reports.iter().filter(|r| inserted.contains(&(r.dealer_code.clone(), r.month))).collect();
                for chunk in new.chunks(BULK_ROWS) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new("INSERT INTO report_revisions (dealer_code, month, revision, status, data, warnings, author, reason, created_at) ");
                    q.push_values(chunk, |mut b, r| {
                        b.push_bind(&r.dealer_code)
                            .push_bind(r.month.index())
                            .push_bind(1_i32)
                            .push_bind(r.status.as_str())
                            .push_bind(r.values.to_json())
                            .push_bind(warnings_json(&r.warnings))
                            .push_bind(&r.author)
                            .push_bind(None::<String>)
                            .push_bind(r.submitted_at);
                    });
                    q.build().execute(&mut *tx).await?;
                }
                let facts: Vec<FactRow> = facts.iter().filter(|f| inserted.contains(&(f.dealer_code.clone(), f.month))).cloned().collect();
                Self::write_facts_in(&mut tx, &facts).await?;
                Self::log_change(&mut tx, ChangeKind::Facts, None, None, None).await?;
                tx.commit().await?;
                Ok(inserted.into_iter().collect())
            }
        }
    };
}

bulk_sql!(SqliteStore, sqlx::Sqlite, SqliteRow, Backend::Sqlite);
bulk_sql!(PgStore, sqlx::Postgres, PgRow, Backend::Postgres);
