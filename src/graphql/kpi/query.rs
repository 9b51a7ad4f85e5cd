//! KPI queries: thin resolvers over the `app` layer, which applies who sees what.

use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};

use super::super::error::{to_gql, GqlResult};
use super::super::guards::{principal, DealerRead};
use super::super::paging::PageArgs;
use super::super::query::{DEFAULT_PAGE, MAX_PAGE};
use super::facts::{fact_query, FactTable, KpiFactConnection, MAX_FACT_PAGE};
use super::inputs::{PeriodInput, ScopeInput};
use super::types::{Benchmarks, Kpi, OemParameter, Ranking, Scorecard, TrendPoint};
use crate::app::{App, AppError};
use crate::domain::kpi::KPIS;
use crate::domain::{self, Group, Month, MonthRange};

/// `after` of an offset-paged list: the position after which to start.
#[derive(Default)]
pub struct KpiQuery;

#[Object]
impl KpiQuery {
    /// Every KPI: codes, names, units, directions, guidelines and formulas.
    async fn kpi_catalog(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Kpi>> {
        principal(ctx)?;
        Ok(KPIS.iter().map(Kpi).collect())
    }

    /// The dealers of a scope (default: the nation) ordered by a KPI in its good direction,
    /// with ranks, percentiles, deltas and the scope's aggregates. Regional managers see the
    /// lines of their regions' dealers (for the months they were there) and other groups as
    /// aggregates; dealer users see their own line against the published snapshot, for their
    /// region, their peer group or the nation.
    #[graphql(complexity = "500 + first.or(last).unwrap_or(50).clamp(1, 500) as usize * 4")]
    async fn ranking(
        &self,
        ctx: &Context<'_>,
        kpi: String,
        period: PeriodInput,
        scope: Option<ScopeInput>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Ranking> {
        let who = principal(ctx)?;
        let app: &App = super::super::app(ctx);
        let def = app.kpi(&kpi).gql()?;
        let period = period.period()?;
        let group = scope
            .map(|s| s.group())
            .transpose()?
            .unwrap_or(Group::Nation);
        let window =
            PageArgs::new(first, after, last, before, DEFAULT_PAGE, MAX_PAGE)?.by_position()?;
        Ok(app
            .ranking(who, def, period, group, window)
            .await
            .gql()?
            .into())
    }

    /// Every KPI of one dealer for a period: value, ranks, the region's, peer group's and
    /// nation's aggregates, guideline status, changes, and a radar score.
    #[graphql(
        guard = "DealerRead::new(&dealer_code, Some(period.last_month()))",
        complexity = 2000
    )]
    async fn scorecard(
        &self,
        ctx: &Context<'_>,
        dealer_code: String,
        period: PeriodInput,
    ) -> async_graphql::Result<Scorecard> {
        let who = principal(ctx)?;
        let app: &App = super::super::app(ctx);
        let period = period.period()?;
        Ok(app.scorecard(who, &dealer_code, period).await.gql()?.into())
    }

    /// A dealer's monthly series of a KPI with its region's and the nation's pooled values.
    #[graphql(
        guard = "DealerRead::new(&dealer_code, Some(to))",
        complexity = "100 + (to.since(from).clamp(0, 119) as usize + 1) * 10"
    )]
    async fn kpi_trend(
        &self,
        ctx: &Context<'_>,
        dealer_code: String,
        kpi: String,
        from: Month,
        to: Month,
    ) -> async_graphql::Result<Vec<TrendPoint>> {
        let who = principal(ctx)?;
        let app: &App = super::super::app(ctx);
        let def = app.kpi(&kpi).gql()?;
        let range = MonthRange::new(from, to)
            .filter(|r| r.len() <= domain::period::MAX_PERIOD_MONTHS)
            .ok_or_else(|| {
                to_gql(AppError::invalid(
                    "to",
                    "must not be before `from`, and the series at most 120 months",
                ))
            })?;
        Ok(app
            .trend(who, &dealer_code, def, range)
            .await
            .gql()?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// A KPI for a period: the nation and every region side by side (dealer users: the
    /// nation and their own region, as published).
    #[graphql(complexity = 300)]
    async fn benchmarks(
        &self,
        ctx: &Context<'_>,
        kpi: String,
        period: PeriodInput,
    ) -> async_graphql::Result<Benchmarks> {
        let who = principal(ctx)?;
        let app: &App = super::super::app(ctx);
        let def = app.kpi(&kpi).gql()?;
        let period = period.period()?;
        Ok(app.benchmarks(who, def, period).await.gql()?.into())
    }

    /// KPI facts (dealer, region at that month, month, KPI, numerator, denominator, value) for
    /// BI pulls, in a stable order (KPI, month, dealer): pages stay correct while reports
    /// arrive. `updatedSince` returns only facts (re)computed since then, for incremental pulls.
    /// Scoped like reports: a dealer user gets its own facts only.
    #[graphql(complexity = "first.or(last).unwrap_or(1000).clamp(1, 10_000) as usize")]
    async fn kpi_facts(
        &self,
        ctx: &Context<'_>,
        from: Month,
        to: Month,
        #[graphql(desc = "Only these KPI codes (default: all)")] kpis: Option<Vec<String>>,
        updated_since: Option<DateTime<Utc>>,
        #[graphql(desc = "Page size, default 1000, at most 10000")] first: Option<i32>,
        after: Option<String>,
        #[graphql(desc = "The last facts before `before` (at most 10000)")] last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<KpiFactConnection> {
        let page = PageArgs::new(first, after, last, before, 1000, MAX_FACT_PAGE)?;
        let q = fact_query(ctx, from, to, kpis, updated_since, &page)?;
        let facts = super::super::app(ctx).facts(&q).await.gql()?;
        Ok(KpiFactConnection::new(facts, q))
    }

    /// The same facts as `kpiFacts`, as a compact table for bulk pulls: one array (`rows`) or
    /// one CSV line (`csv`) per fact, in the order of `columns`, without per-field overhead.
    /// Follow `endCursor` while `hasNextPage`.
    #[graphql(complexity = "first.unwrap_or(1000).clamp(1, 10_000) as usize")]
    async fn kpi_fact_table(
        &self,
        ctx: &Context<'_>,
        from: Month,
        to: Month,
        kpis: Option<Vec<String>>,
        updated_since: Option<DateTime<Utc>>,
        #[graphql(desc = "Page size, default 1000, at most 10000")] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<FactTable> {
        let page = PageArgs::new(first, after, None, None, 1000, MAX_FACT_PAGE)?;
        let q = fact_query(ctx, from, to, kpis, updated_since, &page)?;
        let page = super::super::app(ctx).facts(&q).await.gql()?;
        Ok(FactTable {
            facts: page.rows,
            next: page.next,
        })
    }

    /// OEM parameters in force (annual visits per vehicle, by year and region).
    async fn oem_parameters(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OemParameter>> {
        principal(ctx)?;
        Ok(super::super::app(ctx)
            .params()
            .await
            .gql()?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}
