//! Dissemination over HTTP: recipients, audited silences, the notification record as JSON and
//! CSV, acknowledgement, and the live stream of level changes and released warnings.

use crate::warnings::{GAUGE_CSV, flood};
use crate::{Fixture, send_to};
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use tocsin_core::Clock;
use tocsin_core::access::Role;
use tocsin_core::clock::ManualClock;
use tocsin_engine::access::Principal;

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

pub const RECIPIENTS: &str = r#"[
  {"id": "ubnd-04252", "name": "UBND phường Yên Bái", "sector": "standing", "region": "04252", "tier": "commune", "endpoints": []},
  {"id": "ca-15", "name": "Công an tỉnh Lào Cai", "sector": "standing", "region": "15", "tier": "province", "language": "vi",
   "endpoints": [{"channel": "email", "address": "trucban@ca-laocai.example"}]}
]"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recipients_silences_and_the_notification_record() {
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let s = tokio::task::spawn_blocking({
        let clock = clock.clone();
        move || Fixture::build(clock, GAUGE_CSV)
    })
    .await
    .unwrap();
    let state = &s.state;
    let (status, _, _) = send_to(
        state,
        "PUT",
        "/api/v1/recipients",
        Some(&s.hanoi),
        "application/json",
        RECIPIENTS,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "recipients are managed nationally"
    );
    let (status, _, body) = send_to(
        state,
        "PUT",
        "/api/v1/recipients",
        Some(&s.admin),
        "application/json",
        r#"[{"id": 1}]"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _, body) = send_to(
        state,
        "PUT",
        "/api/v1/recipients",
        Some(&s.admin),
        "application/json",
        RECIPIENTS,
    )
    .await;
    assert_eq!(
        (status, json_of(&body)),
        (StatusCode::OK, json!({"recipients": 2}))
    );
    let (_, _, body) = send_to(state, "GET", "/api/v1/recipients", Some(&s.hanoi), "", "").await;
    assert_eq!(body, "[]", "Lào Cai's recipients are not Hà Nội's to read");
    let (_, _, body) = send_to(state, "GET", "/api/v1/recipients", Some(&s.admin), "", "").await;
    assert_eq!(
        json_of(&body)[0]["endpoints"][0]["channel"],
        "email",
        "sorted by id"
    );

    let silence = r#"{"matchers": {"hazards": ["heat_wave"]}, "ends": "2026-11-23T00:00:00Z", "author": "Trực ban", "reason": "bảo trì cảm biến"}"#;
    let (status, _, body) = send_to(
        state,
        "POST",
        "/api/v1/silences",
        Some(&s.admin),
        "application/json",
        silence,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = json_of(&body)["id"].as_u64().unwrap();
    let bad = r#"{"ends": "tomorrow", "author": "x", "reason": "y"}"#;
    let (status, _, body) = send_to(
        state,
        "POST",
        "/api/v1/silences",
        Some(&s.admin),
        "application/json",
        bad,
    )
    .await;
    assert!(
        status == StatusCode::BAD_REQUEST && body.contains("ends"),
        "{body}"
    );
    let (status, _, body) = send_to(
        state,
        "DELETE",
        &format!("/api/v1/silences/{id}"),
        Some(&s.admin),
        "",
        "",
    )
    .await;
    assert_eq!(
        (status, json_of(&body)["ended"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    let (_, _, body) = send_to(state, "GET", "/api/v1/silences", Some(&s.hanoi), "", "").await;
    let audit = json_of(&body);
    assert!(
        audit[0]["author"].as_str().unwrap().contains("Trực ban")
            && audit[0]["expired_by"].is_string(),
        "{audit}"
    );

    let engine = state.engine.clone();
    let mut stream = engine.subscribe();
    tokio::task::spawn_blocking(move || {
        flood(&engine);
        clock.set(clock.now() + jiff::SignedDuration::from_mins(5));
        let draft = engine.tick_warnings().unwrap().remove(0);
        engine
            .release_warning(&Principal::local_admin(), draft.warning, draft.number)
            .unwrap();
        clock.set(clock.now() + jiff::SignedDuration::from_mins(1));
        engine.run_dispatch().unwrap();
    })
    .await
    .unwrap();
    // The gauge's level changes come first, as they are detected; then the release.
    let mut event = stream.recv().await.unwrap();
    let mut level_changes = 0;
    while event.kind == "detection" {
        assert_eq!(event.province, "15");
        level_changes += 1;
        event = stream.recv().await.unwrap();
    }
    assert!(level_changes >= 3, "levels 1, 2 and 3 were announced");
    assert_eq!((event.kind, event.province.as_str()), ("warning", "15"));

    let (status, _, body) = send_to(
        state,
        "GET",
        "/api/v1/notifications",
        Some(&s.admin),
        "",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let record = json_of(&body);
    let to_police = record
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["recipient"] == "ca-15")
        .unwrap()
        .clone();
    assert_eq!(
        to_police["deliveries"][0]["state"], "failed",
        "no SMTP relay is configured: {to_police}"
    );
    let (_, _, body) = send_to(
        state,
        "GET",
        "/api/v1/notifications",
        Some(&s.hanoi),
        "",
        "",
    )
    .await;
    assert_eq!(
        json_of(&body),
        json!([]),
        "Hà Nội does not see Lào Cai's record"
    );
    let (status, kind, csv) = send_to(
        state,
        "GET",
        "/api/v1/notifications?format=csv",
        Some(&s.admin),
        "",
        "",
    )
    .await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::OK, "text/csv; charset=utf-8")
    );
    assert!(
        csv.starts_with("notification,recipient,warning")
            && csv.contains("ca-15")
            && csv.contains("email"),
        "{csv}"
    );

    let ack = format!("/api/v1/notifications/{}/ack", to_police["id"]);
    // Acknowledging stops escalation: only an operator or administrator covering the
    // notification's province and hazard may (a Hà Nội operator, a Lào Cai viewer and a
    // health-only operator may not), and nothing is recorded for them.
    let engine = &state.engine;
    let scoped = |role, region: &str, domains| {
        let scope = tocsin_core::access::Scope {
            region: region.into(),
            domains,
            stations: Vec::new(),
        };
        engine.create_token("ack check", role, scope).unwrap().0
    };
    let refused = [
        (s.hanoi.clone(), StatusCode::FORBIDDEN),
        (scoped(Role::Viewer, "15", vec![]), StatusCode::FORBIDDEN),
        (
            scoped(
                Role::Operator,
                "VN",
                vec![tocsin_core::station::Domain::Health],
            ),
            StatusCode::FORBIDDEN,
        ),
    ];
    for (token, expected) in refused {
        let (status, _, body) = send_to(state, "POST", &ack, Some(&token), "", "").await;
        assert_eq!(status, expected, "{body}");
    }
    let (_, _, record) = send_to(
        state,
        "GET",
        "/api/v1/notifications",
        Some(&s.admin),
        "",
        "",
    )
    .await;
    let record = json_of(&record);
    let police = record
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == to_police["id"])
        .unwrap();
    assert!(
        police["acked_by"].is_null(),
        "nobody acknowledged yet: {police}"
    );
    let (status, _, body) = send_to(state, "POST", &ack, Some(&s.admin), "", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, page) = send_to(state, "GET", "/ack/not-a-real-token", None, "", "").await;
    assert!(
        status == StatusCode::OK && page.contains("method=\"post\""),
        "opening the link only asks: {page}"
    );
    let (status, _, _) = send_to(state, "POST", "/ack/not-a-real-token", None, "", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let request = axum::http::Request::get("/api/v1/stream")
        .header("authorization", format!("Bearer {}", s.hanoi))
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(tocsin_server::router(state.clone()), request)
        .await
        .unwrap();
    assert_eq!(
        (
            response.status(),
            response.headers()["content-type"].to_str().unwrap()
        ),
        (StatusCode::OK, "text/event-stream")
    );
}
