//! Sign-in over HTTP: JSON and form sign-in set a strict HttpOnly cookie, the cookie reads only
//! within the user's scope, state changes carried by the cookie need the CSRF token, bearer
//! tokens go on without one, and signing out ends the session. Hashes use the cheapest Argon2
//! cost so the suite stays fast.

use crate::{Fixture, STATIONS_CSV};
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use std::sync::{Arc, OnceLock};
use tocsin_core::Clock;
use tocsin_core::access::{Role, Scope};
use tocsin_core::clock::ManualClock;
use tocsin_engine::access::Principal;
use tocsin_engine::accounts::{AccountSettings, PasswordCost, configure};
use tocsin_server::{AppState, router};
use tower::ServiceExt;

const PASSWORD: &str = "mưa-lớn-2026-đê";

/// A server of its own (sign-ins change state) with the Hà Nội users `hn1`…`hn6`.
fn server() -> &'static Fixture {
    static SERVER: OnceLock<Fixture> = OnceLock::new();
    SERVER.get_or_init(|| {
        configure(AccountSettings {
            password_cost: PasswordCost::TESTS,
            https_only: false,
        });
        let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
        let fixture = Fixture::build(clock, STATIONS_CSV);
        let hanoi = Scope {
            region: "01".into(),
            ..Scope::nation()
        };
        for n in 1..=6 {
            let name = format!("hn{n}");
            let engine = &fixture.state.engine;
            let admin = Principal::local_admin();
            let scope = hanoi.clone();
            engine
                .create_user(
                    &admin,
                    &name,
                    "Sở NN&MT Hà Nội",
                    PASSWORD,
                    Role::Operator,
                    scope,
                )
                .unwrap();
        }
        fixture
    })
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

