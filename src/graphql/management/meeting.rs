//! The monthly meeting: exceptions of a scope and period, and the agenda.

use async_graphql::{Context, Enum, Object, SimpleObject};

use super::super::error::{to_gql, GqlResult};
use super::super::guards::principal;
use super::super::kpi::{GuidelineStatus, PeriodInfo, PeriodInput, ScopeInput};
use super::actions::ActionItem;
use crate::app::{AppError, DealerExceptions, Exception};
use crate::domain::{Group, Month};

/// Largest page of dealers in `exceptions`.
const MAX_DEALERS_PAGE: usize = 200;
/// Dealers per page unless asked: a screen of a meeting (the worst dealers carry forty
/// exceptions or more each).
const DEFAULT_DEALERS_PAGE: usize = 20;

/// What kind of attention a dealer needs.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::app::ExceptionKind")]
pub enum ExceptionKind {
    /// A month of the period not reported (past its deadline).
    MissingReport,
    /// A month reported after its deadline.
    LateReport,
    /// A target item behind its phased target (achievement below 100 %).
    BehindTarget,
    /// A KPI in the nation's bottom quartile (percentile below 25).
    BottomQuartile,
    /// A KPI outside its guideline band (指导值).
    OutsideGuideline,
}

/// One thing that needs attention, with the open action items that answer it.
pub struct ExceptionItem(Exception);

// `serial`: its fields are read from memory, and a page holds thousands of them; resolved
// one after another they skip the bookkeeping of running them concurrently.
#[Object(serial)]
impl ExceptionItem {
    async fn kind(&self) -> ExceptionKind {
        self.0.kind.into()
    }
    /// The KPI concerned (a target item's achievement KPI for BEHIND_TARGET).
    async fn kpi(&self) -> Option<&str> {
        self.0.kpi.map(|k| k.code)
    }
    /// The month concerned (reports).
    async fn month(&self) -> Option<Month> {
        self.0.month
    }
    /// The dealer's value over the period (achievement in percent for targets).
    async fn value(&self) -> Option<f64> {
        self.0.value
    }
    /// Its percentile in the nation (0–100, 100 best).
    async fn percentile(&self) -> Option<f64> {
        self.0.percentile
    }
    async fn guideline_status(&self) -> Option<GuidelineStatus> {
        self.0.guideline.map(Into::into)
    }
    /// Open action items on the KPI (or its target item).
    async fn action_items(&self) -> Vec<ActionItem> {
        self.0
            .actions
            .iter()
            .cloned()
            .map(ActionItem::new)
            .collect()
    }
    /// A KPI or target gap that no open action item answers.
    async fn uncovered(&self) -> bool {
        self.0.uncovered
    }
}

/// A dealer's exceptions, worst first.
pub struct DealerExceptionsItem(DealerExceptions);

#[Object(serial)]
impl DealerExceptionsItem {
    async fn dealer_code(&self) -> &str {
        &self.0.dealer_code
    }
    async fn dealer_name(&self) -> &str {
        &self.0.dealer_name
    }
    /// Its region in the period's last month.
    async fn region_code(&self) -> Option<&str> {
        self.0.region_code.as_deref()
    }
    /// Gaps without a countermeasure.
    async fn uncovered(&self) -> i32 {
        self.0.uncovered() as i32
    }
    async fn exceptions(&self) -> Vec<ExceptionItem> {
        self.0
            .exceptions
            .iter()
            .cloned()
            .map(ExceptionItem)
            .collect()
    }
}

/// A scope's exceptions for a period.
#[derive(SimpleObject)]
pub struct ExceptionReport {
    pub period: PeriodInfo,
    /// Dealers of the scope the caller may see.
    pub dealers_in_scope: i32,
    /// Those with at least one exception.
    pub dealers_with_exceptions: i32,
    /// Worst first: most gaps without a countermeasure, then most exceptions, then code.
    pub dealers: Vec<DealerExceptionsItem>,
    pub has_next_page: bool,
    /// Pass as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// The monthly meeting in one answer.
#[derive(SimpleObject)]
pub struct Agenda {
    pub month: Month,
    /// Open items from earlier meetings: overdue first, then by due month.
    pub carried_over: Vec<ActionItem>,
    /// Items due this month, with their measured effect.
    pub due: Vec<ActionItem>,
    /// This month's exceptions that no open item answers, worst dealers first.
    pub uncovered: Vec<DealerExceptionsItem>,
}

#[derive(Default)]
pub struct MeetingQuery;

#[Object]
impl MeetingQuery {
    /// What needs attention for every dealer of `scope` (default: the nation) over
    /// `period`: each KPI outside its guideline band, each KPI in the nation's bottom
    /// quartile, each target item behind its phased target, each missing or late report,
    /// with the open action items that answer each and a flag where none does. Managers
    /// see the dealers of their regions, a dealer user its own line (judged on published
    /// figures).
    async fn exceptions(
        &self,
        ctx: &Context<'_>,
        scope: Option<ScopeInput>,
        period: PeriodInput,
        #[graphql(desc = "Dealers per page, default 20, at most 200")] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ExceptionReport> {
        let first = match first {
            None => DEFAULT_DEALERS_PAGE,
            Some(n) if (1..=MAX_DEALERS_PAGE as i32).contains(&n) => n as usize,
            Some(n) => {
                return Err(to_gql(AppError::invalid(
                    "first",
                    format!("must be between 1 and {MAX_DEALERS_PAGE}, got {n}"),
                )))
            }
        };
        let start = match after.as_deref() {
            None => 0,
            Some(a) => a.parse::<usize>().map(|n| n + 1).map_err(|_| {
                to_gql(AppError::invalid(
                    "after",
                    "not a cursor returned by this list",
                ))
            })?,
        };
        let group = scope
            .map(|s| s.group())
            .transpose()?
            .unwrap_or(Group::Nation);
        let period = period.period()?;
        let app = super::super::app(ctx);
        let view = app.exceptions(principal(ctx)?, group, period).await.gql()?;
        let total = view.dealers_with_exceptions();
        let end = (start + first).min(total);
        Ok(ExceptionReport {
            period: view.period.into(),
            dealers_in_scope: view.dealers_in_scope as i32,
            dealers_with_exceptions: total as i32,
            has_next_page: end < total,
            end_cursor: (end > start).then(|| (end - 1).to_string()),
            // Built only when asked for: the counts alone need no page.
            dealers: if ctx.look_ahead().field("dealers").exists() {
                view.page(None, start, first)
                    .into_iter()
                    .map(DealerExceptionsItem)
                    .collect()
            } else {
                Vec::new()
            },
        })
    }

    /// The agenda of a month's meeting, for a region, one dealer, or (OEM, BI) the nation:
    /// open items carried over (overdue first), items due this month with their measured
    /// effect, and the month's exceptions no item answers.
    async fn agenda(
        &self,
        ctx: &Context<'_>,
        region_code: Option<String>,
        dealer_code: Option<String>,
        month: Month,
    ) -> async_graphql::Result<Agenda> {
        let group = match &region_code {
            Some(r) => Group::Region(r.clone()),
            None => Group::Nation,
        };
        let app = super::super::app(ctx);
        let a = app
            .agenda(principal(ctx)?, group, dealer_code.as_deref(), month)
            .await
            .gql()?;
        Ok(Agenda {
            month: a.month,
            carried_over: a.carried_over.into_iter().map(ActionItem::new).collect(),
            due: a.due.into_iter().map(ActionItem::new).collect(),
            uncovered: a.uncovered.into_iter().map(DealerExceptionsItem).collect(),
        })
    }
}
