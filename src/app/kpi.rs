//! KPI queries: rankings, scorecards, trends, benchmarks and fact pulls, all built from the
//! stored per dealer-month numerators and denominators (never from raw reports).

use std::collections::HashMap;

use super::{App, AppError, AppResult};
use crate::domain::kpi::{self, KpiDef, ParamValue, Unavailable};
use crate::domain::stats::{aggregate, standings, Aggregate, Pair, Standing};
use crate::domain::{Month, MonthRange, Period, SizeTier};
use crate::store::{DealerFilter, FactQuery, FactRow};

/// The group of dealers a ranking or aggregate is over.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

impl Member {
    fn in_scope(&self, scope: &Scope) -> bool {
        match scope {
            Scope::Nation => true,
            Scope::Region(r) => self.region_code.as_deref() == Some(r),
            Scope::Peer { brand, size_tier } => {
                &self.brand == brand && self.size_tier == *size_tier
            }
        }
    }
}

/// One KPI over one period for every dealer of the network.
pub struct PeriodValues {
    pub kpi: &'static KpiDef,
    pub period: Period,
    /// Every dealer active in the period, with its summed pair when it has a value.
    pub members: Vec<(Member, Option<Pair>)>,
}

impl PeriodValues {
    /// The dealer's value.
    pub fn value_of(&self, code: &str) -> Option<f64> {
        self.members
            .iter()
            .find(|(m, _)| m.code == code)
            .and_then(|(_, p)| p.and_then(|p| self.kpi.value(p.num, p.den)))
    }

    /// The aggregate of a scope.
    pub fn aggregate(&self, scope: &Scope) -> Aggregate {
        let in_scope = self.members.iter().filter(|(m, _)| m.in_scope(scope));
        let (with, without): (Vec<_>, Vec<_>) = in_scope.partition(|(_, p)| p.is_some());
        let pairs: Vec<Pair> = with.iter().filter_map(|(_, p)| *p).collect();
        aggregate(self.kpi, &pairs, without.len())
    }

    /// The scope's dealers with a value, best first, with their standing in the scope.
    pub fn ranked(&self, scope: &Scope) -> Vec<Ranked<'_>> {
        let valued: Vec<(&Member, Pair, f64)> = self
            .members
            .iter()
            .filter(|(m, _)| m.in_scope(scope))
            .filter_map(|(m, p)| p.and_then(|p| self.kpi.value(p.num, p.den).map(|v| (m, p, v))))
            .collect();
        let values: Vec<f64> = valued.iter().map(|(_, _, v)| *v).collect();
        let mut out: Vec<Ranked> = valued
            .into_iter()
            .zip(standings(&values, self.kpi.direction))
            .map(|((member, pair, value), standing)| Ranked {
                member,
                pair,
                value,
                standing,
            })
            .collect();
        out.sort_by(|a, b| {
            a.standing
                .rank
                .cmp(&b.standing.rank)
                .then_with(|| a.member.code.cmp(&b.member.code))
        });
        out
    }

    /// The scope's dealers without a value.
    pub fn missing(&self, scope: &Scope) -> Vec<&Member> {
        self.members
            .iter()
            .filter(|(m, p)| {
                m.in_scope(scope) && p.and_then(|p| self.kpi.value(p.num, p.den)).is_none()
            })
            .map(|(m, _)| m)
            .collect()
    }
}

/// A dealer's place in a ranking.
pub struct Ranked<'a> {
    pub member: &'a Member,
    pub pair: Pair,
    pub value: f64,
    pub standing: Standing,
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

/// Most dealers a KPI query looks at (the whole network).
const NETWORK_LIMIT: i64 = 1_000_000;

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

    /// Every dealer active at some point of `range`, with its region in the range's last month.
    pub async fn members(&self, range: MonthRange) -> AppResult<Vec<Member>> {
        let filter = DealerFilter {
            month: Some(range.to),
            ..Default::default()
        };
        let rows = self
            .store
            .list_dealers(&filter, None, NETWORK_LIMIT)
            .await?;
        Ok(rows
            .into_iter()
            .filter(|r| {
                r.dealer.opened <= range.to && r.dealer.closed.is_none_or(|c| c >= range.from)
            })
            .map(|r| Member {
                code: r.dealer.code,
                name: r.dealer.name,
                region_code: r.region_code,
                brand: r.dealer.brand,
                size_tier: r.dealer.size_tier,
            })
            .collect())
    }

    /// One KPI over one period for the whole network.
    pub async fn period_values(
        &self,
        kpi: &'static KpiDef,
        period: Period,
        members: &[Member],
    ) -> AppResult<PeriodValues> {
        let sums = self
            .store
            .dealer_sums(kpi.id, period.range.from, period.range.to)
            .await?;
        let by_code: HashMap<&str, Pair> = sums
            .iter()
            .map(|s| {
                (
                    s.dealer_code.as_str(),
                    Pair {
                        num: s.num,
                        den: s.den,
                    },
                )
            })
            .collect();
        let members = members
            .iter()
            .map(|m| (m.clone(), by_code.get(m.code.as_str()).copied()))
            .collect();
        Ok(PeriodValues {
            kpi,
            period,
            members,
        })
    }

    /// A dealer's monthly series of a KPI, with its region's and the nation's pooled values.
    pub async fn trend(
        &self,
        dealer: &str,
        kpi: &'static KpiDef,
        range: MonthRange,
    ) -> AppResult<Vec<TrendPoint>> {
        self.require_dealer(dealer).await?;
        let facts = self
            .store
            .dealer_facts(dealer, range.from, range.to)
            .await?;
        let sums = self
            .store
            .region_month_sums(kpi.id, range.from, range.to)
            .await?;
        let history = self
            .store
            .region_histories(&[dealer.to_string()])
            .await?
            .pop()
            .map(|(_, h)| h)
            .unwrap_or_default();
        let mut out = Vec::with_capacity(range.len());
        for month in range.months() {
            let fact = facts.iter().find(|f| f.kpi == kpi.id && f.month == month);
            let value = match fact {
                Some(f) => f
                    .value
                    .and_then(|(n, d)| kpi.value(n, d).ok_or(Unavailable::ZeroDenominator)),
                None => Err(Unavailable::MissingReport),
            };
            let region_code =
                crate::domain::network::region_at(&history, month).map(str::to_string);
            let of_month: Vec<_> = sums.iter().filter(|s| s.month == month).collect();
            let group = |rows: &[&crate::store::RegionMonthSum]| {
                let (n, d, c) = rows.iter().fold((0i64, 0i64, 0i64), |a, s| {
                    (a.0 + s.num, a.1 + s.den, a.2 + s.dealers)
                });
                kpi.value(n, d)
                    .map(|pooled| GroupValue { pooled, dealers: c })
            };
            let region_rows: Vec<_> = of_month
                .iter()
                .copied()
                .filter(|s| Some(&s.region_code) == region_code.as_ref())
                .collect();
            out.push(TrendPoint {
                month,
                value,
                region: group(&region_rows),
                nation: group(&of_month),
                region_code,
            });
        }
        Ok(out)
    }

    /// A page of facts (see [`FactQuery`]).
    pub async fn facts(&self, q: &FactQuery) -> AppResult<Vec<FactRow>> {
        Ok(self.store.fact_page(q).await?)
    }

    /// Every OEM parameter value.
    pub async fn params(&self) -> AppResult<Vec<ParamValue>> {
        Ok(self.store.params().await?)
    }

    /// Sets an OEM parameter and recomputes the KPIs that use it; returns the facts rewritten.
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
