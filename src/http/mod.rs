//! HTTP: the GraphQL endpoint, GraphiQL, health and readiness, the middleware around them,
//! and the server loop with its connection limits.

mod endpoint;
mod files;
mod health;
mod reply;
mod serve;

pub use serve::{serve, serve_with, shutdown_signal, ServerLimits};

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::app::App;
use crate::graphql::{self, MsiSchema};

/// Largest request body accepted (a report is a few KiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest multipart request (a file upload: a CSV of some 20,000 reports).
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;
/// Longest a client may take to send a request's body.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(15);
/// Largest answer sent (beyond it, a `RESPONSE_TOO_LARGE` error).
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

#[derive(Clone)]
struct HttpState {
    app: Arc<App>,
    schema: MsiSchema,
}

/// The service's routes: `POST /graphql`, `GET /graphql` (GraphiQL), the report workbooks
/// under `/reports`, `/healthz`, `/readyz`.
pub fn router(app: Arc<App>) -> Router {
    let schema = graphql::schema(app.clone());
    let cors = cors(&app.settings.cors_origins);
    let router = Router::new()
        .route(
            "/graphql",
            get(endpoint::graphql_get).post(endpoint::graphql_endpoint),
        )
        .route("/reports/template.xlsx", get(files::template))
        .route("/reports/{dealer}/{file}", get(files::report_workbook))
        .route("/packs/{file}", get(files::meeting_pack))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(health::readyz))
        .with_state(HttpState { app, schema })
        // The GraphQL extractor streams the body, so the limit is enforced on the stream too;
        // the endpoint holds a request that is not an upload to the smaller limit.
        .layer(RequestBodyLimitLayer::new(MAX_UPLOAD_BYTES))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
        .layer(RequestBodyTimeoutLayer::new(BODY_TIMEOUT))
        // A panic that still happens answers this request with INTERNAL, and only this one.
        .layer(CatchPanicLayer::custom(reply::panicked))
        // The span holds method, path and the request id only: never other headers, so never
        // a token.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::extract::Request| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        // A request id, the client's (`X-Request-Id`) or a new one, echoed in the answer.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        // gzip, br or zstd as the client accepts (a page of facts shrinks about 11×); not
        // workbooks, which are zip archives already, nor answers too small to gain.
        .layer(
            CompressionLayer::new().compress_when(
                SizeAbove::new(1024)
                    .and(NotForContentType::const_new(files::XLSX)),
            ),
        );
    match cors {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

/// The CORS layer for the configured origins (none: no layer, so browsers keep to the
/// same origin). Bearer tokens, not cookies: credentials are never allowed.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    use axum::http::{header, HeaderName, HeaderValue, Method};
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    let request_id = HeaderName::from_static("x-request-id");
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                request_id.clone(),
                HeaderName::from_static("traceparent"),
            ])
            .expose_headers([request_id, header::CONTENT_DISPOSITION])
            .max_age(Duration::from_secs(3600)),
    )
}
