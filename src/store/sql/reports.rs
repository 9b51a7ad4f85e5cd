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

            async fn reports_in(&self, dealers: &[String], from: Month, to: Month) -> StoreResult<Vec<ReportRecord>> {
                let mut out = Vec::new();
                for chunk in dealers.chunks(BULK_ROWS) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new(format!("SELECT {REPORT_COLUMNS} FROM reports WHERE dealer_code IN "));
                    Self::push_list(&mut q, chunk.iter());
                    q.push(" AND month >= ").push_bind(from.index()).push(" AND month <= ").push_bind(to.index());
                    for r in q.build().fetch_all(&self.pool).await? {
                        out.push(Self::report_row(&r)?);
                    }
                }
                Ok(out)
            }

            async fn add_revisions(&self, revs: &[NewRevision], seen: Option<&SeenReports>) -> StoreResult<Vec<StoreResult<ReportRecord>>> {
                let (Some(from), Some(last)) = (revs.iter().map(|r| r.month).min(), revs.iter().map(|r| r.month).max()) else {
                    return Ok(Vec::new());
                };
                let (_writer, mut tx) = self.begin_fact_write().await?;
                let encoded: Vec<(String, String)> = revs.iter().map(|r| (r.values.to_json(), warnings_json(&r.warnings))).collect();
                let mut out: Vec<Option<StoreResult<ReportRecord>>> = (0..revs.len()).map(|_| None).collect();
                // First submissions of months with no draft: one statement for many. The first
                // statement writes, so that SQLite takes its write lock at once.
                let first: Vec<usize> = (0..revs.len()).filter(|&i| revs[i].expected_revision == 0).collect();
                for chunk in first.chunks(BULK_ROWS / 2) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new(format!("INSERT INTO reports ({REPORT_COLUMNS}) "));
                    q.push_values(chunk, |mut b, &i| {
                        let (rev, (data, warnings)) = (&revs[i], &encoded[i]);
                        b.push_bind(&rev.dealer_code)
                            .push_bind(rev.month.index())
                            .push_bind(rev.status.as_str())
                            .push_bind(1_i32)
                            .push_bind(data)
                            .push_bind(warnings)
                            .push_bind(rev.late)
                            .push_bind(rev.now)
                            .push_bind(rev.now)
                            .push_bind(&rev.author);
                    });
                    // The stored report is what was sent: only which rows went in comes back
                    // (returning the data would read and parse every report again).
                    q.push(" ON CONFLICT (dealer_code, month) DO NOTHING RETURNING dealer_code, month");
                    let mut inserted: std::collections::HashSet<(String, i32)> = std::collections::HashSet::new();
                    for r in q.build().fetch_all(&mut *tx).await? {
                        inserted.insert((r.try_get("dealer_code")?, r.try_get("month")?));
                    }
                    for &i in chunk {
                        let rev = &revs[i];
                        if inserted.remove(&(rev.dealer_code.clone(), rev.month.index())) {
                            out[i] = Some(Ok(rev.record(1, rev.late, Some(rev.now))));
                        }
                    }
                }
                // The rest in order: a draft (revision 0) or a submitted report at the revision
                // the writer saw. PostgreSQL stores its revision in the same statement (SQLite
                // cannot modify in a WITH clause: with the others below).
                let mut revision_stored = vec![false; revs.len()];
                const UPDATE: &str = "UPDATE reports SET status = $3, revision = revision + 1, data = $4, warnings = $5, \
                     late = CASE WHEN first_submitted_at IS NULL THEN $6 ELSE late END, \
                     first_submitted_at = COALESCE(first_submitted_at, $7), updated_at = $7, updated_by = $8 \
                     WHERE dealer_code = $1 AND month = $2 AND revision = $9 RETURNING revision, late, first_submitted_at";
                let with_revision = $backend == Backend::Postgres;
                let sql = if with_revision {
                    format!(
                        "WITH u AS ({UPDATE}), r AS (INSERT INTO report_revisions (dealer_code, month, revision, status, data, warnings, author, reason, created_at) \
                         SELECT $1, $2, revision, $3, $4, $5, $8, $10::text, $7 FROM u) SELECT revision, late, first_submitted_at FROM u"
                    )
                } else {
                    UPDATE.to_string()
                };
                for (i, rev) in revs.iter().enumerate() {
                    if out[i].is_some() {
                        continue;
                    }
                    let (data, warnings) = &encoded[i];
                    let mut q = sqlx::query(&sql)
                        .bind(&rev.dealer_code)
                        .bind(rev.month.index())
                        .bind(rev.status.as_str())
                        .bind(data)
                        .bind(warnings)
                        .bind(rev.late)
                        .bind(rev.now)
                        .bind(&rev.author)
                        .bind(rev.expected_revision);
                    if with_revision {
                        q = q.bind(rev.reason.as_deref());
                    }
                    let row = q
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(|e| unique_as_conflict(e, || "a revision stored at the same time by another writer".to_string()))?;
                    revision_stored[i] = with_revision;
                    out[i] = Some(match row {
                        Some(r) => Ok(rev.record(r.try_get("revision")?, r.try_get("late")?, r.try_get("first_submitted_at")?)),
                        None => Err(StoreError::Conflict(format!(
                            "the report of {} for {} is no longer at revision {}",
                            rev.dealer_code, rev.month, rev.expected_revision
                        ))),
                    });
                }
                let out: Vec<StoreResult<ReportRecord>> = out.into_iter().flatten().collect();
                // Each stored report, and whether its revision is stored already.
                let stored: Vec<(&NewRevision, &String, &String, bool)> = revs
                    .iter()
                    .zip(&encoded)
                    .zip(&out)
                    .zip(&revision_stored)
                    .filter(|((_, o), _)| o.is_ok())
                    .map(|(((rev, (data, warnings)), _), &done)| (rev, data, warnings, done))
                    .collect();
                let unstored: Vec<_> = stored.iter().filter(|(.., done)| !done).collect();
                for chunk in unstored.chunks(BULK_ROWS) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new("INSERT INTO report_revisions (dealer_code, month, revision, status, data, warnings, author, reason, created_at) ");
                    q.push_values(chunk, |mut b, (rev, data, warnings, _)| {
                        b.push_bind(&rev.dealer_code)
                            .push_bind(rev.month.index())
                            .push_bind(rev.expected_revision + 1)
                            .push_bind(rev.status.as_str())
                            .push_bind(data)
                            .push_bind(warnings)
                            .push_bind(&rev.author)
                            .push_bind(rev.reason.as_deref())
                            .push_bind(rev.now);
                    });
                    q.build()
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| unique_as_conflict(e, || "a revision stored at the same time by another writer".to_string()))?;
                }
                let mut dealers: Vec<String> = stored.iter().map(|(r, ..)| r.dealer_code.clone()).collect();
                dealers.sort();
                dealers.dedup();
                let facts_at = revs.iter().map(|r| r.facts_at).max().unwrap_or_default();
                // The KPIs of these months, and of the later months whose windows reach back to them.
                Self::recompute_locked_in(&mut tx, Some(&dealers), from, last.plus(window()), None, Holds::Changed, facts_at, seen).await?;
                tx.commit().await?;
                Ok(out)
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
