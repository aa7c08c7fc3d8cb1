//! The served API against its own description: schemathesis (PyPI) reads
//! `/api/v1/openapi.json` from a node started on a fresh data folder with the registry, and
//! sends generated requests, valid and invalid, to every operation with an admin token. The run
//! passes only with no server error and every answer within the description (status, content
//! type, body schema). The Server-Sent Events stream is left out: it never ends.
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
    let examples = setting("TOCSIN_SCHEMATHESIS_EXAMPLES", "25");
    let seed = setting("TOCSIN_SCHEMATHESIS_SEED", "1");
    let output = schemathesis()
        .args(["--no-color", "run"])
        .arg(format!("http://127.0.0.1:{port}/api/v1/openapi.json"))
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
