//! The monthly MSI report: values in storage units, computed totals, and validation.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::fields::{Field, FieldKind, FIELDS, FIELD_COUNT};
use super::period::Month;
use super::text::excerpt;

/// The raw values of one report, each in its storage unit (counts; fen; hundredths).
///
/// Absent fields are `None`: a draft may be partial, a submitted report is complete
/// except for optional fields.
#[derive(Clone, PartialEq, Eq)]
pub struct Values([Option<i64>; FIELD_COUNT]);

impl Default for Values {
    fn default() -> Self {
        Values([None; FIELD_COUNT])
    }
}

/// A total whose parts do not fit in 64 bits together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotalOverflow;

impl Values {
    pub fn get(&self, f: Field) -> Option<i64> {
        self.0[f as usize]
    }

    pub fn set(&mut self, f: Field, v: Option<i64>) {
        self.0[f as usize] = v;
    }

    /// Builder-style [`Values::set`].
    pub fn with(mut self, f: Field, v: i64) -> Self {
        self.set(f, Some(v));
        self
    }

    /// The present fields and their stored values.
    pub fn iter(&self) -> impl Iterator<Item = (Field, i64)> + '_ {
        Field::all().filter_map(|f| self.get(f).map(|v| (f, v)))
    }

    /// A computed total, if every part is present.
    pub fn total(&self, t: Total) -> Option<i64> {
        self.checked_total(t).ok().flatten()
    }

    /// A computed total: `None` when a part is missing, `Err` when the sum does not fit.
    pub fn checked_total(&self, t: Total) -> Result<Option<i64>, TotalOverflow> {
        let mut sum: i64 = 0;
        for f in t.def().parts {
            let Some(x) = self.get(*f) else {
                return Ok(None);
            };
            sum = sum.checked_add(x).ok_or(TotalOverflow)?;
        }
        Ok(Some(sum))
    }

    /// Serialises as a JSON object `{field: stored value}` (the storage format).
    pub fn to_json(&self) -> String {
        let map: BTreeMap<&str, i64> = self.iter().map(|(f, v)| (f.name(), v)).collect();
        serde_json::to_string(&map).expect("map of integers serialises")
    }

    /// Reads the storage format; unknown keys are an error (they would be silently lost).
    pub fn from_json(s: &str) -> Result<Values, String> {
        let map: BTreeMap<String, i64> = serde_json::from_str(s).map_err(|e| e.to_string())?;
        let mut v = Values::default();
        for (k, x) in map {
            let f = Field::from_name(&k)
                .ok_or_else(|| format!("unknown report field `{k}` in storage"))?;
            v.set(f, Some(x));
        }
        Ok(v)
    }
}

impl fmt::Debug for Values {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, v)| (k.name(), v)))
            .finish()
    }
}

/// Formats a stored value in its display unit: `123456` fen is `"1234.56"`.
pub fn display_value(kind: FieldKind, stored: i64) -> String {
    match kind {
        FieldKind::Count => stored.to_string(),
        _ => Decimal::new(stored, 2).to_string(),
    }
}

/// The stored value as an exact decimal in display units.
pub fn decimal_value(kind: FieldKind, stored: i64) -> Decimal {
    match kind {
        FieldKind::Count => Decimal::from(stored),
        _ => Decimal::new(stored, 2),
    }
}

/// A computed total (blue cell): always derived, never entered.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Total {
    ro_paid,
    ro_free,
    ro_total,
    labor_revenue_total,
    parts_revenue_total,
    service_revenue_total,
    gross_profit_total,
}

/// How a total is computed: the sum of its parts.
#[derive(Debug)]
pub struct TotalDef {
    pub total: Total,
    pub name: &'static str,
    pub zh: &'static str,
    pub kind: FieldKind,
    pub parts: &'static [Field],
}

use Field as F;

