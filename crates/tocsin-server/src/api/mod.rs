//! The router: health checks, metrics, the `/api/v1` resources (regions, stations,
//! observations, series, detections, warnings, incidents, resources, reserves and funds, drills,
//! the audit journal),
//! and the public alerts, feeds and verification.

mod audit;
mod catalog;
mod detections;
mod dispatch;
pub(crate) mod drills;
mod feeds;
mod forwarded;
mod map;
mod observations;
mod openapi;
mod paging;
mod regions;
mod response;
pub mod rules;
pub(crate) mod session;
mod stations;
mod warnings;

use crate::error::ApiError;
use crate::metrics::{Metrics, resident_bytes};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use tocsin_engine::Engine;

/// What every handler shares.
pub struct AppState {
    pub engine: Arc<Engine>,
    pub metrics: Metrics,
    /// Body sizes, timeouts, connections and the verification queue.
    pub limits: crate::Limits,
    /// Where the rule catalogue is read from on reload; `None` for the built-in one.
    pub catalog_dir: Option<std::path::PathBuf>,
    /// The node's drills, each in an exercise space of its own; `None` where drills cannot run
    /// (no administrative files to build an exercise space from).
    pub exercises: Option<Arc<tocsin_engine::drill::exercises::Exercises>>,
}

/// Reloads the rule catalogue from its folder (or the built-in one). A catalogue with problems
/// is refused and the one in use stays; returns the number of rules now in use.
pub fn reload_catalog(state: &AppState) -> Result<usize, Vec<String>> {
    let loaded = match &state.catalog_dir {
        Some(dir) => tocsin_engine::catalog::load_dir(dir),
        None => tocsin_engine::catalog::builtin(),
    };
    let catalog =
        loaded.map_err(|problems| problems.iter().map(|p| p.to_string()).collect::<Vec<_>>())?;
    let rules = catalog.rules.len();
    state
        .engine
        .replace_catalog(catalog)
        .map_err(|e| vec![e.to_string()])?;
    Ok(rules)
}

/// The whole HTTP API.
pub fn router(state: Arc<AppState>) -> Router {
    let limits = &state.limits;
    let verifications = crate::heavy::HeavyQueue::new(limits.verify_workers, limits.verify_queue);
    Router::new()
        .route("/healthz", get(health))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(openapi::routes())
        .merge(regions::routes())
        .merge(stations::routes())
        .merge(observations::routes())
        .merge(detections::routes())
        .merge(feeds::routes())
        .merge(forwarded::routes())
        .merge(catalog::routes())
        .merge(audit::routes())
        .merge(warnings::routes())
        .merge(dispatch::routes())
        .merge(drills::routes())
        .merge(session::routes())
        .merge(map::routes())
        .merge(response::routes())
        .merge(crate::dashboard::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rules::gate,
        ))
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no such endpoint; see the API section of the README",
            )
        })
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        // Any error the framework itself writes as plain text becomes the JSON error.
        .layer(axum::middleware::map_response(crate::extract::json_errors))
        .layer(axum::Extension(verifications))
        // Runs after routing (as every `Router::layer`), so it knows the matched route.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::layers::request_body,
        ))
        // gzip for clients that accept it (the default predicate leaves event streams, images
        // and tiny bodies alone).
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(axum::middleware::from_fn(crate::layers::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            log_request,
        ))
        .with_state(state)
}

#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "meta_health",
    tag = "meta",
    summary = "Liveness: the process answers",
    security(()), responses((status = 200, description = "`ok`", body = String, content_type = "text/plain"))
)]
async fn health() -> &'static str {
    "ok\n"
}

#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "meta_readyz",
    tag = "meta",
    summary = "Readiness: the store answers",
    security(()), responses((status = 200, description = "`ready (schema N)`", body = String, content_type = "text/plain"))
)]
async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let engine = state.engine.clone();
    match blocking(move || Ok(engine.store().schema_version()?)).await {
        Ok(version) => format!("ready (schema {version})\n").into_response(),
        Err(e) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.message).into_response(),
    }
}

/// Prometheus text; needs a token like every other endpoint (scrapers send it as a bearer token).
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "meta_metrics",
    tag = "meta",
    summary = "Prometheus metrics",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"))
)]
async fn metrics(State(state): State<Arc<AppState>>, _auth: crate::auth::Auth) -> String {
    let rss = resident_bytes().unwrap_or(f64::NAN);
    let engine = state.engine.clone();
    let journal = blocking(move || engine.audit().figures()).await.ok();
    let figure = |f: fn(&tocsin_engine::audit::JournalFigures) -> u64| {
        journal.as_ref().map_or(f64::NAN, |j| f(j) as f64)
    };
    state.metrics.render(&[
        (
            "tocsin_process_resident_memory_bytes",
            "Resident memory of the server process.",
            rss,
        ),
        (
            "tocsin_journal_entries",
            "Entries in the journal.",
            figure(|j| j.entries),
        ),
        (
            "tocsin_journal_checkpoint_size",
            "Entries covered by the newest signed checkpoint.",
            figure(|j| j.checkpoint_size),
        ),
        (
            "tocsin_journal_checkpoints_signed",
            "Checkpoints signed since the server started.",
            figure(|j| j.checkpoints_signed),
        ),
        (
            "tocsin_journal_warnings_lag_entries",
            "Journal entries the warning desk has not read yet.",
            figure(|j| j.warnings_lag),
        ),
    ])
}

/// Logs each request with its status and duration; counts error answers.
async fn log_request(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = logged_path(request.uri().path());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        Metrics::add(&state.metrics.http_errors, 1);
    }
    tracing::info!(%method, %path, status = status.as_u16(), elapsed_ms = started.elapsed().as_secs_f64() * 1000.0, "request");
    response
}

/// The path as the log keeps it: the secret of an acknowledgement link is left out (no log
/// carries a credential).
fn logged_path(path: &str) -> String {
    match path.strip_prefix("/ack/") {
        Some(_) => "/ack/{token}".into(),
        None => path.to_string(),
    }
}

/// Runs a store-bound engine call off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, tocsin_engine::EngineError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(ApiError::from),
        Err(e) => {
            tracing::error!(error = %e, "handler task failed");
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error; see the server log",
            ))
        }
    }
}

/// Parses an optional `at=YYYY-MM-DD` query parameter.
pub(crate) fn parse_date(at: Option<&str>) -> Result<Option<jiff::civil::Date>, ApiError> {
    at.filter(|a| !a.is_empty())
        .map(|a| {
            a.parse()
                .map_err(|_| ApiError::bad_request(format!("at: {a:?} is not a date (YYYY-MM-DD)")))
        })
        .transpose()
}
