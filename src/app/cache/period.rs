//! One KPI over one period for every dealer: each dealer's figures in every group it
//! belonged to during the period, and the groups' statistics (computed when first asked).
//!
//! Membership is taken month by month: a dealer that moved counts in its old region with
//! its months there and in its new region with the rest, so a period's group figures are
//! exactly the sum of its months' (no combination of periods reveals more than its months
//! do). Built month by month, so that a long period never holds all its months at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::directory::Directory;
use super::groups::{GroupId, GroupIds, Slot};
use super::slab::Slab;
use super::View;
use crate::domain::best_first::BestFirst;
use crate::domain::kpi::{FactValue, KpiDef, KPIS};
use crate::domain::stats::{summarize, Aggregate, Pair, Standing};
use crate::domain::{Group, Period};

/// Published values of facts that changed since (position in the slab → value).
pub type Holds = HashMap<usize, Option<FactValue>>;

/// One month as a period is built from it.
pub struct MonthInput<'a> {
    pub slab: &'a Slab,
    /// Each dealer's groups that month.
    pub members: &'a [Slot],
    /// Published values that replace the slab's (published view only).
    pub holds: Option<&'a Holds>,
}

impl MonthInput<'_> {
    /// The pair at `at`: held, or live; `(0, 0)` when there is no value.
    pub(super) fn pair(&self, at: usize) -> (i64, i64) {
        if let Some(held) = self.holds.and_then(|h| h.get(&at)) {
            return match held {
                Some(Ok(p)) => *p,
                _ => (0, 0),
            };
        }
        self.slab.pair(at)
    }
}

/// A dealer's figures in a group over the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acc {
    /// A member without a value in any of its months.
    NoValue,
    Value(Pair),
    /// The sums do not fit: no value.
    Overflow,
}

impl Acc {
    fn of((num, den): (i64, i64)) -> Acc {
        match den {
            0 => Acc::NoValue,
            OVERFLOW => Acc::Overflow,
            _ => Acc::Value(Pair { num, den }),
        }
    }

    pub fn pair(self) -> Option<Pair> {
        match self {
            Acc::Value(p) => Some(p),
            _ => None,
        }
    }
}

/// Not a member of any group of that kind in the period.
const NONE: u16 = u16::MAX;
/// A member of several groups of that kind: see the dealer's [`Split`].
const SPLIT: u16 = u16::MAX - 1;
/// A denominator that marks sums that overflowed.
const OVERFLOW: i64 = -1;

/// Adds a month's pair (`den > 0`) to a sum, sticky on overflow.
fn add(sum: &mut (i64, i64), v: (i64, i64)) {
    if v.1 <= 0 || sum.1 == OVERFLOW {
        return;
    }
    *sum = match (sum.0.checked_add(v.0), sum.1.checked_add(v.1)) {
        (Some(n), Some(d)) => (n, d),
        _ => (0, OVERFLOW),
    };
}

/// A dealer that changed region or peer group within the period: its sums per group.
#[derive(Debug, Clone, Default)]
struct Split {
    regions: Vec<(u16, (i64, i64))>,
    peers: Vec<(u16, (i64, i64))>,
}

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
        for i in 0..self.n {
            let Some(Some((region, peer))) = m.members.get(i) else {
                continue;
            };
            let v = m.pair(base + i);
            let before = self.pairs[i];
            let (home_region, home_peer) = self.home[i];
            if home_region == NONE {
                self.home[i] = (*region, *peer);
            } else {
                let moved_region = home_region != *region;
                let moved_peer = home_peer != *peer;
                if moved_region || moved_peer || home_region == SPLIT || home_peer == SPLIT {
                    let s = self.splits.entry(i as u32).or_default();
                    let (home_r, home_p) = {
                        let h = &mut self.home[i];
                        (&mut h.0, &mut h.1)
                    };
                    for (moved, home, list, group) in [
                        (moved_region, home_r, &mut s.regions, *region),
                        (moved_peer, home_p, &mut s.peers, *peer),
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
                        } else if moved {
                            let mut sum = (0, 0);
                            add(&mut sum, v);
                            list.push((*home, before));
                            list.push((group, sum));
                            *home = SPLIT;
                        }
                    }
                }
            }
            add(&mut self.pairs[i], v);
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
        }
    }
}

/// A group's aggregate and its values best first.
#[derive(Debug)]
pub struct GroupStats {
    pub aggregate: Aggregate,
    pub sorted: BestFirst,
}

