//! GraphQL types of the monthly report, generated section by section from the field table.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::error::GqlResult;
use super::scalars::Decimal;
use crate::domain::report::decimal_value;
use crate::domain::{Field, FieldKind, Month, RawReport, Total, Values, Violation};
use crate::store::{ReportRecord, ReportStatus, Revision};

/// Entry type of a field kind: counts are integers, the rest exact decimals.
type CountIn = i64;
type MoneyIn = Decimal;
type ProfitIn = Decimal;
type HoursIn = Decimal;
type ScoreIn = Decimal;
type CountOut = i64;
type MoneyOut = Decimal;
type ProfitOut = Decimal;
type HoursOut = Decimal;
type ScoreOut = Decimal;

fn count_in(v: &i64) -> rust_decimal::Decimal {
    rust_decimal::Decimal::from(*v)
}

fn decimal_in(v: &Decimal) -> rust_decimal::Decimal {
    v.0
}

fn count_out(v: Option<i64>) -> Option<i64> {
    v
}

fn decimal_out(kind: FieldKind, v: Option<i64>) -> Option<Decimal> {
    v.map(|x| Decimal(decimal_value(kind, x)))
}

macro_rules! graphql_report_types {
    ($( $section:ident $Section:ident $section_zh:literal { $( $name:ident : $kind:ident $zh:literal, )* } )*) => { paste::paste! {
        $(
            #[doc = concat!("Report section ", $section_zh, " (entry). Absent fields stay empty in a draft.")]
            #[derive(InputObject, Default, Clone, Debug)]
            pub struct [<$Section Input>] {
                $( #[doc = $zh] pub $name: Option<[<$kind In>]>, )*
            }

            #[doc = concat!("Report section ", $section_zh, ".")]
            #[derive(SimpleObject, Clone, Debug)]
            pub struct [<$Section Values>] {
                $( #[doc = $zh] pub $name: Option<[<$kind Out>]>, )*
            }
        )*

        /// The figures of a monthly MSI report, by section (white cells only; totals are computed).
        #[derive(InputObject, Default, Clone, Debug)]
        pub struct ReportInput {
            $( pub $section: Option<[<$Section Input>]>, )*
        }

        /// The figures of a monthly MSI report, by section.
        #[derive(SimpleObject, Clone, Debug)]
        pub struct ReportValues {
            $( pub $section: [<$Section Values>], )*
        }

        impl ReportInput {
            /// The entered values, keyed by field, in display units.
            pub fn to_raw(&self) -> RawReport {
                let mut raw = RawReport::new();
                $( if let Some(s) = &self.$section {
                    $( if let Some(v) = &s.$name { raw.insert(Field::$name, graphql_report_types!(@in $kind v)); } )*
                } )*
                raw
            }
        }

        impl ReportValues {
            pub fn of(v: &Values) -> ReportValues {
                ReportValues { $( $section: [<$Section Values>] {
                    $( $name: graphql_report_types!(@out $kind v.get(Field::$name)), )*
                }, )* }
            }
        }

        /// The GraphQL path of a report field in `ReportInput` (`repairOrders.roComebacks`).
        pub fn field_path(name: &str) -> String {
            // A KPI compared with peers keeps its catalog code: `kpi:advisor_ros_per_day`.
            if name.starts_with("kpi:") {
                return name.to_string();
            }
            match Field::from_name(name) {
                $( $( Some(Field::$name) => format!("{}.{}", camel(stringify!($section)), camel(name)), )* )*
                None => camel(name),
            }
        }
    } };
    (@in Count $v:ident) => { count_in($v) };
    (@in $kind:ident $v:ident) => { decimal_in($v) };
    (@out Count $e:expr) => { count_out($e) };
    (@out $kind:ident $e:expr) => { decimal_out(FieldKind::$kind, $e) };
}

crate::with_report_fields!(graphql_report_types);

/// `snake_case` to `camelCase`, as async-graphql names fields.
pub(crate) fn camel(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut upper = false;
    for c in s.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Computed totals (blue cells) of a report; empty while a part is missing.
#[derive(SimpleObject, Clone, Debug)]
pub struct ReportTotals {
    /// 有费服务台数 = paid maintenance + paid repair.
    pub ro_paid: Option<i64>,
    /// 免费服务台数 = free inspection + free repair.
    pub ro_free: Option<i64>,
    /// 总服务台数 = paid + free.
    pub ro_total: Option<i64>,
    /// 全部维修台数 = paid + free + warranty + internal: every repair order of the month,
    /// what the repair-order mix shares divide by.
    pub ro_all: Option<i64>,
    /// 工时总销售 = customer + warranty + internal labor revenue.
    pub labor_revenue_total: Option<Decimal>,
    /// 零件总营业额 = mechanical + body-paint + internal parts revenue.
    pub parts_revenue_total: Option<Decimal>,
    /// 总服务收入 = labor + parts + sublet + accessory revenue.
    pub service_revenue_total: Option<Decimal>,
    /// 总毛利 = labor + parts + other gross profit.
    pub gross_profit_total: Option<Decimal>,
}

impl ReportTotals {
    pub fn of(v: &Values) -> ReportTotals {
        let money = |t: Total| decimal_out(t.def().kind, v.total(t));
        ReportTotals {
            ro_paid: v.total(Total::ro_paid),
            ro_free: v.total(Total::ro_free),
            ro_total: v.total(Total::ro_total),
            ro_all: v.total(Total::ro_all),
            labor_revenue_total: money(Total::labor_revenue_total),
            parts_revenue_total: money(Total::parts_revenue_total),
            service_revenue_total: money(Total::service_revenue_total),
            gross_profit_total: money(Total::gross_profit_total),
        }
    }
}

/// A value involved in a violation.
#[derive(SimpleObject, Clone, Debug)]
pub struct FieldValue {
    /// GraphQL path of the field (`repairOrders.roDelivered`).
    pub field: String,
    pub value: String,
}

/// A broken rule: the field, the rule, a message and the offending values.
#[derive(SimpleObject, Clone, Debug)]
pub struct RuleViolation {
    /// GraphQL path of the field in `ReportInput` (`repairOrders.roComebacks`), the argument
    /// (`month`), or `kpi:<code>` for a key figure compared with peers.
    pub field: String,
    /// Rule code: REQUIRED, INTEGER, TWO_DECIMALS, NON_NEGATIVE, RANGE, NOT_ABOVE, SUM_NOT_ABOVE, FUTURE_MONTH, DEALER_INACTIVE, PLAUSIBILITY, PEER_PLAUSIBILITY.
    pub rule: String,
    pub message: String,
    pub values: Vec<FieldValue>,
    /// The workbook cell (`MSI!D23`) of the field, when the report came as a workbook.
    pub cell: Option<String>,
}

impl From<&Violation> for RuleViolation {
    fn from(v: &Violation) -> Self {
        RuleViolation {
            cell: None,
            field: field_path(&v.field),
            rule: v.rule.code().to_string(),
            message: v.message.clone(),
            values: v
                .values
                .iter()
                .map(|(f, x)| FieldValue {
                    field: field_path(f),
                    value: x.clone(),
                })
                .collect(),
        }
    }
}

pub fn violations(vs: &[Violation]) -> Vec<RuleViolation> {
    vs.iter().map(RuleViolation::from).collect()
}

/// Where a stored report stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReportState {
    Draft,
    Accepted,
    AcceptedWithWarnings,
}

impl From<ReportStatus> for ReportState {
    fn from(s: ReportStatus) -> Self {
        match s {
            ReportStatus::Draft => ReportState::Draft,
            ReportStatus::Accepted => ReportState::Accepted,
            ReportStatus::AcceptedWithWarnings => ReportState::AcceptedWithWarnings,
        }
    }
}

pub fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// A dealer's MSI report for one month, as it stands now.
pub struct MonthlyReport(pub ReportRecord);

#[Object]
impl MonthlyReport {
    async fn dealer_code(&self) -> &str {
        &self.0.dealer_code
    }

    async fn month(&self) -> Month {
        self.0.month
    }

    async fn status(&self) -> ReportState {
        self.0.status.into()
    }

    /// 0 while a draft; 1 for the first submission, +1 per amendment. Send it back as `expectedRevision`.
    async fn revision(&self) -> i32 {
        self.0.revision
    }

    /// First submitted after the deadline.
    async fn late(&self) -> bool {
        self.0.late
    }

    async fn first_submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.first_submitted_at.map(time)
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        time(self.0.updated_at)
    }

    /// `sub` of who last changed it.
    async fn updated_by(&self) -> &str {
        &self.0.updated_by
    }

    async fn values(&self) -> ReportValues {
        ReportValues::of(&self.0.values)
    }

    async fn totals(&self) -> ReportTotals {
        ReportTotals::of(&self.0.values)
    }

    /// Range warnings of the current revision.
    async fn warnings(&self) -> Vec<RuleViolation> {
        violations(&self.0.warnings)
    }

    /// Every submitted revision, oldest first, each complete.
    async fn revisions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ReportRevision>> {
        let app = super::app(ctx);
        let revs = app
            .revisions(&self.0.dealer_code, self.0.month)
            .await
            .gql()?;
        Ok(revs.into_iter().map(ReportRevision).collect())
    }
}

/// One submitted revision of a report.
pub struct ReportRevision(pub Revision);

#[Object]
impl ReportRevision {
    async fn revision(&self) -> i32 {
        self.0.revision
    }

    async fn status(&self) -> ReportState {
        self.0.status.into()
    }

    /// `sub` of the author.
    async fn author(&self) -> &str {
        &self.0.author
    }

    /// Why it was amended; empty for the first submission.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        time(self.0.created_at)
    }

    async fn values(&self) -> ReportValues {
        ReportValues::of(&self.0.values)
    }

    async fn totals(&self) -> ReportTotals {
        ReportTotals::of(&self.0.values)
    }

    async fn warnings(&self) -> Vec<RuleViolation> {
        violations(&self.0.warnings)
    }
}

