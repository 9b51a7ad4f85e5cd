//! Migrations, planner statistics, health and settings.

use super::*;

macro_rules! maintenance_sql {
    ($Store:ident, $Db:ty, $Row:ty, $backend:expr, $migrations:literal) => {
        impl $Store {
            /// Whether SQLite's histogram samples (`sqlite_stat4`) hold any row.
            async fn has_stat4(conn: &mut <$Db as sqlx::Database>::Connection) -> StoreResult<bool> {
                if $backend != Backend::Sqlite {
                    return Ok(false);
                }
                let table: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat4'").fetch_one(&mut *conn).await?;
                if table == 0 {
                    return Ok(false);
                }
                let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM sqlite_stat4 LIMIT 1)").fetch_one(&mut *conn).await?;
                Ok(rows > 0)
            }
        }

        #[async_trait]
        impl Maintenance for $Store {
            fn backend(&self) -> Backend {
                $backend
            }

            fn pool_use(&self) -> PoolUse {
                PoolUse {
                    open: self.pool.size(),
                    idle: self.pool.num_idle() as u32,
                    max: self.pool.options().get_max_connections(),
                }
            }

            async fn migrate(&self) -> StoreResult<()> {
                sqlx::migrate!($migrations).run(&self.pool).await?;
                Ok(())
            }

            async fn schema_version(&self) -> StoreResult<(i64, i64)> {
                let latest = sqlx::migrate!($migrations).iter().map(|m| m.version).max().unwrap_or(0);
                // A database never migrated has no table yet: version 0.
                let applied: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")
                    .fetch_one(&self.pool)
                    .await
                    .unwrap_or(0);
                Ok((applied, latest))
            }

            async fn analyze(&self) -> StoreResult<()> {
                // Without statistics SQLite would answer a dealer's facts from the (kpi, month)
                // key, reading every dealer of those months. A sampled ANALYZE takes milliseconds.
                if $backend == Backend::Sqlite {
                    sqlx::query("PRAGMA analysis_limit = 400").execute(&self.pool).await?;
                }
                sqlx::query("ANALYZE").execute(&self.pool).await?;
                if $backend == Backend::Sqlite {
                    // Histogram samples (sqlite_stat4) make a plan depend on the values bound:
                    // SQLite then prepares a statement again each time a bound month or
                    // sequence number changes (a tenth of a write's CPU). The row counts of
                    // sqlite_stat1 choose the same indexes here; `ANALYZE sqlite_schema` makes
                    // every connection read the statistics again.
                    let (_writer, mut tx) = self.begin_write().await?;
                    if Self::has_stat4(&mut *tx).await? {
                        sqlx::query("DELETE FROM sqlite_stat4").execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    sqlx::query("ANALYZE sqlite_schema").execute(&self.pool).await?;
                }
                Ok(())
            }

            async fn has_statistics(&self) -> StoreResult<bool> {
                if $backend == Backend::Postgres {
                    return Ok(true);
                }
                let mut conn = self.pool.acquire().await?;
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").fetch_one(&mut *conn).await?;
                // Samples left by an earlier build (see `analyze`) call for the statistics again.
                Ok(n > 0 && !Self::has_stat4(&mut *conn).await?)
            }

            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn setting_or_insert(&self, key: &str, default: &str) -> StoreResult<String> {
                sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                    .bind(key)
                    .bind(default)
                    .execute(&self.pool)
                    .await?;
                Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = $1").bind(key).fetch_one(&self.pool).await?)
            }

            async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
                Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(&self.pool).await?)
            }

            async fn put_setting(&self, key: &str, value: &str) -> StoreResult<()> {
                sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                    .bind(key)
                    .bind(value)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    };
}

maintenance_sql!(
    SqliteStore,
    sqlx::Sqlite,
    SqliteRow,
    Backend::Sqlite,
    "migrations/sqlite"
);
maintenance_sql!(
    PgStore,
    sqlx::Postgres,
    PgRow,
    Backend::Postgres,
    "migrations/postgres"
);
