//! A group's statistics over a period: its members' values in one pass over the dealers,
//! the quantiles found by selection, standings counted until the group is asked often
//! enough to be sorted; every group's sums in one pass, for pooled values alone.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock, PoisonError};

use super::{valued, Acc, KpiPeriod, NONE, SPLIT};
use crate::app::cache::groups::{GroupId, GroupIds};
use crate::domain::best_first::BestFirst;
use crate::domain::kpi::{Direction, KpiDef};
use crate::domain::standing::{standing_among, standings_among, Standing};
use crate::domain::stats::{self, Aggregate, Pair, Tally};
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
    /// Every group's sums (without values), once a pooled value was asked for.
    sums: Option<HashMap<Option<GroupId>, Tally>>,
    done: HashMap<Option<GroupId>, Arc<GroupStats>>,
}

impl KpiPeriod {
    /// A group's statistics (empty for a group without members): one pass over the
    /// dealers for its members' values, the quantiles found by selection.
    pub fn stats(&self, group: &Group) -> Arc<GroupStats> {
        let mut stats = self.stats_of(&[group]);
        stats.swap_remove(0)
    }

    /// The statistics of several groups (a scorecard's region, peer group and nation),
    /// those not found yet in one pass over the dealers together.
    pub fn stats_of(&self, groups: &[&Group]) -> Vec<Arc<GroupStats>> {
        let ids: Vec<_> = groups.iter().map(|g| self.groups.lookup(g).ok()).collect();
        let mut stats = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        let mut pending: Vec<(Option<GroupId>, Tally)> = Vec::with_capacity(ids.len());
        for id in ids.iter().flatten() {
            if !stats.done.contains_key(id) && pending.iter().all(|(p, _)| p != id) {
                let capacity = if id.is_none() { self.pairs.len() } else { 0 };
                pending.push((*id, Tally::with_capacity(capacity)));
            }
        }
        if !pending.is_empty() {
            let values = self.values();
            for (i, ((&home, &sum), &value)) in
                self.home.iter().zip(&self.pairs).zip(values).enumerate()
            {
                for (id, tally) in &mut pending {
                    if let Some(v) = self.valued_in(i, *id, home, sum, value) {
                        tally.add_valued(v);
                    }
                }
            }
            for (id, tally) in pending {
                stats
                    .done
                    .insert(id, Arc::new(GroupStats::of(self.kpi, tally)));
            }
        }
        ids.iter()
            .map(|id| match id.and_then(|id| stats.done.get(&id)) {
                Some(s) => s.clone(),
                None => Arc::new(GroupStats::of(self.kpi, Tally::default())),
            })
            .collect()
    }

    /// A group's sums alone (its aggregate without mean, quantiles or extremes): what a
    /// pooled value needs. Every group's are found at the first ask, in one pass over the
    /// dealers (a ranking of the nation shows each line's region's pooled value).
    pub fn sums(&self, group: &Group) -> Aggregate {
        let Ok(id) = self.groups.lookup(group) else {
            return Tally::default().sums(self.kpi);
        };
        let mut stats = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(hit) = stats.done.get(&id) {
            return hit.aggregate.clone();
        }
        let all = stats.sums.get_or_insert_with(|| self.tally_sums());
        all.get(&id)
            .map_or_else(|| Tally::default().sums(self.kpi), |t| t.sums(self.kpi))
    }

    /// The sums of the nation, every region and every peer group, in one pass.
    fn tally_sums(&self) -> HashMap<Option<GroupId>, Tally> {
        let mut tallies = GroupTallies::new(&self.groups, Tally::default(), Tally::default());
        self.each_membership(|id, figures, _| tallies.add(id, figures));
        tallies.into_iter().collect()
    }

    /// Where each dealer counts over the period, in dealer order: `f(group, figures, moved)`
    /// for the nation (`None`) and, with its own figures, its region and peer group; for a
    /// dealer that moved, each group it was in with its figures there (`moved`).
    pub(super) fn each_membership(
        &self,
        mut f: impl FnMut(Option<GroupId>, Option<(Pair, f64)>, bool),
    ) {
        let values = self.values();
        for (i, &(region, peer)) in self.home.iter().enumerate() {
            if region == NONE {
                continue;
            }
            let own = valued(self.pairs[i], values[i]);
            f(None, own, false);
            for (g, of_regions) in [(region, true), (peer, false)] {
                let id = |g| {
                    Some(if of_regions {
                        GroupId::Region(g)
                    } else {
                        GroupId::Peer(g)
                    })
                };
                if g != SPLIT {
                    f(id(g), own, false);
                    continue;
                }
                let Some(s) = self.splits.get(&(i as u32)) else {
                    continue;
                };
                for &(g, sum) in if of_regions { &s.regions } else { &s.peers } {
                    f(id(g), stats::valued(self.kpi, Acc::of(sum).pair()), true);
                }
            }
        }
    }
}

/// A tally per group: the nation, each region, each peer group (by id).
pub(super) struct GroupTallies {
    pub nation: Tally,
    pub regions: Vec<Tally>,
    pub peers: Vec<Tally>,
}

impl GroupTallies {
    /// The nation's tally, and one `group` tally for each region and peer group known.
    pub fn new(groups: &GroupIds, nation: Tally, group: Tally) -> GroupTallies {
        GroupTallies {
            nation,
            regions: vec![group.clone(); groups.regions().len()],
            peers: vec![group; groups.peer_count()],
        }
    }

    /// Adds a member's figures to a group's tally (one unknown here is left out).
    pub fn add(&mut self, id: Option<GroupId>, figures: Option<(Pair, f64)>) {
        let tally = match id {
            None => Some(&mut self.nation),
            Some(GroupId::Region(g)) => self.regions.get_mut(usize::from(g)),
            Some(GroupId::Peer(g)) => self.peers.get_mut(usize::from(g)),
        };
        if let Some(t) = tally {
            t.add_valued(figures);
        }
    }

    /// Every group's tally with its id.
    pub fn into_iter(self) -> impl Iterator<Item = (Option<GroupId>, Tally)> {
        let regions = (0u16..)
            .zip(self.regions)
            .map(|(g, t)| (Some(GroupId::Region(g)), t));
        let peers = (0u16..)
            .zip(self.peers)
            .map(|(g, t)| (Some(GroupId::Peer(g)), t));
        std::iter::once((None, self.nation))
            .chain(regions)
            .chain(peers)
    }
}
