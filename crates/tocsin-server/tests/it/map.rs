//! Map shapes over HTTP: every commune of the country in a compact form, a province at a time
//! on demand, and only the provinces of the caller's scope.

use crate::{fixture, send};
use axum::http::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn the_country_fits_in_a_compact_payload_and_scopes_apply() {
    let admin = fixture().admin.clone();
    let (status, body) = send("GET", "/api/v1/map/communes", Some(&admin), "", "").await;
    assert_eq!(status, StatusCode::OK);
    let map: Value = serde_json::from_str(&body).unwrap();
    let provinces = map["provinces"].as_array().unwrap();
    let communes: usize = provinces
        .iter()
        .map(|p| p["communes"].as_array().unwrap().len())
        .sum();
    assert_eq!((provinces.len(), communes), (34, 3321));
    let drawn = provinces
        .iter()
        .flat_map(|p| p["communes"].as_array().unwrap())
        .filter(|c| !c["rings"].as_array().unwrap().is_empty())
        .count();
    assert!(drawn >= 3300, "{drawn} communes have a shape");
    assert!(
        body.len() < 500_000,
        "the overview of the country is {} bytes",
        body.len()
    );

    let hanoi = fixture().hanoi.clone();
    let (status, body) = send(
        "GET",
        "/api/v1/map/communes?province=01",
        Some(&hanoi),
        "",
        "",
    )
    .await;
    let map: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (status, map["provinces"].as_array().unwrap().len()),
        (StatusCode::OK, 1)
    );
    assert_eq!(
        (map["provinces"][0]["code"].as_str(), map["detail"].as_str()),
        (Some("01"), Some("province"))
    );
    let (_, body) = send("GET", "/api/v1/map/communes", Some(&hanoi), "", "").await;
    let map: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        map["provinces"].as_array().unwrap().len(),
        1,
        "a Hà Nội scope sees Hà Nội only"
    );
    let (status, _) = send(
        "GET",
        "/api/v1/map/communes?province=15",
        Some(&hanoi),
        "",
        "",
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "Lào Cai is outside a Hà Nội scope"
    );
}
