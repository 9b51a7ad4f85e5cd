//! Targets: the yearly targets of dealers and regions, their revisions and phased months,
//! and the OEM's phasing profiles.

use super::*;
use crate::domain::targets::{PhasingBasis, TargetItem, TargetStatus};

const TARGET_COLUMNS: &str =
    "scope, code, year, item, value, status, revision, phasing, comment, updated_at, updated_by";

pub(super) fn phasing_code(p: PhasingBasis) -> &'static str {
    match p {
        PhasingBasis::NationalProfile => "NATIONAL_PROFILE",
        PhasingBasis::PreviousYear => "PREVIOUS_YEAR",
        PhasingBasis::Even => "EVEN",
    }
}

fn phasing_of(s: &str) -> StoreResult<PhasingBasis> {
    [
        PhasingBasis::NationalProfile,
        PhasingBasis::PreviousYear,
        PhasingBasis::Even,
    ]
    .into_iter()
    .find(|p| phasing_code(*p) == s)
    .ok_or_else(|| StoreError::Corrupt(format!("phasing {s}")))
}

fn weights_of(json: &str) -> StoreResult<[i64; 12]> {
    let v: Vec<i64> = serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt(format!("phasing weights: {e}")))?;
    v.try_into()
        .map_err(|_| StoreError::Corrupt("phasing weights: not twelve".into()))
}

