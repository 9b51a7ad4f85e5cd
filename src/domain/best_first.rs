//! A group's KPI values best first, and where a value stands among them.

use super::kpi::Direction;
use super::standing::{is_better, standing_of, Standing};

/// Values per block of the index: 32 values are four cache lines.
const BLOCK: usize = 32;

/// A group's values, best first in its KPI's direction, with a small index over them.
///
/// Where a value stands is searched in the index (every 32nd value: 2.5 KB at 10,000
/// dealers, which stays in cache) and then in one block of 32 values, read whole (four
/// adjacent cache lines, fetched together), rather than by a
/// binary search of the whole group, whose every step past the first few misses the
/// cache: a page of exceptions asks a few thousand of these at once.
#[derive(Debug, Clone, PartialEq)]
pub struct BestFirst {
    values: Vec<f64>,
    direction: Direction,
    /// `values[0]`, `values[BLOCK]`, `values[2 * BLOCK]`, …
    fences: Vec<f64>,
}

impl BestFirst {
    /// `values` in any order, sorted here.
    pub fn sort(mut values: Vec<f64>, direction: Direction) -> BestFirst {
        match direction {
            Direction::HigherIsBetter => values.sort_by(|a, b| b.total_cmp(a)),
            Direction::LowerIsBetter => values.sort_by(f64::total_cmp),
        }
        BestFirst::new(values, direction)
    }

    /// `values` already best first in `direction`.
    pub fn new(values: Vec<f64>, direction: Direction) -> BestFirst {
        debug_assert!(values.windows(2).all(|w| !is_better(direction, w[1], w[0])));
        let fences = values.iter().step_by(BLOCK).copied().collect();
        BestFirst {
            values,
            direction,
            fences,
        }
    }

    pub fn values(&self) -> &[f64] {
        &self.values
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The `i`-th best value (0 is the best).
    pub fn get(&self, i: usize) -> Option<f64> {
        self.values.get(i).copied()
    }

    /// How many values are strictly better than `value`.
    fn better_than(&self, value: f64) -> usize {
        let better = |x: &f64| is_better(self.direction, *x, value);
        // Fences `..j` are better, so values `..=(j - 1) * BLOCK` are; fence `j` is not,
        // so no value from `j * BLOCK` on is.
        let j = self.fences.partition_point(better);
        if j == 0 {
            return 0;
        }
        let lo = (j - 1) * BLOCK + 1;
        let hi = (j * BLOCK).min(self.values.len());
        // Better values are a prefix of the block: counted with every load issued at
        // once (a binary search would wait for each of its loads in turn).
        lo + self.values[lo..hi].iter().filter(|x| better(x)).count()
    }

    /// The standing of `value`, one of the values: the same as [`super::stats::standings`]
    /// gives without sorting.
    pub fn standing(&self, value: f64) -> Standing {
        let better = self.better_than(value);
        // The values tied with it follow: galloped over (most values have no tie, so one
        // comparison) rather than found by a second search.
        let rest = &self.values[better..];
        let mut hi = 1;
        while hi < rest.len() && rest[hi] == value {
            hi *= 2;
        }
        let hi = hi.min(rest.len());
        let lo = hi / 2;
        let not_worse = better + lo + rest[lo..hi].partition_point(|x| *x == value);
        standing_of(better, not_worse, self.values.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::standing::standings;

    #[test]
    fn standings_by_the_index_equal_the_sorted_ones() {
        let v = [90.0, 95.0, 90.0, 80.0, 99.0, 80.0, 100.0];
        for d in [Direction::HigherIsBetter, Direction::LowerIsBetter] {
            let sorted = BestFirst::sort(v.to_vec(), d);
            for (x, s) in v.iter().zip(standings(&v, d)) {
                assert_eq!(sorted.standing(*x), s, "{x} {d:?}");
            }
        }
    }

    #[test]
    fn blocks_and_long_ties_are_crossed() {
        // 1,000 values with runs of ties across block edges, both directions.
        let v: Vec<f64> = (0..1_000).map(|i| f64::from(i / 37 * 3 % 50)).collect();
        for d in [Direction::HigherIsBetter, Direction::LowerIsBetter] {
            let sorted = BestFirst::sort(v.clone(), d);
            for (x, s) in v.iter().zip(standings(&v, d)) {
                assert_eq!(sorted.standing(*x), s, "{x} {d:?}");
            }
        }
    }
}
