//! The OpenAPI 3.1 description of the HTTP API, served at `GET /api/v1/openapi.json`.
//!
//! Each operation is described by the `#[utoipa::path]` attribute on its handler (method, path,
//! path and query parameters from the handler's own query structs, request bodies from its own
//! body structs, answers); [`ApiDoc`] lists them all. [`document`] then adds what every
//! operation shares: the JSON error of `crate::error::ApiError` for each 4xx and 5xx answer, the
//! bearer token scheme, and the shapes of the answers built as JSON values ([`shapes`]). The
//! test `every_route_is_described` compares the routes in the router's source with the
//! operations here, so an endpoint without a description fails the build.
//!
//! The dashboard's pages (`crate::dashboard`) are left out: they are HTML for people, linked from
//! each other, not an interface for programs; `/login`, `/logout`, `/verify` and `/ack/{token}`
//! are described because programs and messages link to them.

use super::AppState;
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};
use std::sync::{Arc, OnceLock};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "tocsin HTTP API",
        description = "A national early-warning node: regions, stations and observations, \
            detections, warnings and public CAP alerts, dissemination, response and drills. \
            Every endpoint needs a bearer token (or a session cookie with its CSRF token for \
            changes) except the health checks, sign-in, and the public alerts, feeds and \
            verification. Every error answer is the JSON error `{\"error\": …, \"details\": …}`."
    ),
    security(("bearer" = [])),
    paths(
        spec,
        super::health,
        super::readyz,
        super::metrics,
        super::regions::search,
        super::regions::locate,
        super::regions::region,
        super::regions::children,
        super::regions::successors,
        super::regions::boundary,
        super::stations::list,
        super::stations::upsert,
        super::stations::read,
        super::stations::replace,
        super::stations::retire,
        super::observations::ingest,
        super::observations::versions,
        super::observations::series,
        super::observations::latest,
        super::detections::detections,
        super::detections::situation,
        super::audit::checkpoint,
        super::audit::inclusion,
        super::audit::consistency,
        super::audit::entries,
        super::feeds::subscriptions,
        super::feeds::add_subscription,
        super::feeds::remove_subscription,
        super::feeds::external_alerts,
        super::forwarded::receive,
        super::catalog::rules,
        super::catalog::reload,
        super::warnings::list,
        super::warnings::history,
        super::warnings::release,
        super::warnings::cancel,
        super::warnings::auto_release,
        super::warnings::set_auto_release,
        super::warnings::verify,
        super::warnings::alert_xml,
        super::warnings::alert_json,
        super::warnings::alert_history,
        super::warnings::feed,
        super::warnings::verify_page,
        super::warnings::verify_script,
        super::dispatch::recipients,
        super::dispatch::set_recipients,
        super::dispatch::silences,
        super::dispatch::add_silence,
        super::dispatch::expire_silence,
        super::dispatch::notifications,
        super::dispatch::acknowledge,
        super::dispatch::stream,
        super::dispatch::acknowledge_page,
        super::dispatch::acknowledge_link,
        super::drills::list,
        super::drills::start,
        super::drills::one,
        super::drills::remove,
        super::drills::cancel,
        super::session::current,
        super::session::sign_in_json,
        super::session::sign_out_json,
        super::session::login_page,
        super::session::sign_in_form,
        super::session::sign_out_form,
        super::map::communes,
        super::response::list_resources,
        super::response::set_resources,
        super::response::incidents,
        super::response::open_incident,
        super::response::incident,
        super::response::request_resources,
        super::response::complete_task,
        super::response::set_role,
        super::response::add_note,
        super::response::close,
        super::response::sitrep,
        super::response::reserves,
        super::response::move_stock,
        super::response::set_minimum,
        super::response::create_warehouse,
        super::response::funds,
        super::response::create_fund,
        super::response::contribute,
        super::response::disburse,
        super::response::reverse,
    )
)]
struct ApiDoc;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/v1/openapi.json", get(spec))
}

/// The description, built once.
fn text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| document().to_string())
}

#[utoipa::path(get, path = "/api/v1/openapi.json", operation_id = "openapi", tag = "meta",
    summary = "This description of the API (OpenAPI 3.1)", security(()),
    responses((status = 200, description = "the OpenAPI document", body = Object)))]
async fn spec() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], text())
}

