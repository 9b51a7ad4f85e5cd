//! The KPI catalog and engine.
//!
//! Every KPI is `numerator / denominator × scale`, with numerator and denominator written
//! as expressions over report fields, totals, earlier months and OEM parameters. Each is
//! evaluated exactly, in storage units (integers), per dealer-month; a period or a group of
//! dealers is then the ratio of the summed numerators and denominators (the pooled value).
//! The catalog is one table, [`KPIS`]: adding a KPI is adding an entry.

use std::collections::BTreeMap;

use serde::Serialize;

use super::fields::Field;
use super::period::Month;
use super::report::{Total, Values};

/// An expression over a dealer's reports, evaluated in storage units.
#[derive(Debug)]
pub enum Expr {
    /// A raw field of month N − lag.
    F(Field, u8),
    /// A computed total of month N − lag.
    T(Total, u8),
    /// Σ of a field over months N − from ..= N − to (every month must be reported).
    Window(Field, u8, u8),
    /// A constant.
    K(i64),
    /// An OEM parameter for the month's year (and the dealer's region, when set).
    P(Param),
    Add(&'static [Expr]),
    Sub(&'static Expr, &'static Expr),
    Mul(&'static [Expr]),
}

/// OEM parameters: data set by OEM administrators, per year and optionally per region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Param {
    /// 年度平均来店次数: visits a vehicle makes to a dealer per year, in thousandths
    /// (2.5 visits is stored as 2500).
    AnnualVisitsPerVehicle,
}

impl Param {
    pub const ALL: [Param; 1] = [Param::AnnualVisitsPerVehicle];

    pub fn code(self) -> &'static str {
        match self {
            Param::AnnualVisitsPerVehicle => "annual_visits_per_vehicle",
        }
    }

    pub fn parse(s: &str) -> Option<Param> {
        Param::ALL.into_iter().find(|p| p.code() == s)
    }

    /// Stored units per displayed unit.
    pub fn unit(self) -> i64 {
        1000
    }
}

/// A KPI of a dealer-month: exact numerator and denominator, or why there is no value.
pub type FactValue = Result<(i64, i64), Unavailable>;

/// Why a KPI has no value for a dealer-month. Never zero in its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Unavailable {
    /// The dealer has no submitted report for a month the KPI needs.
    MissingReport,
    /// A field the KPI needs is empty (an optional field such as the CSI score).
    MissingInput,
    /// The OEM parameter the KPI needs is not set for that year.
    MissingParameter,
    /// The denominator is zero.
    ZeroDenominator,
    /// The denominator is negative (the ratio would be meaningless).
    NegativeDenominator,
    /// The arithmetic left the 64-bit range (absurd inputs).
    Overflow,
}

impl Unavailable {
    pub const ALL: [Unavailable; 6] = [
        Unavailable::MissingReport,
        Unavailable::MissingInput,
        Unavailable::MissingParameter,
        Unavailable::ZeroDenominator,
        Unavailable::NegativeDenominator,
        Unavailable::Overflow,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Unavailable::MissingReport => "MISSING_REPORT",
            Unavailable::MissingInput => "MISSING_INPUT",
            Unavailable::MissingParameter => "MISSING_PARAMETER",
            Unavailable::ZeroDenominator => "ZERO_DENOMINATOR",
            Unavailable::NegativeDenominator => "NEGATIVE_DENOMINATOR",
            Unavailable::Overflow => "OVERFLOW",
        }
    }

    pub fn parse(s: &str) -> Option<Unavailable> {
        Unavailable::ALL.into_iter().find(|u| u.code() == s)
    }
}

/// What an expression can read: the dealer's months and the OEM parameters.
pub trait Inputs {
    /// The dealer's submitted values of month N − lag; `None` if it did not report.
    fn month(&self, lag: u8) -> Option<&Values>;
    /// The parameter in force for month N, in stored units.
    fn param(&self, p: Param) -> Option<i64>;
}

impl Expr {
    /// Evaluates exactly, in storage units.
    pub fn eval(&self, inp: &dyn Inputs) -> Result<i64, Unavailable> {
        let month = |lag: u8| inp.month(lag).ok_or(Unavailable::MissingReport);
        match self {
            Expr::F(f, lag) => month(*lag)?.get(*f).ok_or(Unavailable::MissingInput),
            Expr::T(t, lag) => month(*lag)?
                .checked_total(*t)
                .map_err(|_| Unavailable::Overflow)?
                .ok_or(Unavailable::MissingInput),
            Expr::Window(f, from, to) => {
                let mut sum = 0i64;
                for lag in *from..=*to {
                    let v = month(lag)?.get(*f).ok_or(Unavailable::MissingInput)?;
                    sum = sum.checked_add(v).ok_or(Unavailable::Overflow)?;
                }
                Ok(sum)
            }
            Expr::K(k) => Ok(*k),
            Expr::P(p) => inp.param(*p).ok_or(Unavailable::MissingParameter),
            Expr::Add(xs) => xs.iter().try_fold(0i64, |acc, x| {
                acc.checked_add(x.eval(inp)?).ok_or(Unavailable::Overflow)
            }),
            Expr::Sub(a, b) => a
                .eval(inp)?
                .checked_sub(b.eval(inp)?)
                .ok_or(Unavailable::Overflow),
            Expr::Mul(xs) => xs.iter().try_fold(1i64, |acc, x| {
                acc.checked_mul(x.eval(inp)?).ok_or(Unavailable::Overflow)
            }),
        }
    }

