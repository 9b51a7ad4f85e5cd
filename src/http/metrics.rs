//! `GET /metrics`: the service's metrics for Prometheus (OpenMetrics text).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::HttpState;

/// What OpenMetrics' text format is served as.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub async fn metrics(State(state): State<HttpState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, OPENMETRICS)],
        state.app.metrics_text().await,
    )
}
