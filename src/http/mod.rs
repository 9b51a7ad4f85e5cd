//! HTTP: the GraphQL endpoint, GraphiQL, health and readiness, and the middleware around them.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::app::App;
use crate::auth::AuthError;
use crate::graphql::{self, MsiSchema};

/// Largest request body accepted (a report is a few KiB).
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Longest a request may run before it is answered with 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
struct HttpState {
    app: Arc<App>,
    schema: MsiSchema,
}

/// The service's routes: `POST /graphql`, `GET /graphql` (GraphiQL), `/healthz`, `/readyz`.
pub fn router(app: Arc<App>) -> Router {
    let schema = graphql::schema(app.clone());
    Router::new()
        .route("/graphql", get(graphiql).post(graphql_endpoint))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(HttpState { app, schema })
        // The GraphQL extractor streams the body, so the limit is enforced on the stream too.
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        // The default span holds method, path and version only: never headers, so never a token.
        .layer(TraceLayer::new_for_http())
}

/// A GraphQL-shaped error response with an HTTP status.
fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body =
        serde_json::json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    (status, [(header::WWW_AUTHENTICATE, "Bearer")], Json(body)).into_response()
}

/// Authenticates first, so that no body is read for a caller without a valid token.
async fn graphql_endpoint(
    State(state): State<HttpState>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return error_response(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "authentication required: send `Authorization: Bearer <token>` (see `msi-hub token`)",
        );
    };
    let principal = match value
        .to_str()
        .map_err(|_| AuthError::BadHeader)
        .and_then(|v| state.app.verifier().verify_header(v))
    {
        Ok(p) => p,
        Err(e) => {
            tracing::info!(reason = %e, "token refused");
            return error_response(
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                &format!("token refused: {e}"),
            );
        }
    };
    let request = match <GraphQLRequest>::from_request(request, &state).await {
        Ok(r) => r.into_inner(),
        Err(rejection) => return rejection.into_response(),
    };
    let request = graphql::prepare(request, &state.app, principal);
    GraphQLResponse::from(state.schema.execute(request).await).into_response()
}

async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("MSI Hub")
            .finish(),
    )
}

async fn readyz(State(state): State<HttpState>) -> Response {
    if !state.app.ready.load(std::sync::atomic::Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "warming the KPI cache").into_response();
    }
    match state.app.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database not reachable").into_response()
        }
    }
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
