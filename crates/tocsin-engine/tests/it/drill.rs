//! Drills: the Typhoon Yagi scenario raises the expected warnings (storm level 4 at sea, the
//! Thao at Yên Bái at level 3 or more, heavy rain and a flash flood in Lào Cai) and the Làng Nủ
//! incident, reports their lead times, and gives the same report twice; every message it sends
//! is an Exercise and reaches only drill participants on their channels marked for exercises,
//! never a channel of actual warnings. The multi-crisis drill exposes the fake alerts, the
//! Mekong salinity drill meets its expected outcome, and the Hà Nội dengue drill raises the
//! outbreak signal and the epidemic warning from the national disease records. Faults — the
//! node offline, a participant's channel down — delay what happens but lose nothing.

use crate::receiver::{SECRET, receiver};
use std::path::PathBuf;
use tocsin_core::dispatch::{Recipient, Tier};
use tocsin_engine::EngineOptions;
use tocsin_engine::channels::{Endpoint, WebhookBody};
use tocsin_engine::dispatch::RecipientEntry;
use tocsin_engine::drill::scenario::Scenario;
use tocsin_engine::drill::score::DrillReport;
use tocsin_engine::drill::{DrillSetup, Speed};

fn shipped(name: &str) -> Scenario {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../scenarios")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    Scenario::parse(name, &text).unwrap_or_else(|p| panic!("{p:#?}"))
}

/// The region changes shipped in `catalog/region-changes.toml`.
fn builtin_region_changes() -> Vec<tocsin_engine::registry::changes::RegionChange> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../catalog/region-changes.toml");
    tocsin_engine::registry::changes::read_changes(&path).unwrap()
}

fn run(recipients: Vec<RecipientEntry>) -> DrillReport {
    run_scenario(&shipped("yagi-2024.toml"), recipients)
}

fn run_scenario(scenario: &Scenario, recipients: Vec<RecipientEntry>) -> DrillReport {
    let dir = tempfile::tempdir().unwrap();
    tocsin_engine::drill::run(
        scenario,
        DrillSetup {
            admin_dir: &crate::shared_admin_dir(),
            region_changes: &builtin_region_changes(),
            work_dir: dir.path(),
            speed: Speed::Max,
            options: EngineOptions::new(tocsin_engine::Durability::Normal),
            recipients,
            control: None,
        },
    )
    .unwrap()
}

#[test]
fn the_yagi_drill_raises_the_expected_warnings_the_same_way_twice() {
    let first = run(Vec::new());
    for e in &first.expectations {
        assert!(e.met, "{e:#?}");
        assert!(e.lead_minutes.is_some_and(|m| m >= 0), "{e:#?}");
    }
    let storm_at_sea = first
        .expectations
        .iter()
        .find(|e| e.expected.hazard == "storm" && e.expected.province == "31")
        .unwrap();
    assert!(storm_at_sea.level_reached >= 4);
    let thao = first
        .expectations
        .iter()
        .find(|e| e.expected.hazard == "river_flood")
        .unwrap();
    assert!(thao.level_reached >= 3);
    let phuc_khanh = first
        .expectations
        .iter()
        .find(|e| e.expected.what == "warning" && e.expected.hazard == "flash_flood")
        .unwrap();
    assert_eq!(phuc_khanh.expected.commune.as_deref(), Some("02998"));
    assert!(phuc_khanh.level_reached >= 3);
    assert!(
        first.warnings.iter().all(|w| w.all_exercise),
        "{:#?}",
        first.warnings
    );
    assert!(first.incidents.iter().all(|i| i.exercise));
    assert!(
        first.false_warnings.is_empty(),
        "{:#?}",
        first.false_warnings
    );
    assert_eq!(first, run(Vec::new()), "two runs give the same report");
}

/// A province's standing agency with a webhook at `base/actual/{id}` for actual warnings and,
/// when it takes part in drills, one at `base/drill/{id}` marked for exercises.
fn agency(id: &str, province: &str, takes_part: bool, base: &str) -> RecipientEntry {
    let webhook = |kind: &str| Endpoint::Webhook {
        url: format!("{base}/{kind}/{id}"),
        secret: Some(SECRET.into()),
        body: WebhookBody::Cap,
    };
    RecipientEntry {
        recipient: Recipient {
            id: id.into(),
            name: id.into(),
            sector: "standing".into(),
            region: province.into(),
            tier: Tier::Province,
            exercises: takes_part,
        },
        language: "vi".into(),
        endpoints: vec![webhook("actual")],
        exercise_endpoints: if takes_part {
            vec![webhook("drill")]
        } else {
            Vec::new()
        },
    }
}

#[test]
fn no_exercise_message_reaches_an_actual_channel() {
    let (base, received) = receiver(&[]);
    // Lào Cai's agency takes part (with its actual channel too); the others do not.
    let recipients = vec![
        agency("drill-15", "15", true, &base),
        agency("actual-31", "31", false, &base),
        agency("actual-22", "22", false, &base),
    ];
    run(recipients);
    let received = received.lock().unwrap();
    let to_drill: Vec<_> = received
        .requests
        .iter()
        .filter(|r| r.path == "/drill/drill-15")
        .collect();
    assert!(
        !to_drill.is_empty(),
        "the participant was told on its exercise channel"
    );
    assert!(
        received
            .requests
            .iter()
            .all(|r| !r.path.starts_with("/actual")),
        "an exercise message reached a channel of actual warnings: {:?}",
        received
            .requests
            .iter()
            .map(|r| &r.path)
            .collect::<Vec<_>>()
    );
    for request in to_drill {
        let body = String::from_utf8_lossy(&request.body);
        assert!(body.contains("<status>Exercise</status>"), "{body}");
    }
}