    /// The deepest month offset the expression reads.
    pub fn max_lag(&self) -> u8 {
        match self {
            Expr::F(_, lag) | Expr::T(_, lag) => *lag,
            Expr::Window(_, a, b) => *a.max(b),
            Expr::K(_) | Expr::P(_) => 0,
            Expr::Add(xs) | Expr::Mul(xs) => xs.iter().map(Expr::max_lag).max().unwrap_or(0),
            Expr::Sub(a, b) => a.max_lag().max(b.max_lag()),
        }
    }

    /// The formula in words, e.g. `ro_delivered - ro_comebacks`.
    pub fn describe(&self) -> String {
        let lagged = |name: &str, lag: u8| {
            if lag == 0 {
                name.to_string()
            } else {
                format!("{name}[N-{lag}]")
            }
        };
        match self {
            Expr::F(f, lag) => lagged(f.name(), *lag),
            Expr::T(t, lag) => lagged(t.def().name, *lag),
            Expr::Window(f, a, b) => format!("Σ {}[N-{b}..N-{a}]", f.name()),
            Expr::K(k) => k.to_string(),
            Expr::P(p) => format!("{}(‰)", p.code()),
            Expr::Add(xs) => format!(
                "({})",
                xs.iter()
                    .map(Expr::describe)
                    .collect::<Vec<_>>()
                    .join(" + ")
            ),
            Expr::Sub(a, b) => format!("({} - {})", a.describe(), b.describe()),
            Expr::Mul(xs) => xs
                .iter()
                .map(Expr::describe)
                .collect::<Vec<_>>()
                .join(" × "),
        }
    }
}

/// Families of KPIs, as the sources group them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Category {
    /// 售后服务业绩管理指标 [002]
    Performance,
    /// 工作效率管理指标 [002]: per person or bay per day
    Efficiency,
    /// 经营管理指标 [002]
    Operating,
    /// 生产率、车间与零件 [001] [002] [000]
    Productivity,
    /// 营业额构成 [001]
    RevenueMix,
    /// 台次构成 [001]
    RoMix,
    /// 工时销售组成 [002]
    LaborMix,
}

/// What a KPI's value measures, for labels and formatting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Unit {
    Percent,
    /// A plain ratio (e.g. parts turnover per month).
    Ratio,
    /// Repair orders per person (or bay) per working day.
    RosPerDay,
    /// Yuan per person per working day.
    YuanPerDay,
    /// Yuan per repair order.
    YuanPerRo,
    /// Yuan per person.
    YuanPerPerson,
    /// Repair orders per person.
    RosPerPerson,
    /// A 0–100 score.
    Score,
}

/// Whether more is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Direction {
    HigherIsBetter,
    LowerIsBetter,
}

/// A guideline band (指导值) in display units; either end may be open.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Guideline {
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// Where a value stands against a guideline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum GuidelineStatus {
    Below,
    Within,
    Above,
}

impl Guideline {
    pub fn status(&self, value: f64) -> GuidelineStatus {
        if self.low.is_some_and(|l| value < l) {
            GuidelineStatus::Below
        } else if self.high.is_some_and(|h| value > h) {
            GuidelineStatus::Above
        } else {
            GuidelineStatus::Within
        }
    }
}

/// One KPI of the catalog.
#[derive(Debug)]
pub struct KpiDef {
    /// Stable storage id: never reused, never changed.
    pub id: i16,
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub category: Category,
    pub unit: Unit,
    pub direction: Direction,
    pub guideline: Option<Guideline>,
    pub num: Expr,
    pub den: Expr,
    /// value = num / den × scale.0 / scale.1 (converts storage units to display units).
    pub scale: (i64, i64),
    pub explain: &'static str,
}

impl KpiDef {
    /// The display value of summed numerators and denominators (`None` when `den <= 0`).
    pub fn value(&self, num: i64, den: i64) -> Option<f64> {
        (den > 0).then(|| (num as f64 * self.scale.0 as f64) / (den as f64 * self.scale.1 as f64))
    }

    /// Evaluates this KPI for a dealer-month.
    pub fn eval(&self, inp: &dyn Inputs) -> Result<(i64, i64), Unavailable> {
        let num = self.num.eval(inp);
        let den = self.den.eval(inp);
        let (num, den) = (num?, den?);
        match den {
            0 => Err(Unavailable::ZeroDenominator),
            d if d < 0 => Err(Unavailable::NegativeDenominator),
            _ => Ok((num, den)),
        }
    }

    /// Deepest month offset the KPI reads.
    pub fn max_lag(&self) -> u8 {
        self.num.max_lag().max(self.den.max_lag())
    }

    /// Whether `a` is a better value than `b`.
    pub fn better(&self, a: f64, b: f64) -> bool {
        match self.direction {
            Direction::HigherIsBetter => a > b,
            Direction::LowerIsBetter => a < b,
        }
    }
}

use Expr::{Add, Mul, Sub, Window, K, P};
use Field as F;
use Total as T;

/// A field of this month.
const fn f(x: Field) -> Expr {
    Expr::F(x, 0)
}

/// A total of this month.
const fn t(x: Total) -> Expr {
    Expr::T(x, 0)
}

