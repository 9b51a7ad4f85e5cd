//! The KPI catalog and engine.
//!
//! Every KPI is `numerator / denominator × scale`, with numerator and denominator written
//! as expressions over report fields, totals, earlier months and OEM parameters. Each is
//! evaluated exactly, in storage units (integers), per dealer-month; a period or a group of
//! dealers is then the ratio of the summed numerators and denominators (the pooled value).
//! The catalog is one table, [`KPIS`]: adding a KPI is adding an entry.

mod catalog;
mod def;
mod engine;
mod expr;
mod fact;
mod params;

pub use catalog::KPIS;
pub use def::{Category, Direction, Guideline, GuidelineStatus, KpiDef, Unit};
pub use engine::{dealer_facts, facts, no_targets, uses_param, DealerMonths, MonthTargets};
pub use expr::{Expr, Inputs};
pub use fact::{Fact, FactValue, Unavailable};
pub use params::{param_for, Param, ParamValue};

/// The deepest month offset any KPI reads: a report of month M feeds KPIs up to M + this.
pub fn max_window() -> u8 {
    KPIS.iter().map(KpiDef::max_lag).max().unwrap_or(0)
}

/// A digest of what the facts depend on: every KPI's id, formula and scale, and the
/// totals the formulas read. Facts stored under another digest are stale: they are
/// recomputed at start (see `App::upgrade_catalog`).
pub fn fingerprint() -> String {
    use sha2::{Digest, Sha256};
    let mut text = String::new();
    for k in KPIS {
        let (a, b) = k.scale;
        text += &format!(
            "{} {} {} / {} × {a}/{b}\n",
            k.id,
            k.code,
            k.num.describe(),
            k.den.describe()
        );
    }
    for t in crate::domain::report::TOTALS {
        let parts: Vec<&str> = t.parts.iter().map(|f| f.name()).collect();
        text += &format!("{} = {}\n", t.name, parts.join(" + "));
    }
    Sha256::digest(text.as_bytes())
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Looks a KPI up by code.
pub fn by_code(code: &str) -> Option<&'static KpiDef> {
    KPIS.iter().find(|k| k.code == code)
}

/// The KPI of an item's target achievement (`achievement_<item>`).
pub fn achievement(item: crate::domain::targets::TargetItem) -> &'static KpiDef {
    KPIS.iter()
        .find(|k| matches!(k.den, Expr::Target(i) if i == item))
        .expect("every target item has its achievement KPI")
}

/// Looks a KPI up by storage id.
pub fn by_id(id: i16) -> Option<&'static KpiDef> {
    KPIS.iter().find(|k| k.id == id)
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
        assert_eq!(max_window(), 12);
    }

    #[test]
    fn fingerprint_is_stable_and_short() {
        let f = fingerprint();
        assert_eq!(f.len(), 24);
        assert!(f.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(f, fingerprint());
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
