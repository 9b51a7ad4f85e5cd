//! The one table of raw report fields (white cells of the MSI report).
//!
//! Everything that lists fields — the domain types here, the GraphQL input and output
//! types, validation — is generated from [`with_report_fields!`], so a field is added in
//! exactly one place.

use super::period::Month;

/// Calls `$callback!` with the field table: sections, then `name: Kind "中文"` per field.
///
/// Kinds: `Count` (non-negative integer), `Money` (yuan, ≥ 0, 2 decimals), `Profit`
/// (yuan, may be negative, 2 decimals), `Hours` (≥ 0, 2 decimals), `Score` (0–100,
/// 2 decimals, the only optional kind).
#[macro_export]
macro_rules! with_report_fields {
    ($callback:ident) => {
        $callback! {
            period Period "报告期" {
                working_days: Count "工作天数",
            }
            capacity Capacity "维修能力" {
                reception_bays: Count "接待工位",
                general_repair_bays: Count "一般修理工位",
                express_bays: Count "快修工位",
                body_bays: Count "钣金工位",
                paint_bays: Count "喷漆工位",
                service_advisors: Count "接车员",
                mechanics: Count "机电工",
                body_techs: Count "钣金工",
                painters: Count "喷漆工",
                washers: Count "洗车工",
                technicians_total: Count "技术人员",
                technicians_level1: Count "一级技术员",
                technicians_level2: Count "二级技术员",
                indirect_staff: Count "间接人员",
            }
            repair_orders RepairOrders "维修台次" {
                ro_paid_maintenance: Count "有费定保台数",
                ro_paid_repair: Count "有费修理台数",
                ro_free_inspection: Count "免费定检台数",
                ro_free_repair: Count "免费修理台数",
                ro_warranty: Count "索赔修理台数",
                ro_internal: Count "内部台数",
                ro_brand: Count "品牌车维修台次",
                ro_customer_pay_brand: Count "品牌车客户付费台次",
                ro_delivered: Count "交车台数",
                ro_mechanical_delivered: Count "机电修理交车台数",
                ro_body_paint_delivered: Count "钣喷修理交车台数",
                ro_body_delivered: Count "钣金交车台数",
                ro_paint_delivered: Count "喷漆交车台数",
                ro_express_delivered: Count "快速保养交车台数",
                ro_washed: Count "洗车台数",
                ro_comebacks: Count "返修台数",
                ro_same_day_in: Count "当日进厂台数",
                ro_same_day_out: Count "当天交车台数",
                ro_within_estimate: Count "估价范围内完成台数",
                ro_on_time: Count "预定时间内完成台数",
                ro_estimate_given: Count "估价提示车辆数",
                appointments: Count "预约台次",
                appointments_kept: Count "预约成功台次",
            }
            revenue Revenue "销售收入" {
                labor_revenue_customer: Money "客户支付工时销售",
                labor_revenue_warranty: Money "保修工时销售",
                labor_revenue_internal: Money "内部工时销售",
                parts_revenue_mechanical: Money "机电零件营业额",
                parts_revenue_body_paint: Money "钣喷零件营业额",
                parts_revenue_internal: Money "零件内销营业额",
                body_paint_revenue: Money "钣喷修理营业额",
                maintenance_revenue: Money "定保营业额",
                general_repair_revenue: Money "一般维修营业额",
                sublet_revenue: Money "外包营业额",
                accessory_revenue: Money "精品营业额",
                labor_revenue_brand: Money "品牌车工时费",
                parts_revenue_brand: Money "品牌车零件内销营业额",
            }
            productivity Productivity "劳动生产率" {
                hours_attended: Hours "上班工时",
                hours_worked: Hours "实际工时",
                hours_sold: Hours "售出工时",
                technician_wages: Money "技师工资",
            }
            parts Parts "零件管理" {
                parts_inventory_begin: Money "月初库存",
                parts_inventory_end: Money "月末库存",
                parts_cost_of_sales: Money "零件销售成本",
                parts_lines_requested: Count "工单零件需求数",
                parts_lines_filled_from_stock: Count "完全由库存满足数",
            }
            customers Customers "客户资源" {
                vehicles_in_operation: Count "保有量",
                managed_customers: Count "管理内用户数",
                new_customers: Count "当月新用户数",
                new_managed_from_own_sales: Count "新增加管理内用户数(自店销售)",
                own_sales_units: Count "自店销售台数",
                warranty_registrations: Count "保修登记车辆数",
                first_services_of_own_sales: Count "回店首保车辆数",
                customer_files: Count "顾客资料数",
                customer_files_accurate: Count "必备项目正确的顾客资料数",
                customer_files_general: Count "一般顾客资料数",
                customer_files_loyal: Count "忠诚顾客资料数",
            }
            crm Crm "客户关系" {
                pm_due: Count "定期保养对象车辆数",
                pm_contacted: Count "联系成功车辆数",
                pm_invited: Count "邀请对象车辆数",
                pm_invited_arrived: Count "被邀请车辆实际来厂数",
                followups_due: Count "跟踪服务对象数",
                followups_done: Count "跟踪服务成功数",
                complaints_found: Count "不满意见数",
                complaints_resolved: Count "不满意见解决数",
                complaints_formal: Count "投诉数",
                csi_score: Score "满意度得分",
            }
            hr Hr "人力资源开发" {
                service_staff_total: Count "服务人员总数",
                staff_resigned: Count "离职人数",
                training_hours: Hours "培训工时",
            }
            financials Financials "财务指标" {
                gross_profit_labor: Profit "工时毛利",
                gross_profit_parts: Profit "零件毛利",
                gross_profit_other: Profit "其他毛利",
                fixed_expenses: Money "固定费用",
                dealership_expenses_total: Money "全店费用",
            }
        }
    };
}

