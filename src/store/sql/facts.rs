//! KPI facts and OEM parameters.

use super::*;

macro_rules! facts_sql {
    ($Store:ident, $Db:ty, $Row:ty, $backend:expr) => {
        #[async_trait]
        impl FactStore for $Store {
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
                let n = Self::recompute_in(&mut tx, None, year, year.plus(11), Some(&affected), Holds::Changed, now, None).await?;
                tx.commit().await?;
                Ok(n)
            }

            async fn load_facts(&self, rows: &[FactRow]) -> StoreResult<()> {
                let (_writer, mut tx) = self.begin_write().await?;
                Self::write_facts_in(&mut tx, rows).await?;
                Self::log_change(&mut tx, ChangeKind::Facts, None, None, None).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn dealer_facts(&self, dealers: &[String], from: Month, to: Month) -> StoreResult<Vec<FactRow>> {
                let mut out = Vec::new();
                if from > to {
                    return Ok(out);
                }
                for chunk in dealers.chunks(BULK_ROWS) {
                    // One seek per (month, dealer) of the key.
                    let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT kpi, month, dealer_code, region_code, numerator, denominator, reason, updated_at FROM kpi_facts WHERE dealer_code IN ");
                    Self::push_list(&mut q, chunk.iter());
                    q.push(" AND month IN ");
                    Self::push_list(&mut q, months_of(from, to));
                    q.push(" ORDER BY dealer_code, kpi, month");
                    for r in q.build().fetch_all(&self.pool).await? {
                        out.push(Self::fact_row(&r)?);
                    }
                }
                Ok(out)
            }

            async fn count_facts(&self, f: &FactQuery) -> StoreResult<i64> {
                if f.regions.as_ref().is_some_and(|r| r.is_empty()) || f.kpis.is_empty() {
                    return Ok(0);
                }
                let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT COUNT(*) FROM kpi_facts WHERE month >= ");
                q.push_bind(f.from.index()).push(" AND month <= ").push_bind(f.to.index());
                q.push(" AND kpi IN ");
                Self::push_list(&mut q, f.kpis.iter());
                if let Some(t) = f.updated_since {
                    q.push(" AND updated_at >= ").push_bind(t);
                }
                if let Some(d) = &f.dealer {
                    q.push(" AND dealer_code = ").push_bind(d.as_str());
                }
                if let Some(rs) = &f.regions {
                    q.push(" AND region_code IN ");
                    Self::push_list(&mut q, rs.iter().map(|r| r.as_str()));
                }
                Ok(q.build_query_scalar::<i64>().fetch_one(&self.pool).await?)
            }

            async fn fact_rows(&self, p: &FactProbe<'_>) -> StoreResult<Vec<FactRow>> {
                if p.regions.is_some_and(|r| r.is_empty()) || p.limit == 0 {
                    return Ok(vec![]);
                }
                let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT kpi, month, dealer_code, region_code, numerator, denominator, reason, updated_at FROM kpi_facts WHERE month = ");
                q.push_bind(p.month.index()).push(" AND kpi = ").push_bind(p.kpi);
                if let Some(after) = p.after {
                    q.push(" AND dealer_code > ").push_bind(after);
                }
                if let Some(before) = p.before {
                    q.push(" AND dealer_code < ").push_bind(before);
                }
                if let Some(t) = p.updated_since {
                    q.push(" AND updated_at >= ").push_bind(t);
                }
                if let Some(d) = p.dealer {
                    q.push(" AND dealer_code = ").push_bind(d);
                }
                if let Some(rs) = p.regions {
                    q.push(" AND region_code IN ");
                    Self::push_list(&mut q, rs.iter().map(|r| r.as_str()));
                }
                q.push(if p.from_end { " ORDER BY dealer_code DESC LIMIT " } else { " ORDER BY dealer_code LIMIT " }).push_bind(p.limit as i64);
                let rows = q.build().fetch_all(&self.pool).await?;
                let mut out = rows.iter().map(Self::fact_row).collect::<StoreResult<Vec<_>>>()?;
                if p.from_end {
                    out.reverse();
                }
                Ok(out)
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

            async fn reporting_dealers(&self) -> StoreResult<Vec<String>> {
                Ok(sqlx::query_scalar("SELECT DISTINCT dealer_code FROM reports WHERE revision > 0 ORDER BY dealer_code").fetch_all(&self.pool).await?)
            }

            async fn recompute_dealer(&self, dealer: &str, now: i64) -> StoreResult<u64> {
                let (_writer, mut tx) = self.begin_write().await?;
                let span: (Option<i32>, Option<i32>) = sqlx::query_as("SELECT MIN(month), MAX(month) FROM reports WHERE revision > 0 AND dealer_code = $1")
                    .bind(dealer)
                    .fetch_one(&mut *tx)
                    .await?;
                let (Some(first), Some(last)) = span else {
                    return Ok(0);
                };
                let n = Self::recompute_in(&mut tx, Some(&[dealer.to_string()]), month_of(first)?, month_of(last)?, None, Holds::WhereHeld, now, None).await?;
                tx.commit().await?;
                Ok(n)
            }
        }
    };
}

facts_sql!(SqliteStore, sqlx::Sqlite, SqliteRow, Backend::Sqlite);
facts_sql!(PgStore, sqlx::Postgres, PgRow, Backend::Postgres);
