//! Writing KPI facts in bulk, the one statement whose fastest form differs by dialect: a
//! submission writes some 70 facts, an import of 10,000 reports 700,000.

use super::*;

/// The upsert both dialects end with: a recomputed fact replaces the stored one.
const UPSERT: &str =
    " ON CONFLICT (kpi, month, dealer_code) DO UPDATE SET region_code = excluded.region_code, \
     numerator = excluded.numerator, denominator = excluded.denominator, reason = excluded.reason, \
     updated_at = excluded.updated_at";

impl SqliteStore {
    /// Inserts or replaces facts in the caller's transaction (multi-row `VALUES`).
    pub(super) async fn insert_facts(
        conn: &mut sqlx::SqliteConnection,
        rows: &[FactRow],
    ) -> StoreResult<()> {
        for chunk in rows.chunks(BULK_ROWS) {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO kpi_facts (kpi, month, dealer_code, region_code, numerator, denominator, reason, updated_at) ",
            );
            q.push_values(chunk, |mut b, f| {
                let (n, d, reason) = fact_columns(&f.value);
                b.push_bind(f.kpi)
                    .push_bind(f.month.index())
                    .push_bind(&f.dealer_code)
                    .push_bind(&f.region_code)
                    .push_bind(n)
                    .push_bind(d)
                    .push_bind(reason)
                    .push_bind(f.updated_at);
            });
            q.push(UPSERT);
            q.build().execute(&mut *conn).await?;
        }
        Ok(())
    }
}

/// Facts per PostgreSQL statement: eight arrays, whatever their length.
const PG_ROWS: usize = 10_000;

impl PgStore {
    /// Inserts or replaces facts in the caller's transaction: one array per column
    /// (`UNNEST`), so that a statement binds eight parameters instead of 4,000 and
    /// PostgreSQL plans it once.
    pub(super) async fn insert_facts(
        conn: &mut sqlx::PgConnection,
        rows: &[FactRow],
    ) -> StoreResult<()> {
        for chunk in rows.chunks(PG_ROWS) {
            let mut kpi = Vec::with_capacity(chunk.len());
            let mut month = Vec::with_capacity(chunk.len());
            let mut dealer = Vec::with_capacity(chunk.len());
            let mut region = Vec::with_capacity(chunk.len());
            let mut numerator = Vec::with_capacity(chunk.len());
            let mut denominator = Vec::with_capacity(chunk.len());
            let mut reason = Vec::with_capacity(chunk.len());
            let mut updated_at = Vec::with_capacity(chunk.len());
            for f in chunk {
                let (n, d, r) = fact_columns(&f.value);
                kpi.push(f.kpi);
                month.push(f.month.index());
                dealer.push(f.dealer_code.as_str());
                region.push(f.region_code.as_str());
                numerator.push(n);
                denominator.push(d);
                reason.push(r);
                updated_at.push(f.updated_at);
            }
            sqlx::query(&format!(
                "INSERT INTO kpi_facts (kpi, month, dealer_code, region_code, numerator, denominator, reason, updated_at) \
                 SELECT * FROM UNNEST($1::int2[], $2::int4[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::text[], $8::int8[]){UPSERT}"
            ))
            .bind(kpi)
            .bind(month)
            .bind(dealer)
            .bind(region)
            .bind(numerator)
            .bind(denominator)
            .bind(reason)
            .bind(updated_at)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}
