//! Dissemination endpoints: recipients (import and list), silences (set, list with their audit,
//! end), the notification record (who was told what, when, every delivery attempt, who
//! acknowledged; as JSON or CSV for an incident file), acknowledgement over the API or from the
//! link in a message, and a Server-Sent Events stream of released warnings and notifications
//! for dashboards, limited to the caller's provinces.

use super::{AppState, blocking, paging};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Bytes, Json, Path, Query};
use axum::Router;
use axum::extract::State;
use axum::http::{Uri, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use tocsin_core::access::{Access, Resource};
use tocsin_core::clock::timestamp_text;
use tocsin_core::dispatch::Silence;
use tocsin_core::dispatch::route::Matchers;
use tocsin_engine::channels::Endpoint;
use tocsin_engine::dispatch::RecipientEntry;
use tocsin_engine::{NotificationRecord, SilenceRecord};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/recipients", get(recipients).put(set_recipients))
        .route("/api/v1/silences", get(silences).post(add_silence))
        .route("/api/v1/silences/{id}", delete(expire_silence))
        .route("/api/v1/notifications", get(notifications))
        .route("/api/v1/notifications/{id}/ack", post(acknowledge))
        .route("/api/v1/stream", get(stream))
        .route("/ack/{token}", get(acknowledge_page).post(acknowledge_link))
}

#[utoipa::path(
    get,
    path = "/api/v1/recipients",
    operation_id = "dispatch_recipients",
    tag = "dispatch",
    summary = "The recipients in the caller's scope",
    responses((status = 200, description = "OK", body = ref("#/components/schemas/Recipients")))
)]
async fn recipients(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
) -> Result<Json<Value>, ApiError> {
    let engine = state.engine.clone();
    let found = blocking(move || engine.recipients(&who)).await?;
    Ok(Json(serde_json::to_value(found).unwrap_or_default()))
}

/// Reads a JSON body, naming the record and the field of the first problem.
fn body_of<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("{what}: {e}")))
}

#[utoipa::path(
    put,
    path = "/api/v1/recipients",
    operation_id = "dispatch_set_recipients",
    tag = "dispatch",
    summary = "Import recipients",
    request_body(content = Vec<Object>, content_type = "application/json"), responses((status = 200, description = "OK", body = ref("#/components/schemas/RecipientCount")))
)]
async fn set_recipients(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let entries: Vec<RecipientEntry> = body_of(&body, "recipients (a JSON array)")?;
    if let Some((i, e)) = entries
        .iter()
        .enumerate()
        .find(|(_, e)| e.recipient.id.is_empty() || e.recipient.region.is_empty())
    {
        return Err(ApiError::bad_request(format!(
            "recipient {i} ({:?}): id and region must not be empty",
            e.recipient.name
        )));
    }
    let count = entries.len();
    let engine = state.engine.clone();
    blocking(move || engine.set_recipients(&who, &entries)).await?;
    Ok(Json(json!({ "recipients": count })))
}

