//! Drills: the Typhoon Yagi scenario raises the expected warnings (storm level 4 at sea, the
//! Thao at Yên Bái at level 3 or more, heavy rain in Lào Cai) and the Làng Nủ incident, reports
//! their lead times, and gives the same report twice; every message it sends is an Exercise and
//! reaches only drill participants, never an actual recipient. The multi-crisis drill exposes the
//! fake alerts, the Mekong salinity drill meets its expected outcome, and the Hà Nội dengue drill
//! raises the outbreak signal and the epidemic warning from the national disease records.

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

fn run(recipients: Vec<RecipientEntry>) -> DrillReport {
    run_scenario(&shipped("yagi-2024.toml"), recipients)
}

fn run_scenario(scenario: &Scenario, recipients: Vec<RecipientEntry>) -> DrillReport {
    let dir = tempfile::tempdir().unwrap();
    tocsin_engine::drill::run(
        scenario,
        DrillSetup {
            admin_dir: &crate::shared_admin_dir(),
            work_dir: dir.path(),
            speed: Speed::Max,
            options: EngineOptions::new(tocsin_engine::Durability::Normal),
            recipients,
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

fn webhook(id: &str, province: &str, exercises: bool, url: &str) -> RecipientEntry {
    RecipientEntry {
        recipient: Recipient {
            id: id.into(),
            name: id.into(),
            sector: "standing".into(),
            region: province.into(),
            tier: Tier::Province,
            exercises,
        },
        language: "vi".into(),
        endpoints: vec![Endpoint::Webhook {
            url: url.into(),
            secret: Some(SECRET.into()),
            body: WebhookBody::Cap,
        }],
    }
}

#[test]
fn no_exercise_message_reaches_an_actual_recipient() {
    let (base, received) = receiver(&[]);
    let recipients = vec![
        webhook("drill-15", "15", true, &format!("{base}/drill")),
        webhook("actual-15", "15", false, &format!("{base}/actual")),
        webhook("actual-31", "31", false, &format!("{base}/actual")),
    ];
    run(recipients);
    let received = received.lock().unwrap();
    let to_drill: Vec<_> = received
        .requests
        .iter()
        .filter(|r| r.path == "/drill")
        .collect();
    assert!(!to_drill.is_empty(), "the participant was told");
    assert!(
        received.requests.iter().all(|r| r.path != "/actual"),
        "an actual recipient was sent an exercise message"
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
