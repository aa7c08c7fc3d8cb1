//! Every error answer is the JSON error of `error.rs`: the rejections of request extractors
//! (query, path, body, content type, body limit) and the answers the framework writes itself.

use crate::{fixture, send_to};
use axum::http::StatusCode;
use std::sync::Arc;
use tocsin_server::AppState;

/// The fixture's engine behind a server that accepts bodies of at most 1 KiB.
fn small_limit() -> Arc<AppState> {
    Arc::new(AppState {
        engine: fixture().state.engine.clone(),
        metrics: Default::default(),
        limits: tocsin_server::Limits {
            max_body_bytes: 1024,
            ..Default::default()
        },
        catalog_dir: None,
        exercises: None,
    })
}

/// One request: the server, method, URI, content type and body; the status and the start of
/// the error message expected.
type Case<'a> = (
    &'a Arc<AppState>,
    &'a str,
    &'a str,
    &'a str,
    Vec<u8>,
    StatusCode,
    &'a str,
);

#[tokio::test]
async fn every_rejection_is_the_json_error() {
    let admin = fixture().admin.as_str();
    let big = "x".repeat(4096);
    let mut not_utf8 = b"[drill]\nname = \"".to_vec();
    not_utf8.extend([0xc3, 0x28, b'"']);
    let limited = small_limit();
    let cases: Vec<Case> = vec![
        (
            &fixture().state,
            "POST",
            "/api/v1/observations?atomic=perhaps",
            "application/json",
            b"[]".to_vec(),
            StatusCode::BAD_REQUEST,
            "query: Failed to deserialize query string: atomic: provided string was not `true` or `false`",
        ),
        (
            &fixture().state,
            "GET",
            "/api/v1/incidents?limit=-1",
            "",
            vec![],
            StatusCode::BAD_REQUEST,
            "query: Failed to deserialize query string: limit: invalid digit",
        ),
        (
            &fixture().state,
            "GET",
            "/api/v1/warnings/abc",
            "",
            vec![],
            StatusCode::BAD_REQUEST,
            "path: Invalid URL: Cannot parse `abc` to a `u64`",
        ),
        (
            &fixture().state,
            "POST",
            "/api/v1/warnings/1/versions/two/release",
            "",
            vec![],
            StatusCode::BAD_REQUEST,
            "path: Invalid URL: Cannot parse value at index 1 with value `two` to a `u32`",
        ),
        (
            &fixture().state,
            "POST",
            "/api/v1/drills?speed=max",
            "text/plain",
            not_utf8,
            StatusCode::BAD_REQUEST,
            "body: Request body didn't contain valid UTF-8",
        ),
        (
            &fixture().state,
            "PUT",
            "/api/v1/stations/SYN-HN-1",
            "text/plain",
            b"{}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "body: Expected request with `Content-Type: application/json`",
        ),
        (
            &fixture().state,
            "PUT",
            "/api/v1/stations/SYN-HN-1",
            "application/json",
            b"{\"id\":".to_vec(),
            StatusCode::BAD_REQUEST,
            "body: Failed to parse the request body as JSON",
        ),
        (
            &fixture().state,
            "PUT",
            "/api/v1/stations/SYN-HN-1",
            "application/json",
            b"{\"id\":\"SYN-HN-1\"}".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "body: Failed to deserialize the JSON body into the target type: missing field",
        ),
        (
            &limited,
            "POST",
            "/api/v1/observations",
            "application/json",
            big.clone().into_bytes(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body: larger than this endpoint accepts",
        ),
        (
            &limited,
            "PUT",
            "/api/v1/stations/SYN-HN-1",
            "application/json",
            big.into_bytes(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body: larger than this endpoint accepts",
        ),
        (
            &fixture().state,
            "DELETE",
            "/api/v1/observations",
            "",
            vec![],
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed",
        ),
    ];
    for (state, method, uri, content_type, body, status, expected) in cases {
        let (got, kind, text) = send_to(state, method, uri, Some(admin), content_type, body).await;
        assert_eq!(got, status, "{method} {uri}: {text}");
        assert_eq!(kind, "application/json", "{method} {uri}: {text}");
        let error: serde_json::Value = serde_json::from_str(&text).unwrap();
        let message = error["error"].as_str().unwrap_or_default();
        assert!(
            message.starts_with(expected),
            "{method} {uri}: {message}\nshould start with {expected}"
        );
    }
}
