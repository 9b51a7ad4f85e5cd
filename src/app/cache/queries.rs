//! What the cache answers: a KPI over a period (live or published), a KPI's group sums
//! month by month, and one dealer's own figures.

use std::collections::HashMap;
use std::sync::Arc;

use super::period::{KpiPeriod, MonthInput};
use super::slab::Slab;
use super::{KpiCache, View, MEMO_LIMIT};
use crate::domain::kpi::{KpiDef, Unavailable, KPIS};
use crate::domain::stats::Pair;
use crate::domain::{Month, MonthRange, Period, RegionAssignment};
use crate::store::prelude::*;
use crate::store::StoreResult;

/// A dealer's monthly values of one KPI and its region history.
pub struct DealerSeries {
    pub values: Vec<Result<Pair, Unavailable>>,
    pub history: Vec<RegionAssignment>,
}

/// One group's sums for a month.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GroupSum {
    pub numerator: i128,
    pub denominator: i128,
    /// Dealers with a value.
    pub dealers: i64,
    /// The largest denominator of one dealer (dominance).
    pub largest: i64,
}

impl GroupSum {
    fn add(&mut self, (num, den): (i64, i64)) {
        self.numerator += i128::from(num);
        self.denominator += i128::from(den);
        self.dealers += 1;
        self.largest = self.largest.max(den);
    }

    /// The share of the denominator the largest dealer carries.
    pub fn largest_share(&self) -> Option<f64> {
        (self.denominator > 0).then(|| self.largest as f64 / self.denominator as f64)
    }
}

/// Sums of one KPI in one month, by region and for the nation.
pub struct MonthGroups {
    pub month: Month,
    /// False for a month not (yet) published, in the published view: no sums.
    pub available: bool,
    pub regions: HashMap<String, GroupSum>,
    pub nation: GroupSum,
}

/// One dealer's own figures of every KPI over a range (catalog order): the summed pair, or
/// why there is none.
pub type OwnFigures = Vec<Result<Pair, Unavailable>>;

/// Sums a fact into a dealer's own figures.
fn own_add(acc: &mut Result<Pair, Unavailable>, fact: Option<crate::domain::kpi::FactValue>) {
    let add = match fact {
        None => Err(Unavailable::MissingReport),
        Some(Ok((num, den))) if den > 0 => Ok((num, den)),
        Some(Ok(_)) => Err(Unavailable::ZeroDenominator),
        Some(Err(u)) => Err(u),
    };
    *acc = match (*acc, add) {
        (Ok(p), Ok((n, d))) => match (p.num.checked_add(n), p.den.checked_add(d)) {
            (Some(num), Some(den)) => Ok(Pair { num, den }),
            _ => Err(Unavailable::Overflow),
        },
        (Err(Unavailable::Overflow), _) => Err(Unavailable::Overflow),
        (Err(_), Ok((num, den))) => Ok(Pair { num, den }),
        (Ok(p), Err(_)) => Ok(p),
        // The reason of the latest month without a value stands.
        (Err(_), Err(u)) => Err(u),
    };
}

