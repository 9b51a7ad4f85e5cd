//! The dashboard at `/`: regional managers' and dealers' views over the same GraphQL
//! endpoint, with the user's token (see `assets/dashboard/README.md`). Its files are
//! embedded; with the development secret it offers demo users to sign in as.

use std::sync::LazyLock;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::assets::{self, Asset, CSS, JS};
use super::reply;
use super::HttpState;

const PAGE: &str = include_str!("../../assets/dashboard/index.html");

macro_rules! asset {
    ($name:literal, $kind:expr) => {
        (
            $name,
            $kind,
            include_bytes!(concat!("../../assets/dashboard/", $name)),
        )
    };
}

/// The files the page loads.
const ASSETS: [Asset; 14] = [
    asset!("app.css", CSS),
    asset!("echarts.min.js", JS),
    asset!("main.js", JS),
    asset!("session.js", JS),
    asset!("api.js", JS),
    asset!("i18n.js", JS),
    asset!("format.js", JS),
    asset!("ui.js", JS),
    asset!("charts.js", JS),
    asset!("view-region.js", JS),
    asset!("view-ranking.js", JS),
    asset!("view-dealer.js", JS),
    asset!("view-targets.js", JS),
    asset!("view-form.js", JS),
];

static ETAGS: LazyLock<Vec<String>> = LazyLock::new(|| assets::etags(&ASSETS));

/// The page with the report form's layout in it (it holds no copy of the field table).
static PAGE_WITH_FORM: LazyLock<String> = LazyLock::new(|| {
    // Inside a <script> element: no `</` may end it early.
    let form = crate::graphql::form_layout()
        .to_string()
        .replace("</", "<\\/");
    PAGE.replace("\"__MSI_FORM__\"", &form)
});

/// `GET /`: the page, its views opening on last month (the latest whole month).
pub async fn page(State(state): State<HttpState>) -> Response {
    let month = state.app.current_month().plus(-1).to_string();
    assets::page(PAGE_WITH_FORM.replace("__MSI_MONTH__", &month))
}

/// `GET /dashboard/assets/{file}`.
pub async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    assets::serve(&ASSETS, &ETAGS, &file, &headers)
}

/// `GET /dashboard/demo-users`: users to sign in as, each with a fresh token, when tokens
/// are signed with the development secret; 404 otherwise.
pub async fn demo_users(State(state): State<HttpState>) -> Response {
    match state.app.demo_users().await {
        Ok(Some(users)) => (
            [(axum::http::header::CACHE_CONTROL, "no-store")],
            Json(users),
        )
            .into_response(),
        Ok(None) => reply::error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "no demo users: tokens come from the configured secret or identity provider",
            serde_json::Value::Null,
        ),
        Err(e) => reply::app_error(e),
    }
}
