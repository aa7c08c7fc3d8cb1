//! The operations dashboard: server-rendered pages (askama templates, checked at compile time)
//! with small plain scripts for the live parts; every asset is embedded in the binary, nothing
//! is fetched from outside. Pages need a signed-in session and redirect to `/login` without one;
//! they read through the same engine calls as the API, so the user's scope applies to every page
//! and to every endpoint the scripts call.

mod assets;
mod drill_pages;
mod i18n;
mod pages;
mod response_pages;

use crate::api::AppState;
use crate::api::session::{cookie, page_session};
use crate::extract::Query;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use i18n::{LANG_COOKIE, Labels, Lang};
use serde::Deserialize;
use std::sync::Arc;
use tocsin_engine::access::Principal;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(pages::map))
        .route("/regions/{code}", get(pages::region))
        .route("/warnings", get(pages::warnings))
        .route("/warnings/{id}", get(pages::warning))
        .route("/incidents", get(response_pages::incidents))
        .route("/incidents/{id}", get(response_pages::incident))
        .route("/resources", get(response_pages::resources))
        .route("/drills", get(drill_pages::drills))
        .route("/drills/{id}/report", get(drill_pages::report))
        .route("/language", get(switch_language))
        .route("/assets/{name}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
}

/// Who is looking at a page, in which language; what every page template receives.
pub struct Viewer {
    pub principal: Principal,
    pub name: String,
    pub csrf: String,
    pub lang: Lang,
    pub t: &'static Labels,
    /// The page's path, for the language switch to come back to.
    pub path: String,
}

impl Viewer {
    /// Whether the user may release and cancel warnings.
    pub fn releases(&self) -> bool {
        self.principal.role.can_release_warnings()
    }

    /// Whether the user sees the whole nation (drills belong to the whole node).
    pub fn national(&self) -> bool {
        self.principal.scope.region == tocsin_core::region::NATION_CODE
    }

    /// The labels as JSON for the scripts (`<` escaped, so it cannot close the script element).
    pub fn labels_json(&self) -> String {
        serde_json::to_string(self.t)
            .unwrap_or_default()
            .replace('<', "\\u003c")
    }
}

impl FromRequestParts<Arc<AppState>> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let Some(session) = page_session(state, &parts.headers).await else {
            return Err(see_other("/login"));
        };
        let lang = Lang::from_cookie(cookie(&parts.headers, LANG_COOKIE).as_deref());
        Ok(Viewer {
            principal: session.principal,
            name: if session.user.display_name.is_empty() {
                session.user.username
            } else {
                session.user.display_name
            },
            csrf: session.csrf_token,
            lang,
            t: lang.labels(),
            path: parts
                .uri
                .path_and_query()
                .map_or("/".into(), |p| p.as_str().to_string()),
        })
    }
}

fn see_other(to: &str) -> Response {
    let location = HeaderValue::from_str(to).unwrap_or_else(|_| HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response()
}

/// What pages may load and do: only this site's scripts, styles and connections.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A rendered page with its security headers, or the error page when rendering failed.
fn page(rendered: askama::Result<String>) -> Response {
    match rendered {
        Ok(html) => (
            [
                ("content-security-policy", PAGE_POLICY),
                ("x-frame-options", "DENY"),
                ("x-content-type-options", "nosniff"),
                ("referrer-policy", "same-origin"),
                ("cache-control", "no-store"),
            ],
            Html(html),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page could not be rendered");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered; see the server log",
            )
                .into_response()
        }
    }
}

#[derive(Deserialize)]
struct LanguageChoice {
    to: Option<String>,
    back: Option<String>,
}

/// `GET /language?to=en&back=/warnings`: keeps the choice in a cookie and goes back to the page
/// (only to a path on this site).
async fn switch_language(Query(choice): Query<LanguageChoice>) -> Response {
    let lang = Lang::from_cookie(choice.to.as_deref());
    let back = choice
        .back
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\'))
        .unwrap_or_else(|| "/".into());
    let mut response = see_other(&back);
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        lang.code()
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}
