//! Checking a report: unit conversion, per-field rules, cross-field rules and plausibility
//! against the dealer's own history.

use rust_decimal::Decimal;

use super::rules::{Checked, Completeness, RawReport, Rule, Violation};
use super::totals::Total;
use super::values::{display_value, Values};
use crate::domain::fields::{Field, FieldKind, FIELDS};
use crate::domain::period::Month;
use crate::domain::text::excerpt;

use Field as F;

/// `a <= b` pairs every complete report must satisfy (the reference's consistency rules,
/// plus the subsets that are true by definition).
const NOT_ABOVE: &[(Field, Field)] = &[
    (F::ro_comebacks, F::ro_delivered),
    (F::ro_same_day_out, F::ro_same_day_in),
    (F::pm_contacted, F::pm_due),
    (F::pm_invited_arrived, F::pm_invited),
    (F::complaints_resolved, F::complaints_found),
    (F::customer_files_accurate, F::customer_files),
    (F::appointments_kept, F::appointments),
    (F::ro_within_estimate, F::ro_estimate_given),
    (F::ro_customer_pay_brand, F::ro_brand),
    (F::parts_lines_filled_from_stock, F::parts_lines_requested),
];

/// `field <= total` pairs: the part of a total on the OEM's brand.
const NOT_ABOVE_TOTAL: &[(Field, Total)] = &[
    (F::labor_revenue_brand, Total::labor_revenue_total),
    (F::parts_revenue_brand, Total::parts_revenue_total),
];

/// `a + b <= c` triples.
const SUM_NOT_ABOVE: &[(Field, Field, Field)] = &[(
    F::technicians_level1,
    F::technicians_level2,
    F::technicians_total,
)];

/// Fields compared with the dealer's own history for plausibility warnings.
const PLAUSIBILITY_FIELDS: &[Field] = &[
    F::ro_delivered,
    F::labor_revenue_customer,
    F::parts_revenue_mechanical,
    F::body_paint_revenue,
    F::hours_sold,
    F::parts_cost_of_sales,
    F::vehicles_in_operation,
];

/// A value this many times the dealer's usual (or that small a fraction of it) is flagged.
pub const PLAUSIBILITY_FACTOR: i64 = 10;

/// History months needed before the plausibility check applies.
pub const PLAUSIBILITY_MIN_HISTORY: usize = 3;

/// Largest count / amount accepted: beyond it a value is a typo, and sums could overflow.
const MAX_COUNT: i64 = 100_000_000;
const MAX_STORED_MONEY: i64 = 10_000_000_000_000; // 100 billion yuan, in fen

