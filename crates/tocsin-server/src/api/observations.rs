//! Observation endpoints: ingest (JSON array, NDJSON or CSV), series aggregates, latest values
//! and the stored versions of one observation.
//!
//! Ingest policy: valid records are stored and invalid ones listed by index, field and reason
//! (200 when anything was accepted, 422 when nothing was); with `?atomic=true` any rejection
//! keeps the whole request out (422). Success is answered only after a durable commit.

use super::{AppState, blocking};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Bytes, Json, Query};
use crate::metrics::Metrics;
use crate::records::{BodyFormat, BodyRefused, parse_body};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use tocsin_core::clock::timestamp_text;
use tocsin_core::observation::parse_time;
use tocsin_engine::SeriesQuery;
use tocsin_engine::engine::RecordError;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/observations", axum::routing::post(ingest))
        .route("/api/v1/observations/versions", get(versions))
        .route("/api/v1/series", get(series))
        .route("/api/v1/latest", get(latest))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct IngestQuery {
    atomic: Option<bool>,
}

#[utoipa::path(
    post,
    path = "/api/v1/observations",
    operation_id = "observations_ingest",
    tag = "observations",
    summary = "Send observations (JSON array, NDJSON or CSV)",
    params(IngestQuery), request_body(content((Object = "application/json"), (String = "application/x-ndjson"), (String = "text/csv"))), responses((status = 200, description = "stored after a durable commit; rejected records listed by index", body = ref("#/components/schemas/IngestReport")), (status = 422, description = "nothing was stored", body = ref("#/components/schemas/IngestRefusal")))
)]
async fn ingest(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Query(q): Query<IngestQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let format = BodyFormat::from_content_type(content_type).ok_or_else(|| {
        ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, format!("Content-Type {content_type:?}: use application/json, application/x-ndjson or text/csv"))
    })?;
    let records = tokio::task::spawn_blocking(move || parse_body(format, &body))
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "parsing failed"))?
        .map_err(|refused| match refused {
            BodyRefused::Unreadable(reason) => ApiError::bad_request(reason),
            BodyRefused::Header(r) => {
                ApiError::invalid_records(&[RecordError::new("CSV header", &r.field, r.reason)])
            }
        })?;
    if records.is_empty() {
        return Err(ApiError::bad_request("body: no records"));
    }
    let atomic = q.atomic.unwrap_or(false);
    let report = state.engine.ingest(&who, records, atomic).await?;
    let metrics = &state.metrics;
    Metrics::add(&metrics.ingest_requests, 1);
    Metrics::add(&metrics.ingest_accepted, report.accepted);
    Metrics::add(&metrics.ingest_duplicates, report.duplicates);
    Metrics::add(&metrics.ingest_rejected, report.rejected.len() as u64);
    let rejected: Vec<Value> = report
        .rejected
        .iter()
        .map(
            |r| json!({"index": r.index, "field": r.rejection.field, "reason": r.rejection.reason}),
        )
        .collect();
    let status = if report.accepted == 0 && !rejected.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut body = json!({ "accepted": report.accepted, "duplicates": report.duplicates, "rejected": rejected });
    if report.rolled_back {
        body["atomic"] = json!("a record was rejected, so nothing was stored");
    }
    Ok((status, Json(body)).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SeriesParams {
    #[param(required = true)]
    station: Option<String>,
    #[param(required = true)]
    metric: Option<String>,
    #[param(required = true, format = DateTime)]
    from: Option<String>,
    #[param(required = true, format = DateTime)]
    to: Option<String>,
    /// Seconds, or a number with `s`, `m`, `h` or `d` (default `1h`).
    #[param(pattern = "^[0-9]+[smhd]?$")]
    step: Option<String>,
    #[param(pattern = "^(observed|forecast)$")]
    kind: Option<String>,
}

/// Parses a step such as `600`, `10m`, `1h`, `1d` into milliseconds.
fn parse_step(text: &str) -> Result<i64, ApiError> {
    let bad = || {
        ApiError::bad_request(format!(
            "step: {text:?} is not a duration like 600, 10m, 1h or 1d"
        ))
    };
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map(|i| text.split_at(i))
        .unwrap_or((text, "s"));
    let n: i64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(seconds * 1000)
        .filter(|ms| *ms > 0)
        .ok_or_else(bad)
}

fn required<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, ApiError> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::bad_request(format!("{name}: missing")))
}

