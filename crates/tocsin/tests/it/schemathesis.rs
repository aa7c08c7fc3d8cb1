//! The served API against its own description: schemathesis (PyPI) reads
//! `/api/v1/openapi.json` from a node started on a fresh data folder with the registry, and
//! sends generated requests, valid and invalid, to every operation with an admin token. The run
//! passes only with no server error and every answer within the description (status, content
//! type, body schema). The Server-Sent Events stream is left out: it never ends. A few records
//! are made first (an incident, a fund, a silence, a subscription, a stock receipt) so that
//! lists are not empty and the generated ids reach records that exist.
//!
//! Without schemathesis (`python3 -m schemathesis.cli`) the test is skipped with a note, or fails under
//! `TOCSIN_REQUIRE_SERVICES=1` (as in CI). `TOCSIN_SCHEMATHESIS_EXAMPLES` sets the examples per
//! operation (default 25) and `TOCSIN_SCHEMATHESIS_SEED` the seed (default 1, so that a run is
//! repeatable).

use crate::{free_port, prepared_data, start_server};
use std::process::Command;

/// schemathesis's command line, through the Python that has it.
fn schemathesis() -> Command {
    let mut command = Command::new("python3");
    command.args(["-m", "schemathesis.cli"]);
    command
}

/// Whether schemathesis runs here.
fn installed() -> bool {
    let found = schemathesis()
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if !found {
        let required = std::env::var("TOCSIN_REQUIRE_SERVICES").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "schemathesis is required (TOCSIN_REQUIRE_SERVICES=1) but missing: pip install schemathesis"
        );
        eprintln!("skipped: schemathesis is not installed (pip install schemathesis)");
    }
    found
}

/// The records made before the run: method, path and JSON body.
const SEED: &[(&str, &str, &str)] = &[
    (
        "POST",
        "/api/v1/incidents",
        r#"{"hazard": "river_flood", "lat": 21.0, "lon": 105.8, "text": "water over the road", "reporter": "ward office", "level": 2}"#,
    ),
    (
        "POST",
        "/api/v1/funds",
        r#"{"id": "pccc-01", "name": "Quỹ phòng, chống thiên tai (test)", "tier": "province", "region": "01"}"#,
    ),
    (
        "POST",
        "/api/v1/silences",
        r#"{"ends": "2030-01-01T00:00:00Z", "author": "test", "reason": "a quiet week"}"#,
    ),
    (
        "POST",
        "/api/v1/subscriptions",
        r#"{"url": "http://127.0.0.1:9/feed.atom", "name": "a feed that is never there"}"#,
    ),
    (
        "POST",
        "/api/v1/reserves/warehouses",
        r#"{"id": "KHO-01", "name": "Kho dự trữ Hà Nội", "tier": "province", "region": "01"}"#,
    ),
    (
        "POST",
        "/api/v1/reserves/movements",
        r#"{"kind": "receipt", "warehouse": "KHO-01", "item": "life_jacket", "quantity": 5}"#,
    ),
];

fn seed(url: &str, token: &str) {
    for (method, path, body) in SEED {
        let request = ureq::http::Request::builder()
            .method(*method)
            .uri(format!("{url}{path}"))
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .unwrap();
        let answer = ureq::run(request);
        assert!(answer.is_ok(), "{method} {path}: {answer:?}");
    }
}

fn setting(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

#[test]
fn every_answer_is_within_the_description() {
    if !installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let token = prepared_data(dir.path());
    let data = dir.path().join("data");
    let port = free_port();
    let mut server = start_server(data.to_str().unwrap(), port, &crate::drill::admin_dir());
    let url = format!("http://127.0.0.1:{port}");
    seed(&url, &token);
    let examples = setting("TOCSIN_SCHEMATHESIS_EXAMPLES", "25");
    let seed = setting("TOCSIN_SCHEMATHESIS_SEED", "1");
    let output = schemathesis()
        .args(["--no-color", "run"])
        .arg(format!("{url}/api/v1/openapi.json"))
        .args([
            "--checks",
            "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
            "--header",
            &format!("Authorization: Bearer {token}"),
            "--max-examples",
            &examples,
            "--seed",
            &seed,
            "--exclude-path",
            "/api/v1/stream",
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--wait-for-schema",
            "30",
        ])
        .current_dir(dir.path())
        .output()
        .expect("schemathesis runs");
    server.kill().unwrap();
    server.wait().unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    let summary = printed
        .rfind("SUMMARY")
        .map_or(printed.as_ref(), |at| &printed[at..]);
    eprintln!("{summary}");
    assert!(
        output.status.success(),
        "schemathesis found answers outside the description:\n{printed}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
