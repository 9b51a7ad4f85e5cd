//! One KPI of a period digested for scorecards: every group's aggregate and each dealer's
//! rank in the nation, in about two bytes a dealer, so that the scorecards of every other
//! dealer of the period need neither the dealers' sums nor a pass over them.
//!
//! A dealer's rank in its region is counted from the nation's ranks of the region's
//! members (a member that stayed in the region has the same value in both), and from where
//! the values of the members that moved within the period fall in the nation's order.

use super::group_stats::GroupTallies;
use super::{valued, KpiPeriod, NONE, SPLIT};
use crate::app::cache::groups::GroupId;
use crate::domain::kpi::Direction;
use crate::domain::standing::{is_better, standing_of, Standing};
use crate::domain::stats::{Aggregate, Tally};

/// A dealer's rank when it has no value in the nation.
const UNRANKED: u16 = 0;

/// One KPI of a period: what a scorecard shows of the groups, and where each dealer stands.
#[derive(Debug)]
pub struct KpiDigest {
    /// The nation's, each region's and each peer group's aggregate (by id).
    nation: Aggregate,
    regions: Vec<Aggregate>,
    peers: Vec<Aggregate>,
    order: NationOrder,
}

/// Where each dealer stands in the nation's order (empty for a network of 65,535 dealers
/// or more: two-byte ranks would not do).
#[derive(Debug, Default)]
struct NationOrder {
    /// Each dealer's rank in the nation, best first ([`UNRANKED`]: no value).
    ranks: Vec<u16>,
    /// Ranks shared by several dealers, with how many share them (sorted by rank).
    ties: Vec<(u16, u16)>,
    /// The values that dealers which moved within the period have in a region: the region,
    /// and how many of the nation's values are not worse than it.
    moved: Vec<(u16, u16)>,
}

/// What the digest knows of a dealer's standing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Digested<T> {
    /// `None`: not a member of the group over the period, or no value in it.
    Known(Option<T>),
    /// Not kept: the dealer moved within the period (its value in the region is not in
    /// the digest), or the network is too large for two-byte ranks.
    Unknown,
}

impl KpiDigest {
    /// Bytes held, roughly (for the memo's budget).
    pub fn bytes(&self) -> usize {
        let aggregates = 1 + self.regions.len() + self.peers.len();
        self.order.ranks.len() * 2
            + (self.order.ties.len() + self.order.moved.len()) * 4
            + aggregates * std::mem::size_of::<Aggregate>()
            + std::mem::size_of::<KpiDigest>()
    }

    /// A group's aggregate (`None`: the nation); an empty one for a group without members.
    pub fn aggregate(&self, id: Option<GroupId>) -> Option<&Aggregate> {
        match id {
            None => Some(&self.nation),
            Some(GroupId::Region(g)) => self.regions.get(usize::from(g)),
            Some(GroupId::Peer(g)) => self.peers.get(usize::from(g)),
        }
    }

    /// How many of the nation's values are not worse than the value ranked `rank`.
    fn not_worse(&self, rank: u16) -> usize {
        let ties = &self.order.ties;
        let tied = match ties.binary_search_by_key(&rank, |t| t.0) {
            Ok(at) => ties[at].1,
            Err(_) => 1,
        };
        usize::from(rank) - 1 + usize::from(tied)
    }

    /// Dealer `i`'s standing in the nation.
    pub fn nation_standing(&self, i: usize) -> Digested<Standing> {
        let Some(&rank) = self.order.ranks.get(i) else {
            return Digested::Unknown;
        };
        Digested::Known((rank != UNRANKED).then(|| {
            standing_of(
                usize::from(rank) - 1,
                self.not_worse(rank),
                self.nation.count,
            )
        }))
    }

    /// Dealer `i`'s rank in region `g`, given the period's membership: 1 + the members
    /// that stayed with a better rank in the nation + the moved members' values better
    /// than its own (found by where they fall in the nation's order).
    pub fn region_rank(&self, i: usize, g: u16, members: &RegionMembers) -> Digested<usize> {
        let NationOrder { ranks, moved, .. } = &self.order;
        let Some(&rank) = ranks.get(i) else {
            return Digested::Unknown;
        };
        match members.home.get(i).copied() {
            Some(SPLIT) => return Digested::Unknown,
            Some(h) if h == g && rank != UNRANKED => {}
            _ => return Digested::Known(None),
        }
        let better_stayed = members
            .of_region(g)
            .iter()
            .filter(|&&j| (1..rank).contains(&ranks[j as usize]))
            .count();
        // A value is strictly better than this dealer's when fewer of the nation's values
        // are not worse than it.
        let not_worse = self.not_worse(rank);
        let better_moved = moved
            .iter()
            .filter(|(r, nw)| *r == g && usize::from(*nw) < not_worse)
            .count();
        Digested::Known(Some(1 + better_stayed + better_moved))
    }
}

/// Who belongs to which region over a period (the same for every KPI of it).
#[derive(Debug, Default)]
pub struct RegionMembers {
    /// Each dealer's region over the period ([`NONE`], [`SPLIT`]).
    home: Vec<u16>,
    /// The dealers that stayed in each region, by region id, in dealer order.
    stayed: Vec<Vec<u32>>,
}

impl RegionMembers {
    /// Bytes held, roughly.
    pub fn bytes(&self) -> usize {
        self.home.len() * 2 + self.stayed.iter().map(|s| s.len() * 4 + 24).sum::<usize>()
    }

    fn of_region(&self, g: u16) -> &[u32] {
        self.stayed.get(usize::from(g)).map_or(&[], Vec::as_slice)
    }
}

