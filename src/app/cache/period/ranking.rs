//! A group's ranking over a period: a page selected at the first ask (no sort of the
//! group), the whole order sorted and kept when the group is asked again.

use std::cmp::Ordering;
use std::sync::{Arc, PoisonError};

use super::{Acc, KpiPeriod};
use crate::domain::kpi::Direction;
use crate::domain::paging::{Bounds, Window};
use crate::domain::standing::{standing_of, Standing};
use crate::domain::stats::Pair;
use crate::domain::Group;

/// A page of a group's ranking.
#[derive(Debug)]
pub struct RankedPage {
    /// Lines `bounds.lo..bounds.hi` of the ranking as filtered.
    pub lines: Vec<Ranked>,
    pub bounds: Bounds,
    /// Lines of the ranking as filtered.
    pub total: usize,
}

/// A group's dealer with a value, in ranking order.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub index: usize,
    pub pair: Pair,
    pub value: f64,
    pub standing: Standing,
}

/// Ranking order of (value, place in code order): best value first, ties (sharing a rank)
/// by dealer code.
fn ranking_order(direction: Direction, a: (f64, u32), b: (f64, u32)) -> Ordering {
    let by_value = match direction {
        Direction::HigherIsBetter => b.0.partial_cmp(&a.0),
        Direction::LowerIsBetter => a.0.partial_cmp(&b.0),
    };
    by_value.unwrap_or(Ordering::Equal).then(a.1.cmp(&b.1))
}

/// The standings of the first lines of a group's whole ranking (`entries`, sorted), with
/// `ties_after` members after them tied with the last: a value's rank is where it starts,
/// the members not worse than it are where it ends.
fn standings_in_order(entries: &[(f64, u32, u32)], ties_after: usize, n: usize) -> Vec<Standing> {
    let mut out = Vec::with_capacity(entries.len());
    let mut start = 0;
    while start < entries.len() {
        let value = entries[start].0;
        let end = start + entries[start..].iter().take_while(|e| e.0 == value).count();
        let not_worse = if end == entries.len() {
            end + ties_after
        } else {
            end
        };
        let standing = standing_of(start, not_worse, n);
        out.extend(std::iter::repeat_n(standing, end - start));
        start = end;
    }
    out
}

impl KpiPeriod {
    /// Ranking order of lines: see [`ranking_order`].
    fn order(&self) -> impl Fn(&Ranked, &Ranked) -> Ordering + '_ {
        let code = &self.directory.code_order;
        let direction = self.kpi.direction;
        move |a, b| {
            ranking_order(
                direction,
                (a.value, code[a.index]),
                (b.value, code[b.index]),
            )
        }
    }

    /// The group's dealers with a value that `keep` accepts, best first: the lines of
    /// `window` (ranks and percentiles within the whole group). The first ask of a group
    /// selects its page (no sort of the group); a group asked again is sorted once and
    /// kept, so that its next pages cost no sort.
    pub fn ranking(
        &self,
        group: &Group,
        keep: impl Fn(usize) -> bool,
        window: &Window,
    ) -> RankedPage {
        let page_of = |all: &[Ranked]| {
            let visible: Vec<&Ranked> = all.iter().filter(|r| keep(r.index)).collect();
            let bounds = window.bounds(visible.len());
            RankedPage {
                lines: visible[bounds.lo..bounds.hi]
                    .iter()
                    .map(|r| (*r).clone())
                    .collect(),
                bounds,
                total: visible.len(),
            }
        };
        let kept = self
            .rankings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(group)
            .cloned();
        if let Some(all) = kept {
            return page_of(&all);
        }
        let first_ask = self
            .asked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(group.clone());
        if !first_ask {
            let all = Arc::new(self.rank(group));
            self.rankings
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(group.clone(), all.clone());
            return page_of(&all);
        }
        let stats = self.stats(group);
        let Ok(id) = self.groups.lookup(group) else {
            return page_of(&[]);
        };
        // Light entries (value, place in code order, dealer) are selected and sorted; the
        // page's lines are made of them after.
        let code = &self.directory.code_order;
        let mut entries: Vec<(f64, u32, u32)> = self
            .valued_members(id)
            .filter(|(i, _)| keep(*i))
            .filter_map(|(i, valued)| Some((valued?.1, code[i], i as u32)))
            .collect();
        let (bounds, total) = (window.bounds(entries.len()), entries.len());
        let direction = self.kpi.direction;
        let order = |a: &(f64, u32, u32), b: &(f64, u32, u32)| {
            ranking_order(direction, (a.0, a.1), (b.0, b.1))
        };
        // Tied with the last line of the page but after it (every member kept: see below).
        let mut ties_after = 0;
        if bounds.hi < entries.len() {
            entries.select_nth_unstable_by(bounds.hi, order);
            let last = entries[..bounds.hi]
                .iter()
                .copied()
                .max_by(|a, b| order(a, b));
            if let Some(last) = last {
                ties_after = entries[bounds.hi..]
                    .iter()
                    .filter(|e| e.0 == last.0)
                    .count();
            }
            entries.truncate(bounds.hi);
        }
        entries.sort_unstable_by(order);
        let standings = if total == stats.aggregate.count {
            // Every member is in the list: a line's standing is where its value starts and
            // ends in it.
            standings_in_order(&entries, ties_after, total)
        } else {
            let values: Vec<f64> = entries.iter().map(|e| e.0).collect();
            stats.standings(&values)
        };
        let lines = entries
            .iter()
            .zip(standings)
            .skip(bounds.lo)
            .map(|(&(value, _, i), standing)| Ranked {
                index: i as usize,
                pair: self
                    .sum_in(i as usize, id)
                    .and_then(|sum| Acc::of(sum).pair())
                    .unwrap_or(Pair { num: 0, den: 0 }),
                value,
                standing,
            })
            .collect();
        RankedPage {
            lines,
            bounds,
            total,
        }
    }

    /// The group's dealers with a value, in dealer order, without their standings.
    fn unranked(&self, group: &Group) -> Vec<Ranked> {
        let Ok(id) = self.groups.lookup(group) else {
            return vec![];
        };
        self.valued_members(id)
            .filter_map(|(i, valued)| {
                let (pair, value) = valued?;
                Some(Ranked {
                    index: i,
                    pair,
                    value,
                    standing: Standing {
                        rank: 0,
                        percentile: 0.0,
                    },
                })
            })
            .collect()
    }

    /// The whole ranking of a group, sorted.
    fn rank(&self, group: &Group) -> Vec<Ranked> {
        let stats = self.stats(group);
        let sorted = stats.sorted();
        let mut all = self.unranked(group);
        for r in &mut all {
            r.standing = sorted.standing(r.value);
        }
        all.sort_unstable_by(self.order());
        all
    }
}