/// The computed totals of the MSI form [000].
pub static TOTALS: &[TotalDef] = &[
    TotalDef {
        total: Total::ro_paid,
        name: "ro_paid",
        zh: "有费服务台数",
        kind: FieldKind::Count,
        parts: &[F::ro_paid_maintenance, F::ro_paid_repair],
    },
    TotalDef {
        total: Total::ro_free,
        name: "ro_free",
        zh: "免费服务台数",
        kind: FieldKind::Count,
        parts: &[F::ro_free_inspection, F::ro_free_repair],
    },
    TotalDef {
        total: Total::ro_total,
        name: "ro_total",
        zh: "总服务台数",
        kind: FieldKind::Count,
        parts: &[
            F::ro_paid_maintenance,
            F::ro_paid_repair,
            F::ro_free_inspection,
            F::ro_free_repair,
        ],
    },
    TotalDef {
        total: Total::labor_revenue_total,
        name: "labor_revenue_total",
        zh: "工时总销售",
        kind: FieldKind::Money,
        parts: &[
            F::labor_revenue_customer,
            F::labor_revenue_warranty,
            F::labor_revenue_internal,
        ],
    },
    TotalDef {
        total: Total::parts_revenue_total,
        name: "parts_revenue_total",
        zh: "零件总营业额",
        kind: FieldKind::Money,
        parts: &[
            F::parts_revenue_mechanical,
            F::parts_revenue_body_paint,
            F::parts_revenue_internal,
        ],
    },
    TotalDef {
        total: Total::service_revenue_total,
        name: "service_revenue_total",
        zh: "总服务收入",
        kind: FieldKind::Money,
        parts: &[
            F::labor_revenue_customer,
            F::labor_revenue_warranty,
            F::labor_revenue_internal,
            F::parts_revenue_mechanical,
            F::parts_revenue_body_paint,
            F::parts_revenue_internal,
            F::sublet_revenue,
            F::accessory_revenue,
        ],
    },
    TotalDef {
        total: Total::gross_profit_total,
        name: "gross_profit_total",
        zh: "总毛利",
        kind: FieldKind::Profit,
        parts: &[
            F::gross_profit_labor,
            F::gross_profit_parts,
            F::gross_profit_other,
        ],
    },
];

impl Total {
    pub fn def(self) -> &'static TotalDef {
        TOTALS
            .iter()
            .find(|d| d.total == self)
            .expect("every total is in TOTALS")
    }
}

/// A report as entered: an exact decimal per field, before unit conversion and checks.
pub type RawReport = BTreeMap<Field, Decimal>;

/// The rule a value broke. `code()` is what clients match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Rule {
    /// A field a complete report must carry is absent.
    Required,
    /// A count with a fractional part.
    Integer,
    /// More than two decimals where the unit is fen or hundredths.
    TwoDecimals,
    /// A negative count, amount or hour figure.
    NonNegative,
    /// Outside the field's range (working days, scores, absurd magnitudes).
    Range,
    /// `a <= b` between two fields.
    NotAbove,
    /// `a + b <= c` between fields.
    SumNotAbove,
    /// The month lies in the future.
    FutureMonth,
    /// The dealer is not open in that month.
    DealerInactive,
    /// Implausible against the dealer's own history (a warning).
    Plausibility,
}

impl Rule {
    pub fn code(self) -> &'static str {
        match self {
            Rule::Required => "REQUIRED",
            Rule::Integer => "INTEGER",
            Rule::TwoDecimals => "TWO_DECIMALS",
            Rule::NonNegative => "NON_NEGATIVE",
            Rule::Range => "RANGE",
            Rule::NotAbove => "NOT_ABOVE",
            Rule::SumNotAbove => "SUM_NOT_ABOVE",
            Rule::FutureMonth => "FUTURE_MONTH",
            Rule::DealerInactive => "DEALER_INACTIVE",
            Rule::Plausibility => "PLAUSIBILITY",
        }
    }
}

/// One broken rule: which field, which rule, and the values involved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// snake_case field name (a report field, or `month` / `dealer_code`).
    pub field: String,
    pub rule: Rule,
    pub message: String,
    /// The values involved, `(field, display value)`.
    pub values: Vec<(String, String)>,
}

impl Violation {
    fn new(
        field: impl Into<String>,
        rule: Rule,
        message: String,
        values: Vec<(String, String)>,
    ) -> Violation {
        Violation {
            field: field.into(),
            rule,
            message,
            values,
        }
    }

    /// A violation of the report as a whole (`month`, `dealer_code`).
    pub fn of_report(field: &str, rule: Rule, message: String, value: String) -> Violation {
        Violation::new(field, rule, message, vec![(field.to_string(), value)])
    }
}

/// How strictly to check: a draft may be partial, a submission must be complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completeness {
    Draft,
    Complete,
}

/// The outcome of checking a report.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub values: Values,
    /// Hard errors: the report is refused.
    pub errors: Vec<Violation>,
    /// Range warnings: the report is accepted with warnings.
    pub warnings: Vec<Violation>,
}

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
            if completeness == Completeness::Complete && def.kind.required() {
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
pub(crate) mod tests {
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

    #[test]
    fn display_units() {
        assert_eq!(display_value(FieldKind::Money, 123_456), "1234.56");
        assert_eq!(display_value(FieldKind::Money, 5), "0.05");
        assert_eq!(display_value(FieldKind::Profit, -50_025), "-500.25");
        assert_eq!(display_value(FieldKind::Count, 7), "7");
    }
}
