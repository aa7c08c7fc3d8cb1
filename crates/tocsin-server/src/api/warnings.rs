//! Warning endpoints. For operators (token): the versions awaiting release and released, each
//! warning's history, release, cancel, and the hazards released automatically. For everyone (no
//! token — public alerts are public): each released alert as CAP XML or JSON and its version
//! history, Atom feeds of the alerts in force (all, per province, per hazard), and signature
//! verification with a page to paste an alert into.

use super::{AppState, blocking, paging};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Bytes, Json, Path, Query};
use crate::heavy::HeavyQueue;
use axum::Extension;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use tocsin_cap::signature::{Integrity, Refusal};
use tocsin_core::clock::timestamp_text;
use tocsin_engine::engine::VersionQuery;
use tocsin_engine::{VersionRecord, VersionState};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/warnings", get(list))
        .route("/api/v1/warnings/{id}", get(history))
        .route(
            "/api/v1/warnings/{id}/versions/{number}/release",
            post(release),
        )
        .route("/api/v1/warnings/{id}/cancel", post(cancel))
        .route(
            "/api/v1/auto-release",
            get(auto_release).put(set_auto_release),
        )
        .route("/api/v1/verify", post(verify))
        .route("/alerts/{identifier}", get(alert_xml))
        .route("/alerts/{identifier}/json", get(alert_json))
        .route("/alerts/{identifier}/history", get(alert_history))
        .route("/feeds/alerts.atom", get(feed))
        .route("/verify", get(verify_page))
        .route("/verify.js", get(verify_script))
}

fn version_json(v: &VersionRecord) -> Value {
    let draft: Value = serde_json::from_str(&v.draft).unwrap_or(Value::Null);
    let publication = v.publication.as_ref();
    json!({
        "warning": v.warning, "number": v.number, "hazard": v.hazard, "province": v.province,
        "action": v.action, "level": v.level, "state": v.state.as_str(),
        "made": timestamp_text(v.made_ms), "expires": timestamp_text(v.expires_ms),
        "areas": draft.get("areas").cloned().unwrap_or(Value::Null),
        "identifier": publication.map(|p| &p.identifier),
        "sent": publication.map(|p| timestamp_text(p.sent_ms)),
        "msg_type": publication.map(|p| &p.msg_type),
        "released_by": publication.map(|p| &p.released_by),
        "released": publication.map(|p| timestamp_text(p.released_ms)),
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// `draft`, `published`, or `all` (default: drafts and published).
    #[param(pattern = "^(draft|published|superseded|record|current|all)$")]
    state: Option<String>,
    /// Where the page starts: the `before=` of the previous page's `Link: rel="next"`.
    before: Option<String>,
    /// Rows per page, 1..=1000 (default 200).
    limit: Option<usize>,
}

fn states_of(text: Option<&str>) -> Result<Vec<VersionState>, ApiError> {
    match text.unwrap_or("current") {
        "current" => Ok(vec![VersionState::Draft, VersionState::Published]),
        "all" => Ok(vec![
            VersionState::Draft,
            VersionState::Published,
            VersionState::Superseded,
            VersionState::Record,
        ]),
        one => VersionState::parse(one).map(|s| vec![s]).ok_or_else(|| {
            ApiError::bad_request(format!(
                "state: {one:?} is none of draft, published, superseded, record, current, all"
            ))
        }),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/warnings",
    operation_id = "warnings_list",
    tag = "warnings",
    summary = "Warning versions awaiting release and released",
    params(ListParams), responses((status = 200, description = "OK", body = ref("#/components/schemas/WarningVersions"), headers(("Link" = String, description = "`<…&before=CURSOR>; rel=\"next\"` when the list was cut at `limit`"), ("X-More" = String, description = "`true` when the list was cut at `limit`"))))
)]
async fn list(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    uri: Uri,
    Query(p): Query<ListParams>,
) -> Result<Response, ApiError> {
    let states = states_of(p.state.as_deref())?;
    let before = paging::before::<VersionRecord>(p.before.as_deref())?;
    let engine = state.engine.clone();
    let page = blocking(move || {
        let query = VersionQuery::states(&states);
        engine.warning_versions(&who, &query, before.as_ref(), p.limit.unwrap_or(200))
    })
    .await?;
    let answer = Json(page.items.iter().map(version_json).collect::<Value>()).into_response();
    Ok(paging::with_next(answer, &uri, &page))
}

#[utoipa::path(
    get,
    path = "/api/v1/warnings/{id}",
    operation_id = "warnings_history",
    tag = "warnings",
    summary = "Every version of one warning",
    params(("id" = u64, Path, description = "the warning's number")), responses((status = 200, description = "OK", body = ref("#/components/schemas/WarningVersions")))
)]
async fn history(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(id): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    let engine = state.engine.clone();
    let found = blocking(move || engine.warning_history(&who, id)).await?;
    Ok(Json(found.iter().map(version_json).collect()))
}

