//! Which access rule guards each route: the router's whole surface as one table, and the gate
//! that applies it before a handler runs. The rules themselves are the access table of
//! `tocsin_core::access::rule`; the gate refuses a role the route's rule does not name (before
//! any body is read), and the engine then checks region and domain where the data is read.
//! A route missing from [`ROUTES`] is refused with a server error, so a new endpoint without
//! a rule fails its first test.

use super::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tocsin_core::access::{Access, Resource};

/// What guards a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Open to anyone: public alerts, feeds, verification, an acknowledgement link (its secret
    /// is the credential), health, sign-in, assets.
    Public,
    /// A dashboard page: a session is needed (else the sign-in page), and the page reads
    /// through the same engine calls, with the same rules, as the API.
    Page,
    /// A token or session whose principal meets the rule of this resource and access.
    Rule(Resource, Access),
}

use Access::{Read, Write};
use Guard::{Page, Public, Rule};
use Resource::*;

/// Every route of the router: method, path and guard.
pub const ROUTES: &[(&str, &str, Guard)] = &[
    ("GET", "/healthz", Public),
    ("GET", "/api/v1/openapi.json", Public),
    ("GET", "/readyz", Public),
    ("GET", "/metrics", Rule(Metrics, Read)),
    ("GET", "/api/v1/regions/search", Rule(Registry, Read)),
    ("GET", "/api/v1/regions/locate", Rule(Registry, Read)),
    ("GET", "/api/v1/regions/{code}", Rule(Registry, Read)),
    (
        "GET",
        "/api/v1/regions/{code}/children",
        Rule(Registry, Read),
    ),
    (
        "GET",
        "/api/v1/regions/{code}/successors",
        Rule(Registry, Read),
    ),
    (
        "GET",
        "/api/v1/regions/{code}/boundary",
        Rule(Registry, Read),
    ),
    ("GET", "/api/v1/map/communes", Rule(Registry, Read)),
    ("GET", "/api/v1/stations", Rule(Stations, Read)),
    ("POST", "/api/v1/stations", Rule(Stations, Write)),
    ("GET", "/api/v1/stations/{id}", Rule(Stations, Read)),
    ("PUT", "/api/v1/stations/{id}", Rule(Stations, Write)),
    ("DELETE", "/api/v1/stations/{id}", Rule(Stations, Write)),
    ("POST", "/api/v1/observations", Rule(Observations, Write)),
    (
        "GET",
        "/api/v1/observations/versions",
        Rule(Observations, Read),
    ),
    ("GET", "/api/v1/series", Rule(Observations, Read)),
    ("GET", "/api/v1/latest", Rule(Observations, Read)),
    ("GET", "/api/v1/detections", Rule(Detections, Read)),
    ("GET", "/api/v1/situation", Rule(Detections, Read)),
    ("GET", "/api/v1/catalog", Rule(Catalog, Read)),
    ("POST", "/api/v1/catalog/reload", Rule(Catalog, Write)),
    ("GET", "/api/v1/audit/checkpoint", Rule(Audit, Read)),
    ("GET", "/api/v1/audit/proof/inclusion", Rule(Audit, Read)),
    ("GET", "/api/v1/audit/proof/consistency", Rule(Audit, Read)),
    ("GET", "/api/v1/audit/entries", Rule(AuditEntries, Read)),
    ("GET", "/api/v1/warnings", Rule(Warnings, Read)),
    ("GET", "/api/v1/warnings/{id}", Rule(Warnings, Read)),
    (
        "POST",
        "/api/v1/warnings/{id}/versions/{number}/release",
        Rule(Warnings, Write),
    ),
    (
        "POST",
        "/api/v1/warnings/{id}/cancel",
        Rule(Warnings, Write),
    ),
    ("GET", "/api/v1/auto-release", Rule(AutoRelease, Read)),
    ("PUT", "/api/v1/auto-release", Rule(AutoRelease, Write)),
    ("POST", "/api/v1/verify", Public),
    ("GET", "/alerts/{identifier}", Public),
    ("GET", "/alerts/{identifier}/json", Public),
    ("GET", "/alerts/{identifier}/history", Public),
    ("GET", "/feeds/alerts.atom", Public),
    ("GET", "/verify", Public),
    ("GET", "/verify.js", Public),
    ("GET", "/api/v1/recipients", Rule(Recipients, Read)),
    ("PUT", "/api/v1/recipients", Rule(Recipients, Write)),
    ("GET", "/api/v1/silences", Rule(Silences, Read)),
    ("POST", "/api/v1/silences", Rule(Silences, Write)),
    ("DELETE", "/api/v1/silences/{id}", Rule(Silences, Write)),
    ("GET", "/api/v1/notifications", Rule(Notifications, Read)),
    (
        "POST",
        "/api/v1/notifications/{id}/ack",
        Rule(Notifications, Write),
    ),
    ("GET", "/api/v1/stream", Rule(Detections, Read)),
    ("GET", "/ack/{token}", Public),
    ("POST", "/ack/{token}", Public),
    ("GET", "/api/v1/subscriptions", Rule(Subscriptions, Read)),
    ("POST", "/api/v1/subscriptions", Rule(Subscriptions, Write)),
    (
        "DELETE",
        "/api/v1/subscriptions/{id}",
        Rule(Subscriptions, Write),
    ),
    ("GET", "/api/v1/external-alerts", Rule(ExternalAlerts, Read)),
    (
        "POST",
        "/api/v1/forwarded-alerts",
        Rule(ExternalAlerts, Write),
    ),
    ("GET", "/api/v1/drills", Rule(Drills, Read)),
    ("POST", "/api/v1/drills", Rule(Drills, Write)),
    ("GET", "/api/v1/drills/{id}", Rule(Drills, Read)),
    ("DELETE", "/api/v1/drills/{id}", Rule(Drills, Write)),
    ("POST", "/api/v1/drills/{id}/cancel", Rule(Drills, Write)),
    ("GET", "/api/v1/resources", Rule(Resources, Read)),
    ("PUT", "/api/v1/resources", Rule(Resources, Write)),
    ("GET", "/api/v1/incidents", Rule(Incidents, Read)),
    ("POST", "/api/v1/incidents", Rule(Incidents, Write)),
    ("GET", "/api/v1/incidents/{id}", Rule(Incidents, Read)),
    (
        "POST",
        "/api/v1/incidents/{id}/requests",
        Rule(Incidents, Write),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/tasks/{task}/done",
        Rule(Incidents, Write),
    ),
    (
        "PUT",
        "/api/v1/incidents/{id}/roles/{role}",
        Rule(Incidents, Write),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/notes",
        Rule(Incidents, Write),
    ),
    (
        "POST",
        "/api/v1/incidents/{id}/close",
        Rule(Incidents, Write),
    ),
    (
        "GET",
        "/api/v1/incidents/{id}/sitrep",
        Rule(Incidents, Read),
    ),
    ("GET", "/api/v1/reserves", Rule(Reserves, Read)),
    ("POST", "/api/v1/reserves/movements", Rule(Reserves, Write)),
    ("PUT", "/api/v1/reserves/minimums", Rule(Reserves, Write)),
    (
        "POST",
        "/api/v1/reserves/warehouses",
        Rule(LedgerHolders, Write),
    ),
    ("GET", "/api/v1/funds", Rule(Funds, Read)),
    ("POST", "/api/v1/funds", Rule(LedgerHolders, Write)),
    (
        "POST",
        "/api/v1/funds/{id}/contributions",
        Rule(Funds, Write),
    ),
    (
        "POST",
        "/api/v1/funds/{id}/disbursements",
        Rule(Funds, Write),
    ),
    (
        "POST",
        "/api/v1/funds/postings/{posting}/reversal",
        Rule(Funds, Write),
    ),
    ("GET", "/api/v1/session", Public),
    ("POST", "/api/v1/session", Public),
    ("DELETE", "/api/v1/session", Public),
    ("GET", "/login", Public),
    ("POST", "/login", Public),
    ("POST", "/logout", Public),
    ("GET", "/language", Public),
    ("GET", "/assets/{name}", Public),
    ("GET", "/favicon.ico", Public),
    ("GET", "/", Page),
    ("GET", "/regions/{code}", Page),
    ("GET", "/warnings", Page),
    ("GET", "/warnings/{id}", Page),
    ("GET", "/incidents", Page),
    ("GET", "/incidents/{id}", Page),
    ("GET", "/resources", Page),
    ("GET", "/drills", Page),
    ("GET", "/drills/{id}/report", Page),
];

