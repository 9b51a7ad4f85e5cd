//! The effect of an action item, measured: the KPI's value since the item was created
//! against its expected value, or against the baseline when none was stated.

use serde::Serialize;

use crate::domain::kpi::{Direction, KpiDef};

/// What the measurement says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    /// Before the due month is reported (or nothing to compare yet).
    Pending,
    /// Moved to or beyond the expected value (or, without one, better than the baseline).
    Effective,
    NotEffective,
}

/// Judges an item: `since` is the KPI's value over the months after the baseline period
/// through the due month, `due_reported` whether the dealer reported the due month.
pub fn judge(
    kpi: &KpiDef,
    baseline: Option<f64>,
    expected: Option<f64>,
    since: Option<f64>,
    due_reported: bool,
) -> Effect {
    let Some(v) = since.filter(|_| due_reported) else {
        return Effect::Pending;
    };
    let reached = |goal: f64| match kpi.direction {
        Direction::HigherIsBetter => v >= goal,
        Direction::LowerIsBetter => v <= goal,
    };
    let effective = match (expected, baseline) {
        (Some(goal), _) => reached(goal),
        (None, Some(b)) => kpi.better(v, b),
        (None, None) => return Effect::Pending,
    };
    if effective {
        Effect::Effective
    } else {
        Effect::NotEffective
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::kpi::by_code;

    #[test]
    fn effect_at_the_due_month() {
        let ftf = by_code("first_time_fix").unwrap(); // higher is better
        let comebacks = by_code("comeback_rate").unwrap(); // lower is better
                                                           // Not yet: the due month is not reported.
        assert_eq!(
            judge(ftf, Some(90.0), Some(95.0), Some(96.0), false),
            Effect::Pending
        );
        // With an expected value: reached (equal counts) or not.
        assert_eq!(
            judge(ftf, Some(90.0), Some(95.0), Some(95.0), true),
            Effect::Effective
        );
        assert_eq!(
            judge(ftf, Some(90.0), Some(95.0), Some(94.9), true),
            Effect::NotEffective
        );
        assert_eq!(
            judge(comebacks, Some(4.0), Some(2.0), Some(2.0), true),
            Effect::Effective
        );
        assert_eq!(
            judge(comebacks, Some(4.0), Some(2.0), Some(2.5), true),
            Effect::NotEffective
        );
        // Without one: strictly better than the baseline.
        assert_eq!(
            judge(ftf, Some(90.0), None, Some(90.5), true),
            Effect::Effective
        );
        assert_eq!(
            judge(ftf, Some(90.0), None, Some(90.0), true),
            Effect::NotEffective
        );
        assert_eq!(
            judge(comebacks, Some(4.0), None, Some(3.0), true),
            Effect::Effective
        );
        // Nothing measured since, or nothing to compare with.
        assert_eq!(judge(ftf, Some(90.0), None, None, true), Effect::Pending);
        assert_eq!(judge(ftf, None, None, Some(90.0), true), Effect::Pending);
    }
}