macro_rules! targets_sql {
    ($Store:ident, $Db:ty, $Row:ty, $backend:expr) => {
        impl $Store {
            fn target_row(r: &$Row) -> StoreResult<TargetRecord> {
                let scope: String = r.try_get("scope")?;
                let status: String = r.try_get("status")?;
                let phasing: Option<String> = r.try_get("phasing")?;
                Ok(TargetRecord {
                    key: TargetKey {
                        scope: TargetScope::parse(&scope).ok_or_else(|| StoreError::Corrupt(format!("target scope {scope}")))?,
                        code: r.try_get("code")?,
                        year: r.try_get("year")?,
                        item: r.try_get("item")?,
                    },
                    value: r.try_get("value")?,
                    status: TargetStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("target status {status}")))?,
                    revision: r.try_get("revision")?,
                    phasing: phasing.as_deref().map(phasing_of).transpose()?,
                    comment: r.try_get("comment")?,
                    updated_at: r.try_get("updated_at")?,
                    updated_by: r.try_get("updated_by")?,
                })
            }
        }

        #[async_trait]
        impl TargetStore for $Store {
            async fn targets(&self, scope: TargetScope, code: &str, year: i32) -> StoreResult<Vec<TargetRecord>> {
                let rows = sqlx::query(&format!("SELECT {TARGET_COLUMNS} FROM targets WHERE scope = $1 AND code = $2 AND year = $3 ORDER BY item"))
                    .bind(scope.as_str())
                    .bind(code)
                    .bind(year)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(Self::target_row).collect()
            }

            async fn target(&self, key: &TargetKey) -> StoreResult<Option<TargetRecord>> {
                let row = sqlx::query(&format!("SELECT {TARGET_COLUMNS} FROM targets WHERE scope = $1 AND code = $2 AND year = $3 AND item = $4"))
                    .bind(key.scope.as_str())
                    .bind(&key.code)
                    .bind(key.year)
                    .bind(&key.item)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::target_row).transpose()
            }

            async fn write_target(&self, w: &TargetWrite) -> StoreResult<TargetRecord> {
                let (_writer, mut tx) = self.begin_write().await?;
                let k = &w.key;
                let stale = |current: i32| {
                    StoreError::Conflict(format!(
                        "expectedRevision {} is stale: the target is at revision {current}; reload it and apply your change again",
                        w.expected_revision
                    ))
                };
                let phasing = w.phasing.map(phasing_code);
                let row = if w.expected_revision == 0 {
                    sqlx::query(&format!(
                        "INSERT INTO targets ({TARGET_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $10) RETURNING {TARGET_COLUMNS}"
                    ))
                    .bind(k.scope.as_str())
                    .bind(&k.code)
                    .bind(k.year)
                    .bind(&k.item)
                    .bind(w.value)
                    .bind(w.status.code())
                    .bind(phasing)
                    .bind(&w.reason)
                    .bind(w.now)
                    .bind(&w.author)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| unique_as_conflict(e, || "the target exists already: reload it and apply your change again".into()))?
                } else {
                    let row = sqlx::query(&format!(
                        "UPDATE targets SET value = $1, status = $2, revision = revision + 1, phasing = $3, comment = $4, updated_at = $5, updated_by = $6 \
                         WHERE scope = $7 AND code = $8 AND year = $9 AND item = $10 AND revision = $11 RETURNING {TARGET_COLUMNS}"
                    ))
                    .bind(w.value)
                    .bind(w.status.code())
                    .bind(phasing)
                    .bind(&w.reason)
                    .bind(w.now)
                    .bind(&w.author)
                    .bind(k.scope.as_str())
                    .bind(&k.code)
                    .bind(k.year)
                    .bind(&k.item)
                    .bind(w.expected_revision)
                    .fetch_optional(&mut *tx)
                    .await?;
                    match row {
                        Some(r) => r,
                        None => {
                            let current: Option<i32> = sqlx::query_scalar("SELECT revision FROM targets WHERE scope = $1 AND code = $2 AND year = $3 AND item = $4")
                                .bind(k.scope.as_str())
                                .bind(&k.code)
                                .bind(k.year)
                                .bind(&k.item)
                                .fetch_optional(&mut *tx)
                                .await?;
                            return Err(stale(current.unwrap_or(0)));
                        }
                    }
                };
                let record = Self::target_row(&row)?;
                sqlx::query("INSERT INTO target_revisions (scope, code, year, item, revision, status, value, reason, author, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                    .bind(k.scope.as_str())
                    .bind(&k.code)
                    .bind(k.year)
                    .bind(&k.item)
                    .bind(record.revision)
                    .bind(w.status.code())
                    .bind(w.value)
                    .bind(&w.reason)
                    .bind(&w.author)
                    .bind(w.now)
                    .execute(&mut *tx)
                    .await?;
                if let (TargetScope::Dealer, Some(months), Some(item)) = (k.scope, w.months, TargetItem::parse(&k.item)) {
                    let jan = Month::new(k.year, 1).ok_or_else(|| StoreError::Corrupt(format!("year {}", k.year)))?;
                    sqlx::query("DELETE FROM target_months WHERE dealer_code = $1 AND item = $2 AND month >= $3 AND month <= $4")
                        .bind(&k.code)
                        .bind(&k.item)
                        .bind(jan.index())
                        .bind(jan.plus(11).index())
                        .execute(&mut *tx)
                        .await?;
                    let mut q = sqlx::QueryBuilder::<$Db>::new("INSERT INTO target_months (dealer_code, month, item, value) ");
                    q.push_values(months.iter().enumerate(), |mut b, (i, v)| {
                        b.push_bind(&k.code).push_bind(jan.plus(i as i32).index()).push_bind(&k.item).push_bind(*v);
                    });
                    q.build().execute(&mut *tx).await?;
                    let kpi = kpi::achievement(item).id;
                    Self::recompute_in(&mut tx, Some(std::slice::from_ref(&k.code)), jan, jan.plus(11), Some(&[kpi]), Holds::Changed, w.facts_at, None).await?;
                }
                tx.commit().await?;
                Ok(record)
            }

            async fn target_revisions(&self, key: &TargetKey) -> StoreResult<Vec<TargetRevision>> {
                let rows = sqlx::query("SELECT revision, status, value, reason, author, at FROM target_revisions WHERE scope = $1 AND code = $2 AND year = $3 AND item = $4 ORDER BY revision")
                    .bind(key.scope.as_str())
                    .bind(&key.code)
                    .bind(key.year)
                    .bind(&key.item)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        let status: String = r.try_get("status")?;
                        Ok(TargetRevision {
                            revision: r.try_get("revision")?,
                            status: TargetStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("target status {status}")))?,
                            value: r.try_get("value")?,
                            reason: r.try_get("reason")?,
                            author: r.try_get("author")?,
                            at: r.try_get("at")?,
                        })
                    })
                    .collect()
            }

            async fn target_months(&self, dealer: &str, year: i32) -> StoreResult<Vec<(String, [i64; 12])>> {
                let jan = Month::new(year, 1).ok_or_else(|| StoreError::Corrupt(format!("year {year}")))?;
                let rows = sqlx::query("SELECT item, month, value FROM target_months WHERE dealer_code = $1 AND month >= $2 AND month <= $3 ORDER BY item, month")
                    .bind(dealer)
                    .bind(jan.index())
                    .bind(jan.plus(11).index())
                    .fetch_all(&self.pool)
                    .await?;
                let mut out: Vec<(String, [i64; 12])> = Vec::new();
                for r in &rows {
                    let item: String = r.try_get("item")?;
                    let m = month_of(r.try_get("month")?)?;
                    let v: i64 = r.try_get("value")?;
                    if out.last().is_none_or(|(i, _)| *i != item) {
                        out.push((item, [0; 12]));
                    }
                    if let Some((_, months)) = out.last_mut() {
                        months[(m.month() - 1) as usize] = v;
                    }
                }
                Ok(out)
            }

            async fn phasing_profile(&self, year: i32, item: &str) -> StoreResult<Option<[i64; 12]>> {
                let w: Option<String> = sqlx::query_scalar("SELECT weights FROM phasing_profiles WHERE year = $1 AND item = $2")
                    .bind(year)
                    .bind(item)
                    .fetch_optional(&self.pool)
                    .await?;
                w.as_deref().map(weights_of).transpose()
            }

            async fn set_phasing_profile(&self, year: i32, item: &str, weights: Option<[i64; 12]>, author: &str, now: i64) -> StoreResult<()> {
                let (_writer, mut tx) = self.begin_write().await?;
                match weights {
                    Some(w) => {
                        let json = serde_json::to_string(&w.to_vec()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                        sqlx::query(
                            "INSERT INTO phasing_profiles (year, item, weights, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5) \
                             ON CONFLICT (year, item) DO UPDATE SET weights = excluded.weights, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                        )
                        .bind(year)
                        .bind(item)
                        .bind(json)
                        .bind(now)
                        .bind(author)
                        .execute(&mut *tx)
                        .await?;
                    }
                    None => {
                        sqlx::query("DELETE FROM phasing_profiles WHERE year = $1 AND item = $2").bind(year).bind(item).execute(&mut *tx).await?;
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            async fn submitted_values_of(&self, dealers: &[String], from: Month, to: Month) -> StoreResult<Vec<(String, Month, Values)>> {
                let mut out = Vec::new();
                for chunk in dealers.chunks(BULK_ROWS) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT dealer_code, month, data FROM reports WHERE revision > 0 AND month >= ");
                    q.push_bind(from.index()).push(" AND month <= ").push_bind(to.index()).push(" AND dealer_code IN ");
                    Self::push_list(&mut q, chunk.iter());
                    for r in q.build().fetch_all(&self.pool).await? {
                        out.push((r.try_get("dealer_code")?, month_of(r.try_get("month")?)?, values_of(r.try_get("data")?)?));
                    }
                }
                Ok(out)
            }
        }
    };
}

targets_sql!(SqliteStore, sqlx::Sqlite, SqliteRow, Backend::Sqlite);
targets_sql!(PgStore, sqlx::Postgres, PgRow, Backend::Postgres);
