//! Catalogue endpoints: the rules in use with their sources and how sure each table is, and a
//! reload (administrators) that refuses a bad catalogue and keeps the one in use.

use super::{AppState, reload_catalog};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::sync::Arc;
use tocsin_core::access::{Access, Resource};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/catalog", get(rules))
        .route("/api/v1/catalog/reload", post(reload))
}

fn status_name(status: tocsin_core::catalog::Confidence) -> String {
    status.as_str().to_string()
}

#[utoipa::path(
    get,
    path = "/api/v1/catalog",
    operation_id = "catalog_rules",
    tag = "catalog",
    summary = "The rules in use with their sources and levels",
    responses((status = 200, description = "OK", body = ref("#/components/schemas/Catalog")))
)]
async fn rules(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
) -> Result<Json<Value>, ApiError> {
    who.require(Resource::Catalog, Access::Read)?;
    let catalog = state.engine.catalog();
    let rules: Vec<Value> = catalog
        .rules
        .iter()
        .map(|r| {
            let levels: Vec<Value> = r
                .bands
                .iter()
                .map(|b| {
                    json!({
                        "level": b.level, "min": b.min.to_string(), "max": b.max.as_ref().map(|m| m.to_string()),
                        "sustained_seconds": b.sustained_s, "status": status_name(b.status),
                        "severity": b.severity.as_deref().unwrap_or(tocsin_core::catalog::cap::severity_of(b.level)),
                        "colour": tocsin_core::catalog::cap::colour_of(b.level).0,
                    })
                })
                .collect();
            json!({
                "id": r.id, "hazard": r.hazard, "name_vi": r.name_vi, "name_en": r.name_en,
                "indicator": catalog.indicators[r.indicator].id, "source": r.source, "status": status_name(r.status), "levels": levels,
                "cap": {
                    "category": r.cap.category, "event_vi": r.cap.event_vi, "event_en": r.cap.event_en,
                    "headline_vi": r.cap.headline_vi, "headline_en": r.cap.headline_en,
                    "instruction_vi": r.cap.instruction_vi, "instruction_en": r.cap.instruction_en,
                },
            })
        })
        .collect();
    Ok(Json(json!({ "rules": rules })))
}

#[utoipa::path(
    post,
    path = "/api/v1/catalog/reload",
    operation_id = "catalog_reload",
    tag = "catalog",
    summary = "Reload the rule catalogue (administrators)",
    responses((status = 200, description = "OK", body = ref("#/components/schemas/Reloaded")))
)]
async fn reload(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
) -> Result<Json<Value>, ApiError> {
    who.require(Resource::Catalog, Access::Write)?;
    let reloading = state.clone();
    let outcome = tokio::task::spawn_blocking(move || reload_catalog(&reloading))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "reload failed; see the server log",
            )
        })?;
    match outcome {
        Ok(rules) => Ok(Json(json!({ "reloaded": true, "rules": rules }))),
        Err(problems) => Err(ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: format!(
                "{} problem(s): the catalogue was not reloaded and the previous one stays in use",
                problems.len()
            ),
            details: Some(json!(problems)),
        }),
    }
}