/// What became of a draft, submission or amendment.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum SubmissionOutcome {
    DraftSaved,
    Accepted,
    AcceptedWithWarnings,
    /// Hard errors (see `violations`): nothing was stored.
    Rejected,
    /// Exactly this content is already stored: nothing changed.
    Unchanged,
}

/// The answer to `saveReportDraft`, `submitMonthlyReport` and `amendMonthlyReport`.
#[derive(SimpleObject)]
pub struct SubmissionResult {
    pub outcome: SubmissionOutcome,
    /// A human-readable summary.
    pub message: String,
    /// The stored report (absent when rejected).
    pub report: Option<MonthlyReport>,
    /// Every hard error, all at once.
    pub violations: Vec<RuleViolation>,
    /// Range warnings the report was accepted with.
    pub warnings: Vec<RuleViolation>,
}

impl From<crate::app::SubmitOutcome> for SubmissionResult {
    fn from(o: crate::app::SubmitOutcome) -> Self {
        use crate::app::Outcome as O;
        let (outcome, message) = match o.outcome {
            O::DraftSaved => (SubmissionOutcome::DraftSaved, "draft saved".to_string()),
            O::Accepted => (SubmissionOutcome::Accepted, "report accepted".to_string()),
            O::AcceptedWithWarnings => (
                SubmissionOutcome::AcceptedWithWarnings,
                format!("report accepted with {} warning(s)", o.warnings.len()),
            ),
            O::Rejected => (
                SubmissionOutcome::Rejected,
                format!(
                    "report rejected: {} violation(s), nothing was stored",
                    o.errors.len()
                ),
            ),
            O::Unchanged => (
                SubmissionOutcome::Unchanged,
                "this exact content is already stored: nothing changed".to_string(),
            ),
        };
        SubmissionResult {
            outcome,
            message,
            report: o.record.map(MonthlyReport),
            violations: violations(&o.errors),
            warnings: violations(&o.warnings),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_graphql_paths() {
        assert_eq!(field_path("ro_comebacks"), "repairOrders.roComebacks");
        assert_eq!(
            field_path("technicians_level1"),
            "capacity.techniciansLevel1"
        );
        assert_eq!(field_path("dealer_code"), "dealerCode");
        assert_eq!(field_path("month"), "month");
        assert_eq!(field_path("peer_median"), "peerMedian");
        assert_eq!(
            field_path("kpi:advisor_ros_per_day"),
            "kpi:advisor_ros_per_day"
        );
    }

    #[test]
    fn input_converts_every_field() {
        let input = ReportInput {
            repair_orders: Some(RepairOrdersInput {
                ro_comebacks: Some(3),
                ..Default::default()
            }),
            revenue: Some(RevenueInput {
                labor_revenue_customer: Some(Decimal("1.25".parse().unwrap())),
                ..Default::default()
            }),
            ..Default::default()
        };
        let raw = input.to_raw();
        assert_eq!(raw.len(), 2);
        assert_eq!(raw[&Field::ro_comebacks].to_string(), "3");
        assert_eq!(raw[&Field::labor_revenue_customer].to_string(), "1.25");
    }
}
