//! Sign-in for people, beside API tokens: `POST /api/v1/session` (JSON) and `POST /login` (an
//! HTML form) open a session and set the cookie `tocsin_session` (`HttpOnly`,
//! `SameSite=Strict`, `Path=/`, and `Secure` when the node is reached over https only);
//! `GET /login` serves the sign-in form; `GET /api/v1/session` tells who is signed in, with the
//! CSRF token; `DELETE /api/v1/session` and `POST /logout` end the session.
//!
//! [`cookie_principal`] is what the [`Auth`](crate::auth::Auth) extractor falls back to when
//! there is no bearer token: a request carried by the cookie that changes state (POST, PUT,
//! PATCH, DELETE) must also send the session's CSRF token in `X-CSRF-Token` (or, for `/logout`,
//! the form field `csrf`). Sign-in requests from another site (by their `Origin`) are refused.
//! Passwords are checked by the engine; this module only speaks HTTP. A sign-in is attributed to
//! its peer address (`ConnectInfo`, which `tocsin serve` provides), whose failures the engine
//! throttles: a refusal for that is 429 with `Retry-After`.

use super::AppState;
use crate::error::ApiError;
use crate::extract::{Bytes, Json};
use axum::Router;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, COOKIE, HOST, LOCATION, ORIGIN, RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use tocsin_engine::access::Principal;
use tocsin_engine::accounts::{Session, SignInError, SignedIn, retry_after_seconds, settings};

/// The session cookie's name.
pub const COOKIE_NAME: &str = "tocsin_session";
/// The header that carries the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/api/v1/session",
            get(current).post(sign_in_json).delete(sign_out_json),
        )
        .route("/login", get(login_page).post(sign_in_form))
        .route("/logout", axum::routing::post(sign_out_form))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Credentials {
    username: String,
    password: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct LogoutForm {
    csrf: Option<String>,
}

/// The principal of a request carried by the session cookie; `method` decides whether the
/// CSRF token is required. Without a cookie, asks for a bearer token as before.
pub(crate) async fn cookie_principal(
    state: &Arc<AppState>,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Principal, ApiError> {
    let Some((_, session)) = live_session(state, headers).await? else {
        return Err(unauthorized("Authorization: Bearer <token> is required"));
    };
    if changes_state(method) {
        check_csrf(&session, header_text(headers, CSRF_HEADER))?;
    }
    Ok(session.principal)
}

fn changes_state(method: &Method) -> bool {
    [Method::POST, Method::PUT, Method::PATCH, Method::DELETE].contains(method)
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, message)
}

fn header_text(headers: &HeaderMap, name: impl axum::http::header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The value of the request's cookie `name`, if it has a non-empty one.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, value)| *n == name && !value.is_empty())
        .map(|(_, value)| value.to_string())
}

/// The session cookie's secret, if the request has one.
fn cookie_secret(headers: &HeaderMap) -> Option<String> {
    cookie(headers, COOKIE_NAME)
}

/// The live session of the cookie, with its secret; an unknown or ended one is refused.
async fn live_session(
    state: &Arc<AppState>,
    headers: &HeaderMap,
) -> Result<Option<(String, Session)>, ApiError> {
    let Some(secret) = cookie_secret(headers) else {
        return Ok(None);
    };
    let engine = state.engine.clone();
    let lookup = secret.clone();
    let session = super::blocking(move || engine.session(&lookup)).await?;
    match session {
        Some(session) => Ok(Some((secret, session))),
        None => Err(unauthorized(
            "cookie tocsin_session: the session has ended or is unknown; sign in again",
        )),
    }
}

/// The live session of a page request, if it has one (an ended session counts as none).
pub(crate) async fn page_session(state: &Arc<AppState>, headers: &HeaderMap) -> Option<Session> {
    live_session(state, headers)
        .await
        .ok()
        .flatten()
        .map(|(_, session)| session)
}

/// The session a request must have.
async fn required_session(
    state: &Arc<AppState>,
    headers: &HeaderMap,
) -> Result<(String, Session), ApiError> {
    live_session(state, headers).await?.ok_or_else(|| {
        unauthorized("cookie tocsin_session: not signed in; POST /api/v1/session or /login first")
    })
}

/// Refuses a state-changing request whose CSRF token is missing or not the session's.
fn check_csrf(session: &Session, given: Option<&str>) -> Result<(), ApiError> {
    let forbidden = |m: &str| ApiError::new(StatusCode::FORBIDDEN, m);
    let given = given.ok_or_else(|| {
        forbidden("X-CSRF-Token: required when a session cookie carries a request that changes state; read it from GET /api/v1/session")
    })?;
    if same_secret(given.trim(), &session.csrf_token) {
        Ok(())
    } else {
        Err(forbidden(
            "X-CSRF-Token: does not match this session's token",
        ))
    }
}

/// Compares two secrets in time that depends only on their lengths.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Refuses sign-ins posted from another site (a forged sign-in into the attacker's account).
fn check_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = header_text(headers, ORIGIN) else {
        return Ok(());
    };
    let host = header_text(headers, HOST).unwrap_or_default();
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    if !host.is_empty() && origin_host == host {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("Origin: sign-in is accepted only from this site, not {origin:?}"),
        ))
    }
}

