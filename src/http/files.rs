//! Files over HTTP, with the bearer token as for GraphQL: `GET /reports/{dealer}/{month}.xlsx`
//! (a dealer's report as the MSI workbook) and `GET /reports/template.xlsx` (the blank form).

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::endpoint::authenticate;
use super::reply::{app_error, error};
use super::HttpState;
use crate::domain::Month;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn xlsx(bytes: Vec<u8>, name: &str) -> Response {
    let mut out = (StatusCode::OK, bytes).into_response();
    let h = out.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(XLSX));
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
