//! GraphiQL, served from the binary: the page and its scripts are embedded (no CDN, so it
//! works where the network has no internet access). See `assets/graphiql/README.md` for
//! what each file is and where it comes from.

use std::sync::LazyLock;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::HttpState;

const PAGE: &str = include_str!("../../assets/graphiql/index.html");

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The files the page loads, by name: content type and bytes.
const ASSETS: [(&str, &str, &[u8]); 6] = [
    (
        "react.production.min.js",
        JS,
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        JS,
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
    (
        "graphiql.min.js",
        JS,
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        CSS,
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "msi-graphiql.js",
        JS,
        include_bytes!("../../assets/graphiql/msi-graphiql.js"),
    ),
    (
        "msi-graphiql.css",
        CSS,
        include_bytes!("../../assets/graphiql/msi-graphiql.css"),
    ),
];

/// The entity tag of each asset (its content's hash), computed once.
static ETAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|(_, _, bytes)| {
            let hash = Sha256::digest(bytes);
            let hex: String = hash[..12].iter().map(|b| format!("{b:02x}")).collect();
            format!("\"{hex}\"")
        })
        .collect()
});

/// The page, its example tabs set to last month and the demo network's first region and
/// dealer (constants: an anonymous visitor learns nothing of the database).
pub async fn page(State(state): State<HttpState>) -> Response {
    let month = state.app.current_month().plus(-1).to_string();
    let html = PAGE
        .replace("__MSI_MONTH__", &month)
        .replace("__MSI_REGION__", "R01")
        .replace("__MSI_DEALER__", "D00001");
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
        ],
        html,
    )
        .into_response()
}

/// `GET /graphql/assets/{file}`: one of the page's files (404 for any other name); cached
/// by the browser, revalidated by entity tag.
pub async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some(i) = ASSETS.iter().position(|(name, _, _)| *name == file) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let (_, kind, bytes) = ASSETS[i];
    let etag = &ETAGS[i];
    let cached = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let etag = HeaderValue::from_str(etag).expect("hex in quotes");
    let common = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    if cached {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        common,
        [(header::CONTENT_TYPE, HeaderValue::from_static(kind))],
        bytes,
    )
        .into_response()
}
