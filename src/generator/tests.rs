//! Tests of the generator as a whole (the window, the deadline, determinism, every report
//! passing the check), and the helpers the tests of its parts share.

use std::collections::HashMap;

use super::*;
use crate::domain::fields::{Field as F, FIELDS};
use crate::domain::report::{check, decimal_value, Completeness, RawReport, Values};

pub(super) fn m(s: &str) -> Month {
    s.parse().unwrap()
}

/// `now` is `days` days into the month after `end`.
pub(super) fn spec(dealers: usize, months: usize, end: &str, days: i64) -> Spec {
    let end = m(end);
    Spec {
        dealers,
        months,
        now_ms: month_start_ms(end.plus(1)) + days * DAY_MS,
        ..Spec::demo(end, 0)
    }
}

pub(super) fn raw(v: &Values) -> RawReport {
    FIELDS
        .iter()
        .filter_map(|d| v.get(d.field).map(|x| (d.field, decimal_value(d.kind, x))))
        .collect()
}

pub(super) fn all_reports(spec: &Spec, net: &Network) -> Vec<BulkReport> {
    months(spec)
        .flat_map(|mo| reports_for_month(spec, net, mo))
        .collect()
}

pub(super) fn get(v: &Values, f: F) -> i64 {
    v.get(f).unwrap_or_else(|| panic!("{} missing", f.name()))
}

pub(super) fn ratio(v: &Values, a: F, b: F) -> f64 {
    get(v, a) as f64 / get(v, b) as f64
}

#[test]
fn months_span_the_window() {
    let s = spec(10, 24, "2025-06", 20);
    let all: Vec<Month> = months(&s).collect();
    assert_eq!(all.len(), 24);
    assert_eq!(all[0], m("2023-07"));
    assert_eq!(all[0], s.first_month());
    assert_eq!(*all.last().unwrap(), m("2025-06"));
    assert!(all.windows(2).all(|w| w[1] == w[0].plus(1)));
    assert_eq!(months(&Spec { months: 0, ..s }).count(), 0);
}

#[test]
fn deadline_is_the_end_of_the_deadline_day() {
    let s = spec(1, 1, "2024-03", 0);
    // 2024-04-10T23:59:59.999Z
    assert_eq!(s.deadline_ms(m("2024-03")), 1_712_793_599_999);
    let late = Spec {
        deadline_day: 31,
        ..s
    };
    // Clamped to the 30th of April.
    assert_eq!(
        late.deadline_ms(m("2024-03")),
        month_start_ms(m("2024-05")) - 1
    );
}

#[test]
fn deterministic_and_independent_of_call_order() {
    let s = spec(240, 12, "2025-03", 20);
    let (a, b) = (network(&s), network(&s));
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    let forward: Vec<String> = months(&s)
        .map(|mo| format!("{:?}", reports_for_month(&s, &a, mo)))
        .collect();
    let mut backward: Vec<String> = months(&s)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .map(|mo| format!("{:?}", reports_for_month(&s, &b, mo)))
        .collect();
    backward.reverse();
    assert_eq!(forward, backward);
    // Another seed gives other figures.
    let t = Spec {
        seed: 43,
        ..s.clone()
    };
    let other = reports_for_month(&t, &network(&t), s.end.plus(-1));
    assert_ne!(
        format!("{other:?}"),
        format!("{:?}", reports_for_month(&s, &a, s.end.plus(-1)))
    );
}

#[test]
fn every_report_passes_check_without_errors_or_warnings() {
    let s = Spec {
        months: 36,
        ..spec(240, 0, "2025-12", 20)
    };
    let net = network(&s);
    let mut history: HashMap<String, Vec<Values>> = HashMap::new();
    let mut n = 0;
    for mo in months(&s) {
        for rep in reports_for_month(&s, &net, mo) {
            let h = history.entry(rep.dealer_code.clone()).or_default();
            let start = h.len().saturating_sub(12);
            let c = check(&raw(&rep.values), mo, Completeness::Complete, &h[start..]);
            assert!(
                c.errors.is_empty(),
                "{} {mo}: {:?}",
                rep.dealer_code,
                c.errors
            );
            assert!(
                c.warnings.is_empty(),
                "{} {mo}: {:?}",
                rep.dealer_code,
                c.warnings
            );
            assert_eq!(c.values, rep.values, "round trip through display units");
            for d in FIELDS {
                assert!(rep.values.get(d.field).is_some(), "{} missing", d.name);
            }
            assert_eq!(rep.status, ReportStatus::Accepted);
            assert!(rep.warnings.is_empty());
            assert_eq!(rep.author, AUTHOR);
            h.push(rep.values);
            n += 1;
        }
    }
    assert!(n > 240 * 33, "{n} reports");
}