/// A group's dealer with a value, in ranking order.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub index: usize,
    pub pair: Pair,
    pub value: f64,
    pub standing: Standing,
}

/// One KPI over one period for the whole network, live or as published.
pub struct KpiPeriod {
    pub kpi: &'static KpiDef,
    pub period: Period,
    pub view: View,
    pub directory: Arc<Directory>,
    pub groups: Arc<GroupIds>,
    /// What it was computed from (slab versions, or publication versions).
    pub(super) versions: Vec<u64>,
    pairs: Vec<(i64, i64)>,
    home: Vec<(u16, u16)>,
    splits: HashMap<u32, Split>,
    /// Groups' statistics, computed on first use (`None`: the nation).
    stats: Mutex<HashMap<Option<GroupId>, Arc<GroupStats>>>,
    /// Rankings by group, sorted on first use: a ranking page then costs no sort.
    rankings: Mutex<HashMap<Group, Arc<Vec<Ranked>>>>,
}

impl KpiPeriod {
    /// Bytes held, roughly (for the memo's budget): the per-dealer sums, and room for
    /// the statistics and rankings that usually follow.
    pub fn bytes(&self) -> usize {
        self.pairs.len() * (16 + 4 + 8 + 8) + self.splits.len() * 96 + 512
    }

    /// Every member of a group with its sums, in dealer order.
    fn members(&self, id: Option<GroupId>) -> Vec<(usize, (i64, i64))> {
        let pick = |i: usize, home: (u16, u16)| -> Option<(i64, i64)> {
            let (region, peer) = home;
            match id {
                None => (region != NONE).then_some(self.pairs[i]),
                Some(GroupId::Region(g)) if region == g => Some(self.pairs[i]),
                Some(GroupId::Peer(g)) if peer == g => Some(self.pairs[i]),
                Some(GroupId::Region(g)) if region == SPLIT => self.split_sum(i, true, g),
                Some(GroupId::Peer(g)) if peer == SPLIT => self.split_sum(i, false, g),
                _ => None,
            }
        };
        self.home
            .iter()
            .enumerate()
            .filter_map(|(i, h)| pick(i, *h).map(|p| (i, p)))
            .collect()
    }

    fn split_sum(&self, i: usize, region: bool, g: u16) -> Option<(i64, i64)> {
        let s = self.splits.get(&(i as u32))?;
        let list = if region { &s.regions } else { &s.peers };
        list.iter().find(|(x, _)| *x == g).map(|(_, p)| *p)
    }

