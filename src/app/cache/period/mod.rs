//! One KPI over one period for every dealer: each dealer's figures in every group it
//! belonged to during the period, and the groups' statistics (computed when first asked).
//!
//! Membership is taken month by month: a dealer that moved counts in its old region with
//! its months there and in its new region with the rest, so a period's group figures are
//! exactly the sum of its months' (no combination of periods reveals more than its months
//! do). Built month by month, so that a long period never holds all its months at once.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use super::directory::Directory;
use super::groups::{GroupId, GroupIds, Slot};
use super::slab::Slab;
use super::View;
use crate::domain::kpi::{FactValue, KpiDef};
use crate::domain::standing::Standing;
use crate::domain::stats::Pair;
use crate::domain::{Group, Period};

mod builder;
mod digest;
mod group_stats;
mod ranking;

pub use builder::PeriodBuilder;
pub use digest::{Digested, KpiDigest, RegionMembers};
pub use group_stats::GroupStats;
use group_stats::Stats;
pub use ranking::Ranked;

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
    #[inline]
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

/// A pair and its value (NaN: none), when it has one.
#[inline]
fn valued(sum: (i64, i64), value: f64) -> Option<(Pair, f64)> {
    let pair = Acc::of(sum).pair()?;
    (!value.is_nan()).then_some((pair, value))
}

/// How a dealer belongs to a group over the period.
enum Membership {
    /// With all its sums (the group it stayed in, or the nation).
    Home,
    /// With part of them: see its [`Split`].
    Split,
    None,
}

/// How a dealer with `home` groups belongs to group `id` (`None`: the nation).
#[inline]
fn membership(id: Option<GroupId>, (region, peer): (u16, u16)) -> Membership {
    let (own, of_kind) = match id {
        None => {
            return if region == NONE {
                Membership::None
            } else {
                Membership::Home
            }
        }
        Some(GroupId::Region(g)) => (g, region),
        Some(GroupId::Peer(g)) => (g, peer),
    };
    if of_kind == own {
        Membership::Home
    } else if of_kind == SPLIT {
        Membership::Split
    } else {
        Membership::None
    }
}

/// A dealer that changed region or peer group within the period: its sums per group.
#[derive(Debug, Clone, Default)]
struct Split {
    regions: Vec<(u16, (i64, i64))>,
    peers: Vec<(u16, (i64, i64))>,
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
    /// Groups' statistics, computed on first use.
    stats: Mutex<Stats>,
    /// Rankings by group, sorted when a group is asked again: its pages then cost no sort.
    rankings: Mutex<HashMap<Group, Arc<Vec<Ranked>>>>,
    /// Groups whose ranking was asked once (a page selected, nothing sorted).
    asked: Mutex<HashSet<Group>>,
    /// Each dealer's value of its sums (NaN: none), found on first use.
    values: OnceLock<Vec<f64>>,
}

impl KpiPeriod {
    /// Bytes held, roughly (for the memo's budget): the per-dealer sums and groups, and
    /// room for what usually follows (each dealer's value; the nation's values, a region's
    /// and a peer group's, for their quantiles; every group's sums).
    pub fn bytes(&self) -> usize {
        self.pairs.len() * (16 + 4 + 8 + 8 + 2) + self.splits.len() * 96 + 512
    }

    /// Each dealer's value of its sums (NaN when it has none): what `kpi.value` gives,
    /// found once, in one tight pass (the divisions overlap).
    fn values(&self) -> &[f64] {
        self.values.get_or_init(|| {
            self.pairs
                .iter()
                .map(|&(num, den)| self.kpi.value(num, den).unwrap_or(f64::NAN))
                .collect()
        })
    }

    /// Dealer `i`'s pair and value for `sum`, one of its sums (its own, or one of a split
    /// dealer's), when it has a value.
    fn valued_sum(&self, i: usize, sum: (i64, i64)) -> Option<(Pair, f64)> {
        if sum == self.pairs[i] {
            return valued(sum, self.values()[i]);
        }
        let pair = Acc::of(sum).pair()?;
        Some((pair, self.kpi.value(pair.num, pair.den)?))
    }

