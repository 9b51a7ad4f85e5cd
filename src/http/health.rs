//! Health and readiness.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::HttpState;

/// 200 when this replica can serve; 503 with the reason otherwise.
pub async fn readyz(State(state): State<HttpState>) -> Response {
    match state.app.readiness().await {
        Ok(status) => (StatusCode::OK, status).into_response(),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, why).into_response(),
    }
}
