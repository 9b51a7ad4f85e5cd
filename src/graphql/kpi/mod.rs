//! The KPI engine over GraphQL: catalog, rankings, scorecards, trends, benchmarks, fact
//! pulls, OEM parameters and the publication of months to dealer users.

mod facts;
mod inputs;
mod mutation;
mod publication;
mod query;
mod types;

pub use mutation::KpiMutation;
pub use publication::{PublicationMutation, PublicationQuery};
pub use query::KpiQuery;
