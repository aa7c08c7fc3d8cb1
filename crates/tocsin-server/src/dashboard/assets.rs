//! The dashboard's style sheet and scripts, embedded in the binary at build time.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

/// Every asset: name, content type, content.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "dashboard.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/dashboard.css"),
    ),
    (
        "common.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/common.js"),
    ),
    (
        "map.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/map.js"),
    ),
    (
        "region.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/region.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../../assets/favicon.svg"),
    ),
    (
        "warning.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/warning.js"),
    ),
];

pub async fn serve(Path(name): Path<String>) -> Response {
    answer(&name)
}

/// Browsers ask for `/favicon.ico` on every page of the site.
pub async fn favicon() -> Response {
    answer("favicon.svg")
}

fn answer(name: &str) -> Response {
    match ASSETS.iter().find(|(n, ..)| *n == name) {
        Some((_, kind, content)) => (
            [
                (CONTENT_TYPE, *kind),
                (CACHE_CONTROL, "public, max-age=3600"),
                (axum::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            *content,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, format!("no asset {name:?}")).into_response(),
    }
}
