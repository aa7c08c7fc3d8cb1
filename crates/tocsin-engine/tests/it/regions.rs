//! The region registry against the official files: counts, history, successors, lookup, search.

use crate::registry;
use tocsin_core::region::RegionKind;
use tocsin_engine::access::Principal;

fn date(text: &str) -> jiff::civil::Date {
    text.parse().unwrap()
}

#[test]
fn import_counts_match_the_official_lists() {
    let fixture = registry();
    let store = fixture.engine.store();
    let today = fixture.engine.today();
    assert_eq!(
        store.count_regions(RegionKind::Province, today).unwrap(),
        34
    );
    assert_eq!(
        store.count_regions(RegionKind::Commune, today).unwrap(),
        3321
    );
    let before = date("2025-06-30");
    assert_eq!(
        store.count_regions(RegionKind::Province, before).unwrap(),
        63
    );
    assert_eq!(
        store.count_regions(RegionKind::District, before).unwrap(),
        696
    );
    assert_eq!(
        store.count_regions(RegionKind::Commune, before).unwrap(),
        10051
    );
    let report = &fixture.report;
    assert!(
        report.missing_boundaries.is_empty(),
        "{:?}",
        report.missing_boundaries
    );
    assert_eq!(
        store.boundaries(RegionKind::Commune, today).unwrap().len(),
        3321
    );
    assert_eq!(
        store.boundaries(RegionKind::Province, today).unwrap().len(),
        34
    );
    println!(
        "uncovered {}: {:?}",
        report.uncovered_old_communes.len(),
        report.uncovered_old_communes
    );
    println!(
        "unknown old codes {}: {:?}",
        report.unknown_old_codes.len(),
        report.unknown_old_codes
    );
    assert_eq!(
        report.uncovered_old_communes.len(),
        28,
        "the shared README says 28 pre-2025 communes are absent"
    );
}

fn successor_codes(code: &str, at: &str) -> Vec<String> {
    let links = registry()
        .engine
        .successors(&Principal::local_admin(), code, Some(date(at)))
        .unwrap();
    links
        .iter()
        .map(|l| format!("{} {}", l.region.code, l.relation.as_str()))
        .collect()
}

#[test]
fn reused_codes_resolve_by_date() {
    let engine = &registry().engine;
    let admin = Principal::local_admin();
    assert_eq!(
        engine
            .region(&admin, "15", Some(date("2020-01-01")))
            .unwrap()
            .name,
        "Yên Bái"
    );
    assert_eq!(engine.region(&admin, "15", None).unwrap().name, "Lào Cai");
    assert_eq!(
        engine
            .region(&admin, "10", Some(date("2020-01-01")))
            .unwrap()
            .name,
        "Lào Cai"
    );
    assert!(engine.region(&admin, "10", None).is_err());
    assert_eq!(
        engine
            .region(&admin, "00004", Some(date("2024-01-01")))
            .unwrap()
            .name,
        "Trúc Bạch"
    );
    assert_eq!(
        engine.region(&admin, "00004", None).unwrap().name,
        "Ba Đình"
    );
}

#[test]
fn retired_provinces_lead_to_current_ones() {
    assert_eq!(successor_codes("10", "2020-01-01"), ["15 whole"]);
    assert_eq!(successor_codes("15", "2020-01-01"), ["15 whole"]);
    assert_eq!(
        successor_codes("82", "2020-01-01"),
        ["80 partial", "82 partial"]
    );
    assert_eq!(successor_codes("01", "2020-01-01"), ["01 renamed"]);
    assert_eq!(successor_codes("15", "2026-01-01"), ["15 renamed"]);
}

#[test]
fn later_changes_are_recorded() {
    let engine = &registry().engine;
    let admin = Principal::local_admin();
    assert_eq!(successor_codes("06970", "2025-08-01"), ["06978 renamed"]);
    assert_eq!(engine.region(&admin, "06978", None).unwrap().name, "Ba Chẽ");
    assert!(engine.region(&admin, "06970", None).is_err());
    assert_eq!(
        engine.region(&admin, "75", None).unwrap().division_type,
        "thành phố"
    );
    assert_eq!(
        engine
            .region(&admin, "75", Some(date("2025-08-01")))
            .unwrap()
            .division_type,
        "tỉnh"
    );
}

#[test]
fn every_centroid_finds_its_commune_or_lies_outside_its_own_boundary() {
    let engine = &registry().engine;
    let admin = Principal::local_admin();
    let path = crate::shared_admin_dir().join("wards_3321_centroid_bbox.csv");
    let mut reader = csv::Reader::from_path(path).unwrap();
    let mut outside_own = Vec::new();
    for row in reader.records() {
        let row = row.unwrap();
        let code = &row[0];
        let (lon, lat): (f64, f64) = (row[8].parse().unwrap(), row[9].parse().unwrap());
        match engine.locate(&admin, lat, lon) {
            Ok(found) if found.code == code => {}
            other => {
                // Exceptions are exactly the oddly shaped communes whose centroid is not inside.
                assert_eq!(
                    engine.commune_contains(code, lat, lon),
                    Some(false),
                    "{code}: located {:?}",
                    other.map(|r| r.code)
                );
                outside_own.push(code.to_string());
            }
        }
    }
    assert_eq!(outside_own.len(), 38, "{outside_own:?}");
}

