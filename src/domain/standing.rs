//! Where a value stands in its group: rank and percentile, best first in the KPI's
//! direction. [`standings`] sorts (the reference); a page of a ranking or one dealer's
//! scorecard line needs a few standings, which [`standings_among`] and [`standing_among`]
//! count in one pass over the group's values instead.

use super::kpi::Direction;

/// Rank and percentile of one value in its group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Standing {
    /// 1 is best; ties share the best rank of the tie (1, 2, 2, 4).
    pub rank: usize,
    /// Share of the other dealers with a strictly worse value, 0–100 (best alone: 100).
    pub percentile: f64,
}

/// Standings of `values` (same order), best first in the KPI's direction.
pub fn standings(values: &[f64], direction: Direction) -> Vec<Standing> {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    let key = |v: f64| match direction {
        Direction::HigherIsBetter => -v,
        Direction::LowerIsBetter => v,
    };
    order.sort_by(|&a, &b| key(values[a]).total_cmp(&key(values[b])));
    let mut out = vec![
        Standing {
            rank: 0,
            percentile: 0.0
        };
        n
    ];
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let worse = n - (j + 1);
        let percentile = if n > 1 {
            100.0 * worse as f64 / (n - 1) as f64
        } else {
            100.0
        };
        for &k in &order[i..=j] {
            out[k] = Standing {
                rank: i + 1,
                percentile,
            };
        }
        i = j + 1;
    }
    out
}

/// Whether `x` is strictly better than `than` in `direction`.
pub fn is_better(direction: Direction, x: f64, than: f64) -> bool {
    match direction {
        Direction::HigherIsBetter => x > than,
        Direction::LowerIsBetter => x < than,
    }
}

/// The standing of a value in a group of `n` with `better` values strictly better than it
/// and `not_worse` not worse (itself included): its rank, and the share of the others that
/// are strictly worse.
pub fn standing_of(better: usize, not_worse: usize, n: usize) -> Standing {
    let percentile = if n > 1 {
        100.0 * (n - not_worse) as f64 / (n - 1) as f64
    } else {
        100.0
    };
    Standing {
        rank: better + 1,
        percentile,
    }
}

/// The standing of `value`, one of `values` (any order), by counting.
pub fn standing_among(values: &[f64], value: f64, direction: Direction) -> Standing {
    let (mut better, mut equal) = (0, 0);
    for &x in values {
        better += usize::from(is_better(direction, x, value));
        equal += usize::from(x == value);
    }
    standing_of(better, better + equal, values.len())
}

/// The standings of `of` (each one of `values`; any order) among `values`, in one pass
/// over `values` with a binary search of the few in each step.
pub fn standings_among(values: &[f64], of: &[f64], direction: Direction) -> Vec<Standing> {
    let mut few = of.to_vec();
    few.sort_by(|a, b| match direction {
        Direction::HigherIsBetter => b.total_cmp(a),
        Direction::LowerIsBetter => a.total_cmp(b),
    });
    few.dedup();
    // `starts[j]`: values strictly better than `few[j - 1]` but not than `few[j]`…
    let mut starts = vec![0usize; few.len() + 1];
    let mut equal = vec![0usize; few.len()];
    for &x in values {
        // The first of `few` that `x` is strictly better than: it is better than all after.
        let p = few.partition_point(|&f| !is_better(direction, x, f));
        starts[p] += 1;
        if p > 0 && few[p - 1] == x {
            equal[p - 1] += 1;
        }
    }
    // …summed: values strictly better than `few[j]`.
    let mut better = Vec::with_capacity(few.len());
    let mut running = 0;
    for s in &starts[..few.len()] {
        running += s;
        better.push(running);
    }
    of.iter()
        .map(|v| {
            let j = few.partition_point(|&f| is_better(direction, f, *v));
            standing_of(better[j], better[j] + equal[j], values.len())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_share_ties_and_follow_direction() {
        let v = [90.0, 95.0, 90.0, 80.0, 99.0];
        let up: Vec<usize> = standings(&v, Direction::HigherIsBetter)
            .iter()
            .map(|s| s.rank)
            .collect();
        assert_eq!(up, [3, 2, 3, 5, 1]);
        let down: Vec<usize> = standings(&v, Direction::LowerIsBetter)
            .iter()
            .map(|s| s.rank)
            .collect();
        assert_eq!(down, [2, 4, 2, 1, 5]);
        // agrees with a plain sort: rank = 1 + strictly better
        for (i, s) in standings(&v, Direction::HigherIsBetter).iter().enumerate() {
            assert_eq!(s.rank, 1 + v.iter().filter(|&&x| x > v[i]).count());
        }
    }

    #[test]
    fn percentiles() {
        let p: Vec<f64> = standings(&[10.0, 20.0, 30.0, 40.0, 50.0], Direction::HigherIsBetter)
            .iter()
            .map(|s| s.percentile)
            .collect();
        assert_eq!(p, [0.0, 25.0, 50.0, 75.0, 100.0]);
        let p: Vec<f64> = standings(&[1.0, 1.0, 2.0], Direction::LowerIsBetter)
            .iter()
            .map(|s| s.percentile)
            .collect();
        assert_eq!(p, [50.0, 50.0, 0.0]);
        assert_eq!(
            standings(&[3.0], Direction::HigherIsBetter)[0],
            Standing {
                rank: 1,
                percentile: 100.0
            }
        );
    }

    #[test]
    fn counted_standings_are_the_sorted_ones() {
        let v = [90.0, 95.0, 90.0, 80.0, 99.0, 80.0, 100.0, -3.5];
        for d in [Direction::HigherIsBetter, Direction::LowerIsBetter] {
            let want = standings(&v, d);
            for (x, s) in v.iter().zip(&want) {
                assert_eq!(standing_among(&v, *x, d), *s, "{x} {d:?}");
            }
            assert_eq!(standings_among(&v, &v, d), want);
            assert_eq!(standings_among(&v, &[80.0, 100.0], d), [want[3], want[6]]);
            assert!(standings_among(&v, &[], d).is_empty());
        }
    }
}