#[test]
fn the_mekong_salinity_drill_meets_its_expected_outcome() {
    let report = run_scenario(&shipped("mekong-salinity-2020.toml"), Vec::new());
    for e in &report.expectations {
        assert!(e.met, "{e:#?}");
    }
    assert!(report.false_warnings.is_empty(), "{:#?}", report.warnings);
}

#[test]
fn every_shipped_scenario_reads() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut read = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            shipped(path.file_name().unwrap().to_str().unwrap());
            read += 1;
        }
    }
    assert!(read >= 3);
}

#[test]
fn the_multi_crisis_drill_exposes_the_fake_alerts() {
    let report = run_scenario(&shipped("multi-crisis.toml"), Vec::new());
    for e in &report.expectations {
        assert!(e.met, "{e:#?}");
    }
    assert_eq!(report.alerts.len(), 2);
    assert_eq!(report.alerts_judged_rightly, 2, "{:#?}", report.alerts);
    assert!(report.alerts.iter().all(|a| !a.trusted));
}

#[test]
fn the_hanoi_dengue_drill_raises_the_outbreak_signal_from_the_real_records() {
    let report = run_scenario(&shipped("hanoi-dengue-2017.toml"), Vec::new());
    for e in &report.expectations {
        assert!(e.met, "{e:#?}");
    }
    assert!(
        report.incidents.iter().any(|i| i.hazard == "epidemic"),
        "the epidemic scenarios fire"
    );
    assert_eq!(
        report.observations, 119,
        "monthly counts from January 2008; December 2017 is reported after the drill ends"
    );
}

/// Rain of 10 mm an hour over Ba Đình (Hà Nội) for a day: heavy rain level 1 after 5 hours
/// (50 mm in 12 h), level 2 when the 24-hour total reaches 200 mm at 20:00. The node is offline
/// from 08:00 to 11:00 and restarts; the lines to the province are down from 19:00 to 23:00;
/// the commune never acknowledges.
const FAULTS: &str = r#"
[drill]
id = "faults"
title_vi = "Sự cố (giả lập)"
title_en = "Faults (synthetic)"
start = "2026-06-01T00:00:00+07:00"
end = "2026-06-02T06:00:00+07:00"
step = "1h"
stations = """id,name,domain,lat,lon,commune,metrics,attributes
F-RAIN,Ba Đình rain gauge (synthetic),hydromet,21.03853,105.83806,,rain_mm:mm:0:500:3600,
"""

[[series]]
station = "F-RAIN"
metric = "rain_mm"
every = "1h"
points = [["2026-06-01T01:00:00+07:00", 10.0], ["2026-06-02T06:00:00+07:00", 10.0]]

[[participant]]
id = "p-province"
name = "Hà Nội command (drill)"
sector = "standing"
region = "01"
tier = "province"
acknowledges_after = "10m"

[[participant]]
id = "p-commune"
name = "Ba Đình ward (drill)"
sector = "standing"
region = "00004"
tier = "commune"

[[fault]]
kind = "node_offline"
from = "2026-06-01T08:00:00+07:00"
to = "2026-06-01T11:00:00+07:00"

[[fault]]
kind = "channel_down"
from = "2026-06-01T19:00:00+07:00"
to = "2026-06-01T23:00:00+07:00"
participants = ["p-province"]

[[expect]]
what = "warning"
hazard = "heavy_rain"
province = "01"
min_level = 2
by = "2026-06-01T20:00:00+07:00"
"#;

#[test]
fn faults_delay_but_lose_nothing() {
    let scenario = Scenario::parse("faults.toml", FAULTS).unwrap_or_else(|p| panic!("{p:#?}"));
    let report = run_scenario(&scenario, Vec::new());
    // The readings kept through the outage (08:00, 09:00, 10:00) arrive when the node is back,
    // and the restarted node rebuilt its 24-hour totals: level 2 comes exactly at 20:00.
    let offline = &report.faults[0];
    assert_eq!((offline.held_observations, offline.held_messages), (3, 0));
    assert_eq!(report.observations, 30);
    let level_2 = &report.expectations[0];
    assert!(level_2.met, "{level_2:#?}");
    assert_eq!(level_2.lead_minutes, Some(0), "{level_2:#?}");
    // The province's notices fail while its lines are down, then arrive: none is lost. The
    // silent commune's notice climbs to the province, which acknowledges once it hears.
    let n = &report.notifications;
    assert!(n.failed_attempts > 0, "{n:#?}");
    assert_eq!(n.undelivered, 0, "{n:#?}");
    assert_eq!(n.delivered, n.total, "{n:#?}");
    assert!(n.escalations >= 1, "{n:#?}");
    assert!(n.acknowledged >= 1, "{n:#?}");
    assert_eq!(
        report,
        run_scenario(&scenario, Vec::new()),
        "faults replay the same way"
    );
}