/// Checks a report for `month`: unit conversion, per-field rules, cross-field rules and,
/// for complete reports, plausibility against `history` (the dealer's earlier months).
pub fn check(
    raw: &RawReport,
    month: Month,
    completeness: Completeness,
    history: &[Values],
) -> Checked {
    let mut out = Checked::default();
    for def in FIELDS {
        let Some(x) = raw.get(&def.field) else {
            if completeness == Completeness::Complete && def.field.required_in(month) {
                out.errors.push(Violation::new(
                    def.name,
                    Rule::Required,
                    format!(
                        "{} ({}) is required in a submitted report",
                        def.name, def.zh
                    ),
                    vec![],
                ));
            }
            continue;
        };
        match convert(def.kind, *x) {
            Ok(v) => out.values.set(def.field, Some(v)),
            Err((rule, why)) => out.errors.push(Violation::new(
                def.name,
                rule,
                format!("{} {}", def.name, why),
                vec![(def.name.to_string(), excerpt(&x.to_string()))],
            )),
        }
    }
    let v = &out.values;
    if let Some(days) = v.get(F::working_days) {
        let max = month.days() as i64;
        if !(1..=max).contains(&days) {
            out.errors.push(Violation::new(
                "working_days",
                Rule::Range,
                format!(
                    "working_days must be between 1 and {max} (the days of {month}), got {days}"
                ),
                vec![("working_days".into(), days.to_string())],
            ));
        }
    }
    for &(a, b) in NOT_ABOVE {
        if let (Some(x), Some(y)) = (v.get(a), v.get(b)) {
            if x > y {
                out.errors.push(Violation::new(
                    a.name(),
                    Rule::NotAbove,
                    format!(
                        "{} ({}) must not exceed {} ({})",
                        a.name(),
                        show(a, x),
                        b.name(),
                        show(b, y)
                    ),
                    vec![(a.name().into(), show(a, x)), (b.name().into(), show(b, y))],
                ));
            }
        }
    }
    for &(a, t) in NOT_ABOVE_TOTAL {
        if let (Some(x), Some(y)) = (v.get(a), v.total(t)) {
            if x > y {
                let total = t.def().name;
                out.errors.push(Violation::new(
                    a.name(),
                    Rule::NotAbove,
                    format!(
                        "{} ({}) must not exceed {total} ({})",
                        a.name(),
                        show(a, x),
                        show(a, y)
                    ),
                    vec![(a.name().into(), show(a, x)), (total.into(), show(a, y))],
                ));
            }
        }
    }
    for &(a, b, c) in SUM_NOT_ABOVE {
        if let (Some(x), Some(y), Some(z)) = (v.get(a), v.get(b), v.get(c)) {
            if x + y > z {
                out.errors.push(Violation::new(
                    a.name(),
                    Rule::SumNotAbove,
                    format!(
                        "{} + {} ({} + {} = {}) must not exceed {} ({})",
                        a.name(),
                        b.name(),
                        x,
                        y,
                        x + y,
                        c.name(),
                        z
                    ),
                    vec![
                        (a.name().into(), x.to_string()),
                        (b.name().into(), y.to_string()),
                        (c.name().into(), z.to_string()),
                    ],
                ));
            }
        }
    }
    if completeness == Completeness::Complete && out.errors.is_empty() {
        out.warnings = warnings(&out.values, history);
    }
    out
}

fn show(f: Field, stored: i64) -> String {
    display_value(f.kind(), stored)
}

/// Converts an entered decimal to its storage unit, or says which rule it breaks.
fn convert(kind: FieldKind, x: Decimal) -> Result<i64, (Rule, String)> {
    let max = match kind {
        FieldKind::Count => MAX_COUNT,
        FieldKind::Score => 10_000,
        _ => MAX_STORED_MONEY,
    };
    let out_of_range = || {
        (
            Rule::Range,
            format!(
                "must not exceed {}, got {}",
                display_value(kind, max),
                excerpt(&x.to_string())
            ),
        )
    };
    // Checked: a value beyond rust_decimal's range must be refused, not panic.
    let scaled = x
        .checked_mul(Decimal::from(kind.unit()))
        .ok_or_else(out_of_range)?;
    // As written: `1.230` has three decimal places even though it equals 1.23.
    let places = if kind.unit() == 1 { 0 } else { 2 };
    if scaled.fract() != Decimal::ZERO || x.scale() > places {
        return Err(match kind {
            FieldKind::Count => (
                Rule::Integer,
                format!("must be a whole number, got {}", excerpt(&x.to_string())),
            ),
            _ => (
                Rule::TwoDecimals,
                format!(
                    "must have at most 2 decimal places, got {}",
                    excerpt(&x.to_string())
                ),
            ),
        });
    }
    if x.is_sign_negative() && !x.is_zero() && kind != FieldKind::Profit {
        return Err((
            Rule::NonNegative,
            format!("must not be negative, got {}", excerpt(&x.to_string())),
        ));
    }
    let stored: i64 = scaled.trunc().try_into().map_err(|_| out_of_range())?;
    if stored.checked_abs().is_none_or(|a| a > max) {
        return Err(out_of_range());
    }
    Ok(stored)
}

