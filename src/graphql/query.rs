//! Query root.

use async_graphql::connection::{Connection, Edge};

use super::paging::{PageArgs, Total};
use crate::domain::paging::Take;
use crate::store::KeyPage;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::error::GqlResult;
use super::guards::{principal, DealerRead};
use super::loaders::DealerLoader;
use super::network::{Dealer, Region};
use super::report::{time, MonthlyReport, ReportRevision};
use crate::app::{AppError, StatusCounts};
use crate::auth::{Principal, Role};
use crate::domain::Month;
use crate::store::{DealerFilter, ReportStatus, StatusRow};

/// Default and largest page size of every list.
pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 500;

/// The caller's scope as a dealer filter; `region` narrows it and must lie within it.
pub fn scoped_filter(p: &Principal, region: Option<String>) -> async_graphql::Result<DealerFilter> {
    crate::app::status_filter(p, region).gql()
}

/// Who is calling, as the token says.
#[derive(SimpleObject)]
pub struct Me {
    pub sub: String,
    /// oem_admin, regional_manager, dealer or bi_reader.
    pub role: String,
    /// Regions of a regional manager.
    pub regions: Vec<String>,
    /// Dealer code of a dealer user.
    pub dealer_code: Option<String>,
}

/// A dealer's status for the month in `submissionStatus`.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum SubmissionState {
    /// No report at all.
    Missing,
    /// Only a draft.
    Draft,
    Accepted,
    AcceptedWithWarnings,
    /// Submitted, but after the deadline.
    Late,
}

fn state_of(r: &StatusRow) -> SubmissionState {
    match r.status {
        None => SubmissionState::Missing,
        Some(ReportStatus::Draft) => SubmissionState::Draft,
        Some(_) if r.late => SubmissionState::Late,
        Some(ReportStatus::Accepted) => SubmissionState::Accepted,
        Some(ReportStatus::AcceptedWithWarnings) => SubmissionState::AcceptedWithWarnings,
    }
}

/// One dealer's line in `submissionStatus`.
pub struct StatusEntry(StatusRow);

#[Object]
impl StatusEntry {
    async fn dealer_code(&self) -> &str {
        &self.0.dealer_code
    }

    async fn dealer_name(&self) -> &str {
        &self.0.dealer_name
    }

    /// The dealer's region in that month.
    async fn region_code(&self) -> Option<&str> {
        self.0.region_code.as_deref()
    }

    /// LATE wins over ACCEPTED / ACCEPTED_WITH_WARNINGS; see `late` and `reportStatus` for both.
    async fn status(&self) -> SubmissionState {
        state_of(&self.0)
    }

    /// The stored report's own status, when there is one.
    async fn report_status(&self) -> Option<super::report::ReportState> {
        self.0.status.map(Into::into)
    }

    async fn late(&self) -> bool {
        self.0.late
    }

    async fn revision(&self) -> i32 {
        self.0.revision
    }

    async fn first_submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.first_submitted_at.map(time)
    }
}

/// Counts of a month's submissions in the scope.
#[derive(SimpleObject)]
pub struct SubmissionCounts {
    /// Dealers active in the month.
    pub total: usize,
    pub missing: usize,
    pub draft: usize,
    /// Accepted without warnings (on time or late).
    pub accepted: usize,
    /// Accepted with warnings (on time or late).
    pub accepted_with_warnings: usize,
    /// Submitted after the deadline.
    pub late: usize,
}

impl From<StatusCounts> for SubmissionCounts {
    fn from(c: StatusCounts) -> Self {
        SubmissionCounts {
            total: c.total,
            missing: c.missing,
            draft: c.draft,
            accepted: c.accepted,
            accepted_with_warnings: c.accepted_with_warnings,
            late: c.late,
        }
    }
}

/// Who has and has not reported for a month.
pub struct SubmissionStatus(crate::app::SubmissionStatus);

#[Object]
impl SubmissionStatus {
    async fn month(&self) -> Month {
        self.0.month
    }

    /// Reports first submitted after this instant are late.
    async fn deadline(&self) -> DateTime<Utc> {
        time(self.0.deadline_ms)
    }

    async fn counts(&self) -> SubmissionCounts {
        self.0.counts.clone().into()
    }

    /// The dealers, by code; optionally only those in `status`. Relay pages: `first`
    /// (default 50, at most 500) after a cursor, or `last` before one.
    async fn entries(
        &self,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        status: Option<SubmissionState>,
    ) -> async_graphql::Result<Connection<String, StatusEntry, Total>> {
        let page = PageArgs::new(first, after, last, before, DEFAULT_PAGE, MAX_PAGE)?;
        let rows: Vec<&StatusRow> = self
            .0
            .rows
            .iter()
            .filter(|r| status.is_none_or(|s| state_of(r) == s))
            .collect();
        let keys: Vec<&str> = rows.iter().map(|r| r.dealer_code.as_str()).collect();
        let valid = |k: &str| crate::domain::network::check_code("after", k).is_ok();
        let b = page.by_key(&keys, valid)?.bounds(rows.len());
        let mut conn = Connection::with_additional_fields(
            b.has_previous,
            b.has_next,
            Total {
                total_count: rows.len() as i32,
            },
        );
        conn.edges.extend(
            rows[b.lo..b.hi]
                .iter()
                .map(|r| Edge::new(r.dealer_code.clone(), StatusEntry((*r).clone()))),
        );
        Ok(conn)
    }
}