/// Percent of two like quantities.
const PCT: (i64, i64) = (100, 1);
/// Same units on both sides.
const ONE: (i64, i64) = (1, 1);
/// Fen over a count: yuan per unit.
const YUAN: (i64, i64) = (1, 100);

const fn band(low: Option<f64>, high: Option<f64>) -> Option<Guideline> {
    Some(Guideline { low, high })
}

use Category::*;
use Direction::{HigherIsBetter as UP, LowerIsBetter as DOWN};

/// The catalog: every KPI of the sources, each defined once.
pub static KPIS: &[KpiDef] = &[
    // --- 售后服务业绩管理指标 (performance) [002] ---
    KpiDef {
        id: 1,
        code: "management_internalization",
        zh: "管理内化率",
        en: "Management internalization (6-month)",
        category: Performance,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: Window(F::new_managed_from_own_sales, 1, 6),
        den: Window(F::own_sales_units, 2, 7),
        scale: PCT,
        explain: "New managed customers from own sales in months N-1..N-6 over own sales units in months N-2..N-7.",
    },
    KpiDef {
        id: 2,
        code: "service_coverage",
        zh: "覆盖率",
        en: "Service coverage",
        category: Performance,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: Mul(&[t(T::ro_total), K(12 * 1000)]),
        den: Mul(&[f(F::vehicles_in_operation), P(Param::AnnualVisitsPerVehicle)]),
        scale: PCT,
        explain: "Monthly repair orders × 12 over vehicles in operation × the OEM's annual visits per vehicle.",
    },
    KpiDef {
        id: 3,
        code: "managed_coverage",
        zh: "管理内用户服务覆盖率",
        en: "Managed-customer service coverage",
        category: Performance,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: Mul(&[Sub(&t(T::ro_total), &f(F::new_customers)), K(12 * 1000)]),
        den: Mul(&[Expr::F(F::managed_customers, 1), P(Param::AnnualVisitsPerVehicle)]),
        scale: PCT,
        explain: "(Repair orders − new customers) × 12 over last month's managed customers × annual visits per vehicle.",
    },
    KpiDef {
        id: 4,
        code: "warranty_registration",
        zh: "保修登记率",
        en: "Warranty registration rate",
        category: Performance,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: f(F::warranty_registrations),
        den: Expr::F(F::own_sales_units, 1),
        scale: PCT,
        explain: "Own-sold vehicles given a warranty registration over last month's own sales.",
    },
    KpiDef {
        id: 5,
        code: "first_service",
        zh: "首保实施率",
        en: "First-service rate",
        category: Performance,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: f(F::first_services_of_own_sales),
        den: Expr::F(F::own_sales_units, 2),
        scale: PCT,
        explain: "Own-sold vehicles back for their first service over own sales two months earlier.",
    },
    KpiDef {
        id: 6,
        code: "customer_file_accuracy",
        zh: "用户档案记录准确率",
        en: "Customer file accuracy",
        category: Performance,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: f(F::customer_files_accurate),
        den: f(F::customer_files),
        scale: PCT,
        explain: "Customer files with every mandatory item right over all customer files.",
    },
    KpiDef {
        id: 7,
        code: "pm_notification",
        zh: "定期保养通知率",
        en: "Maintenance notification rate",
        category: Performance,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: f(F::pm_contacted),
        den: f(F::pm_due),
        scale: PCT,
        explain: "Vehicles due for periodic maintenance that were contacted over those due.",
    },
    KpiDef {
        id: 8,
        code: "pm_conversion",
        zh: "定期保养招揽成功率",
        en: "Maintenance invitation success",
        category: Performance,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: f(F::pm_invited_arrived),
        den: f(F::pm_invited),
        scale: PCT,
        explain: "Invited vehicles that came in over vehicles invited.",
    },
    KpiDef {
        id: 9,
        code: "followup_success",
        zh: "跟踪服务成功率",
        en: "Follow-up success",
        category: Performance,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: f(F::followups_done),
        den: f(F::ro_delivered),
        scale: PCT,
        explain: "Successful follow-up calls over vehicles delivered.",
    },
    KpiDef {
        id: 10,
        code: "complaint_resolution",
        zh: "用户不满解决率",
        en: "Dissatisfaction resolution",
        category: Performance,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: f(F::complaints_resolved),
        den: f(F::complaints_found),
        scale: PCT,
        explain: "Dissatisfactions resolved over dissatisfactions found in follow-ups.",
    },
    KpiDef {
        id: 11,
        code: "first_time_fix",
        zh: "一次维修成功率",
        en: "First-time fix rate",
        category: Performance,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: Sub(&f(F::ro_delivered), &f(F::ro_comebacks)),
        den: f(F::ro_delivered),
        scale: PCT,
        explain: "Vehicles delivered not coming back for the same fault over vehicles delivered.",
    },
    KpiDef {
        id: 12,
        code: "within_estimate",
        zh: "估价金额内完成率",
        en: "Completed within estimate",
        category: Performance,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: f(F::ro_within_estimate),
        den: f(F::ro_estimate_given),
        scale: PCT,
        explain: "Jobs finished within the estimate (+5%..-25%) over jobs given an estimate.",
    },
    KpiDef {
        id: 13,
        code: "on_time_delivery",
        zh: "预定交车时间内完成率",
        en: "On-time delivery",
        category: Performance,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: f(F::ro_on_time),
        den: f(F::ro_delivered),
        scale: PCT,
        explain: "Vehicles delivered within ±15 minutes of the promised time over vehicles delivered.",
    },
    // --- 工作效率管理指标 (efficiency, per person or bay per working day) [002] ---
    KpiDef {
        id: 20,
        code: "advisor_ros_per_day",
        zh: "接车员人均日接待台数",
        en: "ROs per service advisor per day",
        category: Efficiency,
        unit: Unit::RosPerDay,
        direction: UP,
        guideline: None,
        num: t(T::ro_total),
        den: Mul(&[f(F::service_advisors), f(F::working_days)]),
        scale: ONE,
        explain: "Repair orders over service advisors × working days.",
    },
    KpiDef {
        id: 21,
        code: "mechanic_ros_per_day",
        zh: "机电工人均日修理台数",
        en: "Mechanical ROs per mechanic per day",
        category: Efficiency,
        unit: Unit::RosPerDay,
        direction: UP,
        guideline: None,
        num: f(F::ro_mechanical_delivered),
        den: Mul(&[f(F::mechanics), f(F::working_days)]),
        scale: ONE,
        explain: "Mechanical vehicles delivered over mechanics × working days.",
    },
    KpiDef {
        id: 22,
        code: "body_ros_per_day",
        zh: "钣金工人均日修理台数",
        en: "Body ROs per body technician per day",
        category: Efficiency,
        unit: Unit::RosPerDay,
        direction: UP,
        guideline: None,
        num: f(F::ro_body_delivered),
        den: Mul(&[f(F::body_techs), f(F::working_days)]),
        scale: ONE,
        explain: "Body-repair vehicles delivered over body technicians × working days.",
    },
    KpiDef {
        id: 23,
        code: "paint_ros_per_day",
        zh: "喷漆工人均日修理台数",
        en: "Paint ROs per painter per day",
        category: Efficiency,
        unit: Unit::RosPerDay,
        direction: UP,
        guideline: None,
        num: f(F::ro_paint_delivered),
        den: Mul(&[f(F::painters), f(F::working_days)]),
        scale: ONE,
        explain: "Paint vehicles delivered over painters × working days.",
    },
    KpiDef {
        id: 24,
        code: "washes_per_washer_day",
        zh: "洗车工人均日清洗台数",
        en: "Washes per washer per day",
        category: Efficiency,
        unit: Unit::RosPerDay,
        direction: UP,
        guideline: None,
        num: f(F::ro_washed),
        den: Mul(&[f(F::washers), f(F::working_days)]),
        scale: ONE,
        explain: "Vehicles washed over washers × working days.",
    },
    KpiDef {
        id: 25,
        code: "reception_bay_ros_per_day",
        zh: "接待工位日接待台数",
        en: "ROs per reception bay per day",
        category: Efficiency,
        unit: Unit::RosPerDay,
        direction: UP,
        guideline: None,
        num: t(T::ro_total),
        den: Mul(&[f(F::reception_bays), f(F::working_days)]),
        scale: ONE,
        explain: "Repair orders over reception bays × working days.",
    },
    KpiDef {
        id: 26,
        code: "general_bay_ros_per_day",
        zh: "一般修理工位日修理台数",
        en: "Mechanical ROs per general-repair bay per day",
        category: Efficiency,
        unit: Unit::RosPerDay,
        direction: UP,
        guideline: None,
        num: f(F::ro_mechanical_delivered),
        den: Mul(&[f(F::general_repair_bays), f(F::working_days)]),
        scale: ONE,
        explain: "Mechanical vehicles delivered over general-repair bays × working days.",
    },
    KpiDef {
        id: 27,
        code: "express_bay_ros_per_day",
        zh: "快修工位日修理台数",
        en: "Express ROs per express bay per day",
        category: Efficiency,
        unit: Unit::RosPerDay,
        direction: UP,
        guideline: None,
        num: f(F::ro_express_delivered),
        den: Mul(&[f(F::express_bays), f(F::working_days)]),
        scale: ONE,
        explain: "Express-service vehicles delivered over express bays × working days.",
    },
    KpiDef {
        id: 28,
        code: "bp_bay_ros_per_day",
        zh: "钣喷工位日修理台数",
        en: "Body-paint ROs per body-paint bay per day",
        category: Efficiency,
        unit: Unit::RosPerDay,
        direction: UP,
        guideline: band(Some(0.52), None),
        num: f(F::ro_body_paint_delivered),
        den: Mul(&[Add(&[f(F::body_bays), f(F::paint_bays)]), f(F::working_days)]),
        scale: ONE,
        explain: "Body-paint vehicles delivered over (body + paint bays) × working days; standard 0.52.",
    },
    // --- 经营管理指标 (operating) [002] ---
    KpiDef {
        id: 40,
        code: "mech_revenue_per_mechanic_day",
        zh: "机电工人均日营业额",
        en: "Mechanical revenue per mechanic per day",
        category: Operating,
        unit: Unit::YuanPerDay,
        direction: UP,
        guideline: None,
        num: Add(&[f(F::maintenance_revenue), f(F::general_repair_revenue)]),
        den: Mul(&[f(F::mechanics), f(F::working_days)]),
        scale: YUAN,
        explain: "Mechanical revenue (maintenance + general repair) over mechanics × working days.",
    },
    KpiDef {
        id: 41,
        code: "bp_revenue_per_tech_day",
        zh: "钣喷工人均日营业额",
        en: "Body-paint revenue per technician per day",
        category: Operating,
        unit: Unit::YuanPerDay,
        direction: UP,
        guideline: None,
        num: f(F::body_paint_revenue),
        den: Mul(&[Add(&[f(F::body_techs), f(F::painters)]), f(F::working_days)]),
        scale: YUAN,
        explain: "Body-paint revenue over (body technicians + painters) × working days.",
    },
    KpiDef {
        id: 42,
        code: "parts_per_mech_ro",
        zh: "机电车平均零件营业额",
        en: "Parts revenue per mechanical RO",
        category: Operating,
        unit: Unit::YuanPerRo,
        direction: UP,
        guideline: None,
        num: f(F::parts_revenue_mechanical),
        den: f(F::ro_mechanical_delivered),
        scale: YUAN,
        explain: "Mechanical parts revenue over mechanical vehicles delivered.",
    },
    KpiDef {
        id: 43,
        code: "parts_per_bp_ro",
        zh: "钣喷车平均零件营业额",
        en: "Parts revenue per body-paint RO",
        category: Operating,
        unit: Unit::YuanPerRo,
        direction: UP,
        guideline: None,
        num: f(F::parts_revenue_body_paint),
        den: f(F::ro_body_paint_delivered),
        scale: YUAN,
        explain: "Body-paint parts revenue over body-paint vehicles delivered.",
    },
    KpiDef {
        id: 44,
        code: "parts_per_ro",
        zh: "平均每台次零件营业额",
        en: "Parts revenue per RO",
        category: Operating,
        unit: Unit::YuanPerRo,
        direction: UP,
        guideline: None,
        num: t(T::parts_revenue_total),
        den: f(F::ro_delivered),
        scale: YUAN,
        explain: "Parts revenue (mechanical + body-paint + internal) over vehicles delivered.",
    },
    KpiDef {
        id: 45,
        code: "bp_revenue_per_ro",
        zh: "钣喷平均修理营业额",
        en: "Body-paint revenue per body-paint RO",
        category: Operating,
        unit: Unit::YuanPerRo,
        direction: UP,
        guideline: None,
        num: f(F::body_paint_revenue),
        den: f(F::ro_body_paint_delivered),
        scale: YUAN,
        explain: "Body-paint revenue over body-paint vehicles delivered.",
    },
    KpiDef {
        id: 46,
        code: "revenue_per_ro",
        zh: "平均每台次修理营业额(客单价)",
        en: "Service revenue per RO",
        category: Operating,
        unit: Unit::YuanPerRo,
        direction: UP,
        guideline: None,
        num: t(T::service_revenue_total),
        den: f(F::ro_delivered),
        scale: YUAN,
        explain: "Total service revenue over vehicles delivered.",
    },
    KpiDef {
        id: 47,
        code: "fixed_cost_coverage",
        zh: "固定费用覆盖率",
        en: "Fixed-cost coverage",
        category: Operating,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: t(T::gross_profit_total),
        den: f(F::fixed_expenses),
        scale: PCT,
        explain: "Total service gross profit over fixed expenses.",
    },
    KpiDef {
        id: 48,
        code: "absorption",
        zh: "全店费用覆盖率(吸收率)",
        en: "Absorption rate",
        category: Operating,
        unit: Unit::Percent,
        direction: UP,
        guideline: band(Some(75.0), Some(100.0)),
        num: t(T::gross_profit_total),
        den: f(F::dealership_expenses_total),
        scale: PCT,
        explain: "Total service gross profit over the whole dealership's expenses; guideline 75–100 %.",
    },
    KpiDef {
        id: 49,
        code: "gross_margin",
        zh: "毛利率",
        en: "Service gross margin",
        category: Operating,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: t(T::gross_profit_total),
        den: t(T::service_revenue_total),
        scale: PCT,
        explain: "Total service gross profit over total service revenue.",
    },
    KpiDef {
        id: 50,
        code: "labor_gross_margin",
        zh: "工时毛利率",
        en: "Labor gross margin",
        category: Operating,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: Sub(&t(T::labor_revenue_total), &f(F::technician_wages)),
        den: t(T::labor_revenue_total),
        scale: PCT,
        explain: "(Labor revenue − technician wages) over labor revenue.",
    },
    // --- productivity, workshop and parts [001] [002] [000] ---
    KpiDef {
        id: 60,
        code: "technician_productivity",
        zh: "维修工生产率(工时效率)",
        en: "Technician productivity",
        category: Productivity,
        unit: Unit::Percent,
        direction: UP,
        guideline: band(Some(110.0), None),
        num: f(F::hours_sold),
        den: f(F::hours_worked),
        scale: PCT,
        explain: "Hours sold (standard hours) over hours actually worked; guideline 110 %.",
    },
    KpiDef {
        id: 61,
        code: "technician_utilization",
        zh: "工时利用率",
        en: "Technician utilization",
        category: Productivity,
        unit: Unit::Percent,
        direction: UP,
        guideline: band(Some(85.0), None),
        num: f(F::hours_worked),
        den: f(F::hours_attended),
        scale: PCT,
        explain: "Hours worked on jobs over hours attended; guideline 85 %.",
    },
    KpiDef {
        id: 62,
        code: "parts_fill_rate",
        zh: "备件满足率",
        en: "Parts fill rate",
        category: Productivity,
        unit: Unit::Percent,
        direction: UP,
        guideline: band(Some(95.0), None),
        num: f(F::parts_lines_filled_from_stock),
        den: f(F::parts_lines_requested),
        scale: PCT,
        explain: "Order lines fully served from stock over order lines requested; guideline 95 % (the source prints the ratio inverted).",
    },
    KpiDef {
        id: 63,
        code: "parts_turnover",
        zh: "备件周转率(月)",
        en: "Parts turnover (monthly)",
        category: Productivity,
        unit: Unit::Ratio,
        direction: UP,
        guideline: None,
        num: Mul(&[f(F::parts_cost_of_sales), K(2)]),
        den: Add(&[f(F::parts_inventory_begin), f(F::parts_inventory_end)]),
        scale: ONE,
        explain: "Parts cost of sales over the average of opening and closing inventory.",
    },
    KpiDef {
        id: 64,
        code: "comeback_rate",
        zh: "返修率",
        en: "Comeback rate",
        category: Productivity,
        unit: Unit::Percent,
        direction: DOWN,
        guideline: None,
        num: f(F::ro_comebacks),
        den: f(F::ro_delivered),
        scale: PCT,
        explain: "Vehicles back for the same fault over vehicles delivered.",
    },
    KpiDef {
        id: 65,
        code: "same_day_delivery",
        zh: "当天交车率",
        en: "Same-day delivery",
        category: Productivity,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: f(F::ro_same_day_out),
        den: f(F::ro_same_day_in),
        scale: PCT,
        explain: "Vehicles delivered the day they arrived over vehicles arriving for same-day work.",
    },
    KpiDef {
        id: 66,
        code: "appointment_rate",
        zh: "预约率",
        en: "Appointment rate",
        category: Productivity,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: f(F::appointments),
        den: t(T::ro_total),
        scale: PCT,
        explain: "Appointments over repair orders.",
    },
    KpiDef {
        id: 67,
        code: "appointment_kept",
        zh: "预约成功率",
        en: "Appointments kept",
        category: Productivity,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: f(F::appointments_kept),
        den: f(F::appointments),
        scale: PCT,
        explain: "Appointments kept over appointments.",
    },
    KpiDef {
        id: 68,
        code: "complaint_rate",
        zh: "投诉率",
        en: "Complaint rate",
        category: Productivity,
        unit: Unit::Percent,
        direction: DOWN,
        guideline: None,
        num: f(F::complaints_formal),
        den: f(F::ro_delivered),
        scale: PCT,
        explain: "Formal complaints over vehicles delivered.",
    },
    KpiDef {
        id: 69,
        code: "staff_turnover",
        zh: "员工离职率",
        en: "Staff turnover",
        category: Productivity,
        unit: Unit::Percent,
        direction: DOWN,
        guideline: None,
        num: f(F::staff_resigned),
        den: f(F::service_staff_total),
        scale: PCT,
        explain: "Service staff who resigned over service staff.",
    },
    KpiDef {
        id: 70,
        code: "level2_tech_share",
        zh: "二级技术人员比例",
        en: "Level-2 technician share",
        category: Productivity,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: f(F::technicians_level2),
        den: f(F::technicians_total),
        scale: PCT,
        explain: "Level-2 technicians over all technicians.",
    },
    KpiDef {
        id: 71,
        code: "indirect_direct_ratio",
        zh: "间接/直接人员比",
        en: "Indirect to direct staff",
        category: Productivity,
        unit: Unit::Ratio,
        direction: DOWN,
        guideline: None,
        num: f(F::indirect_staff),
        den: f(F::technicians_total),
        scale: ONE,
        explain: "Indirect staff over technicians (direct staff).",
    },
    KpiDef {
        id: 72,
        code: "customer_pay_labor_share",
        zh: "有费工资和总服务收入比",
        en: "Customer-pay labor over service revenue",
        category: Productivity,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: f(F::labor_revenue_customer),
        den: t(T::service_revenue_total),
        scale: PCT,
        explain: "Customer-pay labor revenue over total service revenue.",
    },
    KpiDef {
        id: 73,
        code: "revenue_per_service_staff",
        zh: "每服务人员的总服务收入",
        en: "Service revenue per service staff",
        category: Productivity,
        unit: Unit::YuanPerPerson,
        direction: UP,
        guideline: None,
        num: t(T::service_revenue_total),
        den: f(F::service_staff_total),
        scale: YUAN,
        explain: "Total service revenue over service staff.",
    },
    KpiDef {
        id: 74,
        code: "ros_per_technician",
        zh: "每维修工服务台数",
        en: "ROs per technician",
        category: Productivity,
        unit: Unit::RosPerPerson,
        direction: UP,
        guideline: None,
        num: t(T::ro_total),
        den: f(F::technicians_total),
        scale: ONE,
        explain: "Repair orders over technicians.",
    },
    KpiDef {
        id: 75,
        code: "paid_service_share",
        zh: "有费服务比率(顾客确保率)",
        en: "Paid service share",
        category: Productivity,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: t(T::ro_paid),
        den: t(T::ro_total),
        scale: PCT,
        explain: "Paid repair orders over all repair orders.",
    },
    KpiDef {
        id: 76,
        code: "csi",
        zh: "满意度",
        en: "Customer satisfaction (CSI)",
        category: Productivity,
        unit: Unit::Score,
        direction: UP,
        guideline: None,
        num: f(F::csi_score),
        den: K(100),
        scale: ONE,
        explain: "The OEM survey score; pooled, the average over the dealer-months that report one.",
    },
    // --- 营业额构成 (revenue mix) [001] ---
    KpiDef {
        id: 80,
        code: "labor_revenue_share",
        zh: "工时营业额比例",
        en: "Labor share of revenue",
        category: RevenueMix,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: t(T::labor_revenue_total),
        den: t(T::service_revenue_total),
        scale: PCT,
        explain: "Labor revenue over total service revenue.",
    },
    KpiDef {
        id: 81,
        code: "parts_revenue_share",
        zh: "零件营业额比例",
        en: "Parts share of revenue",
        category: RevenueMix,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: t(T::parts_revenue_total),
        den: t(T::service_revenue_total),
        scale: PCT,
        explain: "Parts revenue over total service revenue.",
    },
    KpiDef {
        id: 82,
        code: "warranty_revenue_share",
        zh: "保修营业额比例",
        en: "Warranty share of revenue",
        category: RevenueMix,
        unit: Unit::Percent,
        direction: DOWN,
        guideline: None,
        num: f(F::labor_revenue_warranty),
        den: t(T::service_revenue_total),
        scale: PCT,
        explain: "Warranty labor revenue over total service revenue.",
    },
    KpiDef {
        id: 83,
        code: "body_paint_revenue_share",
        zh: "钣喷营业额比例",
        en: "Body-paint share of revenue",
        category: RevenueMix,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: f(F::body_paint_revenue),
        den: t(T::service_revenue_total),
        scale: PCT,
        explain: "Body-paint revenue over total service revenue.",
    },
    KpiDef {
        id: 84,
        code: "maintenance_revenue_share",
        zh: "定保营业额比例",
        en: "Maintenance share of revenue",
        category: RevenueMix,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: f(F::maintenance_revenue),
        den: t(T::service_revenue_total),
        scale: PCT,
        explain: "Periodic-maintenance revenue over total service revenue.",
    },
    KpiDef {
        id: 85,
        code: "general_repair_revenue_share",
        zh: "一般维修营业额比例",
        en: "General-repair share of revenue",
        category: RevenueMix,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: f(F::general_repair_revenue),
        den: t(T::service_revenue_total),
        scale: PCT,
        explain: "General-repair revenue over total service revenue.",
    },
    // --- 台次构成 (repair-order mix) [001] ---
    KpiDef {
        id: 90,
        code: "maintenance_ro_share",
        zh: "定保台次比例",
        en: "Maintenance share of ROs",
        category: RoMix,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: Add(&[f(F::ro_paid_maintenance), f(F::ro_free_inspection)]),
        den: t(T::ro_total),
        scale: PCT,
        explain: "Maintenance repair orders (paid maintenance + free inspection) over all repair orders.",
    },
    KpiDef {
        id: 91,
        code: "warranty_ro_share",
        zh: "索赔台次比例",
        en: "Warranty share of ROs",
        category: RoMix,
        unit: Unit::Percent,
        direction: DOWN,
        guideline: None,
        num: f(F::ro_warranty),
        den: t(T::ro_total),
        scale: PCT,
        explain: "Warranty repair orders over all repair orders.",
    },
    KpiDef {
        id: 92,
        code: "general_repair_ro_share",
        zh: "一般修理台次比例",
        en: "General-repair share of ROs",
        category: RoMix,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: f(F::ro_paid_repair),
        den: t(T::ro_total),
        scale: PCT,
        explain: "Paid general-repair orders over all repair orders.",
    },
    KpiDef {
        id: 93,
        code: "comeback_ro_share",
        zh: "返修台次比例",
        en: "Comebacks over ROs",
        category: RoMix,
        unit: Unit::Percent,
        direction: DOWN,
        guideline: None,
        num: f(F::ro_comebacks),
        den: t(T::ro_total),
        scale: PCT,
        explain: "Comebacks over all repair orders.",
    },
    // --- 工时销售组成 (labor sales mix) [002] ---
    KpiDef {
        id: 100,
        code: "customer_labor_share",
        zh: "客户支付工时比例",
        en: "Customer-pay share of labor",
        category: LaborMix,
        unit: Unit::Percent,
        direction: UP,
        guideline: None,
        num: f(F::labor_revenue_customer),
        den: t(T::labor_revenue_total),
        scale: PCT,
        explain: "Customer-pay labor revenue over labor revenue.",
    },
    KpiDef {
        id: 101,
        code: "warranty_labor_share",
        zh: "保修工时比例",
        en: "Warranty share of labor",
        category: LaborMix,
        unit: Unit::Percent,
        direction: DOWN,
        guideline: None,
        num: f(F::labor_revenue_warranty),
        den: t(T::labor_revenue_total),
        scale: PCT,
        explain: "Warranty labor revenue over labor revenue.",
    },
    KpiDef {
        id: 102,
        code: "internal_labor_share",
        zh: "内部工时比例",
        en: "Internal share of labor",
        category: LaborMix,
        unit: Unit::Percent,
        direction: DOWN,
        guideline: None,
        num: f(F::labor_revenue_internal),
        den: t(T::labor_revenue_total),
        scale: PCT,
        explain: "Internal labor revenue over labor revenue.",
    },
];

