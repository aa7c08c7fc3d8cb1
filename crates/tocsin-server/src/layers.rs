//! What every request and answer passes through, whatever its route:
//!
//! - [`request_body`]: a body stays within its limit — the small public one for the endpoints
//!   anyone may call and for requests without credentials, the node's limit otherwise — and a
//!   `Content-Encoding: gzip` body is decoded within the same limit and at most
//!   [`MAX_GZIP_RATIO`] times its compressed size (a gzip bomb is refused with 413); any other
//!   encoding is refused with 415.
//! - [`security_headers`]: every answer carries a content-security policy, `X-Frame-Options`,
//!   `X-Content-Type-Options`, `Referrer-Policy` and `Cache-Control: no-store`, unless its
//!   handler set its own (dashboard pages a policy for their scripts, embedded assets a cache
//!   lifetime).

use crate::api::AppState;
use crate::error::ApiError;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use std::io::Read;
use std::sync::Arc;

/// The routes anyone may send a body to, without a token: verification, sign-in and sign-out,
/// acknowledgement links. They take at most the public body limit.
const PUBLIC_WRITES: &[&str] = &[
    "/api/v1/verify",
    "/api/v1/session",
    "/login",
    "/logout",
    "/ack/{token}",
];

/// A gzip body may expand to at most this many times its compressed size (text and NDJSON
/// observations compress 5–20 times; a bomb a thousand times).
pub(crate) const MAX_GZIP_RATIO: usize = 200;

/// The policy of answers whose handler sets none: nothing may load, nothing may frame them, and
/// a form (the acknowledgement page's) posts only to this node.
const DEFAULT_POLICY: &str =
    "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Headers every answer carries, each unless its handler set it.
const ANSWER_HEADERS: [(HeaderName, &str); 5] = [
    (header::CONTENT_SECURITY_POLICY, DEFAULT_POLICY),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    // Nothing to other sites; this node's own pages keep their origin, which the sign-in and
    // acknowledgement forms' cross-site check reads (`no-referrer` makes a form's Origin `null`).
    (header::REFERRER_POLICY, "same-origin"),
    (header::CACHE_CONTROL, "no-store"),
];

/// Adds the security headers the answer's handler did not set.
pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    let mut answer = next.run(request).await;
    let headers = answer.headers_mut();
    for (name, value) in ANSWER_HEADERS {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    answer
}

/// Bounds the request body by its limit and decodes a gzip body; see the module doc.
pub(crate) async fn request_body(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let limit = body_limit(&state, &request);
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return too_large(limit).into_response();
    }
    let encoding = request
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase());
    let request = match encoding.as_deref() {
        None | Some("identity") => request.map(|body| Body::new(Limited::new(body, limit))),
        Some("gzip" | "x-gzip") => match gunzip(request, limit).await {
            Ok(request) => request,
            Err(refusal) => return refusal.into_response(),
        },
        Some(other) => {
            let message = format!(
                "Content-Encoding {other:?} is not supported; send the body as it is or with gzip"
            );
            return ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, message).into_response();
        }
    };
    next.run(request).await
}

/// The public limit for the public routes and for requests without credentials (an
/// authenticated route refuses them before reading a body anyway); the node's limit otherwise.
fn body_limit(state: &AppState, request: &Request) -> usize {
    let public_route = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|path| PUBLIC_WRITES.contains(&path.as_str()));
    let headers = request.headers();
    let credentials =
        headers.contains_key(header::AUTHORIZATION) || headers.contains_key(header::COOKIE);
    let limits = &state.limits;
    match public_route || !credentials {
        true => limits.max_public_body_bytes.min(limits.max_body_bytes),
        false => limits.max_body_bytes,
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "the request body is larger than the {limit} bytes this endpoint accepts; nothing was stored"
        ),
    )
}

/// The request with its gzip body decoded (and the encoding headers removed).
async fn gunzip(request: Request, limit: usize) -> Result<Request, ApiError> {
    let (mut parts, body) = request.into_parts();
    let compressed = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => return Err(too_large(limit)),
        Err(e) => {
            return Err(ApiError::bad_request(format!(
                "the request body could not be read: {e}"
            )));
        }
    };
    let bound = limit.min(compressed.len().saturating_mul(MAX_GZIP_RATIO));
    let decoded = tokio::task::spawn_blocking(move || decode(&compressed, bound))
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("decoding failed: {e}"),
            )
        })??;
    parts.headers.remove(header::CONTENT_ENCODING);
    parts.headers.remove(header::CONTENT_LENGTH);
    Ok(Request::from_parts(parts, Body::from(decoded)))
}

/// Decodes a gzip body (one member or several) of at most `bound` bytes.
fn decode(compressed: &[u8], bound: usize) -> Result<Bytes, ApiError> {
    let mut decoded = Vec::new();
    let mut reader = flate2::read::MultiGzDecoder::new(compressed).take(bound as u64 + 1);
    reader
        .read_to_end(&mut decoded)
        .map_err(|e| ApiError::bad_request(format!("the gzip body cannot be decoded: {e}")))?;
    if decoded.len() > bound {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the gzip body of {} bytes expands beyond {bound} bytes (at most the body limit, and \
                 {MAX_GZIP_RATIO} times the compressed size); nothing was stored",
                compressed.len()
            ),
        ));
    }
    Ok(Bytes::from(decoded))
}
