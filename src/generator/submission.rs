//! When a dealer's report of a month was submitted, whether late, and whether at all by
//! "now": on time before the deadline, late after it, or missing (only for `end`).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::rng::{stream, Stream};
use super::{month_start_ms, Spec, DAY_MS};
use crate::domain::period::Month;

/// Dealer-months before `end` submitted after the deadline.
const LATE_SHARE: f64 = 0.04;
/// For `end`: submitted on time, and (after those) late; the rest is missing.
const END_ON_TIME_SHARE: f64 = 0.80;
const END_LATE_SHARE: f64 = 0.06;
/// How long after the deadline a late report comes in, at most.
const MAX_LATENESS_MS: i64 = 20 * DAY_MS;

/// When the report of dealer `index` for `month` was submitted, and whether late; `None`
/// if it has not been submitted by `spec.now_ms`.
pub(super) fn submission(spec: &Spec, index: usize, month: Month) -> Option<(i64, bool)> {
    let r = &mut stream(spec.seed, Stream::Submission, index, month.index());
    let start = month_start_ms(month.plus(1));
    let deadline = spec.deadline_ms(month);
    let now = spec.now_ms;
    // Most dealers submit in the last days before the deadline: the later of two
    // uniform draws leans that way.
    let on_time = |r: &mut ChaCha8Rng| {
        let u = r.gen::<f64>().max(r.gen::<f64>());
        start + ((deadline - start) as f64 * u) as i64
    };
    let u: f64 = r.gen();
    let at = if month < spec.end {
        let at = if u < LATE_SHARE {
            deadline + 1 + (MAX_LATENESS_MS as f64 * r.gen::<f64>()) as i64
        } else {
            on_time(r)
        };
        // Nothing is submitted in the future (this only bites if `now_ms` is not after `end`).
        at.min(now)
    } else if u < END_ON_TIME_SHARE {
        on_time(r)
    } else if u < END_ON_TIME_SHARE + END_LATE_SHARE && now > deadline {
        let span = (now - deadline).min(MAX_LATENESS_MS);
        deadline + 1 + (span as f64 * r.gen::<f64>()) as i64
    } else {
        return None;
    };
    (at <= now).then_some((at, at > deadline))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::tests::spec;
    use crate::generator::{months, network, reports_for_month};

    #[test]
    fn submissions_before_end_are_complete_and_mostly_on_time() {
        let s = spec(240, 24, "2025-12", 20);
        let net = network(&s);
        let (mut late, mut all) = (0, 0);
        for mo in months(&s).filter(|mo| *mo < s.end) {
            let reports = reports_for_month(&s, &net, mo);
            let active = net
                .dealers
                .iter()
                .filter(|d| d.dealer.is_active(mo))
                .count();
            assert_eq!(reports.len(), active, "{mo}");
            let deadline = s.deadline_ms(mo);
            for r in &reports {
                assert!(r.submitted_at >= month_start_ms(mo.plus(1)));
                assert!(r.submitted_at <= s.now_ms);
                assert_eq!(r.late, r.submitted_at > deadline);
                assert!(r.submitted_at <= deadline + MAX_LATENESS_MS + 1);
            }
            late += reports.iter().filter(|r| r.late).count();
            all += reports.len();
        }
        let share = late as f64 / all as f64;
        assert!((0.025..=0.055).contains(&share), "late share {share}");
    }

    #[test]
    fn end_month_has_missing_and_late_reports() {
        let s = spec(2000, 3, "2025-12", 20);
        let net = network(&s);
        let reports = reports_for_month(&s, &net, s.end);
        let active = net
            .dealers
            .iter()
            .filter(|d| d.dealer.is_active(s.end))
            .count();
        let missing = 1.0 - reports.len() as f64 / active as f64;
        assert!((0.10..=0.18).contains(&missing), "missing {missing}");
        let late = reports.iter().filter(|r| r.late).count() as f64 / active as f64;
        assert!((0.04..=0.08).contains(&late), "late {late}");
        let deadline = s.deadline_ms(s.end);
        for r in &reports {
            assert!(r.submitted_at <= s.now_ms);
            assert_eq!(r.late, r.submitted_at > deadline);
        }
        // The demo size has some of each too.
        let d = spec(240, 24, "2025-12", 20);
        let dn = network(&d);
        let end = reports_for_month(&d, &dn, d.end);
        assert!(end.iter().any(|r| r.late));
        assert!(
            end.len()
                < dn.dealers
                    .iter()
                    .filter(|x| x.dealer.is_active(d.end))
                    .count()
        );
        // Nothing after the window, nothing before it.
        assert!(reports_for_month(&d, &dn, d.end.plus(1)).is_empty());
        assert!(reports_for_month(&d, &dn, d.first_month().plus(-1)).is_empty());
    }

    #[test]
    fn before_the_deadline_the_end_month_is_partly_missing_and_never_late() {
        for day in [0, 3, 9] {
            let s = spec(2000, 3, "2025-12", day);
            let net = network(&s);
            let reports = reports_for_month(&s, &net, s.end);
            assert!(reports
                .iter()
                .all(|r| !r.late && r.submitted_at <= s.now_ms));
            assert!(
                reports.len() < 2000 * 8 / 10,
                "day {day}: {}",
                reports.len()
            );
            // Earlier months are complete.
            let prev = reports_for_month(&s, &net, s.end.plus(-1));
            let active = net
                .dealers
                .iter()
                .filter(|d| d.dealer.is_active(s.end.plus(-1)))
                .count();
            assert_eq!(prev.len(), active);
        }
        // Before the end month is even over, none of it is in.
        let s = spec(240, 3, "2025-12", -1);
        assert!(reports_for_month(&s, &network(&s), s.end).is_empty());
    }
}
