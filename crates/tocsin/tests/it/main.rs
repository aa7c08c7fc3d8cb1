//! End-to-end tests of the `tocsin` binary, compiled as one test binary.

mod audit;
mod cap;
mod cap_signature;
mod cli;
mod crash;
mod detect;
mod drill;
mod schemathesis;
mod user;

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `tocsin ARGS` to completion.
pub fn tocsin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(args)
        .env("TOCSIN_LOG", "warn")
        .output()
        .expect("the tocsin binary runs")
}

/// Runs `tocsin ARGS`, asserts success and returns standard output.
pub fn tocsin_ok(args: &[&str]) -> String {
    let output = tocsin(args);
    assert!(
        output.status.success(),
        "tocsin {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Whether a tool the test needs is here (`probe` succeeds); when it is not, the test says so
/// and passes, except under `TOCSIN_REQUIRE_SERVICES=1`, where it fails.
pub fn available(what: &str, probe: &mut Command) -> bool {
    if probe.output().is_ok_and(|out| out.status.success()) {
        return true;
    }
    let required = std::env::var("TOCSIN_REQUIRE_SERVICES").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{what} is required (TOCSIN_REQUIRE_SERVICES=1) but missing"
    );
    eprintln!("skipped: {what} is not installed");
    false
}

/// A data directory with two synthetic stations and an admin token.
pub fn prepared_data(dir: &Path) -> String {
    prepared_data_with(
        dir,
        "SYN-1,Crash test gauge 1 (synthetic),hydromet,21.0,105.8,,water_level:m:-1000000:1000000:600,\n\
         SYN-2,Crash test gauge 2 (synthetic),hydromet,21.1,105.9,,water_level:m:-1000000:1000000:600,\n",
    )
}

/// A data directory with `stations` (rows of the stations CSV) and an admin token.
pub fn prepared_data_with(dir: &Path, stations: &str) -> String {
    let csv = dir.join("stations.csv");
    std::fs::write(
        &csv,
        format!("id,name,domain,lat,lon,commune,metrics,attributes\n{stations}"),
    )
    .unwrap();
    let data = dir.join("data");
    let data = data.to_str().unwrap();
    tocsin_ok(&[
        "import",
        "stations",
        "--file",
        csv.to_str().unwrap(),
        "--data",
        data,
    ]);
    let out = tocsin_ok(&[
        "token", "create", "--role", "admin", "--scope", "VN", "--data", data,
    ]);
    out.lines().last().unwrap().to_string()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `tocsin serve` over `data` on `port`, with the administrative files of `regions_from`
/// (imported when the registry is empty), and waits until it listens.
pub fn start_server(data: &str, port: u16, regions_from: &str) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args([
            "serve",
            "--data",
            data,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("TOCSIN_LOG", "warn")
        .env("TOCSIN_REGIONS_FROM", regions_from)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}
