//! Files embedded in the binary (GraphiQL's, the dashboard's), served with an entity tag
//! so that browsers revalidate instead of downloading again: no CDN, so the pages work
//! where the network has no internet access.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

pub const JS: &str = "text/javascript; charset=utf-8";
pub const CSS: &str = "text/css; charset=utf-8";

/// A file a page loads: its name, content type and bytes.
pub type Asset = (&'static str, &'static str, &'static [u8]);

/// The entity tag of each asset (its content's hash).
pub fn etags(assets: &[Asset]) -> Vec<String> {
    assets
        .iter()
        .map(|(_, _, bytes)| {
            let hash = Sha256::digest(bytes);
            let hex: String = hash[..12].iter().map(|b| format!("{b:02x}")).collect();
            format!("\"{hex}\"")
        })
        .collect()
}

/// The asset named `file` (404 for any other name), or 304 when the browser holds it.
pub fn serve(assets: &[Asset], etags: &[String], file: &str, headers: &HeaderMap) -> Response {
    let Some(i) = assets.iter().position(|(name, _, _)| *name == file) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let (_, kind, bytes) = assets[i];
    let etag = &etags[i];
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

/// A page: never cached (it carries the current month), its scripts only from this
/// service, and it talks to this service only.
pub fn page(html: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
        ],
        html,
    )
        .into_response()
}
