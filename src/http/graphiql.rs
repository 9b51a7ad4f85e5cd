//! GraphiQL, served from the binary: the page and its scripts are embedded (no CDN, so it
//! works where the network has no internet access). See `assets/graphiql/README.md` for
//! what each file is and where it comes from.

use std::sync::LazyLock;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::assets::{self, Asset, CSS, JS};
use super::HttpState;

const PAGE: &str = include_str!("../../assets/graphiql/index.html");

/// The files the page loads, by name: content type and bytes.
const ASSETS: [Asset; 6] = [
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

static ETAGS: LazyLock<Vec<String>> = LazyLock::new(|| assets::etags(&ASSETS));

/// The page, its example tabs set to last month and the demo network's first region and
/// dealer (constants: an anonymous visitor learns nothing of the database).
pub async fn page(State(state): State<HttpState>) -> Response {
    let month = state.app.current_month().plus(-1).to_string();
    assets::page(
        PAGE.replace("__MSI_MONTH__", &month)
            .replace("__MSI_REGION__", "R01")
            .replace("__MSI_DEALER__", "D00001"),
    )
}

/// `GET /graphql/assets/{file}`: one of the page's files (404 for any other name); cached
/// by the browser, revalidated by entity tag.
pub async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    assets::serve(&ASSETS, &ETAGS, &file, &headers)
}
