//! Writing KPI facts in bulk, the one statement whose fastest form differs by dialect: a
//! submission writes some 70 facts, an import of 10,000 reports 700,000.

use super::*;

/// The columns `fact_row` reads.
const FACT_COLUMNS: &str =
    "f.kpi, f.month, f.dealer_code, f.region_code, f.numerator, f.denominator, f.reason, f.updated_at";

/// How facts are written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum FactWrite {
    /// Facts the writer saw absent: a plain insert (an upsert costs PostgreSQL some 40 %
    /// more per row). Another writer adding one meanwhile fails the transaction with a
    /// unique violation rather than being overwritten.
    New,
    /// Facts that may exist: inserted or replaced.
    Replace,
}

/// A fact inserted by another writer since this one read them: its transaction fails.
fn raced(e: sqlx::Error) -> StoreError {
    unique_as_conflict(e, || {
        "KPI facts were written at the same time by another writer: try again".to_string()
    })
}

impl FactWrite {
    fn clause(self) -> &'static str {
        match self {
            FactWrite::New => "",
            FactWrite::Replace => UPSERT,
        }
    }
}

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
        how: FactWrite,
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
            q.push(how.clause());
            q.build().execute(&mut *conn).await.map_err(raced)?;
        }
        Ok(())
    }
}

impl SqliteStore {
    /// The stored facts of `dealers` in `from..=to` (of the KPIs `only`), in the caller's
    /// transaction: both key columns as lists, which SQLite turns into one seek per pair.
    pub(super) async fn facts_of_dealers(
        conn: &mut sqlx::SqliteConnection,
        dealers: &[String],
        from: Month,
        to: Month,
        only: Option<&[i16]>,
    ) -> StoreResult<Vec<FactRow>> {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(format!(
            "SELECT {FACT_COLUMNS} FROM kpi_facts f WHERE f.dealer_code IN "
        ));
        Self::push_list(&mut q, dealers.iter());
        q.push(" AND f.month IN ");
        Self::push_list(&mut q, months_of(from, to));
        if let Some(ids) = only {
            q.push(" AND f.kpi IN ");
            Self::push_list(&mut q, ids.iter().copied());
        }
        let rows = q.build().fetch_all(&mut *conn).await?;
        rows.iter().map(Self::fact_row).collect()
    }
}

impl PgStore {
    /// The stored facts of `dealers` in `from..=to` (of the KPIs `only`), in the caller's
    /// transaction: one index seek per (month, dealer) pair. With two lists PostgreSQL
    /// seeks the months and filters the dealers, reading every fact of a month (700,000
    /// during an import of that month, 100 ms per statement).
    pub(super) async fn facts_of_dealers(
        conn: &mut sqlx::PgConnection,
        dealers: &[String],
        from: Month,
        to: Month,
        only: Option<&[i16]>,
    ) -> StoreResult<Vec<FactRow>> {
        let mut months = Vec::new();
        let mut codes = Vec::new();
        for m in months_of(from, to) {
            for d in dealers {
                months.push(m);
                codes.push(d.as_str());
            }
        }
        let kpis: Option<Vec<i16>> = only.map(<[i16]>::to_vec);
        let rows = sqlx::query(&format!(
            "SELECT {FACT_COLUMNS} FROM UNNEST($1::int4[], $2::text[]) AS k(m, d) \
             JOIN kpi_facts f ON f.month = k.m AND f.dealer_code = k.d \
             WHERE $3::int2[] IS NULL OR f.kpi = ANY($3)"
        ))
        .bind(months)
        .bind(codes)
        .bind(kpis)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(Self::fact_row).collect()
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
        how: FactWrite,
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
                 SELECT * FROM UNNEST($1::int2[], $2::int4[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::text[], $8::int8[]){}",
                how.clause()
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
            .await
            .map_err(raced)?;
        }
        Ok(())
    }
}
