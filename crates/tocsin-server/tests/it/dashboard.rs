//! The dashboard's pages, in-process: they need a session, show the map, a region with its
//! charts' thresholds, the warnings with their CAP, versions and notification record, speak
//! Vietnamese or English, and show a province's user nothing of another province — neither on
//! a page nor through any endpoint their scripts call.

use crate::dispatch::RECIPIENTS;
use crate::warnings::{GAUGE_CSV, flood};
use crate::{Fixture, send_to};
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use std::sync::{Arc, OnceLock};
use tocsin_core::Clock;
use tocsin_core::access::{Role, Scope};
use tocsin_core::clock::ManualClock;
use tocsin_engine::access::Principal;
use tocsin_engine::accounts::{AccountSettings, PasswordCost, configure};
use tocsin_server::router;
use tower::ServiceExt;

const PASSWORD: &str = "lũ-sông-Thao-2024";

/// Hà Nội's rain gauge beside the Yên Bái river gauge of the flood.
const STATIONS: &str =
    "SYN-HN-1,Ba Đình rain gauge (synthetic),hydromet,21.03853,105.83806,,rain_mm:mm:0:500:600,\n";

/// A flood at Yên Bái (Lào Cai, 15) released as a warning and notified; users `tw` (nation)
/// and `hn` (Hà Nội, 01).
struct Dashboard {
    fixture: Fixture,
    warning: u64,
    identifier: String,
}

fn dashboard() -> &'static Dashboard {
    static DASHBOARD: OnceLock<Dashboard> = OnceLock::new();
    DASHBOARD.get_or_init(|| {
        configure(AccountSettings {
            password_cost: PasswordCost::TESTS,
            https_only: false,
        });
        let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
        let fixture = Fixture::build(clock.clone(), &format!("{GAUGE_CSV}{STATIONS}"));
        let engine = &fixture.state.engine;
        let admin = Principal::local_admin();
        let state = fixture.state.clone();
        let token = fixture.admin.clone();
        block_on(async move {
            let (status, _, body) = send_to(
                &state,
                "PUT",
                "/api/v1/recipients",
                Some(&token),
                "application/json",
                RECIPIENTS,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        });
        flood(engine);
        clock.set(clock.now() + jiff::SignedDuration::from_mins(5));
        let draft = engine.tick_warnings().unwrap().remove(0);
        let released = engine
            .release_warning(&admin, draft.warning, draft.number)
            .unwrap();
        engine.run_dispatch().unwrap();
        // The province hears after its route's group wait.
        clock.set(clock.now() + jiff::SignedDuration::from_mins(2));
        engine.run_dispatch().unwrap();
        for (user, region) in [("tw", "VN"), ("hn", "01")] {
            let scope = Scope {
                region: region.into(),
                ..Scope::nation()
            };
            engine
                .create_user(&admin, user, "Trực ban", PASSWORD, Role::Operator, scope)
                .unwrap();
        }
        Dashboard {
            warning: released.warning,
            identifier: released.publication.unwrap().identifier,
            fixture,
        }
    })
}

/// The dashboard fixture, built off the async workers (it runs a runtime of its own).
async fn ready() -> &'static Dashboard {
    tokio::task::spawn_blocking(dashboard).await.unwrap()
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// A signed-in user's cookie header and CSRF token.
struct SignedIn {
    cookie: String,
    csrf: String,
}

async fn sign_in(user: &'static str) -> SignedIn {
    let engine = ready().await.fixture.state.engine.clone();
    let signed = tokio::task::spawn_blocking(move || engine.sign_in(user, PASSWORD).unwrap())
        .await
        .unwrap();
    SignedIn {
        cookie: format!("tocsin_session={}", signed.secret),
        csrf: signed.session.csrf_token,
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
    /// The body's length in bytes as sent.
    size: usize,
}

async fn get(uri: &str, cookie: &str) -> Answer {
    call("GET", uri, cookie, &[]).await
}

async fn call(method: &str, uri: &str, cookie: &str, headers: &[(&str, &str)]) -> Answer {
    let state = ready().await.fixture.state.clone();
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "tocsin.test")
        .header("cookie", cookie);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = router(state)
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        size: bytes.len(),
    }
}

fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_send_people_without_a_session_to_sign_in() {
    for page in ["/", "/warnings", "/warnings/1", "/regions/01"] {
        let answer = get(page, "").await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(header(&answer, "location"), "/login", "{page}");
        let ended = get(page, "tocsin_session=not-a-session").await;
        assert_eq!(header(&ended, "location"), "/login", "{page}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_map_page_shows_the_levels_and_the_warnings_in_force() {
    let tw = sign_in("tw").await;
    let page = get("/", &tw.cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let policy = header(&page, "content-security-policy");
    assert!(policy.contains("default-src 'none'") && policy.contains("script-src 'self'"));
    assert!(page.body.contains(r#"<html lang="vi">"#));
    assert!(page.body.contains(r#"id="map""#));
    assert!(
        page.body.contains(r#"<span id="count-3">1</span>"#),
        "one commune at level 3: {}",
        page.body
    );
    let warning = format!(r#"href="/warnings/{}""#, dashboard().warning);
    assert!(page.body.contains(&warning), "{}", page.body);
    assert!(!page.body.contains("http://") && !page.body.contains("https://"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_page_shows_levels_stations_with_thresholds_and_history() {
    let tw = sign_in("tw").await;
    let page = get("/regions/15", &tw.cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Lào Cai"), "{}", page.body);
    assert!(page.body.contains(r#"data-station="SYN-YB-1""#));
    let thresholds = r#"data-thresholds="[{&#34;level&#34;:1,&#34;value&#34;:30.0},{&#34;level&#34;:2,&#34;value&#34;:32.0},{&#34;level&#34;:3,&#34;value&#34;:33.0}]""#;
    assert!(page.body.contains(thresholds), "{}", page.body);
    assert!(
        page.body.contains("33,98"),
        "the latest value in Vietnamese"
    );
    let commune = get("/regions/04252", &tw.cookie).await;
    assert_eq!(commune.status, StatusCode::OK, "{}", commune.body);
    assert!(
        commune
            .body
            .contains(r#"class="badge lvl-3" id="region-level""#)
    );
    assert!(commune.body.contains(r#"<a href="/regions/15">"#));
    let nation = get("/regions/VN", &tw.cookie).await;
    assert_eq!(nation.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warning_page_shows_its_cap_versions_and_notifications() {
    let d = ready().await;
    let tw = sign_in("tw").await;
    let list = get("/warnings?state=published&hazard=river_flood", &tw.cookie).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains(&format!("#{} v1", d.warning)),
        "{}",
        list.body
    );
    let other = get("/warnings?hazard=heavy_rain", &tw.cookie).await;
    assert!(!other.body.contains(&format!("#{} v1", d.warning)));
    let bad = get("/warnings?state=lost", &tw.cookie).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("state"), "{}", bad.body);

    let page = get(&format!("/warnings/{}", d.warning), &tw.cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains(&format!(r#"href="/alerts/{}""#, d.identifier))
    );
    assert!(page.body.contains(r#"<article class="info" lang="vi-VN">"#));
    assert!(page.body.contains(r#"<article class="info" lang="en-US">"#));
    assert!(page.body.contains("Severe") || page.body.contains("Extreme"));
    assert!(
        page.body.contains("ca-15") && page.body.contains("ubnd-04252"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(r#"class="ack""#),
        "an acknowledge button"
    );
    assert!(
        page.body.contains(r#"class="danger""#),
        "operators may cancel"
    );
    assert!(
        page.body.contains("data-confirm=\"Hủy cảnh báo này?"),
        "cancelling asks first: {}",
        page.body
    );
    assert!(
        page.body.contains(">Tải XML (chưa ký)</a>") && !page.body.contains(">Tải XML (đã ký)</a>"),
        "an unsigned alert is not offered as signed: {}",
        page.body
    );
    assert!(
        page.body.contains("Lũ trên sông (mực nước đo)"),
        "named by the rule that raised it: {}",
        page.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledging_from_the_page_needs_the_csrf_token() {
    let d = ready().await;
    let tw = sign_in("tw").await;
    let page = get(&format!("/warnings/{}", d.warning), &tw.cookie).await;
    let start = page.body.find("/api/v1/notifications/").unwrap();
    let path: String = page.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let refused = call("POST", &path, &tw.cookie, &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let csrf = [("x-csrf-token", tw.csrf.as_str())];
    let done = call("POST", &path, &tw.cookie, &csrf).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let after = get(&format!("/warnings/{}", d.warning), &tw.cookie).await;
    assert!(after.body.contains("Đã xác nhận"), "{}", after.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_province_user_sees_nothing_of_another_province() {
    let d = ready().await;
    let hn = sign_in("hn").await;
    let own = get("/regions/01", &hn.cookie).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    let hidden = [
        "/regions/15".to_string(),
        "/regions/04252".to_string(),
        format!("/warnings/{}", d.warning),
        format!("/api/v1/warnings/{}", d.warning),
        "/incidents/1".to_string(),
        "/api/v1/incidents/1".to_string(),
        "/api/v1/regions/15".to_string(),
        "/api/v1/detections?region=15&from=2024-09-01T00:00:00Z".to_string(),
        "/api/v1/situation?region=15".to_string(),
        "/api/v1/latest?region=15".to_string(),
        "/api/v1/map/communes?province=15".to_string(),
        "/api/v1/stations/SYN-YB-1".to_string(),
        "/api/v1/series?station=SYN-YB-1&metric=water_level_m&from=2024-09-08T00:00:00Z&to=2024-09-10T00:00:00Z".to_string(),
    ];
    for uri in &hidden {
        let answer = get(uri, &hn.cookie).await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{uri}: {}",
            answer.body
        );
    }
    let lists = [
        "/",
        "/warnings?state=all",
        "/api/v1/warnings?state=all",
        "/api/v1/notifications",
        "/api/v1/detections?from=2024-09-01T00:00:00Z",
        "/api/v1/situation",
        "/api/v1/stations",
        "/api/v1/latest",
        "/api/v1/map/communes",
        "/incidents",
        "/api/v1/incidents",
        "/resources",
    ];
    for uri in lists {
        let answer = get(uri, &hn.cookie).await;
        assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.body);
        for foreign in ["SYN-YB-1", "04252", "Lào Cai", "\"15\"", "ca-15"] {
            assert!(
                !answer.body.contains(foreign),
                "{uri} shows {foreign}: {}",
                answer.body
            );
        }
    }
    let own = get(
        "/api/v1/detections?region=01&from=2024-09-01T00:00:00Z",
        &hn.cookie,
    )
    .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    let map = get("/api/v1/map/communes", &hn.cookie).await;
    assert!(map.body.contains(r#""code":"01""#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_switch_keeps_the_choice_and_stays_on_this_site() {
    let tw = sign_in("tw").await;
    let switch = get("/language?to=en&back=/warnings%3Fstate%3Dall", &tw.cookie).await;
    assert_eq!(switch.status, StatusCode::SEE_OTHER);
    assert_eq!(header(&switch, "location"), "/warnings?state=all");
    assert!(header(&switch, "set-cookie").starts_with("tocsin_lang=en;"));
    for away in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let uri = format!("/language?to=en&back={}", urlencode(away));
        assert_eq!(header(&get(&uri, "").await, "location"), "/", "{away}");
    }
    let english = format!("{}; tocsin_lang=en", tw.cookie);
    let page = get("/regions/15", &english).await;
    assert!(page.body.contains(r#"<html lang="en">"#));
    assert!(page.body.contains(">Warnings<") && page.body.contains("33.98"));
    assert!(
        page.body
            .contains(r#"href="/language?to=vi&amp;back=/regions/15""#)
    );
}

fn urlencode(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_assets_are_embedded_with_their_types() {
    for (name, kind) in [
        ("dashboard.css", "text/css; charset=utf-8"),
        ("map.js", "text/javascript; charset=utf-8"),
        ("region.js", "text/javascript; charset=utf-8"),
    ] {
        let answer = get(&format!("/assets/{name}"), "").await;
        assert_eq!(answer.status, StatusCode::OK, "{name}");
        assert_eq!(header(&answer, "content-type"), kind);
        let text = answer.body.replace("http://www.w3.org/2000/svg", "");
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{name} loads nothing from outside"
        );
    }
    assert_eq!(
        get("/assets/nothing.js", "").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_travel_gzipped_to_browsers_that_accept_it() {
    let tw = sign_in("tw").await;
    let gzip = [("accept-encoding", "gzip")];
    let map = call("GET", "/api/v1/map/communes", &tw.cookie, &gzip).await;
    assert_eq!(map.status, StatusCode::OK);
    assert_eq!(header(&map, "content-encoding"), "gzip");
    let plain = get("/api/v1/map/communes", &tw.cookie).await;
    assert_eq!(header(&plain, "content-encoding"), "");
    assert!(
        map.size * 2 < plain.size,
        "gzip {} bytes, plain {}",
        map.size,
        plain.size
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_warning_s_incident_is_run_from_its_page() {
    let tw = sign_in("tw").await;
    let list = get("/incidents", &tw.cookie).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(
        list.body.contains(r#"href="/incidents/1""#),
        "{}",
        list.body
    );
    let page = get("/incidents/1", &tw.cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("command-post@04252"), "{}", page.body);
    let done = r#"data-post="/api/v1/incidents/1/tasks/command-post%4004252/done""#;
    assert!(page.body.contains(done), "{}", page.body);
    assert!(
        page.body.contains("BÁO CÁO TÌNH HÌNH"),
        "the situation report"
    );
    let resources = get("/resources", &tw.cookie).await;
    assert_eq!(resources.status, StatusCode::OK);
}

#[tokio::test]
async fn the_drills_page_lists_the_node_s_drills_and_serves_their_reports() {
    let d = ready().await;
    let (state, token) = (d.fixture.state.clone(), d.fixture.admin.clone());
    let (status, _, body) = send_to(
        &state,
        "POST",
        "/api/v1/drills",
        Some(&token),
        "application/toml",
        crate::drills::SCENARIO,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id: serde_json::Value = serde_json::from_str(&body).unwrap();
    let uri = format!("/api/v1/drills/{}", id["id"]);
    for _ in 0..600 {
        let (_, _, body) = send_to(&state, "GET", &uri, Some(&token), "", "").await;
        if !body.contains("\"running\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let tw = sign_in("tw").await;
    let page = get("/drills", &tw.cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Diễn tập qua API (giả lập)"),
        "{}",
        page.body
    );
    assert!(page.body.contains("1 / 1"), "{}", page.body);
    let report_uri = format!("/drills/{}/report", id["id"]);
    assert!(page.body.contains(&report_uri), "{}", page.body);
    let report = get(&report_uri, &tw.cookie).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert!(report.body.contains("EXERCISE"), "{}", report.body);
    assert!(header(&report, "content-security-policy").starts_with("default-src 'none'"));
    assert!(get("/", &tw.cookie).await.body.contains("href=\"/drills\""));
    // A province's user has no drills: neither the link, the page nor the report.
    let hn = sign_in("hn").await;
    assert!(!get("/", &hn.cookie).await.body.contains("href=\"/drills\""));
    assert_eq!(
        get("/drills", &hn.cookie).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&report_uri, &hn.cookie).await.status,
        StatusCode::NOT_FOUND
    );
}