impl KpiPeriod {
    /// Who belongs to which region over the period.
    pub fn region_members(&self) -> RegionMembers {
        let regions = self.groups.regions().len();
        let mut stayed = vec![Vec::new(); regions];
        for (i, &(r, _)) in self.home.iter().enumerate() {
            if r != NONE && r != SPLIT {
                if let Some(s) = stayed.get_mut(usize::from(r)) {
                    s.push(i as u32);
                }
            }
        }
        RegionMembers {
            home: self.home.iter().map(|h| h.0).collect(),
            stayed,
        }
    }

    /// The digest: every group's aggregate (what [`KpiPeriod::stats`] gives of each), in one
    /// pass over the dealers, and the nation's ranks, from one sort (none for a network of
    /// 65,535 dealers or more).
    pub fn digest(&self) -> KpiDigest {
        let kpi = self.kpi;
        let n = self.pairs.len();
        let mut tallies = GroupTallies::new(
            &self.groups,
            Tally::with_capacity(n),
            Tally::with_capacity(0),
        );
        // The values dealers that moved have in their regions (ranked once the nation is).
        let mut moved_values: Vec<(u16, f64)> = Vec::new();
        self.each_membership(|id, figures, moved| {
            tallies.add(id, figures);
            if let (true, Some(GroupId::Region(g)), Some((_, v))) = (moved, id, figures) {
                moved_values.push((g, v));
            }
        });
        let values = self.values();
        let order = if n < usize::from(u16::MAX) {
            self.nation_order(values, &moved_values)
        } else {
            NationOrder::default()
        };
        let finish = |t: Tally| t.finish(kpi).0;
        KpiDigest {
            nation: finish(tallies.nation),
            regions: tallies.regions.into_iter().map(finish).collect(),
            peers: tallies.peers.into_iter().map(finish).collect(),
            order,
        }
    }

    /// Each dealer's rank in the nation, the ranks shared, and where the moved dealers'
    /// values in their regions fall in the nation's order (from one sort of the nation).
    fn nation_order(&self, values: &[f64], moved_values: &[(u16, f64)]) -> NationOrder {
        let direction = self.kpi.direction;
        let mut order: Vec<(f64, u32)> = self
            .home
            .iter()
            .zip(&self.pairs)
            .zip(values)
            .enumerate()
            .filter(|(_, ((h, p), v))| h.0 != NONE && valued(**p, **v).is_some())
            .map(|(i, (_, v))| (*v, i as u32))
            .collect();
        order.sort_unstable_by(|a, b| match direction {
            Direction::HigherIsBetter => b.0.total_cmp(&a.0),
            Direction::LowerIsBetter => a.0.total_cmp(&b.0),
        });
        let mut ranks = vec![UNRANKED; self.pairs.len()];
        let mut ties = Vec::new();
        let mut start = 0;
        while start < order.len() {
            let value = order[start].0;
            let end = start + order[start..].iter().take_while(|e| e.0 == value).count();
            let rank = (start + 1) as u16;
            for e in &order[start..end] {
                ranks[e.1 as usize] = rank;
            }
            if end - start > 1 {
                ties.push((rank, (end - start) as u16));
            }
            start = end;
        }
        let moved = moved_values
            .iter()
            .map(|&(g, v)| {
                let not_worse = order.partition_point(|e| is_better(direction, e.0, v) || e.0 == v);
                (g, not_worse as u16)
            })
            .collect();
        NationOrder { ranks, ties, moved }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{build_of, live, moving_network, FILLED};
    use super::*;
    use crate::app::cache::View;
    use crate::domain::{Group, SizeTier};

    #[test]
    fn a_digest_answers_as_the_period_does() {
        let (mut unknown, mut moved, mut tied) = (0, 0, 0);
        for seed in [1, 2, 3] {
            let (directory, ids, members, slabs) = moving_network(500, seed);
            let slabs: Vec<_> = slabs.iter().collect();
            let regions: Vec<(u16, Group)> = (0u16..)
                .zip(ids.regions())
                .map(|(g, code)| (g, Group::Region(code.clone())))
                .collect();
            for (code, months) in FILLED.into_iter().flat_map(|c| [(c, 1), (c, 2), (c, 4)]) {
                let inputs = live(&slabs[..months], &members[..months]);
                let p = build_of(code, &inputs, directory.clone(), ids.clone(), View::Live);
                let d = p.digest();
                let stayed = p.region_members();
                let aggregate = |g: &Group| Some(p.stats(g).aggregate.clone());
                assert_eq!(d.aggregate(None).cloned(), aggregate(&Group::Nation));
                let peer = Group::peer("B", SizeTier::Small);
                assert_eq!(
                    d.aggregate(Some(GroupId::Peer(0))).cloned(),
                    aggregate(&peer)
                );
                for (g, group) in &regions {
                    let id = Some(GroupId::Region(*g));
                    assert_eq!(d.aggregate(id).cloned(), aggregate(group), "{code} {group}");
                }
                for i in 0..directory.len() {
                    let want = p.standing(i, &Group::Nation);
                    assert_eq!(d.nation_standing(i), Digested::Known(want), "{code} {i}");
                    for (g, group) in &regions {
                        let want = p.standing(i, group).map(|s| s.rank);
                        match d.region_rank(i, *g, &stayed) {
                            Digested::Known(rank) => assert_eq!(rank, want, "{code} {i} {group}"),
                            Digested::Unknown => {
                                assert_eq!(stayed.home[i], SPLIT);
                                unknown += 1;
                            }
                        }
                    }
                }
                moved += d.order.moved.len();
                tied += d.order.ties.len();
            }
        }
        // The cases the digest counts differently were all met.
        assert!(
            unknown > 0 && moved > 0 && tied > 0,
            "{unknown} {moved} {tied}"
        );
    }
}
