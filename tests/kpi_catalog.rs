//! The KPI catalog checked by hand: every KPI of `KPIS`, its exact numerator and
//! denominator in storage units and its display value, against arithmetic written out here
//! from a fixture dealer; then the reasons a KPI is unavailable, the OEM parameter lookup and
//! the pooled (Σ numerators / Σ denominators) roll-up. Pure domain: no database, no HTTP.
//!
//! Storage units (`Values`): counts as they are, money in fen (yuan × 100), hours and scores
//! in hundredths, `annual_visits_per_vehicle` in thousandths (2.4 visits = 2 400).

use std::collections::{BTreeMap, BTreeSet};

use msi_hub::domain::kpi::{
    by_code, dealer_facts, facts, param_for, uses_param, Category, DealerMonths, Fact, KpiDef,
    Param, ParamValue, Unavailable, KPIS,
};
use msi_hub::domain::stats::{aggregate, Pair};
use msi_hub::domain::targets::TargetItem;
use msi_hub::domain::{Field, Month, Values};

use Field as F;
use Unavailable::{MissingInput, MissingParameter, MissingReport, NoTarget, ZeroDenominator};

/// A KPI of a dealer-month: (numerator, denominator) in storage units, or why not.
type Outcome = Result<(i64, i64), Unavailable>;

// ---------------------------------------------------------------------------------------
// The single list of KPI codes checked by hand, by category. `catalog_is_fully_covered`
// compares it with `KPIS`; each category test checks exactly its own entry.
// ---------------------------------------------------------------------------------------

const COVERED: &[(Category, &[&str])] = &[
    (
        Category::Performance,
        &[
            "management_internalization",
            "service_coverage",
            "managed_coverage",
            "warranty_registration",
            "first_service",
            "customer_file_accuracy",
            "general_customer_files",
            "loyal_customer_files",
            "pm_notification",
            "pm_conversion",
            "followup_success",
            "complaint_resolution",
            "first_time_fix",
            "within_estimate",
            "on_time_delivery",
        ],
    ),
    (
        Category::Efficiency,
        &[
            "advisor_ros_per_day",
            "mechanic_ros_per_day",
            "body_ros_per_day",
            "paint_ros_per_day",
            "washes_per_washer_day",
            "reception_bay_ros_per_day",
            "general_bay_ros_per_day",
            "express_bay_ros_per_day",
            "bp_bay_ros_per_day",
        ],
    ),
    (
        Category::Operating,
        &[
            "mech_revenue_per_mechanic_day",
            "bp_revenue_per_tech_day",
            "parts_per_mech_ro",
            "parts_per_bp_ro",
            "parts_per_ro",
            "bp_revenue_per_ro",
            "revenue_per_ro",
            "fixed_cost_coverage",
            "absorption",
            "gross_margin",
            "labor_gross_margin",
            "revenue_growth",
        ],
    ),
    (
        Category::Productivity,
        &[
            "technician_productivity",
            "technician_utilization",
            "parts_fill_rate",
            "parts_turnover",
            "comeback_rate",
            "same_day_delivery",
            "appointment_rate",
            "appointment_kept",
            "complaint_rate",
            "staff_turnover",
            "level1_tech_share",
            "level2_tech_share",
            "indirect_direct_ratio",
            "customer_pay_labor_share",
            "revenue_per_service_staff",
            "ros_per_technician",
            "paid_service_share",
            "csi",
        ],
    ),
    (
        Category::RevenueMix,
        &[
            "labor_revenue_share",
            "parts_revenue_share",
            "warranty_revenue_share",
            "body_paint_revenue_share",
            "maintenance_revenue_share",
            "general_repair_revenue_share",
        ],
    ),
    (
        Category::RoMix,
        &[
            "maintenance_ro_share",
            "warranty_ro_share",
            "general_repair_ro_share",
            "comeback_ro_share",
            "internal_ro_share",
        ],
    ),
    (
        Category::LaborMix,
        &[
            "customer_labor_share",
            "warranty_labor_share",
            "internal_labor_share",
        ],
    ),
    (
        Category::Targets,
        &[
            "achievement_total_ros",
            "achievement_brand_ros",
            "achievement_labor_revenue",
            "achievement_brand_labor_revenue",
            "achievement_workshop_parts",
            "achievement_brand_workshop_parts",
        ],
    ),
];

/// The KPIs that read an earlier month (hand list; checked against `max_lag`).
const WINDOWED: [&str; 5] = [
    "management_internalization",
    "managed_coverage",
    "warranty_registration",
    "first_service",
    "revenue_growth",
];

/// The KPIs that read the OEM parameter (hand list; checked against `uses_param`).
const PARAMETRIC: [&str; 2] = ["service_coverage", "managed_coverage"];

// ---------------------------------------------------------------------------------------
// Fixture: one dealer, monthly reports 2023-05 ..= 2024-02 (across the year boundary), and
// 2023-01, the month a year before the one evaluated (for revenue growth).
//
// 2024-01 is the month evaluated: its report is `JAN` below (every field but the five
// per-month customer fields). Every other month is `JAN` with every value multiplied by
// k = 1 + |months from 2024-01| (2023-12 and 2024-02: × 2, 2023-11: × 3, ... 2023-05: × 9),
// so that reading the wrong month changes the numerator or the denominator. 2023-01 is
// `JAN` × 4/5 (service revenue 400 000 yuan against 500 000). The five customer fields the
// windowed KPIs read are set month by month in `PER_MONTH`.
// ---------------------------------------------------------------------------------------

