//! Station endpoints: create or replace (JSON array or CSV), list (JSON or CSV), read, retire.

use super::{AppState, blocking};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Bytes, Json, Path, Query};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use tocsin_core::station::Station;
use tocsin_engine::stations::{parse_csv, to_csv};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/stations", get(list).post(upsert))
        .route(
            "/api/v1/stations/{id}",
            get(read).put(replace).delete(retire),
        )
}

fn parse_stations(headers: &HeaderMap, body: &[u8]) -> Result<Vec<Station>, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("text/csv") {
        return parse_csv(body).map_err(|errors| ApiError::invalid_stations(&errors));
    }
    if !content_type.starts_with("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json (an array of stations) or text/csv",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("body: not a JSON array of stations: {e}")))
}

#[utoipa::path(
    post,
    path = "/api/v1/stations",
    operation_id = "stations_upsert",
    tag = "stations",
    summary = "Create or replace stations, all or nothing",
    request_body(content((ref("#/components/schemas/Stations") = "application/json"), (String = "text/csv"))), responses((status = 200, description = "OK", body = ref("#/components/schemas/Stored")))
)]
async fn upsert(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let stations = parse_stations(&headers, &body)?;
    let engine = state.engine.clone();
    let stored = blocking(move || engine.upsert_stations(&who, stations)).await?;
    Ok((StatusCode::OK, Json(json!({ "stored": stored }))).into_response())
}

#[utoipa::path(
    put,
    path = "/api/v1/stations/{id}",
    operation_id = "stations_replace",
    tag = "stations",
    summary = "Create or replace one station",
    params(("id" = String, Path, description = "the station's id; the body's must be the same")), request_body(content = ref("#/components/schemas/Station"), content_type = "application/json"), responses((status = 200, description = "OK", body = ref("#/components/schemas/Station")))
)]
async fn replace(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(id): Path<String>,
    Json(station): Json<Station>,
) -> Result<Json<Station>, ApiError> {
    if station.id != id {
        return Err(ApiError::bad_request(format!(
            "id: the body's id {:?} differs from the path's {id:?}",
            station.id
        )));
    }
    let engine = state.engine.clone();
    blocking(move || {
        engine.upsert_stations(&who, vec![station])?;
        Ok(Json(engine.station(&who, &id)?))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/api/v1/stations/{id}",
    operation_id = "stations_read",
    tag = "stations",
    summary = "One station",
    params(("id" = String, Path, description = "the station's id")), responses((status = 200, description = "OK", body = ref("#/components/schemas/Station")))
)]
async fn read(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> Result<Json<Station>, ApiError> {
    let engine = state.engine.clone();
    blocking(move || Ok(Json(engine.station(&who, &id)?))).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/stations/{id}",
    operation_id = "stations_retire",
    tag = "stations",
    summary = "Retire a station (its history is kept)",
    params(("id" = String, Path, description = "the station's id")), responses((status = 200, description = "OK", body = ref("#/components/schemas/Station")))
)]
async fn retire(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(id): Path<String>,
) -> Result<Json<Station>, ApiError> {
    let engine = state.engine.clone();
    blocking(move || Ok(Json(engine.retire_station(&who, &id)?))).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[param(pattern = "^(json|csv)$")]
    format: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/stations",
    operation_id = "stations_list",
    tag = "stations",
    summary = "The stations in the caller's scope (JSON or CSV)",
    params(ListQuery), responses((status = 200, description = "the stations", content((ref("#/components/schemas/Stations") = "application/json"), (String = "text/csv"))))
)]
async fn list(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let engine = state.engine.clone();
    let stations = blocking(move || engine.stations(&who)).await?;
    match q.format.as_deref() {
        Some("csv") => Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            to_csv(&stations),
        )
            .into_response()),
        None | Some("json") => Ok(Json(stations).into_response()),
        Some(other) => Err(ApiError::bad_request(format!(
            "format: {other:?} is neither json nor csv"
        ))),
    }
}
