//! Group statistics of KPI values: pooled ratio, mean, quantiles, ranks and percentiles.
//!
//! Pooled is the network value: Σ numerators / Σ denominators. Mean, median and quartiles
//! are of the dealers' own values, each dealer counting once. Quantiles interpolate
//! linearly between order statistics (as Excel's PERCENTILE.INC): the median of an even
//! count is the mean of the two middle values.

use super::kpi::KpiDef;

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

impl Aggregate {
    /// A group's figures from its sums alone: the order statistics (mean, quantiles and
    /// extremes) are `None`.
    pub fn of_sums(
        pooled: Option<f64>,
        (numerator, denominator): (i128, i128),
        count: usize,
        missing: usize,
        largest_share: Option<f64>,
    ) -> Aggregate {
        Aggregate {
            pooled,
            numerator,
            denominator,
            mean: None,
            median: None,
            p25: None,
            p75: None,
            min: None,
            max: None,
            count,
            missing,
            largest_share,
        }
    }
}

/// One dealer's contribution: its summed numerator and denominator over the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub num: i64,
    pub den: i64,
}

/// A pair with its value, when it has one.
pub fn valued(kpi: &KpiDef, pair: Option<Pair>) -> Option<(Pair, f64)> {
    pair.and_then(|p| Some((p, kpi.value(p.num, p.den)?)))
}

/// A group's figures as its members are added, one dealer at a time: its sums, and its
/// members' values when they are kept (for quantiles and standings).
#[derive(Debug, Clone, Default)]
pub struct Tally {
    numerator: i128,
    denominator: i128,
    largest: i64,
    missing: usize,
    count: usize,
    /// `None`: sums alone.
    values: Option<Vec<f64>>,
}

impl Tally {
    /// A tally that keeps its members' values, with room for `members` of them.
    pub fn with_capacity(members: usize) -> Tally {
        Tally {
            values: Some(Vec::with_capacity(members)),
            ..Tally::default()
        }
    }

    /// Adds a member: its pair over the period, or `None` when it has no value.
    pub fn add(&mut self, kpi: &KpiDef, pair: Option<Pair>) {
        self.add_valued(valued(kpi, pair));
    }

    /// Adds a member with its pair and value as [`valued`] gives them.
    pub fn add_valued(&mut self, valued: Option<(Pair, f64)>) {
        match valued {
            Some((p, v)) => {
                self.numerator += i128::from(p.num);
                self.denominator += i128::from(p.den);
                self.largest = self.largest.max(p.den);
                self.count += 1;
                if let Some(values) = &mut self.values {
                    values.push(v);
                }
            }
            None => self.missing += 1,
        }
    }

    /// The group's sums alone: its aggregate without the order statistics (mean,
    /// quantiles and extremes are `None`), for its pooled value.
    pub fn sums(&self, kpi: &KpiDef) -> Aggregate {
        let (numerator, denominator) = (self.numerator, self.denominator);
        Aggregate::of_sums(
            (denominator > 0).then(|| {
                (numerator as f64 * kpi.scale.0 as f64) / (denominator as f64 * kpi.scale.1 as f64)
            }),
            (numerator, denominator),
            self.count,
            self.missing,
            (denominator > 0).then(|| self.largest as f64 / denominator as f64),
        )
    }

    /// The group's aggregate, and its members' values (in no particular order: the
    /// quantiles are found by selection, not by sorting).
    pub fn finish(self, kpi: &KpiDef) -> (Aggregate, Vec<f64>) {
        let mut a = self.sums(kpi);
        let mut values = self.values.unwrap_or_default();
        // Summed in the order the members were added, before the selection moves them.
        a.mean = (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
        [a.p25, a.median, a.p75] = quartiles(&mut values);
        a.min = values.iter().copied().min_by(f64::total_cmp);
        a.max = values.iter().copied().max_by(f64::total_cmp);
        (a, values)
    }
}

/// Aggregates the dealers' pairs; `missing` dealers of the group have none.
pub fn aggregate(kpi: &KpiDef, pairs: &[Pair], missing: usize) -> Aggregate {
    let mut tally = Tally {
        missing,
        ..Tally::with_capacity(pairs.len())
    };
    for p in pairs {
        tally.add(kpi, Some(*p));
    }
    tally.finish(kpi).0
}

/// Where [`quantile`] reads the sorted values for `q`: the order statistics `lo` and `hi`
/// and the weight of `hi`.
fn quantile_at(len: usize, q: f64) -> (usize, usize, f64) {
    let h = (len - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    (lo, (lo + 1).min(len - 1), h - lo as f64)
}

/// The 25th, 50th and 75th percentiles of `values` (reordered), exactly as [`quantile`]
/// gives them of the sorted values: the order statistics they need are put in place by
/// selection, each within the part of the slice the previous ones left for it.
pub fn quartiles(values: &mut [f64]) -> [Option<f64>; 3] {
    if values.is_empty() {
        return [None; 3];
    }
    let qs = [0.25, 0.5, 0.75];
    let mut ks: Vec<usize> = qs
        .iter()
        .flat_map(|&q| {
            let (lo, hi, _) = quantile_at(values.len(), q);
            [lo, hi]
        })
        .collect();
    ks.sort_unstable();
    ks.dedup();
    select_all(values, &ks);
    qs.map(|q| {
        let (lo, hi, w) = quantile_at(values.len(), q);
        Some(values[lo] + w * (values[hi] - values[lo]))
    })
}

/// Puts the order statistics `ks` (ascending, distinct, in range) of `v` at their places.
fn select_all(v: &mut [f64], ks: &[usize]) {
    let Some(&k) = ks.get(ks.len() / 2) else {
        return;
    };
    let mid = ks.len() / 2;
    v.select_nth_unstable_by(k, f64::total_cmp);
    let (left, right) = v.split_at_mut(k);
    select_all(left, &ks[..mid]);
    let shifted: Vec<usize> = ks[mid + 1..].iter().map(|x| x - k - 1).collect();
    select_all(&mut right[1..], &shifted);
}

/// The `q` quantile (0..=1) of sorted values, interpolating linearly.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let (lo, hi, w) = quantile_at(sorted.len(), q);
    Some(sorted[lo] + w * (sorted[hi] - sorted[lo]))
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
    fn quartiles_by_selection_are_those_of_the_sorted_values() {
        // Lengths around the interpolation points, with ties and negative values.
        for len in 1..40usize {
            let v: Vec<f64> = (0..len)
                .map(|i| ((i * 7919) % 13) as f64 - 4.0 + (i % 3) as f64 * 0.5)
                .collect();
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let mut moved = v.clone();
            let got = quartiles(&mut moved);
            let want = [0.25, 0.5, 0.75].map(|q| quantile(&sorted, q));
            assert_eq!(got, want, "{v:?}");
        }
        assert_eq!(quartiles(&mut []), [None; 3]);
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