/// Who signs in: the peer address of the connection, or [`UNKNOWN_CLIENT`] where the server
/// was not given one.
pub(crate) struct Client(String);

/// The client of a request whose connection has no known peer address.
const UNKNOWN_CLIENT: &str = "unknown";

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip().to_string());
        Ok(Client(peer.unwrap_or_else(|| UNKNOWN_CLIENT.into())))
    }
}

/// A refused sign-in: the error, and for a throttled one how many seconds to wait.
struct Refusal {
    error: ApiError,
    retry_after_s: Option<i64>,
}

/// Adds `Retry-After` to `response` when a refusal says how long to wait.
fn with_retry_after(mut response: Response, retry_after_s: Option<i64>) -> Response {
    if let Some(seconds) = retry_after_s {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        with_retry_after(self.error.into_response(), self.retry_after_s)
    }
}

async fn sign_in(
    state: &Arc<AppState>,
    Client(client): Client,
    credentials: Credentials,
) -> Result<SignedIn, Refusal> {
    let engine = state.engine.clone();
    let task = tokio::task::spawn_blocking(move || {
        engine.sign_in_from(&client, &credentials.username, &credentials.password)
    });
    match task.await {
        Ok(result) => result.map_err(refusal),
        Err(e) => {
            tracing::error!(error = %e, "sign-in task failed");
            Err(Refusal {
                error: ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; see the server log",
                ),
                retry_after_s: None,
            })
        }
    }
}

fn refusal(error: SignInError) -> Refusal {
    let (status, retry_after_s) = match &error {
        SignInError::Refused => (StatusCode::UNAUTHORIZED, None),
        SignInError::Throttled { wait_ms } => (
            StatusCode::TOO_MANY_REQUESTS,
            Some(retry_after_seconds(*wait_ms)),
        ),
        SignInError::Disabled(_) => (StatusCode::FORBIDDEN, None),
        SignInError::Engine(_) => (StatusCode::INTERNAL_SERVER_ERROR, None),
    };
    let error = match error {
        SignInError::Engine(e) => ApiError::from(e),
        other => ApiError::new(status, other.to_string()),
    };
    Refusal {
        error,
        retry_after_s,
    }
}

fn session_cookie(secret: &str) -> HeaderValue {
    let secure = if settings().https_only {
        "; Secure"
    } else {
        ""
    };
    let text = format!("{COOKIE_NAME}={secret}; HttpOnly; SameSite=Strict; Path=/{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn cleared_cookie() -> HeaderValue {
    HeaderValue::from_static("tocsin_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

fn session_json(session: &Session) -> Value {
    let expires = jiff::Timestamp::from_millisecond(session.expires_ms)
        .map(|t| t.to_string())
        .ok();
    let domains: Vec<&str> = session
        .user
        .scope
        .domains
        .iter()
        .map(|d| d.as_str())
        .collect();
    json!({
        "user": {"username": session.user.username, "display_name": session.user.display_name},
        "role": session.user.role.as_str(),
        "scope": {"region": session.user.scope.region, "domains": domains},
        "csrf_token": session.csrf_token,
        "expires": expires,
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/session",
    operation_id = "session_current",
    tag = "session",
    summary = "Who is signed in, with the CSRF token",
    security(()), responses((status = 200, description = "OK", body = ref("#/components/schemas/Session")))
)]
async fn current(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let (_, session) = required_session(&state, &headers).await?;
    Ok(Json(session_json(&session)))
}

#[utoipa::path(
    post,
    path = "/api/v1/session",
    operation_id = "session_sign_in_json",
    tag = "session",
    summary = "Sign in; sets the session cookie",
    security(()), request_body(content = Credentials, content_type = "application/json"), responses((status = 200, description = "OK", body = ref("#/components/schemas/Session")))
)]
async fn sign_in_json(
    State(state): State<Arc<AppState>>,
    client: Client,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    check_origin(&headers)?;
    let credentials: Credentials = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "body: {e} (expected {{\"username\": …, \"password\": …}})"
        ))
    })?;
    let signed = match sign_in(&state, client, credentials).await {
        Ok(signed) => signed,
        Err(refused) => return Ok(refused.into_response()),
    };
    let body = Json(session_json(&signed.session));
    Ok(([(SET_COOKIE, session_cookie(&signed.secret))], body).into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/session",
    operation_id = "session_sign_out_json",
    tag = "session",
    summary = "Sign out (the session cookie and X-CSRF-Token)",
    security(()), responses((status = 204, description = "signed out"))
)]
async fn sign_out_json(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (secret, session) = required_session(&state, &headers).await?;
    check_csrf(&session, header_text(&headers, CSRF_HEADER))?;
    end(&state, secret).await?;
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, cleared_cookie())]).into_response())
}

