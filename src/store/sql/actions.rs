//! Action plans: items, their revisions and follow-ups.

use super::*;
use crate::domain::actions::ActionStatus;

const ACTION_COLUMNS: &str = "id, dealer_code, subject, problem, cause, countermeasure, owner, department, due_month, status, \
     baseline_from, baseline_to, baseline_num, baseline_den, expected, revision, created_at, created_by, updated_at, updated_by";

fn state_json(s: &ActionState) -> StoreResult<String> {
    serde_json::to_string(s).map_err(|e| StoreError::Corrupt(format!("action state: {e}")))
}

macro_rules! actions_sql {
    ($Store:ident, $Db:ty, $Row:ty, $backend:expr) => {
        impl $Store {
            fn action_row(r: &$Row) -> StoreResult<ActionRecord> {
                let status: String = r.try_get("status")?;
                let num: Option<i64> = r.try_get("baseline_num")?;
                let den: Option<i64> = r.try_get("baseline_den")?;
                Ok(ActionRecord {
                    id: r.try_get("id")?,
                    dealer_code: r.try_get("dealer_code")?,
                    subject: r.try_get("subject")?,
                    state: ActionState {
                        problem: r.try_get("problem")?,
                        cause: r.try_get("cause")?,
                        countermeasure: r.try_get("countermeasure")?,
                        owner: r.try_get("owner")?,
                        department: r.try_get("department")?,
                        due_month: month_of(r.try_get("due_month")?)?,
                        status: ActionStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("action status {status}")))?,
                        expected: r.try_get("expected")?,
                    },
                    baseline_from: month_of(r.try_get("baseline_from")?)?,
                    baseline_to: month_of(r.try_get("baseline_to")?)?,
                    baseline: num.zip(den),
                    revision: r.try_get("revision")?,
                    created_at: r.try_get("created_at")?,
                    created_by: r.try_get("created_by")?,
                    updated_at: r.try_get("updated_at")?,
                    updated_by: r.try_get("updated_by")?,
                })
            }

            async fn record_revision(conn: &mut <$Db as sqlx::Database>::Connection, id: i64, revision: i32, state: &ActionState, reason: Option<&str>, author: &str, at: i64) -> StoreResult<()> {
                sqlx::query("INSERT INTO action_item_revisions (item_id, revision, state, reason, author, at) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(id)
                    .bind(revision)
                    .bind(state_json(state)?)
                    .bind(reason)
                    .bind(author)
                    .bind(at)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }
        }

        impl $Store {
            /// The dealers of a filter in chunks a statement can bind (`None`: every dealer).
            fn action_chunks(f: &ActionFilter) -> Vec<Option<&[String]>> {
                match &f.dealers {
                    None => vec![None],
                    Some(d) => d.chunks(BULK_ROWS).map(Some).collect(),
                }
            }

            /// The conditions of a filter (dealers of one chunk), its upper bound included.
            fn push_action_filter<'a>(q: &mut sqlx::QueryBuilder<'a, $Db>, f: &'a ActionFilter, dealers: Option<&'a [String]>) {
                if let Some(b) = f.before {
                    q.push(" AND id < ").push_bind(b);
                }
                if let Some(dealers) = dealers {
                    q.push(" AND dealer_code IN ");
                    Self::push_list(q, dealers.iter());
                }
                if !f.statuses.is_empty() {
                    q.push(" AND status IN ");
                    Self::push_list(q, f.statuses.iter().map(|s| s.code()));
                }
                if let Some(m) = f.due_from {
                    q.push(" AND due_month >= ").push_bind(m.index());
                }
                if let Some(m) = f.due_to {
                    q.push(" AND due_month <= ").push_bind(m.index());
                }
            }
        }

        #[async_trait]
        impl ActionStore for $Store {
            async fn create_action(&self, n: &NewAction) -> StoreResult<ActionRecord> {
                let (_writer, mut tx) = self.begin_write().await?;
                let s = &n.state;
                let row = sqlx::query(&format!(
                    "INSERT INTO action_items (dealer_code, subject, problem, cause, countermeasure, owner, department, due_month, status, \
                     baseline_from, baseline_to, baseline_num, baseline_den, expected, revision, created_at, created_by, updated_at, updated_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $16, $15, $16) RETURNING {ACTION_COLUMNS}"
                ))
                .bind(&n.dealer_code)
                .bind(&n.subject)
                .bind(&s.problem)
                .bind(&s.cause)
                .bind(&s.countermeasure)
                .bind(&s.owner)
                .bind(&s.department)
                .bind(s.due_month.index())
                .bind(s.status.code())
                .bind(n.baseline_from.index())
                .bind(n.baseline_to.index())
                .bind(n.baseline.map(|b| b.0))
                .bind(n.baseline.map(|b| b.1))
                .bind(s.expected)
                .bind(n.now)
                .bind(&n.author)
                .fetch_one(&mut *tx)
                .await?;
                let record = Self::action_row(&row)?;
                Self::record_revision(&mut tx, record.id, 1, s, None, &n.author, n.now).await?;
                tx.commit().await?;
                Ok(record)
            }

            async fn action(&self, id: i64) -> StoreResult<Option<ActionRecord>> {
                let row = sqlx::query(&format!("SELECT {ACTION_COLUMNS} FROM action_items WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::action_row).transpose()
            }

            async fn update_action(&self, id: i64, expected_revision: i32, s: &ActionState, reason: Option<&str>, author: &str, now: i64) -> StoreResult<ActionRecord> {
                let (_writer, mut tx) = self.begin_write().await?;
                let row = sqlx::query(&format!(
                    "UPDATE action_items SET problem = $1, cause = $2, countermeasure = $3, owner = $4, department = $5, due_month = $6, status = $7, \
                     expected = $8, revision = revision + 1, updated_at = $9, updated_by = $10 WHERE id = $11 AND revision = $12 RETURNING {ACTION_COLUMNS}"
                ))
                .bind(&s.problem)
                .bind(&s.cause)
                .bind(&s.countermeasure)
                .bind(&s.owner)
                .bind(&s.department)
                .bind(s.due_month.index())
                .bind(s.status.code())
                .bind(s.expected)
                .bind(now)
                .bind(author)
                .bind(id)
                .bind(expected_revision)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    let current: Option<i32> = sqlx::query_scalar("SELECT revision FROM action_items WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
                    return Err(match current {
                        None => StoreError::NotFound(format!("action item {id}")),
                        Some(c) => StoreError::Conflict(format!(
                            "expectedRevision {expected_revision} is stale: the action item is at revision {c}; reload it and apply your change again"
                        )),
                    });
                };
                let record = Self::action_row(&row)?;
                Self::record_revision(&mut tx, id, record.revision, s, reason, author, now).await?;
                tx.commit().await?;
                Ok(record)
            }

            async fn actions_version(&self) -> StoreResult<(i64, i64)> {
                let row = sqlx::query("SELECT COUNT(*) AS n, COALESCE(SUM(revision), 0) AS revisions FROM action_items")
                    .fetch_one(&self.pool)
                    .await?;
                Ok((row.try_get("n")?, row.try_get("revisions")?))
            }

            async fn actions(&self, f: &ActionFilter) -> StoreResult<Vec<ActionRecord>> {
                if f.dealers.as_ref().is_some_and(|d| d.is_empty()) || f.limit <= 0 {
                    return Ok(vec![]);
                }
                let mut out = Vec::new();
                for chunk in Self::action_chunks(f) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new(format!("SELECT {ACTION_COLUMNS} FROM action_items WHERE id > "));
                    q.push_bind(f.after.unwrap_or(0));
                    Self::push_action_filter(&mut q, f, chunk);
                    q.push(if f.from_end { " ORDER BY id DESC LIMIT " } else { " ORDER BY id LIMIT " }).push_bind(f.limit);
                    for r in q.build().fetch_all(&self.pool).await? {
                        out.push(Self::action_row(&r)?);
                    }
                }
                out.sort_by_key(|a| a.id);
                let n = f.limit as usize;
                if f.from_end && out.len() > n {
                    out.drain(..out.len() - n);
                }
                out.truncate(n);
                Ok(out)
            }

            async fn count_actions(&self, f: &ActionFilter) -> StoreResult<i64> {
                if f.dealers.as_ref().is_some_and(|d| d.is_empty()) {
                    return Ok(0);
                }
                let mut total = 0;
                let unbounded = ActionFilter { after: None, before: None, ..f.clone() };
                for chunk in Self::action_chunks(&unbounded) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT COUNT(*) FROM action_items WHERE 1 = 1");
                    Self::push_action_filter(&mut q, &unbounded, chunk);
                    total += q.build_query_scalar::<i64>().fetch_one(&self.pool).await?;
                }
                Ok(total)
            }

            async fn action_revisions(&self, id: i64) -> StoreResult<Vec<ActionRevision>> {
                let rows = sqlx::query("SELECT revision, state, reason, author, at FROM action_item_revisions WHERE item_id = $1 ORDER BY revision")
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        let state: String = r.try_get("state")?;
                        Ok(ActionRevision {
                            revision: r.try_get("revision")?,
                            state: serde_json::from_str(&state).map_err(|e| StoreError::Corrupt(format!("action revision: {e}")))?,
                            reason: r.try_get("reason")?,
                            author: r.try_get("author")?,
                            at: r.try_get("at")?,
                        })
                    })
                    .collect()
            }

            async fn add_followup(&self, id: i64, author: &str, note: &str, now: i64) -> StoreResult<FollowUp> {
                let (_writer, mut tx) = self.begin_write().await?;
                let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM action_items WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
                if exists.is_none() {
                    return Err(StoreError::NotFound(format!("action item {id}")));
                }
                let seq: i32 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) + 1 FROM action_followups WHERE item_id = $1").bind(id).fetch_one(&mut *tx).await?;
                sqlx::query("INSERT INTO action_followups (item_id, seq, at, author, note) VALUES ($1, $2, $3, $4, $5)")
                    .bind(id)
                    .bind(seq)
                    .bind(now)
                    .bind(author)
                    .bind(note)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| unique_as_conflict(e, || "another follow-up was added at the same moment: try again".into()))?;
                tx.commit().await?;
                Ok(FollowUp { item_id: id, seq, at: now, author: author.to_string(), note: note.to_string() })
            }

            async fn followups(&self, ids: &[i64]) -> StoreResult<Vec<FollowUp>> {
                let mut out = Vec::new();
                for chunk in ids.chunks(BULK_ROWS) {
                    let mut q = sqlx::QueryBuilder::<$Db>::new("SELECT item_id, seq, at, author, note FROM action_followups WHERE item_id IN ");
                    Self::push_list(&mut q, chunk.iter().copied());
                    q.push(" ORDER BY item_id, seq");
                    for r in q.build().fetch_all(&self.pool).await? {
                        out.push(FollowUp {
                            item_id: r.try_get("item_id")?,
                            seq: r.try_get("seq")?,
                            at: r.try_get("at")?,
                            author: r.try_get("author")?,
                            note: r.try_get("note")?,
                        });
                    }
                }
                Ok(out)
            }
        }
    };
}

actions_sql!(SqliteStore, sqlx::Sqlite, SqliteRow, Backend::Sqlite);
actions_sql!(PgStore, sqlx::Postgres, PgRow, Backend::Postgres);