    /// A group's statistics (empty for a group without members).
    pub fn stats(&self, group: &Group) -> Arc<GroupStats> {
        let id = match self.groups.lookup(group) {
            Ok(id) => id,
            Err(()) => return Arc::new(stats_of(self.kpi, std::iter::empty())),
        };
        if let Some(hit) = self
            .stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
        {
            return hit.clone();
        }
        let s = Arc::new(stats_of(
            self.kpi,
            self.members(id).into_iter().map(|(_, p)| p),
        ));
        self.stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, s.clone());
        s
    }

    /// Dealer `i`'s figures in `group` (`None`: not a member of it in the period).
    pub fn acc(&self, i: usize, group: &Group) -> Option<Acc> {
        let (region, peer) = *self.home.get(i)?;
        let sum = match self.groups.lookup(group).ok()? {
            None => (region != NONE).then_some(self.pairs[i])?,
            Some(GroupId::Region(g)) if region == g => self.pairs[i],
            Some(GroupId::Peer(g)) if peer == g => self.pairs[i],
            Some(GroupId::Region(g)) if region == SPLIT => self.split_sum(i, true, g)?,
            Some(GroupId::Peer(g)) if peer == SPLIT => self.split_sum(i, false, g)?,
            _ => return None,
        };
        Some(Acc::of(sum))
    }

    /// Dealer `i`'s value in the nation (what `value(i, &Group::Nation)` gives, without the
    /// group lookup: loops over every dealer and KPI call it).
    pub fn nation_value(&self, i: usize) -> Option<f64> {
        let (region, _) = *self.home.get(i)?;
        let p = Acc::of((region != NONE).then_some(self.pairs[i])?).pair()?;
        self.kpi.value(p.num, p.den)
    }

    /// Dealer `i`'s value in `group`.
    pub fn value(&self, i: usize, group: &Group) -> Option<f64> {
        let p = self.acc(i, group)?.pair()?;
        self.kpi.value(p.num, p.den)
    }

    /// Dealer `i`'s rank and percentile in `group` (binary search, no sort).
    pub fn standing(&self, i: usize, group: &Group) -> Option<Standing> {
        let v = self.value(i, group)?;
        Some(self.stats(group).sorted.standing(v))
    }

    /// The group's dealers with a value, best first (ties share a rank, then by code);
    /// sorted once per group.
    pub fn ranked(&self, group: &Group) -> Arc<Vec<Ranked>> {
        if let Some(hit) = self
            .rankings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(group)
        {
            return hit.clone();
        }
        let ranked = Arc::new(self.rank(group));
        self.rankings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(group.clone(), ranked.clone());
        ranked
    }

    fn rank(&self, group: &Group) -> Vec<Ranked> {
        let Ok(id) = self.groups.lookup(group) else {
            return vec![];
        };
        let stats = self.stats(group);
        let mut out: Vec<Ranked> = self
            .members(id)
            .into_iter()
            .filter_map(|(i, sum)| {
                let pair = Acc::of(sum).pair()?;
                let value = self.kpi.value(pair.num, pair.den)?;
                Some(Ranked {
                    index: i,
                    pair,
                    value,
                    standing: stats.sorted.standing(value),
                })
            })
            .collect();
        let dealers = &self.directory.dealers;
        out.sort_by(|a, b| {
            a.standing
                .rank
                .cmp(&b.standing.rank)
                .then_with(|| dealers[a.index].code.cmp(&dealers[b.index].code))
        });
        out
    }

    /// The group's members without a value.
    pub fn missing(&self, group: &Group) -> Vec<usize> {
        let Ok(id) = self.groups.lookup(group) else {
            return vec![];
        };
        self.members(id)
            .into_iter()
            .filter(|(_, p)| Acc::of(*p).pair().is_none())
            .map(|(i, _)| i)
            .collect()
    }

    /// Index of a dealer.
    pub fn index_of(&self, code: &str) -> Option<usize> {
        self.directory.index.get(code).copied()
    }
}

