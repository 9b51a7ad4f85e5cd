//! Trends: a dealer's monthly series of a KPI with its region's and the nation's values.

use super::scorecard::OwnValue;
use crate::app::cache::{GroupSum, View};
use crate::app::{App, AppError, AppResult};
use crate::auth::Principal;
use crate::domain::disclosure::Disclosure;
use crate::domain::kpi::{KpiDef, Unavailable};
use crate::domain::stats::Aggregate;
use crate::domain::{Month, MonthRange};

/// A group's pooled value in one month as the caller may see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupValue {
    pub disclosure: Disclosure,
    pub pooled: Option<f64>,
    /// Dealers with a value (0 when not yet published).
    pub dealers: i64,
}

/// One month of a dealer's series.
#[derive(Debug, Clone)]
pub struct TrendPoint {
    pub month: Month,
    pub value: OwnValue,
    pub region_code: Option<String>,
    pub region: GroupValue,
    pub nation: GroupValue,
}

impl App {
    /// `dealer`'s monthly series of `kpi` over `range`, with its region (of each month) and
    /// the nation: live, or as published for dealer users.
    pub async fn trend(
        &self,
        who: &Principal,
        dealer: &str,
        kpi: &'static KpiDef,
        range: MonthRange,
    ) -> AppResult<Vec<TrendPoint>> {
        let viewer = self.viewer(who);
        self.refresh_kpis().await?;
        let store = self.store.as_ref();
        let (directory, i) = self.dealer_slot(dealer).await?;
        let Some(own) = self.cache.dealer_series(store, dealer, kpi, range).await? else {
            return Err(AppError::NotFound(format!("dealer {dealer} not found")));
        };
        let view = viewer.view();
        let groups = self.cache.monthly_groups(store, kpi, range, view).await?;
        let rules = self.disclosure_rules();
        let judge = |sum: Option<GroupSum>, available: bool| -> GroupValue {
            if !available {
                return GroupValue {
                    disclosure: Disclosure::NotYetPublished,
                    pooled: None,
                    dealers: 0,
                };
            }
            let sum = sum.unwrap_or_default();
            let pooled = i64::try_from(sum.numerator)
                .ok()
                .zip(i64::try_from(sum.denominator).ok())
                .and_then(|(n, d)| kpi.value(n, d));
            let disclosure = match view {
                View::Live => Disclosure::Live,
                View::Published => rules.judge(&Aggregate::of_sums(
                    pooled,
                    (sum.numerator, sum.denominator),
                    sum.dealers as usize,
                    0,
                    sum.largest_share(),
                )),
            };
            GroupValue {
                disclosure,
                pooled: pooled.filter(|_| disclosure.shown()),
                dealers: sum.dealers,
            }
        };
        Ok(groups
            .into_iter()
            .zip(own.values)
            .map(|(g, pair)| {
                let region_code = directory.region_at(i, g.month).map(str::to_string);
                let visible = viewer.sees_dealer_month(&directory, i, g.month);
                let value = match pair {
                    _ if !visible => OwnValue::Hidden,
                    Ok(p) => kpi.value(p.num, p.den).map_or(
                        OwnValue::Unavailable(Unavailable::ZeroDenominator),
                        OwnValue::Value,
                    ),
                    Err(u) => OwnValue::Unavailable(u),
                };
                let region = judge(
                    region_code.as_ref().and_then(|r| g.regions.get(r).copied()),
                    g.available,
                );
                TrendPoint {
                    month: g.month,
                    value,
                    region,
                    nation: judge(Some(g.nation), g.available),
                    region_code,
                }
            })
            .collect())
    }
}
