//! What the cache answers: a KPI over a period (live or published), a KPI's group sums
//! month by month, and one dealer's own figures.

use std::collections::HashMap;
use std::sync::Arc;

use super::load::Loaded;
use super::period::{KpiPeriod, MonthInput, PeriodBuilder};
use super::sums::{GroupSum, MonthSums};
use super::{KpiCache, View};
use crate::domain::kpi::{FactValue, KpiDef, Unavailable, KPIS};
use crate::domain::stats::Pair;
use crate::domain::{Month, MonthRange, Period, RegionAssignment};
use crate::store::prelude::*;
use crate::store::{StoreError, StoreResult};

/// A dealer's monthly values of one KPI and its region history.
pub struct DealerSeries {
    pub values: Vec<Result<Pair, Unavailable>>,
    pub history: Vec<RegionAssignment>,
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
fn own_add(acc: &mut Result<Pair, Unavailable>, fact: Option<FactValue>) {
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

pub(super) fn changed_network() -> StoreError {
    StoreError::Conflict("the dealer network changed while the KPI was computed: try again".into())
}

/// How often a computation starts over when the network changes under it.
pub(super) const ATTEMPTS: usize = 3;

impl KpiCache {
    /// The versions a result over `range` would be computed from, if known without loading.
    pub(super) fn versions(
        &self,
        range: MonthRange,
        view: View,
        published: &std::collections::BTreeMap<Month, i32>,
    ) -> Option<Vec<u64>> {
        match view {
            View::Published => range
                .months()
                .map(|m| published.get(&m).map(|v| *v as u64))
                .collect(),
            View::Live => {
                let s = self.read();
                range
                    .months()
                    .map(|m| s.months.get(&m).map(|e| e.slab.version))
                    .collect()
            }
        }
    }

    /// A KPI over a period for the whole network, from memory (computed once per version):
    /// live, or as published (`None` when a month of the period is not published). As of
    /// the last [`KpiCache::refresh`]. Months are read one at a time.
    pub async fn period(
        &self,
        store: &dyn Store,
        kpi: &'static KpiDef,
        period: Period,
        view: View,
    ) -> StoreResult<Option<Arc<KpiPeriod>>> {
        self.period_kept(store, kpi, period, view, true).await
    }

    /// [`KpiCache::period`], keeping what it computes in the memo only if `keep` (a digest
    /// reads every KPI of a period once: they would push out what is asked again).
    pub(super) async fn period_kept(
        &self,
        store: &dyn Store,
        kpi: &'static KpiDef,
        period: Period,
        view: View,
        keep: bool,
    ) -> StoreResult<Option<Arc<KpiPeriod>>> {
        let range = period.range;
        let key = (kpi.id, range.from, range.to, view);
        let publications = match view {
            View::Published => self.publications(store).await?,
            View::Live => Default::default(),
        };
        if view == View::Published && !range.months().all(|m| publications.contains_key(&m)) {
            return Ok(None);
        }
        if let Some(v) = self.versions(range, view, &publications) {
            if let Some(hit) = self.recall(&key, &v) {
                return Ok(Some(hit));
            }
        }
        // Months not in memory load two at a time (then they are read in order).
        let missing: Vec<Month> = {
            let s = self.read();
            range
                .months()
                .filter(|m| {
                    s.months
                        .get(m)
                        .is_none_or(|e| view == View::Published && e.published.is_none())
                })
                .collect()
        };
        if missing.len() > 1 {
            let loads = missing
                .iter()
                .map(|&m| self.month(store, m, view == View::Published));
            for r in futures_util::future::join_all(loads).await {
                r?;
            }
        }
        'attempt: for _ in 0..ATTEMPTS {
            let directory = self.directory(store).await?;
            let mut builder = PeriodBuilder::new(kpi, directory.len());
            for m in range.months() {
                let Loaded {
                    directory: d,
                    slab,
                    published,
                    ..
                } = self.month(store, m, view == View::Published).await?;
                if !Arc::ptr_eq(&d, &directory) {
                    continue 'attempt;
                }
                match view {
                    View::Live => {
                        let members = self.live_members(&directory, m);
                        let input = MonthInput {
                            slab: &slab,
                            members: &members,
                            holds: None,
                        };
                        builder.add_month(&input, slab.version);
                    }
                    View::Published => {
                        let Some(p) = published else {
                            continue 'attempt;
                        };
                        let input = MonthInput {
                            slab: &slab,
                            members: &p.members,
                            holds: Some(&p.holds),
                        };
                        builder.add_month(&input, p.version as u64);
                    }
                }
            }
            let groups = self.read().groups.clone();
            let result = Arc::new(builder.finish(kpi, period, view, directory, groups));
            if keep {
                self.remember(key, result.clone());
            }
            return Ok(Some(result));
        }
        Err(changed_network())
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
        let publications = match view {
            View::Published => self.publications(store).await?,
            View::Live => Default::default(),
        };
        let k = KPIS.iter().position(|d| d.id == kpi.id).unwrap_or(0);
        'attempt: for _ in 0..ATTEMPTS {
            let directory = self.directory(store).await?;
            let n = directory.len();
            let mut out = Vec::with_capacity(range.len());
            for month in range.months() {
                let published = publications.contains_key(&month);
                if view == View::Published && !published {
                    out.push(MonthGroups {
                        month,
                        available: false,
                        regions: HashMap::new(),
                        nation: GroupSum::default(),
                    });
                    continue;
                }
                let loaded = self.month(store, month, view == View::Published).await?;
                if !Arc::ptr_eq(&loaded.directory, &directory) {
                    continue 'attempt;
                }
                let groups = self.read().groups.clone();
                let sums = match (view, &loaded.published) {
                    (View::Published, Some(p)) => p
                        .sums
                        .get_or_init(|| {
                            let input = MonthInput {
                                slab: &loaded.slab,
                                members: &p.members,
                                holds: Some(&p.holds),
                            };
                            Arc::new(MonthSums::of(&input, n, groups.regions().len()))
                        })
                        .clone(),
                    (View::Published, None) => continue 'attempt,
                    (View::Live, _) => {
                        let live = self.live_members(&directory, month);
                        loaded
                            .sums
                            .get_or_init(|| {
                                let input = MonthInput {
                                    slab: &loaded.slab,
                                    members: &live,
                                    holds: None,
                                };
                                Arc::new(MonthSums::of(&input, n, groups.regions().len()))
                            })
                            .clone()
                    }
                };
                let (nation, regions) = sums.kpis.get(k).cloned().unwrap_or_default();
                out.push(MonthGroups {
                    month,
                    available: true,
                    regions: regions
                        .into_iter()
                        .enumerate()
                        .filter(|(_, s)| s.dealers > 0)
                        .map(|(r, s)| (groups.region(r as u16).to_string(), s))
                        .collect(),
                    nation,
                });
            }
            return Ok(out);
        }
        Err(changed_network())
    }

