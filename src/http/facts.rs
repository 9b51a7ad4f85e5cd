//! `GET /facts.csv?from=YYYY-MM&to=YYYY-MM[&kpis=a,b][&updatedSince=RFC3339]`: KPI facts as
//! one streamed CSV (a header line, then one line per fact in the order of `kpiFacts`), for
//! BI tools that read a URL with a header token (Power BI, Tableau, Superset). The same
//! arguments and the same scope as `kpiFacts`; compressed as the client accepts.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::DateTime;
use futures_util::stream::{self, StreamExt};

use super::endpoint::authenticate;
use super::reply::app_error;
use super::HttpState;
use crate::app::{AppError, FactAsk};
use crate::domain::Month;
use crate::files::fact_csv::{header_line, push_lines, Stamps};
use crate::store::FactQuery;

/// The content type of the pull (its own, so that it is compressed at its route only).
pub(super) const CSV: &str = "text/csv; charset=utf-8; header=present";

/// Facts read and written per chunk of the stream (about 1 MB of CSV).
const CHUNK_FACTS: usize = 10_000;

pub async fn facts_csv(
    State(state): State<HttpState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let who = match authenticate(&state, &headers) {
        Ok(p) => p,
        Err(refused) => return *refused,
    };
    let query = match ask(&q).and_then(|ask| state.app.fact_query(&who, ask)) {
        Ok(query) => query,
        Err(e) => return app_error(e),
    };
    // The first chunk is read before answering, so that a failure is an error answer,
    // not a stream cut short.
    let first = match state.app.facts(&query).await {
        Ok(page) => page,
        Err(e) => return app_error(e),
    };
    let name = format!("msi_facts_{}_{}.csv", query.from, query.to);
    let mut stamps = Stamps::default();
    let mut head = header_line();
    push_lines(&mut head, &first.rows, &mut stamps);
    let next = first.next.map(|after| FactQuery {
        after: Some(after),
        ..query
    });
    let app = state.app.clone();
    let rest = stream::unfold((app, next, stamps), |(app, next, mut stamps)| async move {
        let q = next?;
        match app.facts(&q).await {
            Ok(page) => {
                let mut out = String::new();
                push_lines(&mut out, &page.rows, &mut stamps);
                let next = page.next.map(|after| FactQuery {
                    after: Some(after),
                    ..q
                });
                Some((Ok::<_, std::io::Error>(out), (app, next, stamps)))
            }
            Err(e) => {
                // The status has gone: the client sees a body that stops short of a line.
                tracing::error!(error = %e, "a fact pull failed mid-stream");
                Some((
                    Err(std::io::Error::other("fact pull failed")),
                    (app, None, stamps),
                ))
            }
        }
    });
    // Fused: the compression layer may poll again after the end.
    let csv = stream::once(async move { Ok::<_, std::io::Error>(head) })
        .chain(rest)
        .fuse();
    let gzip = accepts_gzip(&headers);
    let body = if gzip {
        Body::from_stream(gzipped(csv))
    } else {
        Body::from_stream(csv)
    };
    let mut out = (StatusCode::OK, body).into_response();
    let h = out.headers_mut();
    if gzip {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(CSV));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out
}

/// Whether the client accepts gzip (`Accept-Encoding`, a quality above zero).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let q = parts
                .find_map(|p| p.strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (name.eq_ignore_ascii_case("gzip") || name == "*") && q > 0.0
        })
}

/// The stream gzipped (one gzip member, fastest level) on a thread of its own, while the
/// next chunk is read and formatted: the two halves of a compressed pull run side by side.
/// The client going away ends both.
fn gzipped(
    csv: impl futures_util::Stream<Item = std::io::Result<String>> + Send + 'static,
) -> impl futures_util::Stream<Item = std::io::Result<Vec<u8>>> + Send + 'static {
    use std::io::Write;
    let (chunks, mut to_compress) = tokio::sync::mpsc::channel::<std::io::Result<String>>(2);
    let (compressed, out) = tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(2);
    tokio::spawn(async move {
        let mut csv = std::pin::pin!(csv);
        while let Some(chunk) = csv.next().await {
            let failed = chunk.is_err();
            if chunks.send(chunk).await.is_err() || failed {
                return;
            }
        }
    });
    tokio::task::spawn_blocking(move || {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        while let Some(chunk) = to_compress.blocking_recv() {
            // A failed read ends the body without the gzip trailer: the client sees a
            // stream cut short, never a complete-looking one.
            let written = chunk.and_then(|text| gz.write_all(text.as_bytes()));
            if let Err(e) = written {
                let _ = compressed.blocking_send(Err(e));
                return;
            }
            let done = std::mem::take(gz.get_mut());
            if !done.is_empty() && compressed.blocking_send(Ok(done)).is_err() {
                return;
            }
        }
        let _ = compressed.blocking_send(gz.finish());
    });
    stream::unfold(
        out,
        |mut out| async move { out.recv().await.map(|b| (b, out)) },
    )
}

/// The pull's arguments from the URL, each checked where it is read.
fn ask(q: &HashMap<String, String>) -> Result<FactAsk, AppError> {
    let month = |field: &str| -> Result<Option<Month>, AppError> {
        q.get(field)
            .map(|m| {
                m.parse::<Month>()
                    .map_err(|_| AppError::invalid(field, format!("`{m}` is not a month: YYYY-MM")))
            })
            .transpose()
    };
    let updated_since = q
        .get("updatedSince")
        .map(|t| {
            DateTime::parse_from_rfc3339(t)
                .map(|t| t.timestamp_millis())
                .map_err(|_| {
                    AppError::invalid(
                        "updatedSince",
                        format!("`{t}` is not an RFC 3339 time (2026-11-01T00:00:00Z)"),
                    )
                })
        })
        .transpose()?;
    let kpis = q.get("kpis").map(|k| {
        k.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    });
    Ok(FactAsk {
        from: month("from")?,
        to: month("to")?,
        kpis,
        updated_since,
        after: None,
        before: None,
        from_end: false,
        limit: CHUNK_FACTS,
    })
}
