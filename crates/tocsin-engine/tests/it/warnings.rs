//! Warnings in the running engine: detections become a warning whose versions wait for release,
//! released alerts are schema-valid CAP in Vietnamese and English that chain by `references`,
//! automatic release skips the approval, and a restart resumes the warnings in force.

use crate::detect::{engine_with_station, open, send, wait_for, yen_bai_gauge};

use std::path::Path;
use std::sync::Arc;
use tocsin_cap::{CodeList, MsgType, ResponseType, Severity};
use tocsin_core::clock::ManualClock;
use tocsin_engine::access::Principal;
use tocsin_engine::{Engine, EngineOptions};
use tocsin_store::traits::*;
use tocsin_store::{VersionRecord, VersionState};

/// Checks `xml` against the CAP 1.2 schema with xmllint (never touching the network).
pub fn assert_schema_valid(xml: &str) {
    let schema =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/cap/CAP-v1.2.xsd");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("alert.xml");
    std::fs::write(&file, xml).unwrap();
    let output = std::process::Command::new("xmllint")
        .args(["--nonet", "--noout", "--schema"])
        .arg(&schema)
        .arg(&file)
        .output();
    match output {
        Ok(output) => assert!(
            output.status.success(),
            "{}\n{xml}",
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(e) if std::env::var("TOCSIN_REQUIRE_SERVICES").as_deref() == Ok("1") => {
            panic!("xmllint is required: {e}")
        }
        Err(e) => eprintln!("skipping the schema check: xmllint is not installed ({e})"),
    }
}

fn advance(clock: &ManualClock, minutes: i64) {
    use tocsin_core::Clock;
    clock.set(clock.now() + jiff::SignedDuration::from_mins(minutes));
}

fn tick(engine: &Engine) -> Vec<VersionRecord> {
    engine.tick_warnings().unwrap()
}

fn flood_engine(dir: &Path, clock: Arc<ManualClock>) -> Engine {
    let options = EngineOptions::new(tocsin_engine::Durability::Normal);
    engine_with_station(dir, &options, clock, yen_bai_gauge())
}

fn read_alert(version: &VersionRecord) -> tocsin_cap::Alert {
    let xml = &version.publication.as_ref().unwrap().cap_xml;
    assert_schema_valid(xml);
    let read = tocsin_cap::read(xml.as_bytes()).unwrap();
    let findings = tocsin_cap::validate(&read.alert);
    assert!(findings.is_empty(), "{findings:#?}");
    read.alert
}

#[test]
fn a_flood_becomes_a_released_warning_that_ends_with_an_all_clear() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let engine = flood_engine(dir.path(), clock.clone());
    send(&engine, 0, &[29.0, 30.2, 31.5, 32.4, 33.2, 33.98]);
    wait_for(&engine, 3);
    assert!(
        tick(&engine).is_empty(),
        "changes gather for the group window first"
    );
    advance(&clock, 5);
    let drafts = tick(&engine);
    assert_eq!(drafts.len(), 1);
    let draft = &drafts[0];
    assert_eq!(
        (draft.action.as_str(), draft.level, draft.state),
        ("raised", 3, VersionState::Draft)
    );
    let viewer_sees = engine
        .warning_versions(
            &Principal::local_admin(),
            &tocsin_engine::engine::VersionQuery::states(&[VersionState::Published]),
            None,
            10,
        )
        .unwrap()
        .items;
    assert!(viewer_sees.is_empty(), "nothing is public before release");

    drop(engine);
    let engine = open(dir.path(), clock.clone());
    let released = engine
        .release_warning(&Principal::local_admin(), draft.warning, draft.number)
        .unwrap();
    let publication = released.publication.clone().unwrap();
    assert_eq!(publication.released_by, "token local");
    let alert = read_alert(&released);
    assert_eq!(
        (alert.msg_type, alert.references.as_deref()),
        (MsgType::Alert, None)
    );
    let languages: Vec<&str> = alert
        .info
        .iter()
        .filter_map(|i| i.language.as_deref())
        .collect();
    assert_eq!(languages, ["vi-VN", "en-US"]);
    let info = &alert.info[0];
    assert_eq!(
        (info.severity, info.event.as_str()),
        (Severity::Severe, "Lũ trên sông")
    );
    assert!(
        info.headline.as_deref().unwrap().contains("cấp 3"),
        "{:?}",
        info.headline
    );
    let area = &info.area[0];
    assert_eq!(area.geocode[0].value_name, "VN-DVHC");
    assert!(
        !area.polygon.is_empty(),
        "the commune's boundary is the alert's polygon"
    );
    assert!(
        info.parameter
            .iter()
            .any(|p| p.value_name == "tocsin:level" && p.value == "3")
    );
    let again = engine.release_warning(&Principal::local_admin(), draft.warning, draft.number);
    assert!(
        again.unwrap_err().to_string().contains("not a draft"),
        "a published alert is released once"
    );

    send(
        &engine,
        6,
        &[33.9, 32.5, 31.2, 30.5, 29.5, 28.0, 27.0, 26.0],
    );
    wait_for(&engine, 6);
    advance(&clock, 5);
    let ending = tick(&engine);
    assert_eq!(ending[0].action, "all-clear");
    let released = engine
        .release_warning(
            &Principal::local_admin(),
            ending[0].warning,
            ending[0].number,
        )
        .unwrap();
    let last = read_alert(&released);
    assert_eq!(last.msg_type, MsgType::Update);
    assert_eq!(
        last.references.as_deref(),
        Some(format!("{},{},{}", alert.sender, alert.identifier, alert.sent).as_str())
    );
    assert_eq!(last.info[0].response_type, [ResponseType::AllClear]);
    assert_eq!(
        last.info[1].area.len(),
        1,
        "the all-clear names the areas that were warned"
    );
    let history = engine
        .warning_history(&Principal::local_admin(), draft.warning)
        .unwrap();
    let states: Vec<(&str, &str)> = history
        .iter()
        .map(|v| (v.action.as_str(), v.state.as_str()))
        .collect();
    assert_eq!(
        states,
        [("raised", "published"), ("all-clear", "published")]
    );
    assert!(engine.published_alert(&last.identifier).is_ok());
}

