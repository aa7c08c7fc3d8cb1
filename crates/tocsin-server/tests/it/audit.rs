//! The audit endpoints: the signed checkpoint as text, entries within the caller's scope,
//! proofs whose bad sizes are refused naming the parameter, the journal's figures on
//! `/metrics`, and checkpoints stored an hour apart while the latest is served.

use crate::{Fixture, STATIONS_CSV, send_to};
use axum::http::StatusCode;
use std::sync::Arc;
use tocsin_core::clock::ManualClock;
use tocsin_engine::Detection;

fn rise(station: &str, province: &str, commune: &str) -> Detection {
    Detection {
        station: station.into(),
        rule: "heavy_rain_24h".into(),
        hazard: "heavy_rain".into(),
        commune: Some(commune.into()),
        province: Some(province.into()),
        from_level: 0,
        to_level: 1,
        time_ms: 1_763_700_000_000,
        value: 120.0,
        status: "verified".into(),
        certainty: "observed".into(),
        lead: None,
    }
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[tokio::test]
async fn the_journal_is_served_to_verifiers_within_scope() {
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let fixture = Fixture::build(clock.clone(), STATIONS_CSV);
    let store = fixture.state.engine.store();
    // The fixture's setup is journaled first: the registry and the tokens as the nation's, each
    // station in its province.
    let setup: Vec<String> = store
        .journal_entries(0, 1000)
        .unwrap()
        .into_iter()
        .map(|e| e.region)
        .collect();
    let size = setup.len() as u64 + 2;
    store
        .record_detections(
            &[
                rise("SYN-HN-1", "01", "00004"),
                rise("SYN-LC-1", "15", "04252"),
            ],
            0,
        )
        .unwrap();
    let get = |uri: String, token: String| {
        let state = fixture.state.clone();
        async move { send_to(&state, "GET", &uri, Some(&token), "", "").await }
    };
    let (admin, hanoi) = (fixture.admin.clone(), fixture.hanoi.clone());

    let (status, kind, note) = get("/api/v1/audit/checkpoint".into(), hanoi.clone()).await;
    assert_eq!(status, StatusCode::OK, "{note}");
    assert!(kind.starts_with("text/plain"), "{kind}");
    let lines: Vec<&str> = note.lines().collect();
    assert_eq!(lines[0], "tocsin.vn/journal");
    assert_eq!(lines[1], size.to_string());
    assert!(lines[4].starts_with("— tocsin.vn/journal "), "{note}");

    let (_, _, all) = get("/api/v1/audit/entries".into(), admin.clone()).await;
    let (_, _, own) = get("/api/v1/audit/entries".into(), hanoi.clone()).await;
    let regions = |text: &str| -> Vec<String> {
        json(text)["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event"]["region"].as_str().unwrap().to_string())
            .collect()
    };
    let mut expected = setup.clone();
    expected.extend(["01".into(), "15".into()]);
    assert_eq!(regions(&all), expected);
    assert_eq!(
        regions(&own),
        ["01", "01"],
        "Hà Nội sees its own entries only: its station's and its level change"
    );
    assert_eq!(json(&own)["next"], size);

    let (status, _, proof) = get(
        "/api/v1/audit/proof/inclusion?index=1&size=2".into(),
        hanoi.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{proof}");
    assert_eq!(json(&proof)["hashes"].as_array().unwrap().len(), 1);
    let beyond = size + 1;
    for (uri, field) in [
        (
            "/api/v1/audit/proof/inclusion?index=2&size=2".to_string(),
            "index",
        ),
        (
            format!("/api/v1/audit/proof/inclusion?index=0&size={beyond}"),
            "size",
        ),
        ("/api/v1/audit/proof/consistency?from=0&to=2".into(), "from"),
        ("/api/v1/audit/proof/consistency?from=2&to=1".into(), "from"),
        (
            format!("/api/v1/audit/proof/consistency?from=1&to={beyond}"),
            "to",
        ),
    ] {
        let (status, _, text) = get(uri.clone(), hanoi.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {text}");
        assert_eq!(json(&text)["details"][0]["field"], field, "{uri}");
    }

    let (_, _, metrics) = get("/metrics".into(), hanoi.clone()).await;
    assert!(
        metrics.contains(&format!("\ntocsin_journal_entries {size}\n")),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!("\ntocsin_journal_checkpoint_size {size}\n")),
        "{metrics}"
    );
}

#[test]
fn checkpoints_are_stored_an_hour_apart_and_the_latest_is_served() {
    use tocsin_core::Clock;
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let fixture = Fixture::build(clock.clone(), STATIONS_CSV);
    let (engine, store) = (&fixture.state.engine, fixture.state.engine.store());
    let mut next = 0;
    let mut grow = || {
        next += 1;
        let mut d = rise("SYN-HN-1", "01", "00004");
        d.time_ms += next * 60_000;
        store.record_detections(&[d], 0).unwrap();
    };
    let stored = || store.checkpoints().unwrap().len();
    let tokens = store.journal_size().unwrap();
    assert!(engine.audit().sign_checkpoint().unwrap().is_some());
    assert!(
        engine.audit().sign_checkpoint().unwrap().is_none(),
        "nothing new to sign"
    );
    grow();
    let signed = engine.audit().sign_checkpoint().unwrap().unwrap();
    assert_eq!(
        (signed.size, stored()),
        (tokens + 1, 1),
        "the second is served, not stored"
    );
    clock.set(clock.now() + jiff::SignedDuration::from_hours(1));
    grow();
    engine.audit().sign_checkpoint().unwrap();
    assert_eq!(stored(), 2);
}