fn time_param(value: &Option<String>, name: &str) -> Result<i64, ApiError> {
    parse_time(Some(required(value, name)?), name)
        .map_err(|r| ApiError::bad_request(format!("{}: {}", r.field, r.reason)))
}

#[utoipa::path(
    get,
    path = "/api/v1/series",
    operation_id = "observations_series",
    tag = "observations",
    summary = "A station's metric in time buckets",
    params(SeriesParams), responses((status = 200, description = "OK", body = ref("#/components/schemas/Series")))
)]
async fn series(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Query(p): Query<SeriesParams>,
) -> Result<Json<Value>, ApiError> {
    let station = required(&p.station, "station")?.to_string();
    let metric = required(&p.metric, "metric")?.to_string();
    let from_ms = time_param(&p.from, "from")?;
    let to_ms = time_param(&p.to, "to")?;
    let step_ms = parse_step(p.step.as_deref().unwrap_or("1h"))?;
    let forecast = match p.kind.as_deref() {
        None | Some("observed") => false,
        Some("forecast") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "kind: {other:?} is neither observed nor forecast"
            )));
        }
    };
    let engine = state.engine.clone();
    let query = SeriesQuery {
        series: 0,
        from_ms,
        to_ms,
        step_ms,
        forecast,
    };
    let (st, me) = (station.clone(), metric.clone());
    let buckets = blocking(move || engine.series(&who, &st, &me, query)).await?;
    let steps: Vec<Value> = buckets
        .iter()
        .map(|b| json!({"start": timestamp_text(b.start_ms), "count": b.count, "mean": b.mean, "min": b.min, "max": b.max, "sum": b.sum}))
        .collect();
    Ok(Json(
        json!({"station": station, "metric": metric, "kind": if forecast { "forecast" } else { "observed" }, "step_seconds": step_ms / 1000, "steps": steps}),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct LatestParams {
    region: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/latest",
    operation_id = "observations_latest",
    tag = "observations",
    summary = "The latest value of every metric",
    params(LatestParams), responses((status = 200, description = "OK", body = ref("#/components/schemas/Latest")))
)]
async fn latest(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Query(p): Query<LatestParams>,
) -> Result<Json<Value>, ApiError> {
    let engine = state.engine.clone();
    let values = blocking(move || engine.latest(&who, p.region.as_deref())).await?;
    Ok(Json(values
        .iter()
        .map(|v| json!({"station": v.station, "metric": v.metric, "unit": v.unit, "commune": v.commune, "time": timestamp_text(v.time_ms), "value": v.value}))
        .collect()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct VersionParams {
    #[param(required = true)]
    station: Option<String>,
    #[param(required = true)]
    metric: Option<String>,
    #[param(required = true, format = DateTime)]
    time: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/observations/versions",
    operation_id = "observations_versions",
    tag = "observations",
    summary = "The stored versions of one observation",
    params(VersionParams), responses((status = 200, description = "OK", body = ref("#/components/schemas/ObservationVersions")))
)]
async fn versions(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Query(p): Query<VersionParams>,
) -> Result<Json<Value>, ApiError> {
    let station = required(&p.station, "station")?.to_string();
    let metric = required(&p.metric, "metric")?.to_string();
    let time_ms = time_param(&p.time, "time")?;
    let engine = state.engine.clone();
    let versions = blocking(move || engine.versions(&who, &station, &metric, time_ms)).await?;
    Ok(Json(
        versions
            .iter()
            .map(|v| {
                json!({
                    "time": timestamp_text(v.time_ms),
                    "issued": (v.issued_ms != 0).then(|| timestamp_text(v.issued_ms)),
                    "value": v.value,
                    "seq": v.seq,
                    "received": v.received_ms.map(timestamp_text),
                })
            })
            .collect(),
    ))
}
