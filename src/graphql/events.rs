//! The subscription root: submission events, live (over WebSocket, `/graphql/ws`).

use async_graphql::{Context, Enum, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};

use super::error::GqlResult;
use super::guards::principal;
use super::report::time;
use crate::auth::SessionEnd;
use crate::domain::events::{SubmissionEvent as Event, SubmissionKind};
use crate::domain::Month;

/// What happened to a report.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum SubmissionEventKind {
    /// A first submission, in time.
    Submitted,
    /// A first submission after the month's deadline.
    Late,
    /// A new revision of a submitted report (with its reason, in `reportRevisions`).
    Amended,
}

impl From<SubmissionKind> for SubmissionEventKind {
    fn from(k: SubmissionKind) -> Self {
        match k {
            SubmissionKind::Submitted => SubmissionEventKind::Submitted,
            SubmissionKind::Late => SubmissionEventKind::Late,
            SubmissionKind::Amended => SubmissionEventKind::Amended,
        }
    }
}

/// A report revision just stored (no figure: read the report for those).
#[derive(SimpleObject)]
pub struct SubmissionEvent {
    pub kind: SubmissionEventKind,
    pub dealer_code: String,
    /// The dealer's region in that month.
    pub region_code: Option<String>,
    pub month: Month,
    pub revision: i32,
    pub at: DateTime<Utc>,
}

impl From<&Event> for SubmissionEvent {
    fn from(e: &Event) -> Self {
        SubmissionEvent {
            kind: e.kind.into(),
            dealer_code: e.dealer_code.clone(),
            region_code: e.region_code.clone(),
            month: e.month,
            revision: e.revision,
            at: time(e.at_ms),
        }
    }
}

#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Report revisions as they are stored, on any replica: first submissions (`SUBMITTED`,
    /// or `LATE` after the deadline) and amendments. What you may see: a dealer user its
    /// own, a regional manager its regions' dealers (their region in the report's month),
    /// the OEM and BI readers all; `regionCode` narrows it to one region. It completes when
    /// the connection's token expires.
    async fn submission_events(
        &self,
        ctx: &Context<'_>,
        region_code: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = SubmissionEvent>> {
        let who = principal(ctx)?;
        let events = super::app(ctx).submission_events(who, region_code).gql()?;
        // The token's end is the subscription's: what it may see stops with it.
        let remaining = ctx
            .data_opt::<SessionEnd>()
            .map_or(std::time::Duration::ZERO, SessionEnd::remaining);
        Ok(events
            .map(|e| SubmissionEvent::from(&*e))
            .take_until(tokio::time::sleep(remaining)))
    }
}