#[utoipa::path(
    post,
    path = "/api/v1/warnings/{id}/versions/{number}/release",
    operation_id = "warnings_release",
    tag = "warnings",
    summary = "Release a version as a public CAP alert",
    params(("id" = u64, Path, description = "the warning's number"), ("number" = u32, Path, description = "the version")), responses((status = 200, description = "OK", body = ref("#/components/schemas/WarningVersion")))
)]
async fn release(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path((id, number)): Path<(u64, u32)>,
) -> Result<Json<Value>, ApiError> {
    let engine = state.engine.clone();
    let released = blocking(move || engine.release_warning(&who, id, number)).await?;
    Ok(Json(version_json(&released)))
}

#[utoipa::path(
    post,
    path = "/api/v1/warnings/{id}/cancel",
    operation_id = "warnings_cancel",
    tag = "warnings",
    summary = "Draft the cancellation of a warning",
    params(("id" = u64, Path, description = "the warning's number")), responses((status = 200, description = "OK", body = ref("#/components/schemas/WarningVersion")))
)]
async fn cancel(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(id): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    let engine = state.engine.clone();
    let draft = blocking(move || engine.cancel_warning(&who, id)).await?;
    Ok(Json(version_json(&draft)))
}

#[utoipa::path(
    get,
    path = "/api/v1/auto-release",
    operation_id = "warnings_auto_release",
    tag = "warnings",
    summary = "The hazards released without a person, up to a level",
    responses((status = 200, description = "OK", body = ref("#/components/schemas/AutoReleaseLevels")))
)]
async fn auto_release(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
) -> Result<Json<Value>, ApiError> {
    let engine = state.engine.clone();
    let found = blocking(move || engine.auto_release(&who)).await?;
    Ok(Json(
        found
            .iter()
            .map(|(hazard, level)| json!({"hazard": hazard, "max_level": level}))
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AutoRelease {
    hazard: String,
    max_level: u8,
}

#[utoipa::path(
    put,
    path = "/api/v1/auto-release",
    operation_id = "warnings_set_auto_release",
    tag = "warnings",
    summary = "Set the automatic release level of a hazard",
    request_body(content = AutoRelease, content_type = "application/json"), responses((status = 200, description = "OK", body = ref("#/components/schemas/AutoReleaseLevel")))
)]
async fn set_auto_release(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let setting: AutoRelease = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(format!(
            "body: {e} (expected {{\"hazard\": …, \"max_level\": 0–5}})"
        ))
    })?;
    let engine = state.engine.clone();
    let (hazard, level) = (setting.hazard.clone(), setting.max_level);
    blocking(move || engine.set_auto_release(&who, &hazard, level)).await?;
    Ok(Json(
        json!({"hazard": setting.hazard, "max_level": setting.max_level}),
    ))
}

async fn published(state: &AppState, identifier: String) -> Result<VersionRecord, ApiError> {
    let engine = state.engine.clone();
    blocking(move || engine.published_alert(&identifier)).await
}

fn cap_xml(version: &VersionRecord) -> &str {
    version
        .publication
        .as_ref()
        .map_or("", |p| p.cap_xml.as_str())
}

#[utoipa::path(
    get,
    path = "/alerts/{identifier}",
    operation_id = "warnings_alert_xml",
    tag = "warnings",
    summary = "A released alert as CAP 1.2 XML (public)",
    security(()), params(("identifier" = String, Path, description = "the CAP identifier")), responses((status = 200, description = "the signed CAP XML as released", body = String, content_type = "application/cap+xml"))
)]
async fn alert_xml(
    State(state): State<Arc<AppState>>,
    Path(identifier): Path<String>,
) -> Result<Response, ApiError> {
    let version = published(&state, identifier).await?;
    let headers = [(header::CONTENT_TYPE, "application/cap+xml; charset=utf-8")];
    Ok((headers, cap_xml(&version).to_string()).into_response())
}

