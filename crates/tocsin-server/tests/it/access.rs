//! The access table tested as a whole: every route the router's source declares has a guard in
//! `rules::ROUTES` (and nothing else is listed), and a walk over every route with principals
//! of each role and of two kinds of scope (a province, a domain) gets only answers the table
//! allows — a refused role is 403, no answer carries another province's or another domain's
//! data, no answer ever carries a secret, and readers never see a reporter's phone number.

use crate::{Fixture, send_to};
use axum::http::StatusCode;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use tocsin_core::access::{Access, Reach, Role, Scope, rule};
use tocsin_core::clock::ManualClock;
use tocsin_core::station::Domain;
use tocsin_server::rules::{Guard, ROUTES};

/// Marks the data of Lào Cai (15): no principal of Hà Nội (01) may read it.
const OF_15: &str = "SENTINEL-15";
/// Marks data behind which the hydromet domain lies: a health-only principal may not read it.
const HYDROMET: &str = "SENTINEL-HYDROMET";
/// Credentials stored in Lào Cai's recipient: nobody reads them back.
const SECRETS: [&str; 2] = ["SECRET-HMAC-15", "tcs_SECRET_PARENT_15"];
const PHONE: &str = "0912345678";

const STATIONS: &str = "id,name,domain,lat,lon,commune,metrics,attributes\n\
    SYN-HN-1,Ba Đình rain gauge (synthetic),hydromet,21.03853,105.83806,,rain_mm:mm:0:500:600,\n\
    SYN-LC-1,SENTINEL-15 SENTINEL-HYDROMET gauge (synthetic),hydromet,21.7050,104.8700,,water_level:m:-10:100:600,bd1=31;bd2=32;bd3=33\n";

/// Every `(method, path)` the router's source declares with `.route(…)`.
fn declared_routes() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    let mut dirs = vec![src];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.extend(routes_in(&std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    found.sort();
    found
}

/// The routes of one source file: each `.route("path", get(a).post(b))` outside its tests.
fn routes_in(source: &str) -> Vec<(String, String)> {
    let source = source.split("#[cfg(test)]").next().unwrap_or_default();
    let mut found = Vec::new();
    for (at, _) in source.match_indices(".route(") {
        let rest = &source[at + ".route(".len()..];
        let Some(open) = rest.find('"') else { continue };
        let Some(len) = rest[open + 1..].find('"') else {
            continue;
        };
        let path = &rest[open + 1..open + 1 + len];
        let mut depth = 1;
        let mut end = open + len + 2;
        for (i, c) in rest[end..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                end += i;
                break;
            }
        }
        let chain = &rest[open + len + 2..end];
        for method in ["get", "post", "put", "delete", "patch"] {
            let calls = chain.match_indices(&format!("{method}(")).any(|(i, _)| {
                i == 0 || !chain[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_')
            });
            if calls {
                found.push((method.to_uppercase(), path.to_string()));
            }
        }
    }
    found
}

#[test]
fn every_route_has_a_rule_and_every_rule_a_route() {
    let declared = declared_routes();
    let mut listed: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    listed.sort();
    let missing: Vec<_> = declared.iter().filter(|r| !listed.contains(r)).collect();
    let stale: Vec<_> = listed.iter().filter(|r| !declared.contains(r)).collect();
    assert!(
        missing.is_empty(),
        "routes without an access rule: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rules of routes that do not exist: {stale:?}"
    );
    assert!(
        declared.len() > 80,
        "the source scan found {}",
        declared.len()
    );
}

#[test]
fn the_architecture_document_prints_the_access_table() {
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/ARCHITECTURE.md");
    let doc = std::fs::read_to_string(doc).unwrap();
    let table = tocsin_core::access::table_markdown();
    assert!(
        doc.contains(&table),
        "docs/ARCHITECTURE.md must contain the access table exactly as the code has it:\n{table}"
    );
}

/// One principal of the walk: its token, role, and what it must never read.
struct Walker {
    name: &'static str,
    token: String,
    role: Role,
    national: bool,
    forbidden_marks: &'static [&'static str],
}