/// The report of 2024-01, in storage units.
const JAN: &[(Field, i64)] = &[
    // period
    (F::working_days, 20),
    // capacity
    (F::reception_bays, 6),
    (F::general_repair_bays, 8),
    (F::express_bays, 4),
    (F::body_bays, 3),
    (F::paint_bays, 2),
    (F::service_advisors, 5),
    (F::mechanics, 10),
    (F::body_techs, 4),
    (F::painters, 3),
    (F::washers, 2),
    (F::technicians_total, 24),
    (F::technicians_level1, 10),
    (F::technicians_level2, 9),
    (F::indirect_staff, 6),
    // repair orders: ro_total = 310 + 200 + 75 + 15 = 600; ro_paid = 310 + 200 = 510
    (F::ro_paid_maintenance, 310),
    (F::ro_paid_repair, 200),
    (F::ro_free_inspection, 75),
    (F::ro_free_repair, 15),
    (F::ro_warranty, 45),
    (F::ro_internal, 12),
    (F::ro_brand, 550),
    (F::ro_customer_pay_brand, 450),
    (F::ro_delivered, 500),
    (F::ro_mechanical_delivered, 400),
    (F::ro_body_paint_delivered, 90),
    (F::ro_body_delivered, 60),
    (F::ro_paint_delivered, 70),
    (F::ro_express_delivered, 120),
    (F::ro_washed, 360),
    (F::ro_comebacks, 10),
    (F::ro_same_day_in, 250),
    (F::ro_same_day_out, 200),
    (F::ro_within_estimate, 399),
    (F::ro_on_time, 425),
    (F::ro_estimate_given, 420),
    (F::appointments, 150),
    (F::appointments_kept, 120),
    // revenue, fen. labor_revenue_total = 120 000 + 30 000 + 10 000 = 160 000 yuan;
    // parts_revenue_total = 150 000 + 63 000 + 27 000 = 240 000 yuan;
    // service_revenue_total = 160 000 + 240 000 + 20 000 + 80 000 = 500 000 yuan
    (F::labor_revenue_customer, 12_000_000),
    (F::labor_revenue_warranty, 3_000_000),
    (F::labor_revenue_internal, 1_000_000),
    (F::parts_revenue_mechanical, 15_000_000),
    (F::parts_revenue_body_paint, 6_300_000),
    (F::parts_revenue_internal, 2_700_000),
    (F::body_paint_revenue, 8_100_000),
    (F::maintenance_revenue, 14_000_000),
    (F::general_repair_revenue, 18_000_000),
    (F::sublet_revenue, 2_000_000),
    (F::accessory_revenue, 8_000_000),
    // brand: 80 % of labor (12 800 000 of 16 000 000), 75 % of parts (18 000 000 of 24 000 000)
    (F::labor_revenue_brand, 12_800_000),
    (F::parts_revenue_brand, 18_000_000),
    // productivity: hours in hundredths (1 600 h, 1 360 h, 1 496 h); wages 48 000 yuan
    (F::hours_attended, 160_000),
    (F::hours_worked, 136_000),
    (F::hours_sold, 149_600),
    (F::technician_wages, 4_800_000),
    // parts: 300 000 / 340 000 / 160 000 yuan
    (F::parts_inventory_begin, 30_000_000),
    (F::parts_inventory_end, 34_000_000),
    (F::parts_cost_of_sales, 16_000_000),
    (F::parts_lines_requested, 1_000),
    (F::parts_lines_filled_from_stock, 960),
    // customers (the five windowed fields are in PER_MONTH)
    (F::vehicles_in_operation, 4_000),
    (F::new_customers, 100),
    (F::customer_files, 2_000),
    (F::customer_files_accurate, 1_800),
    (F::customer_files_general, 1_200),
    (F::customer_files_loyal, 600),
    // CRM; csi 92.50 in hundredths
    (F::pm_due, 440),
    (F::pm_contacted, 374),
    (F::pm_invited, 320),
    (F::pm_invited_arrived, 256),
    (F::followups_due, 480),
    (F::followups_done, 460),
    (F::complaints_found, 40),
    (F::complaints_resolved, 38),
    (F::complaints_formal, 5),
    (F::csi_score, 9_250),
    // HR; training 80 h
    (F::service_staff_total, 40),
    (F::staff_resigned, 2),
    (F::training_hours, 8_000),
    // financials, fen: gross_profit_total = 115 000 + 65 000 − 20 000 = 160 000 yuan
    (F::gross_profit_labor, 11_500_000),
    (F::gross_profit_parts, 6_500_000),
    (F::gross_profit_other, -2_000_000),
    (F::fixed_expenses, 12_800_000),
    (F::dealership_expenses_total, 20_000_000),
];

/// The per-month customer fields, in this order.
const PER_MONTH_FIELDS: [Field; 5] = [
    F::own_sales_units,
    F::new_managed_from_own_sales,
    F::managed_customers,
    F::warranty_registrations,
    F::first_services_of_own_sales,
];

/// own_sales_units, new_managed_from_own_sales, managed_customers, warranty_registrations,
/// first_services_of_own_sales, by month.
const PER_MONTH: [(&str, [i64; 5]); 11] = [
    ("2023-01", [5, 0, 2_400, 4, 0]),
    ("2023-05", [10, 0, 2_500, 9, 0]),
    ("2023-06", [20, 7, 2_600, 10, 8]),
    ("2023-07", [30, 14, 2_700, 19, 16]),
    ("2023-08", [40, 21, 2_800, 28, 24]),
    ("2023-09", [50, 28, 2_900, 38, 32]),
    ("2023-10", [60, 35, 3_000, 47, 40]),
    ("2023-11", [70, 42, 3_100, 57, 48]),
    ("2023-12", [80, 49, 3_125, 66, 56]),
    ("2024-01", [90, 65, 3_200, 76, 63]),
    ("2024-02", [100, 63, 3_300, 81, 60]),
];

/// 2.4 visits per vehicle per year, in thousandths.
const VISITS_2024: i64 = 2_400;

/// The dealer's approved targets of every month, phased (storage units: ROs, fen).
const TARGETS: [(TargetItem, i64); 6] = [
    (TargetItem::TotalRos, 600),
    (TargetItem::BrandRos, 500),
    (TargetItem::LaborRevenue, 20_000_000),
    (TargetItem::BrandLaborRevenue, 12_800_000),
    (TargetItem::WorkshopParts, 30_000_000),
    (TargetItem::BrandWorkshopParts, 24_000_000),
];

fn target_of(item: TargetItem) -> Option<i64> {
    TARGETS.iter().find(|(i, _)| *i == item).map(|(_, v)| *v)
}

/// `target_of` for every month, as `dealer_facts` takes it.
fn month_targets(_: Month, item: TargetItem) -> Option<i64> {
    target_of(item)
}

fn month(s: &str) -> Month {
    s.parse().unwrap_or_else(|e| panic!("{e}"))
}

fn kpi(code: &str) -> &'static KpiDef {
    by_code(code).unwrap_or_else(|| panic!("no KPI `{code}` in the catalog"))
}

fn code_of(id: i16) -> &'static str {
    KPIS.iter()
        .find(|k| k.id == id)
        .unwrap_or_else(|| panic!("no KPI with id {id}"))
        .code
}

/// The fixture report of one month.
fn report(m: Month) -> Values {
    let (times, per) = if m == month("2023-01") {
        (4, 5)
    } else {
        (1 + i64::from(m.since(month("2024-01")).unsigned_abs()), 1)
    };
    let mut v = JAN
        .iter()
        .fold(Values::default(), |v, &(f, x)| v.with(f, x * times / per));
    let (_, row) = PER_MONTH
        .iter()
        .find(|(s, _)| month(s) == m)
        .unwrap_or_else(|| panic!("no fixture month {m}"));
    for (f, x) in PER_MONTH_FIELDS.into_iter().zip(row) {
        v.set(f, Some(*x));
    }
    v
}

/// The fixture dealer: every month of `PER_MONTH`.
fn fixture() -> BTreeMap<Month, Values> {
    PER_MONTH
        .iter()
        .map(|(s, _)| (month(s), report(month(s))))
        .collect()
}

/// A dealer's KPI inputs for month `n`, with one national parameter value (or none).
struct At<'a> {
    reports: &'a BTreeMap<Month, Values>,
    n: Month,
    visits: Option<i64>,
    /// Whether the dealer has the approved targets of `TARGETS`.
    targets: bool,
}

impl<'a> At<'a> {
    fn new(reports: &'a BTreeMap<Month, Values>, n: &str, visits: Option<i64>) -> At<'a> {
        At {
            reports,
            n: month(n),
            visits,
            targets: true,
        }
    }

    fn without_targets(self) -> At<'a> {
        At {
            targets: false,
            ..self
        }
    }

    fn with_inputs<R>(&self, f: impl FnOnce(&DealerMonths) -> R) -> R {
        let visits = self.visits;
        let params = move |p: Param| match p {
            Param::AnnualVisitsPerVehicle => visits,
        };
        let with = self.targets;
        let targets = move |i: TargetItem| target_of(i).filter(|_| with);
        f(&DealerMonths {
            reports: self.reports,
            n: self.n,
            params: &params,
            targets: &targets,
        })
    }

    fn eval(&self, code: &str) -> Outcome {
        self.with_inputs(|inp| kpi(code).eval(inp))
    }

    /// Every KPI by code, through `kpi::facts`.
    fn facts(&self) -> BTreeMap<&'static str, Outcome> {
        let all: Vec<Fact> = self.with_inputs(|inp| facts(inp));
        assert_eq!(all.len(), KPIS.len(), "one fact per KPI");
        all.into_iter().map(|f| (code_of(f.kpi), f.value)).collect()
    }
}

#[track_caller]
fn assert_close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs(),
        "{what}: got {got}, want {want}"
    );
}

