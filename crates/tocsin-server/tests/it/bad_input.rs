//! The bad-input corpus: every malformed request gets a 4xx answer that names the record, the
//! field and the reason, and nothing of it is stored.

use crate::{fixture, observation_count, send};
use axum::http::StatusCode;

const GOOD: &str = r#"{"station":"SYN-HN-1","metric":"rain_mm","time":"2024-09-09T13:00:00+07:00","value":1.5,"unit":"mm"}"#;

/// Sends `body` as `content_type` with the admin token and checks status and message.
async fn check(content_type: &str, body: Vec<u8>, status: StatusCode, expected: &str) {
    let (got_status, text) = send(
        "POST",
        "/api/v1/observations",
        Some(&fixture().admin),
        content_type,
        body,
    )
    .await;
    assert_eq!(got_status, status, "{text}");
    assert!(
        text.contains(expected),
        "answer {text}\nshould contain {expected}"
    );
    assert_eq!(stored_at_good_time(), 0, "nothing may be stored: {text}");
}

/// Versions stored at the time every bad record carries (no test stores a good record there).
fn stored_at_good_time() -> usize {
    let engine = &fixture().state.engine;
    let time_ms = "2024-09-09T06:00:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    let admin = tocsin_engine::access::Principal::local_admin();
    engine
        .versions(&admin, "SYN-HN-1", "rain_mm", time_ms)
        .unwrap()
        .len()
}

fn json(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

#[tokio::test]
async fn malformed_bodies_are_refused_whole() {
    let truncated = format!("[{GOOD},{}", &GOOD[..40]);
    check(
        "application/json",
        json(&truncated),
        StatusCode::BAD_REQUEST,
        "body: not a JSON array of records: EOF while parsing",
    )
    .await;
    check(
        "text/csv",
        json("station,metric,value\nSYN-HN-1,rain_mm,1\n"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "CSV header: time: the column is missing",
    )
    .await;
    check(
        "text/plain",
        json(GOOD),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "use application/json, application/x-ndjson or text/csv",
    )
    .await;
    check(
        "application/x-ndjson",
        json("\n\n"),
        StatusCode::BAD_REQUEST,
        "body: no records",
    )
    .await;
}

#[tokio::test]
async fn each_bad_record_is_named() {
    let record = |field: &str, value: &str| {
        GOOD.replace(
            &format!("\"{field}\":{}", original(field)),
            &format!("\"{field}\":{value}"),
        )
    };
    let cases = [
        (
            record("value", "\"1.5\""),
            r#""field":"value","index":0,"reason":"expected a number, found a string""#,
        ),
        (
            record("station", "42"),
            r#""field":"station","index":0,"reason":"expected a string, found a number""#,
        ),
        (
            record("value", "-3"),
            r#""field":"value","index":0,"reason":"-3 mm is outside the physical range 0..500 mm""#,
        ),
        (
            record("value", "1e308"),
            r#""field":"value","index":0,"reason":"100000000000000000000000"#,
        ),
        (
            record("time", "\"3000-01-01T00:00:00Z\""),
            r#""field":"time","index":0,"reason":"3000-01-01T00:00:00Z is "#,
        ),
        (
            record("time", "\"2024-09-09 13:00\""),
            r#""field":"time","index":0,"reason":"\"2024-09-09 13:00\" is not an RFC 3339 time"#,
        ),
        (
            record("station", "\"VN-NOPE\""),
            r#""field":"station","index":0,"reason":"unknown or retired station \"VN-NOPE\"""#,
        ),
        (
            record("unit", "\"degC\""),
            r#""field":"unit","index":0,"reason":"\"degC\" cannot be converted to the metric's unit \"mm\"""#,
        ),
    ];
    for (body, expected) in cases {
        check(
            "application/json",
            json(&format!("[{body}]")),
            StatusCode::UNPROCESSABLE_ENTITY,
            expected,
        )
        .await;
    }
}

fn original(field: &str) -> &'static str {
    match field {
        "value" => "1.5",
        "station" => "\"SYN-HN-1\"",
        "time" => "\"2024-09-09T13:00:00+07:00\"",
        "unit" => "\"mm\"",
        other => panic!("no original for {other}"),
    }
}

#[tokio::test]
async fn hostile_bytes_are_rejected_without_harm() {
    let ten_megabytes = format!("{{\"station\":\"{}\"}}", "x".repeat(10 << 20));
    check(
        "application/x-ndjson",
        json(&ten_megabytes),
        StatusCode::UNPROCESSABLE_ENTITY,
        "longer than the 65536-byte limit for one record",
    )
    .await;
    let mut invalid_utf8 = br#"{"station":"SYN-HN-"#.to_vec();
    invalid_utf8.extend([0xc3, 0x28]);
    invalid_utf8.extend(br#"","metric":"rain_mm"}"#);
    check(
        "application/x-ndjson",
        invalid_utf8,
        StatusCode::UNPROCESSABLE_ENTITY,
        r#""field":"record","index":0,"reason":"not valid UTF-8"#,
    )
    .await;
    check(
        "text/csv",
        json("station,metric,time,value\nSYN-HN-1,rain_mm\n"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "2 fields where the header has 4",
    )
    .await;
}

#[tokio::test]
async fn atomic_requests_store_all_or_nothing() {
    let bad = GOOD.replace("1.5", "-1");
    let body = format!("[{}, {bad}]", GOOD.replace("13:00:00", "13:10:00"));
    let before = observation_count();
    let (status, text) = send(
        "POST",
        "/api/v1/observations?atomic=true",
        Some(&fixture().admin),
        "application/json",
        body.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(text.contains(r#""index":1"#), "{text}");
    assert_eq!(observation_count(), before);
    let (status, text) = send(
        "POST",
        "/api/v1/observations",
        Some(&fixture().admin),
        "application/json",
        body,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(
        text.starts_with(r#"{"accepted":1,"duplicates":0,"rejected":[{"field":"value","index":1"#),
        "{text}"
    );
    assert_eq!(observation_count(), before + 1);
}

#[tokio::test]
async fn tokens_are_required_and_checked() {
    let (status, text) = send(
        "POST",
        "/api/v1/observations",
        None,
        "application/json",
        format!("[{GOOD}]"),
    )
    .await;
    assert_eq!(
        (status, text.as_str()),
        (
            StatusCode::UNAUTHORIZED,
            r#"{"error":"Authorization: Bearer <token> is required"}"#
        )
    );
    let (status, text) = send(
        "POST",
        "/api/v1/observations",
        Some("tcs_wrong"),
        "application/json",
        format!("[{GOOD}]"),
    )
    .await;
    assert_eq!(
        (status, text.as_str()),
        (
            StatusCode::UNAUTHORIZED,
            r#"{"error":"unknown or revoked token"}"#
        )
    );
    let (status, _) = send("GET", "/healthz", None, "text/plain", "").await;
    assert_eq!(status, StatusCode::OK);
}