/// A node with Lào Cai's data marked: a recipient with secrets, a silence, a fund, a
/// warehouse, a reported incident with a phone number (river flood: hydromet).
async fn marked_node() -> (Fixture, Vec<Walker>, Vec<(&'static str, String)>) {
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let fixture = Fixture::build(clock, STATIONS);
    let engine = &fixture.state.engine;
    let admin = fixture.admin.clone();
    let post = |method: &'static str, uri: &'static str, body: serde_json::Value| {
        let state = fixture.state.clone();
        let admin = admin.clone();
        async move {
            let body = body.to_string();
            let (status, _, text) =
                send_to(&state, method, uri, Some(&admin), "application/json", body).await;
            assert!(status.is_success(), "{method} {uri}: {status} {text}");
            serde_json::from_str::<serde_json::Value>(&text).unwrap_or_default()
        }
    };
    post(
        "PUT",
        "/api/v1/recipients",
        json!([{
            "id": "ubnd-15", "name": OF_15, "sector": "standing", "region": "15", "tier": "province",
            "endpoints": [
                {"channel": "webhook", "url": "http://127.0.0.1:9/hook", "secret": SECRETS[0], "body": "json"},
                {"channel": "parent", "url": "http://127.0.0.1:9", "token": SECRETS[1]}
            ]
        }]),
    )
    .await;
    post(
        "POST",
        "/api/v1/silences",
        json!({"matchers": {"region": "15"}, "ends": "2026-12-01T00:00:00Z", "author": "ops", "reason": OF_15}),
    )
    .await;
    post(
        "POST",
        "/api/v1/funds",
        json!({"id": "fund-15", "name": OF_15, "tier": "province", "region": "15"}),
    )
    .await;
    post(
        "POST",
        "/api/v1/reserves/warehouses",
        json!({"id": "kho-15", "name": OF_15, "tier": "province", "region": "15"}),
    )
    .await;
    post(
        "POST",
        "/api/v1/reserves/movements",
        json!({"kind": "receipt", "warehouse": "kho-15", "item": OF_15, "quantity": 5}),
    )
    .await;
    post(
        "POST",
        "/api/v1/funds/fund-15/contributions",
        json!({"source": "social", "amount_vnd": 1000, "memo": OF_15}),
    )
    .await;
    let incident = post(
        "POST",
        "/api/v1/incidents",
        json!({"hazard": "river_flood", "lat": 21.7050, "lon": 104.8700,
               "text": format!("{OF_15} {HYDROMET}"), "reporter": format!("Nguyễn Văn A {PHONE}")}),
    )
    .await;
    let incident = incident["incident"].as_u64().unwrap().to_string();
    let token = |name: &str, role: Role, region: &str, domains: Vec<Domain>| {
        let scope = Scope {
            region: region.into(),
            domains,
            stations: Vec::new(),
        };
        engine.create_token(name, role, scope).unwrap().0
    };
    let walker = |name, role, region: &str, domains: Vec<Domain>, marks| Walker {
        name,
        token: token(name, role, region, domains.clone()),
        role,
        national: region == "VN",
        forbidden_marks: marks,
    };
    let walkers = vec![
        walker("national admin", Role::Admin, "VN", vec![], &[]),
        walker("national ingest", Role::Ingest, "VN", vec![], &[]),
        walker("viewer of 01", Role::Viewer, "01", vec![], &[OF_15, PHONE]),
        walker("operator of 01", Role::Operator, "01", vec![], &[OF_15]),
        walker("admin of 01", Role::Admin, "01", vec![], &[OF_15]),
        walker(
            "health viewer",
            Role::Viewer,
            "VN",
            vec![Domain::Health],
            &[HYDROMET, PHONE],
        ),
        walker(
            "health operator",
            Role::Operator,
            "VN",
            vec![Domain::Health],
            &[HYDROMET],
        ),
    ];
    let params = vec![
        ("{id}", incident),
        ("{code}", "15".to_string()),
        ("{posting}", "1".to_string()),
        ("{task}", "none".to_string()),
        ("{role}", "commander".to_string()),
        ("{number}", "1".to_string()),
        ("{identifier}", "none".to_string()),
        ("{token}", "none".to_string()),
        ("{name}", "none".to_string()),
    ];
    (fixture, walkers, params)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_each_principal_only_what_the_table_allows() {
    let (fixture, walkers, params) = marked_node().await;
    let mut wrong = Vec::new();
    for (method, path, guard) in ROUTES {
        let Guard::Rule(resource, access) = guard else {
            continue;
        };
        let mut uri = path.to_string();
        for (name, value) in &params {
            uri = uri.replace(name, value);
        }
        let reads_stream = *path == "/api/v1/stream";
        let rule = rule(*resource, *access);
        for walker in &walkers {
            if reads_stream && rule.admits(walker.role) {
                continue; // an event stream never ends; its filter is tested in dispatch.rs
            }
            let (status, _, body) = send_to(
                &fixture.state,
                method,
                &uri,
                Some(&walker.token),
                "application/json",
                "{}",
            )
            .await;
            let admitted =
                rule.admits(walker.role) && (walker.national || rule.reach != Reach::National);
            let mut problems = Vec::new();
            let refused = [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND];
            let hidden = *access == Access::Read && rule.admits(walker.role);
            if !admitted
                && status != StatusCode::FORBIDDEN
                && !(hidden && refused.contains(&status))
            {
                problems.push(format!(
                    "expected 403 (or 404 for a national read), got {status}"
                ));
            }
            if admitted
                && matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
                && *access == Access::Read
            {
                problems.push(format!("a reader the table admits got {status}"));
            }
            if status.is_server_error() {
                problems.push(format!("server error {status}"));
            }
            for mark in walker.forbidden_marks.iter().chain(&SECRETS) {
                if body.contains(mark) {
                    problems.push(format!("the answer carries {mark}"));
                }
            }
            if !problems.is_empty() {
                wrong.push(format!(
                    "{method} {uri} as {}: {} — {}",
                    walker.name,
                    problems.join("; "),
                    body.chars().take(200).collect::<String>()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "answers outside the table:\n{}",
        wrong.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_marked_data_looks_like_to_those_who_may_read_it() {
    let (fixture, walkers, _) = marked_node().await;
    let admin = &walkers[0].token;
    let get = |uri: &'static str| {
        let state = fixture.state.clone();
        let admin = admin.clone();
        async move { send_to(&state, "GET", uri, Some(&admin), "", "").await.2 }
    };
    let recipients = get("/api/v1/recipients").await;
    assert!(recipients.contains(OF_15), "{recipients}");
    assert!(recipients.contains(r#""secret":"set""#), "{recipients}");
    assert!(recipients.contains(r#""token":"set""#), "{recipients}");
    for listed in [
        "/api/v1/silences",
        "/api/v1/funds",
        "/api/v1/reserves",
        "/api/v1/incidents",
    ] {
        let body = get(listed).await;
        assert!(
            body.contains(OF_15),
            "the national admin reads {listed}: {body}"
        );
    }
    assert!(
        get("/api/v1/incidents").await.contains(PHONE),
        "responders see the contact"
    );
    let viewer_15 = fixture
        .state
        .engine
        .create_token(
            "viewer of 15",
            Role::Viewer,
            Scope {
                region: "15".into(),
                domains: Vec::new(),
                stations: Vec::new(),
            },
        )
        .unwrap()
        .0;
    let (_, _, shown) = send_to(
        &fixture.state,
        "GET",
        "/api/v1/incidents",
        Some(&viewer_15),
        "",
        "",
    )
    .await;
    assert!(shown.contains(OF_15) && !shown.contains(PHONE), "{shown}");
    assert!(shown.contains("••••••••78"), "masked, not dropped: {shown}");
}
