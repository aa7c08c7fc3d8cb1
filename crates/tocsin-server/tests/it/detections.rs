//! `GET /api/v1/detections` pages by sequence number and says when an answer was cut.

use crate::{Fixture, STATIONS_CSV, send_to};
use axum::http::StatusCode;
use std::sync::Arc;
use tocsin_core::clock::ManualClock;
use tocsin_engine::Detection;

fn detection(i: i64) -> Detection {
    Detection {
        station: "SYN-HN-1".into(),
        rule: "heavy_rain_24h".into(),
        hazard: "heavy_rain".into(),
        commune: Some("00004".into()),
        province: Some("01".into()),
        from_level: (i % 2) as u8,
        to_level: ((i + 1) % 2) as u8,
        time_ms: 1_763_700_000_000 + i * 60_000,
        value: i as f64,
        status: "verified".into(),
        certainty: "observed".into(),
        lead: None,
    }
}

/// Follows `next` from the first page until `more` is false; returns every page's size and the
/// sequence numbers seen.
async fn walk(fixture: &Fixture, limit: usize) -> (Vec<usize>, Vec<i64>) {
    let (mut sizes, mut seqs, mut after) = (Vec::new(), Vec::new(), 0);
    loop {
        let uri =
            format!("/api/v1/detections?from=2025-01-01T00:00:00Z&limit={limit}&after={after}");
        let (status, _, text) =
            send_to(&fixture.state, "GET", &uri, Some(&fixture.admin), "", "").await;
        assert_eq!(status, StatusCode::OK, "{text}");
        let page: serde_json::Value = serde_json::from_str(&text).unwrap();
        let rows = page["detections"].as_array().unwrap();
        sizes.push(rows.len());
        seqs.extend(rows.iter().map(|r| r["seq"].as_i64().unwrap()));
        after = page["next"].as_i64().unwrap();
        if !page["more"].as_bool().unwrap() {
            return (sizes, seqs);
        }
    }
}

#[tokio::test]
async fn detections_page_by_sequence_and_say_when_cut() {
    let clock = Arc::new(ManualClock::new("2025-11-22T03:00:00Z".parse().unwrap()));
    let fixture = Fixture::build(clock, STATIONS_CSV);
    let store = fixture.state.engine.store();
    let all: Vec<Detection> = (0..25).map(detection).collect();
    assert_eq!(store.record_detections(&all, 0).unwrap(), 25);
    let (sizes, seqs) = walk(&fixture, 10).await;
    assert_eq!(sizes, [10, 10, 5]);
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(walk(&fixture, 25).await.0, [25]);
    assert_eq!(walk(&fixture, 24).await.0, [24, 1]);
    let last = seqs[24];
    let uri = format!("/api/v1/detections?from=2025-01-01T00:00:00Z&after={last}");
    let (_, _, text) = send_to(&fixture.state, "GET", &uri, Some(&fixture.admin), "", "").await;
    assert_eq!(
        text,
        format!(r#"{{"detections":[],"more":false,"next":{last}}}"#)
    );
    for bad in ["limit=0", "limit=10001"] {
        let uri = format!("/api/v1/detections?{bad}");
        let (status, _, text) =
            send_to(&fixture.state, "GET", &uri, Some(&fixture.admin), "", "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
        assert!(text.contains("limit: "), "{text}");
        assert!(text.contains(" is outside 1..=10000"), "{text}");
    }
}