impl KpiCache {
    /// A KPI over a period for the whole network, from memory (computed once per version):
    /// live, or as published (`None` when a month of the period is not published). As of
    /// the last [`KpiCache::refresh`].
    pub async fn period(
        &self,
        store: &dyn Store,
        kpi: &'static KpiDef,
        period: Period,
        view: View,
    ) -> StoreResult<Option<Arc<KpiPeriod>>> {
        let range = period.range;
        // A network change between loading and reading starts it over (the slabs must be
        // laid out for the directory the result is computed with).
        for _ in 0..3 {
            let directory = self.prepare(store, range).await?;
            if view == View::Published && !self.prepare_published(store, range).await? {
                return Ok(None);
            }
            let key = (kpi.id, range.from, range.to, view);
            let (slabs, published, versions, groups) = {
                let s = self.read();
                if !s
                    .directory
                    .as_ref()
                    .is_some_and(|d| Arc::ptr_eq(d, &directory))
                {
                    continue;
                }
                let versions = match view {
                    View::Live => s.slab_versions(range),
                    View::Published => match s.publication_versions(range) {
                        Some(v) => v,
                        None => continue,
                    },
                };
                if let Some(hit) = s.memo.get(&key).filter(|p| p.versions == versions) {
                    return Ok(Some(hit.clone()));
                }
                let slabs: Vec<Arc<Slab>> = range
                    .months()
                    .map(|m| s.slabs.get(&m).cloned().unwrap_or_default())
                    .collect();
                let published: Vec<_> = match view {
                    View::Live => vec![],
                    View::Published => range
                        .months()
                        .filter_map(|m| s.published.get(&m).cloned())
                        .collect(),
                };
                (slabs, published, versions, s.groups.clone())
            };
            let members = match view {
                View::Live => Some(self.live_members(&directory, range)),
                View::Published => None,
            };
            // Ids of groups met while laying out memberships: take the table as it is now
            // (and start over if the network changed meanwhile).
            let groups = match &members {
                Some(_) => {
                    let s = self.read();
                    if !s
                        .directory
                        .as_ref()
                        .is_some_and(|d| Arc::ptr_eq(d, &directory))
                    {
                        continue;
                    }
                    s.groups.clone()
                }
                None => groups,
            };
            let inputs: Vec<MonthInput<'_>> = match &members {
                Some(members) => slabs
                    .iter()
                    .zip(members)
                    .map(|(slab, m)| MonthInput {
                        slab,
                        members: m,
                        holds: None,
                    })
                    .collect(),
                None => slabs
                    .iter()
                    .zip(&published)
                    .map(|(slab, p)| MonthInput {
                        slab,
                        members: &p.members,
                        holds: Some(&p.holds),
                    })
                    .collect(),
            };
            let result = Arc::new(KpiPeriod::build(
                kpi, period, view, directory, groups, &inputs, versions,
            ));
            let mut s = self.write();
            if s.memo.len() >= MEMO_LIMIT {
                s.memo.clear();
            }
            s.memo.insert(key, result.clone());
            return Ok(Some(result));
        }
        Err(crate::store::StoreError::Conflict(
            "the dealer network kept changing while the KPI was computed: try again".into(),
        ))
    }

    /// Per month of `range`, the sums of one KPI by region and for the nation, each dealer
    /// counted in its region of that month (no sorting: cheap enough without memo).
    pub async fn monthly_groups(
        &self,
        store: &dyn Store,
        kpi: &'static KpiDef,
        range: MonthRange,
        view: View,
    ) -> StoreResult<Vec<MonthGroups>> {
        let directory = self.prepare(store, range).await?;
        let live = match view {
            View::Live => Some(self.live_members(&directory, range)),
            View::Published => {
                // Months one by one: those published are summed, the others said so.
                for m in range.months() {
                    self.prepare_published(store, MonthRange { from: m, to: m })
                        .await?;
                }
                None
            }
        };
        let (slabs, published, groups) = {
            let s = self.read();
            let slabs: Vec<Arc<Slab>> = range
                .months()
                .map(|m| s.slabs.get(&m).cloned().unwrap_or_default())
                .collect();
            let published: Vec<_> = range
                .months()
                .map(|m| s.published.get(&m).cloned())
                .collect();
            (slabs, published, s.groups.clone())
        };
        let n = directory.len();
        let k = KPIS.iter().position(|d| d.id == kpi.id).unwrap_or(0);
        let mut out = Vec::with_capacity(range.len());
        for (t, month) in range.months().enumerate() {
            let input = match (&live, &published[t]) {
                (Some(live), _) => Some(MonthInput {
                    slab: &slabs[t],
                    members: &live[t],
                    holds: None,
                }),
                (None, Some(p)) => Some(MonthInput {
                    slab: &slabs[t],
                    members: &p.members,
                    holds: Some(&p.holds),
                }),
                (None, None) => None,
            };
            let Some(input) = input else {
                out.push(MonthGroups {
                    month,
                    available: false,
                    regions: HashMap::new(),
                    nation: GroupSum::default(),
                });
                continue;
            };
            let mut sums = vec![GroupSum::default(); groups.regions().len()];
            let mut nation = GroupSum::default();
            let pairs_from = k * n;
            for i in 0..n {
                let Some(Some((region, _))) = input.members.get(i) else {
                    continue;
                };
                let pair = input.pair(pairs_from + i);
                if pair.1 <= 0 {
                    continue;
                }
                nation.add(pair);
                if let Some(s) = sums.get_mut(usize::from(*region)) {
                    s.add(pair);
                }
            }
            out.push(MonthGroups {
                month,
                available: true,
                regions: sums
                    .into_iter()
                    .enumerate()
                    .filter(|(_, s)| s.dealers > 0)
                    .map(|(r, s)| (groups.region(r as u16).to_string(), s))
                    .collect(),
                nation,
            });
        }
        Ok(out)
    }

    /// One dealer's value of one KPI for each month of `range` (a pair with a positive
    /// denominator, or why there is none), with its region history; `None` for an unknown
    /// dealer.
    pub async fn dealer_series(
        &self,
        store: &dyn Store,
        dealer: &str,
        kpi: &'static KpiDef,
        range: MonthRange,
    ) -> StoreResult<Option<DealerSeries>> {
        let directory = self.prepare(store, range).await?;
        let Some(&i) = directory.index.get(dealer) else {
            return Ok(None);
        };
        let n = directory.len();
        let k = KPIS.iter().position(|d| d.id == kpi.id).unwrap_or(0);
        let s = self.read();
        let values = range
            .months()
            .map(|m| {
                let mut acc = Err(Unavailable::MissingReport);
                own_add(
                    &mut acc,
                    s.slabs
                        .get(&m)
                        .and_then(|slab| slab.fact(k * n + i))
                        .map(|f| f.0),
                );
                acc
            })
            .collect();
        Ok(Some(DealerSeries {
            values,
            history: directory.histories[i].clone(),
        }))
    }

    /// One dealer's own figures of every KPI over `range` (live); `None` for an unknown
    /// dealer.
    pub async fn own_figures(
        &self,
        store: &dyn Store,
        dealer: &str,
        range: MonthRange,
    ) -> StoreResult<Option<OwnFigures>> {
        let directory = self.prepare(store, range).await?;
        let Some(&i) = directory.index.get(dealer) else {
            return Ok(None);
        };
        let n = directory.len();
        let s = self.read();
        let mut out: OwnFigures = vec![Err(Unavailable::MissingReport); KPIS.len()];
        for month in range.months() {
            let slab = s.slabs.get(&month);
            for (k, acc) in out.iter_mut().enumerate() {
                own_add(acc, slab.and_then(|slab| slab.fact(k * n + i)).map(|f| f.0));
            }
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_figures_sum_values_and_keep_the_latest_reason() {
        let mut acc = Err(Unavailable::MissingReport);
        own_add(&mut acc, Some(Err(Unavailable::MissingInput)));
        assert_eq!(acc, Err(Unavailable::MissingInput));
        own_add(&mut acc, Some(Ok((1, 10))));
        own_add(&mut acc, None);
        own_add(&mut acc, Some(Ok((2, 0))));
        own_add(&mut acc, Some(Ok((3, 10))));
        assert_eq!(acc, Ok(Pair { num: 4, den: 20 }));
        let mut acc = Err(Unavailable::MissingReport);
        own_add(&mut acc, Some(Ok((i64::MAX, 1))));
        own_add(&mut acc, Some(Ok((1, 1))));
        assert_eq!(acc, Err(Unavailable::Overflow));
    }
}
