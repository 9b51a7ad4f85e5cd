//! A group's statistics over a period: every group tallied in one pass over the dealers,
//! quantiles found by selection when a group is asked for, standings counted until a group
//! is asked often enough to be sorted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock, PoisonError};

use super::{Acc, KpiPeriod, NONE, SPLIT};
use crate::app::cache::groups::GroupId;
use crate::domain::best_first::BestFirst;
use crate::domain::kpi::{Direction, KpiDef};
use crate::domain::standing::{standing_among, standings_among, Standing};
use crate::domain::stats::{valued, Aggregate, Tally};
use crate::domain::Group;

/// A group's aggregate, and its members' values for standings.
#[derive(Debug)]
pub struct GroupStats {
    pub aggregate: Aggregate,
    /// The members' values, in no particular order.
    values: Vec<f64>,
    direction: Direction,
    /// The values best first, sorted when first asked for (standings of many dealers).
    sorted: OnceLock<BestFirst>,
    /// Standings counted so far: a group asked often is sorted instead.
    counted: AtomicU32,
}

/// Standings of a group counted (one pass each) before it is sorted (one sort, then a
/// search each).
const COUNTED: u32 = 8;

impl GroupStats {
    fn of(kpi: &KpiDef, tally: Tally) -> GroupStats {
        let (aggregate, values) = tally.finish(kpi);
        GroupStats {
            aggregate,
            values,
            direction: kpi.direction,
            sorted: OnceLock::new(),
            counted: AtomicU32::new(0),
        }
    }

    /// The members' values best first (sorted once, on first use).
    pub fn sorted(&self) -> &BestFirst {
        self.sorted
            .get_or_init(|| BestFirst::sort(self.values.clone(), self.direction))
    }

    /// Where `value`, a member's, stands: counted the first few times (a scorecard asks
    /// one dealer's standing: no need to sort the group), searched in the sorted values
    /// after.
    pub fn standing(&self, value: f64) -> Standing {
        if let Some(sorted) = self.sorted.get() {
            return sorted.standing(value);
        }
        if self.counted.fetch_add(1, Ordering::Relaxed) < COUNTED {
            return standing_among(&self.values, value, self.direction);
        }
        self.sorted().standing(value)
    }

    /// The standings of a few members' values, in one pass.
    pub fn standings(&self, of: &[f64]) -> Vec<Standing> {
        match self.sorted.get() {
            Some(sorted) => of.iter().map(|v| sorted.standing(*v)).collect(),
            None => standings_among(&self.values, of, self.direction),
        }
    }
}

/// Groups' statistics as far as they were asked for (`None`: the nation).
#[derive(Default)]
pub(super) struct Stats {
    /// Whether every group has been tallied.
    tallied: bool,
    /// Groups tallied, not asked for yet.
    pending: HashMap<Option<GroupId>, Tally>,
    done: HashMap<Option<GroupId>, Arc<GroupStats>>,
}

impl KpiPeriod {
    /// A group's statistics (empty for a group without members). Every group is tallied
    /// at the first ask of one, in one pass over the dealers (a ranking of the nation
    /// shows each line's region, a scorecard the dealer's region, peer group and nation);
    /// a group's quantiles are found when it is asked for.
    pub fn stats(&self, group: &Group) -> Arc<GroupStats> {
        let Ok(id) = self.groups.lookup(group) else {
            return Arc::new(GroupStats::of(self.kpi, Tally::default()));
        };
        let mut stats = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(hit) = stats.done.get(&id) {
            return hit.clone();
        }
        self.tallied(&mut stats);
        let tally = stats.pending.remove(&id).unwrap_or_default();
        let s = Arc::new(GroupStats::of(self.kpi, tally));
        stats.done.insert(id, s.clone());
        s
    }

    /// A group's sums alone (its aggregate without mean, quantiles or extremes): what a
    /// pooled value needs, without finding the group's order statistics.
    pub fn sums(&self, group: &Group) -> Aggregate {
        let Ok(id) = self.groups.lookup(group) else {
            return Tally::default().sums(self.kpi);
        };
        let mut stats = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(hit) = stats.done.get(&id) {
            return hit.aggregate.clone();
        }
        self.tallied(&mut stats);
        stats
            .pending
            .get(&id)
            .map_or_else(|| Tally::default().sums(self.kpi), |t| t.sums(self.kpi))
    }

    /// Makes sure every group has been tallied.
    fn tallied(&self, stats: &mut Stats) {
        if !std::mem::replace(&mut stats.tallied, true) {
            stats.pending = self.tally();
        }
    }

    /// The nation, every region and every peer group tallied, members in dealer order:
    /// one pass, each dealer's value found once.
    fn tally(&self) -> HashMap<Option<GroupId>, Tally> {
        // Sized first (a pass over the groups alone), so that no list grows while tallied.
        let mut regions = vec![0; self.groups.regions().len()];
        let mut peers = vec![0; self.groups.peer_count()];
        let mut members = 0;
        for &(region, peer) in &self.home {
            if region != NONE {
                members += 1;
                for (sizes, g) in [(&mut regions, region), (&mut peers, peer)] {
                    if let Some(n) = sizes.get_mut(usize::from(g)) {
                        *n += 1;
                    }
                }
            }
        }
        let mut nation = Tally::with_capacity(members);
        let tallies = |sizes: Vec<usize>| -> Vec<Tally> {
            sizes.into_iter().map(Tally::with_capacity).collect()
        };
        let (mut regions, mut peers) = (tallies(regions), tallies(peers));
        for (i, &(region, peer)) in self.home.iter().enumerate() {
            if region == NONE {
                continue;
            }
            let own = valued(self.kpi, Acc::of(self.pairs[i]).pair());
            nation.add_valued(own);
            for (g, tallies, of_regions) in
                [(region, &mut regions, true), (peer, &mut peers, false)]
            {
                if g != SPLIT {
                    if let Some(t) = tallies.get_mut(usize::from(g)) {
                        t.add_valued(own);
                    }
                    continue;
                }
                let Some(s) = self.splits.get(&(i as u32)) else {
                    continue;
                };
                for &(g, sum) in if of_regions { &s.regions } else { &s.peers } {
                    if let Some(t) = tallies.get_mut(usize::from(g)) {
                        t.add(self.kpi, Acc::of(sum).pair());
                    }
                }
            }
        }
        let regions = (0u16..)
            .zip(regions)
            .map(|(g, t)| (Some(GroupId::Region(g)), t));
        let peers = (0u16..)
            .zip(peers)
            .map(|(g, t)| (Some(GroupId::Peer(g)), t));
        std::iter::once((None, nation))
            .chain(regions)
            .chain(peers)
            .collect()
    }
}
