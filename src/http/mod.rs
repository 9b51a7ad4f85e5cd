//! HTTP: the GraphQL endpoint, GraphiQL, health and readiness, the middleware around them,
//! and the server loop with its connection limits.

mod assets;
mod dashboard;
mod endpoint;
mod facts;
mod files;
mod graphiql;
mod health;
mod metrics;
mod reply;
mod serve;
mod subscriptions;

pub use serve::{serve, serve_with, shutdown_signal, ServerLimits};

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use tracing::Level;

use crate::app::App;
use crate::graphql::{self, MsiSchema, ParsedDocuments, PersistedQueries};

/// Largest request body accepted (a report is a few KiB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest multipart request (a file upload: a CSV of some 20,000 reports).
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;
/// Longest a client may take to send a request's body.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(15);
/// Largest answer sent (beyond it, a `RESPONSE_TOO_LARGE` error).
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// Most operations in one batched request (each within the per-operation limits; the
/// batch shares one time limit).
pub const MAX_BATCH: usize = 10;

#[derive(Clone)]
struct HttpState {
    app: Arc<App>,
    schema: MsiSchema,
    persisted: Arc<PersistedQueries>,
    documents: Arc<ParsedDocuments>,
}

/// The service's routes: `POST /graphql`, `GET /graphql` (a query, or GraphiQL), the
/// report workbooks under `/reports`, meeting packs under `/packs`, `/healthz`, `/readyz`,
/// `/metrics`.
pub fn router(app: Arc<App>) -> Router {
    let schema = graphql::schema(app.clone());
    let cors = cors(&app.settings.cors_origins);
    let persisted = Arc::new(PersistedQueries::new(app.settings.allow_list.clone()));
    let state = HttpState {
        app,
        schema,
        persisted,
        documents: Default::default(),
    };
    // What people and tools ask: one log line per request (at the default level).
    let api = Router::new()
        .route(
            "/graphql",
            get(endpoint::graphql_get).post(endpoint::graphql_endpoint),
        )
        .route("/graphql/ws", get(subscriptions::graphql_ws))
        .route("/graphql/assets/{file}", get(graphiql::asset))
        .route("/", get(dashboard::page))
        .route("/dashboard/assets/{file}", get(dashboard::asset))
        .route("/dashboard/demo-users", get(dashboard::demo_users))
        .route("/reports/template.xlsx", get(files::template))
        .route("/reports/{dealer}/{file}", get(files::report_workbook))
        .route("/packs/{file}", get(files::meeting_pack))
        // At each algorithm's fastest level: the pull streams some 160 MB/s, which the
        // default levels cut to a third or less on one core.
        .route(
            "/facts.csv",
            get(facts::facts_csv).layer(CompressionLayer::new().quality(CompressionLevel::Fastest)),
        )
        .with_state(state.clone())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(LatencyUnit::Millis),
                ),
        );
    // Probes and scrapes, every few seconds: not logged.
    let probes = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .with_state(state);
    let router = api
        .merge(probes)
        // The GraphQL extractor streams the body, so the limit is enforced on the stream too;
        // the endpoint holds a request that is not an upload to the smaller limit.
        .layer(RequestBodyLimitLayer::new(MAX_UPLOAD_BYTES))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
        .layer(RequestBodyTimeoutLayer::new(BODY_TIMEOUT))
        // A panic that still happens answers this request with INTERNAL, and only this one.
        .layer(CatchPanicLayer::custom(reply::panicked))
        // A request id, the client's (`X-Request-Id`) or a new one, echoed in the answer.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        // gzip, br or zstd as the client accepts (a page of facts shrinks about 11×); not
        // workbooks, which are zip archives already, nor answers too small to gain, nor
        // the CSV pull, compressed at its route.
        .layer(
            CompressionLayer::new().compress_when(
                SizeAbove::new(1024)
                    .and(NotForContentType::const_new(files::XLSX))
                    .and(NotForContentType::const_new(facts::CSV)),
            ),
        );
    match cors {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

/// The span of a request: method, path, request id, the W3C trace it belongs to (from
/// `traceparent`), and, once known, the caller's role and the operations asked. Never
/// other headers, so never a token.
fn request_span(req: &axum::extract::Request) -> tracing::Span {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let request_id = header("x-request-id").unwrap_or("-");
    let (trace_id, parent_id) = header("traceparent")
        .and_then(trace_parent)
        .unwrap_or(("-", "-"));
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        request_id = %request_id,
        trace_id = %trace_id,
        parent_id = %parent_id,
        role = tracing::field::Empty,
        operation = tracing::field::Empty,
    )
}

/// The trace id and parent id of a W3C `traceparent` header
/// (`00-<32 hex>-<16 hex>-<2 hex>`), if it is one.
fn trace_parent(value: &str) -> Option<(&str, &str)> {
    let mut parts = value.trim().split('-');
    let (version, trace, parent, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let valid = hex(version, 2)
        && version != "ff"
        && hex(trace, 32)
        && trace.bytes().any(|b| b != b'0')
        && hex(parent, 16)
        && parent.bytes().any(|b| b != b'0')
        && hex(flags, 2)
        && (version != "00" || parts.next().is_none());
    valid.then_some((trace, parent))
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

#[cfg(test)]
mod tests {
    use super::trace_parent;

    #[test]
    fn a_traceparent_gives_its_trace_and_parent() {
        let t = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(
            trace_parent(t),
            Some(("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"))
        );
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
            "00-token\n-00f067aa0ba902b7-01",
        ] {
            assert_eq!(trace_parent(bad), None, "{bad}");
        }
    }
}