    /// Every member of a group with its sums, in dealer order.
    fn members(&self, id: Option<GroupId>) -> impl Iterator<Item = (usize, (i64, i64))> + '_ {
        self.home
            .iter()
            .zip(&self.pairs)
            .enumerate()
            .filter_map(move |(i, (&home, &sum))| Some((i, self.member_sum(i, id, home, sum)?)))
    }

    /// Dealer `i`'s sums in group `id`, given its home groups and own sums (`None`: not a
    /// member of it in the period).
    #[inline]
    fn member_sum(
        &self,
        i: usize,
        id: Option<GroupId>,
        home: (u16, u16),
        sum: (i64, i64),
    ) -> Option<(i64, i64)> {
        match membership(id, home) {
            Membership::Home => Some(sum),
            Membership::Split => self.split_sum_in(i, id),
            Membership::None => None,
        }
    }

    /// Every member of a group with its pair and value when it has one, in dealer order:
    /// what [`KpiPeriod::members`] and [`KpiPeriod::valued_sum`] give, in one tight pass
    /// (the per-dealer walk of a group's statistics and of its ranking).
    fn valued_members(
        &self,
        id: Option<GroupId>,
    ) -> impl Iterator<Item = (usize, Option<(Pair, f64)>)> + '_ {
        self.home
            .iter()
            .zip(&self.pairs)
            .zip(self.values())
            .enumerate()
            .filter_map(move |(i, ((&home, &sum), &value))| {
                Some((i, self.valued_in(i, id, home, sum, value)?))
            })
    }

    /// Dealer `i`'s pair and value in group `id`, given its home groups, sums and value:
    /// `None` when it is not a member, `Some(None)` for a member without a value.
    #[inline]
    fn valued_in(
        &self,
        i: usize,
        id: Option<GroupId>,
        home: (u16, u16),
        sum: (i64, i64),
        value: f64,
    ) -> Option<Option<(Pair, f64)>> {
        match membership(id, home) {
            Membership::Home => Some(valued(sum, value)),
            Membership::Split => Some(self.valued_sum(i, self.split_sum_in(i, id)?)),
            Membership::None => None,
        }
    }

    /// A split dealer's sums in one of its groups.
    fn split_sum_in(&self, i: usize, id: Option<GroupId>) -> Option<(i64, i64)> {
        let s = self.splits.get(&(i as u32))?;
        let (list, g) = match id? {
            GroupId::Region(g) => (&s.regions, g),
            GroupId::Peer(g) => (&s.peers, g),
        };
        list.iter().find(|(x, _)| *x == g).map(|(_, p)| *p)
    }

    /// Dealer `i`'s sums in group `id` (`None`: not a member of it in the period).
    fn sum_in(&self, i: usize, id: Option<GroupId>) -> Option<(i64, i64)> {
        self.member_sum(i, id, *self.home.get(i)?, self.pairs[i])
    }

    /// Dealer `i`'s figures in `group` (`None`: not a member of it in the period).
    pub fn acc(&self, i: usize, group: &Group) -> Option<Acc> {
        Some(Acc::of(self.sum_in(i, self.groups.lookup(group).ok()?)?))
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

    /// Dealer `i`'s rank and percentile in `group` (counted, or searched once sorted).
    pub fn standing(&self, i: usize, group: &Group) -> Option<Standing> {
        let v = self.value(i, group)?;
        Some(self.stats(group).standing(v))
    }

    /// The group's members without a value (counted by its statistics, so that a group
    /// without any costs no pass).
    pub fn missing(&self, group: &Group) -> Vec<usize> {
        let Ok(id) = self.groups.lookup(group) else {
            return vec![];
        };
        if self.stats(group).aggregate.missing == 0 {
            return vec![];
        }
        self.members(id)
            .filter(|(_, p)| Acc::of(*p).pair().is_none())
            .map(|(i, _)| i)
            .collect()
    }

    /// Index of a dealer.
    pub fn index_of(&self, code: &str) -> Option<usize> {
        self.directory.index.get(code).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::kpi::{by_code, KPIS};
    use crate::domain::paging::Window;
    use crate::domain::{Dealer, Month, MonthRange, PeriodKind, RegionAssignment, SizeTier};

    pub(super) fn month(s: &str) -> Month {
        s.parse().unwrap()
    }

    /// A dealer of brand B, small, open since January 2024.
    pub(super) fn dealer(code: String) -> Dealer {
        Dealer {
            name: code.clone(),
            code,
            brand: "B".into(),
            province: "P".into(),
            city: "C".into(),
            size_tier: SizeTier::Small,
            opened: month("2024-01"),
            closed: None,
        }
    }

    /// Three dealers; D3 moves from R1 to R2 in the second month.
    fn network() -> (Arc<Directory>, GroupIds, Vec<Vec<Slot>>) {
        let at = |r: &str, m: &str| RegionAssignment {
            from: month(m),
            region_code: r.into(),
        };
        let directory = Arc::new(Directory::new(
            ["D1", "D2", "D3"].map(|c| dealer(c.into())).to_vec(),
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

    /// KPIs whose rows [`slab`] fills: one of each direction.
    pub(super) const FILLED: [&str; 2] = ["comeback_rate", "service_coverage"];

    /// A month with `pairs` as the rows of the [`FILLED`] KPIs.
    pub(super) fn slab(pairs: &[(i64, i64)]) -> Slab {
        let n = pairs.len();
        let mut s = Slab::default();
        s.allocate(n);
        for code in FILLED {
            let k = KPIS.iter().position(|d| d.code == code).unwrap();
            for (i, p) in pairs.iter().enumerate() {
                s.set(k * n + i, Ok(*p), 1);
            }
        }
        s
    }

    /// Live months: each slab with the members of its month.
    pub(super) fn live<'a>(slabs: &[&'a Slab], members: &'a [Vec<Slot>]) -> Vec<MonthInput<'a>> {
        slabs
            .iter()
            .zip(members)
            .map(|(slab, members)| MonthInput {
                slab,
                members,
                holds: None,
            })
            .collect()
    }

    pub(super) fn build(
        months: &[MonthInput<'_>],
        directory: Arc<Directory>,
        ids: GroupIds,
        view: View,
    ) -> KpiPeriod {
        build_of(FILLED[0], months, directory, ids, view)
    }

    pub(super) fn build_of(
        code: &str,
        months: &[MonthInput<'_>],
        directory: Arc<Directory>,
        ids: GroupIds,
        view: View,
    ) -> KpiPeriod {
        let kpi = by_code(code).unwrap();
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
        let inputs = live(&[&jan, &feb], &members);
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
            .ranking(&Group::Region("R1".into()), |_| true, &Window::first(10))
            .lines
            .iter()
            .map(|r| r.index)
            .collect();
        assert_eq!(ranked, [0, 2]);
        assert_eq!(p.standing(2, &Group::Region("R1".into())).unwrap().rank, 2);
        assert!(p.stats(&Group::Region("R9".into())).aggregate.count == 0);
        assert!(p.missing(&Group::Nation).is_empty());
    }

    #[test]
    fn groups_found_together_are_those_found_one_by_one() {
        let (directory, ids, members) = network();
        let jan = slab(&[(1, 10), (2, 10), (3, 10)]);
        let feb = slab(&[(1, 20), (0, 0), (5, 20)]);
        let inputs = live(&[&jan, &feb], &members);
        let groups = [
            Group::Region("R1".into()),
            Group::Nation,
            Group::Region("R2".into()),
            Group::peer("B", SizeTier::Small),
            Group::Region("R9".into()),
            Group::Nation,
        ];
        let together = build(&inputs, directory.clone(), ids.clone(), View::Live);
        let all: Vec<&Group> = groups.iter().collect();
        let found = together.stats_of(&all);
        let alone = build(&inputs, directory, ids, View::Live);
        assert_eq!(found.len(), groups.len());
        for (g, s) in groups.iter().zip(&found) {
            assert_eq!(s.aggregate, alone.stats(g).aggregate, "{g:?}");
            // Kept: asked again, the same statistics (a group the period does not know
            // has empty ones, made afresh).
            let known = *g != Group::Region("R9".into());
            assert_eq!(Arc::ptr_eq(s, &together.stats(g)), known, "{g:?}");
        }
    }

    #[test]
    fn a_selected_page_is_the_page_of_the_sorted_ranking() {
        use crate::domain::paging::Take;
        // 300 dealers in three regions, codes not in slab order, many ties, some without
        // a value.
        let n = 300;
        let code = |i: usize| format!("D{:03}", (i * 7) % n);
        let histories = (0..n)
            .map(|i| {
                vec![RegionAssignment {
                    from: month("2024-01"),
                    region_code: format!("R{}", i % 3),
                }]
            })
            .collect();
        let directory = Arc::new(Directory::new(
            (0..n).map(|i| dealer(code(i))).collect(),
            histories,
        ));
        let mut ids = GroupIds::default();
        let members = directory.live_members(month("2024-01"), &mut ids);
        let pairs: Vec<(i64, i64)> = (0..n)
            .map(|i| match i % 11 {
                0 => (0, 0),
                _ => (((i * 37) % 17) as i64, 10 + (i % 2) as i64 * 10),
            })
            .collect();
        let jan = slab(&pairs);
        let input = MonthInput {
            slab: &jan,
            members: &members,
            holds: None,
        };
        let windows = [
            Window::first(50),
            Window::first(1000),
            Window {
                after: Some(40),
                before: None,
                take: Take::First(25),
            },
            Window {
                after: None,
                before: Some(90),
                take: Take::Last(30),
            },
        ];
        // Every group tallied in one pass: what each would be alone.
        {
            let p = build(
                std::slice::from_ref(&input),
                directory.clone(),
                ids.clone(),
                View::Live,
            );
            let kpi = p.kpi;
            for (group, of) in [
                (Group::Nation, None),
                (Group::Region("R0".into()), Some(0)),
                (Group::Region("R2".into()), Some(2)),
            ] {
                let mine: Vec<Pair> = (0..n)
                    .filter(|i| of.is_none_or(|r| i % 3 == r))
                    .map(|i| Pair {
                        num: pairs[i].0,
                        den: pairs[i].1,
                    })
                    .collect();
                let want = crate::domain::stats::aggregate(kpi, &mine, 0);
                assert_eq!(p.stats(&group).aggregate, want, "{group}");
            }
        }
        for group in [Group::Nation, Group::Region("R1".into())] {
            let keeps: [fn(usize) -> bool; 2] = [|_| true, |i| i % 4 != 1];
            for keep in keeps {
                for window in &windows {
                    let p = build(
                        std::slice::from_ref(&input),
                        directory.clone(),
                        ids.clone(),
                        View::Live,
                    );
                    let selected = p.ranking(&group, keep, window);
                    let sorted = p.ranking(&group, keep, window);
                    assert!(p.rankings.lock().unwrap().contains_key(&group));
                    let line = |r: &Ranked| (r.index, r.pair, r.value, r.standing);
                    assert_eq!(
                        selected.lines.iter().map(line).collect::<Vec<_>>(),
                        sorted.lines.iter().map(line).collect::<Vec<_>>(),
                        "{group} {window:?}"
                    );
                    assert_eq!(
                        (selected.bounds, selected.total),
                        (sorted.bounds, sorted.total)
                    );
                    assert!(!selected.lines.is_empty());
                    // Best first, ties by code.
                    for w in sorted.lines.windows(2) {
                        let (a, b) = (&w[0], &w[1]);
                        assert!(
                            a.value < b.value
                                || (a.value == b.value
                                    && directory.dealers[a.index].code
                                        < directory.dealers[b.index].code)
                        );
                        assert!(a.standing.rank <= b.standing.rank);
                    }
                }
            }
        }
    }

    /// `n` dealers over four months: some move region (once or back and forth), some
    /// open late; values small (often tied), wide, missing, or large enough to overflow.
    pub(super) fn moving_network(
        n: usize,
        seed: u64,
    ) -> (Arc<Directory>, GroupIds, Vec<Vec<Slot>>, Vec<Slab>) {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let months = ["2024-01", "2024-02", "2024-03", "2024-04"];
        let mut dealers = Vec::new();
        let mut histories = Vec::new();
        for i in 0..n {
            let mut d = dealer(format!("D{i:03}"));
            if i % 17 == 0 {
                d.opened = month("2024-03");
            }
            dealers.push(d);
            let mut h = vec![RegionAssignment {
                from: month("2024-01"),
                region_code: format!("R{}", i % 3),
            }];
            for (k, m) in months.iter().enumerate().skip(1) {
                if rng.gen_ratio(1, 12) {
                    h.push(RegionAssignment {
                        from: month(m),
                        region_code: format!("R{}", (i + k) % 4),
                    });
                }
            }
            histories.push(h);
        }
        let directory = Arc::new(Directory::new(dealers, histories));
        let mut ids = GroupIds::default();
        let members: Vec<Vec<Slot>> = months
            .iter()
            .map(|m| directory.live_members(month(m), &mut ids))
            .collect();
        let slabs: Vec<Slab> = (0..months.len())
            .map(|_| {
                let pairs: Vec<(i64, i64)> = (0..n)
                    .map(|_| match rng.gen_range(0..20) {
                        0 => (0, 0),
                        1 => (rng.gen_range(-5..5), 0),
                        2 => (rng.gen_range(1i64 << 40..1 << 41), rng.gen_range(1..1000)),
                        3 => (i64::MAX - rng.gen_range(0..3), 7),
                        4..=7 => (rng.gen_range(0..3), 10),
                        _ => (rng.gen_range(-1000..100_000), rng.gen_range(1..5000)),
                    })
                    .collect();
                slab(&pairs)
            })
            .collect();
        (directory, ids, members, slabs)
    }

    #[test]
    fn a_row_read_straight_sums_as_pair_by_pair() {
        let (directory, ids, members, slabs) = moving_network(400, 7);
        let straight = live(&slabs.iter().collect::<Vec<_>>(), &members);
        // A held value the KPI's row does not have sends each month pair by pair.
        let holds: Holds = [(usize::MAX - 1, None)].into_iter().collect();
        let by_pair: Vec<MonthInput<'_>> = straight
            .iter()
            .map(|m| MonthInput {
                slab: m.slab,
                members: m.members,
                holds: Some(&holds),
            })
            .collect();
        let a = build(&straight, directory.clone(), ids.clone(), View::Live);
        let b = build(&by_pair, directory, ids, View::Live);
        assert_eq!(a.pairs, b.pairs);
        assert_eq!(a.home, b.home);
        let splits = |p: &KpiPeriod| {
            let mut v: Vec<String> = p.splits.iter().map(|(i, s)| format!("{i} {s:?}")).collect();
            v.sort();
            v
        };
        assert_eq!(splits(&a), splits(&b));
        assert!(!a.splits.is_empty());
        assert!(a.pairs.iter().any(|p| p.1 == OVERFLOW));
        assert!(members[0].iter().any(Option::is_none));
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
        let inputs = live(&[&big, &big], &members);
        let p = build(&inputs, directory, ids, View::Live);
        assert_eq!(p.acc(0, &Group::Nation), Some(Acc::Overflow));
        assert_eq!(p.missing(&Group::Nation), [0]);
    }
}
