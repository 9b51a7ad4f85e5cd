//! One KPI over one period for every dealer: each dealer's figures in every group it
//! belonged to during the period, and the groups' statistics.
//!
//! Membership is taken month by month: a dealer that moved counts in its old region with
//! its months there and in its new region with the rest, so a period's group figures are
//! exactly the sum of its months' (no combination of periods reveals more than its
//! months do).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::directory::Directory;
use super::groups::{GroupId, GroupIds, Slot};
use super::slab::Slab;
use super::View;
use crate::domain::kpi::{FactValue, KpiDef, KPIS};
use crate::domain::stats::{aggregate, best_first, standing_in, Aggregate, Pair, Standing};
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
    fn add(&mut self, (num, den): (i64, i64)) {
        if den <= 0 {
            return;
        }
        *self = match *self {
            Acc::NoValue => Acc::Value(Pair { num, den }),
            Acc::Value(p) => match (p.num.checked_add(num), p.den.checked_add(den)) {
                (Some(num), Some(den)) => Acc::Value(Pair { num, den }),
                _ => Acc::Overflow,
            },
            Acc::Overflow => Acc::Overflow,
        }
    }

    pub fn pair(self) -> Option<Pair> {
        match self {
            Acc::Value(p) => Some(p),
            _ => None,
        }
    }
}

/// A dealer's figures in one region or peer group.
#[derive(Debug, Clone, Copy)]
struct Entry {
    dealer: u32,
    group: u16,
    acc: Acc,
}

/// A group's aggregate and its values best first.
#[derive(Debug)]
pub struct GroupStats {
    pub aggregate: Aggregate,
    pub sorted: Vec<f64>,
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
    /// By dealer: its figures in the nation; `None` when not a member in any month.
    nation: Vec<Option<Acc>>,
    /// By dealer (ascending), its figures in each region it was in.
    regions: Vec<Entry>,
    /// By dealer (ascending), its figures in each peer group it was in.
    peers: Vec<Entry>,
    nation_stats: Arc<GroupStats>,
    region_stats: HashMap<u16, Arc<GroupStats>>,
    /// Peer groups' statistics, computed on first use.
    peer_stats: Mutex<HashMap<u16, Arc<GroupStats>>>,
    /// Rankings by group, sorted on first use: a ranking page then costs no sort.
    rankings: Mutex<HashMap<Group, Arc<Vec<Ranked>>>>,
}

/// Adds one month's value of a dealer to its entry for `group` (created if new).
fn add_to(entries: &mut Vec<Entry>, from: usize, dealer: u32, group: u16, pair: (i64, i64)) {
    match entries[from..].iter_mut().find(|e| e.group == group) {
        Some(e) => e.acc.add(pair),
        None => {
            let mut acc = Acc::NoValue;
            acc.add(pair);
            entries.push(Entry { dealer, group, acc });
        }
    }
}

