//! Region endpoints: a unit with its ancestors, its children, its successors, its boundary, the
//! commune containing a point, and accent-insensitive search.

use super::{AppState, blocking, parse_date};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use tocsin_core::region::Region;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/regions/search", get(search))
        .route("/api/v1/regions/locate", get(locate))
        .route("/api/v1/regions/{code}", get(region))
        .route("/api/v1/regions/{code}/children", get(children))
        .route("/api/v1/regions/{code}/successors", get(successors))
        .route("/api/v1/regions/{code}/boundary", get(boundary))
}

/// The JSON form of a region.
pub fn region_json(r: &Region) -> Value {
    json!({
        "code": r.code,
        "name": r.name,
        "name_en": r.name_en,
        "kind": r.kind,
        "division_type": r.division_type,
        "parent": r.parent,
        "valid_from": r.valid_from.map(|d| d.to_string()),
        "valid_to": r.valid_to.map(|d| d.to_string()),
        "centroid": r.centroid,
        "bbox": r.bbox.map(|b| [b.min_lon, b.min_lat, b.max_lon, b.max_lat]),
        "source": r.source,
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct At {
    /// The date the units are valid on (today by default).
    #[param(format = Date)]
    at: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/regions/{code}",
    operation_id = "regions_region",
    tag = "regions",
    summary = "A region with its ancestors",
    params(("code" = String, Path, description = "the region's code"), At), responses((status = 200, description = "OK", body = ref("#/components/schemas/Region")))
)]
async fn region(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(code): Path<String>,
    Query(q): Query<At>,
) -> Result<Json<Value>, ApiError> {
    let at = parse_date(q.at.as_deref())?;
    let engine = state.engine.clone();
    blocking(move || {
        let region = engine.region(&who, &code, at)?;
        let ancestors = engine.ancestors(&who, &region)?;
        let mut body = region_json(&region);
        body["ancestors"] = ancestors.iter().map(region_json).collect();
        Ok(Json(body))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/api/v1/regions/{code}/children",
    operation_id = "regions_children",
    tag = "regions",
    summary = "The units directly below a region",
    params(("code" = String, Path, description = "the region's code"), At), responses((status = 200, description = "OK", body = ref("#/components/schemas/Regions")))
)]
async fn children(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(code): Path<String>,
    Query(q): Query<At>,
) -> Result<Json<Value>, ApiError> {
    let at = parse_date(q.at.as_deref())?;
    let engine = state.engine.clone();
    blocking(move || {
        Ok(Json(
            engine
                .children(&who, &code, at)?
                .iter()
                .map(region_json)
                .collect(),
        ))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/api/v1/regions/{code}/successors",
    operation_id = "regions_successors",
    tag = "regions",
    summary = "What a unit became through the reforms",
    params(("code" = String, Path, description = "the region's code"), At), responses((status = 200, description = "OK", body = ref("#/components/schemas/Regions")))
)]
async fn successors(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(code): Path<String>,
    Query(q): Query<At>,
) -> Result<Json<Value>, ApiError> {
    let at = parse_date(q.at.as_deref())?;
    let engine = state.engine.clone();
    blocking(move || {
        let links = engine.successors(&who, &code, at)?;
        let body = links
            .iter()
            .map(|l| {
                let mut r = region_json(&l.region);
                r["relation"] = json!(l.relation.as_str());
                r["changes"] = json!(l.changes.iter().map(|d| d.to_string()).collect::<Vec<_>>());
                r
            })
            .collect();
        Ok(Json(body))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/api/v1/regions/{code}/boundary",
    operation_id = "regions_boundary",
    tag = "regions",
    summary = "A region's boundary as GeoJSON",
    params(("code" = String, Path, description = "the region's code"), At), responses((status = 200, description = "a GeoJSON geometry", body = Object, content_type = "application/geo+json"))
)]
async fn boundary(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(code): Path<String>,
    Query(q): Query<At>,
) -> Result<axum::response::Response, ApiError> {
    let at = parse_date(q.at.as_deref())?;
    let engine = state.engine.clone();
    let geometry = blocking(move || engine.boundary(&who, &code, at)).await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/geo+json")],
        geometry,
    )
        .into_response())
}

use axum::response::IntoResponse;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Point {
    #[param(required = true, value_type = f64)]
    lat: Option<String>,
    #[param(required = true, value_type = f64)]
    lon: Option<String>,
}

fn coordinate(text: Option<&str>, name: &str) -> Result<f64, ApiError> {
    let text = text.ok_or_else(|| ApiError::bad_request(format!("{name}: missing")))?;
    text.parse()
        .map_err(|_| ApiError::bad_request(format!("{name}: {text:?} is not a number")))
}

#[utoipa::path(
    get,
    path = "/api/v1/regions/locate",
    operation_id = "regions_locate",
    tag = "regions",
    summary = "The commune containing a point",
    params(Point), responses((status = 200, description = "OK", body = ref("#/components/schemas/Region")))
)]
async fn locate(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Query(p): Query<Point>,
) -> Result<Json<Value>, ApiError> {
    let lat = coordinate(p.lat.as_deref(), "lat")?;
    let lon = coordinate(p.lon.as_deref(), "lon")?;
    let engine = state.engine.clone();
    blocking(move || Ok(Json(region_json(&engine.locate(&who, lat, lon)?)))).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Search {
    /// The text searched, ignoring case and tone marks.
    #[param(required = true)]
    q: Option<String>,
    #[param(format = Date)]
    at: Option<String>,
    limit: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/api/v1/regions/search",
    operation_id = "regions_search",
    tag = "regions",
    summary = "Accent-insensitive search of region names",
    params(Search), responses((status = 200, description = "OK", body = ref("#/components/schemas/Regions")))
)]
async fn search(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Query(s): Query<Search>,
) -> Result<Json<Value>, ApiError> {
    let at = parse_date(s.at.as_deref())?;
    let q = s.q.ok_or_else(|| ApiError::bad_request("q: missing"))?;
    let engine = state.engine.clone();
    blocking(move || {
        Ok(Json(
            engine
                .search_regions(&who, &q, at, s.limit.unwrap_or(20))?
                .iter()
                .map(region_json)
                .collect(),
        ))
    })
    .await
}