/// Plausibility warnings: hours worked above hours attended, and values far from the
/// dealer's own median of its recent months.
fn warnings(v: &Values, history: &[Values]) -> Vec<Violation> {
    let mut out = Vec::new();
    if let (Some(w), Some(a)) = (v.get(F::hours_worked), v.get(F::hours_attended)) {
        if w > a {
            out.push(Violation::new(
                "hours_worked",
                Rule::NotAbove,
                format!(
                    "hours_worked ({}) exceeds hours_attended ({})",
                    show(F::hours_worked, w),
                    show(F::hours_attended, a)
                ),
                vec![
                    ("hours_worked".into(), show(F::hours_worked, w)),
                    ("hours_attended".into(), show(F::hours_attended, a)),
                ],
            ));
        }
    }
    for &f in PLAUSIBILITY_FIELDS {
        let Some(x) = v.get(f) else { continue };
        let mut past: Vec<i64> = history.iter().filter_map(|h| h.get(f)).collect();
        if past.len() < PLAUSIBILITY_MIN_HISTORY {
            continue;
        }
        past.sort_unstable();
        let median = past[past.len() / 2];
        if median <= 0 {
            continue;
        }
        let (high, low) = (
            x > median * PLAUSIBILITY_FACTOR,
            x * PLAUSIBILITY_FACTOR < median,
        );
        if high || low {
            out.push(Violation::new(
                f.name(),
                Rule::Plausibility,
                format!(
                    "{} ({}) is {} {}× the dealer's median of its last {} months ({})",
                    f.name(),
                    show(f, x),
                    if high { "more than" } else { "less than 1/" },
                    PLAUSIBILITY_FACTOR,
                    past.len(),
                    show(f, median)
                ),
                vec![
                    (f.name().into(), show(f, x)),
                    (format!("{}_median", f.name()), show(f, median)),
                ],
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// A complete, consistent report (display units), shared by other tests.
    pub fn complete_raw() -> RawReport {
        let mut r = RawReport::new();
        for def in FIELDS {
            r.insert(def.field, Decimal::from(10));
        }
        r.insert(F::working_days, d("22"));
        r.insert(F::technicians_level1, d("4"));
        r.insert(F::technicians_level2, d("3"));
        r.insert(F::labor_revenue_customer, d("123456.78"));
        r.insert(F::hours_attended, d("1500.5"));
        r.insert(F::hours_worked, d("1200.25"));
        r
    }

    fn month() -> Month {
        "2024-03".parse().unwrap()
    }

    fn rules(c: &Checked) -> Vec<(String, Rule)> {
        c.errors.iter().map(|v| (v.field.clone(), v.rule)).collect()
    }

    #[test]
    fn values_beyond_any_range_are_violations_not_panics() {
        let mut r = complete_raw();
        r.insert(F::labor_revenue_customer, Decimal::MAX);
        r.insert(F::gross_profit_labor, Decimal::MIN);
        r.insert(F::hours_sold, d("79228162514264337593543950.335"));
        r.insert(F::ro_delivered, Decimal::MAX);
        let c = check(&r, month(), Completeness::Complete, &[]);
        let mut got = rules(&c);
        got.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            got,
            [
                ("gross_profit_labor".to_string(), Rule::Range),
                ("hours_sold".to_string(), Rule::TwoDecimals),
                ("labor_revenue_customer".to_string(), Rule::Range),
                ("ro_delivered".to_string(), Rule::Range),
            ]
        );
        assert!(
            c.errors.iter().all(|v| v.message.len() < 200),
            "{:?}",
            c.errors
        );
    }

    #[test]
    fn decimal_places_count_as_written() {
        let mut r = complete_raw();
        r.insert(F::parts_revenue_internal, d("1.230"));
        r.insert(F::ro_washed, d("10.0"));
        r.insert(F::hours_sold, d("1300.10"));
        let c = check(&r, month(), Completeness::Complete, &[]);
        assert_eq!(
            rules(&c),
            [
                ("ro_washed".to_string(), Rule::Integer),
                ("parts_revenue_internal".to_string(), Rule::TwoDecimals),
            ]
        );
    }

    #[test]
    fn complete_report_passes_and_converts_units() {
        let c = check(&complete_raw(), month(), Completeness::Complete, &[]);
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert!(c.warnings.is_empty());
        assert_eq!(c.values.get(F::labor_revenue_customer), Some(12_345_678));
        assert_eq!(c.values.get(F::hours_attended), Some(150_050));
        assert_eq!(c.values.get(F::working_days), Some(22));
    }

    #[test]
    fn totals_are_sums_of_parts() {
        let c = check(&complete_raw(), month(), Completeness::Complete, &[]);
        assert_eq!(c.values.total(Total::ro_total), Some(40));
        assert_eq!(c.values.total(Total::ro_paid), Some(20));
        // paid 20 + free 20 + warranty 10 + internal 10
        assert_eq!(c.values.total(Total::ro_all), Some(60));
        // 123456.78 + 10 + 10 yuan, in fen
        assert_eq!(
            c.values.total(Total::labor_revenue_total),
            Some(12_345_678 + 2_000)
        );
        assert_eq!(
            c.values.total(Total::service_revenue_total),
            Some(12_345_678 + 7 * 1_000)
        );
        assert_eq!(c.values.total(Total::gross_profit_total), Some(3_000));
        assert_eq!(
            Values::default()
                .with(F::ro_paid_repair, 1)
                .total(Total::ro_paid),
            None
        );
    }

    #[test]
    fn submission_lists_every_missing_field_but_draft_does_not() {
        let mut raw = complete_raw();
        raw.remove(&F::mechanics);
        raw.remove(&F::pm_due);
        raw.remove(&F::csi_score); // optional
        let c = check(&raw, month(), Completeness::Complete, &[]);
        assert_eq!(
            rules(&c),
            vec![
                ("mechanics".into(), Rule::Required),
                ("pm_due".into(), Rule::Required)
            ]
        );
        assert!(check(&raw, month(), Completeness::Draft, &[])
            .errors
            .is_empty());
    }

    #[test]
    fn per_field_rules() {
        let mut raw = RawReport::new();
        raw.insert(F::mechanics, d("2.5"));
        raw.insert(F::labor_revenue_customer, d("10.123"));
        raw.insert(F::ro_washed, d("-1"));
        raw.insert(F::sublet_revenue, d("-0.01"));
        raw.insert(F::gross_profit_other, d("-500.25"));
        raw.insert(F::csi_score, d("100.5"));
        raw.insert(F::working_days, d("0"));
        let c = check(&raw, month(), Completeness::Draft, &[]);
        assert_eq!(
            rules(&c),
            vec![
                ("mechanics".into(), Rule::Integer),
                ("ro_washed".into(), Rule::NonNegative),
                ("labor_revenue_customer".into(), Rule::TwoDecimals),
                ("sublet_revenue".into(), Rule::NonNegative),
                ("csi_score".into(), Rule::Range),
                ("working_days".into(), Rule::Range),
            ]
        );
        assert_eq!(c.values.get(F::gross_profit_other), Some(-50_025));
        assert_eq!(
            c.errors[5].values,
            vec![("working_days".to_string(), "0".to_string())]
        );
        assert_eq!(
            c.errors[0].values,
            vec![("mechanics".to_string(), "2.5".to_string())]
        );
    }

    #[test]
    fn working_days_bounded_by_month_length() {
        let mut raw = complete_raw();
        raw.insert(F::working_days, d("30"));
        let feb: Month = "2023-02".parse().unwrap();
        assert_eq!(
            rules(&check(&raw, feb, Completeness::Complete, &[])),
            vec![("working_days".into(), Rule::Range)]
        );
        assert!(check(&raw, month(), Completeness::Complete, &[])
            .errors
            .is_empty());
    }

    #[test]
    fn each_cross_field_rule_names_its_field_and_values() {
        for &(a, b) in NOT_ABOVE {
            let mut raw = complete_raw();
            raw.insert(a, d("11"));
            raw.insert(b, d("10"));
            let c = check(&raw, month(), Completeness::Complete, &[]);
            assert_eq!(
                rules(&c),
                vec![(a.name().to_string(), Rule::NotAbove)],
                "{a:?}"
            );
            assert_eq!(
                c.errors[0].values,
                vec![
                    (a.name().to_string(), "11".to_string()),
                    (b.name().to_string(), "10".to_string())
                ]
            );
        }
        let mut raw = complete_raw();
        raw.insert(F::technicians_level1, d("6"));
        raw.insert(F::technicians_level2, d("5"));
        let c = check(&raw, month(), Completeness::Complete, &[]);
        assert_eq!(
            rules(&c),
            vec![("technicians_level1".into(), Rule::SumNotAbove)]
        );
    }

    #[test]
    fn brand_revenue_is_at_most_its_total() {
        // labor_revenue_total = 123 456.78 + 10 + 10 = 123 476.78; parts total 30.
        let mut raw = complete_raw();
        raw.insert(F::labor_revenue_brand, d("123476.79"));
        raw.insert(F::parts_revenue_brand, d("30"));
        let c = check(&raw, month(), Completeness::Complete, &[]);
        assert_eq!(
            rules(&c),
            vec![("labor_revenue_brand".into(), Rule::NotAbove)]
        );
        assert_eq!(
            c.errors[0].values,
            vec![
                ("labor_revenue_brand".to_string(), "123476.79".to_string()),
                ("labor_revenue_total".to_string(), "123476.78".to_string())
            ]
        );
    }

    #[test]
    fn fields_added_later_are_required_from_their_month_only() {
        let mut raw = complete_raw();
        raw.remove(&F::labor_revenue_brand);
        raw.remove(&F::parts_revenue_brand);
        let before = check(&raw, month(), Completeness::Complete, &[]);
        assert!(before.errors.is_empty(), "{:?}", before.errors);
        assert_eq!(before.values.get(F::labor_revenue_brand), None);
        let from: Month = "2027-01".parse().unwrap();
        let after = check(&raw, from, Completeness::Complete, &[]);
        assert_eq!(
            rules(&after),
            vec![
                ("labor_revenue_brand".into(), Rule::Required),
                ("parts_revenue_brand".into(), Rule::Required)
            ]
        );
    }

    #[test]
    fn all_violations_are_reported_at_once() {
        let mut raw = complete_raw();
        raw.insert(F::ro_comebacks, d("99"));
        raw.insert(F::pm_contacted, d("99"));
        raw.insert(F::working_days, d("40"));
        raw.remove(&F::washers);
        let c = check(&raw, month(), Completeness::Complete, &[]);
        assert_eq!(c.errors.len(), 4, "{:?}", c.errors);
    }

    #[test]
    fn hours_worked_above_attended_is_a_warning() {
        let mut raw = complete_raw();
        raw.insert(F::hours_worked, d("1600"));
        let c = check(&raw, month(), Completeness::Complete, &[]);
        assert!(c.errors.is_empty());
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(c.warnings[0].field, "hours_worked");
    }

    #[test]
    fn plausibility_against_own_history() {
        let base = check(&complete_raw(), month(), Completeness::Complete, &[]).values;
        let history = vec![base.clone(); 12];
        let mut raw = complete_raw();
        raw.insert(F::labor_revenue_customer, d("1234567.81")); // 10× + 1 fen
        let c = check(&raw, month(), Completeness::Complete, &history);
        assert_eq!(
            c.warnings
                .iter()
                .map(|w| (w.field.as_str(), w.rule))
                .collect::<Vec<_>>(),
            vec![("labor_revenue_customer", Rule::Plausibility)]
        );
        raw.insert(F::labor_revenue_customer, d("1234567.80")); // exactly 10×: fine
        assert!(check(&raw, month(), Completeness::Complete, &history)
            .warnings
            .is_empty());
        raw.insert(F::vehicles_in_operation, d("0")); // < 1/10 of 10
        let c = check(&raw, month(), Completeness::Complete, &history);
        assert_eq!(c.warnings.len(), 1);
        // too little history: no judgement
        assert!(check(&raw, month(), Completeness::Complete, &history[..2])
            .warnings
            .is_empty());
    }

    #[test]
    fn json_round_trip_and_unknown_keys() {
        let v = check(&complete_raw(), month(), Completeness::Complete, &[]).values;
        assert_eq!(Values::from_json(&v.to_json()).unwrap(), v);
        assert!(Values::from_json(r#"{"nope": 1}"#).is_err());
    }
}