#[derive(Default)]
pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// Who you are, as your token says.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Me> {
        let p = principal(ctx)?;
        Ok(Me {
            sub: p.sub.clone(),
            role: p.role.as_str().to_string(),
            regions: p.regions.clone(),
            dealer_code: p.dealer.clone(),
        })
    }

    /// Every region (names and codes are not confidential).
    async fn regions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Region>> {
        principal(ctx)?;
        Ok(super::app(ctx)
            .regions()
            .await
            .gql()?
            .into_iter()
            .map(Region::from)
            .collect())
    }

    /// Dealers you may see, by code. `month` (default: current) decides regions and activity.
    /// Relay pages: `first` (default 50, at most 500) after a cursor, or `last` before one.
    #[allow(clippy::too_many_arguments)]
    async fn dealers(
        &self,
        ctx: &Context<'_>,
        month: Option<Month>,
        region_code: Option<String>,
        #[graphql(desc = "Case-insensitive part of the code, name or city")] search: Option<String>,
        #[graphql(default = false)] active_only: bool,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<String, Dealer, DealerTotal>> {
        let page = PageArgs::new(first, after, last, before, DEFAULT_PAGE, MAX_PAGE)?;
        // A cursor is a dealer code: anything else was not returned by this list.
        for (field, cursor) in [("after", &page.after), ("before", &page.before)] {
            if let Some(c) = cursor {
                crate::domain::network::check_code(field, c).map_err(|_| {
                    super::error::to_gql(AppError::invalid(
                        field,
                        "not a cursor returned by this list",
                    ))
                })?;
            }
        }
        let app = super::app(ctx);
        let month = month.unwrap_or_else(|| app.current_month());
        let mut filter = scoped_filter(principal(ctx)?, region_code)?;
        filter.month = Some(month);
        filter.search = search.filter(|s| !s.trim().is_empty());
        filter.active_only = active_only;
        let size = page.size();
        let from_end = matches!(page.take, Take::Last(_));
        let rows = app
            .dealers(
                &filter,
                KeyPage {
                    after: page.after.as_deref(),
                    before: page.before.as_deref(),
                    limit: size as i64 + 1,
                    from_end,
                },
            )
            .await
            .gql()?;
        // One more than asked tells whether the list goes on at the far end.
        let more = rows.len() > size;
        let rows: Vec<_> = if from_end {
            rows.into_iter().skip(usize::from(more)).collect()
        } else {
            rows.into_iter().take(size).collect()
        };
        let (has_previous, has_next) = if from_end {
            (more, page.before.is_some())
        } else {
            (page.after.is_some(), more)
        };
        let mut conn =
            Connection::with_additional_fields(has_previous, has_next, DealerTotal(filter));
        conn.edges.extend(rows.into_iter().map(|r| {
            Edge::new(
                r.dealer.code.clone(),
                Dealer {
                    dealer: r.dealer,
                    month,
                },
            )
        }));
        Ok(conn)
    }

    /// One dealer, if you may see it in `month` (default: current).
    #[graphql(guard = "DealerRead::new(&code, month)")]
    async fn dealer(
        &self,
        ctx: &Context<'_>,
        code: String,
        month: Option<Month>,
    ) -> async_graphql::Result<Option<Dealer>> {
        let month = month.unwrap_or_else(|| super::app(ctx).current_month());
        let d = ctx
            .data_unchecked::<DataLoader<DealerLoader>>()
            .load_one(code)
            .await
            .map_err(super::error::shared)?;
        Ok(d.map(|dealer| Dealer { dealer, month }))
    }

    /// A dealer's report for a month (draft or submitted), if any.
    #[graphql(guard = "DealerRead::new(&dealer_code, Some(month))")]
    async fn report(
        &self,
        ctx: &Context<'_>,
        dealer_code: String,
        month: Month,
    ) -> async_graphql::Result<Option<MonthlyReport>> {
        Ok(super::app(ctx)
            .report(&dealer_code, month)
            .await
            .gql()?
            .map(MonthlyReport))
    }

    /// Every submitted revision of a dealer's report for a month, oldest first.
    #[graphql(guard = "DealerRead::new(&dealer_code, Some(month))")]
    async fn report_revisions(
        &self,
        ctx: &Context<'_>,
        dealer_code: String,
        month: Month,
    ) -> async_graphql::Result<Vec<ReportRevision>> {
        Ok(super::app(ctx)
            .revisions(&dealer_code, month)
            .await
            .gql()?
            .into_iter()
            .map(ReportRevision)
            .collect())
    }

    /// For a month, every active dealer in your scope (optionally one region) with its status, and counts.
    async fn submission_status(
        &self,
        ctx: &Context<'_>,
        month: Month,
        region_code: Option<String>,
    ) -> async_graphql::Result<SubmissionStatus> {
        let p = principal(ctx)?;
        let filter = scoped_filter(p, region_code)?;
        debug_assert!(p.role != Role::Dealer || filter.dealer.is_some());
        Ok(SubmissionStatus(
            super::app(ctx)
                .submission_status(month, &filter)
                .await
                .gql()?,
        ))
    }
}

/// The `totalCount` of the dealer list: counted only when asked.
pub struct DealerTotal(DealerFilter);

#[Object]
impl DealerTotal {
    /// Dealers in the whole list (all pages).
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        Ok(super::app(ctx).dealer_total(&self.0).await.gql()? as i32)
    }
}