#[test]
fn hazards_marked_for_automatic_release_skip_the_approval_up_to_their_level() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let engine = flood_engine(dir.path(), clock.clone());
    engine
        .set_auto_release(&Principal::local_admin(), "river_flood", 2)
        .unwrap();
    send(&engine, 0, &[30.2, 30.2, 30.3]);
    wait_for(&engine, 1);
    advance(&clock, 5);
    let first = tick(&engine);
    assert_eq!(first[0].level, 1);
    let history = engine
        .warning_history(&Principal::local_admin(), first[0].warning)
        .unwrap();
    assert_eq!(history[0].state, VersionState::Published);
    assert_eq!(history[0].publication.as_ref().unwrap().released_by, "auto");
    read_alert(&history[0]);

    send(&engine, 3, &[32.4, 33.2]);
    wait_for(&engine, 3);
    let escalation = tick(&engine);
    assert_eq!(
        (escalation[0].action.as_str(), escalation[0].level),
        ("escalated", 3)
    );
    let history = engine
        .warning_history(&Principal::local_admin(), first[0].warning)
        .unwrap();
    assert_eq!(
        history[1].state,
        VersionState::Draft,
        "level 3 is above the automatic limit"
    );
    let cancel = engine
        .cancel_warning(&Principal::local_admin(), first[0].warning)
        .unwrap();
    let states: Vec<&str> = engine
        .warning_history(&Principal::local_admin(), first[0].warning)
        .unwrap()
        .iter()
        .map(|v| v.state.as_str())
        .collect();
    assert_eq!(states, ["published", "superseded", "draft"]);
    let cancelled = engine
        .release_warning(&Principal::local_admin(), cancel.warning, cancel.number)
        .unwrap();
    let alert = read_alert(&cancelled);
    assert_eq!(
        (alert.msg_type.as_str(), alert.info[0].response_type[0]),
        ("Cancel", ResponseType::None)
    );
}

/// A fresh ECDSA P-256 key (PKCS#8 PEM) with a self-signed certificate from openssl, or `None`
/// (with the reason printed) when openssl is missing and services are not required.
fn test_signing_key(dir: &Path) -> Option<tocsin_cap::signature::SigningKey> {
    let key = dir.join("key.pem");
    let cert = dir.join("cert.pem");
    let openssl = |args: &[&str]| {
        std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .status()
    };
    let made = openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "key.pem",
    ])
    .and_then(|_| {
        openssl(&[
            "req",
            "-x509",
            "-new",
            "-key",
            "key.pem",
            "-subj",
            "/CN=tocsin test",
            "-days",
            "2",
            "-out",
            "cert.pem",
        ])
    });
    match made {
        Ok(status) if status.success() => {}
        other if std::env::var("TOCSIN_REQUIRE_SERVICES").as_deref() == Ok("1") => {
            panic!("openssl is required: {other:?}")
        }
        other => {
            eprintln!("skipping: openssl could not make a key ({other:?})");
            return None;
        }
    }
    let pem = std::fs::read_to_string(&key).unwrap();
    let cert = std::fs::read_to_string(&cert).unwrap();
    Some(tocsin_cap::signature::SigningKey::from_pem(&pem, Some(&cert)).unwrap())
}