async fn end(state: &Arc<AppState>, secret: String) -> Result<(), ApiError> {
    let engine = state.engine.clone();
    super::blocking(move || engine.sign_out(&secret)).await?;
    Ok(())
}

#[utoipa::path(
    get,
    path = "/login",
    operation_id = "session_login_page",
    tag = "session",
    summary = "The sign-in form",
    security(()), responses((status = 200, description = "an HTML form", body = String, content_type = "text/html"))
)]
async fn login_page() -> Response {
    page(StatusCode::OK, None)
}

#[utoipa::path(
    post,
    path = "/login",
    operation_id = "session_sign_in_form",
    tag = "session",
    summary = "Sign in from the form",
    security(()), request_body(content = Credentials, content_type = "application/x-www-form-urlencoded"), responses((status = 303, description = "signed in: to the dashboard, with the cookie"), (status = "4XX", description = "refused: the form again with the reason, or the JSON error", content((String = "text/html"), (ref("#/components/schemas/Error") = "application/json"))))
)]
async fn sign_in_form(
    State(state): State<Arc<AppState>>,
    client: Client,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    check_origin(&headers)?;
    let form = header_text(&headers, CONTENT_TYPE)
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type: the sign-in form is application/x-www-form-urlencoded",
        ));
    }
    let Ok(credentials) = serde_urlencoded::from_bytes::<Credentials>(&body) else {
        let message = "the form needs the fields username and password";
        return Ok(page(StatusCode::BAD_REQUEST, Some(message)));
    };
    Ok(match sign_in(&state, client, credentials).await {
        Ok(signed) => redirect("/", session_cookie(&signed.secret)),
        Err(refused) => with_retry_after(
            page(refused.error.status, Some(&refused.error.message)),
            refused.retry_after_s,
        ),
    })
}

#[utoipa::path(
    post,
    path = "/logout",
    operation_id = "session_sign_out_form",
    tag = "session",
    summary = "Sign out from the dashboard",
    security(()), request_body(content = LogoutForm, content_type = "application/x-www-form-urlencoded"), responses((status = 303, description = "signed out: to the sign-in form"))
)]
async fn sign_out_form(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (secret, session) = required_session(&state, &headers).await?;
    let form: LogoutForm = serde_urlencoded::from_bytes(&body).unwrap_or(LogoutForm { csrf: None });
    let given = header_text(&headers, CSRF_HEADER).or(form.csrf.as_deref());
    check_csrf(&session, given)?;
    end(&state, secret).await?;
    Ok(redirect("/login", cleared_cookie()))
}

fn redirect(to: &'static str, cookie: HeaderValue) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (LOCATION, HeaderValue::from_static(to)),
            (SET_COOKIE, cookie),
        ],
    )
        .into_response()
}

/// The sign-in form, in Vietnamese and English, with no external resources.
fn page(status: StatusCode, message: Option<&str>) -> Response {
    let message = message
        .map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(m)))
        .unwrap_or_default();
    let html = LOGIN_PAGE.replace("{message}", &message);
    let headers = [
        (
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
        ("x-frame-options", "DENY"),
        ("cache-control", "no-store"),
    ];
    (status, headers, Html(html)).into_response()
}

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&#39;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

const LOGIN_PAGE: &str = r#"<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Đăng nhập · Sign in — tocsin</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<style>
body { font-family: system-ui, sans-serif; max-width: 22rem; margin: 4rem auto; padding: 0 1rem; }
label { display: block; margin-top: 1rem; }
input { width: 100%; padding: .4rem; box-sizing: border-box; }
button { margin-top: 1.5rem; padding: .5rem 1rem; }
.en { color: #555; }
.error { color: #a00; }
</style>
</head>
<body>
<h1>tocsin</h1>
<p>Đăng nhập <span class="en">· Sign in</span></p>
{message}
<form method="post" action="/login">
<label for="username">Tên đăng nhập <span class="en">· Username</span></label>
<input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">Mật khẩu <span class="en">· Password</span></label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Đăng nhập · Sign in</button>
</form>
</body>
</html>
"#;