async fn call(method: &str, uri: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("host", "tocsin.test");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let state: Arc<AppState> = server().state.clone();
    let response = router(state)
        .oneshot(request.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8_lossy(&bytes).into_owned();
    Answer {
        status,
        headers,
        body,
    }
}

fn credentials(user: &str, password: &str) -> String {
    serde_json::json!({"username": user, "password": password}).to_string()
}

/// Signs `user` in by JSON; returns the `Cookie` header value and the CSRF token.
async fn sign_in(user: &str) -> (String, String) {
    let json = [("content-type", "application/json")];
    let answer = call(
        "POST",
        "/api/v1/session",
        &json,
        &credentials(user, PASSWORD),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let cookie = answer
        .header("set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let csrf = answer.json()["csrf_token"].as_str().unwrap().to_string();
    (cookie, csrf)
}

fn hanoi_station_csv() -> String {
    STATIONS_CSV.lines().take(2).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn a_json_sign_in_sets_a_strict_http_only_cookie_and_tells_the_scope() {
    let json = [("content-type", "application/json")];
    let answer = call(
        "POST",
        "/api/v1/session",
        &json,
        &credentials("HN1", PASSWORD),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let cookie = answer.header("set-cookie");
    assert!(cookie.starts_with("tocsin_session=tss_"), "{cookie}");
    assert!(
        cookie.ends_with("; HttpOnly; SameSite=Strict; Path=/"),
        "{cookie}"
    );
    let body = answer.json();
    assert_eq!(body["role"], "operator");
    assert_eq!(body["scope"]["region"], "01");
    assert_eq!(body["user"]["username"], "hn1");
    assert_eq!(body["csrf_token"].as_str().unwrap().len(), 64);
}

#[tokio::test]
async fn a_form_sign_in_redirects_home_with_the_cookie() {
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let body = "username=hn2&password=m%C6%B0a-l%E1%BB%9Bn-2026-%C4%91%C3%AA";
    let answer = call("POST", "/login", &form, body).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.header("location"), "/");
    let cookie = answer.header("set-cookie");
    assert!(
        cookie.contains("; HttpOnly; SameSite=Strict; Path=/"),
        "{cookie}"
    );
}

#[tokio::test]
async fn a_wrong_password_is_refused_by_json_and_by_form() {
    let json = [("content-type", "application/json")];
    let answer = call(
        "POST",
        "/api/v1/session",
        &json,
        &credentials("hn1", "wrong-password!"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.body, r#"{"error":"wrong username or password"}"#);
    assert_eq!(answer.header("set-cookie"), "");
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let answer = call("POST", "/login", &form, "username=nobody&password=x").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(
        answer.body.contains("wrong username or password"),
        "{}",
        answer.body
    );
}

/// A node of its own with the user `officer`, on a clock the test moves.
fn throttle_node() -> (Fixture, Arc<ManualClock>) {
    configure(AccountSettings {
        password_cost: PasswordCost::TESTS,
        https_only: false,
    });
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let fixture = Fixture::build(clock.clone(), STATIONS_CSV);
    let engine = &fixture.state.engine;
    engine
        .create_user(
            &Principal::local_admin(),
            "officer",
            "",
            PASSWORD,
            Role::Operator,
            Scope::nation(),
        )
        .unwrap();
    (fixture, clock)
}

/// A JSON sign-in to `node` over a connection from `peer`: status, `Retry-After`, body.
async fn sign_in_from(
    node: &Fixture,
    peer: &str,
    user: &str,
    password: &str,
) -> (StatusCode, String, String) {
    let peer: std::net::SocketAddr = format!("{peer}:40000").parse().unwrap();
    let mut request = Request::builder()
        .method("POST")
        .uri("/api/v1/session")
        .header("host", "tocsin.test")
        .header("content-type", "application/json")
        .body(Body::from(credentials(user, password)))
        .unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    let response = router(node.state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let retry = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, retry, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn spraying_one_password_over_a_hundred_usernames_gets_429_after_a_few_tries() {
    let (node, _) = throttle_node();
    let mut statuses = Vec::new();
    for i in 0..100 {
        let (status, retry, body) =
            sign_in_from(&node, "203.0.113.9", &format!("user{i}"), PASSWORD).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(retry, "1");
            assert_eq!(
                body,
                r#"{"error":"too many failed sign-ins from this client; try again in 1 s"}"#
            );
        }
        statuses.push(status.as_u16());
    }
    let refused = statuses.iter().take_while(|s| **s == 401).count();
    assert_eq!(refused, 10, "{statuses:?}");
    assert!(statuses[10..].iter().all(|s| *s == 429), "{statuses:?}");
}

#[tokio::test]
async fn the_officer_signs_in_after_a_strangers_fifty_wrong_passwords_on_their_name() {
    let (node, clock) = throttle_node();
    let mut failures = 0;
    while failures < 50 {
        let (status, retry, body) =
            sign_in_from(&node, "203.0.113.9", "officer", "wrong-password!").await;
        match status {
            StatusCode::UNAUTHORIZED => failures += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                let seconds: i64 = retry.parse().unwrap();
                clock.set(clock.now() + jiff::SignedDuration::from_secs(seconds));
            }
            other => panic!("{other}: {body}"),
        }
    }
    let (status, _, _) = sign_in_from(&node, "203.0.113.9", "officer", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the stranger still waits"
    );
    let (status, _, body) = sign_in_from(&node, "198.51.100.7", "officer", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn sign_in_from_another_site_is_refused() {
    let headers = [
        ("content-type", "application/json"),
        ("origin", "http://evil.example"),
    ];
    let answer = call(
        "POST",
        "/api/v1/session",
        &headers,
        &credentials("hn1", PASSWORD),
    )
    .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(
        answer
            .body
            .contains("Origin: sign-in is accepted only from this site")
    );
    let same = [
        ("content-type", "application/json"),
        ("origin", "http://tocsin.test"),
    ];
    let answer = call(
        "POST",
        "/api/v1/session",
        &same,
        &credentials("hn1", PASSWORD),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn the_login_page_is_plain_bilingual_html() {
    let answer = call("GET", "/login", &[], "").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.header("content-type").starts_with("text/html"));
    for text in [
        "Tên đăng nhập",
        "Username",
        "Mật khẩu",
        "Password",
        "action=\"/login\"",
    ] {
        assert!(answer.body.contains(text), "{text}");
    }
    assert!(!answer.body.contains("src="), "no external resources");
    assert!(!answer.body.contains("http"), "no external resources");
    assert!(
        answer
            .header("content-security-policy")
            .starts_with("default-src 'none'")
    );
}

#[tokio::test]
async fn a_cookie_reads_only_within_the_users_province() {
    let (cookie, _) = sign_in("hn3").await;
    let headers = [("cookie", cookie.as_str())];
    let answer = call("GET", "/api/v1/stations/SYN-HN-1", &headers, "").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let answer = call("GET", "/api/v1/stations/SYN-LC-1", &headers, "").await;
    assert_eq!(
        answer.status,
        StatusCode::NOT_FOUND,
        "Lào Cai is outside Hà Nội"
    );
    let answer = call("GET", "/api/v1/stations", &headers, "").await;
    assert!(!answer.body.contains("SYN-LC-1"), "{}", answer.body);
    let answer = call("GET", "/api/v1/session", &headers, "").await;
    assert_eq!(answer.json()["scope"]["region"], "01");
}

#[tokio::test]
async fn a_cookie_change_needs_the_csrf_token() {
    let (cookie, csrf) = sign_in("hn4").await;
    let csv = hanoi_station_csv();
    let bare = [("cookie", cookie.as_str()), ("content-type", "text/csv")];
    let answer = call("POST", "/api/v1/stations", &bare, &csv).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(
        answer.body.contains("X-CSRF-Token: required"),
        "{}",
        answer.body
    );
    let wrong = [
        ("cookie", cookie.as_str()),
        ("content-type", "text/csv"),
        ("x-csrf-token", "0000"),
    ];
    let answer = call("POST", "/api/v1/stations", &wrong, &csv).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.body.contains("does not match"), "{}", answer.body);
    let with = [
        ("cookie", cookie.as_str()),
        ("content-type", "text/csv"),
        ("x-csrf-token", csrf.as_str()),
    ];
    let answer = call("POST", "/api/v1/stations", &with, &csv).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn a_bearer_token_changes_state_without_a_csrf_token() {
    let bearer = format!("Bearer {}", server().hanoi);
    let headers = [
        ("authorization", bearer.as_str()),
        ("content-type", "text/csv"),
    ];
    let answer = call("POST", "/api/v1/stations", &headers, &hanoi_station_csv()).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let (cookie, csrf) = sign_in("hn5").await;
    let no_csrf = [("cookie", cookie.as_str())];
    let answer = call("DELETE", "/api/v1/session", &no_csrf, "").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let with = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    let answer = call("DELETE", "/api/v1/session", &with, "").await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert!(answer.header("set-cookie").contains("Max-Age=0"));
    let answer = call("GET", "/api/v1/session", &no_csrf, "").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let answer = call("GET", "/api/v1/stations", &no_csrf, "").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_logout_form_sends_the_csrf_token_as_a_field() {
    let (cookie, csrf) = sign_in("hn5").await;
    let form = [
        ("cookie", cookie.as_str()),
        ("content-type", "application/x-www-form-urlencoded"),
    ];
    let answer = call("POST", "/logout", &form, "csrf=wrong").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = call("POST", "/logout", &form, &format!("csrf={csrf}")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.header("location"), "/login");
    let answer = call("GET", "/api/v1/session", &form, "").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn without_a_cookie_or_token_the_bearer_answer_stays() {
    let answer = call("GET", "/api/v1/stations", &[], "").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        answer.body,
        r#"{"error":"Authorization: Bearer <token> is required"}"#
    );
    let forged = [("cookie", "tocsin_session=tss_forged")];
    let answer = call("GET", "/api/v1/stations", &forged, "").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(
        answer.body.contains("cookie tocsin_session"),
        "{}",
        answer.body
    );
}
