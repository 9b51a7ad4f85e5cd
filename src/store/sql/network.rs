//! Regions, dealers and their region histories.

use super::*;

macro_rules! network_sql {
    ($Store:ident, $Db:ty, $Row:ty, $backend:expr) => {
        #[async_trait]
        impl NetworkStore for $Store {
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
                Self::recompute_in(&mut tx, Some(&[code.to_string()]), from, from.plus(1200), None, Holds::Changed, now, None).await?;
                Self::log_change(&mut tx, ChangeKind::Network, Some(code), None, None).await?;
                tx.commit().await?;
                Ok(())
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

            async fn list_dealers(&self, filter: &DealerFilter, page: KeyPage<'_>) -> StoreResult<Vec<DealerInMonth>> {
                let mut q = Self::dealer_query(DEALER_COLUMNS, false, filter);
                if let Some(a) = page.after {
                    q.push(" AND x.code > ").push_bind(a);
                }
                if let Some(b) = page.before {
                    q.push(" AND x.code < ").push_bind(b);
                }
                q.push(if page.from_end { " ORDER BY x.code DESC LIMIT " } else { " ORDER BY x.code LIMIT " }).push_bind(page.limit);
                let rows = q.build().fetch_all(&self.pool).await?;
                let mut out = rows.iter().map(|r| Ok(DealerInMonth { dealer: Self::dealer_row(r)?, region_code: r.try_get("region_code")? })).collect::<StoreResult<Vec<_>>>()?;
                if page.from_end {
                    out.reverse();
                }
                Ok(out)
            }

            async fn count_matching_dealers(&self, filter: &DealerFilter) -> StoreResult<i64> {
                let mut q = Self::dealer_query_with("COUNT(*)", "d.code", false, filter);
                Ok(q.build_query_scalar::<i64>().fetch_one(&self.pool).await?)
            }

            async fn count_dealers(&self) -> StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM dealers").fetch_one(&self.pool).await?)
            }
        }
    };
}

network_sql!(SqliteStore, sqlx::Sqlite, SqliteRow, Backend::Sqlite);
network_sql!(PgStore, sqlx::Postgres, PgRow, Backend::Postgres);