/// The deepest month offset any KPI reads: a report of month M feeds KPIs up to M + this.
pub fn max_window() -> u8 {
    KPIS.iter().map(KpiDef::max_lag).max().unwrap_or(0)
}

/// Looks a KPI up by code.
pub fn by_code(code: &str) -> Option<&'static KpiDef> {
    KPIS.iter().find(|k| k.code == code)
}

/// Looks a KPI up by storage id.
pub fn by_id(id: i16) -> Option<&'static KpiDef> {
    KPIS.iter().find(|k| k.id == id)
}

/// One KPI of one dealer-month: numerator and denominator, or why there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fact {
    pub kpi: i16,
    pub value: Result<(i64, i64), Unavailable>,
}

/// A dealer's reports by month, as KPI inputs for month `n`.
pub struct DealerMonths<'a> {
    pub reports: &'a BTreeMap<Month, Values>,
    pub n: Month,
    /// The OEM parameters in force for month `n` and this dealer's region.
    pub params: &'a dyn Fn(Param) -> Option<i64>,
}

impl Inputs for DealerMonths<'_> {
    fn month(&self, lag: u8) -> Option<&Values> {
        self.reports.get(&self.n.plus(-i32::from(lag)))
    }

    fn param(&self, p: Param) -> Option<i64> {
        (self.params)(p)
    }
}

