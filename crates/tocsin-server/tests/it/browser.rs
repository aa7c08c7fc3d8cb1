//! The dashboard end to end in a real headless browser: Debian's Chromium driven by Playwright
//! (`e2e/dashboard.mjs`) against a real server on a port, with the wall clock, the worker that
//! drafts, releases and disseminates, and warnings released automatically as soon as detected.
//! The script signs in, sees all communes on the map, ingests a crossing and watches the commune
//! change colour without a reload, opens the warning, acknowledges it, opens the region page
//! and switches language. Screenshots are kept in `$CARGO_TARGET_TMPDIR/dashboard-e2e`.
//!
//! `TOCSIN_MEASURE=N` (see `bench/dashboard.sh`) makes the script also load the map and cross a
//! threshold N more times and print the figures; nothing here asserts a timing.

use crate::{Fixture, send_to};
use axum::http::StatusCode;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tocsin_core::access::{Role, Scope};
use tocsin_core::region::RegionKind;
use tocsin_engine::EngineOptions;
use tocsin_engine::access::Principal;
use tocsin_engine::accounts::{AccountSettings, PasswordCost, configure};
use tocsin_engine::clock::SystemClock;

const USER: &str = "truc.ban";
const PASSWORD: &str = "bão-Yagi-2024-cấp-4";
const CHROMIUM: &str = "/usr/bin/chromium";

fn e2e_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../e2e")
}

/// Why the browser test cannot run here, if it cannot.
fn missing_tools() -> Option<String> {
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Some("node is not installed".into());
    }
    if !e2e_dir().join("node_modules/playwright-core").is_dir() {
        return Some("e2e/node_modules is missing (npm ci --prefix e2e)".into());
    }
    if !Path::new(CHROMIUM).exists() {
        return Some(format!("{CHROMIUM} is missing (apt-get install chromium)"));
    }
    None
}

/// Synthetic river gauges, one in each of the first communes of Lào Cai (15), with alarm
/// levels BĐ1–3 of 30, 31 and 32 m: (station, commune) and the CSV.
fn gauges(fixture_engine: &tocsin_engine::Engine, count: usize) -> (Vec<(String, String)>, String) {
    let admin = Principal::local_admin();
    let communes: Vec<_> = fixture_engine
        .children(&admin, "15", None)
        .unwrap()
        .into_iter()
        .filter(|c| c.kind == RegionKind::Commune && c.centroid.is_some())
        .take(count)
        .collect();
    let mut csv = String::from("id,name,domain,lat,lon,commune,metrics,attributes\n");
    let mut placed = Vec::new();
    for (i, commune) in communes.iter().enumerate() {
        let [lon, lat] = commune.centroid.unwrap();
        let id = format!("SYN-LC-G{i}");
        csv.push_str(&format!(
            "{id},{} river gauge (synthetic),hydromet,{lat},{lon},{},water_level_m:m:0:100:3600,bd1=30;bd2=31;bd3=32;station_area=1\n",
            commune.name, commune.code
        ));
        placed.push((id, commune.code.clone()));
    }
    (placed, csv)
}

/// The commune standing agency of each gauge's commune, so that notifications come at once.
fn recipients(gauges: &[(String, String)]) -> String {
    let entries: Vec<serde_json::Value> = gauges
        .iter()
        .map(|(_, commune)| {
            serde_json::json!({"id": format!("ubnd-{commune}"), "name": format!("UBND {commune} (synthetic)"),
                "sector": "standing", "region": commune, "tier": "commune", "endpoints": []})
        })
        .collect();
    serde_json::Value::from(entries).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_in_a_real_browser() {
    if let Some(reason) = missing_tools() {
        assert!(
            std::env::var("TOCSIN_REQUIRE_SERVICES").as_deref() != Ok("1"),
            "the browser test must run: {reason}"
        );
        println!("skipped: {reason}");
        return;
    }
    configure(AccountSettings {
        password_cost: PasswordCost::TESTS,
        https_only: false,
    });
    let measure: usize = std::env::var("TOCSIN_MEASURE")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let (fixture, placed) = tokio::task::spawn_blocking(move || {
        let mut options = EngineOptions::new(tocsin_engine::Durability::Normal);
        options.warnings.policy.group_window_ms = 0;
        let fixture = Fixture::build_with(
            Arc::new(SystemClock),
            &options,
            "id,name,domain,lat,lon,commune,metrics,attributes\n",
        );
        let engine = &fixture.state.engine;
        let (placed, csv) = gauges(engine, 1 + measure);
        let stations = tocsin_engine::stations::parse_csv(csv.as_bytes()).unwrap();
        let admin = Principal::local_admin();
        engine.upsert_stations(&admin, stations).unwrap();
        engine.set_auto_release(&admin, "river_flood", 5).unwrap();
        engine
            .create_user(
                &admin,
                USER,
                "Trực ban quốc gia",
                PASSWORD,
                Role::Operator,
                Scope::nation(),
            )
            .unwrap();
        engine.start_worker();
        (fixture, placed)
    })
    .await
    .unwrap();
    let state = fixture.state.clone();
    let (status, _, body) = send_to(
        &state,
        "PUT",
        "/api/v1/recipients",
        Some(&fixture.admin),
        "application/json",
        recipients(&placed),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let limits = tocsin_server::Limits::default();
        tocsin_server::serve(
            listener,
            tocsin_server::router(state),
            &limits,
            std::future::pending(),
        )
        .await;
    });

    let artifacts = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard-e2e");
    let stations: Vec<String> = placed.iter().map(|(s, c)| format!("{s}@{c}")).collect();
    let mut script = Command::new("node");
    script
        .arg(e2e_dir().join("dashboard.mjs"))
        .env("TOCSIN_URL", format!("http://{address}"))
        .env("TOCSIN_ARTIFACTS", &artifacts)
        .env("TOCSIN_USER", USER)
        .env("TOCSIN_PASSWORD", PASSWORD)
        .env("TOCSIN_INGEST_TOKEN", &fixture.admin)
        .env("TOCSIN_GAUGES", stations.join(","))
        .env("TOCSIN_METRIC", "water_level_m")
        .env("TOCSIN_COMMUNES", "3321")
        .env("TOCSIN_CROSSING_VALUE", "33.5")
        .env("TOCSIN_MEASURE", measure.to_string())
        .env("CHROMIUM", CHROMIUM);
    let logs = artifacts.clone();
    let output = tokio::task::spawn_blocking(move || {
        run_with_deadline(script, &logs, Duration::from_secs(180))
    })
    .await
    .unwrap();
    println!("{}", output.stdout);
    assert!(
        output.success,
        "the browser script failed:\n{}\n{}\nscreenshots in {}",
        output.stdout,
        output.stderr,
        artifacts.display()
    );
    drop(fixture);
}

struct ScriptOutput {
    success: bool,
    stdout: String,
    stderr: String,
}

/// Runs the script with its output in files under `logs`, killing it if it outlives `deadline`.
fn run_with_deadline(mut command: Command, logs: &Path, deadline: Duration) -> ScriptOutput {
    std::fs::create_dir_all(logs).unwrap();
    let (out, err) = (logs.join("stdout.txt"), logs.join("stderr.txt"));
    command
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap());
    let mut child = command.spawn().expect("node starts");
    let started = Instant::now();
    let success = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.success();
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break false;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    ScriptOutput {
        success,
        stdout: std::fs::read_to_string(out).unwrap_or_default(),
        stderr: std::fs::read_to_string(err).unwrap_or_default(),
    }
}