#[utoipa::path(
    get,
    path = "/alerts/{identifier}/json",
    operation_id = "warnings_alert_json",
    tag = "warnings",
    summary = "A released alert as JSON (public)",
    security(()), params(("identifier" = String, Path, description = "the CAP identifier")), responses((status = 200, description = "the CAP alert's fields", body = Object))
)]
async fn alert_json(
    State(state): State<Arc<AppState>>,
    Path(identifier): Path<String>,
) -> Result<Response, ApiError> {
    let version = published(&state, identifier).await?;
    let read = tocsin_cap::read(cap_xml(&version).as_bytes()).map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the stored alert could not be read; see the server log",
        )
    })?;
    let headers = [(header::CONTENT_TYPE, "application/json")];
    Ok((headers, read.alert.to_json()).into_response())
}

#[utoipa::path(
    get,
    path = "/alerts/{identifier}/history",
    operation_id = "warnings_alert_history",
    tag = "warnings",
    summary = "The versions of a released alert's warning (public)",
    security(()), params(("identifier" = String, Path, description = "the CAP identifier")), responses((status = 200, description = "OK", body = ref("#/components/schemas/WarningVersions")))
)]
async fn alert_history(
    State(state): State<Arc<AppState>>,
    Path(identifier): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let engine = state.engine.clone();
    let versions = blocking(move || engine.alert_history(&identifier)).await?;
    Ok(Json(versions.iter().map(version_json).collect()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct FeedParams {
    province: Option<String>,
    hazard: Option<String>,
}

#[utoipa::path(
    get,
    path = "/feeds/alerts.atom",
    operation_id = "warnings_feed",
    tag = "warnings",
    summary = "Atom feed of the alerts in force (public)",
    security(()), params(FeedParams), responses((status = 200, description = "an Atom feed", body = String, content_type = "application/atom+xml"))
)]
async fn feed(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(p): Query<FeedParams>,
) -> Result<Response, ApiError> {
    let engine = state.engine.clone();
    let (province, hazard) = (p.province.clone(), p.hazard.clone());
    let current =
        blocking(move || engine.current_alerts(province.as_deref(), hazard.as_deref())).await?;
    let base = base_url(&headers);
    let alerts: Vec<(tocsin_cap::Alert, &VersionRecord)> = current
        .iter()
        .filter_map(|v| {
            tocsin_cap::read(cap_xml(v).as_bytes())
                .ok()
                .map(|r| (r.alert, v))
        })
        .collect();
    let entries: Vec<tocsin_cap::atom::Entry> = alerts
        .iter()
        .map(|(alert, v)| tocsin_cap::atom::Entry {
            alert,
            cap_url: format!("{base}/alerts/{}", alert.identifier),
            updated: v
                .publication
                .as_ref()
                .map_or(String::new(), |p| timestamp_text(p.sent_ms)),
        })
        .collect();
    let sender = &state.engine.warning_settings().sender;
    let scope = [
        p.province.as_deref().map(|c| format!("province {c}")),
        p.hazard.as_deref().map(|h| format!("hazard {h}")),
    ];
    let scope: Vec<String> = scope.into_iter().flatten().collect();
    let query = [
        p.province.as_deref().map(|c| format!("province={c}")),
        p.hazard.as_deref().map(|h| format!("hazard={h}")),
    ];
    let query: Vec<String> = query.into_iter().flatten().collect();
    let feed = tocsin_cap::atom::Feed {
        id: match query.is_empty() {
            true => format!("urn:tocsin:{sender}:alerts"),
            false => format!("urn:tocsin:{sender}:alerts:{}", query.join("&")),
        },
        title: match scope.is_empty() {
            true => format!("{sender}: cảnh báo đang có hiệu lực / alerts in force"),
            false => format!(
                "{sender}: cảnh báo đang có hiệu lực / alerts in force — {}",
                scope.join(", ")
            ),
        },
        self_url: format!(
            "{base}/feeds/alerts.atom{}",
            if query.is_empty() {
                String::new()
            } else {
                format!("?{}", query.join("&"))
            }
        ),
        updated: entries.first().map_or_else(
            || timestamp_text(state.engine.clock().now().as_millisecond()),
            |e| e.updated.clone(),
        ),
    };
    let headers = [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")];
    Ok((headers, tocsin_cap::atom::to_atom(&feed, &entries)).into_response())
}

/// `http://host` from the request's Host header.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

#[utoipa::path(
    post,
    path = "/api/v1/verify",
    operation_id = "warnings_verify",
    tag = "warnings",
    summary = "Verify a CAP alert's signature and sender (public)",
    security(()), request_body(content = String, content_type = "application/xml"), responses((status = 200, description = "OK", body = ref("#/components/schemas/Verdict")))
)]
/// Checks an alert's signature and the trust in its signer, on the verification queue (off the
/// async workers); a document that cannot be read is a 400 naming why.
async fn verify(
    State(state): State<Arc<AppState>>,
    Extension(queue): Extension<HeavyQueue>,
    body: Bytes,
) -> Result<Json<Value>, Response> {
    let engine = state.engine.clone();
    let verdict = queue.run(move || engine.verify_alert(&body)).await?;
    if let Integrity::Refused(Refusal::Unreadable(why)) = &verdict.verification.integrity {
        let message = format!("the alert cannot be read: {why}");
        return Err(ApiError::bad_request(message).into_response());
    }
    let signer = match &verdict.verification.integrity {
        tocsin_cap::signature::Integrity::Genuine { signer } => Some(json!({
            "subject": signer.subject, "issuer": signer.issuer,
            "not_before": signer.not_before.to_string(), "not_after": signer.not_after.to_string(),
        })),
        _ => None,
    };
    let genuine = matches!(
        verdict.verification.integrity,
        tocsin_cap::signature::Integrity::Genuine { .. }
    );
    Ok(Json(json!({
        "genuine": genuine,
        "trusted": verdict.is_trusted(),
        "integrity": verdict.verification.integrity.to_string(),
        "trust": verdict.trust.to_string(),
        "verdict": verdict.to_string(),
        "sender": verdict.verification.sender,
        "sent": verdict.verification.sent.map(|t| t.to_string()),
        "signer": signer,
    })))
}

