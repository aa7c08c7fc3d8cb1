//! HTTP API tests, in-process through `Router::oneshot`, compiled as one binary.

mod access;
mod audit;
mod bad_input;
mod browser;
mod catalog;
mod dashboard;
mod detections;
mod dispatch;
mod drills;
mod errors;
mod feeds;
mod forwarded;
mod limits;
mod map;
mod openapi;
mod paging;
mod refused;
mod response;
mod scope;
mod session;
mod warnings;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use tocsin_core::access::{Role, Scope};
use tocsin_core::clock::ManualClock;
use tocsin_engine::access::Principal;
use tocsin_engine::{Engine, EngineOptions};
use tocsin_server::{AppState, router};
use tower::ServiceExt;

/// A server over a registry with two synthetic stations: one in Hà Nội (01), one in Lào Cai (15).
pub struct Fixture {
    pub state: Arc<AppState>,
    pub admin: String,
    /// An operator scoped to Hà Nội.
    pub hanoi: String,
    _dir: tempfile::TempDir,
}

pub const STATIONS_CSV: &str = "id,name,domain,lat,lon,commune,metrics,attributes\n\
    SYN-HN-1,Ba Đình rain gauge (synthetic),hydromet,21.03853,105.83806,,rain_mm:mm:0:500:600;water_level:m:-10:100:600,\n\
    SYN-LC-1,Yên Bái river gauge (synthetic),hydromet,21.7050,104.8700,,water_level:m:-10:100:600,bd1=31;bd2=32;bd3=33\n";

pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
        Fixture::build(clock, STATIONS_CSV)
    })
}

impl Fixture {
    /// A server over the imported registry with `stations_csv`, an admin token and a Hà Nội
    /// operator token, reading time from `clock`.
    pub fn build(clock: Arc<ManualClock>, stations_csv: &str) -> Fixture {
        let options = EngineOptions::new(tocsin_engine::Durability::Normal);
        Fixture::build_with(clock, &options, stations_csv)
    }

    /// As [`Fixture::build`], with any clock and engine options.
    pub fn build_with(
        clock: Arc<dyn tocsin_core::Clock>,
        options: &EngineOptions,
        stations_csv: &str,
    ) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(dir.path(), options, clock.clone()).unwrap();
        let admin_dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/vn/admin");
        engine.import_regions(&admin_dir, &[]).unwrap();
        let stations = tocsin_engine::stations::parse_csv(stations_csv.as_bytes()).unwrap();
        engine
            .upsert_stations(&Principal::local_admin(), stations)
            .unwrap();
        let (admin, _) = engine
            .create_token("test admin", Role::Admin, Scope::nation())
            .unwrap();
        let hanoi_scope = Scope {
            region: "01".into(),
            domains: Vec::new(),
            stations: Vec::new(),
        };
        let (hanoi, _) = engine
            .create_token("hanoi operator", Role::Operator, hanoi_scope)
            .unwrap();
        let exercises = tocsin_engine::drill::exercises::Exercises::new(
            dir.path().join("exercises"),
            admin_dir,
            Vec::new(),
            options.clone(),
            (clock, engine.store().clone()),
        );
        let state = Arc::new(AppState {
            engine: Arc::new(engine),
            metrics: Default::default(),
            limits: tocsin_server::Limits::default(),
            catalog_dir: None,
            exercises: Some(Arc::new(exercises)),
        });
        Fixture {
            state,
            admin,
            hanoi,
            _dir: dir,
        }
    }
}

/// Sends one request and returns the status and the body as text.
pub async fn send(
    method: &str,
    uri: &str,
    token: Option<&str>,
    content_type: &str,
    body: impl Into<Body>,
) -> (StatusCode, String) {
    let (status, _, body) = send_to(&fixture().state, method, uri, token, content_type, body).await;
    (status, body)
}

/// Sends one request to the server over `state`; returns the status, the content type and the
/// body as text.
pub async fn send_to(
    state: &Arc<AppState>,
    method: &str,
    uri: &str,
    token: Option<&str>,
    content_type: &str,
    body: impl Into<Body>,
) -> (StatusCode, String, String) {
    let (status, headers, body) = exchange(state, method, uri, token, content_type, body).await;
    let kind = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, kind, body)
}

/// Sends one request to the server over `state`; returns the status, the headers and the body
/// as text.
pub async fn exchange(
    state: &Arc<AppState>,
    method: &str,
    uri: &str,
    token: Option<&str>,
    content_type: &str,
    body: impl Into<Body>,
) -> (StatusCode, HeaderMap, String) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", content_type)
        .header("host", "tocsin.test");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = router(state.clone())
        .oneshot(request.body(body.into()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

pub fn observation_count() -> u64 {
    fixture().state.engine.store().observation_count().unwrap()
}
