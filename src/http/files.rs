//! Files over HTTP, with the bearer token as for GraphQL: `GET /reports/{dealer}/{month}.xlsx`
//! (a dealer's report as the MSI workbook), `GET /reports/template.xlsx` (the blank form)
//! and `GET /packs/meeting.xlsx` / `.csv` (the meeting pack).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::endpoint::authenticate;
use super::reply::{app_error, error};
use super::HttpState;
use crate::app::PackFormat;
use crate::domain::Month;

pub(super) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn xlsx(bytes: Vec<u8>, name: &str) -> Response {
    file(bytes, name, XLSX)
}

fn file(bytes: Vec<u8>, name: &str, kind: &'static str) -> Response {
    let mut out = (StatusCode::OK, bytes).into_response();
    let h = out.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out
}

/// A dealer's report of a month as the MSI workbook.
pub async fn report_workbook(
    State(state): State<HttpState>,
    headers: HeaderMap,
    Path((dealer, file)): Path<(String, String)>,
) -> Response {
    let who = match authenticate(&state, &headers) {
        Ok(p) => p,
        Err(refused) => return *refused,
    };
    let Some(month) = file
        .strip_suffix(".xlsx")
        .and_then(|m| m.parse::<Month>().ok())
    else {
        return error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "a report workbook is at /reports/{dealerCode}/{YYYY-MM}.xlsx",
            serde_json::Value::Null,
        );
    };
    match state.app.report_workbook(&who, &dealer, month).await {
        Ok(bytes) => xlsx(bytes, &format!("MSI_{dealer}_{month}.xlsx")),
        Err(e) => app_error(e),
    }
}

/// The blank MSI workbook.
pub async fn template(State(state): State<HttpState>, headers: HeaderMap) -> Response {
    if let Err(refused) = authenticate(&state, &headers) {
        return *refused;
    }
    match state.app.blank_workbook() {
        Ok(bytes) => xlsx(bytes, "MSI_template.xlsx"),
        Err(e) => app_error(e),
    }
}

/// `GET /packs/meeting.{xlsx,csv}?month=YYYY-MM[&region=R][&kpis=a,b][&table=status]`: the
/// meeting pack of a region (default: the caller's scope) for a month; CSV gives one
/// table (`status`, `overview`, `rankings` or `actions`).
pub async fn meeting_pack(
    State(state): State<HttpState>,
    headers: HeaderMap,
    Path(file_name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let who = match authenticate(&state, &headers) {
        Ok(p) => p,
        Err(refused) => return *refused,
    };
    let bad =
        |field: &str, message: String| app_error(crate::app::AppError::invalid(field, message));
    let Some(month) = q.get("month").and_then(|m| m.parse::<Month>().ok()) else {
        return bad("month", "give the month: ?month=YYYY-MM".into());
    };
    let kpis: Vec<String> = q
        .get("kpis")
        .map(|k| {
            k.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let format = match file_name.as_str() {
        "meeting.xlsx" => PackFormat::Workbook,
        "meeting.csv" => PackFormat::Csv(q.get("table").map_or("status", String::as_str).into()),
        _ => {
            return error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "the meeting pack is /packs/meeting.xlsx or /packs/meeting.csv",
                serde_json::Value::Null,
            )
        }
    };
    let kind = match format {
        PackFormat::Workbook => XLSX,
        PackFormat::Csv(_) => "text/csv; charset=utf-8",
    };
    match state
        .app
        .meeting_pack_file(&who, q.get("region").cloned(), month, &kpis, format)
        .await
    {
        Ok((bytes, name)) => file(bytes, &name, kind),
        Err(e) => app_error(e),
    }
}
