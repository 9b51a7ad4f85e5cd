//! Phasing (分解): spreading an annual volume target over the twelve months, exactly.

use serde::Serialize;

/// What shaped the months of a phased target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PhasingBasis {
    /// The OEM's national profile for the year and item.
    NationalProfile,
    /// The dealer's own previous year: each month's share of the item.
    PreviousYear,
    /// 1/12 each: no profile and no complete previous year.
    Even,
}

/// The weights of the months and what they come from: the national profile when the OEM
/// set one, else the dealer's previous year when all twelve months of it were reported
/// with a positive total, else even.
pub fn weights(
    profile: Option<&[i64; 12]>,
    previous_year: &[Option<i64>; 12],
) -> ([i64; 12], PhasingBasis) {
    if let Some(p) = profile.filter(|p| p.iter().all(|w| *w >= 0) && p.iter().sum::<i64>() > 0) {
        return (*p, PhasingBasis::NationalProfile);
    }
    if let Some(prev) = previous_shape(previous_year) {
        return (prev, PhasingBasis::PreviousYear);
    }
    ([1; 12], PhasingBasis::Even)
}

/// The previous year's monthly figures as weights, if all twelve are there and positive
/// in total.
pub fn previous_shape(previous_year: &[Option<i64>; 12]) -> Option<[i64; 12]> {
    let mut w = [0i64; 12];
    for (slot, v) in w.iter_mut().zip(previous_year) {
        *slot = (*v)?.max(0);
    }
    (w.iter().sum::<i64>() > 0).then_some(w)
}

/// `annual` spread over the months in proportion to `weights`, in whole storage units that
/// add up to `annual` exactly: each month gets the floor of its share, and what is left
/// goes one unit each to the months with the largest remainders (the earlier on ties).
/// Even weights are used when the weights are all zero.
pub fn phase(annual: i64, weights: &[i64; 12]) -> [i64; 12] {
    let total: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    let (weights, total) = if total > 0 {
        (weights.map(|w| i128::from(w.max(0))), total)
    } else {
        ([1i128; 12], 12)
    };
    let a = i128::from(annual);
    let mut out = [0i64; 12];
    let mut rest: Vec<(i128, usize)> = Vec::with_capacity(12);
    let mut given: i128 = 0;
    for (m, w) in weights.iter().enumerate() {
        let exact = a * w;
        let base = exact.div_euclid(total);
        out[m] = base as i64;
        given += base;
        rest.push((exact.rem_euclid(total), m));
    }
    rest.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    for &(_, m) in rest.iter().take((a - given) as usize) {
        out[m] += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_phasing_adds_up_exactly() {
        // 1 000 ROs over 12 months: 83 each is 996; the first four get one more.
        let p = phase(1_000, &[1; 12]);
        assert_eq!(p, [84, 84, 84, 84, 83, 83, 83, 83, 83, 83, 83, 83]);
        assert_eq!(p.iter().sum::<i64>(), 1_000);
    }

    #[test]
    fn previous_year_shape_by_hand() {
        // Last year 100 ROs a month, but 200 in March and 0 in February: 1 200 in all.
        // A target of 2 400 doubles each month exactly.
        let prev = [100, 0, 200, 100, 100, 100, 100, 100, 100, 100, 100, 100].map(Some);
        let (w, basis) = weights(None, &prev);
        assert_eq!(basis, PhasingBasis::PreviousYear);
        let p = phase(2_400, &w);
        assert_eq!(
            p,
            [200, 0, 400, 200, 200, 200, 200, 200, 200, 200, 200, 200]
        );
        // 1 000 ROs on it: a month of 100 gets 1 000 × 100 / 1 200 = 83.33 → 83
        // (remainder 400 of 1 200), March 166.67 → 166 (remainder 800); 10 × 83 + 166 = 996,
        // 4 left: March first, then the three earliest months of remainder 400.
        let p = phase(1_000, &w);
        assert_eq!(p, [84, 0, 167, 84, 84, 83, 83, 83, 83, 83, 83, 83]);
        assert_eq!(p.iter().sum::<i64>(), 1_000);
    }

    #[test]
    fn money_in_fen_is_spread_to_the_fen() {
        // 1 000 000.01 yuan = 100 000 001 fen, evenly: 8 333 333 fen a month and 5 left.
        let p = phase(100_000_001, &[1; 12]);
        assert_eq!(p.iter().sum::<i64>(), 100_000_001);
        assert_eq!(p[0], 8_333_334);
        assert_eq!(p[11], 8_333_333);
    }

    #[test]
    fn the_profile_wins_then_a_complete_previous_year_then_even() {
        let profile = [5, 5, 10, 10, 10, 10, 10, 10, 10, 10, 5, 5];
        let prev = [Some(1); 12];
        assert_eq!(
            weights(Some(&profile), &prev).1,
            PhasingBasis::NationalProfile
        );
        assert_eq!(weights(None, &prev).1, PhasingBasis::PreviousYear);
        let mut gap = prev;
        gap[6] = None;
        assert_eq!(weights(None, &gap), ([1; 12], PhasingBasis::Even));
        assert_eq!(weights(None, &[Some(0); 12]).1, PhasingBasis::Even);
        assert_eq!(weights(Some(&[0; 12]), &gap).1, PhasingBasis::Even);
    }

    #[test]
    fn huge_targets_do_not_overflow() {
        let p = phase(i64::MAX, &[i64::MAX; 12]);
        assert_eq!(
            p.iter().map(|x| i128::from(*x)).sum::<i128>(),
            i128::from(i64::MAX)
        );
    }
}
