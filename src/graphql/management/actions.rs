//! Action plans (行动方案): items against a dealer's KPI or target gaps, their follow-ups,
//! revisions and measured effect.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::super::error::{to_gql, GqlResult};
use super::super::guards::principal;
use super::super::paging::PageArgs;
use super::super::report::time;
use super::super::scalars::Decimal;
use crate::app::{ActionInput, ActionPatch, AppError, Measured};
use crate::domain::paging::Take;
use crate::domain::{Month, MonthRange};
use crate::store::{ActionFilter, ActionRecord};

/// Largest page of action items (each may be measured).
const MAX_ACTION_PAGE: i32 = 100;

/// Where an action item stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::actions::ActionStatus")]
pub enum ActionStatus {
    Open,
    InProgress,
    /// Carried out, as the dealer says.
    Done,
    /// Checked by the regional manager (or the OEM): closed.
    Verified,
    Dropped,
}

/// The measured effect of an action item at its due month.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::actions::Effect")]
pub enum ActionEffect {
    /// The due month is not reported yet (or there is nothing to compare).
    Pending,
    /// Moved to or beyond the expected value (without one: better than the baseline).
    Effective,
    NotEffective,
}

/// A month range.
#[derive(SimpleObject, Clone, Copy)]
pub struct MonthSpan {
    pub from: Month,
    pub to: Month,
}

impl From<MonthRange> for MonthSpan {
    fn from(r: MonthRange) -> MonthSpan {
        MonthSpan {
            from: r.from,
            to: r.to,
        }
    }
}

/// A dated note on an action item (会后跟进).
#[derive(SimpleObject)]
pub struct FollowUp {
    pub seq: i32,
    pub at: DateTime<Utc>,
    pub author: String,
    pub note: String,
}

/// One revision of an action item's state.
#[derive(SimpleObject)]
pub struct ActionItemRevision {
    pub revision: i32,
    pub status: ActionStatus,
    pub due_month: Month,
    pub countermeasure: String,
    pub owner: String,
    pub reason: Option<String>,
    pub author: String,
    pub at: DateTime<Utc>,
}

/// An action item: a countermeasure against one of a dealer's KPI or target gaps, with
/// its owner and due month, and its effect measured from the dealer's reports.
pub struct ActionItem(pub ActionRecord, tokio::sync::OnceCell<Measured>);

impl ActionItem {
    pub fn new(record: ActionRecord) -> ActionItem {
        ActionItem(record, tokio::sync::OnceCell::new())
    }

    /// Measured once per item and request, whatever fields ask.
    async fn measured(&self, ctx: &Context<'_>) -> async_graphql::Result<&Measured> {
        self.1
            .get_or_try_init(|| async {
                super::super::app(ctx).measure_action(&self.0).await.gql()
            })
            .await
    }
}

