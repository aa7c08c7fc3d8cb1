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
    run_in(scenario, recipients, dir.path())
}

/// Runs a scenario with its store in `dir`, which stays for the caller to read.
fn run_in(
    scenario: &Scenario,
    recipients: Vec<RecipientEntry>,
    dir: &std::path::Path,
) -> DrillReport {
    tocsin_engine::drill::run(
        scenario,
        DrillSetup {
            admin_dir: &crate::shared_admin_dir(),
            region_changes: &builtin_region_changes(),
            work_dir: dir,
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

/// Every alert the Yagi drill publishes: its CAP alert as read back.
struct YagiRun {
    report: DrillReport,
    alerts: Vec<tocsin_cap::Alert>,
    store: std::sync::Arc<dyn tocsin_store::Store>,
}

fn yagi_alerts() -> YagiRun {
    let dir = tempfile::tempdir().unwrap();
    let report = run_in(&shipped("yagi-2024.toml"), Vec::new(), dir.path());
    let store: std::sync::Arc<dyn tocsin_store::Store> = std::sync::Arc::new(
        tocsin_store::SqliteStore::open(
            &dir.path().join("tocsin.db"),
            tocsin_store::Durability::Normal,
        )
        .unwrap(),
    );
    let published = store
        .versions_in(
            &tocsin_store::RegionFilter::all(),
            &[tocsin_store::VersionState::Published],
            None,
            None,
            10_000,
        )
        .unwrap();
    let alerts = published
        .iter()
        .map(|v| {
            let xml = &v.publication.as_ref().unwrap().cap_xml;
            tocsin_cap::read(xml.as_bytes()).unwrap().alert
        })
        .collect();
    YagiRun {
        report,
        alerts,
        store,
    }
}

/// A word that looks like an internal station id (`YAGI-BLV-WIND`): ASCII capitals and digits
/// joined by hyphens.
fn station_id_in(text: &str) -> Option<&str> {
    text.split(|c: char| c.is_whitespace() || "(),;:.".contains(c))
        .find(|w| {
            w.contains('-')
                && w.len() >= 4
                && w.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        })
}

/// A number written with the other language's decimal mark (`12.5` in Vietnamese).
fn foreign_decimal(text: &str, mark: char) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(3)
        .any(|w| w[0].is_ascii_digit() && w[1] == mark && w[2].is_ascii_digit())
}

#[test]
fn the_yagi_drills_public_texts_name_todays_units_in_their_language() {
    let YagiRun {
        report,
        alerts,
        store,
    } = yagi_alerts();
    assert!(!alerts.is_empty());
    // Incidents are named by the rule that raised their warning and today's units.
    let titles: Vec<&str> = report.incidents.iter().map(|i| i.title.as_str()).collect();
    assert!(titles.iter().all(|t| !t.contains("Nam Bộ")), "{titles:#?}");
    assert!(titles.iter().all(|t| !t.contains("Yên Bái")), "{titles:#?}");
    assert!(
        titles.contains(&"Bão trên biển — thành phố Hải Phòng"),
        "{titles:#?}"
    );
    let on: jiff::civil::Date = tocsin_engine::drill::REGISTRY_DATE.parse().unwrap();
    let mut seen = std::collections::BTreeMap::new();
    for alert in &alerts {
        for info in &alert.info {
            let vi = info.language.as_deref() == Some("vi-VN");
            let texts = [
                Some(&info.event),
                info.headline.as_ref(),
                info.description.as_ref(),
                info.instruction.as_ref(),
                info.sender_name.as_ref(),
            ];
            let area_descs = info.area.iter().map(|a| &a.area_desc);
            for text in texts.into_iter().flatten().chain(area_descs) {
                let at = format!("{} {:?}: {text:?}", alert.identifier, info.language);
                assert_eq!(station_id_in(text), None, "{at}");
                assert!(!text.to_lowercase().contains("memory"), "{at}");
                assert!(!text.contains("synthetic"), "{at}");
                let (mark, name) = if vi { ('.', "point") } else { (',', "comma") };
                assert!(!foreign_decimal(text, mark), "decimal {name} in {at}");
            }
            assert!(
                info.parameter
                    .iter()
                    .any(|p| p.value_name == "tocsin:thresholdStatus"),
                "{}",
                alert.identifier
            );
            for area in &info.area {
                let code = &area.geocode[0].value;
                let name = tocsin_engine::registry::names::place_name(store.as_ref(), code, on)
                    .unwrap()
                    .unwrap();
                let expected = if vi { name.full_vi() } else { name.full_en() };
                assert_eq!(area.area_desc, expected, "{}", alert.identifier);
                if vi {
                    seen.insert(code.clone(), area.area_desc.clone());
                }
            }
            let headline = info.headline.as_deref().unwrap_or_default();
            assert!(!headline.contains("của Yên Bái"), "{headline}");
            assert!(!headline.contains("of Yen Bai"), "{headline}");
        }
    }
    for (code, expected) in [
        ("02998", "Phúc Khánh, Lào Cai"),
        ("04252", "Yên Bái, Lào Cai"),
        ("04456", "Mù Cang Chải, Lào Cai"),
    ] {
        assert_eq!(
            seen.get(code).map(String::as_str),
            Some(expected),
            "{seen:#?}"
        );
    }
}

/// The open-sea station at Bạch Long Vĩ is judged by the sea rule only (at most level 4 in the
/// open sea), never by a land rule.
#[test]
fn the_yagi_sea_stations_are_judged_by_the_sea_rule_only() {
    let run = yagi_alerts();
    let detections = run
        .store
        .detections(&tocsin_store::RegionFilter::all(), 0, i64::MAX, 100_000)
        .unwrap();
    let at_sea: Vec<_> = detections
        .iter()
        .filter(|d| d.station == "YAGI-BLV-WIND" || d.station == "YAGI-COTO-WIND")
        .collect();
    assert!(at_sea.iter().any(|d| d.rule == "storm_sea"), "{at_sea:#?}");
    assert!(at_sea.iter().all(|d| d.rule == "storm_sea"), "{at_sea:#?}");
    let open_sea_max = at_sea
        .iter()
        .filter(|d| d.station == "YAGI-BLV-WIND")
        .map(|d| d.to_level)
        .max();
    assert_eq!(open_sea_max, Some(4));
}

/// A drill the node's stop cut off is journaled as interrupted once, at the node's next start,
/// and the id of a drill is never given again.
#[test]
fn a_drill_cut_off_by_the_node_s_stop_is_journaled_once_and_its_id_never_given_again() {
    use std::sync::Arc;
    use tocsin_engine::drill::exercises::Exercises;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("exercises");
    std::fs::create_dir_all(root.join("4")).unwrap();
    let meta = r#"{"drill":"cut-off","title_vi":"x","title_en":"x","speed":"max","started":"2026-11-22T03:00:00Z"}"#;
    std::fs::write(root.join("4/drill.json"), meta).unwrap();
    std::fs::write(root.join("last_id"), "7").unwrap();
    let store: Arc<dyn tocsin_store::Store> = Arc::new(
        tocsin_store::SqliteStore::open(&dir.path().join("db"), tocsin_store::Durability::Normal)
            .unwrap(),
    );
    let clock: Arc<dyn tocsin_core::Clock> = Arc::new(tocsin_core::clock::ManualClock::new(
        "2026-11-22T04:00:00Z".parse().unwrap(),
    ));
    let open = || {
        Exercises::new(
            root.clone(),
            PathBuf::from("/nonexistent"),
            Vec::new(),
            EngineOptions::new(tocsin_engine::Durability::Normal),
            (clock.clone(), store.clone()),
        )
    };
    let first = open();
    assert_eq!(first.list()[0].status, "failed");
    drop(first);
    drop(open());
    let ends: Vec<String> = store
        .journal_entries(0, 100)
        .unwrap()
        .into_iter()
        .map(|e| e.event().unwrap().change)
        .map(|c| match c {
            tocsin_core::change::Change::DrillEnded { drill, status, .. } => {
                format!("{drill} {status}")
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        ends,
        ["4 interrupted"],
        "journaled once, at the first start"
    );
    let scenario = shipped("yagi-2024.toml");
    let admin = tocsin_engine::access::Principal::local_admin();
    let id = open()
        .start(scenario, Speed::Max, "max", Vec::new(), &admin.actor())
        .unwrap();
    assert_eq!(
        id, 8,
        "after the last id given, not after the last drill kept"
    );
}
