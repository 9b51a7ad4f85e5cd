//! Reports, drafts, revisions and the submission status.

use super::*;

macro_rules! reports_sql {
    ($Store:ident, $Db:ty, $Row:ty, $backend:expr) => {
        #[async_trait]
        impl ReportStore for $Store {
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
                Self::recompute_in(&mut tx, Some(&rev.dealer_code), rev.month, rev.month.plus(window()), None, Holds::Changed, rev.facts_at).await?;
                tx.commit().await?;
                Ok(record)
            }

            async fn report_span(&self, dealer_code: &str) -> StoreResult<Option<(Month, Month)>> {
                let row = sqlx::query("SELECT MIN(month) AS first, MAX(month) AS last FROM reports WHERE dealer_code = $1")
                    .bind(dealer_code)
                    .fetch_one(&self.pool)
                    .await?;
                let (first, last): (Option<i32>, Option<i32>) = (row.try_get("first")?, row.try_get("last")?);
                Ok(match (first, last) {
                    (Some(a), Some(b)) => Some((month_of(a)?, month_of(b)?)),
                    _ => None,
                })
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
        }
    };
}

reports_sql!(SqliteStore, sqlx::Sqlite, SqliteRow, Backend::Sqlite);
reports_sql!(PgStore, sqlx::Postgres, PgRow, Backend::Postgres);
