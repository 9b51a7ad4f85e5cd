//! What a KPI is: its names, family, unit, direction, guideline band and formula.

use serde::Serialize;

use super::expr::{Expr, Inputs};
use super::fact::Unavailable;

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
    /// 目标达成率 [001]: achievement of the yearly target items
    Targets,
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