/// Every KPI of one dealer-month. The month itself must have a report.
pub fn facts(inputs: &dyn Inputs) -> Vec<Fact> {
    KPIS.iter()
        .map(|k| Fact {
            kpi: k.id,
            value: k.eval(inputs),
        })
        .collect()
}

/// Whether the KPI reads an OEM parameter (so a parameter change must recompute it).
pub fn uses_param(k: &KpiDef) -> bool {
    fn walk(e: &Expr) -> bool {
        match e {
            Expr::P(_) => true,
            Expr::Add(xs) | Expr::Mul(xs) => xs.iter().any(walk),
            Expr::Sub(a, b) => walk(a) || walk(b),
            _ => false,
        }
    }
    walk(&k.num) || walk(&k.den)
}

/// An OEM parameter value in force: for a year, nationally (`region` empty) or for a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamValue {
    pub param: Param,
    pub year: i32,
    /// Empty for the whole network.
    pub region_code: String,
    /// In the parameter's stored unit (thousandths).
    pub value: i64,
}

/// The value of `param` for a month's year and a region: the region's own, else the national.
pub fn param_for(
    params: &[ParamValue],
    param: Param,
    year: i32,
    region: Option<&str>,
) -> Option<i64> {
    let hit = |r: &str| {
        params
            .iter()
            .find(|p| p.param == param && p.year == year && p.region_code == r)
            .map(|p| p.value)
    };
    region.and_then(hit).or_else(|| hit(""))
}

