//! Health, readiness and GraphiQL.

use async_graphql::http::GraphiQLSource;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::HttpState;

pub async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("MSI Hub")
            .finish(),
    )
}

/// 200 when this replica can serve; 503 with the reason otherwise.
pub async fn readyz(State(state): State<HttpState>) -> Response {
    match state.app.readiness().await {
        Ok(status) => (StatusCode::OK, status).into_response(),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why).into_response(),
    }
}