fn stats_of(kpi: &KpiDef, sums: impl Iterator<Item = (i64, i64)>) -> GroupStats {
    let mut pairs = Vec::new();
    let mut missing = 0;
    for s in sums {
        match Acc::of(s).pair() {
            Some(p) => pairs.push(p),
            None => missing += 1,
        }
    }
    let (aggregate, sorted) = summarize(kpi, &pairs, missing);
    GroupStats { aggregate, sorted }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::kpi::by_code;
    use crate::domain::{Dealer, Month, MonthRange, PeriodKind, RegionAssignment, SizeTier};

    fn month(s: &str) -> Month {
        s.parse().unwrap()
    }

    /// Three dealers; D3 moves from R1 to R2 in the second month.
    fn network() -> (Arc<Directory>, GroupIds, Vec<Vec<Slot>>) {
        let dealer = |code: &str| Dealer {
            code: code.into(),
            name: code.into(),
            brand: "B".into(),
            province: "P".into(),
            city: "C".into(),
            size_tier: SizeTier::Small,
            opened: month("2024-01"),
            closed: None,
        };
        let at = |r: &str, m: &str| RegionAssignment {
            from: month(m),
            region_code: r.into(),
        };
        let directory = Arc::new(Directory::new(
            vec![dealer("D1"), dealer("D2"), dealer("D3")],
            vec![
                vec![at("R1", "2024-01")],
                vec![at("R2", "2024-01")],
                vec![at("R1", "2024-01"), at("R2", "2024-02")],
            ],
        ));
        let mut ids = GroupIds::default();
        let members = ["2024-01", "2024-02"]
            .iter()
            .map(|m| directory.live_members(month(m), &mut ids))
            .collect();
        (directory, ids, members)
    }

    fn slab(pairs: &[(i64, i64)]) -> Slab {
        let k = KPIS.iter().position(|d| d.code == "comeback_rate").unwrap();
        let n = pairs.len();
        let mut s = Slab::default();
        s.allocate(n);
        for (i, p) in pairs.iter().enumerate() {
            s.set(k * n + i, Ok(*p), 1);
        }
        s
    }

    fn build(
        months: &[MonthInput<'_>],
        directory: Arc<Directory>,
        ids: GroupIds,
        view: View,
    ) -> KpiPeriod {
        let kpi = by_code("comeback_rate").unwrap();
        let range = MonthRange::new(month("2024-01"), month("2024-02")).unwrap();
        let period = Period {
            kind: PeriodKind::Range,
            range,
        };
        let mut b = PeriodBuilder::new(kpi, directory.len());
        for m in months {
            b.add_month(m, 1);
        }
        b.finish(kpi, period, view, directory, Arc::new(ids))
    }

    #[test]
    fn a_moved_dealer_counts_in_each_region_with_its_months_there() {
        let (directory, ids, members) = network();
        let jan = slab(&[(1, 10), (2, 10), (3, 10)]);
        let feb = slab(&[(1, 20), (2, 20), (5, 20)]);
        let inputs = [
            MonthInput {
                slab: &jan,
                members: &members[0],
                holds: None,
            },
            MonthInput {
                slab: &feb,
                members: &members[1],
                holds: None,
            },
        ];
        let p = build(&inputs, directory, ids, View::Live);
        let r1 = p.stats(&Group::Region("R1".into()));
        // R1: D1's two months and D3's January: (1 + 1 + 3) / (10 + 20 + 10)
        assert_eq!((r1.aggregate.numerator, r1.aggregate.denominator), (5, 40));
        let r2 = p.stats(&Group::Region("R2".into()));
        // R2: D2's two months and D3's February
        assert_eq!((r2.aggregate.numerator, r2.aggregate.denominator), (9, 50));
        // The nation is the sum of the regions, and D3 counts once in it.
        let nation = p.stats(&Group::Nation);
        assert_eq!(
            (
                nation.aggregate.numerator,
                nation.aggregate.denominator,
                nation.aggregate.count
            ),
            (14, 90, 3)
        );
        assert_eq!(p.value(2, &Group::Region("R1".into())), Some(30.0));
        assert_eq!(p.value(2, &Group::Region("R2".into())), Some(25.0));
        assert_eq!(p.value(2, &Group::Nation), Some(800.0 / 30.0));
        // The peer group (all three, one brand and tier) is the nation.
        let peer = p.stats(&Group::peer("B", SizeTier::Small));
        assert_eq!(
            (peer.aggregate.numerator, peer.aggregate.denominator),
            (14, 90)
        );
        // Ranks within R1 (lower is better): D1 at 2 / 30, then D3 at 3 / 10.
        let ranked: Vec<usize> = p
            .ranked(&Group::Region("R1".into()))
            .iter()
            .map(|r| r.index)
            .collect();
        assert_eq!(ranked, [0, 2]);
        assert_eq!(p.standing(2, &Group::Region("R1".into())).unwrap().rank, 2);
        assert!(p.stats(&Group::Region("R9".into())).aggregate.count == 0);
        assert!(p.missing(&Group::Nation).is_empty());
    }

    #[test]
    fn held_values_replace_the_live_ones() {
        let (directory, ids, members) = network();
        let k = KPIS.iter().position(|d| d.code == "comeback_rate").unwrap();
        let jan = slab(&[(1, 10), (2, 10), (3, 10)]);
        // D2 was not reported when published; D3 was 4 / 10.
        let holds: Holds = [(k * 3 + 1, None), (k * 3 + 2, Some(Ok((4, 10))))]
            .into_iter()
            .collect();
        let p = build(
            &[MonthInput {
                slab: &jan,
                members: &members[0],
                holds: Some(&holds),
            }],
            directory,
            ids,
            View::Published,
        );
        let nation = p.stats(&Group::Nation);
        assert_eq!(
            (nation.aggregate.numerator, nation.aggregate.denominator),
            (5, 20)
        );
        assert_eq!(p.missing(&Group::Nation), [1]);
    }

    #[test]
    fn sums_that_overflow_have_no_value() {
        let (directory, ids, members) = network();
        let big = slab(&[(i64::MAX, 10), (2, 10), (3, 10)]);
        let inputs = [
            MonthInput {
                slab: &big,
                members: &members[0],
                holds: None,
            },
            MonthInput {
                slab: &big,
                members: &members[1],
                holds: None,
            },
        ];
        let p = build(&inputs, directory, ids, View::Live);
        assert_eq!(p.acc(0, &Group::Nation), Some(Acc::Overflow));
        assert_eq!(p.missing(&Group::Nation), [0]);
    }
}
