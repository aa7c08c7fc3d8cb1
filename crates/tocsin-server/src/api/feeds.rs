//! Subscriptions to other agencies' CAP feeds and the external alerts they bring in:
//! `GET`/`POST /api/v1/subscriptions`, `DELETE /api/v1/subscriptions/{id}` (national operators),
//! and `GET /api/v1/external-alerts?region=…` within the caller's scope.

use super::{AppState, blocking, paging};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Bytes, Json, Path, Query};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use tocsin_core::clock::timestamp_text;
use tocsin_engine::feeds::{ExternalAlertRecord, SubscriptionRecord};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/api/v1/subscriptions",
            get(subscriptions).post(add_subscription),
        )
        .route("/api/v1/subscriptions/{id}", delete(remove_subscription))
        .route("/api/v1/external-alerts", get(external_alerts))
}

fn subscription_json(s: &SubscriptionRecord) -> Value {
    json!({
        "id": s.id, "url": s.url, "name": s.name, "added_by": s.added_by, "added": timestamp_text(s.added_ms),
        "etag": s.etag, "last_modified": s.last_modified, "last_polled": s.last_polled_ms.map(timestamp_text),
        "next_poll": timestamp_text(s.next_poll_ms), "failures": s.failures, "last_error": s.last_error,
    })
}

fn external_alert_json(a: &ExternalAlertRecord) -> Value {
    let findings: Value = serde_json::from_str(&a.findings).unwrap_or(Value::Null);
    json!({
        "id": a.id, "subscription": a.subscription, "source": a.source, "sender": a.sender, "identifier": a.identifier,
        "sent": a.sent_ms.map(timestamp_text), "status": a.status, "msg_type": a.msg_type, "event": a.event,
        "severity": a.severity, "urgency": a.urgency, "certainty": a.certainty, "headline": a.headline,
        "expires": a.expires_ms.map(timestamp_text), "signature": a.signature, "placement": a.placement,
        "received": timestamp_text(a.received_ms), "findings": findings,
        "regions": a.regions.iter().map(|r| json!({"region": r.region, "province": r.province, "matched_by": r.matched_by})).collect::<Vec<_>>(),
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/subscriptions",
    operation_id = "feeds_subscriptions",
    tag = "feeds",
    summary = "The outside alert feeds polled",
    responses((status = 200, description = "OK", body = ref("#/components/schemas/Subscriptions")))
)]
async fn subscriptions(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
) -> Result<Json<Value>, ApiError> {
    let engine = state.engine.clone();
    let all = blocking(move || engine.subscriptions(&who)).await?;
    Ok(Json(all.iter().map(subscription_json).collect()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewSubscription {
    /// The feed's absolute `http://` URL.
    url: String,
    /// A name for people; the URL when absent.
    name: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/subscriptions",
    operation_id = "feeds_add_subscription",
    tag = "feeds",
    summary = "Poll an outside alert feed",
    request_body(content = NewSubscription, content_type = "application/json"), responses((status = 201, description = "added", body = ref("#/components/schemas/Subscription")))
)]
async fn add_subscription(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let new: NewSubscription = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "body: {e} (expected {{\"url\": \"http://…\", \"name\": …}})"
        ))
    })?;
    let engine = state.engine.clone();
    let name = new.name.unwrap_or_else(|| new.url.clone());
    let added = blocking(move || engine.add_subscription(&who, &new.url, &name)).await?;
    Ok((StatusCode::CREATED, Json(subscription_json(&added))))
}

#[utoipa::path(
    delete,
    path = "/api/v1/subscriptions/{id}",
    operation_id = "feeds_remove_subscription",
    tag = "feeds",
    summary = "Stop polling a feed",
    params(("id" = u64, Path, description = "the subscription's id")), responses((status = 204, description = "removed"))
)]
async fn remove_subscription(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(id): Path<u64>,
) -> Result<StatusCode, ApiError> {
    let engine = state.engine.clone();
    blocking(move || engine.remove_subscription(&who, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AlertQuery {
    region: Option<String>,
    /// Where the page starts: the `before=` of the previous page's `Link: rel="next"`.
    before: Option<String>,
    /// Rows per page, 1..=1000 (default 200).
    limit: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/api/v1/external-alerts",
    operation_id = "feeds_external_alerts",
    tag = "feeds",
    summary = "Outside alerts within the caller's scope",
    params(AlertQuery), responses((status = 200, description = "OK", body = ref("#/components/schemas/ExternalAlerts"), headers(("Link" = String, description = "`<…&before=CURSOR>; rel=\"next\"` when the list was cut at `limit`"), ("X-More" = String, description = "`true` when the list was cut at `limit`"))))
)]
async fn external_alerts(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    uri: Uri,
    Query(q): Query<AlertQuery>,
) -> Result<Response, ApiError> {
    let before = paging::before::<ExternalAlertRecord>(q.before.as_deref())?;
    let engine = state.engine.clone();
    let region = q.region.filter(|r| !r.is_empty());
    let limit = q.limit.unwrap_or(200);
    let page =
        blocking(move || engine.external_alerts(&who, region.as_deref(), before.as_ref(), limit))
            .await?;
    let answer = Json(
        page.items
            .iter()
            .map(external_alert_json)
            .collect::<Value>(),
    )
    .into_response();
    Ok(paging::with_next(answer, &uri, &page))
}
