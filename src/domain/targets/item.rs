//! The target items of [001] (目标管理): six volumes a dealer plans each year, and the
//! report figure each is measured by.

use serde::Serialize;

use crate::domain::fields::{Field, FieldKind};
use crate::domain::report::{Total, Values};

/// A volume a dealer plans for the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum TargetItem {
    /// 总维修台次: every repair order of the month (`ro_all`).
    TotalRos,
    /// 品牌车维修台次: repair orders on the OEM's brand (`ro_brand`).
    BrandRos,
    /// 总工时营业额: labor revenue, every payer (`labor_revenue_total`).
    LaborRevenue,
    /// 品牌车工时费: labor revenue on the OEM's brand (`labor_revenue_brand`).
    BrandLaborRevenue,
    /// 零件内销营业额: parts sold through the workshop (`parts_revenue_total`).
    WorkshopParts,
    /// 品牌零件内销营业额: of which on the OEM's brand (`parts_revenue_brand`).
    BrandWorkshopParts,
}

/// What an item is measured by.
#[derive(Debug, Clone, Copy)]
enum Measure {
    Field(Field),
    Total(Total),
}

impl TargetItem {
    pub const ALL: [TargetItem; 6] = [
        TargetItem::TotalRos,
        TargetItem::BrandRos,
        TargetItem::LaborRevenue,
        TargetItem::BrandLaborRevenue,
        TargetItem::WorkshopParts,
        TargetItem::BrandWorkshopParts,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TargetItem::TotalRos => "total_ros",
            TargetItem::BrandRos => "brand_ros",
            TargetItem::LaborRevenue => "labor_revenue",
            TargetItem::BrandLaborRevenue => "brand_labor_revenue",
            TargetItem::WorkshopParts => "workshop_parts",
            TargetItem::BrandWorkshopParts => "brand_workshop_parts",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            TargetItem::TotalRos => "总维修台次",
            TargetItem::BrandRos => "品牌车维修台次",
            TargetItem::LaborRevenue => "总工时营业额",
            TargetItem::BrandLaborRevenue => "品牌车工时费",
            TargetItem::WorkshopParts => "零件内销营业额",
            TargetItem::BrandWorkshopParts => "品牌零件内销营业额",
        }
    }

    pub fn parse(code: &str) -> Option<TargetItem> {
        TargetItem::ALL.into_iter().find(|i| i.code() == code)
    }

    const fn measure(self) -> Measure {
        match self {
            TargetItem::TotalRos => Measure::Total(Total::ro_all),
            TargetItem::BrandRos => Measure::Field(Field::ro_brand),
            TargetItem::LaborRevenue => Measure::Total(Total::labor_revenue_total),
            TargetItem::BrandLaborRevenue => Measure::Field(Field::labor_revenue_brand),
            TargetItem::WorkshopParts => Measure::Total(Total::parts_revenue_total),
            TargetItem::BrandWorkshopParts => Measure::Field(Field::parts_revenue_brand),
        }
    }

    /// Counts or money (yuan, stored in fen).
    pub fn kind(self) -> FieldKind {
        match self.measure() {
            Measure::Field(f) => f.kind(),
            Measure::Total(t) => t.def().kind,
        }
    }

    /// The report figure it is measured by, by name (`ro_all`, `labor_revenue_brand`).
    pub fn measured_by(self) -> &'static str {
        match self.measure() {
            Measure::Field(f) => f.name(),
            Measure::Total(t) => t.def().name,
        }
    }

    /// The month's actual, in storage units; `None` when the report lacks it.
    pub fn actual(self, v: &Values) -> Option<i64> {
        match self.measure() {
            Measure::Field(f) => v.get(f),
            Measure::Total(t) => v.total(t),
        }
    }

    /// The report figure as a KPI expression (the numerator of the item's achievement).
    pub const fn expr(self) -> crate::domain::kpi::Expr {
        use crate::domain::kpi::Expr;
        match self.measure() {
            Measure::Field(f) => Expr::F(f, 0),
            Measure::Total(t) => Expr::T(t, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_measured_by_report_figures() {
        let v = Values::default()
            .with(Field::ro_paid_maintenance, 1)
            .with(Field::ro_paid_repair, 2)
            .with(Field::ro_free_inspection, 3)
            .with(Field::ro_free_repair, 4)
            .with(Field::ro_warranty, 5)
            .with(Field::ro_internal, 6)
            .with(Field::ro_brand, 15);
        assert_eq!(TargetItem::TotalRos.actual(&v), Some(21));
        assert_eq!(TargetItem::BrandRos.actual(&v), Some(15));
        assert_eq!(TargetItem::LaborRevenue.actual(&v), None);
        assert_eq!(TargetItem::BrandLaborRevenue.kind(), FieldKind::Money);
        assert_eq!(TargetItem::TotalRos.kind(), FieldKind::Count);
        for i in TargetItem::ALL {
            assert_eq!(TargetItem::parse(i.code()), Some(i));
        }
        assert_eq!(
            TargetItem::WorkshopParts.measured_by(),
            "parts_revenue_total"
        );
    }
}