#[test]
fn search_ignores_tone_marks() {
    let engine = &registry().engine;
    let admin = Principal::local_admin();
    let found = engine.search_regions(&admin, "lao cai", None, 5).unwrap();
    assert_eq!(
        (found[0].code.as_str(), found[0].kind),
        ("15", RegionKind::Province)
    );
    let hoa = engine.search_regions(&admin, "Hoà Bình", None, 50).unwrap();
    let hoa_2 = engine.search_regions(&admin, "Hòa Bình", None, 50).unwrap();
    assert_eq!(hoa, hoa_2);
    assert!(hoa.iter().any(|r| r.name == "Hòa Bình"), "{hoa:?}");
}

#[test]
fn changes_can_be_recorded_after_import() {
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(tocsin_core::clock::ManualClock::new(
        "2026-11-22T03:00:00Z".parse().unwrap(),
    ));
    let options = tocsin_engine::EngineOptions::new(tocsin_engine::Durability::Normal);
    let engine = tocsin_engine::Engine::open(dir.path(), &options, clock).unwrap();
    engine
        .import_regions(&crate::shared_admin_dir(), &[])
        .unwrap();
    let admin = Principal::local_admin();
    assert_eq!(engine.region(&admin, "06970", None).unwrap().name, "Ba Chẽ");
    let changes = tocsin_engine::registry::changes::read_changes(&crate::changes_file()).unwrap();
    for change in &changes {
        assert!(engine.record_region_change(change).unwrap(), "{change:?}");
        assert!(
            !engine.record_region_change(change).unwrap(),
            "applying twice records once"
        );
    }
    assert!(engine.region(&admin, "06970", None).is_err());
    let ba_che = engine.region(&admin, "06978", None).unwrap();
    assert_eq!(
        (ba_che.name.as_str(), ba_che.parent.as_deref()),
        ("Ba Chẽ", Some("22"))
    );
    assert_eq!(
        engine
            .successors(&admin, "06970", Some(date("2025-08-01")))
            .unwrap()[0]
            .region
            .code,
        "06978"
    );
    assert_eq!(
        engine.region(&admin, "75", None).unwrap().division_type,
        "thành phố"
    );
}

/// Codes reused by the 2025 reform are named as of the date asked, each with the province it
/// belonged to on that date (never the province another code names today).
#[test]
fn place_names_follow_the_registry_history() {
    let store = registry().engine.store();
    let check = |code: &str, on: &str, vi: &str, en: &str| {
        let name = tocsin_engine::registry::names::place_name(store.as_ref(), code, date(on))
            .unwrap()
            .unwrap_or_else(|| panic!("{code} on {on}"));
        assert_eq!(
            (name.full_vi().as_str(), name.full_en().as_str()),
            (vi, en),
            "{code} on {on}"
        );
    };
    check("15", "2024-09-08", "Yên Bái", "Yen Bai");
    check("15", "2025-06-30", "Yên Bái", "Yen Bai");
    check("15", "2025-07-01", "Lào Cai", "Lao Cai");
    check("15", "2026-01-01", "Lào Cai", "Lao Cai");
    // Phúc Khánh was in the old Lào Cai (10), never in Yên Bái, and is in today's Lào Cai (15).
    check(
        "02998",
        "2024-09-08",
        "Phúc Khánh, Lào Cai",
        "Phuc Khanh, Lao Cai",
    );
    check(
        "02998",
        "2026-01-01",
        "Phúc Khánh, Lào Cai",
        "Phuc Khanh, Lao Cai",
    );
    check(
        "04252",
        "2024-09-08",
        "Yên Ninh, Yên Bái",
        "Yen Ninh, Yen Bai",
    );
    check(
        "04252",
        "2026-01-01",
        "Yên Bái, Lào Cai",
        "Yen Bai, Lao Cai",
    );
    check(
        "04456",
        "2024-09-08",
        "Mù Căng Chải, Yên Bái",
        "Mu Cang Chai, Yen Bai",
    );
    check(
        "04456",
        "2026-01-01",
        "Mù Cang Chải, Lào Cai",
        "Mu Cang Chai, Lao Cai",
    );
    assert_eq!(
        tocsin_engine::registry::names::place_name(store.as_ref(), "99999", date("2026-01-01"))
            .unwrap(),
        None
    );
}