/// Generates [`Field`], [`Section`] and the [`FIELDS`] catalog from the table.
macro_rules! define_fields {
    ($( $section:ident $Section:ident $section_zh:literal { $( $name:ident : $kind:ident $zh:literal, )* } )*) => {
        /// A section of the MSI report form.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Section { $( $Section, )* }

        impl Section {
            /// Every section, in form order.
            pub const ALL: &'static [Section] = &[ $( Section::$Section, )* ];

            /// snake_case name, as in storage.
            pub fn name(self) -> &'static str {
                match self { $( Section::$Section => stringify!($section), )* }
            }

            /// Chinese name on the paper form.
            pub fn zh(self) -> &'static str {
                match self { $( Section::$Section => $section_zh, )* }
            }
        }

        /// A raw field of the monthly report, named as in the domain reference.
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Field { $( $( $name, )* )* }

        impl Field {
            /// Looks a field up by its snake_case name. Every stored report is read through here,
            /// 87 names each: a `match` (by length, then bytes), not a scan or a hash.
            pub fn from_name(name: &str) -> Option<Field> {
                match name {
                    $( $( stringify!($name) => Some(Field::$name), )* )*
                    _ => None,
                }
            }
        }

        /// The field catalog, in form order; `FIELDS[f as usize].field == f`.
        pub static FIELDS: &[FieldDef] = &[
            $( $( FieldDef {
                field: Field::$name,
                name: stringify!($name),
                section: Section::$Section,
                kind: FieldKind::$kind,
                zh: $zh,
            }, )* )*
        ];
    };
}

with_report_fields!(define_fields);

/// Number of raw fields.
pub const FIELD_COUNT: usize = FIELDS.len();

/// What a field holds; decides its wire type, storage unit and basic rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A non-negative integer count.
    Count,
    /// Yuan, non-negative, at most 2 decimals; stored in fen (cents).
    Money,
    /// Yuan that may be negative (gross profit), at most 2 decimals; stored in fen.
    Profit,
    /// Hours, non-negative, at most 2 decimals; stored in hundredths of an hour.
    Hours,
    /// A 0–100 survey score, at most 2 decimals, optional; stored in hundredths.
    Score,
}

