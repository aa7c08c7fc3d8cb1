//! Drills on a running node: an administrator starts a scenario, it runs in the node's exercise
//! space and its scored report can be read back; a bad scenario is refused with every problem
//! named, a runaway one too (bounded steps and span); only a national administrator starts or
//! cancels one and a province's users do not see them; one drill runs at a time, and a cancelled
//! one stops at once and lets the next start.

use crate::{Fixture, fixture, send, send_to};
use axum::http::StatusCode;
use std::sync::Arc;
use tocsin_core::access::{Role, Scope};
use tocsin_core::clock::ManualClock;

/// Six hours of water rising past BĐ3 at a synthetic Yên Bái gauge.
pub const SCENARIO: &str = r#"
[drill]
id = "api-drill"
title_vi = "Diễn tập qua API (giả lập)"
title_en = "Drill through the API (synthetic)"
start = "2026-07-01T00:00:00+07:00"
end = "2026-07-01T06:00:00+07:00"
step = "1h"
stations = """id,name,domain,lat,lon,commune,metrics,attributes
API-YB,Yên Bái gauge (synthetic),hydromet,21.705,104.87,,water_level_m:m:0:100:3600,bd1=30;bd2=31;bd3=32;station_area=1
"""

[[series]]
station = "API-YB"
metric = "water_level_m"
every = "1h"
points = [["2026-07-01T00:00:00+07:00", 29.0], ["2026-07-01T06:00:00+07:00", 33.0]]

