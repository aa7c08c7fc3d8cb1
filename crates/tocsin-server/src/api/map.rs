//! Map data for the dashboard: the compact commune shapes of the provinces in the caller's scope
//! (`tocsin_engine::map` describes the encoding).

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
use tocsin_engine::map::Detail;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/v1/map/communes", get(communes))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Params {
    province: Option<String>,
    /// `overview` (default without a province) or `province` (default with one).
    #[param(pattern = "^(overview|province)$")]
    detail: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/map/communes",
    operation_id = "map_communes",
    tag = "map",
    summary = "Compact commune shapes for the map",
    params(Params), responses((status = 200, description = "OK", body = ref("#/components/schemas/MapShapes")))
)]
async fn communes(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Query(p): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    let detail = match (p.detail.as_deref(), &p.province) {
        (Some("overview"), _) | (None, None) => Detail::Overview,
        (Some("province"), _) | (None, Some(_)) => Detail::Province,
        (Some(other), _) => {
            return Err(ApiError::bad_request(format!(
                "detail: {other:?} is neither overview nor province"
            )));
        }
    };
    let engine = state.engine.clone();
    let shapes = blocking(move || engine.map_shapes(&who, p.province.as_deref(), detail)).await?;
    let provinces: Vec<&tocsin_engine::map::ProvinceShapes> =
        shapes.iter().map(|s| s.as_ref()).collect();
    Ok(Json(json!({
        "detail": detail,
        "scale": detail.scale(),
        "tolerance_degrees": detail.tolerance(),
        "encoding": "each ring: [lon0, lat0, dlon1, dlat1, …] in 1/scale degree, the first point absolute",
        "provinces": provinces,
    })))
}