/// The whole description: the operations of [`ApiDoc`] with the shared error answers, the
/// bearer scheme and the answer shapes.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let error = json!({"$ref": "#/components/responses/Error"});
    if let Some(paths) = doc["paths"].as_object_mut() {
        for operation in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in operation.values_mut() {
                let responses = &mut op["responses"];
                for range in ["4XX", "5XX"] {
                    if responses.get(range).is_none() {
                        responses[range] = error.clone();
                    }
                }
            }
        }
    }
    let components = &mut doc["components"];
    components["securitySchemes"] = json!({"bearer": {
        "type": "http", "scheme": "bearer",
        "description": "An API token (`tocsin token create`). People signed in with a session \
            cookie use that instead, with `X-CSRF-Token` on changes."
    }});
    components["responses"] = json!({"Error": {
        "description": "The JSON error: a message naming the field and the reason, and for \
            some refusals the list of every problem",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    }});
    let schemas = &mut components["schemas"];
    if !schemas.is_object() {
        *schemas = json!({});
    }
    for (name, schema) in shapes() {
        schemas[name] = schema;
    }
    doc
}

fn string() -> Value {
    json!({"type": "string"})
}

fn optional(kind: &str) -> Value {
    json!({"type": [kind, "null"]})
}

fn integer() -> Value {
    json!({"type": "integer"})
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties})
}

fn array_of(name: &str) -> Value {
    json!({"type": "array", "items": {"$ref": format!("#/components/schemas/{name}")}})
}

/// An object whose fields depend on its content (a record kept as JSON, a report).
fn freeform(description: &str) -> Value {
    json!({"type": "object", "description": description})
}