[[expect]]
what = "warning"
hazard = "river_flood"
province = "15"
min_level = 3
by = "2026-07-01T06:00:00+07:00"
"#;

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test]
async fn an_administrator_runs_a_drill_and_reads_its_report() {
    let admin = fixture().admin.as_str();
    let (status, body) = send(
        "POST",
        "/api/v1/drills?speed=max",
        Some(admin),
        "application/toml",
        SCENARIO,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = json(&body)["id"].as_u64().unwrap();
    let mut view = serde_json::Value::Null;
    for _ in 0..600 {
        let (status, body) =
            send("GET", &format!("/api/v1/drills/{id}"), Some(admin), "", "").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        view = json(&body);
        if view["status"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(view["status"], "finished", "{view}");
    let report = &view["report"];
    assert_eq!(report["status"], "Exercise");
    assert_eq!(report["expectations_met"], 1, "{report}");
    assert_eq!(report["observations"], 7);
    // The node's own records are untouched: the drill's warning lives in its exercise space.
    let (_, warnings) = send("GET", "/api/v1/warnings", Some(admin), "", "").await;
    assert!(!warnings.contains("API-YB"), "{warnings}");
    let (_, list) = send("GET", "/api/v1/drills", Some(admin), "", "").await;
    assert!(list.contains("\"api-drill\""), "{list}");
    // Deleted, it is gone with its exercise space.
    let uri = format!("/api/v1/drills/{id}");
    let (status, body) = send("DELETE", &uri, Some(&fixture().hanoi), "", "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = send("DELETE", &uri, Some(admin), "", "").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = send("GET", &uri, Some(admin), "", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send("DELETE", &uri, Some(admin), "", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The node's journal records that it started, ended and was deleted, and by whom.
    let (status, body) = send(
        "GET",
        "/api/v1/audit/entries?from=0&limit=1000",
        Some(admin),
        "",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let entries = json(&body)["entries"].as_array().unwrap().clone();
    let drills: Vec<&serde_json::Value> = entries
        .iter()
        .map(|e| &e["event"])
        .filter(|e| e["change"]["kind"].as_str().unwrap().starts_with("drill_"))
        .collect();
    let kinds: Vec<&str> = drills
        .iter()
        .map(|e| e["change"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["drill_started", "drill_ended", "drill_removed"]);
    assert_eq!(drills[0]["actor"]["by"], "token", "{}", drills[0]);
    assert_eq!(drills[1]["actor"]["by"], "node", "{}", drills[1]);
    let ended = &drills[1]["change"];
    assert_eq!(ended["status"], "finished", "{ended}");
    assert_eq!(ended["expectations_met"], 1, "{ended}");
    assert_eq!(ended["report_sha256"].as_str().map(str::len), Some(64));
}

#[tokio::test]
async fn a_bad_scenario_is_refused_with_its_problems() {
    let broken = SCENARIO
        .replace("step = \"1h\"", "step = \"soon\"")
        .replace("station = \"API-YB\"", "station = \"NOWHERE\"");
    let (status, body) = send(
        "POST",
        "/api/v1/drills",
        Some(&fixture().admin),
        "application/toml",
        broken,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let details = json(&body)["details"].to_string();
    assert!(details.contains("drill.step"), "{details}");
    assert!(details.contains("series 0: station"), "{details}");
    let (status, body) = send(
        "POST",
        "/api/v1/drills?speed=fast",
        Some(&fixture().admin),
        "application/toml",
        SCENARIO,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("speed"), "{body}");
    // A runaway: 10⁹ steps of a second, over 31 years.
    let runaway = SCENARIO.replace("step = \"1h\"", "step = \"1s\"").replace(
        "end = \"2026-07-01T06:00:00+07:00\"",
        "end = \"2058-03-09T01:46:40+07:00\"",
    );
    let (status, body) = send(
        "POST",
        "/api/v1/drills",
        Some(&fixture().admin),
        "application/toml",
        runaway,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let details = json(&body)["details"].to_string();
    assert!(
        details.contains("drill.step: \\\"1s\\\" makes 1000000000 steps"),
        "{details}"
    );
    assert!(
        details.contains("drill.end: 11574 days after drill.start"),
        "{details}"
    );
}

#[tokio::test]
async fn only_a_national_administrator_starts_a_drill() {
    let (national_operator, _) = fixture()
        .state
        .engine
        .create_token("national operator", Role::Operator, Scope::nation())
        .unwrap();
    let post = |token: String| async move {
        send(
            "POST",
            "/api/v1/drills",
            Some(&token),
            "application/toml",
            SCENARIO,
        )
        .await
    };
    let (status, body) = post(national_operator).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Drills belong to the whole node: a province's users neither start nor see them.
    let (status, body) = post(fixture().hanoi.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = send("GET", "/api/v1/drills", Some(&fixture().hanoi), "", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn one_drill_runs_at_a_time() {
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let node = Fixture::build(clock, crate::STATIONS_CSV);
    // At 1x, six hours of scenario take six hours: the first is still running.
    let start = |speed: &'static str| {
        send_to(
            &node.state,
            "POST",
            if speed == "1x" {
                "/api/v1/drills?speed=1x"
            } else {
                "/api/v1/drills?speed=max"
            },
            Some(&node.admin),
            "application/toml",
            SCENARIO,
        )
    };
    let (status, _, body) = start("1x").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, _, body) = start("max").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("still running"), "{body}");
    let (status, _, body) = send_to(
        &node.state,
        "DELETE",
        "/api/v1/drills/1",
        Some(&node.admin),
        "",
        "",
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a running drill stays: {body}"
    );
    // Cancelled by an administrator, it stops at once (not after its hour-long step) and the
    // next drill may start.
    let cancel = |token: String, id: u64| {
        let state = node.state.clone();
        async move {
            let uri = format!("/api/v1/drills/{id}/cancel");
            send_to(&state, "POST", &uri, Some(&token), "", "").await
        }
    };
    let (national_operator, _) = node
        .state
        .engine
        .create_token("national operator", Role::Operator, Scope::nation())
        .unwrap();
    let (status, _, body) = cancel(national_operator, 1).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, body) = cancel(node.admin.clone(), 9).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _, body) = cancel(node.admin.clone(), 1).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let mut view = serde_json::Value::Null;
    for _ in 0..600 {
        let (_, _, body) = send_to(
            &node.state,
            "GET",
            "/api/v1/drills/1",
            Some(&node.admin),
            "",
            "",
        )
        .await;
        view = json(&body);
        if view["status"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(view["status"], "cancelled", "{view}");
    // Scored as far as it got: its start, or its first step if that was played.
    let stopped = view["report"]["cancelled_at"].as_str();
    assert!(
        [Some("2026-06-30T17:00:00Z"), Some("2026-06-30T18:00:00Z")].contains(&stopped),
        "{view}"
    );
    let (status, _, body) = cancel(node.admin.clone(), 1).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("not running (it is cancelled)"), "{body}");
    let (status, _, body) = start("max").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}
