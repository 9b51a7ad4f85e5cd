//! Where a dealer stands against an annual volume target (目标达成率): year to date, the
//! month, and a full-year projection. Missing months are listed, never read as zero.

use super::phasing::previous_shape;

/// Progress on one item for one year, as of a month of that year (figures in storage units).
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// The previous year's actual over the months it reported, and the months it did not.
    pub previous_year_actual: i64,
    pub previous_year_missing: Vec<u32>,
    pub target: i64,
    /// The actual over the months of the year so far that were reported.
    pub ytd_actual: i64,
    /// The phased target of those same months.
    pub ytd_target: i64,
    /// Months of the year so far (1-based) without a report.
    pub missing: Vec<u32>,
    /// YTD actual over the annual target, in percent.
    pub achievement_year: Option<f64>,
    /// YTD actual over YTD phased target, in percent.
    pub achievement_ytd: Option<f64>,
    /// The month's actual (none if not reported) and its phased target.
    pub month_actual: Option<i64>,
    pub month_target: i64,
    /// The full year if the rest goes as the reported months did, in the previous year's
    /// shape (the target's phasing when there is no complete previous year).
    pub projection: Option<i64>,
    /// Projection minus target: negative when the year is heading below it.
    pub gap: Option<i64>,
}

fn percent(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 * 100.0 / b as f64)
}

/// Progress as of month `as_of` (1..=12) of the year, from this year's and last year's
/// monthly actuals, the annual target and its phasing.
pub fn progress(
    as_of: u32,
    annual: i64,
    phased: &[i64; 12],
    actual: &[Option<i64>; 12],
    previous_year: &[Option<i64>; 12],
) -> Progress {
    let elapsed = as_of.clamp(1, 12) as usize;
    let mut ytd_actual = 0i64;
    let mut ytd_target = 0i64;
    let mut missing = Vec::new();
    for m in 0..elapsed {
        match actual[m] {
            Some(a) => {
                ytd_actual = ytd_actual.saturating_add(a);
                ytd_target = ytd_target.saturating_add(phased[m]);
            }
            None => missing.push(m as u32 + 1),
        }
    }
    let shape = previous_shape(previous_year).unwrap_or(*phased);
    let reported: i128 = (0..elapsed)
        .filter(|m| actual[*m].is_some())
        .map(|m| i128::from(shape[m].max(0)))
        .sum();
    let whole: i128 = shape.iter().map(|w| i128::from((*w).max(0))).sum();
    let projection = (reported > 0).then(|| {
        let p = (i128::from(ytd_actual) * whole * 2 + reported) / (reported * 2);
        i64::try_from(p).unwrap_or(i64::MAX)
    });
    Progress {
        previous_year_actual: previous_year.iter().flatten().sum(),
        previous_year_missing: (1..=12u32)
            .filter(|m| previous_year[*m as usize - 1].is_none())
            .collect(),
        target: annual,
        ytd_actual,
        ytd_target,
        achievement_year: percent(ytd_actual, annual),
        achievement_ytd: percent(ytd_actual, ytd_target),
        month_actual: actual[elapsed - 1],
        month_target: phased[elapsed - 1],
        projection,
        gap: projection.map(|p| p - annual),
        missing,
    }
}

#[cfg(test)]
mod tests {
    use super::super::phasing::{phase, weights};
    use super::*;

    #[test]
    fn progress_by_hand() {
        // Last year: 100 ROs a month, 200 in March (1 200). Target 1 440: in last year's
        // shape, 120 a month and 240 in March (February 0 last year: 0).
        let prev = [100, 0, 200, 100, 100, 100, 100, 100, 100, 100, 100, 100].map(Some);
        let (w, _) = weights(None, &prev);
        let phased = phase(1_440, &w);
        assert_eq!(
            phased,
            [120, 0, 240, 120, 120, 120, 120, 120, 120, 120, 120, 120]
        );
        // This year to April: 130, 10, 250, and April not reported yet.
        let mut actual = [None; 12];
        actual[0] = Some(130);
        actual[1] = Some(10);
        actual[2] = Some(250);
        let p = progress(4, 1_440, &phased, &actual, &prev);
        assert_eq!(p.previous_year_actual, 1_200);
        assert!(p.previous_year_missing.is_empty());
        assert_eq!((p.ytd_actual, p.ytd_target), (390, 360));
        assert_eq!(p.missing, vec![4]);
        // 390 / 360 = 108.33 %; 390 / 1 440 = 27.08 %
        assert!((p.achievement_ytd.unwrap() - 108.333_333_333).abs() < 1e-6);
        assert!((p.achievement_year.unwrap() - 27.083_333_333).abs() < 1e-6);
        assert_eq!((p.month_actual, p.month_target), (None, 120));
        // Reported months weigh 100 + 0 + 200 = 300 of 1 200 last year: 390 × 4 = 1 560,
        // 120 above target.
        assert_eq!(p.projection, Some(1_560));
        assert_eq!(p.gap, Some(120));
    }

    #[test]
    fn nothing_reported_projects_nothing() {
        let p = progress(2, 1_200, &[100; 12], &[None; 12], &[None; 12]);
        assert_eq!(p.missing, vec![1, 2]);
        assert_eq!((p.ytd_actual, p.ytd_target), (0, 0));
        assert_eq!(p.achievement_ytd, None);
        assert_eq!(p.achievement_year, Some(0.0));
        assert_eq!(p.projection, None);
        assert_eq!(p.previous_year_missing.len(), 12);
    }

    #[test]
    fn without_a_previous_year_the_projection_follows_the_phasing() {
        // Even phasing, 3 months of 90: 270 × 12 / 3 = 1 080.
        let mut actual = [None; 12];
        for a in actual.iter_mut().take(3) {
            *a = Some(90);
        }
        let p = progress(3, 1_200, &phase(1_200, &[1; 12]), &actual, &[None; 12]);
        assert_eq!(p.projection, Some(1_080));
        assert_eq!(p.gap, Some(-120));
        assert_eq!(p.achievement_ytd, Some(90.0));
    }
}