impl KpiPeriod {
    /// Sums every dealer's months, group by group.
    pub fn build(
        kpi: &'static KpiDef,
        period: Period,
        view: View,
        directory: Arc<Directory>,
        groups: Arc<GroupIds>,
        months: &[MonthInput<'_>],
        versions: Vec<u64>,
    ) -> KpiPeriod {
        let n = directory.len();
        let k = KPIS.iter().position(|d| d.id == kpi.id).unwrap_or(0);
        let mut nation: Vec<Option<Acc>> = vec![None; n];
        let mut regions: Vec<Entry> = Vec::with_capacity(n);
        let mut peers: Vec<Entry> = Vec::with_capacity(n);
        for (i, acc) in nation.iter_mut().enumerate() {
            let (r0, p0) = (regions.len(), peers.len());
            for m in months {
                let Some(Some((region, peer))) = m.members.get(i) else {
                    continue;
                };
                let pair = m.pair(k * n + i);
                acc.get_or_insert(Acc::NoValue).add(pair);
                add_to(&mut regions, r0, i as u32, *region, pair);
                add_to(&mut peers, p0, i as u32, *peer, pair);
            }
        }
        let stats = |accs: &mut dyn Iterator<Item = Acc>| stats_of(kpi, accs);
        let nation_stats = Arc::new(stats(&mut nation.iter().flatten().copied()));
        let mut by_region: HashMap<u16, Vec<Acc>> = HashMap::new();
        for e in &regions {
            by_region.entry(e.group).or_default().push(e.acc);
        }
        let region_stats = by_region
            .into_iter()
            .map(|(g, accs)| (g, Arc::new(stats(&mut accs.into_iter()))))
            .collect();
        KpiPeriod {
            kpi,
            period,
            view,
            directory,
            groups,
            versions,
            nation,
            regions,
            peers,
            nation_stats,
            region_stats,
            peer_stats: Default::default(),
            rankings: Default::default(),
        }
    }

    /// Every member of a group with its figures, in dealer order.
    fn members(&self, id: Option<GroupId>) -> Vec<(usize, Acc)> {
        match id {
            None => self
                .nation
                .iter()
                .enumerate()
                .filter_map(|(i, a)| a.map(|a| (i, a)))
                .collect(),
            Some(GroupId::Region(g)) => select(&self.regions, g),
            Some(GroupId::Peer(g)) => select(&self.peers, g),
        }
    }

    /// A group's statistics (empty for a group without members).
    pub fn stats(&self, group: &Group) -> Arc<GroupStats> {
        match self.groups.lookup(group) {
            Err(()) => Arc::new(stats_of(self.kpi, &mut std::iter::empty())),
            Ok(None) => self.nation_stats.clone(),
            Ok(Some(GroupId::Region(g))) => self
                .region_stats
                .get(&g)
                .cloned()
                .unwrap_or_else(|| Arc::new(stats_of(self.kpi, &mut std::iter::empty()))),
            Ok(Some(GroupId::Peer(g))) => {
                let mut cache = self
                    .peer_stats
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                cache
                    .entry(g)
                    .or_insert_with(|| {
                        let accs = select(&self.peers, g);
                        Arc::new(stats_of(self.kpi, &mut accs.into_iter().map(|(_, a)| a)))
                    })
                    .clone()
            }
        }
    }

    /// Dealer `i`'s figures in `group` (`None`: not a member of it in the period).
    pub fn acc(&self, i: usize, group: &Group) -> Option<Acc> {
        match self.groups.lookup(group).ok()? {
            None => self.nation.get(i).copied().flatten(),
            Some(GroupId::Region(g)) => find(&self.regions, i, g),
            Some(GroupId::Peer(g)) => find(&self.peers, i, g),
        }
    }

    /// Dealer `i`'s value in `group`.
    pub fn value(&self, i: usize, group: &Group) -> Option<f64> {
        let p = self.acc(i, group)?.pair()?;
        self.kpi.value(p.num, p.den)
    }

    /// Dealer `i`'s rank and percentile in `group` (binary search, no sort).
    pub fn standing(&self, i: usize, group: &Group) -> Option<Standing> {
        let v = self.value(i, group)?;
        Some(standing_in(
            &self.stats(group).sorted,
            v,
            self.kpi.direction,
        ))
    }

    /// The group's dealers with a value, best first (ties share a rank, then by code);
    /// sorted once per group.
    pub fn ranked(&self, group: &Group) -> Arc<Vec<Ranked>> {
        let mut cache = self.rankings.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(hit) = cache.get(group) {
            return hit.clone();
        }
        let ranked = Arc::new(self.rank(group));
        cache.insert(group.clone(), ranked.clone());
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
            .filter_map(|(i, acc)| {
                let pair = acc.pair()?;
                let value = self.kpi.value(pair.num, pair.den)?;
                Some(Ranked {
                    index: i,
                    pair,
                    value,
                    standing: standing_in(&stats.sorted, value, self.kpi.direction),
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
            .filter(|(_, a)| a.pair().is_none())
            .map(|(i, _)| i)
            .collect()
    }

    /// Index of a dealer.
    pub fn index_of(&self, code: &str) -> Option<usize> {
        self.directory.index.get(code).copied()
    }
}

fn select(entries: &[Entry], group: u16) -> Vec<(usize, Acc)> {
    entries
        .iter()
        .filter(|e| e.group == group)
        .map(|e| (e.dealer as usize, e.acc))
        .collect()
}

fn find(entries: &[Entry], i: usize, group: u16) -> Option<Acc> {
    let start = entries.partition_point(|e| (e.dealer as usize) < i);
    entries[start..]
        .iter()
        .take_while(|e| e.dealer as usize == i)
        .find(|e| e.group == group)
        .map(|e| e.acc)
}

fn stats_of(kpi: &KpiDef, accs: &mut dyn Iterator<Item = Acc>) -> GroupStats {
    let mut pairs = Vec::new();
    let mut missing = 0;
    for a in accs {
        match a.pair() {
            Some(p) => pairs.push(p),
            None => missing += 1,
        }
    }
    let values = pairs
        .iter()
        .filter_map(|p| kpi.value(p.num, p.den))
        .collect();
    GroupStats {
        aggregate: aggregate(kpi, &pairs, missing),
        sorted: best_first(values, kpi.direction),
    }
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

    #[test]
    fn a_moved_dealer_counts_in_each_region_with_its_months_there() {
        let (directory, ids, members) = network();
        let kpi = by_code("comeback_rate").unwrap();
        let jan = slab(&[(1, 10), (2, 10), (3, 10)]);
        let feb = slab(&[(1, 20), (2, 20), (5, 20)]);
        let range = MonthRange::new(month("2024-01"), month("2024-02")).unwrap();
        let period = Period {
            kind: PeriodKind::Range,
            range,
        };
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
        let p = KpiPeriod::build(
            kpi,
            period,
            View::Live,
            directory,
            Arc::new(ids),
            &inputs,
            vec![],
        );
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
        let kpi = by_code("comeback_rate").unwrap();
        let k = KPIS.iter().position(|d| d.code == "comeback_rate").unwrap();
        let jan = slab(&[(1, 10), (2, 10), (3, 10)]);
        // D2 was not reported when published; D3 was 4 / 10.
        let holds: Holds = [(k * 3 + 1, None), (k * 3 + 2, Some(Ok((4, 10))))]
            .into_iter()
            .collect();
        let period = Period::new(PeriodKind::Month, month("2024-01"), None).unwrap();
        let p = KpiPeriod::build(
            kpi,
            period,
            View::Published,
            directory,
            Arc::new(ids),
            &[MonthInput {
                slab: &jan,
                members: &members[0],
                holds: Some(&holds),
            }],
            vec![],
        );
        let nation = p.stats(&Group::Nation);
        assert_eq!(
            (nation.aggregate.numerator, nation.aggregate.denominator),
            (5, 20)
        );
        assert_eq!(p.missing(&Group::Nation), [1]);
    }
}
