//! Statistical disclosure control: what a dealer may be shown of other dealers.
//!
//! Dealers compete with each other, so a dealer is shown other dealers only as values of
//! groups (pooled, mean, median, quartiles, counts), never as sums of their figures; only
//! from a month's **published** snapshot, so that two answers taken before and after
//! another dealer's submission are the same; and only for groups of at least the minimum
//! size in which no single dealer carries more than the dominance share of the
//! denominator. Changes reach the snapshot only in batches that move at least the minimum
//! group size of dealers in every group they touch ([`republishable`]).

use std::collections::HashMap;
use std::hash::Hash;

use super::stats::Aggregate;

/// Whether a group's figures are shown, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disclosure {
    /// Live figures (regional managers, BI readers and the OEM).
    Live,
    /// The published snapshot (dealer users).
    Published,
    /// A month of the period is not published yet: only the dealer's own values are shown.
    NotYetPublished,
    /// Fewer dealers with a value than the minimum group size.
    SmallGroup,
    /// One dealer carries more than the dominance share of the group's denominator.
    DominantDealer,
}

impl Disclosure {
    /// Whether figures are shown.
    pub fn shown(self) -> bool {
        matches!(self, Disclosure::Live | Disclosure::Published)
    }
}

/// The thresholds of disclosure control.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    /// Smallest number of dealers with a value a shown group has.
    pub min_group: usize,
    /// Largest share (0–1) of a group's denominator one dealer may carry.
    pub max_share: f64,
}

impl Rules {
    /// Whether a published group's aggregate may be shown to a dealer.
    pub fn judge(&self, a: &Aggregate) -> Disclosure {
        if a.count < self.min_group {
            Disclosure::SmallGroup
        } else if a.largest_share.is_some_and(|s| s > self.max_share) {
            Disclosure::DominantDealer
        } else {
            Disclosure::Published
        }
    }
}

/// The changes that may be published together: as many as possible such that every group
/// any of them touches (before or after the change) gets at least `min_group` of them.
/// `touches[i]` lists the groups change `i` touches; returns the indexes chosen, ascending.
///
/// Found by elimination: a change in a group with too few others is dropped, until none
/// is; what remains satisfies the rule (each removal only lowers counts, so it ends).
pub fn republishable<G: Eq + Hash>(touches: &[Vec<G>], min_group: usize) -> Vec<usize> {
    let mut alive = vec![true; touches.len()];
    loop {
        let mut counts: HashMap<&G, usize> = HashMap::new();
        for (i, groups) in touches.iter().enumerate().filter(|(i, _)| alive[*i]) {
            let _ = i;
            for g in groups {
                *counts.entry(g).or_default() += 1;
            }
        }
        let mut dropped = false;
        for (i, groups) in touches.iter().enumerate() {
            if alive[i] && groups.iter().any(|g| counts[g] < min_group) {
                alive[i] = false;
                dropped = true;
            }
        }
        if !dropped {
            return (0..touches.len()).filter(|&i| alive[i]).collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agg(count: usize, largest_share: Option<f64>) -> Aggregate {
        Aggregate::of_sums(Some(1.0), (1, 1), count, 0, largest_share)
    }

    #[test]
    fn small_groups_and_dominant_dealers_are_withheld() {
        let rules = Rules {
            min_group: 5,
            max_share: 0.6,
        };
        assert_eq!(rules.judge(&agg(4, Some(0.3))), Disclosure::SmallGroup);
        assert_eq!(rules.judge(&agg(5, Some(0.6))), Disclosure::Published);
        assert_eq!(rules.judge(&agg(5, Some(0.61))), Disclosure::DominantDealer);
        assert_eq!(rules.judge(&agg(9, None)), Disclosure::Published);
        assert!(Disclosure::Live.shown() && !Disclosure::SmallGroup.shown());
    }

    #[test]
    fn republication_needs_enough_changes_in_every_group_touched() {
        // Regions A (3 changes) and B (1); every change also touches the nation N.
        let t = |r: &'static str| vec!["N", r];
        let touches = vec![t("A"), t("A"), t("A"), t("B")];
        assert_eq!(republishable(&touches, 3), vec![0, 1, 2]);
        assert_eq!(republishable(&touches, 4), Vec::<usize>::new());
        assert_eq!(republishable(&touches, 1), vec![0, 1, 2, 3]);
        // A move from A to B touches both: with B short of changes it waits, and then A
        // is short too.
        let touches = vec![vec!["N", "A", "B"], t("A"), t("A"), t("B"), t("B")];
        assert_eq!(republishable(&touches, 3), vec![0, 1, 2, 3, 4]);
        let touches = vec![vec!["N", "A", "B"], t("A"), t("A"), t("B")];
        assert_eq!(republishable(&touches, 3), Vec::<usize>::new());
        assert_eq!(republishable::<&str>(&[], 3), Vec::<usize>::new());
    }

    #[test]
    fn what_is_chosen_always_satisfies_the_rule() {
        // Exhaustive over small random-looking shapes: every chosen group count ≥ k.
        for seed in 0u64..200 {
            let n = (seed % 9) as usize + 1;
            let touches: Vec<Vec<u64>> = (0..n)
                .map(|i| {
                    let h = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(i as u64 * 1442695040888963407);
                    vec![0, 1 + (h >> 60) % 3, 10 + (h >> 40) % 2]
                })
                .collect();
            for k in 1..4 {
                let chosen = republishable(&touches, k);
                let mut counts: HashMap<u64, usize> = HashMap::new();
                for &i in &chosen {
                    for g in &touches[i] {
                        *counts.entry(*g).or_default() += 1;
                    }
                }
                assert!(counts.values().all(|&c| c >= k), "seed {seed} k {k}");
            }
        }
    }
}