impl FieldKind {
    /// How many stored units make one displayed unit (1 for counts, 100 for the rest).
    pub fn unit(self) -> i64 {
        match self {
            FieldKind::Count => 1,
            _ => 100,
        }
    }

    /// Whether a complete report must carry a field of this kind.
    pub fn required(self) -> bool {
        self != FieldKind::Score
    }
}

/// Fields added to the form after reports were already being filed, and the first month
/// a complete report must carry them (earlier months may leave them out: KPIs reading
/// them are then `MISSING_INPUT` there, never zero).
pub const ADDED_FIELDS: &[(Field, i32, u32)] = &[
    // Brand labor revenue and brand parts sales, for the target items of [001].
    (Field::labor_revenue_brand, 2027, 1),
    (Field::parts_revenue_brand, 2027, 1),
];

/// The English label of a field, section or total, from its code: `working_days` →
/// `Working days` (the workbook's and the dashboard's second language).
pub fn english(code: &str) -> String {
    let mut s = code.replace('_', " ");
    if let Some(first) = s.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    s
}

/// One row of the field catalog.
#[derive(Debug)]
pub struct FieldDef {
    pub field: Field,
    /// snake_case name, as in the reference, storage and JSON.
    pub name: &'static str,
    pub section: Section,
    pub kind: FieldKind,
    /// The Chinese label on the MSI form.
    pub zh: &'static str,
}

impl Field {
    pub fn def(self) -> &'static FieldDef {
        &FIELDS[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.def().name
    }

    pub fn kind(self) -> FieldKind {
        self.def().kind
    }

    pub fn all() -> impl Iterator<Item = Field> {
        FIELDS.iter().map(|d| d.field)
    }

    /// Whether a complete report of `month` must carry this field.
    pub fn required_in(self, month: Month) -> bool {
        self.kind().required()
            && ADDED_FIELDS
                .iter()
                .find(|(f, ..)| *f == self)
                .is_none_or(|&(_, y, m)| Month::new(y, m).is_some_and(|from| month >= from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_indexed_by_field() {
        for (i, d) in FIELDS.iter().enumerate() {
            assert_eq!(d.field as usize, i);
            assert_eq!(Field::from_name(d.name), Some(d.field));
        }
        assert_eq!(Field::ro_comebacks.name(), "ro_comebacks");
        assert_eq!(Field::ro_comebacks.def().section, Section::RepairOrders);
    }

    #[test]
    fn names_are_unique_and_kinds_sensible() {
        let mut names: Vec<_> = FIELDS.iter().map(|d| d.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), FIELD_COUNT);
        assert_eq!(Field::csi_score.kind(), FieldKind::Score);
        assert!(!Field::csi_score.kind().required());
        assert_eq!(Field::gross_profit_labor.kind(), FieldKind::Profit);
        assert_eq!(Field::labor_revenue_customer.kind().unit(), 100);
        assert_eq!(Field::mechanics.kind().unit(), 1);
        assert_eq!(FIELD_COUNT, 89);
    }

    #[test]
    fn added_fields_are_required_from_their_month_on() {
        let dec: Month = "2026-12".parse().unwrap();
        let jan: Month = "2027-01".parse().unwrap();
        assert!(!Field::labor_revenue_brand.required_in(dec));
        assert!(Field::labor_revenue_brand.required_in(jan));
        assert!(!Field::parts_revenue_brand.required_in(dec));
        assert!(Field::parts_revenue_brand.required_in(jan));
        assert!(Field::mechanics.required_in(dec));
        assert!(!Field::csi_score.required_in(jan));
    }

    #[test]
    fn every_section_has_fields() {
        for s in Section::ALL {
            assert!(FIELDS.iter().any(|d| d.section == *s), "{}", s.name());
        }
    }
}
