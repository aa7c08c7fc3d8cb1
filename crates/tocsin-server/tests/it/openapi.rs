//! The API description at `/api/v1/openapi.json`, and the answers the property-based run
//! against it (schemathesis, `crates/tocsin/tests/it/schemathesis.rs`) found wrong: each case
//! here failed before its fix.

use crate::{Fixture, STATIONS_CSV, fixture, send, send_to};
use axum::http::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use tocsin_core::clock::ManualClock;

#[tokio::test]
async fn the_description_is_served_without_a_token() {
    let (status, body) = send("GET", "/api/v1/openapi.json", None, "", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let ingest = &doc["paths"]["/api/v1/observations"]["post"];
    assert!(ingest["requestBody"]["content"]["text/csv"].is_object());
    assert_eq!(
        ingest["responses"]["4XX"]["$ref"],
        "#/components/responses/Error"
    );
}

/// One more than the largest integer SQLite keeps.
const TOO_LARGE: &str = "9223372036854775808";

/// Quantities beyond what the store keeps were cast into negative numbers: a minimum stock
/// broke the table's check (500), a resource's quantity was refused as "less than what is
/// assigned", and a request for resources was stored negative. Each is now refused, naming
/// the field, and nothing is stored.
#[tokio::test]
async fn quantities_beyond_what_the_store_keeps_are_refused() {
    let cases = [
        (
            "PUT",
            "/api/v1/reserves/minimums",
            format!(r#"{{"warehouse": "KHO-01", "item": "life_jacket", "minimum": {TOO_LARGE}}}"#),
            "minimum: 9223372036854775808 is more than the largest quantity kept",
        ),
        (
            "POST",
            "/api/v1/reserves/movements",
            format!(
                r#"{{"kind": "receipt", "warehouse": "KHO-01", "item": "life_jacket", "quantity": {TOO_LARGE}}}"#
            ),
            "quantity: 9223372036854775808 is more than the largest quantity kept",
        ),
        (
            "PUT",
            "/api/v1/resources",
            format!(
                r#"[{{"id": "BIG-1", "name": "boats", "category": "materials", "kind": "boat", "unit": "",
                    "quantity": {TOO_LARGE}, "status": "available", "owner": "test", "province": "01",
                    "tier": "province", "lat": 21.03, "lon": 105.85, "readiness_minutes": 30}}]"#
            ),
            "resource 0: quantity: 9223372036854775808 is more than the largest quantity kept",
        ),
    ];
    let admin = &fixture().admin;
    for (method, uri, body, expected) in cases {
        let (status, text) = send(method, uri, Some(admin), "application/json", body).await;
        // A refused record of a list is a 422 naming it; a refused single body a 400.
        let expected_status = if uri == "/api/v1/resources" {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(status, expected_status, "{method} {uri}: {text}");
        let answer: Value = serde_json::from_str(&text).unwrap();
        let message = answer["error"].as_str().unwrap();
        assert!(message.contains(expected), "{method} {uri}: {message}");
    }
    let (_, reserves) = send("GET", "/api/v1/reserves", Some(admin), "", "").await;
    assert!(!reserves.contains("KHO-01"), "{reserves}");
    let (_, resources) = send("GET", "/api/v1/resources", Some(admin), "", "").await;
    assert!(!resources.contains("BIG-1"), "{resources}");
}

/// A request for resources of an incident, with a quantity beyond what the store keeps, was
/// stored as a negative number and read back as the huge one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_beyond_what_the_store_keeps_is_refused() {
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let server = Fixture::build(clock, STATIONS_CSV);
    let admin = Some(server.admin.as_str());
    let report = r#"{"hazard": "river_flood", "lat": 21.03, "lon": 105.85, "text": "water over the road",
        "reporter": "ward office", "level": 2}"#;
    let (status, _, opened) = send_to(
        &server.state,
        "POST",
        "/api/v1/incidents",
        admin,
        "application/json",
        report,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    let id = serde_json::from_str::<Value>(&opened).unwrap()["incident"].clone();
    let uri = format!("/api/v1/incidents/{id}/requests");
    let request =
        format!(r#"[{{"category": "materials", "kind": "boat", "quantity": {TOO_LARGE}}}]"#);
    let (status, _, text) = send_to(
        &server.state,
        "POST",
        &uri,
        admin,
        "application/json",
        request,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    assert!(
        text.contains("request \\\"boat\\\": quantity: 9223372036854775808 is more than the largest quantity kept"),
        "{text}"
    );
    let (_, _, detail) = send_to(
        &server.state,
        "GET",
        &format!("/api/v1/incidents/{id}"),
        admin,
        "",
        "",
    )
    .await;
    assert!(!detail.contains(TOO_LARGE), "{detail}");
}

/// A resources body with nothing in it (schemathesis sent `{}` as CSV: a header of one unknown
/// column and no rows) was answered `{"resources": 0}`, as if a registry had been set.
#[tokio::test]
async fn a_resources_body_without_resources_is_refused() {
    let cases = [
        ("text/csv", "{}"),
        ("text/csv", "id,name\n"),
        ("application/json", "[]"),
    ];
    for (content_type, body) in cases {
        let (status, text) = send(
            "PUT",
            "/api/v1/resources",
            Some(&fixture().admin),
            content_type,
            body,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{content_type} {body:?}: {text}"
        );
        assert!(
            text.contains("body: no resources"),
            "{content_type} {body:?}: {text}"
        );
    }
}
