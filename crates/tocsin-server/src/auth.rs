//! Bearer-token authentication as an extractor: a handler that takes [`Auth`] runs only for a
//! live token, and receives the principal whose scope every engine read then applies. Without
//! a bearer token, a session cookie is accepted (with its CSRF check, `api/session.rs`).

use crate::api::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use std::sync::Arc;
use tocsin_engine::access::Principal;

/// The principal of an authenticated request.
pub struct Auth(pub Principal);

impl FromRequestParts<Arc<AppState>> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        // The route's gate (`api/rules.rs`) has already authenticated the request.
        if let Some(principal) = parts.extensions.get::<Principal>() {
            return Ok(Auth(principal.clone()));
        }
        let unauthorized = |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, m);
        let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            let principal =
                crate::api::session::cookie_principal(state, &parts.method, &parts.headers);
            return principal.await.map(Auth);
        };
        let secret = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| unauthorized("Authorization header must be 'Bearer <token>'"))?;
        let engine = state.engine.clone();
        let secret = secret.to_string();
        let principal = tokio::task::spawn_blocking(move || engine.authenticate(&secret))
            .await
            .map_err(|_| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "authentication failed")
            })??;
        principal
            .map(Auth)
            .ok_or_else(|| unauthorized("unknown or revoked token"))
    }
}
