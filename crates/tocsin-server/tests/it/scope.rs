//! Access scopes are enforced where data is read: a token scoped to Hà Nội neither reads nor
//! writes Lào Cai's stations, regions or values.

use crate::{fixture, send};
use axum::http::StatusCode;

#[tokio::test]
async fn a_province_token_sees_only_its_province() {
    let hanoi = &fixture().hanoi;
    let (status, _) = send("GET", "/api/v1/stations/SYN-HN-1", Some(hanoi), "", "").await;
    assert_eq!(status, StatusCode::OK);
    let (status, text) = send("GET", "/api/v1/stations/SYN-LC-1", Some(hanoi), "", "").await;
    assert_eq!(
        (status, text.as_str()),
        (
            StatusCode::NOT_FOUND,
            r#"{"error":"no station \"SYN-LC-1\" within your scope"}"#
        )
    );
    let (_, list) = send("GET", "/api/v1/stations?format=csv", Some(hanoi), "", "").await;
    assert!(
        list.contains("SYN-HN-1") && !list.contains("SYN-LC-1"),
        "{list}"
    );
    let (status, _) = send("GET", "/api/v1/regions/15", Some(hanoi), "", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send("GET", "/api/v1/regions/01", Some(hanoi), "", "").await;
    assert_eq!(status, StatusCode::OK);
    let (_, children) = send("GET", "/api/v1/regions/VN/children", Some(hanoi), "", "").await;
    assert!(children.contains(r#""code":"01""#) && !children.contains(r#""code":"15""#));
    let (_, found) = send(
        "GET",
        "/api/v1/regions/search?q=lao%20cai",
        Some(hanoi),
        "",
        "",
    )
    .await;
    assert_eq!(found, "[]");
    let uri = "/api/v1/series?station=SYN-LC-1&metric=water_level&from=2024-09-09T00:00:00Z&to=2024-09-10T00:00:00Z";
    let (status, _) = send("GET", uri, Some(hanoi), "", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send("GET", "/api/v1/latest?region=15", Some(hanoi), "", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_province_token_cannot_write_elsewhere() {
    let hanoi = &fixture().hanoi;
    let record = r#"[{"station":"SYN-LC-1","metric":"water_level","time":"2024-09-09T13:00:00+07:00","value":33.98}]"#;
    let (status, text) = send(
        "POST",
        "/api/v1/observations",
        Some(hanoi),
        "application/json",
        record,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text.contains(r#""reason":"station \"SYN-LC-1\" is outside this token's scope""#),
        "{text}"
    );
    let station = crate::STATIONS_CSV
        .lines()
        .take(1)
        .chain(crate::STATIONS_CSV.lines().skip(2))
        .collect::<Vec<_>>()
        .join("\n");
    let (status, text) = send("POST", "/api/v1/stations", Some(hanoi), "text/csv", station).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(text.contains("outside this token's scope"), "{text}");
}
