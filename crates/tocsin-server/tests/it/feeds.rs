//! Subscriptions and external alerts over HTTP: national operators manage subscriptions, bodies
//! are checked field by field, external alerts are listed within the caller's scope.

use crate::{fixture, send};
use axum::http::StatusCode;

const JSON: &str = "application/json";

#[tokio::test]
async fn subscriptions_are_managed_by_national_operators() {
    let f = fixture();
    let body = r#"{"url": "http://feeds.test/meteoalarm.atom", "name": "MeteoAlarm relay"}"#;
    let (status, answer) = send("POST", "/api/v1/subscriptions", Some(&f.hanoi), JSON, body).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");

    let (status, answer) = send("POST", "/api/v1/subscriptions", Some(&f.admin), JSON, body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let added: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(added["failures"], 0);
    let id = added["id"].as_u64().unwrap();

    let (status, answer) = send("POST", "/api/v1/subscriptions", Some(&f.admin), JSON, body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    let typo = r#"{"link": "http://feeds.test/x"}"#;
    let (status, answer) = send("POST", "/api/v1/subscriptions", Some(&f.admin), JSON, typo).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer.contains("link"), "{answer}");
    let https = r#"{"url": "https://feeds.test/x"}"#;
    let (status, answer) = send("POST", "/api/v1/subscriptions", Some(&f.admin), JSON, https).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer.contains("url:"), "{answer}");

    let (status, answer) = send("GET", "/api/v1/subscriptions", Some(&f.hanoi), JSON, "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(answer.contains("MeteoAlarm relay"), "{answer}");

    let path = format!("/api/v1/subscriptions/{id}");
    let (status, _) = send("DELETE", &path, Some(&f.hanoi), JSON, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send("DELETE", &path, Some(&f.admin), JSON, "").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send("DELETE", &path, Some(&f.admin), JSON, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn external_alerts_are_listed_within_scope() {
    let f = fixture();
    let (status, answer) = send("GET", "/api/v1/external-alerts", Some(&f.hanoi), JSON, "").await;
    assert_eq!((status, answer.as_str()), (StatusCode::OK, "[]"));
    let uri = "/api/v1/external-alerts?region=15";
    let (status, _) = send("GET", uri, Some(&f.hanoi), JSON, "").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "Lào Cai is outside Hà Nội's scope"
    );
    let uri = "/api/v1/external-alerts?region=01";
    let (status, _) = send("GET", uri, Some(&f.admin), JSON, "").await;
    assert_eq!(status, StatusCode::OK);
}
