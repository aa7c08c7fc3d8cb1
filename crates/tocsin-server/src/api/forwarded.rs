//! `POST /api/v1/forwarded-alerts`: a child tocsin node forwards a released CAP alert (the body,
//! `application/cap+xml`) with a token that may send data in. The alert is stored as an external
//! alert once per sender and identifier: 201 when it is new, 200 when it was stored before (a
//! retry; the `Idempotency-Key` header is logged), 400 when it cannot be read.

use super::{AppState, blocking};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Bytes, Json};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use std::sync::Arc;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/v1/forwarded-alerts", post(receive))
}

#[utoipa::path(
    post,
    path = "/api/v1/forwarded-alerts",
    operation_id = "forwarded_receive",
    tag = "forwarded",
    summary = "A child node forwards a released CAP alert",
    params(("Idempotency-Key" = Option<String>, Header, description = "logged with the alert")), request_body(content = String, content_type = "application/cap+xml"), responses((status = 200, description = "stored before (a retry)", body = ref("#/components/schemas/ForwardedReceipt")), (status = 201, description = "stored", body = ref("#/components/schemas/ForwardedReceipt")))
)]
async fn receive(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let token = who.token_id.clone();
    let engine = state.engine.clone();
    let received = blocking(move || engine.receive_forwarded(&who, &body)).await?;
    let alert = &received.alert;
    tracing::info!(token, idempotency_key = %key, stored = received.stored, identifier = ?alert.identifier, "forwarded alert");
    let status = if received.stored {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let regions: Vec<&str> = alert.regions.iter().map(|r| r.region.as_str()).collect();
    Ok((
        status,
        Json(json!({
            "stored": received.stored,
            "id": (alert.id != 0).then_some(alert.id),
            "sender": alert.sender,
            "identifier": alert.identifier,
            "placement": alert.placement,
            "signature": alert.signature,
            "regions": regions,
        })),
    ))
}
