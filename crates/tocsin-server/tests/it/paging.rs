//! Paged lists: incidents come newest first, `limit` at a time, and an answer cut at `limit`
//! says so with `Link: rel="next"` and `X-More`; following the links reads every incident once,
//! even when new ones are opened meanwhile. Limits and cursors outside what a list takes are
//! refused with the JSON error naming the parameter, on every paged list.

use crate::{Fixture, STATIONS_CSV, exchange};
use axum::http::StatusCode;
use serde_json::Value;
use std::sync::Arc;
use tocsin_core::clock::ManualClock;
use tocsin_engine::access::Principal;
use tocsin_engine::response::Report;

fn report(text: &str) -> Report {
    Report {
        hazard: "river_flood".into(),
        lat: 21.7050,
        lon: 104.8700,
        text: text.into(),
        reporter: "Trạm thủy văn (synthetic)".into(),
        level: Some(2),
        attachments: Vec::new(),
    }
}

fn open(fixture: &Fixture, text: &str) -> u64 {
    let outcome = fixture
        .state
        .engine
        .open_incident(&Principal::local_admin(), &report(text))
        .unwrap();
    outcome.incident
}

fn built() -> Fixture {
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    Fixture::build(clock, STATIONS_CSV)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_the_next_links_reads_every_incident_once() {
    let fixture = tokio::task::spawn_blocking(built).await.unwrap();
    let mut opened: Vec<u64> = (0..7)
        .map(|i| open(&fixture, &format!("báo cáo {i}")))
        .collect();
    let mut seen = Vec::new();
    let mut uri = "/api/v1/incidents?limit=3".to_string();
    let mut pages = 0;
    loop {
        let (status, headers, body) =
            exchange(&fixture.state, "GET", &uri, Some(&fixture.admin), "", "").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let rows: Value = serde_json::from_str(&body).unwrap();
        seen.extend(
            rows.as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_u64().unwrap()),
        );
        pages += 1;
        if pages == 1 {
            // A newer incident opened between two pages is above the cursor: the pages that
            // follow neither repeat nor skip anything.
            open(&fixture, "báo cáo mới");
        }
        let Some(link) = headers.get("link") else {
            assert!(headers.get("x-more").is_none());
            break;
        };
        assert_eq!(headers["x-more"], "true");
        let link = link.to_str().unwrap();
        let next = link
            .strip_prefix('<')
            .and_then(|l| l.strip_suffix(">; rel=\"next\""))
            .unwrap_or_else(|| panic!("{link}"));
        assert!(next.contains("limit=3"), "the link keeps the query: {next}");
        uri = next.to_string();
    }
    opened.reverse();
    assert_eq!(seen, opened, "every incident once, newest first");
    assert_eq!(pages, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_and_cursors_outside_a_list_are_refused_by_name() {
    let fixture = tokio::task::spawn_blocking(built).await.unwrap();
    let lists = [
        "/api/v1/incidents",
        "/api/v1/warnings",
        "/api/v1/notifications",
        "/api/v1/external-alerts",
    ];
    for list in lists {
        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=1001", "limit"),
            ("before=yesterday", "before"),
            ("before=1.2.3.4.5", "before"),
        ] {
            let uri = format!("{list}?{query}");
            let (status, headers, body) =
                exchange(&fixture.state, "GET", &uri, Some(&fixture.admin), "", "").await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
            assert!(
                headers["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("application/json"),
                "{uri}"
            );
            let error: Value = serde_json::from_str(&body).unwrap();
            assert!(
                error["error"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{field}:")),
                "{uri}: {body}"
            );
        }
        let (status, _, body) = exchange(
            &fixture.state,
            "GET",
            &format!("{list}?limit=1000"),
            Some(&fixture.admin),
            "",
            "",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{list}: {body}");
    }
}

/// Lists that are not paged by cursor refuse a `limit` beyond their most too, naming it,
/// instead of answering fewer rows than asked without saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_beyond_the_most_are_refused_never_clamped() {
    let fixture = tokio::task::spawn_blocking(built).await.unwrap();
    for (uri, ok) in [
        (
            "/api/v1/regions/search?q=ha&limit=501",
            "/api/v1/regions/search?q=ha&limit=500",
        ),
        (
            "/api/v1/audit/entries?limit=1001",
            "/api/v1/audit/entries?limit=1000",
        ),
        (
            "/api/v1/audit/entries?limit=0",
            "/api/v1/audit/entries?limit=1",
        ),
    ] {
        let (status, _, body) =
            exchange(&fixture.state, "GET", uri, Some(&fixture.admin), "", "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        let error: Value = serde_json::from_str(&body).unwrap();
        assert!(
            error["error"].as_str().unwrap().starts_with("limit:"),
            "{uri}: {body}"
        );
        let (status, _, body) =
            exchange(&fixture.state, "GET", ok, Some(&fixture.admin), "", "").await;
        assert_eq!(status, StatusCode::OK, "{ok}: {body}");
    }
}
