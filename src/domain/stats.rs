//! Group statistics of KPI values: pooled ratio, mean, quantiles, ranks and percentiles.
//!
//! Pooled is the network value: Σ numerators / Σ denominators. Mean, median and quartiles
//! are of the dealers' own values, each dealer counting once. Quantiles interpolate
//! linearly between order statistics (as Excel's PERCENTILE.INC): the median of an even
//! count is the mean of the two middle values.

use super::best_first::BestFirst;
use super::kpi::{Direction, KpiDef};

/// A KPI over a group of dealers.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// Σ numerators / Σ denominators × scale; `None` without any value.
    pub pooled: Option<f64>,
    pub numerator: i128,
    pub denominator: i128,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub p25: Option<f64>,
    pub p75: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Dealers with a value.
    pub count: usize,
    /// Dealers of the group without a value (no report, or unavailable).
    pub missing: usize,
    /// The largest share (0–1) of the denominator one dealer carries (dominance).
    pub largest_share: Option<f64>,
}

/// One dealer's contribution: its summed numerator and denominator over the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub num: i64,
    pub den: i64,
}

/// Aggregates the dealers' pairs and returns their values best first too, sorting once.
pub fn summarize(kpi: &KpiDef, pairs: &[Pair], missing: usize) -> (Aggregate, BestFirst) {
    let mut values: Vec<f64> = pairs
        .iter()
        .filter_map(|p| kpi.value(p.num, p.den))
        .collect();
    values.sort_unstable_by(f64::total_cmp);
    let a = aggregate_sorted(kpi, pairs, missing, &values);
    if kpi.direction == Direction::HigherIsBetter {
        values.reverse();
    }
    (a, BestFirst::new(values, kpi.direction))
}

/// Aggregates the dealers' pairs; `missing` dealers of the group have none.
pub fn aggregate(kpi: &KpiDef, pairs: &[Pair], missing: usize) -> Aggregate {
    let mut values: Vec<f64> = pairs
        .iter()
        .filter_map(|p| kpi.value(p.num, p.den))
        .collect();
    values.sort_by(f64::total_cmp);
    aggregate_sorted(kpi, pairs, missing, &values)
}

/// [`aggregate`] with the values already computed and sorted ascending.
fn aggregate_sorted(kpi: &KpiDef, pairs: &[Pair], missing: usize, values: &[f64]) -> Aggregate {
    let numerator: i128 = pairs
        .iter()
        .filter(|p| p.den > 0)
        .map(|p| i128::from(p.num))
        .sum();
    let denominator: i128 = pairs
        .iter()
        .filter(|p| p.den > 0)
        .map(|p| i128::from(p.den))
        .sum();
    let pooled = (denominator > 0).then(|| {
        (numerator as f64 * kpi.scale.0 as f64) / (denominator as f64 * kpi.scale.1 as f64)
    });
    let mean = (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
    let largest = pairs
        .iter()
        .filter(|p| p.den > 0)
        .map(|p| p.den)
        .max()
        .unwrap_or(0);
    let largest_share = (denominator > 0).then(|| largest as f64 / denominator as f64);
    Aggregate {
        pooled,
        numerator,
        denominator,
        mean,
        median: quantile(values, 0.5),
        p25: quantile(values, 0.25),
        p75: quantile(values, 0.75),
        min: values.first().copied(),
        max: values.last().copied(),
        count: values.len(),
        missing: missing + (pairs.len() - values.len()),
        largest_share,
    }
}

/// The `q` quantile (0..=1) of sorted values, interpolating linearly.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::kpi::by_code;

    #[test]
    fn quantiles_on_small_sets() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[7.0], 0.25), Some(7.0));
        // odd: the middle value
        assert_eq!(quantile(&[1.0, 2.0, 9.0], 0.5), Some(2.0));
        // even: the mean of the middle two
        assert_eq!(quantile(&[1.0, 2.0, 4.0, 9.0], 0.5), Some(3.0));
        // quartiles interpolate: h = 3 × 0.25 = 0.75 → 1 + 0.75 × (2 − 1)
        assert_eq!(quantile(&[1.0, 2.0, 4.0, 9.0], 0.25), Some(1.75));
        // h = 2.25 → 4 + 0.25 × 5
        assert_eq!(quantile(&[1.0, 2.0, 4.0, 9.0], 0.75), Some(5.25));
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.25), Some(2.0));
    }

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
    fn a_summary_is_the_aggregate_and_the_values_best_first() {
        for code in ["comeback_rate", "first_time_fix"] {
            let kpi = by_code(code).unwrap();
            let pairs = [
                Pair { num: 1, den: 100 },
                Pair { num: 9, den: 300 },
                Pair { num: 0, den: 0 },
                Pair { num: 5, den: 50 },
            ];
            let (a, sorted) = summarize(kpi, &pairs, 1);
            assert_eq!(a, aggregate(kpi, &pairs, 1));
            let mut values: Vec<f64> = pairs
                .iter()
                .filter_map(|p| kpi.value(p.num, p.den))
                .collect();
            values.sort_by(f64::total_cmp);
            assert_eq!(sorted, BestFirst::sort(values, kpi.direction));
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
    fn pooled_is_sum_over_sum_and_mean_is_of_values() {
        let kpi = by_code("comeback_rate").unwrap();
        // dealers: 1/100 = 1 %, 9/300 = 3 %, 0/0 unavailable
        let pairs = [
            Pair { num: 1, den: 100 },
            Pair { num: 9, den: 300 },
            Pair { num: 0, den: 0 },
        ];
        let a = aggregate(kpi, &pairs, 2);
        assert_eq!((a.numerator, a.denominator), (10, 400));
        assert_eq!(a.pooled, Some(2.5)); // 10 / 400 × 100
        assert_eq!(a.mean, Some(2.0)); // (1 + 3) / 2
        assert_eq!(a.median, Some(2.0));
        assert_eq!((a.min, a.max), (Some(1.0), Some(3.0)));
        assert_eq!((a.count, a.missing), (2, 3));
        // D2 carries 300 of the 400 delivered ROs
        assert_eq!(a.largest_share, Some(0.75));
        let none = aggregate(kpi, &[], 4);
        assert_eq!(
            (none.pooled, none.mean, none.count, none.missing),
            (None, None, 0, 4)
        );
    }
}
