//! Warnings over HTTP: drafts listed for operators, release only within scope, released alerts
//! public as CAP XML and JSON, Atom feeds per province and hazard, and signature verification.

use crate::{Fixture, send_to};
use axum::http::StatusCode;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use tocsin_core::Clock;
use tocsin_core::clock::ManualClock;
use tocsin_core::observation::ObservationInput;
use tocsin_engine::Engine;
use tocsin_engine::access::Principal;

pub const GAUGE_CSV: &str = "id,name,domain,lat,lon,commune,metrics,attributes\n\
    SYN-YB-1,Yên Bái river gauge (synthetic),hydromet,21.705,104.87,,water_level_m:m:0:100:3600,bd1=30;bd2=31;bd3=32;station_area=1\n";

/// Hourly water levels from 2024-09-09T00:00+07:00 until the gauge stands at level 3.
pub fn flood(engine: &Engine) {
    let records = [29.0, 30.2, 31.5, 32.4, 33.2, 33.98]
        .iter()
        .enumerate()
        .map(|(hour, value)| {
            Ok(ObservationInput {
                station: Some("SYN-YB-1".into()),
                metric: Some("water_level_m".into()),
                time: Some(format!("2024-09-08T{:02}:00:00Z", 17 + hour)),
                value: Some(*value),
                ..Default::default()
            })
        })
        .collect();
    tocsin_engine_block_on(engine.ingest(&Principal::local_admin(), records, true)).unwrap();
    for _ in 0..300 {
        let found = engine
            .detections(&Principal::local_admin(), None, 0, i64::MAX, 100)
            .unwrap();
        if found
            .iter()
            .any(|d| d.to_level == 3 && d.certainty == "observed")
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the flood was not detected");
}

fn tocsin_engine_block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_warning_is_public_as_cap_in_feeds_and_verifiable() {
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let s = tokio::task::spawn_blocking({
        let clock = clock.clone();
        move || {
            let s = Fixture::build(clock.clone(), GAUGE_CSV);
            flood(&s.state.engine);
            clock.set(clock.now() + jiff::SignedDuration::from_mins(5));
            s.state.engine.tick_warnings().unwrap();
            s
        }
    })
    .await
    .unwrap();
    let state = &s.state;
    let (status, _, body) = send_to(
        state,
        "GET",
        "/api/v1/warnings?state=draft",
        Some(&s.admin),
        "",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let drafts = json(&body);
    assert_eq!(drafts.as_array().unwrap().len(), 1, "{body}");
    let (id, number) = (
        drafts[0]["warning"].as_u64().unwrap(),
        drafts[0]["number"].as_u64().unwrap(),
    );
    assert_eq!(
        (drafts[0]["province"].as_str(), drafts[0]["level"].as_u64()),
        (Some("15"), Some(3))
    );
    let (status, _, body) = send_to(
        state,
        "GET",
        "/api/v1/warnings?state=draft",
        Some(&s.hanoi),
        "",
        "",
    )
    .await;
    assert_eq!(
        (status, json(&body).as_array().unwrap().len()),
        (StatusCode::OK, 0),
        "Hà Nội does not see Lào Cai's warnings"
    );

    let release = format!("/api/v1/warnings/{id}/versions/{number}/release");
    let (status, _, body) = send_to(state, "POST", &release, Some(&s.hanoi), "", "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, body) = send_to(state, "POST", &release, None, "", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _, body) = send_to(state, "POST", &release, Some(&s.admin), "", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let released = json(&body);
    let identifier = released["identifier"].as_str().unwrap().to_string();
    assert!(
        released["released_by"]
            .as_str()
            .unwrap()
            .starts_with("token "),
        "{body}"
    );
    let (status, _, body) = send_to(state, "POST", &release, Some(&s.admin), "", "").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    let (status, kind, xml) =
        send_to(state, "GET", &format!("/alerts/{identifier}"), None, "", "").await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::OK, "application/cap+xml; charset=utf-8")
    );
    assert!(tocsin_cap::read(xml.as_bytes()).is_ok());
    let (status, _, body) = send_to(
        state,
        "GET",
        &format!("/alerts/{identifier}/json"),
        None,
        "",
        "",
    )
    .await;
    assert_eq!(
        (status, json(&body)["msgType"].as_str()),
        (StatusCode::OK, Some("Alert"))
    );
    let (status, _, body) = send_to(
        state,
        "GET",
        &format!("/alerts/{identifier}/history"),
        None,
        "",
        "",
    )
    .await;
    assert_eq!(
        (status, json(&body).as_array().unwrap().len()),
        (StatusCode::OK, 1)
    );
    let (status, _, _) = send_to(state, "GET", "/alerts/no.such.alert", None, "", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    for (query, entries) in [
        ("", 1),
        ("?province=15", 1),
        ("?province=01", 0),
        ("?hazard=river_flood", 1),
        ("?hazard=heat", 0),
    ] {
        let (status, kind, atom) = send_to(
            state,
            "GET",
            &format!("/feeds/alerts.atom{query}"),
            None,
            "",
            "",
        )
        .await;
        assert_eq!(
            (status, kind.as_str()),
            (StatusCode::OK, "application/atom+xml; charset=utf-8")
        );
        assert_eq!(atom.matches("<entry>").count(), entries, "{query}: {atom}");
        if entries == 1 {
            assert!(
                atom.contains(&format!("href=\"http://tocsin.test/alerts/{identifier}\"")),
                "{atom}"
            );
        }
    }

    let (status, _, body) = send_to(
        state,
        "POST",
        "/api/v1/verify",
        None,
        "application/xml",
        xml,
    )
    .await;
    let verdict = json(&body);
    assert_eq!(
        (status, verdict["genuine"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{body}"
    );
    let signed = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/cap/real/oasiscap__fixtures_ipaws-5e6dd964023f1930ef638846__fea2458e.xml");
    let (_, _, body) = send_to(
        state,
        "POST",
        "/api/v1/verify",
        None,
        "application/xml",
        std::fs::read(signed).unwrap(),
    )
    .await;
    let verdict = json(&body);
    assert_eq!(
        (verdict["genuine"].as_bool(), verdict["trusted"].as_bool()),
        (Some(true), Some(false)),
        "{body}"
    );
    assert!(verdict["signer"]["subject"].as_str().is_some(), "{body}");
    let (status, kind, page) = send_to(state, "GET", "/verify", None, "", "").await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::OK, "text/html; charset=utf-8")
    );
    assert!(
        page.contains("<script src=\"/verify.js\"></script>"),
        "{page}"
    );
    let (status, kind, script) = send_to(state, "GET", "/verify.js", None, "", "").await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::OK, "text/javascript; charset=utf-8")
    );
    assert!(script.contains("/api/v1/verify"));
}

