//! `tocsin drill run --server`: the drill runs on a running node, in its exercise space, and the
//! command writes the same scored report an in-process run gives.

use crate::{free_port, prepared_data, start_server, tocsin_ok};

/// Six hours of water rising past BĐ3 at a synthetic Yên Bái gauge, with a participant.
const SCENARIO: &str = r#"
[drill]
id = "cli-drill"
title_vi = "Diễn tập dòng lệnh (giả lập)"
title_en = "Command-line drill (synthetic)"
start = "2026-07-01T00:00:00+07:00"
end = "2026-07-01T06:00:00+07:00"
step = "1h"
stations = """id,name,domain,lat,lon,commune,metrics,attributes
CLI-YB,Yên Bái gauge (synthetic),hydromet,21.705,104.87,,water_level_m:m:0:100:3600,bd1=30;bd2=31;bd3=32;station_area=1
"""

[[series]]
station = "CLI-YB"
metric = "water_level_m"
every = "1h"
points = [["2026-07-01T00:00:00+07:00", 29.0], ["2026-07-01T06:00:00+07:00", 33.0]]

[[participant]]
id = "cli-15"
name = "Lào Cai command (drill)"
sector = "standing"
region = "15"
tier = "province"
acknowledges_after = "10m"

[[expect]]
what = "warning"
hazard = "river_flood"
province = "15"
min_level = 3
by = "2026-07-01T06:00:00+07:00"
"#;

pub(crate) fn admin_dir() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/vn/admin").to_string()
}

fn report(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn a_drill_on_a_server_scores_as_one_in_process() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("cli-drill.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let scenario = scenario.to_str().unwrap();
    let (local, remote) = (
        dir.path().join("local.json"),
        dir.path().join("remote.json"),
    );
    let admin = admin_dir();
    tocsin_ok(&[
        "drill",
        "run",
        scenario,
        "--admin",
        &admin,
        "--report",
        local.to_str().unwrap(),
    ]);

    let token = prepared_data(dir.path());
    let data = dir.path().join("data");
    let port = free_port();
    let mut server = start_server(data.to_str().unwrap(), port, &admin);
    let url = format!("http://127.0.0.1:{port}");
    let printed = tocsin_ok(&[
        "drill",
        "run",
        scenario,
        "--server",
        &url,
        "--token",
        &token,
        "--report",
        remote.to_str().unwrap(),
    ]);
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(printed.contains("1 of 1 expectations met"), "{printed}");
    // Restarted, the node still knows the drill and its report.
    let mut server = start_server(data.to_str().unwrap(), port, &admin);
    let listed = ureq::get(format!("{url}/api/v1/drills"))
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let drill = &listed["drills"][0];
    assert_eq!(
        (&drill["drill"], &drill["status"], &drill["speed"]),
        (&"cli-drill".into(), &"finished".into(), &"max".into()),
        "{listed}"
    );
    assert_eq!(drill["expectations_met"], serde_json::json!([1, 1]));
    let (local, remote) = (report(&local), report(&remote));
    assert_eq!(remote["expectations"], local["expectations"]);
    assert_eq!(remote["notifications"], local["notifications"]);
    assert!(
        remote["notifications"]["acknowledged"].as_u64() > Some(0),
        "{remote}"
    );
    assert!(
        data.join("exercises/1/report.json").exists(),
        "the node keeps the drill in its exercise space"
    );
}