/// The guard of `method` on the route `path`; `None` when the table lacks it.
pub fn guard_of(method: &str, path: &str) -> Option<Guard> {
    ROUTES
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map(|(_, _, guard)| *guard)
}

/// Applies the route's guard: an unlisted route is a server error; a ruled one needs a
/// principal whose role (and national scope, where the rule asks for it) the rule admits.
pub async fn gate(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_string();
    let Some(path) = request.extensions().get::<MatchedPath>().cloned() else {
        return next.run(request).await;
    };
    let guard = match method.as_str() {
        "HEAD" => guard_of("GET", path.as_str()),
        other => guard_of(other, path.as_str()),
    };
    let (resource, access) = match guard {
        Some(Guard::Rule(resource, access)) => (resource, access),
        Some(Guard::Public | Guard::Page) => return next.run(request).await,
        None if ROUTES.iter().any(|(_, p, _)| *p == path.as_str()) => {
            return next.run(request).await; // another method: the router answers 405
        }
        None => {
            tracing::error!(%method, path = path.as_str(), "route without an access rule");
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "this endpoint has no access rule; see the server log",
            )
            .into_response();
        }
    };
    let (mut parts, body) = request.into_parts();
    let who = match Auth::from_request_parts(&mut parts, &state).await {
        Ok(Auth(who)) => who,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = who.require(resource, access) {
        return ApiError::from(e).into_response();
    }
    // The handler's `Auth` takes this principal instead of authenticating a second time.
    parts.extensions.insert(who);
    next.run(Request::from_parts(parts, body)).await
}
