//! What a target is set on: one of the six items, or any catalog KPI (a ratio target such
//! as first-time fix ≥ 95 %, judged in the KPI's direction).

use rust_decimal::Decimal;

use super::item::TargetItem;
use crate::domain::fields::FieldKind;
use crate::domain::kpi::{self, Category, KpiDef};

/// The subject of a target, as written in the API: an item code (`brand_ros`) or
/// `kpi:<code>` (`kpi:first_time_fix`).
#[derive(Debug, Clone, Copy)]
pub enum TargetSubject {
    Item(TargetItem),
    Kpi(&'static KpiDef),
}

impl PartialEq for TargetSubject {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (TargetSubject::Item(a), TargetSubject::Item(b)) => a == b,
            (TargetSubject::Kpi(a), TargetSubject::Kpi(b)) => a.id == b.id,
            _ => false,
        }
    }
}

/// The largest target value accepted, in storage units (beyond it a value is a typo).
const MAX_STORED: i64 = 1_000_000_000_000_000;

impl TargetSubject {
    /// Parses `brand_ros` or `kpi:first_time_fix`, or says what is wrong.
    pub fn parse(s: &str) -> Result<TargetSubject, String> {
        if let Some(code) = s.strip_prefix("kpi:") {
            return match kpi::by_code(code) {
                Some(k) if k.category == Category::Targets => Err(format!(
                    "`{code}` measures a target's achievement: set a target on the item itself"
                )),
                Some(k) => Ok(TargetSubject::Kpi(k)),
                None => Err(format!(
                    "unknown KPI `{}`: see kpiCatalog for the codes",
                    crate::domain::text::excerpt(code)
                )),
            };
        }
        TargetItem::parse(s)
            .map(TargetSubject::Item)
            .ok_or_else(|| {
                let items: Vec<&str> = TargetItem::ALL.iter().map(|i| i.code()).collect();
                format!(
                    "unknown target item `{}`: one of {} or kpi:<KPI code>",
                    crate::domain::text::excerpt(s),
                    items.join(", ")
                )
            })
    }

    pub fn code(self) -> String {
        match self {
            TargetSubject::Item(i) => i.code().to_string(),
            TargetSubject::Kpi(k) => format!("kpi:{}", k.code),
        }
    }

    /// Stored units per displayed unit: 1 for counts, 100 for money (fen) and for KPI
    /// values (hundredths).
    pub fn unit(self) -> i64 {
        match self {
            TargetSubject::Item(i) if i.kind() == FieldKind::Count => 1,
            _ => 100,
        }
    }

    /// An entered value in storage units, or why it is refused: counts whole and not
    /// negative, money not negative with at most 2 decimals, KPI values with at most 2.
    pub fn stored(self, value: Decimal) -> Result<i64, String> {
        let unit = self.unit();
        if unit == 1 && !value.fract().is_zero() {
            return Err(format!(
                "must be a whole number of repair orders, got {value}"
            ));
        }
        if value.normalize().scale() > 2 {
            return Err(format!("at most 2 decimals, got {value}"));
        }
        if matches!(self, TargetSubject::Item(_)) && value.is_sign_negative() && !value.is_zero() {
            return Err(format!("must not be negative, got {value}"));
        }
        let stored = value
            .checked_mul(Decimal::from(unit))
            .and_then(|v| i64::try_from(v).ok())
            .filter(|v| v.abs() <= MAX_STORED)
            .ok_or_else(|| format!("{value} is beyond any plausible target"))?;
        Ok(stored)
    }

    /// A stored value back in display units.
    pub fn display(self, stored: i64) -> Decimal {
        match self.unit() {
            1 => Decimal::from(stored),
            _ => Decimal::new(stored, 2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn subjects_and_values() {
        let ros = TargetSubject::parse("brand_ros").unwrap();
        assert_eq!(ros.stored(d("12000")), Ok(12_000));
        assert!(ros.stored(d("12000.5")).is_err());
        assert!(ros.stored(d("-1")).is_err());
        let labor = TargetSubject::parse("labor_revenue").unwrap();
        assert_eq!(labor.stored(d("1234567.89")), Ok(123_456_789));
        assert!(labor.stored(d("1.234")).is_err());
        assert_eq!(labor.display(123_456_789), d("1234567.89"));
        let ftf = TargetSubject::parse("kpi:first_time_fix").unwrap();
        assert_eq!(ftf.code(), "kpi:first_time_fix");
        assert_eq!(ftf.stored(d("95.5")), Ok(9_550));
        let growth = TargetSubject::parse("kpi:revenue_growth").unwrap();
        assert_eq!(growth.stored(d("-2.5")), Ok(-250));
        assert!(TargetSubject::parse("kpi:achievement_brand_ros").is_err());
        assert!(TargetSubject::parse("kpi:nope").is_err());
        let e = TargetSubject::parse("ros").unwrap_err();
        assert!(e.contains("total_ros"), "{e}");
        assert!(ros.stored(d("79228162514264337593543950335")).is_err());
    }
}
