//! The node's drills (`/drills`, national scope): each with its state, how far its scenario
//! has got and how many expectations it met, and the scored report of a finished one
//! (`/drills/{id}/report`, the same self-contained page `tocsin drill run --html` writes).

use super::{Viewer, page};
use crate::api::AppState;
use crate::api::drills::{exercises, require_national_reader};
use crate::drill_report::millis;
use crate::extract::Path;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use std::sync::Arc;

pub struct DrillRow {
    pub id: u64,
    pub drill: String,
    pub title: String,
    pub state: &'static str,
    pub error: Option<String>,
    pub reached: String,
    pub started: String,
    pub met: String,
    pub finished: bool,
}

#[derive(Template)]
#[template(path = "drills.html")]
struct DrillsPage {
    v: Viewer,
    rows: Vec<DrillRow>,
}

pub async fn drills(State(state): State<Arc<AppState>>, v: Viewer) -> Response {
    let runs = match require_national_reader(&v.principal).and_then(|()| exercises(&state)) {
        Ok(exercises) => exercises.list(),
        Err(e) => return super::pages::failure(e),
    };
    let t = v.t;
    let rows = runs
        .into_iter()
        .map(|r| DrillRow {
            id: r.id,
            title: if v.lang == super::i18n::Lang::En {
                r.title_en.clone()
            } else {
                r.title_vi.clone()
            },
            state: t
                .drill_states
                .iter()
                .find(|(code, _)| *code == r.status)
                .map_or(r.status, |(_, name)| name),
            reached: v
                .lang
                .time(millis(r.scenario_time.as_deref().unwrap_or_default())),
            started: v.lang.time(millis(&r.started)),
            met: r
                .expectations_met
                .map_or_else(String::new, |(met, of)| format!("{met} / {of}")),
            finished: r.status == "finished",
            error: r.error,
            drill: r.drill,
        })
        .collect();
    page(DrillsPage { v, rows }.render())
}

/// What the report page may load: nothing but its own inline style (it has no script).
const REPORT_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub async fn report(
    State(state): State<Arc<AppState>>,
    v: Viewer,
    Path(id): Path<u64>,
) -> Response {
    let view = match require_national_reader(&v.principal).and_then(|()| exercises(&state)) {
        Ok(exercises) => exercises.view(id),
        Err(e) => return super::pages::failure(e),
    };
    let Some(report) = view.and_then(|view| view.report) else {
        return (
            StatusCode::NOT_FOUND,
            format!("drill {id} has no report (yet)"),
        )
            .into_response();
    };
    (
        [
            ("content-security-policy", REPORT_POLICY),
            ("x-content-type-options", "nosniff"),
            ("cache-control", "no-store"),
        ],
        Html(crate::drill_report::html(&report)),
    )
        .into_response()
}