/// The shapes of the answers that handlers build as JSON values, by component name.
fn shapes() -> Vec<(&'static str, Value)> {
    let time = || json!({"type": "string", "description": "RFC 3339 time"});
    let optional_time = || json!({"type": ["string", "null"], "description": "RFC 3339 time"});
    vec![
        (
            "Error",
            object(
                &["error"],
                json!({
                    "error": {"type": "string", "description": "what was refused and why, naming the field"},
                    "details": {"description": "every problem, where there are several (record, field, reason)"}
                }),
            ),
        ),
        (
            "Region",
            object(
                &["code", "name", "name_en", "kind", "division_type", "source"],
                json!({
                    "code": string(), "name": string(), "name_en": string(), "kind": string(),
                    "division_type": string(), "parent": optional("string"),
                    "valid_from": optional("string"), "valid_to": optional("string"),
                    "centroid": {"type": ["array", "null"], "items": {"type": "number"}},
                    "bbox": {"type": ["array", "null"], "items": {"type": "number"}, "description": "[min_lon, min_lat, max_lon, max_lat]"},
                    "source": string(),
                    "ancestors": array_of("Region"),
                    "relation": string(),
                    "changes": {"type": "array", "items": string()},
                }),
            ),
        ),
        ("Regions", array_of("Region")),
        (
            "Station",
            object(
                &["id", "name", "domain", "lat", "lon", "metrics"],
                json!({
                    "id": string(), "name": string(), "domain": string(),
                    "lat": {"type": "number"}, "lon": {"type": "number"},
                    "commune": optional("string"),
                    "metrics": {"type": "array", "items": {"type": "object"}},
                    "attributes": {"type": "object"},
                    "retired": optional("string"),
                }),
            ),
        ),
        ("Stations", array_of("Station")),
        ("Stored", object(&["stored"], json!({"stored": integer()}))),
        (
            "IngestReport",
            object(
                &["accepted", "duplicates", "rejected"],
                json!({
                    "accepted": integer(), "duplicates": integer(),
                    "rejected": {"type": "array", "items": object(&["index", "field", "reason"], json!({
                        "index": integer(), "field": string(), "reason": string()}))},
                    "atomic": {"type": "string", "description": "present when an atomic request stored nothing"},
                }),
            ),
        ),
        (
            "IngestRefusal",
            json!({"anyOf": [
            {"$ref": "#/components/schemas/IngestReport"}, {"$ref": "#/components/schemas/Error"}]}),
        ),
        (
            "Series",
            object(
                &["station", "metric", "kind", "step_seconds", "steps"],
                json!({
                    "station": string(), "metric": string(), "kind": {"enum": ["observed", "forecast"]},
                    "step_seconds": integer(),
                    "steps": {"type": "array", "items": object(&["start", "count"], json!({
                        "start": time(), "count": integer(), "mean": optional("number"),
                        "min": optional("number"), "max": optional("number"), "sum": optional("number")}))},
                }),
            ),
        ),
        ("Latest", {
            let value = object(
                &["station", "metric", "time", "value"],
                json!({
                "station": string(), "metric": string(), "unit": string(),
                "commune": optional("string"), "time": time(), "value": {"type": "number"}}),
            );
            json!({"type": "array", "items": value})
        }),
        ("ObservationVersions", {
            let version = object(
                &["time", "value", "seq"],
                json!({
                "time": time(), "issued": optional_time(), "value": {"type": "number"},
                "seq": integer(), "received": optional_time()}),
            );
            json!({"type": "array", "items": version})
        }),
        (
            "InclusionProof",
            object(
                &["leaf_index", "tree_size", "leaf_hash", "hashes"],
                json!({
                    "leaf_index": integer(), "tree_size": integer(),
                    "leaf_hash": {"type": "string", "description": "base64 of SHA-256(0x00 ‖ leaf)"},
                    "hashes": {"type": "array", "items": string()},
                }),
            ),
        ),
        (
            "ConsistencyProof",
            object(
                &["from", "to", "hashes"],
                json!({"from": integer(), "to": integer(), "hashes": {"type": "array", "items": string()}}),
            ),
        ),
        (
            "AuditEntries",
            object(
                &["entries", "next"],
                json!({
                    "entries": {"type": "array", "items": object(&["index", "leaf", "event"], json!({
                        "index": integer(),
                        "leaf": {"type": "string", "description": "base64 of the leaf bytes"},
                        "event": {"type": "object"}}))},
                    "next": integer(),
                }),
            ),
        ),
        (
            "DetectionPage",
            object(
                &["detections", "more", "next"],
                json!({
                    "detections": {"type": "array", "items": {"type": "object"}},
                    "more": {"type": "boolean", "description": "the page was cut at `limit`; ask again with `after=<next>`"},
                    "next": integer(),
                }),
            ),
        ),
        (
            "Situation",
            object(
                &[
                    "region",
                    "max_level",
                    "communes_per_level",
                    "provinces",
                    "communes",
                    "active",
                ],
                json!({
                    "region": string(), "max_level": integer(),
                    "communes_per_level": {"type": "object", "additionalProperties": integer()},
                    "provinces": {}, "communes": {"type": "object"},
                    "active": {"type": "array", "items": {"type": "object"}},
                    "silent_stations": {"type": "array", "items": {"type": "object"}},
                    "expected": {"type": "array", "items": {"type": "object"}},
                }),
            ),
        ),
        (
            "WarningVersion",
            object(
                &[
                    "warning", "number", "hazard", "province", "level", "state", "made", "expires",
                ],
                json!({
                    "warning": integer(), "number": integer(), "hazard": string(), "province": string(),
                    "action": string(), "level": integer(), "state": string(),
                    "made": time(), "expires": time(), "areas": {},
                    "identifier": optional("string"), "sent": optional_time(), "msg_type": optional("string"),
                    "released_by": optional("string"), "released": optional_time(),
                }),
            ),
        ),
        ("WarningVersions", array_of("WarningVersion")),
        (
            "AutoReleaseLevel",
            object(
                &["hazard", "max_level"],
                json!({"hazard": string(), "max_level": integer()}),
            ),
        ),
        ("AutoReleaseLevels", array_of("AutoReleaseLevel")),
        (
            "Verdict",
            object(
                &["genuine", "trusted", "integrity", "trust", "verdict"],
                json!({
                    "genuine": {"type": "boolean"}, "trusted": {"type": "boolean"},
                    "integrity": string(), "trust": string(), "verdict": string(),
                    "sender": optional("string"), "sent": optional("string"),
                    "signer": {"type": ["object", "null"]},
                }),
            ),
        ),
        (
            "Subscription",
            object(
                &["id", "url", "name", "added", "next_poll", "failures"],
                json!({
                    "id": integer(), "url": string(), "name": string(), "added_by": string(), "added": time(),
                    "etag": optional("string"), "last_modified": optional("string"),
                    "last_polled": optional_time(), "next_poll": time(), "failures": integer(),
                    "last_error": optional("string"),
                }),
            ),
        ),
        ("Subscriptions", array_of("Subscription")),
        (
            "ExternalAlerts",
            json!({"type": "array", "items": freeform("an outside alert with where it applies and what checking it found")}),
        ),
        (
            "ForwardedReceipt",
            object(
                &["stored", "regions"],
                json!({
                    "stored": {"type": "boolean", "description": "false when the same alert was stored before"},
                    "id": optional("integer"), "sender": {}, "identifier": {}, "placement": {}, "signature": {},
                    "regions": {"type": "array", "items": string()},
                }),
            ),
        ),
        (
            "Catalog",
            object(
                &["rules"],
                json!({"rules": {"type": "array", "items": {"type": "object"}}}),
            ),
        ),
        (
            "Reloaded",
            object(
                &["reloaded", "rules"],
                json!({"reloaded": {"type": "boolean"}, "rules": integer()}),
            ),
        ),
        (
            "Recipients",
            json!({"type": "array", "items": freeform("a recipient with its endpoints; secrets are never shown")}),
        ),
        (
            "RecipientCount",
            object(&["recipients"], json!({"recipients": integer()})),
        ),
        (
            "Silences",
            json!({"type": "array", "items": freeform("a silence with its matchers and audit")}),
        ),
        ("Id", object(&["id"], json!({"id": integer()}))),
        (
            "SilenceEnded",
            object(
                &["id", "ended"],
                json!({"id": integer(), "ended": {"type": "boolean"}}),
            ),
        ),
        (
            "Notifications",
            json!({"type": "array", "items": freeform("a notification with its deliveries and attempts")}),
        ),
        (
            "Acknowledged",
            object(
                &["notification", "warning", "version"],
                json!({
            "notification": integer(), "warning": integer(), "version": integer()}),
            ),
        ),
        (
            "Drill",
            freeform("a drill: its status, steps so far and, once finished, its scored report"),
        ),
        (
            "Drills",
            object(
                &["drills"],
                json!({"drills": {"type": "array", "items": {"$ref": "#/components/schemas/Drill"}}}),
            ),
        ),
        (
            "DrillStarted",
            object(
                &["id", "status", "href"],
                json!({"id": integer(), "status": string(), "href": string()}),
            ),
        ),
        (
            "Session",
            object(
                &["user", "role", "scope", "csrf_token"],
                json!({
                    "user": object(&["username"], json!({"username": string(), "display_name": {}})),
                    "role": string(),
                    "scope": object(&["region", "domains"], json!({"region": string(), "domains": {"type": "array", "items": string()}})),
                    "csrf_token": string(), "expires": optional("string"),
                }),
            ),
        ),
        (
            "MapShapes",
            object(
                &["detail", "scale", "provinces"],
                json!({
                    "detail": string(), "scale": {"type": "number"}, "tolerance_degrees": {"type": "number"},
                    "encoding": string(), "provinces": {"type": "array", "items": {"type": "object"}},
                }),
            ),
        ),
        (
            "Resources",
            json!({"type": "array", "items": freeform("a resource of the registry")}),
        ),
        (
            "ResourceCount",
            object(&["resources"], json!({"resources": integer()})),
        ),
        (
            "Incidents",
            json!({"type": "array", "items": {"$ref": "#/components/schemas/Incident"}}),
        ),
        (
            "Incident",
            freeform(
                "an incident; one read alone also has its roles, tasks, requests, assignments and notes",
            ),
        ),
        (
            "IncidentReport",
            freeform(
                "what happened, where and when: `hazard`, `area` (a commune or province code), `title`, `level`, optional `report` from the public",
            ),
        ),
        ("Outcome", freeform("what a change to an incident did")),
        (
            "Stock",
            json!({"type": "array", "items": object(&["warehouse", "item", "balance", "minimum", "below_minimum"], json!({
            "warehouse": string(), "item": string(), "balance": integer(), "minimum": integer(),
            "below_minimum": {"type": "boolean"}}))}),
        ),
        (
            "Movement",
            freeform(
                "a stock movement: kind (receipt, issue, transfer, adjustment), warehouses, item, quantity, memo",
            ),
        ),
        (
            "Moved",
            object(
                &["posting", "replenish"],
                json!({"posting": integer(), "replenish": {"type": "array", "items": {"type": "object"}}}),
            ),
        ),
        (
            "Funds",
            object(
                &["balances", "postings"],
                json!({"balances": {}, "postings": {"type": "array", "items": {"type": "object"}}}),
            ),
        ),
        (
            "Posting",
            object(&["posting"], json!({"posting": integer()})),
        ),
        (
            "Done",
            freeform(
                "the change was made: `{\"done\": true}`, `{\"set\": true}` or `{\"created\": true}`",
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::document;
    use std::collections::BTreeSet;

    /// The text of every `.rs` file under `src/{folder}`.
    fn sources(folder: &str) -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src")
            .join(folder);
        let mut texts = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                texts.push(std::fs::read_to_string(&path).unwrap());
            }
        }
        texts
    }

    /// `METHOD path` for every `.route("path", method(handler).other(handler))` in `source`
    /// outside its tests.
    fn routes_in(source: &str) -> BTreeSet<String> {
        let code = source.split("#[cfg(test)]").next().unwrap_or_default();
        let compact: String = code.split_whitespace().collect();
        let mut found = BTreeSet::new();
        for part in compact.split(".route(\"").skip(1) {
            let Some((path, rest)) = part.split_once("\",") else {
                continue;
            };
            let mut depth = 0;
            let mut word = String::new();
            for c in rest.chars() {
                match c {
                    '(' if depth == 0 => {
                        let method = word.rsplit("::").next().unwrap_or_default();
                        found.insert(format!("{} {path}", method.to_uppercase()));
                        depth += 1;
                    }
                    '(' => depth += 1,
                    ')' if depth == 0 => break,
                    ')' => depth -= 1,
                    '.' if depth == 0 => word.clear(),
                    c if depth == 0 => word.push(c),
                    _ => {}
                }
            }
        }
        found
    }

    fn described() -> BTreeSet<String> {
        let doc = document();
        let mut found = BTreeSet::new();
        for (path, operations) in doc["paths"].as_object().unwrap() {
            for method in operations.as_object().unwrap().keys() {
                found.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
        found
    }

    #[test]
    fn the_route_reader_reads_chained_and_qualified_methods() {
        let source = r#".route("/a/{id}", get(one).delete(remove))
            .route("/b", axum::routing::post(ingest))"#;
        let expected = ["DELETE /a/{id}", "GET /a/{id}", "POST /b"];
        assert_eq!(routes_in(source), expected.map(String::from).into());
    }

    #[test]
    fn every_route_is_described() {
        let routes: BTreeSet<String> = sources("api").iter().flat_map(|s| routes_in(s)).collect();
        let described = described();
        let missing: Vec<_> = routes.difference(&described).collect();
        let extra: Vec<_> = described.difference(&routes).collect();
        assert!(
            missing.is_empty(),
            "routes without a description: {missing:?}"
        );
        assert!(extra.is_empty(), "descriptions without a route: {extra:?}");
        assert!(routes.len() > 80, "the route reader found only {routes:?}");
    }

    #[test]
    fn pages_are_not_described() {
        let described = described();
        let pages: BTreeSet<String> = sources("dashboard")
            .iter()
            .flat_map(|s| routes_in(s))
            .collect();
        assert!(!pages.is_empty());
        let both: Vec<_> = pages.intersection(&described).collect();
        assert!(both.is_empty(), "dashboard pages described: {both:?}");
    }

    #[test]
    fn every_error_answer_is_the_json_error() {
        let doc = document();
        for (path, operations) in doc["paths"].as_object().unwrap() {
            for (method, op) in operations.as_object().unwrap() {
                for range in ["4XX", "5XX"] {
                    assert!(
                        op["responses"].get(range).is_some(),
                        "{method} {path}: no {range}"
                    );
                }
            }
        }
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
    }

    #[test]
    fn operation_ids_are_unique_and_references_resolve() {
        let doc = document();
        let text = doc.to_string();
        let mut ids = BTreeSet::new();
        for operations in doc["paths"].as_object().unwrap().values() {
            for op in operations.as_object().unwrap().values() {
                let id = op["operationId"].as_str().unwrap().to_string();
                assert!(ids.insert(id.clone()), "operationId {id} twice");
            }
        }
        for reference in text.split("\"$ref\":\"").skip(1) {
            let target = reference.split('"').next().unwrap();
            let pointer = target.trim_start_matches('#');
            assert!(doc.pointer(pointer).is_some(), "{target} does not resolve");
        }
    }
}