#[tokio::test]
async fn automatic_release_is_set_by_national_operators_only() {
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let s = tokio::task::spawn_blocking(move || Fixture::build(clock, GAUGE_CSV))
        .await
        .unwrap();
    let body = r#"{"hazard": "heavy_rain", "max_level": 2}"#;
    let (status, _, _) = send_to(
        &s.state,
        "PUT",
        "/api/v1/auto-release",
        Some(&s.hanoi),
        "application/json",
        body,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, answer) = send_to(
        &s.state,
        "PUT",
        "/api/v1/auto-release",
        Some(&s.admin),
        "application/json",
        body,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, _, answer) = send_to(
        &s.state,
        "PUT",
        "/api/v1/auto-release",
        Some(&s.admin),
        "application/json",
        r#"{"hazard": "x", "max_level": 9}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (status, _, answer) = send_to(
        &s.state,
        "PUT",
        "/api/v1/auto-release",
        Some(&s.admin),
        "application/json",
        r#"{"hazard": 1}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (_, _, listed) = send_to(
        &s.state,
        "GET",
        "/api/v1/auto-release",
        Some(&s.hanoi),
        "",
        "",
    )
    .await;
    assert_eq!(
        json(&listed),
        serde_json::json!([{"hazard": "heavy_rain", "max_level": 2}])
    );
}