fn silence_json(s: &SilenceRecord) -> Value {
    json!({
        "id": s.id, "matchers": serde_json::from_str::<Value>(&s.matchers).unwrap_or(Value::Null), "recipient": s.recipient,
        "starts": timestamp_text(s.starts_ms), "ends": timestamp_text(s.ends_ms), "author": s.author, "reason": s.reason,
        "created": timestamp_text(s.created_ms), "expired_by": s.expired_by, "expired": s.expired_ms.map(timestamp_text),
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/silences",
    operation_id = "dispatch_silences",
    tag = "dispatch",
    summary = "Silences with their audit",
    responses((status = 200, description = "OK", body = ref("#/components/schemas/Silences")))
)]
async fn silences(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
) -> Result<Json<Value>, ApiError> {
    let engine = state.engine.clone();
    let found = blocking(move || engine.silences(&who)).await?;
    Ok(Json(found.iter().map(silence_json).collect()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewSilence {
    #[serde(default)]
    #[schema(value_type = Object)]
    matchers: Matchers,
    recipient: Option<String>,
    starts: Option<String>,
    ends: String,
    author: String,
    reason: String,
}

fn instant(text: &str, field: &str) -> Result<i64, ApiError> {
    text.parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|e| {
            ApiError::bad_request(format!("{field}: {text:?} is not an RFC 3339 time ({e})"))
        })
}

#[utoipa::path(
    post,
    path = "/api/v1/silences",
    operation_id = "dispatch_add_silence",
    tag = "dispatch",
    summary = "Silence matching notifications for a while",
    request_body(content = NewSilence, content_type = "application/json"), responses((status = 200, description = "OK", body = ref("#/components/schemas/Id")))
)]
async fn add_silence(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let new: NewSilence = body_of(&body, "silence")?;
    if new.reason.trim().is_empty() || new.author.trim().is_empty() {
        return Err(ApiError::bad_request(
            "silence: author and reason must not be empty",
        ));
    }
    let now = state.engine.clock().now().as_millisecond();
    let silence = Silence {
        id: 0,
        matchers: new.matchers,
        recipient: new.recipient,
        starts_ms: new
            .starts
            .as_deref()
            .map_or(Ok(now), |t| instant(t, "starts"))?,
        ends_ms: instant(&new.ends, "ends")?,
        author: new.author,
        reason: new.reason,
    };
    let engine = state.engine.clone();
    let id = blocking(move || engine.add_silence(&who, silence)).await?;
    Ok(Json(json!({ "id": id })))
}

#[utoipa::path(
    delete,
    path = "/api/v1/silences/{id}",
    operation_id = "dispatch_expire_silence",
    tag = "dispatch",
    summary = "End a silence",
    params(("id" = u64, Path, description = "the silence's id")), responses((status = 200, description = "OK", body = ref("#/components/schemas/SilenceEnded")))
)]
async fn expire_silence(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(id): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    let engine = state.engine.clone();
    let ended = blocking(move || engine.expire_silence(&who, id)).await?;
    Ok(Json(json!({ "id": id, "ended": ended })))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct RecordParams {
    warning: Option<u64>,
    /// Where the page starts: the `before=` of the previous page's `Link: rel="next"`.
    before: Option<String>,
    /// Rows per page, 1..=1000 (default 1000).
    limit: Option<usize>,
    /// `json` (default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    format: Option<String>,
}

/// A delivery's stored endpoint as it may be shown: its secrets replaced.
fn shown_endpoint(stored: &str) -> Value {
    serde_json::from_str::<Endpoint>(stored)
        .map(|e| serde_json::to_value(e.redacted()).unwrap_or(Value::Null))
        .unwrap_or(Value::Null)
}

fn notification_json(n: &NotificationRecord) -> Value {
    let deliveries: Vec<Value> = n
        .deliveries
        .iter()
        .map(|d| {
            json!({
                "endpoint": shown_endpoint(&d.endpoint),
                "idempotency_key": d.idempotency_key, "state": d.state, "delivered": d.delivered_ms.map(timestamp_text),
                "attempts": d.attempts.iter().map(|a| json!({"attempt": a.attempt, "time": timestamp_text(a.time_ms), "outcome": a.outcome, "error": a.error})).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "id": n.id, "recipient": n.recipient, "warning": n.warning, "version": n.version, "province": n.province,
        "reason": serde_json::from_str::<Value>(&n.reason).unwrap_or(Value::Null),
        "suppressed": n.suppressed.as_deref().map(|s| serde_json::from_str::<Value>(s).unwrap_or(Value::Null)),
        "needs_ack": n.needs_ack, "created": timestamp_text(n.created_ms), "acked_by": n.acked_by, "acked": n.acked_ms.map(timestamp_text),
        "deliveries": deliveries,
    })
}

/// One CSV line per delivery attempt (or per notification without one).
fn record_csv(found: &[NotificationRecord]) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    let _ = out.write_record([
        "notification",
        "recipient",
        "warning",
        "version",
        "province",
        "created",
        "reason",
        "suppressed",
        "needs_ack",
        "acked_by",
        "acked",
        "channel",
        "idempotency_key",
        "delivery_state",
        "attempt",
        "attempt_time",
        "outcome",
        "error",
    ]);
    for n in found {
        let head = [
            n.id.to_string(),
            n.recipient.clone(),
            n.warning.to_string(),
            n.version.to_string(),
            n.province.clone(),
            timestamp_text(n.created_ms),
            n.reason.clone(),
            n.suppressed.clone().unwrap_or_default(),
            n.needs_ack.to_string(),
            n.acked_by.clone().unwrap_or_default(),
            n.acked_ms.map(timestamp_text).unwrap_or_default(),
        ];
        let mut lines: Vec<Vec<String>> = Vec::new();
        for d in &n.deliveries {
            let channel = serde_json::from_str::<Value>(&d.endpoint)
                .ok()
                .and_then(|v| v["channel"].as_str().map(String::from))
                .unwrap_or_default();
            for a in &d.attempts {
                let tail = [
                    channel.clone(),
                    d.idempotency_key.clone(),
                    d.state.clone(),
                    a.attempt.to_string(),
                    timestamp_text(a.time_ms),
                    a.outcome.clone(),
                    a.error.clone().unwrap_or_default(),
                ];
                lines.push(head.iter().cloned().chain(tail).collect());
            }
            if d.attempts.is_empty() {
                let tail = [
                    channel,
                    d.idempotency_key.clone(),
                    d.state.clone(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ];
                lines.push(head.iter().cloned().chain(tail).collect());
            }
        }
        if n.deliveries.is_empty() {
            lines.push(
                head.iter()
                    .cloned()
                    .chain(std::iter::repeat_n(String::new(), 7))
                    .collect(),
            );
        }
        for line in lines {
            let _ = out.write_record(&line);
        }
    }
    String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[utoipa::path(
    get,
    path = "/api/v1/notifications",
    operation_id = "dispatch_notifications",
    tag = "dispatch",
    summary = "The notification record (JSON or CSV)",
    params(RecordParams), responses((status = 200, description = "who was told what, when", content((ref("#/components/schemas/Notifications") = "application/json"), (String = "text/csv")), headers(("Link" = String, description = "`<…&before=CURSOR>; rel=\"next\"` when the list was cut at `limit`"), ("X-More" = String, description = "`true` when the list was cut at `limit`"))))
)]
async fn notifications(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    uri: Uri,
    Query(p): Query<RecordParams>,
) -> Result<Response, ApiError> {
    let format = p.format.clone().unwrap_or_else(|| "json".into());
    if format != "json" && format != "csv" {
        return Err(ApiError::bad_request(format!(
            "format: {format:?} is neither json nor csv"
        )));
    }
    let before = paging::before::<NotificationRecord>(p.before.as_deref())?;
    let engine = state.engine.clone();
    let page = blocking(move || {
        engine.notifications(&who, p.warning, before.as_ref(), p.limit.unwrap_or(1000))
    })
    .await?;
    let answer = if format == "csv" {
        (
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            record_csv(&page.items),
        )
            .into_response()
    } else {
        Json(page.items.iter().map(notification_json).collect::<Vec<_>>()).into_response()
    };
    Ok(paging::with_next(answer, &uri, &page))
}

#[utoipa::path(
    post,
    path = "/api/v1/notifications/{id}/ack",
    operation_id = "dispatch_acknowledge",
    tag = "dispatch",
    summary = "Acknowledge a notification",
    params(("id" = u64, Path, description = "the notification's id")), responses((status = 200, description = "OK", body = ref("#/components/schemas/Acknowledged")))
)]
async fn acknowledge(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(id): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    let engine = state.engine.clone();
    let (warning, version) = blocking(move || engine.acknowledge(&who, id)).await?;
    Ok(Json(
        json!({ "notification": id, "warning": warning, "version": version }),
    ))
}

/// The page the link in a message opens: it asks for a click, so that a mail scanner following
/// links does not acknowledge on the recipient's behalf.
#[utoipa::path(
    get,
    path = "/ack/{token}",
    operation_id = "dispatch_acknowledge_page",
    tag = "dispatch",
    summary = "The page a message's acknowledgement link opens (public)",
    security(()), params(("token" = String, Path, description = "the signed token of the link")), responses((status = 200, description = "an HTML page with a button", body = String, content_type = "text/html"))
)]
async fn acknowledge_page(Path(token): Path<String>) -> Html<String> {
    let token: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    Html(format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Xác nhận / Acknowledge</title></head>\
         <body><h1>Xác nhận đã nhận cảnh báo / Acknowledge the warning</h1>\
         <form method=\"post\" action=\"/ack/{token}\"><button type=\"submit\">Xác nhận / Acknowledge</button></form></body></html>"
    ))
}

