//! KPI queries: rankings, scorecards, trends, benchmarks and fact pulls, all built from the
//! stored per dealer-month numerators and denominators (never from raw reports).

use std::sync::Arc;

use super::cache::KpiPeriod;
use super::{App, AppError, AppResult};
use crate::domain::kpi::{self, KpiDef, ParamValue, Unavailable};
use crate::domain::{Month, MonthRange, Period, SizeTier};
use crate::store::{FactQuery, FactRow};

/// The group of dealers a ranking or aggregate is over.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    Nation,
    Region(String),
    /// Dealers of one brand and size tier.
    Peer {
        brand: String,
        size_tier: SizeTier,
    },
}

/// A dealer as KPI queries see it: identity and groups in the period's last month.
#[derive(Debug, Clone)]
pub struct Member {
    pub code: String,
    pub name: String,
    pub region_code: Option<String>,
    pub brand: String,
    pub size_tier: SizeTier,
    /// Open at some point of the period.
    pub active: bool,
}

/// One month of a dealer's KPI series, with its region and the nation.
#[derive(Debug, Clone)]
pub struct TrendPoint {
    pub month: Month,
    pub value: Result<f64, Unavailable>,
    pub region_code: Option<String>,
    pub region: Option<GroupValue>,
    pub nation: Option<GroupValue>,
}

/// A pooled value and how many dealers it pools.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupValue {
    pub pooled: f64,
    pub dealers: i64,
}

/// A dealer's value of a KPI over a period, or why there is none.
pub fn dealer_value(
    kpi: &KpiDef,
    facts: &[&FactRow],
    range: MonthRange,
) -> Result<f64, Unavailable> {
    let mut sum = (0i64, 0i64);
    let mut reason = Unavailable::MissingReport;
    for f in facts.iter().filter(|f| range.contains(f.month)) {
        match f.value {
            Ok((n, d)) => {
                sum.0 = sum.0.saturating_add(n);
                sum.1 = sum.1.saturating_add(d);
            }
            Err(u) => reason = u,
        }
    }
    kpi.value(sum.0, sum.1).ok_or(reason)
}

impl App {
    /// The KPI named `code`, or a BAD_USER_INPUT error naming the argument.
    pub fn kpi(&self, code: &str) -> AppResult<&'static KpiDef> {
        kpi::by_code(code).ok_or_else(|| {
            AppError::invalid(
                "kpi",
                format!("unknown KPI `{code}`: see kpiCatalog for the codes"),
            )
        })
    }

    /// Brings the KPI cache up to date with every write so far, by any replica. Once per
    /// request, before [`App::kpi_period`].
    pub async fn refresh_kpis(&self) -> AppResult<()> {
        Ok(self.cache.refresh(self.store.as_ref()).await?)
    }

    /// One KPI over one period for the whole network (from the in-memory cache).
    pub async fn kpi_period(
        &self,
        kpi: &'static KpiDef,
        period: Period,
    ) -> AppResult<Arc<KpiPeriod>> {
        Ok(self.cache.period(self.store.as_ref(), kpi, period).await?)
    }

    /// A dealer's monthly series of a KPI, with its region's and the nation's pooled values.
    pub async fn trend(
        &self,
        dealer: &str,
        kpi: &'static KpiDef,
        range: MonthRange,
    ) -> AppResult<Vec<TrendPoint>> {
        self.refresh_kpis().await?;
        let Some(own) = self
            .cache
            .dealer_series(self.store.as_ref(), dealer, kpi, range)
            .await?
        else {
            return Err(AppError::NotFound(format!("dealer {dealer} not found")));
        };
        let groups = self
            .cache
            .monthly_groups(self.store.as_ref(), kpi, range)
            .await?;
        let history = own.history;
        let group = |(n, d, c): (i64, i64, i64)| {
            kpi.value(n, d)
                .map(|pooled| GroupValue { pooled, dealers: c })
        };
        Ok(groups
            .into_iter()
            .zip(own.values)
            .map(|(g, pair)| {
                let value =
                    pair.and_then(|p| kpi.value(p.num, p.den).ok_or(Unavailable::ZeroDenominator));
                let region_code =
                    crate::domain::network::region_at(&history, g.month).map(str::to_string);
                let region = region_code
                    .as_ref()
                    .and_then(|r| g.regions.get(r).copied())
                    .and_then(group);
                TrendPoint {
                    month: g.month,
                    value,
                    region,
                    nation: group(g.nation),
                    region_code,
                }
            })
            .collect())
    }

    /// A page of facts (see [`FactQuery`]): from memory when its months are cached (the
    /// service warms the recent ones), else from the database.
    pub async fn facts(&self, q: &FactQuery) -> AppResult<Vec<FactRow>> {
        self.refresh_kpis().await?;
        match self.cache.fact_page(q) {
            Some(rows) => Ok(rows),
            None => Ok(self.store.fact_page(q).await?),
        }
    }

    /// Every OEM parameter value.
    pub async fn params(&self) -> AppResult<Vec<ParamValue>> {
        Ok(self.store.params().await?)
    }

    /// Sets an OEM parameter and recomputes the KPIs that use it; returns how many facts changed.
    pub async fn set_param(&self, value: ParamValue, author: &str) -> AppResult<u64> {
        if !(1900..=9999).contains(&value.year) {
            return Err(AppError::invalid(
                "year",
                format!("{} is not a year", value.year),
            ));
        }
        if value.value <= 0 {
            return Err(AppError::invalid("value", "must be greater than 0"));
        }
        if !value.region_code.is_empty()
            && !self
                .store
                .regions()
                .await?
                .iter()
                .any(|r| r.code == value.region_code)
        {
            return Err(AppError::NotFound(format!(
                "region {} not found",
                value.region_code
            )));
        }
        Ok(self.store.set_param(&value, author, self.wall_ms()).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(month: &str, value: Result<(i64, i64), Unavailable>) -> FactRow {
        FactRow {
            kpi: 64,
            month: month.parse().unwrap(),
            dealer_code: "D1".into(),
            region_code: "R".into(),
            value,
            updated_at: 0,
        }
    }

    #[test]
    fn period_value_is_sum_over_sum_and_reasons_survive() {
        let kpi = kpi::by_code("comeback_rate").unwrap();
        let facts = [
            fact("2024-01", Ok((1, 100))),
            fact("2024-02", Ok((5, 100))),
            fact("2024-03", Err(Unavailable::ZeroDenominator)),
        ];
        let refs: Vec<&FactRow> = facts.iter().collect();
        let range =
            |a: &str, b: &str| MonthRange::new(a.parse().unwrap(), b.parse().unwrap()).unwrap();
        // (1 + 5) / (100 + 100) × 100 = 3 %
        assert_eq!(
            dealer_value(kpi, &refs, range("2024-01", "2024-03")),
            Ok(3.0)
        );
        assert_eq!(
            dealer_value(kpi, &refs, range("2024-03", "2024-03")),
            Err(Unavailable::ZeroDenominator)
        );
        assert_eq!(
            dealer_value(kpi, &refs, range("2024-04", "2024-05")),
            Err(Unavailable::MissingReport)
        );
    }
}
