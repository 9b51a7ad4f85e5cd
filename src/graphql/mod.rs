//! The GraphQL API: schema types, queries, mutations, dataloaders and guards.

mod documents;
mod error;
mod events;
#[cfg(feature = "fault-injection")]
mod faults;
mod form;
mod guards;
mod import;
mod kpi;
mod limits;
mod loaders;
mod management;
mod mutation;
mod network;
mod paging;
mod persisted;
mod query;
pub mod report;
mod scalars;
mod workbook;

use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, MergedObject, Request, SDLExportOptions, Schema};

pub use documents::ParsedDocuments;
pub use error::to_gql;
pub use form::form_layout;
pub use limits::{execute, MAX_COMPLEXITY, MAX_DEPTH, MAX_FIELDS, MAX_ROOT_FIELDS};
pub use loaders::{DealerLoader, RegionHistoryLoader};
pub use mutation::MutationRoot;
pub use persisted::{AllowList, PersistedQueries};
pub use query::QueryRoot;

/// Every query: the network and reports, and the KPI engine.
#[derive(MergedObject, Default)]
pub struct Query(
    QueryRoot,
    kpi::KpiQuery,
    kpi::PublicationQuery,
    management::TargetQuery,
    management::ActionQuery,
    management::MeetingQuery,
);

/// Every mutation.
#[derive(MergedObject, Default)]
pub struct Mutation(
    MutationRoot,
    kpi::KpiMutation,
    kpi::PublicationMutation,
    management::TargetMutation,
    management::ActionMutation,
    import::ImportMutation,
    workbook::WorkbookMutation,
);

use crate::app::App;
use crate::auth::Principal;

pub use events::SubscriptionRoot;

pub type MsiSchema = Schema<Query, Mutation, SubscriptionRoot>;

/// The schema, serving `app`.
pub fn schema(app: Arc<App>) -> MsiSchema {
    let builder = Schema::build(Query::default(), Mutation::default(), SubscriptionRoot);
    #[cfg(feature = "fault-injection")]
    let builder = builder.extension(faults::Faults);
    let builder = if app.settings.introspection {
        builder
    } else {
        builder.disable_introspection()
    };
    builder
        .data(app)
        .limit_depth(limits::MAX_DEPTH)
        .limit_complexity(limits::MAX_COMPLEXITY)
        .finish()
}

/// The schema's SDL, sorted (what `schema.graphql` holds).
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), SubscriptionRoot)
        .finish()
        .sdl_with_options(SDLExportOptions::new().sorted_fields().sorted_enum_items())
}

/// Attaches the caller and fresh per-request dataloaders to a request.
pub fn prepare(request: Request, app: &Arc<App>, principal: Principal) -> Request {
    request
        .data(principal)
        .data(DataLoader::new(DealerLoader(app.clone()), tokio::spawn))
        .data(DataLoader::new(
            RegionHistoryLoader(app.clone()),
            tokio::spawn,
        ))
}

pub(crate) fn app<'a>(ctx: &'a Context<'_>) -> &'a Arc<App> {
    ctx.data_unchecked::<Arc<App>>()
}