#[utoipa::path(
    post,
    path = "/ack/{token}",
    operation_id = "dispatch_acknowledge_link",
    tag = "dispatch",
    summary = "Acknowledge by a message's link (public)",
    security(()), params(("token" = String, Path, description = "the signed token of the link")), responses((status = 200, description = "an HTML page", body = String, content_type = "text/html"))
)]
async fn acknowledge_link(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
) -> Result<Html<String>, ApiError> {
    let engine = state.engine.clone();
    let (warning, version) = blocking(move || engine.acknowledge_link(&token)).await?;
    Ok(Html(format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Đã xác nhận / Acknowledged</title></head>\
         <body><h1>Đã xác nhận / Acknowledged</h1><p>Cảnh báo số {warning}, phiên bản {version}. / Warning {warning}, version {version}.</p></body></html>"
    )))
}

#[utoipa::path(
    get,
    path = "/api/v1/stream",
    operation_id = "dispatch_stream",
    tag = "dispatch",
    summary = "Server-Sent Events: released warnings and notifications",
    responses((status = 200, description = "an event stream that stays open", body = String, content_type = "text/event-stream"))
)]
async fn stream(State(state): State<Arc<AppState>>, Auth(who): Auth) -> Result<Response, ApiError> {
    who.require(Resource::Detections, Access::Read)?;
    let receiver = state.engine.subscribe();
    let events = futures_util::stream::unfold((receiver, who), |(mut receiver, who)| async move {
        loop {
            match receiver.recv().await {
                Ok(event) if who.sees_event(&event) => {
                    let sse = SseEvent::default().event(event.kind).data(event.json);
                    return Some((Ok::<_, std::convert::Infallible>(sse), (receiver, who)));
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}