    /// Dealer `dealer`'s facts of `range`, month by month (`None` per month it has none),
    /// with its slot; `None` for an unknown dealer.
    async fn dealer_months(
        &self,
        store: &dyn Store,
        dealer: &str,
        range: MonthRange,
        mut each: impl FnMut(&Loaded, usize),
    ) -> StoreResult<Option<usize>> {
        'attempt: for _ in 0..ATTEMPTS {
            let directory = self.directory(store).await?;
            let Some(&i) = directory.index.get(dealer) else {
                return Ok(None);
            };
            let mut months = Vec::with_capacity(range.len());
            for m in range.months() {
                let loaded = self.month(store, m, false).await?;
                if !Arc::ptr_eq(&loaded.directory, &directory) {
                    continue 'attempt;
                }
                months.push(loaded);
            }
            for loaded in &months {
                each(loaded, i);
            }
            return Ok(Some(i));
        }
        Err(changed_network())
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
        let k = KPIS.iter().position(|d| d.id == kpi.id).unwrap_or(0);
        let mut values = Vec::with_capacity(range.len());
        let mut history = Vec::new();
        let found = self
            .dealer_months(store, dealer, range, |loaded, i| {
                let n = loaded.directory.len();
                let mut acc = Err(Unavailable::MissingReport);
                own_add(&mut acc, loaded.slab.fact(k * n + i).map(|f| f.0));
                values.push(acc);
                if history.is_empty() {
                    history = loaded.directory.histories[i].clone();
                }
            })
            .await?;
        Ok(found.map(|_| DealerSeries { values, history }))
    }

    /// One dealer's own figures of every KPI over `range` (live); `None` for an unknown
    /// dealer.
    pub async fn own_figures(
        &self,
        store: &dyn Store,
        dealer: &str,
        range: MonthRange,
    ) -> StoreResult<Option<OwnFigures>> {
        let mut out: OwnFigures = vec![Err(Unavailable::MissingReport); KPIS.len()];
        let found = self
            .dealer_months(store, dealer, range, |loaded, i| {
                let n = loaded.directory.len();
                for (k, acc) in out.iter_mut().enumerate() {
                    own_add(acc, loaded.slab.fact(k * n + i).map(|f| f.0));
                }
            })
            .await?;
        Ok(found.map(|_| out))
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