#[test]
fn released_alerts_are_signed_with_the_configured_key() {
    let dir = tempfile::tempdir().unwrap();
    let Some(key) = test_signing_key(dir.path()) else {
        return;
    };
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let mut options = EngineOptions::new(tocsin_engine::Durability::Normal);
    options.warnings.signing_key = Some(Arc::new(key));
    options.warnings.sender = "canhbao.test.vn".into();
    let engine = engine_with_station(
        &dir.path().join("data"),
        &options,
        clock.clone(),
        yen_bai_gauge(),
    );
    send(&engine, 0, &[29.0, 30.2, 31.5, 32.4, 33.2, 33.98]);
    wait_for(&engine, 3);
    advance(&clock, 5);
    let draft = tick(&engine).remove(0);
    let released = engine
        .release_warning(&Principal::local_admin(), draft.warning, draft.number)
        .unwrap();
    let alert = read_alert(&released);
    assert_eq!(alert.sender, "canhbao.test.vn");
    let xml = &released.publication.unwrap().cap_xml;
    let verification = tocsin_cap::signature::verify(xml.as_bytes());
    assert!(
        matches!(
            verification.integrity,
            tocsin_cap::signature::Integrity::Genuine { .. }
        ),
        "{:?}",
        verification.integrity
    );
}

fn air_station() -> tocsin_core::station::Station {
    tocsin_core::station::Station {
        id: "SYN-HN-AQ".into(),
        name: "Hoàn Kiếm air quality station (synthetic)".into(),
        domain: tocsin_core::station::Domain::Air,
        lat: 21.0285,
        lon: 105.8542,
        commune: None,
        metrics: vec![tocsin_core::station::MetricSpec {
            name: "pm25_ugm3".into(),
            unit: "ug/m3".into(),
            min: 0.0,
            max: 2000.0,
            interval_s: 3600,
        }],
        attributes: Default::default(),
        retired: None,
    }
}

#[test]
fn a_point_hazard_is_a_circle_around_its_station() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let options = EngineOptions::new(tocsin_engine::Durability::Normal);
    let engine = engine_with_station(dir.path(), &options, clock.clone(), air_station());
    let records = (0..12)
        .map(|hour| {
            Ok(tocsin_core::observation::ObservationInput {
                station: Some("SYN-HN-AQ".into()),
                metric: Some("pm25_ugm3".into()),
                time: Some(format!("2026-11-21T{hour:02}:00:00Z")),
                value: Some(120.0),
                ..Default::default()
            })
        })
        .collect();
    crate::block_on(engine.ingest(&Principal::local_admin(), records, true)).unwrap();
    for _ in 0..300 {
        if !engine
            .detections(&Principal::local_admin(), None, 0, i64::MAX, 10)
            .unwrap()
            .is_empty()
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    advance(&clock, 5);
    let draft = tick(&engine).remove(0);
    assert_eq!(draft.hazard, "air_pollution");
    let released = engine
        .release_warning(&Principal::local_admin(), draft.warning, draft.number)
        .unwrap();
    let alert = read_alert(&released);
    let area = &alert.info[0].area[0];
    assert_eq!(
        (area.polygon.len(), area.circle.as_slice()),
        (0, ["21.02850,105.85420 5".to_string()].as_slice())
    );
    assert_eq!(
        area.geocode[0].value.len(),
        5,
        "the commune's code stays as geocode"
    );
}

/// The state a crash leaves between the writer's commit and the warning desk: level changes
/// (and their journal entries) stored, the desk not told. After the restart the desk reads them
/// from its cursor and drafts the warning; a second restart reads nothing twice.
#[test]
fn level_changes_stored_just_before_a_crash_become_a_warning_after_the_restart() {
    use tocsin_store::RegionFilter;
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let first = tempfile::tempdir().unwrap();
    let engine = flood_engine(first.path(), clock.clone());
    send(&engine, 0, &[29.0, 30.2, 31.5, 32.4, 33.2, 33.98]);
    wait_for(&engine, 3);
    let mut committed = engine
        .store()
        .detections(&RegionFilter::all(), i64::MIN, i64::MAX, usize::MAX)
        .unwrap();
    committed.reverse();
    drop(engine);

    let dir = tempfile::tempdir().unwrap();
    drop(flood_engine(dir.path(), clock.clone()));
    let store = tocsin_store::SqliteStore::open(
        &dir.path().join("tocsin.db"),
        tocsin_store::Durability::Normal,
    )
    .unwrap();
    store.record_detections(&committed, 0).unwrap();
    drop(store);

    let engine = open(dir.path(), clock.clone());
    advance(&clock, 5);
    let drafts = tick(&engine);
    let made: Vec<(&str, u8)> = drafts
        .iter()
        .map(|d| (d.action.as_str(), d.level))
        .collect();
    assert_eq!(made, [("raised", 3)]);
    drop(engine);

    let engine = open(dir.path(), clock.clone());
    advance(&clock, 5);
    assert_eq!(tick(&engine), Vec::new(), "nothing is read twice");
    assert_eq!(
        engine.store().journal_cursor("warnings").unwrap(),
        engine.store().journal_size().unwrap()
    );
}
