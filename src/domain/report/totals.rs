//! The computed totals of the MSI form (blue cells): sums of fields, never entered.

use crate::domain::fields::{Field, FieldKind};

/// A computed total (blue cell): always derived, never entered.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Total {
    ro_paid,
    ro_free,
    ro_total,
    ro_all,
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
        total: Total::ro_all,
        name: "ro_all",
        zh: "全部维修台数",
        kind: FieldKind::Count,
        parts: &[
            F::ro_paid_maintenance,
            F::ro_paid_repair,
            F::ro_free_inspection,
            F::ro_free_repair,
            F::ro_warranty,
            F::ro_internal,
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
