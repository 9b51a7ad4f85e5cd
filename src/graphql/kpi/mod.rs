//! The KPI engine over GraphQL: catalog, rankings, scorecards, trends, benchmarks, fact
//! pulls, OEM parameters and the publication of months to dealer users.

mod facts;
mod inputs;
mod mutation;
mod publication;
mod query;
mod types;

pub use inputs::{PeriodInput, ScopeInput};
pub use mutation::KpiMutation;
pub use publication::{PublicationMutation, PublicationQuery};
pub use query::KpiQuery;
pub use types::{GuidelineStatus, PeriodInfo};
