//! Catalogue zones that name pre-2025 provinces resolve, through the registry's history, to the
//! communes of today; rules limited to a zone apply only there (storms by climate region).

use crate::{block_on, registry};
use tocsin_core::observation::ObservationInput;
use tocsin_core::station::{Domain, MetricSpec, Station};
use tocsin_engine::access::Principal;

#[test]
fn every_zone_of_the_default_catalogue_resolves() {
    let engine = &registry().engine;
    let catalog = tocsin_engine::catalog::builtin().unwrap();
    let (zones, unmatched) =
        tocsin_engine::zones::resolve(engine.store().as_ref(), &catalog.zones, engine.today())
            .unwrap();
    assert!(unmatched.is_empty(), "{unmatched:?}");
    for zone in &catalog.zones {
        assert!(
            !zones[&zone.id].is_empty(),
            "zone {} has no commune",
            zone.id
        );
    }
    // Old Yên Bái (15) is in flash-flood zone 1; its city became wards of today's Lào Cai.
    let yen_bai = engine
        .locate(&Principal::local_admin(), 21.705, 104.87)
        .unwrap();
    assert_eq!(yen_bai.parent.as_deref(), Some("15"));
    assert!(zones["flash_flood_zone_1"].contains(&yen_bai.code));
    assert!(zones["climate_tay_bac"].contains(&yen_bai.code));
    assert!(!zones["climate_nam_bo"].contains(&yen_bai.code));
}

fn wind_station(id: &str, lat: f64, lon: f64) -> Station {
    Station {
        id: id.into(),
        name: format!("{id} (synthetic)"),
        domain: Domain::Hydromet,
        lat,
        lon,
        commune: None,
        metrics: vec![MetricSpec {
            name: "wind_ms".into(),
            unit: "m/s".into(),
            min: 0.0,
            max: 120.0,
            interval_s: 600,
        }],
        attributes: Default::default(),
        retired: None,
    }
}

#[test]
fn storm_levels_follow_the_climate_region_of_the_old_province() {
    let engine = &registry().engine;
    let admin = Principal::local_admin();
    // Yên Bái (Tây Bắc: force 14 gives level 5) and Hà Nội (Đồng bằng Bắc Bộ: force 14 gives 4).
    engine
        .upsert_stations(
            &admin,
            vec![
                wind_station("SYN-WIND-YB", 21.705, 104.87),
                wind_station("SYN-WIND-HN", 21.03853, 105.83806),
            ],
        )
        .unwrap();
    for station in ["SYN-WIND-YB", "SYN-WIND-HN"] {
        let record = ObservationInput {
            station: Some(station.into()),
            metric: Some("wind_ms".into()),
            time: Some("2024-09-07T13:00:00+07:00".into()),
            value: Some(42.0),
            ..Default::default()
        };
        block_on(engine.ingest(&admin, vec![Ok(record)], true)).unwrap();
    }
    let mut levels = Vec::new();
    for _ in 0..200 {
        levels = engine
            .store()
            .current_levels(&tocsin_store::RegionFilter::all())
            .unwrap();
        levels.retain(|d| d.hazard == "storm");
        if levels.len() >= 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let mut got: Vec<String> = levels
        .iter()
        .map(|d| format!("{} {} {}", d.station, d.rule, d.to_level))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "SYN-WIND-HN storm_land_north_central 4",
            "SYN-WIND-YB storm_land_highlands 5"
        ]
    );
}