#[utoipa::path(
    get,
    path = "/verify",
    operation_id = "warnings_verify_page",
    tag = "warnings",
    summary = "A page to paste an alert into and verify it (public)",
    security(()), responses((status = 200, description = "an HTML page", body = String, content_type = "text/html"))
)]
async fn verify_page() -> Response {
    let policy = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";
    (
        [(header::CONTENT_SECURITY_POLICY, policy)],
        Html(VERIFY_PAGE),
    )
        .into_response()
}

#[utoipa::path(
    get,
    path = "/verify.js",
    operation_id = "warnings_verify_script",
    tag = "warnings",
    summary = "The verification page's script (public)",
    security(()), responses((status = 200, description = "JavaScript", body = String, content_type = "text/javascript"))
)]
async fn verify_script() -> Response {
    let kind = "text/javascript; charset=utf-8";
    ([(header::CONTENT_TYPE, kind)], VERIFY_SCRIPT).into_response()
}

/// A page that posts a pasted alert to `/api/v1/verify` and shows the verdict (no outside
/// resources: it works on a closed network).
const VERIFY_PAGE: &str = r#"<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Kiểm tra cảnh báo / Verify an alert</title>
<style>body{font-family:sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}textarea{width:100%;height:18rem;font-family:monospace}
#verdict{margin-top:1rem;padding:1rem;border-radius:.4rem;background:#eee;white-space:pre-wrap}.ok{background:#d8f5d8!important}.bad{background:#fbd9d9!important}</style></head>
<body><h1>Kiểm tra cảnh báo / Verify an alert</h1>
<p>Dán nội dung cảnh báo CAP (XML) để biết cảnh báo có thật và do ai phát hành.<br>Paste a CAP alert (XML) to learn whether it is genuine and who issued it.</p>
<textarea id="alert" aria-label="CAP XML"></textarea><p><button id="check">Kiểm tra / Verify</button></p>
<div id="verdict" role="status"></div>
<script src="/verify.js"></script></body></html>
"#;

/// The verify page's script, served apart so that the page's policy allows no inline script.
const VERIFY_SCRIPT: &str = r#"document.getElementById('check').onclick = async () => {
  const out = document.getElementById('verdict');
  const answer = await fetch('/api/v1/verify', {method: 'POST', headers: {'content-type': 'application/xml'}, body: document.getElementById('alert').value});
  const v = await answer.json();
  out.className = v.trusted ? 'ok' : 'bad';
  if (v.error) { out.textContent = 'KHÔNG xác thực được / NOT genuine\n' + v.error; return; }
  out.textContent = (v.trusted ? 'Cảnh báo thật, nguồn tin cậy / Genuine and trusted' : v.genuine ? 'Chữ ký đúng nhưng nguồn chưa được tin cậy / Genuine but not trusted' : 'KHÔNG xác thực được / NOT genuine')
    + '\n' + v.verdict + (v.sender ? '\nsender: ' + v.sender : '') + (v.sent ? '\nsent: ' + v.sent : '');
};
"#;
