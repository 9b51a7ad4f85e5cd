//! The publication of months to dealer users: its status, and the OEM's controls.

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::super::error::{to_gql, GqlResult};
use super::super::guards::{principal, OEM_ADMIN};
use super::super::report::time;
use crate::app::{AppError, MonthPublication, PublicationState as State};
use crate::auth::Role;
use crate::domain::Month;
use crate::store::RepublishOutcome;

/// Where a month stands in publication.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::app::PublicationState")]
pub enum PublicationState {
    /// Dealers see its snapshot.
    Published,
    /// Closed (or due by the OEM's schedule): the scheduler publishes it within a minute.
    Due,
    /// To be published at `dueAt`.
    Scheduled,
}

/// Why a month was (re)published.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::store::PublicationKind")]
pub enum PublicationKind {
    /// At its close, by the scheduler.
    Scheduled,
    /// Before its close, by the OEM.
    Early,
    /// Late submissions and amendments of enough dealers, by the OEM.
    Republication,
    /// Everything of a year, once it ended, by the OEM.
    Restatement,
}

/// One (re)publication of a month.
#[derive(SimpleObject)]
pub struct PublicationEvent {
    pub version: i32,
    pub kind: PublicationKind,
    pub at: DateTime<Utc>,
    pub author: String,
    /// Dealers whose figures it showed (every member at the first publication).
    pub dealers_published: i32,
    /// Dealers whose changes it left waiting.
    pub dealers_held: i32,
}

/// A month's publication to dealer users.
pub struct Publication(MonthPublication);

#[Object]
impl Publication {
    async fn month(&self) -> Month {
        self.0.month
    }

    async fn state(&self) -> PublicationState {
        self.0.state.into()
    }

    /// 0 until published; +1 per republication.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When it is (or was) due: the OEM's schedule, or the deadline plus the grace period.
    async fn due_at(&self) -> DateTime<Utc> {
        self.0.due_at
    }

    /// Whether the OEM set `dueAt`.
    async fn scheduled_by_oem(&self) -> bool {
        self.0.scheduled_by_oem
    }

    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }

    /// The latest (re)publication.
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.updated_at
    }

    /// Dealers whose late submissions, amendments or group changes wait for a
    /// republication (not shown to dealer users).
    async fn pending_dealers(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<i32>> {
        if principal(ctx)?.role == Role::Dealer || self.0.state != State::Published {
            return Ok(None);
        }
        let pending = super::super::app(ctx)
            .pending_changes(self.0.month)
            .await
            .gql()?;
        Ok(Some(pending.len() as i32))
    }

    /// Every (re)publication, oldest first.
    async fn events(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PublicationEvent>> {
        principal(ctx)?;
        Ok(super::super::app(ctx)
            .publication_events(self.0.month)
            .await
            .gql()?
            .into_iter()
            .map(|e| PublicationEvent {
                version: e.version,
                kind: e.kind.into(),
                at: time(e.at),
                author: e.author,
                dealers_published: e.dealers_published as i32,
                dealers_held: e.dealers_held as i32,
            })
            .collect())
    }
}

/// The answer to `publishMonth`.
#[derive(SimpleObject)]
pub struct PublishResult {
    pub month: Month,
    /// Dealers in the published snapshot.
    pub members: i32,
}

/// What a republication did.
#[derive(SimpleObject)]
pub struct RepublishResult {
    pub month: Month,
    /// The publication's version now (unchanged when nothing could be shown).
    pub version: i32,
    /// Dealers whose changes are now shown.
    pub dealers_published: i32,
    /// Dealers whose changes still wait (too few changes in a group they touch).
    pub dealers_held: i32,
}

fn republished(month: Month, r: RepublishOutcome) -> RepublishResult {
    RepublishResult {
        month,
        version: r.version,
        dealers_published: r.published.len() as i32,
        dealers_held: r.held as i32,
    }
}

/// Most months one `publications` query lists.
const MAX_MONTHS: i32 = 120;

#[derive(Default)]
pub struct PublicationQuery;

#[Object]
impl PublicationQuery {
    /// The publication of each month of `from..=to` (at most 120 months): what dealer users
    /// are shown of other dealers comes from published months only.
    async fn publications(
        &self,
        ctx: &Context<'_>,
        from: Month,
        to: Month,
    ) -> async_graphql::Result<Vec<Publication>> {
        principal(ctx)?;
        if to < from || to.since(from) >= MAX_MONTHS {
            return Err(to_gql(AppError::invalid(
                "to",
                format!("must not be before `from`, and at most {MAX_MONTHS} months after it"),
            )));
        }
        Ok(super::super::app(ctx)
            .publication_status(from, to)
            .await
            .gql()?
            .into_iter()
            .map(Publication)
            .collect())
    }
}

#[derive(Default)]
pub struct PublicationMutation;

#[Object]
impl PublicationMutation {
    /// Publishes an ended month now, before its close (oem_admin).
    #[graphql(guard = "OEM_ADMIN")]
    async fn publish_month(
        &self,
        ctx: &Context<'_>,
        month: Month,
    ) -> async_graphql::Result<PublishResult> {
        let who = principal(ctx)?;
        let members = super::super::app(ctx)
            .publish_month(month, &who.sub)
            .await
            .gql()?;
        Ok(PublishResult {
            month,
            members: members as i32,
        })
    }

    /// Shows the late submissions, amendments and group changes of a published month that
    /// may be shown together: at least the minimum group size of changed dealers in every
    /// group they touch (oem_admin). The others keep waiting.
    #[graphql(guard = "OEM_ADMIN")]
    async fn republish_month(
        &self,
        ctx: &Context<'_>,
        month: Month,
    ) -> async_graphql::Result<RepublishResult> {
        let who = principal(ctx)?;
        let r = super::super::app(ctx)
            .republish_month(month, &who.sub)
            .await
            .gql()?;
        Ok(republished(month, r))
    }

    /// Restates a year that has ended: every change since publication is shown, whatever
    /// the group sizes (oem_admin).
    #[graphql(guard = "OEM_ADMIN")]
    async fn restate_year(
        &self,
        ctx: &Context<'_>,
        year: i32,
    ) -> async_graphql::Result<Vec<RepublishResult>> {
        let who = principal(ctx)?;
        Ok(super::super::app(ctx)
            .restate_year(year, &who.sub)
            .await
            .gql()?
            .into_iter()
            .map(|(m, r)| republished(m, r))
            .collect())
    }

    /// Sets when a month not yet published is published (`at`; omitted: back to the
    /// deadline plus the grace period) (oem_admin).
    #[graphql(guard = "OEM_ADMIN")]
    async fn schedule_publication(
        &self,
        ctx: &Context<'_>,
        month: Month,
        at: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<Publication> {
        let app = super::super::app(ctx);
        app.schedule_publication(month, at).await.gql()?;
        let status = app.publication_status(month, month).await.gql()?;
        status
            .into_iter()
            .next()
            .map(Publication)
            .ok_or_else(|| to_gql(AppError::NotFound(format!("month {month}"))))
    }
}
