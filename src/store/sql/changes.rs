//! The change log that keeps in-process caches in step across replicas.

use super::*;

macro_rules! changes_sql {
    ($Store:ident, $Db:ty, $Row:ty, $backend:expr) => {
        impl $Store {
            /// `SELECT <columns>` of the entries after `after` and those of `also`; callers
            /// append to it.
            fn log_after<'a>(
                columns: &str,
                after: i64,
                also: &'a [i64],
            ) -> sqlx::QueryBuilder<'a, $Db> {
                let mut q = sqlx::QueryBuilder::<$Db>::new(format!(
                    "SELECT {columns} FROM change_log WHERE (seq > "
                ));
                q.push_bind(after);
                if !also.is_empty() {
                    q.push(" OR seq IN ");
                    Self::push_list(&mut q, also.iter().copied());
                }
                q.push(")");
                q
            }
        }

        #[async_trait]
        impl ChangeStore for $Store {
            async fn changes_since(&self, after: i64, also: &[i64]) -> StoreResult<Vec<Change>> {
                let mut q =
                    Self::log_after("seq, kind, dealer_code, from_month, to_month", after, also);
                q.push(" ORDER BY seq");
                let rows = q.build().fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| {
                        let kind: String = r.try_get("kind")?;
                        Ok(Change {
                            seq: r.try_get("seq")?,
                            kind: ChangeKind::parse(&kind).ok_or_else(|| {
                                StoreError::Corrupt(format!("change kind {kind}"))
                            })?,
                            dealer_code: r.try_get("dealer_code")?,
                            from: r
                                .try_get::<Option<i32>, _>("from_month")?
                                .map(month_of)
                                .transpose()?,
                            to: r
                                .try_get::<Option<i32>, _>("to_month")?
                                .map(month_of)
                                .transpose()?,
                        })
                    })
                    .collect()
            }

            async fn shared_change_since(&self, after: i64, also: &[i64]) -> StoreResult<bool> {
                let mut q = Self::log_after("seq", after, also);
                q.push(" AND (kind <> 'FACTS' OR dealer_code IS NULL) LIMIT 1");
                Ok(q.build().fetch_optional(&self.pool).await?.is_some())
            }

            async fn last_change(&self) -> StoreResult<i64> {
                Ok(
                    sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(seq) FROM change_log")
                        .fetch_one(&self.pool)
                        .await?
                        .unwrap_or(0),
                )
            }
        }
    };
}

changes_sql!(SqliteStore, sqlx::Sqlite, SqliteRow, Backend::Sqlite);
changes_sql!(PgStore, sqlx::Postgres, PgRow, Backend::Postgres);
