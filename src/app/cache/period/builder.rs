//! Building a KPI period month by month: each dealer's sums over its member months, and
//! the groups it was in (a dealer that moved keeps a sum per group).

use std::collections::HashMap;
use std::sync::Arc;

use super::{add, KpiPeriod, MonthInput, Split, NONE, SPLIT};
use crate::app::cache::directory::Directory;
use crate::app::cache::groups::GroupIds;
use crate::app::cache::View;
use crate::domain::kpi::{KpiDef, KPIS};
use crate::domain::Period;

/// A period being built, month by month.
pub struct PeriodBuilder {
    k: usize,
    n: usize,
    /// By dealer: its sums over its member months (`(0, 0)`: no value).
    pairs: Vec<(i64, i64)>,
    /// By dealer: its region and peer group ids ([`NONE`], [`SPLIT`]).
    home: Vec<(u16, u16)>,
    splits: HashMap<u32, Split>,
    versions: Vec<u64>,
}

impl PeriodBuilder {
    pub fn new(kpi: &KpiDef, n: usize) -> PeriodBuilder {
        PeriodBuilder {
            k: KPIS.iter().position(|d| d.id == kpi.id).unwrap_or(0),
            n,
            pairs: vec![(0, 0); n],
            home: vec![(NONE, NONE); n],
            splits: HashMap::new(),
            versions: Vec::new(),
        }
    }

    /// Adds a month; `version` says what it was read from (for the memo).
    pub fn add_month(&mut self, m: &MonthInput<'_>, version: u64) {
        self.versions.push(version);
        let base = self.k * self.n;
        let members = &m.members[..m.members.len().min(self.n)];
        match m.holds.filter(|h| !h.is_empty()) {
            // Live, or nothing held: the slab's row read straight.
            None if !m.slab.is_empty() => {
                for ((i, slot), v) in members.iter().enumerate().zip(m.slab.row(base, self.n)) {
                    if let Some((region, peer)) = *slot {
                        self.add_member(i, region, peer, v);
                    }
                }
            }
            _ => {
                for (i, slot) in members.iter().enumerate() {
                    if let Some((region, peer)) = *slot {
                        self.add_member(i, region, peer, m.pair(base + i));
                    }
                }
            }
        }
    }

    /// Adds dealer `i`'s month, a member of `region` and `peer`.
    #[inline(always)]
    fn add_member(&mut self, i: usize, region: u16, peer: u16, v: (i64, i64)) {
        // Almost every dealer stays in its groups: one comparison, and the sum.
        if self.home[i] != (region, peer) {
            self.settle(i, region, peer, v);
        }
        add(&mut self.pairs[i], v);
    }

    /// Dealer `i`'s first month of the period, or a month in other groups than its
    /// first (before `v` is added to its sum).
    fn settle(&mut self, i: usize, region: u16, peer: u16, v: (i64, i64)) {
        let before = self.pairs[i];
        if self.home[i].0 == NONE {
            self.home[i] = (region, peer);
            return;
        }
        let s = self.splits.entry(i as u32).or_default();
        let (home_r, home_p) = {
            let h = &mut self.home[i];
            (&mut h.0, &mut h.1)
        };
        for (home, list, group) in [
            (home_r, &mut s.regions, region),
            (home_p, &mut s.peers, peer),
        ] {
            if *home == SPLIT {
                match list.iter_mut().find(|(g, _)| *g == group) {
                    Some((_, sum)) => add(sum, v),
                    None => {
                        let mut sum = (0, 0);
                        add(&mut sum, v);
                        list.push((group, sum));
                    }
                }
            } else if *home != group {
                let mut sum = (0, 0);
                add(&mut sum, v);
                list.push((*home, before));
                list.push((group, sum));
                *home = SPLIT;
            }
        }
    }

    pub fn finish(
        self,
        kpi: &'static KpiDef,
        period: Period,
        view: View,
        directory: Arc<Directory>,
        groups: Arc<GroupIds>,
    ) -> KpiPeriod {
        KpiPeriod {
            kpi,
            period,
            view,
            directory,
            groups,
            versions: self.versions,
            pairs: self.pairs,
            home: self.home,
            splits: self.splits,
            stats: Default::default(),
            rankings: Default::default(),
            asked: Default::default(),
            values: Default::default(),
        }
    }
}