/// Asserts the exact (numerator, denominator) in storage units and the display value.
#[track_caller]
fn check(at: &At, code: &'static str, num: i64, den: i64, value: f64) -> &'static str {
    assert_eq!(
        at.eval(code),
        Ok((num, den)),
        "{code} in {}: (numerator, denominator) in storage units",
        at.n
    );
    let got = kpi(code)
        .value(num, den)
        .unwrap_or_else(|| panic!("{code}: no value for {num}/{den}"));
    assert_close(got, value, &format!("{code} in {}: display value", at.n));
    code
}

/// The category test checked exactly the KPIs `COVERED` lists for it, all of that category.
#[track_caller]
fn assert_covers(category: Category, checked: &[&'static str]) {
    let listed: BTreeSet<&str> = COVERED
        .iter()
        .filter(|(c, _)| *c == category)
        .flat_map(|(_, codes)| codes.iter().copied())
        .collect();
    let checked: BTreeSet<&str> = checked.iter().copied().collect();
    assert_eq!(
        checked, listed,
        "{category:?}: checked vs listed in COVERED"
    );
    for code in &checked {
        assert_eq!(kpi(code).category, category, "{code}");
    }
}

/// The KPIs of `facts` that are unavailable for `reason`; asserts that all others have a value.
#[track_caller]
fn unavailable_for(
    facts: &BTreeMap<&'static str, Outcome>,
    reason: Unavailable,
) -> BTreeSet<&'static str> {
    for (code, v) in facts {
        assert!(
            v.is_ok() || *v == Err(reason),
            "{code}: {v:?}, expected a value or {reason:?}"
        );
    }
    facts
        .iter()
        .filter(|(_, v)| v.is_err())
        .map(|(c, _)| *c)
        .collect()
}

fn set(codes: &[&'static str]) -> BTreeSet<&'static str> {
    codes.iter().copied().collect()
}

// ---------------------------------------------------------------------------------------
// The fixture itself.
// ---------------------------------------------------------------------------------------

#[test]
fn fixture_reports_are_complete_and_differ_by_month() {
    let reports = fixture();
    assert_eq!(reports.len(), 11);
    assert_eq!(
        reports.keys().nth(1).map(|m| m.to_string()).as_deref(),
        Some("2023-05")
    );
    for (m, v) in &reports {
        for f in Field::all() {
            assert!(v.get(f).is_some(), "{m}: {} missing", f.name());
        }
    }
    // JAN lists every field once, except the five set per month.
    let listed: BTreeSet<Field> = JAN.iter().map(|(f, _)| *f).collect();
    assert_eq!(listed.len(), JAN.len());
    assert_eq!(JAN.len() + PER_MONTH_FIELDS.len(), Field::all().count());
    let jan = &reports[&month("2024-01")];
    let dec = &reports[&month("2023-12")];
    assert_eq!(jan.get(F::mechanics), Some(10));
    assert_eq!(dec.get(F::mechanics), Some(20));
    assert_eq!(reports[&month("2023-05")].get(F::mechanics), Some(90));
    assert_eq!(jan.get(F::own_sales_units), Some(90));
    assert_eq!(dec.get(F::own_sales_units), Some(80));
}

// ---------------------------------------------------------------------------------------
// One test per category: every KPI by hand.
// ---------------------------------------------------------------------------------------

#[test]
fn performance_kpis_by_hand() {
    let reports = fixture();
    let jan = At::new(&reports, "2024-01", Some(VISITS_2024));
    let feb = At::new(&reports, "2024-02", Some(VISITS_2024));
    let checked = [
        // Σ new_managed_from_own_sales 2023-12..2023-07 = 49 + 42 + 35 + 28 + 21 + 14 = 189
        // Σ own_sales_units 2023-11..2023-06 = 70 + 60 + 50 + 40 + 30 + 20 = 270
        // 189 / 270 = 0.7 → 70 %
        check(&jan, "management_internalization", 189, 270, 70.0),
        // one month later the window moves: 2024-01..2023-08 = 65 + 49 + 42 + 35 + 28 + 21 = 240
        // over 2023-12..2023-07 = 80 + 70 + 60 + 50 + 40 + 30 = 330 → 240 / 330 = 72.72… %
        check(
            &feb,
            "management_internalization",
            240,
            330,
            100.0 * 240.0 / 330.0,
        ),
        // ro_total 600 × 12 × 1000 = 7 200 000; vehicles_in_operation 4 000 × 2 400 ‰ = 9 600 000
        // 600 × 12 / (4 000 × 2.4) = 7 200 / 9 600 = 0.75 → 75 %
        check(&jan, "service_coverage", 7_200_000, 9_600_000, 75.0),
        // 2024-02 (× 2): 1 200 × 12 000 = 14 400 000 over 8 000 × 2 400 = 19 200 000 → 75 %
        check(&feb, "service_coverage", 14_400_000, 19_200_000, 75.0),
        // (ro_total 600 − new_customers 100) × 12 × 1000 = 6 000 000
        // managed_customers of 2023-12 3 125 × 2 400 = 7 500 000; 500 × 12 / (3 125 × 2.4) → 80 %
        check(&jan, "managed_coverage", 6_000_000, 7_500_000, 80.0),
        // 2024-02: (1 200 − 200) × 12 000 = 12 000 000; managed of 2024-01 3 200 × 2 400 = 7 680 000
        // 12 000 000 / 7 680 000 = 1.5625 → 156.25 %
        check(&feb, "managed_coverage", 12_000_000, 7_680_000, 156.25),
        // warranty_registrations 76 over own_sales_units of 2023-12 (80) → 95 %
        check(&jan, "warranty_registration", 76, 80, 95.0),
        // 2024-02: 81 over own_sales_units of 2024-01 (90) → 90 %
        check(&feb, "warranty_registration", 81, 90, 90.0),
        // first_services_of_own_sales 63 over own_sales_units of 2023-11 (70) → 90 %
        check(&jan, "first_service", 63, 70, 90.0),
        // 2024-02: 60 over own_sales_units of 2023-12 (80) → 75 %
        check(&feb, "first_service", 60, 80, 75.0),
        // customer_files_accurate 1 800 / customer_files 2 000 → 90 %
        check(&jan, "customer_file_accuracy", 1_800, 2_000, 90.0),
        // customer_files_general 1 200 / customer_files 2 000 → 60 %
        check(&jan, "general_customer_files", 1_200, 2_000, 60.0),
        // customer_files_loyal 600 / customer_files 2 000 → 30 %
        check(&jan, "loyal_customer_files", 600, 2_000, 30.0),
        // pm_contacted 374 / pm_due 440 → 85 %
        check(&jan, "pm_notification", 374, 440, 85.0),
        // pm_invited_arrived 256 / pm_invited 320 → 80 %
        check(&jan, "pm_conversion", 256, 320, 80.0),
        // followups_done 460 / ro_delivered 500 → 92 %
        check(&jan, "followup_success", 460, 500, 92.0),
        // complaints_resolved 38 / complaints_found 40 → 95 %
        check(&jan, "complaint_resolution", 38, 40, 95.0),
        // (ro_delivered 500 − ro_comebacks 10) / 500 = 490 / 500 → 98 %
        check(&jan, "first_time_fix", 490, 500, 98.0),
        // ro_within_estimate 399 / ro_estimate_given 420 → 95 %
        check(&jan, "within_estimate", 399, 420, 95.0),
        // ro_on_time 425 / ro_delivered 500 → 85 %
        check(&jan, "on_time_delivery", 425, 500, 85.0),
    ];
    assert_covers(Category::Performance, &checked);
}

#[test]
fn efficiency_kpis_by_hand() {
    let reports = fixture();
    let jan = At::new(&reports, "2024-01", Some(VISITS_2024));
    // working_days = 20 throughout.
    let checked = [
        // ro_total 600 / (service_advisors 5 × 20 = 100) → 6 ROs a day
        check(&jan, "advisor_ros_per_day", 600, 100, 6.0),
        // ro_mechanical_delivered 400 / (mechanics 10 × 20 = 200) → 2
        check(&jan, "mechanic_ros_per_day", 400, 200, 2.0),
        // ro_body_delivered 60 / (body_techs 4 × 20 = 80) → 0.75
        check(&jan, "body_ros_per_day", 60, 80, 0.75),
        // ro_paint_delivered 70 / (painters 3 × 20 = 60) → 1.1666…
        check(&jan, "paint_ros_per_day", 70, 60, 70.0 / 60.0),
        // ro_washed 360 / (washers 2 × 20 = 40) → 9
        check(&jan, "washes_per_washer_day", 360, 40, 9.0),
        // ro_total 600 / (reception_bays 6 × 20 = 120) → 5
        check(&jan, "reception_bay_ros_per_day", 600, 120, 5.0),
        // ro_mechanical_delivered 400 / (general_repair_bays 8 × 20 = 160) → 2.5
        check(&jan, "general_bay_ros_per_day", 400, 160, 2.5),
        // ro_express_delivered 120 / (express_bays 4 × 20 = 80) → 1.5
        check(&jan, "express_bay_ros_per_day", 120, 80, 1.5),
        // ro_body_paint_delivered 90 / ((body_bays 3 + paint_bays 2) × 20 = 100) → 0.9
        check(&jan, "bp_bay_ros_per_day", 90, 100, 0.9),
    ];
    assert_covers(Category::Efficiency, &checked);
}

#[test]
fn operating_kpis_by_hand() {
    let reports = fixture();
    let jan = At::new(&reports, "2024-01", Some(VISITS_2024));
    let checked = [
        // (maintenance 14 000 000 + general repair 18 000 000 fen) = 32 000 000 fen
        // over mechanics 10 × 20 days = 200 → 160 000 fen = 1 600 yuan a mechanic-day
        check(
            &jan,
            "mech_revenue_per_mechanic_day",
            32_000_000,
            200,
            1_600.0,
        ),
        // body_paint_revenue 8 100 000 fen / ((4 + 3) × 20 = 140) → 81 000 / 140 = 578.57… yuan
        check(
            &jan,
            "bp_revenue_per_tech_day",
            8_100_000,
            140,
            81_000.0 / 140.0,
        ),
        // parts_revenue_mechanical 15 000 000 fen / 400 → 37 500 fen = 375 yuan
        check(&jan, "parts_per_mech_ro", 15_000_000, 400, 375.0),
        // parts_revenue_body_paint 6 300 000 fen / 90 → 70 000 fen = 700 yuan
        check(&jan, "parts_per_bp_ro", 6_300_000, 90, 700.0),
        // parts total 15 000 000 + 6 300 000 + 2 700 000 = 24 000 000 fen / ro_delivered 500
        // → 48 000 fen = 480 yuan
        check(&jan, "parts_per_ro", 24_000_000, 500, 480.0),
        // body_paint_revenue 8 100 000 fen / ro_body_paint_delivered 90 → 900 yuan
        check(&jan, "bp_revenue_per_ro", 8_100_000, 90, 900.0),
        // service total 16 000 000 + 24 000 000 + 2 000 000 + 8 000 000 = 50 000 000 fen / 500
        // → 100 000 fen = 1 000 yuan
        check(&jan, "revenue_per_ro", 50_000_000, 500, 1_000.0),
        // gross profit 11 500 000 + 6 500 000 − 2 000 000 = 16 000 000 / fixed 12 800 000 → 125 %
        check(&jan, "fixed_cost_coverage", 16_000_000, 12_800_000, 125.0),
        // 16 000 000 / dealership_expenses_total 20 000 000 → 80 %
        check(&jan, "absorption", 16_000_000, 20_000_000, 80.0),
        // 16 000 000 / service revenue 50 000 000 → 32 %
        check(&jan, "gross_margin", 16_000_000, 50_000_000, 32.0),
        // (labor 16 000 000 − technician_wages 4 800 000) = 11 200 000 / 16 000 000 → 70 %
        check(&jan, "labor_gross_margin", 11_200_000, 16_000_000, 70.0),
        // service revenue 50 000 000 − 40 000 000 in 2023-01 (JAN × 4/5) = 10 000 000
        // over 40 000 000 → +25 %
        check(&jan, "revenue_growth", 10_000_000, 40_000_000, 25.0),
    ];
    assert_covers(Category::Operating, &checked);
}

#[test]
fn productivity_kpis_by_hand() {
    let reports = fixture();
    let jan = At::new(&reports, "2024-01", Some(VISITS_2024));
    let checked = [
        // hours_sold 1 496.00 h / hours_worked 1 360.00 h (hundredths) → 110 %
        check(&jan, "technician_productivity", 149_600, 136_000, 110.0),
        // hours_worked 1 360 h / hours_attended 1 600 h → 85 %
        check(&jan, "technician_utilization", 136_000, 160_000, 85.0),
        // parts_lines_filled_from_stock 960 / parts_lines_requested 1 000 → 96 %
        check(&jan, "parts_fill_rate", 960, 1_000, 96.0),
        // cost of sales 16 000 000 × 2 = 32 000 000 over begin + end
        // 30 000 000 + 34 000 000 = 64 000 000 → 160 000 / ((300 000 + 340 000) / 2) = 0.5
        check(&jan, "parts_turnover", 32_000_000, 64_000_000, 0.5),
        // ro_comebacks 10 / ro_delivered 500 → 2 %
        check(&jan, "comeback_rate", 10, 500, 2.0),
        // ro_same_day_out 200 / ro_same_day_in 250 → 80 %
        check(&jan, "same_day_delivery", 200, 250, 80.0),
        // appointments 150 / ro_total 600 → 25 %
        check(&jan, "appointment_rate", 150, 600, 25.0),
        // appointments_kept 120 / appointments 150 → 80 %
        check(&jan, "appointment_kept", 120, 150, 80.0),
        // complaints_formal 5 / ro_delivered 500 → 1 %
        check(&jan, "complaint_rate", 5, 500, 1.0),
        // quoted per year: staff_resigned 2 × 12 / service_staff_total 40 → 60 %
        check(&jan, "staff_turnover", 24, 40, 60.0),
        // technicians_level1 10 / technicians_total 24 → 41.666… %
        check(&jan, "level1_tech_share", 10, 24, 1000.0 / 24.0),
        // technicians_level2 9 / technicians_total 24 → 37.5 %
        check(&jan, "level2_tech_share", 9, 24, 37.5),
        // indirect_staff 6 / technicians_total 24 → 0.25 (a ratio, not a percentage)
        check(&jan, "indirect_direct_ratio", 6, 24, 0.25),
        // labor_revenue_customer 12 000 000 / service revenue 50 000 000 → 24 %
        check(
            &jan,
            "customer_pay_labor_share",
            12_000_000,
            50_000_000,
            24.0,
        ),
        // service revenue 50 000 000 fen / 40 staff → 1 250 000 fen = 12 500 yuan
        check(&jan, "revenue_per_service_staff", 50_000_000, 40, 12_500.0),
        // ro_total 600 / technicians_total 24 → 25
        check(&jan, "ros_per_technician", 600, 24, 25.0),
        // ro_paid (310 + 200 = 510) / ro_total 600 → 85 %
        check(&jan, "paid_service_share", 510, 600, 85.0),
        // csi_score 92.50 = 9 250 hundredths over 100 → 92.5
        check(&jan, "csi", 9_250, 100, 92.5),
    ];
    assert_covers(Category::Productivity, &checked);
}

#[test]
fn revenue_mix_kpis_by_hand() {
    let reports = fixture();
    let jan = At::new(&reports, "2024-01", Some(VISITS_2024));
    // service_revenue_total = 50 000 000 fen (500 000 yuan).
    let checked = [
        // labor 12 000 000 + 3 000 000 + 1 000 000 = 16 000 000 → 32 %
        check(&jan, "labor_revenue_share", 16_000_000, 50_000_000, 32.0),
        // parts 15 000 000 + 6 300 000 + 2 700 000 = 24 000 000 → 48 %
        check(&jan, "parts_revenue_share", 24_000_000, 50_000_000, 48.0),
        // labor_revenue_warranty 3 000 000 → 6 %
        check(&jan, "warranty_revenue_share", 3_000_000, 50_000_000, 6.0),
        // body_paint_revenue 8 100 000 → 16.2 %
        check(
            &jan,
            "body_paint_revenue_share",
            8_100_000,
            50_000_000,
            16.2,
        ),
        // maintenance_revenue 14 000 000 → 28 %
        check(
            &jan,
            "maintenance_revenue_share",
            14_000_000,
            50_000_000,
            28.0,
        ),
        // general_repair_revenue 18 000 000 → 36 %
        check(
            &jan,
            "general_repair_revenue_share",
            18_000_000,
            50_000_000,
            36.0,
        ),
    ];
    assert_covers(Category::RevenueMix, &checked);
}

#[test]
fn ro_mix_kpis_by_hand() {
    let reports = fixture();
    let jan = At::new(&reports, "2024-01", Some(VISITS_2024));
    // ro_all = paid 310 + 200, free 75 + 15, warranty 45, internal 12 = 657.
    let checked = [
        // ro_paid_maintenance 310 + ro_free_inspection 75 = 385 → 58.599… %
        check(
            &jan,
            "maintenance_ro_share",
            385,
            657,
            100.0 * 385.0 / 657.0,
        ),
        // ro_warranty 45 → 6.849… %
        check(&jan, "warranty_ro_share", 45, 657, 100.0 * 45.0 / 657.0),
        // ro_paid_repair 200 + ro_free_repair 15 = 215 → 32.724… %
        check(
            &jan,
            "general_repair_ro_share",
            215,
            657,
            100.0 * 215.0 / 657.0,
        ),
        // ro_comebacks 10 → 1.522… %
        check(&jan, "comeback_ro_share", 10, 657, 100.0 * 10.0 / 657.0),
        // ro_internal 12 → 1.826… %
        check(&jan, "internal_ro_share", 12, 657, 100.0 * 12.0 / 657.0),
    ];
    assert_covers(Category::RoMix, &checked);
    // The mix adds up to exactly 100 %: 385 + 215 + 45 + 12 = 657.
    let mix = [
        "maintenance_ro_share",
        "general_repair_ro_share",
        "warranty_ro_share",
        "internal_ro_share",
    ];
    let numerators: i64 = mix.iter().map(|c| jan.eval(c).unwrap().0).sum();
    assert_eq!(numerators, 657);
    assert!(mix.iter().all(|c| jan.eval(c).unwrap().1 == 657));
}

#[test]
fn the_ro_mix_adds_up_to_100_percent_and_no_share_exceeds_it() {
    // A dealer doing mostly warranty work: 40 paid + 10 free ROs but 300 warranty ROs.
    // Over paid + free (the former denominator) the warranty share was 600 %.
    let mut reports = fixture();
    let jan = reports.get_mut(&month("2024-01")).unwrap();
    for (f, x) in [
        (F::ro_paid_maintenance, 30),
        (F::ro_paid_repair, 10),
        (F::ro_free_inspection, 6),
        (F::ro_free_repair, 4),
        (F::ro_warranty, 300),
        (F::ro_internal, 0),
        (F::ro_comebacks, 2),
    ] {
        jan.set(f, Some(x));
    }
    let at = At::new(&reports, "2024-01", Some(VISITS_2024));
    // ro_all = 30 + 10 + 6 + 4 + 300 + 0 = 350.
    check(&at, "maintenance_ro_share", 36, 350, 100.0 * 36.0 / 350.0);
    check(&at, "general_repair_ro_share", 14, 350, 4.0);
    check(&at, "warranty_ro_share", 300, 350, 100.0 * 300.0 / 350.0);
    check(&at, "internal_ro_share", 0, 350, 0.0);
    let sum: f64 = [
        "maintenance_ro_share",
        "general_repair_ro_share",
        "warranty_ro_share",
        "internal_ro_share",
    ]
    .iter()
    .map(|c| {
        let (n, d) = at.eval(c).unwrap();
        kpi(c).value(n, d).unwrap()
    })
    .sum();
    assert_close(sum, 100.0, "the mix");
}

#[test]
fn revenue_growth_is_against_the_same_month_a_year_earlier() {
    let reports = fixture();
    // 2024-01: 50 000 000 fen against 40 000 000 in 2023-01 → +25 % (in `operating_kpis_by_hand`).
    // 2024-02 (50 000 000 × 2 = 100 000 000): 2023-02 was not reported → unavailable.
    let feb = At::new(&reports, "2024-02", Some(VISITS_2024));
    assert_eq!(feb.eval("revenue_growth"), Err(MissingReport));
    // A year of decline: 2023-01 at 62 500 000 fen → (50 000 000 − 62 500 000) / 62 500 000 = −20 %.
    let mut reports = fixture();
    let before = reports.get_mut(&month("2023-01")).unwrap();
    before.set(F::accessory_revenue, Some(6_400_000 + 22_500_000));
    let jan = At::new(&reports, "2024-01", Some(VISITS_2024));
    check(&jan, "revenue_growth", -12_500_000, 62_500_000, -20.0);
    // No revenue a year earlier: no growth rate, not infinity.
    let mut reports = fixture();
    let before = reports.get_mut(&month("2023-01")).unwrap();
    for f in [
        F::labor_revenue_customer,
        F::labor_revenue_warranty,
        F::labor_revenue_internal,
        F::parts_revenue_mechanical,
        F::parts_revenue_body_paint,
        F::parts_revenue_internal,
        F::sublet_revenue,
        F::accessory_revenue,
    ] {
        before.set(f, Some(0));
    }
    let jan = At::new(&reports, "2024-01", Some(VISITS_2024));
    assert_eq!(jan.eval("revenue_growth"), Err(ZeroDenominator));
    // Over a period, ratio of sums: the period's revenue against the same months a year
    // earlier. Jan +10 000 000 on 40 000 000 and a month of +0 on 60 000 000 → 10 %.
    let months = [
        Pair {
            num: 10_000_000,
            den: 40_000_000,
        },
        Pair {
            num: 0,
            den: 60_000_000,
        },
    ];
    let pooled = aggregate(kpi("revenue_growth"), &months, 0);
    assert_eq!(
        (pooled.numerator, pooled.denominator),
        (10_000_000, 100_000_000)
    );
    assert_close(pooled.pooled.unwrap(), 10.0, "pooled growth");
}

#[test]
fn target_kpis_by_hand() {
    let reports = fixture();
    let jan = At::new(&reports, "2024-01", Some(VISITS_2024));
    let checked = [
        // ro_all 657 (paid 510, free 90, warranty 45, internal 12) of 600 phased → 109.5 %
        check(&jan, "achievement_total_ros", 657, 600, 109.5),
        // ro_brand 550 of 500 → 110 %
        check(&jan, "achievement_brand_ros", 550, 500, 110.0),
        // labor 16 000 000 fen of 20 000 000 → 80 %
        check(
            &jan,
            "achievement_labor_revenue",
            16_000_000,
            20_000_000,
            80.0,
        ),
        // brand labor 12 800 000 of 12 800 000 → exactly 100 %
        check(
            &jan,
            "achievement_brand_labor_revenue",
            12_800_000,
            12_800_000,
            100.0,
        ),
        // parts 24 000 000 of 30 000 000 → 80 %
        check(
            &jan,
            "achievement_workshop_parts",
            24_000_000,
            30_000_000,
            80.0,
        ),
        // brand parts 18 000 000 of 24 000 000 → 75 %
        check(
            &jan,
            "achievement_brand_workshop_parts",
            18_000_000,
            24_000_000,
            75.0,
        ),
    ];
    assert_covers(Category::Targets, &checked);
    // Without an approved target: NO_TARGET, and only the achievement KPIs.
    let facts = At::new(&reports, "2024-01", Some(VISITS_2024))
        .without_targets()
        .facts();
    assert_eq!(unavailable_for(&facts, NoTarget), set(&checked));
    // A report without the brand fields (before they were on the form): MISSING_INPUT.
    let mut old = reports.clone();
    let v = old.get_mut(&month("2024-01")).unwrap();
    v.set(F::labor_revenue_brand, None);
    v.set(F::parts_revenue_brand, None);
    let facts = At::new(&old, "2024-01", Some(VISITS_2024)).facts();
    assert_eq!(
        unavailable_for(&facts, MissingInput),
        set(&[
            "achievement_brand_labor_revenue",
            "achievement_brand_workshop_parts"
        ])
    );
}

#[test]
fn labor_mix_kpis_by_hand() {
    let reports = fixture();
    let jan = At::new(&reports, "2024-01", Some(VISITS_2024));
    // labor_revenue_total = 12 000 000 + 3 000 000 + 1 000 000 = 16 000 000 fen.
    let checked = [
        check(&jan, "customer_labor_share", 12_000_000, 16_000_000, 75.0),
        check(&jan, "warranty_labor_share", 3_000_000, 16_000_000, 18.75),
        check(&jan, "internal_labor_share", 1_000_000, 16_000_000, 6.25),
    ];
    assert_covers(Category::LaborMix, &checked);
}

// ---------------------------------------------------------------------------------------
// Completeness: the hand checks cover the catalog, no more, no less.
// ---------------------------------------------------------------------------------------

#[test]
fn catalog_is_fully_covered() {
    let listed: Vec<&str> = COVERED
        .iter()
        .flat_map(|(_, codes)| codes.iter().copied())
        .collect();
    let covered: BTreeSet<&str> = listed.iter().copied().collect();
    assert_eq!(covered.len(), listed.len(), "a code is listed twice");
    let catalog: BTreeSet<&str> = KPIS.iter().map(|k| k.code).collect();
    let unchecked: Vec<_> = catalog.difference(&covered).collect();
    let unknown: Vec<_> = covered.difference(&catalog).collect();
    assert!(
        unchecked.is_empty() && unknown.is_empty(),
        "KPIs without a hand check: {unchecked:?}; listed but not in KPIS: {unknown:?}"
    );
    assert_eq!(covered.len(), 74);
    for (category, codes) in COVERED {
        for code in *codes {
            assert_eq!(kpi(code).category, *category, "{code}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Unavailability.
// ---------------------------------------------------------------------------------------

#[test]
fn windowed_and_parametric_kpis_are_the_listed_ones() {
    let windowed: BTreeSet<&str> = KPIS
        .iter()
        .filter(|k| k.max_lag() > 0)
        .map(|k| k.code)
        .collect();
    assert_eq!(windowed, set(&WINDOWED));
    assert_eq!(kpi("management_internalization").max_lag(), 7);
    assert_eq!(kpi("first_service").max_lag(), 2);
    assert_eq!(kpi("warranty_registration").max_lag(), 1);
    assert_eq!(kpi("managed_coverage").max_lag(), 1);
    assert_eq!(kpi("revenue_growth").max_lag(), 12);
    let parametric: BTreeSet<&str> = KPIS
        .iter()
        .filter(|k| uses_param(k))
        .map(|k| k.code)
        .collect();
    assert_eq!(parametric, set(&PARAMETRIC));
}

#[test]
fn a_missing_earlier_month_makes_exactly_the_windowed_kpis_unavailable() {
    // (month removed, KPIs of 2024-01 left without a value)
    let cases: [(&str, &[&str]); 7] = [
        // N-1: the window N-1..N-6, warranty registration's and managed coverage's N-1
        (
            "2023-12",
            &[
                "management_internalization",
                "warranty_registration",
                "managed_coverage",
            ],
        ),
        // N-2: both windows, first service's N-2
        ("2023-11", &["management_internalization", "first_service"]),
        // N-6: both windows
        ("2023-07", &["management_internalization"]),
        // N-7: the denominator window N-2..N-7 only
        ("2023-06", &["management_internalization"]),
        // N-8: no KPI reads it
        ("2023-05", &[]),
        // N-12: revenue growth's year-earlier month
        ("2023-01", &["revenue_growth"]),
        // N+1: no KPI reads a later month
        ("2024-02", &[]),
    ];
    for (removed, expected) in cases {
        let mut reports = fixture();
        assert!(reports.remove(&month(removed)).is_some());
        let facts = At::new(&reports, "2024-01", Some(VISITS_2024)).facts();
        assert_eq!(
            unavailable_for(&facts, MissingReport),
            set(expected),
            "without {removed}"
        );
    }
    // Without the month itself, every KPI reading month N is unavailable; management
    // internalization reads only N-1..N-7, so `facts` alone would still give it a value
    // (189 / 270): `facts` requires the month's own report, and `dealer_facts` only
    // evaluates months the dealer reported (next assertion).
    let mut reports = fixture();
    reports.remove(&month("2024-01"));
    let facts = At::new(&reports, "2024-01", Some(VISITS_2024)).facts();
    let all_but_mi: BTreeSet<&str> = KPIS
        .iter()
        .map(|k| k.code)
        .filter(|c| *c != "management_internalization")
        .collect();
    assert_eq!(unavailable_for(&facts, MissingReport), all_but_mi);
    assert_eq!(facts["management_internalization"], Ok((189, 270)));
    let months: BTreeSet<String> = dealer_facts(
        &reports,
        month("2023-12"),
        month("2024-02"),
        &[visits(2024, "", VISITS_2024)],
        &|_| None,
        &month_targets,
        None,
    )
    .into_iter()
    .map(|(m, _)| m.to_string())
    .collect();
    assert_eq!(
        months,
        BTreeSet::from(["2023-12".to_string(), "2024-02".to_string()])
    );
}

#[test]
fn a_zero_denominator_is_unavailable_not_zero() {
    // (field of a month set to 0, KPIs of 2024-01 with a zero denominator)
    let cases: [(&str, Field, &[&str]); 6] = [
        ("2024-01", F::pm_due, &["pm_notification"]),
        (
            "2024-01",
            F::mechanics,
            &["mechanic_ros_per_day", "mech_revenue_per_mechanic_day"],
        ),
        (
            "2024-01",
            F::working_days,
            &[
                "advisor_ros_per_day",
                "mechanic_ros_per_day",
                "body_ros_per_day",
                "paint_ros_per_day",
                "washes_per_washer_day",
                "reception_bay_ros_per_day",
                "general_bay_ros_per_day",
                "express_bay_ros_per_day",
                "bp_bay_ros_per_day",
                "mech_revenue_per_mechanic_day",
                "bp_revenue_per_tech_day",
            ],
        ),
        (
            "2024-01",
            F::ro_delivered,
            &[
                "followup_success",
                "first_time_fix",
                "on_time_delivery",
                "parts_per_ro",
                "revenue_per_ro",
                "comeback_rate",
                "complaint_rate",
            ],
        ),
        // own sales of N-1 are warranty registration's denominator only (not the window's)
        ("2023-12", F::own_sales_units, &["warranty_registration"]),
        // vehicles in operation 0: service coverage only
        ("2024-01", F::vehicles_in_operation, &["service_coverage"]),
    ];
    for (m, field, expected) in cases {
        let mut reports = fixture();
        let v = reports.get_mut(&month(m)).unwrap();
        v.set(field, Some(0));
        if field == F::pm_due {
            v.set(F::pm_contacted, Some(0)); // keep the report consistent
        }
        let facts = At::new(&reports, "2024-01", Some(VISITS_2024)).facts();
        assert_eq!(
            unavailable_for(&facts, ZeroDenominator),
            set(expected),
            "{} = 0 in {m}",
            field.name()
        );
    }
    // And the display value of a zero denominator is none, not 0 or infinity.
    assert_eq!(kpi("pm_notification").value(0, 0), None);
    assert_eq!(kpi("pm_notification").value(5, 0), None);
}

#[test]
fn a_missing_field_is_missing_input() {
    // The optional CSI score absent: only csi is unavailable.
    let mut reports = fixture();
    reports
        .get_mut(&month("2024-01"))
        .unwrap()
        .set(F::csi_score, None);
    let facts = At::new(&reports, "2024-01", Some(VISITS_2024)).facts();
    assert_eq!(unavailable_for(&facts, MissingInput), set(&["csi"]));
    // Absent in an earlier month, it does not matter in 2024-01.
    let mut reports = fixture();
    reports
        .get_mut(&month("2023-12"))
        .unwrap()
        .set(F::csi_score, None);
    let facts = At::new(&reports, "2024-01", Some(VISITS_2024)).facts();
    assert_eq!(unavailable_for(&facts, MissingInput), set(&[]));
    // A part of a total absent (a draft's gap): every KPI reading ro_total has no value.
    let mut reports = fixture();
    reports
        .get_mut(&month("2024-01"))
        .unwrap()
        .set(F::ro_free_repair, None);
    let facts = At::new(&reports, "2024-01", Some(VISITS_2024)).facts();
    assert_eq!(
        unavailable_for(&facts, MissingInput),
        set(&[
            "service_coverage",
            "managed_coverage",
            "advisor_ros_per_day",
            "reception_bay_ros_per_day",
            "appointment_rate",
            "ros_per_technician",
            "paid_service_share",
            "maintenance_ro_share",
            "warranty_ro_share",
            "general_repair_ro_share",
            "comeback_ro_share",
            "internal_ro_share",
            "achievement_total_ros",
        ])
    );
}

#[test]
fn no_parameter_makes_only_the_coverage_kpis_unavailable() {
    let reports = fixture();
    let facts = At::new(&reports, "2024-01", None).facts();
    assert_eq!(unavailable_for(&facts, MissingParameter), set(&PARAMETRIC));
    // With it, they have a value (the hand values are in `performance_kpis_by_hand`).
    let facts = At::new(&reports, "2024-01", Some(VISITS_2024)).facts();
    assert!(facts.values().all(Result::is_ok), "{facts:?}");
}

#[test]
fn a_dealer_opened_mid_window_through_dealer_facts() {
    // The dealer's first report is 2023-11.
    let reports: BTreeMap<Month, Values> = fixture().split_off(&month("2023-11"));
    assert_eq!(reports.len(), 4); // 2023-11, 2023-12, 2024-01, 2024-02
    let params = [
        ParamValue {
            param: Param::AnnualVisitsPerVehicle,
            year: 2023,
            region_code: String::new(),
            value: 2_000,
        },
        ParamValue {
            param: Param::AnnualVisitsPerVehicle,
            year: 2024,
            region_code: String::new(),
            value: VISITS_2024,
        },
    ];
    let only: Vec<i16> = WINDOWED
        .iter()
        .chain(["service_coverage"].iter())
        .map(|c| kpi(c).id)
        .collect();
    let got: BTreeMap<(String, &str), Outcome> = dealer_facts(
        &reports,
        month("2023-11"),
        month("2024-01"),
        &params,
        &|_| None,
        &month_targets,
        Some(only.as_slice()),
    )
    .into_iter()
    .map(|(m, f)| ((m.to_string(), code_of(f.kpi)), f.value))
    .collect();
    let want: BTreeMap<(String, &str), Outcome> = [
        // 2023-11 (× 3): nothing before it
        ("2023-11", "management_internalization", Err(MissingReport)),
        ("2023-11", "warranty_registration", Err(MissingReport)),
        ("2023-11", "first_service", Err(MissingReport)),
        ("2023-11", "managed_coverage", Err(MissingReport)),
        // 1 800 × 12 000 = 21 600 000 over 12 000 × 2 000 (the 2023 value) = 24 000 000 → 90 %
        ("2023-11", "service_coverage", Ok((21_600_000, 24_000_000))),
        // 2023-12 (× 2): one month before it
        ("2023-12", "management_internalization", Err(MissingReport)),
        // warranty_registrations 66 over own sales of 2023-11 (70)
        ("2023-12", "warranty_registration", Ok((66, 70))),
        ("2023-12", "first_service", Err(MissingReport)), // needs 2023-10
        // (1 200 − 200) × 12 000 = 12 000 000 over managed of 2023-11 3 100 × 2 000 = 6 200 000
        ("2023-12", "managed_coverage", Ok((12_000_000, 6_200_000))),
        ("2023-12", "service_coverage", Ok((14_400_000, 16_000_000))),
        // 2024-01: the 6-month window reaches 2023-06, long before the dealer opened...
        ("2024-01", "management_internalization", Err(MissingReport)),
        ("2024-01", "warranty_registration", Ok((76, 80))),
        // ... but first service needs 2023-11 only: 63 over 70
        ("2024-01", "first_service", Ok((63, 70))),
        ("2024-01", "managed_coverage", Ok((6_000_000, 7_500_000))),
        ("2024-01", "service_coverage", Ok((7_200_000, 9_600_000))),
        // revenue growth: no month a year before the dealer opened
        ("2023-11", "revenue_growth", Err(MissingReport)),
        ("2023-12", "revenue_growth", Err(MissingReport)),
        ("2024-01", "revenue_growth", Err(MissingReport)),
    ]
    .into_iter()
    .map(|(m, c, v)| ((m.to_string(), c), v))
    .collect();
    assert_eq!(got, want);
    assert_close(
        kpi("first_service").value(63, 70).unwrap(),
        90.0,
        "first_service",
    );
    assert_close(
        kpi("service_coverage")
            .value(21_600_000, 24_000_000)
            .unwrap(),
        90.0,
        "service_coverage 2023-11",
    );
}

// ---------------------------------------------------------------------------------------
// OEM parameter lookup.
// ---------------------------------------------------------------------------------------

fn visits(year: i32, region: &str, value: i64) -> ParamValue {
    ParamValue {
        param: Param::AnnualVisitsPerVehicle,
        year,
        region_code: region.to_string(),
        value,
    }
}

/// National 2.0 (2023) and 2.4 (2024); EAST 3.0 in 2024 only; WEST 1.5 in 2023 only.
/// National values are listed first, so a region's win is not a matter of order.
fn param_table() -> Vec<ParamValue> {
    vec![
        visits(2023, "", 2_000),
        visits(2024, "", 2_400),
        visits(2024, "EAST", 3_000),
        visits(2023, "WEST", 1_500),
    ]
}

#[test]
fn param_for_prefers_the_region_then_the_nation_per_year() {
    let p = param_table();
    let a = Param::AnnualVisitsPerVehicle;
    // the region's own value over the national one
    assert_eq!(param_for(&p, a, 2024, Some("EAST")), Some(3_000));
    assert_eq!(param_for(&p, a, 2023, Some("WEST")), Some(1_500));
    // no value of its own: the national one
    assert_eq!(param_for(&p, a, 2024, Some("NORTH")), Some(2_400));
    assert_eq!(param_for(&p, a, 2024, None), Some(2_400));
    assert_eq!(param_for(&p, a, 2023, None), Some(2_000));
    // per year: EAST's 2024 value is not used for 2023, WEST's 2023 value not for 2024
    assert_eq!(param_for(&p, a, 2023, Some("EAST")), Some(2_000));
    assert_eq!(param_for(&p, a, 2024, Some("WEST")), Some(2_400));
    // no value for the year at all
    assert_eq!(param_for(&p, a, 2025, Some("EAST")), None);
    assert_eq!(param_for(&p, a, 2022, None), None);
    assert_eq!(param_for(&[], a, 2024, Some("EAST")), None);
}

#[test]
fn dealer_facts_use_the_parameter_of_the_month_year_and_region() {
    let reports = fixture();
    // The dealer moves: EAST, WEST, EAST, WEST.
    let region_at = |m: Month| -> Option<String> {
        Some(
            match m.to_string().as_str() {
                "2023-11" | "2024-01" => "EAST",
                _ => "WEST",
            }
            .to_string(),
        )
    };
    let sc = kpi("service_coverage");
    let got: Vec<(String, Outcome)> = dealer_facts(
        &reports,
        month("2023-11"),
        month("2024-02"),
        &param_table(),
        &region_at,
        &month_targets,
        Some(&[sc.id][..]),
    )
    .into_iter()
    .map(|(m, f)| (m.to_string(), f.value))
    .collect();
    let want = vec![
        // EAST 2023 → national 2023 2.0: 1 800 × 12 000 = 21 600 000 / (12 000 × 2 000) → 90 %
        ("2023-11".to_string(), Ok((21_600_000, 24_000_000))),
        // WEST 2023 → 1.5: 1 200 × 12 000 = 14 400 000 / (8 000 × 1 500 = 12 000 000) → 120 %
        ("2023-12".to_string(), Ok((14_400_000, 12_000_000))),
        // EAST 2024 → 3.0: 7 200 000 / (4 000 × 3 000 = 12 000 000) → 60 %
        ("2024-01".to_string(), Ok((7_200_000, 12_000_000))),
        // WEST 2024 → national 2.4: 14 400 000 / (8 000 × 2 400 = 19 200 000) → 75 %
        ("2024-02".to_string(), Ok((14_400_000, 19_200_000))),
    ];
    assert_eq!(got, want);
    let values: Vec<f64> = got
        .iter()
        .map(|(_, v)| {
            let (n, d) = v.unwrap();
            sc.value(n, d).unwrap()
        })
        .collect();
    for (got, want) in values.into_iter().zip([90.0, 120.0, 60.0, 75.0]) {
        assert_close(got, want, "service_coverage");
    }
}

// ---------------------------------------------------------------------------------------
// Pooled values over dealers.
// ---------------------------------------------------------------------------------------

/// A one-month dealer with only what comeback_rate and revenue_per_ro read.
fn small_dealer(
    delivered: i64,
    comebacks: i64,
    labor_customer_fen: i64,
) -> BTreeMap<Month, Values> {
    let mut v = Values::default()
        .with(F::ro_delivered, delivered)
        .with(F::ro_comebacks, comebacks)
        .with(F::labor_revenue_customer, labor_customer_fen);
    for f in [
        F::labor_revenue_warranty,
        F::labor_revenue_internal,
        F::parts_revenue_mechanical,
        F::parts_revenue_body_paint,
        F::parts_revenue_internal,
        F::sublet_revenue,
        F::accessory_revenue,
    ] {
        v.set(f, Some(0));
    }
    BTreeMap::from([(month("2024-01"), v)])
}

#[test]
fn pooled_value_is_sum_over_sum_not_the_mean_of_values() {
    let a = fixture();
    let b = small_dealer(1_000, 30, 60_000_000);
    let c = small_dealer(100, 1, 20_000_000);
    let pairs = |code: &str| -> Vec<Pair> {
        [&a, &b, &c]
            .iter()
            .map(|r| {
                let (num, den) = At::new(r, "2024-01", Some(VISITS_2024)).eval(code).unwrap();
                Pair { num, den }
            })
            .collect()
    };

    // comeback_rate: A 10/500 = 2 %, B 30/1 000 = 3 %, C 1/100 = 1 %
    let comebacks = pairs("comeback_rate");
    assert_eq!(
        comebacks,
        [
            Pair { num: 10, den: 500 },
            Pair {
                num: 30,
                den: 1_000
            },
            Pair { num: 1, den: 100 },
        ]
    );
    // one more dealer of the group has no value
    let agg = aggregate(kpi("comeback_rate"), &comebacks, 1);
    // pooled (10 + 30 + 1) / (500 + 1 000 + 100) = 41 / 1 600 → 2.5625 %
    assert_eq!((agg.numerator, agg.denominator), (41, 1_600));
    assert_close(agg.pooled.unwrap(), 2.5625, "pooled comeback_rate");
    // mean of values (2 + 3 + 1) / 3 = 2 %: not the pooled value
    assert_close(agg.mean.unwrap(), 2.0, "mean comeback_rate");
    assert_close(agg.median.unwrap(), 2.0, "median comeback_rate");
    assert_eq!((agg.count, agg.missing), (3, 1));

    // revenue_per_ro (fen over ROs, × 1/100 to yuan):
    // A 50 000 000 / 500 → 1 000 yuan, B 60 000 000 / 1 000 → 600, C 20 000 000 / 100 → 2 000
    let revenue = pairs("revenue_per_ro");
    assert_eq!(
        revenue,
        [
            Pair {
                num: 50_000_000,
                den: 500
            },
            Pair {
                num: 60_000_000,
                den: 1_000
            },
            Pair {
                num: 20_000_000,
                den: 100
            },
        ]
    );
    let agg = aggregate(kpi("revenue_per_ro"), &revenue, 0);
    // pooled 130 000 000 fen / 1 600 ROs = 81 250 fen → 812.5 yuan
    assert_eq!((agg.numerator, agg.denominator), (130_000_000, 1_600));
    assert_close(agg.pooled.unwrap(), 812.5, "pooled revenue_per_ro");
    // mean (1 000 + 600 + 2 000) / 3 = 1 200 yuan; median 1 000 yuan
    assert_close(agg.mean.unwrap(), 1_200.0, "mean revenue_per_ro");
    assert_close(agg.median.unwrap(), 1_000.0, "median revenue_per_ro");
    assert_eq!((agg.count, agg.missing), (3, 0));

    // Over months for one dealer, the same rule: first_service of 2024-01 and 2024-02
    // (63 + 60) / (70 + 80) = 123 / 150 → 82 %, while the mean of 90 % and 75 % is 82.5 %.
    let fs = kpi("first_service");
    let months: Vec<Pair> = ["2024-01", "2024-02"]
        .iter()
        .map(|n| {
            let (num, den) = At::new(&a, n, Some(VISITS_2024)).eval(fs.code).unwrap();
            Pair { num, den }
        })
        .collect();
    let agg = aggregate(fs, &months, 0);
    assert_eq!((agg.numerator, agg.denominator), (123, 150));
    assert_close(agg.pooled.unwrap(), 82.0, "pooled first_service");
    assert_close(agg.mean.unwrap(), 82.5, "mean first_service");
}
