//! Detection endpoints: rule level changes over a period, paged by sequence number, and the
//! situation of a region (active levels rolled up commune → province → nation).

use super::{AppState, blocking};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Json, Query};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use tocsin_core::observation::parse_time;
use tocsin_engine::detect::detection_json;
use tocsin_engine::situation::Situation;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/detections", get(detections))
        .route("/api/v1/situation", get(situation))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Period {
    region: Option<String>,
    #[param(format = DateTime)]
    from: Option<String>,
    #[param(format = DateTime)]
    to: Option<String>,
    /// The sequence number after which the page starts (the `next` of the previous page).
    after: Option<i64>,
    limit: Option<usize>,
}

fn optional_time(text: &Option<String>, name: &str, default_ms: i64) -> Result<i64, ApiError> {
    match text.as_deref().filter(|t| !t.is_empty()) {
        None => Ok(default_ms),
        Some(t) => parse_time(Some(t), name)
            .map_err(|r| ApiError::bad_request(format!("{}: {}", r.field, r.reason))),
    }
}

/// `{"detections": [...], "more": bool, "next": seq}`: one page in sequence order; `more` says
/// the answer was cut at `limit` and the rest follows with `after=<next>`.
#[utoipa::path(
    get,
    path = "/api/v1/detections",
    operation_id = "detections_detections",
    tag = "detections",
    summary = "Rule level changes over a period, paged by sequence",
    params(Period), responses((status = 200, description = "OK", body = ref("#/components/schemas/DetectionPage")))
)]
async fn detections(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Query(p): Query<Period>,
) -> Result<Json<Value>, ApiError> {
    let now = state.engine.clock().now().as_millisecond();
    let from = optional_time(&p.from, "from", now - 86_400_000)?;
    let to = optional_time(&p.to, "to", now + 1)?;
    let after = p.after.unwrap_or(0);
    let engine = state.engine.clone();
    let page = blocking(move || {
        let limit = p.limit.unwrap_or(1000);
        engine.detection_page(&who, p.region.as_deref(), (from, to), after, limit)
    })
    .await?;
    // Where the next request starts: after this page, or where this one started if it is empty
    // (so a client polling for new detections keeps its place).
    let next = page.detections.last().map_or(after, |(seq, _)| *seq);
    let detections: Vec<Value> = page
        .detections
        .iter()
        .map(|(seq, d)| {
            let mut row = detection_json(d);
            row["seq"] = json!(seq);
            row
        })
        .collect();
    Ok(Json(json!({
        "detections": detections,
        "more": page.more,
        "next": next,
    })))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct RegionParam {
    region: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/situation",
    operation_id = "detections_situation",
    tag = "detections",
    summary = "The active levels of a region, rolled up",
    params(RegionParam), responses((status = 200, description = "OK", body = ref("#/components/schemas/Situation")))
)]
async fn situation(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Query(p): Query<RegionParam>,
) -> Result<Json<Value>, ApiError> {
    let engine = state.engine.clone();
    let reader = engine.clone();
    let s: Situation = blocking(move || reader.situation(&who, p.region.as_deref())).await?;
    let commune = |c: &tocsin_engine::situation::CommuneLevel| {
        let reason = c.raise_reason(|h| engine.hazard_names(h));
        json!({
            "level": c.level,
            "highest_rule_level": c.highest_rule_level,
            "raise": c.raise,
            "reason": reason.map(|(vi, en)| json!({"vi": vi, "en": en})),
            "hazards": c.hazards,
        })
    };
    Ok(Json(json!({
        "region": s.region,
        "max_level": s.max_level,
        "communes_per_level": { "1": s.communes_per_level[0], "2": s.communes_per_level[1], "3": s.communes_per_level[2], "4": s.communes_per_level[3], "5": s.communes_per_level[4] },
        "provinces": s.provinces,
        "communes": s.communes.iter().map(|(code, c)| (code.clone(), commune(c))).collect::<serde_json::Map<String, Value>>(),
        "active": s.active.iter().map(detection_json).collect::<Vec<_>>(),
        "silent_stations": s.silent_stations.iter().map(detection_json).collect::<Vec<_>>(),
        "expected": s.expected.iter().map(detection_json).collect::<Vec<_>>(),
    })))
}