/// The facts of one dealer for the months of `from..=to` it reported, for the KPIs `only`
/// (all when `None`). `reports` must hold the dealer's months from `from` − 7 on.
pub fn dealer_facts(
    reports: &BTreeMap<Month, Values>,
    from: Month,
    to: Month,
    params: &[ParamValue],
    region_at: &dyn Fn(Month) -> Option<String>,
    only: Option<&[i16]>,
) -> Vec<(Month, Fact)> {
    let mut out = Vec::new();
    for (&n, _) in reports.range(from..=to) {
        let region = region_at(n);
        let lookup = |p: Param| param_for(params, p, n.year(), region.as_deref());
        let inputs = DealerMonths {
            reports,
            n,
            params: &lookup,
        };
        for k in KPIS
            .iter()
            .filter(|k| only.is_none_or(|ids| ids.contains(&k.id)))
        {
            out.push((
                n,
                Fact {
                    kpi: k.id,
                    value: k.eval(&inputs),
                },
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_ids_are_unique() {
        let mut codes: Vec<_> = KPIS.iter().map(|k| k.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), KPIS.len());
        let mut ids: Vec<_> = KPIS.iter().map(|k| k.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), KPIS.len());
        assert_eq!(by_code("first_time_fix").unwrap().id, 11);
        assert_eq!(by_id(11).unwrap().code, "first_time_fix");
        assert_eq!(max_window(), 7);
    }

    #[test]
    fn guideline_status() {
        let g = Guideline {
            low: Some(75.0),
            high: Some(100.0),
        };
        assert_eq!(g.status(74.9), GuidelineStatus::Below);
        assert_eq!(g.status(75.0), GuidelineStatus::Within);
        assert_eq!(g.status(100.0), GuidelineStatus::Within);
        assert_eq!(g.status(100.1), GuidelineStatus::Above);
    }

    #[test]
    fn describe_formulas() {
        assert_eq!(
            by_code("first_time_fix").unwrap().num.describe(),
            "(ro_delivered - ro_comebacks)"
        );
        assert_eq!(
            by_code("management_internalization")
                .unwrap()
                .den
                .describe(),
            "Σ own_sales_units[N-7..N-2]"
        );
        assert_eq!(
            by_code("mechanic_ros_per_day").unwrap().den.describe(),
            "mechanics × working_days"
        );
    }
}
