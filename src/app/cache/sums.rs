//! A month's sums of every KPI by region and for the nation, computed once per version of
//! the month and reused by every trend that reads it.

use std::sync::{Arc, OnceLock};

use super::groups::Slot;
use super::period::MonthInput;
use crate::domain::kpi::KPIS;

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

/// Every KPI's sums of one month (catalog order).
#[derive(Debug, Default)]
pub struct MonthSums {
    /// By KPI position: the nation and each region id.
    pub kpis: Vec<(GroupSum, Vec<GroupSum>)>,
}

/// Sums computed on first use, for one version of a month (a new version gets new ones).
pub type LazySums = Arc<OnceLock<Arc<MonthSums>>>;

impl MonthSums {
    /// Sums `input` for every KPI; `regions` is the number of region ids known.
    pub fn of(input: &MonthInput<'_>, n: usize, regions: usize) -> MonthSums {
        let members: &[Slot] = input.members;
        let kpis = (0..KPIS.len())
            .map(|k| {
                let mut nation = GroupSum::default();
                let mut by_region = vec![GroupSum::default(); regions];
                let base = k * n;
                for (i, slot) in members.iter().enumerate().take(n) {
                    let Some((region, _)) = slot else {
                        continue;
                    };
                    let pair = input.pair(base + i);
                    if pair.1 <= 0 {
                        continue;
                    }
                    nation.add(pair);
                    if let Some(s) = by_region.get_mut(usize::from(*region)) {
                        s.add(pair);
                    }
                }
                (nation, by_region)
            })
            .collect();
        MonthSums { kpis }
    }
}
