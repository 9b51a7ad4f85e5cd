//! Computing a dealer's facts from its reports: every KPI of every month asked, with the
//! earlier months their windows read.

use std::collections::BTreeMap;

use super::catalog::KPIS;
use super::def::KpiDef;
use super::expr::{Expr, Inputs};
use super::fact::Fact;
use super::params::{param_for, Param, ParamValue};
use crate::domain::period::Month;
use crate::domain::report::Values;
use crate::domain::targets::TargetItem;

/// A dealer's reports by month, as KPI inputs for month `n`.
pub struct DealerMonths<'a> {
    pub reports: &'a BTreeMap<Month, Values>,
    pub n: Month,
    /// The OEM parameters in force for month `n` and this dealer's region.
    pub params: &'a dyn Fn(Param) -> Option<i64>,
    /// The dealer's approved targets of month `n`, phased.
    pub targets: &'a dyn Fn(TargetItem) -> Option<i64>,
}

impl Inputs for DealerMonths<'_> {
    fn month(&self, lag: u8) -> Option<&Values> {
        self.reports.get(&self.n.plus(-i32::from(lag)))
    }

    fn param(&self, p: Param) -> Option<i64> {
        (self.params)(p)
    }

    fn target(&self, item: TargetItem) -> Option<i64> {
        (self.targets)(item)
    }
}

/// A dealer's approved targets by month, phased (for [`dealer_facts`]).
pub type MonthTargets<'a> = &'a dyn Fn(Month, TargetItem) -> Option<i64>;

/// No targets at all.
pub fn no_targets(_: Month, _: TargetItem) -> Option<i64> {
    None
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

/// The facts of one dealer for the months of `from..=to` it reported, with its approved
/// phased `targets`, for the KPIs `only`
/// (all when `None`). `reports` must hold the dealer's months from `from` − [`max_window`](super::max_window) on.
pub fn dealer_facts(
    reports: &BTreeMap<Month, Values>,
    from: Month,
    to: Month,
    params: &[ParamValue],
    region_at: &dyn Fn(Month) -> Option<String>,
    targets: MonthTargets<'_>,
    only: Option<&[i16]>,
) -> Vec<(Month, Fact)> {
    let mut out = Vec::new();
    for (&n, _) in reports.range(from..=to) {
        let region = region_at(n);
        let lookup = |p: Param| param_for(params, p, n.year(), region.as_deref());
        let target = |i: TargetItem| targets(n, i);
        let inputs = DealerMonths {
            reports,
            n,
            params: &lookup,
            targets: &target,
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
