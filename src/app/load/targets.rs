//! The targets a generated load carries: each dealer's actuals of the year loaded so far
//! and of the year before, its targets decided at its first report of a year, and their
//! phased months, so that achievement facts are computed with the reports.

use std::collections::{HashMap, HashSet};

use crate::domain::targets::TargetItem;
use crate::domain::{Month, Values};
use crate::generator::targets::{self as gen, Stage, YearActuals, NO_ACTUALS};
use crate::generator::{Network, Spec};
use crate::store::BulkTarget;

/// One dealer's year so far.
struct DealerYear {
    year: i32,
    current: YearActuals,
    previous: YearActuals,
    /// The approved targets' phased months of `year` (none while negotiated).
    months: Option<[[i64; 12]; 6]>,
}

/// The targets of a network as its months are loaded in order.
pub(super) struct TargetPlan<'a> {
    spec: &'a Spec,
    network: &'a Network,
    /// Dealer code → (index in the network, index of its home region, first of its region).
    place: HashMap<&'a str, (usize, usize, bool)>,
    years: HashMap<String, DealerYear>,
}

impl<'a> TargetPlan<'a> {
    pub(super) fn new(spec: &'a Spec, network: &'a Network) -> Self {
        let regions: HashMap<&str, usize> = network
            .regions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.code.as_str(), i))
            .collect();
        let mut seen = HashSet::new();
        let place = network
            .dealers
            .iter()
            .enumerate()
            .map(|(i, nd)| {
                let region = regions.get(nd.region_code.as_str()).copied().unwrap_or(0);
                (nd.dealer.code.as_str(), (i, region, seen.insert(region)))
            })
            .collect();
        TargetPlan {
            spec,
            network,
            place,
            years: HashMap::new(),
        }
    }

    /// Takes a dealer's report of `month` in (months in order): returns the targets decided
    /// now (at its first report of a year) for loading.
    pub(super) fn report(&mut self, code: &str, month: Month, values: &Values) -> Vec<BulkTarget> {
        let y = self.years.entry(code.to_string()).or_insert(DealerYear {
            year: month.year(),
            current: NO_ACTUALS,
            previous: NO_ACTUALS,
            months: None,
        });
        let first =
            y.year != month.year() || y.current.iter().all(|m| m.iter().all(Option::is_none));
        if y.year != month.year() {
            y.previous = if y.year == month.year() - 1 {
                y.current
            } else {
                NO_ACTUALS
            };
            y.current = NO_ACTUALS;
            y.year = month.year();
            y.months = None;
        }
        let actuals = gen::item_actuals(values);
        for (k, v) in actuals.iter().enumerate() {
            y.current[k][month.month() as usize - 1] = *v;
        }
        if !first {
            return Vec::new();
        }
        let Some(&(index, region, first_of_region)) = self.place.get(code) else {
            return Vec::new();
        };
        let Some(stage) = gen::stage(self.spec, index, first_of_region, region, month.year())
        else {
            return Vec::new();
        };
        let annualized = actuals.map(|v| v.unwrap_or(0) * 12);
        let targets = gen::dealer_targets(
            self.spec,
            index,
            code,
            month.year(),
            stage,
            &y.previous,
            &annualized,
        );
        if stage == Stage::Approved {
            let mut months = [[0; 12]; 6];
            for (k, t) in targets.iter().enumerate() {
                months[k] = t.months.unwrap_or_default();
            }
            y.months = Some(months);
        }
        targets
    }

    /// A dealer's approved phased target of an item in a month of the year being loaded.
    pub(super) fn month_target(&self, code: &str, month: Month, item: TargetItem) -> Option<i64> {
        let y = self.years.get(code)?;
        let months = y.months.as_ref().filter(|_| y.year == month.year())?;
        Some(months[item as usize][month.month() as usize - 1])
    }

    /// After the last month: next year's targets of the dealers negotiating them, from
    /// the pace of the year loaded.
    pub(super) fn next_year(&self) -> Vec<BulkTarget> {
        let year = self.spec.end.year() + 1;
        let mut out = Vec::new();
        for nd in &self.network.dealers {
            let code = nd.dealer.code.as_str();
            let (Some(y), Some(&(index, region, first))) =
                (self.years.get(code), self.place.get(code))
            else {
                continue;
            };
            if y.year != self.spec.end.year()
                || nd.dealer.closed.is_some_and(|c| c <= self.spec.end)
            {
                continue;
            }
            let Some(stage) = gen::stage(self.spec, index, first, region, year) else {
                continue;
            };
            let annualized = y.current.map(|m| {
                let seen: Vec<i64> = m.iter().flatten().copied().collect();
                if seen.is_empty() {
                    0
                } else {
                    seen.iter().sum::<i64>() * 12 / seen.len() as i64
                }
            });
            out.extend(gen::dealer_targets(
                self.spec,
                index,
                code,
                year,
                stage,
                &NO_ACTUALS,
                &annualized,
            ));
        }
        out
    }
}