#[Object]
impl ActionItem {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn dealer_code(&self) -> &str {
        &self.0.dealer_code
    }
    /// The KPI code or target item it acts on.
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    /// The KPI it is measured by (a target item's achievement KPI).
    async fn kpi(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(self.measured(ctx).await?.kpi.code.to_string())
    }
    /// 现状: the problem as observed.
    async fn problem(&self) -> &str {
        &self.0.state.problem
    }
    /// 主要缺失因素: the main cause.
    async fn cause(&self) -> &str {
        &self.0.state.cause
    }
    /// 改进措施: the countermeasure.
    async fn countermeasure(&self) -> &str {
        &self.0.state.countermeasure
    }
    /// 责任人: who carries it out.
    async fn owner(&self) -> &str {
        &self.0.state.owner
    }
    /// 责任部门: the department.
    async fn department(&self) -> &str {
        &self.0.state.department
    }
    async fn due_month(&self) -> Month {
        self.0.state.due_month
    }
    async fn status(&self) -> ActionStatus {
        self.0.state.status.into()
    }
    /// The period the baseline was measured over.
    async fn baseline_period(&self) -> MonthSpan {
        MonthSpan {
            from: self.0.baseline_from,
            to: self.0.baseline_to,
        }
    }
    /// The KPI's value over the baseline period when the item was created.
    async fn baseline_value(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<f64>> {
        Ok(self.measured(ctx).await?.baseline)
    }
    /// The value it aims at, if stated.
    async fn expected_value(&self) -> Option<f64> {
        self.0.state.expected.map(|e| e as f64 / 100.0)
    }
    /// The KPI's value since: the months after the baseline period through the due month
    /// (or the last month, before it).
    async fn value_since(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<f64>> {
        Ok(self.measured(ctx).await?.since)
    }
    async fn since_period(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<MonthSpan>> {
        Ok(self.measured(ctx).await?.since_period.map(Into::into))
    }
    /// PENDING until the due month is reported, then EFFECTIVE or NOT_EFFECTIVE.
    async fn effect(&self, ctx: &Context<'_>) -> async_graphql::Result<ActionEffect> {
        Ok(self.measured(ctx).await?.effect.into())
    }
    /// Past its due month and still open.
    async fn overdue(&self, ctx: &Context<'_>) -> bool {
        let now = super::super::app(ctx).current_month();
        self.0.state.status.is_open() && self.0.state.due_month < now
    }
    /// Pass as `expectedRevision` to change it.
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    async fn created_at(&self) -> DateTime<Utc> {
        time(self.0.created_at)
    }
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        time(self.0.updated_at)
    }
    async fn updated_by(&self) -> &str {
        &self.0.updated_by
    }
    /// The follow-up notes, oldest first.
    async fn follow_ups(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<FollowUp>> {
        let app = super::super::app(ctx);
        Ok(app
            .followups(&[self.0.id])
            .await
            .gql()?
            .into_iter()
            .map(|f| FollowUp {
                seq: f.seq,
                at: time(f.at),
                author: f.author,
                note: f.note,
            })
            .collect())
    }
    /// Every revision, oldest first.
    async fn revisions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ActionItemRevision>> {
        let app = super::super::app(ctx);
        Ok(app
            .action_revisions(self.0.id)
            .await
            .gql()?
            .into_iter()
            .map(|r| ActionItemRevision {
                revision: r.revision,
                status: r.state.status.into(),
                due_month: r.state.due_month,
                countermeasure: r.state.countermeasure,
                owner: r.state.owner,
                reason: r.reason,
                author: r.author,
                at: time(r.at),
            })
            .collect())
    }
}

/// A new action item.
#[derive(InputObject)]
pub struct ActionItemInput {
    pub dealer_code: String,
    /// A KPI code (`first_time_fix`) or a target item (`brand_ros`: its achievement).
    pub subject: String,
    pub problem: String,
    pub cause: String,
    pub countermeasure: String,
    pub owner: String,
    pub department: String,
    pub due_month: Month,
    /// The baseline period's first and last month (default: last month alone).
    pub baseline_from: Option<Month>,
    pub baseline_to: Option<Month>,
    /// The value aimed at, in the KPI's display unit.
    pub expected_value: Option<Decimal>,
}

/// Changes to an action item; absent fields stay as they are.
#[derive(InputObject, Default)]
pub struct ActionItemPatch {
    pub problem: Option<String>,
    pub cause: Option<String>,
    pub countermeasure: Option<String>,
    pub owner: Option<String>,
    pub department: Option<String>,
    pub due_month: Option<Month>,
    /// VERIFIED only by the dealer's regional manager or the OEM.
    pub status: Option<ActionStatus>,
    pub expected_value: Option<Decimal>,
}

fn id_of(id: &ID) -> async_graphql::Result<i64> {
    id.parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(|| to_gql(AppError::invalid("id", "not an action item id")))
}

#[derive(Default)]
pub struct ActionQuery;

#[Object]
impl ActionQuery {
    /// Action items in id order, of the dealers the caller may read (a dealer: its own; a
    /// regional manager: the dealers of its regions now; OEM and BI: all), narrowed by
    /// dealer, region, status and due months.
    #[allow(clippy::too_many_arguments)]
    async fn action_items(
        &self,
        ctx: &Context<'_>,
        dealer_code: Option<String>,
        region_code: Option<String>,
        status: Option<Vec<ActionStatus>>,
        due_from: Option<Month>,
        due_to: Option<Month>,
        #[graphql(desc = "Page size, default 50, at most 100")] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<String, ActionItem, ActionTotal>> {
        let page = PageArgs::new(first, after, last, before, 50, MAX_ACTION_PAGE as usize)?;
        let id = |field: &str, c: &Option<String>| {
            c.as_deref()
                .map(|a| {
                    a.parse::<i64>().map_err(|_| {
                        to_gql(AppError::invalid(
                            field,
                            "not a cursor returned by this list",
                        ))
                    })
                })
                .transpose()
        };
        let (after_id, before_id) = (id("after", &page.after)?, id("before", &page.before)?);
        let due = match (due_from, due_to) {
            (None, None) => None,
            (f, t) => Some(
                MonthRange::new(
                    f.unwrap_or(Month::new(1900, 1).expect("month")),
                    t.unwrap_or(Month::new(9999, 12).expect("month")),
                )
                .ok_or_else(|| to_gql(AppError::invalid("dueTo", "must not be before dueFrom")))?,
            ),
        };
        let app = super::super::app(ctx);
        let who = principal(ctx)?;
        let scope = app
            .action_scope(who, dealer_code.as_deref(), region_code.as_deref())
            .await
            .gql()?;
        let size = page.size();
        let from_end = matches!(page.take, Take::Last(_));
        let filter = ActionFilter {
            dealers: scope,
            statuses: status
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            due_from: due.map(|d| d.from),
            due_to: due.map(|d| d.to),
            after: after_id,
            before: before_id,
            limit: size as i64 + 1,
            from_end,
        };
        let rows = app.action_page(&filter).await.gql()?;
        // One more than asked tells whether the list goes on at the far end.
        let more = rows.len() > size;
        let rows: Vec<ActionRecord> = if from_end {
            rows.into_iter().skip(usize::from(more)).collect()
        } else {
            rows.into_iter().take(size).collect()
        };
        let (has_previous, has_next) = if from_end {
            (more, before_id.is_some())
        } else {
            (after_id.is_some(), more)
        };
        let mut conn =
            Connection::with_additional_fields(has_previous, has_next, ActionTotal(filter));
        conn.edges.extend(
            rows.into_iter()
                .map(|r| Edge::new(r.id.to_string(), ActionItem::new(r))),
        );
        Ok(conn)
    }

    /// One action item.
    async fn action_item(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ActionItem> {
        let id = id_of(&id)?;
        let app = super::super::app(ctx);
        Ok(ActionItem::new(
            app.action_item(principal(ctx)?, id).await.gql()?,
        ))
    }
}

#[derive(Default)]
pub struct ActionMutation;

#[Object]
impl ActionMutation {
    /// Creates an action item (the dealer itself, the manager of its region, the OEM). Its
    /// baseline is the KPI's value over the baseline period, recorded now.
    async fn create_action_item(
        &self,
        ctx: &Context<'_>,
        input: ActionItemInput,
    ) -> async_graphql::Result<ActionItem> {
        let baseline = match (input.baseline_from, input.baseline_to) {
            (None, None) => None,
            (Some(f), Some(t)) => Some(MonthRange::new(f, t).ok_or_else(|| {
                to_gql(AppError::invalid(
                    "baselineTo",
                    "must not be before baselineFrom",
                ))
            })?),
            (Some(m), None) | (None, Some(m)) => MonthRange::new(m, m),
        };
        let app = super::super::app(ctx);
        let item = app
            .create_action(
                principal(ctx)?,
                ActionInput {
                    dealer_code: input.dealer_code,
                    subject: input.subject,
                    problem: input.problem,
                    cause: input.cause,
                    countermeasure: input.countermeasure,
                    owner: input.owner,
                    department: input.department,
                    due_month: input.due_month,
                    baseline,
                    expected: input.expected_value.map(|d| d.0),
                },
            )
            .await
            .gql()?;
        Ok(ActionItem::new(item))
    }

    /// Changes an action item: texts, due month, expected value or status, with an
    /// optional reason kept in its revisions.
    async fn update_action_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_revision: i32,
        patch: ActionItemPatch,
        reason: Option<String>,
    ) -> async_graphql::Result<ActionItem> {
        let id = id_of(&id)?;
        let app = super::super::app(ctx);
        let p = ActionPatch {
            problem: patch.problem,
            cause: patch.cause,
            countermeasure: patch.countermeasure,
            owner: patch.owner,
            department: patch.department,
            due_month: patch.due_month,
            status: patch.status.map(Into::into),
            expected: patch.expected_value.map(|d| d.0),
        };
        let item = app
            .update_action(principal(ctx)?, id, expected_revision, p, reason.as_deref())
            .await
            .gql()?;
        Ok(ActionItem::new(item))
    }

    /// Appends a follow-up note to an action item.
    async fn add_follow_up(
        &self,
        ctx: &Context<'_>,
        id: ID,
        note: String,
    ) -> async_graphql::Result<FollowUp> {
        let id = id_of(&id)?;
        let f = super::super::app(ctx)
            .add_followup(principal(ctx)?, id, &note)
            .await
            .gql()?;
        Ok(FollowUp {
            seq: f.seq,
            at: time(f.at),
            author: f.author,
            note: f.note,
        })
    }
}

/// The `totalCount` of the action item list: counted only when asked.
pub struct ActionTotal(ActionFilter);

#[Object]
impl ActionTotal {
    /// Items in the whole list (all pages).
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        Ok(super::super::app(ctx).action_total(&self.0).await.gql()? as i32)
    }
}
