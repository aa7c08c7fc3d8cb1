//! Ingest semantics through the engine: duplicates stored once, corrections kept as versions,
//! forecasts superseded by newer issues, ingest tokens limited to their stations.

use crate::{block_on, registry};
use tocsin_core::access::{Role, Scope};
use tocsin_core::observation::ObservationInput;
use tocsin_core::station::{Domain, MetricSpec, Station};
use tocsin_engine::SeriesQuery;
use tocsin_engine::access::Principal;

fn station(id: &str) -> Station {
    Station {
        id: id.into(),
        name: format!("{id} (synthetic)"),
        domain: Domain::Hydromet,
        lat: 21.705,
        lon: 104.87,
        commune: None,
        metrics: vec![MetricSpec {
            name: "water_level".into(),
            unit: "m".into(),
            min: -10.0,
            max: 100.0,
            interval_s: 600,
        }],
        attributes: Default::default(),
        retired: None,
    }
}

fn record(
    station: &str,
    time: &str,
    value: f64,
) -> Result<ObservationInput, tocsin_core::observation::Rejection> {
    Ok(ObservationInput {
        station: Some(station.into()),
        metric: Some("water_level".into()),
        time: Some(time.into()),
        value: Some(value),
        ..Default::default()
    })
}

fn forecast(
    station: &str,
    valid: &str,
    issued: &str,
    value: f64,
) -> Result<ObservationInput, tocsin_core::observation::Rejection> {
    let mut input = record(station, valid, value)?;
    input.kind = Some("forecast".into());
    input.issued = Some(issued.into());
    Ok(input)
}

fn ms(time: &str) -> i64 {
    time.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

#[test]
fn duplicates_once_corrections_as_versions() {
    let engine = &registry().engine;
    let admin = Principal::local_admin();
    engine
        .upsert_stations(&admin, vec![station("SYN-INGEST-1")])
        .unwrap();
    let t = "2024-09-09T13:00:00+07:00";
    let first = block_on(engine.ingest(
        &admin,
        vec![
            record("SYN-INGEST-1", t, 33.98),
            record("SYN-INGEST-1", t, 33.98),
        ],
        false,
    ))
    .unwrap();
    assert_eq!((first.accepted, first.duplicates), (2, 1));
    let again =
        block_on(engine.ingest(&admin, vec![record("SYN-INGEST-1", t, 33.98)], false)).unwrap();
    assert_eq!((again.accepted, again.duplicates), (1, 1));
    block_on(engine.ingest(&admin, vec![record("SYN-INGEST-1", t, 34.10)], false)).unwrap();
    let versions = engine
        .versions(&admin, "SYN-INGEST-1", "water_level", ms(t))
        .unwrap();
    let values: Vec<f64> = versions.iter().map(|v| v.value).collect();
    assert_eq!(values, [33.98, 34.10]);
    let query = SeriesQuery {
        series: 0,
        from_ms: ms(t),
        to_ms: ms(t) + 3_600_000,
        step_ms: 3_600_000,
        forecast: false,
    };
    let steps = engine
        .series(&admin, "SYN-INGEST-1", "water_level", query)
        .unwrap();
    assert_eq!(
        (steps[0].count, steps[0].max),
        (1, 34.10),
        "the correction is the current value"
    );
}

#[test]
fn newer_forecasts_supersede_older_ones() {
    let engine = &registry().engine;
    let admin = Principal::local_admin();
    engine
        .upsert_stations(&admin, vec![station("SYN-INGEST-2")])
        .unwrap();
    let valid = "2026-11-24T00:00:00+07:00";
    let records = vec![
        forecast("SYN-INGEST-2", valid, "2026-11-21T12:00:00+07:00", 30.0),
        forecast("SYN-INGEST-2", valid, "2026-11-22T06:00:00+07:00", 31.5),
    ];
    let report = block_on(engine.ingest(&admin, records, false)).unwrap();
    assert_eq!(report.accepted, 2, "{report:?}");
    let query = SeriesQuery {
        series: 0,
        from_ms: ms(valid),
        to_ms: ms(valid) + 600_000,
        step_ms: 600_000,
        forecast: true,
    };
    let steps = engine
        .series(&admin, "SYN-INGEST-2", "water_level", query)
        .unwrap();
    assert_eq!((steps[0].count, steps[0].mean), (1, 31.5));
    assert_eq!(
        engine
            .versions(&admin, "SYN-INGEST-2", "water_level", ms(valid))
            .unwrap()
            .len(),
        2,
        "both issues are kept"
    );
}

#[test]
fn ingest_tokens_are_limited_to_their_stations() {
    let engine = &registry().engine;
    let admin = Principal::local_admin();
    engine
        .upsert_stations(
            &admin,
            vec![station("SYN-INGEST-3"), station("SYN-INGEST-4")],
        )
        .unwrap();
    let scope = Scope {
        region: "VN".into(),
        domains: Vec::new(),
        stations: vec!["SYN-INGEST-3".into()],
    };
    let (secret, _) = engine.create_token("gateway", Role::Ingest, scope).unwrap();
    let gateway = engine.authenticate(&secret).unwrap().unwrap();
    let t = "2024-09-09T13:00:00+07:00";
    let report = block_on(engine.ingest(
        &gateway,
        vec![
            record("SYN-INGEST-3", t, 1.0),
            record("SYN-INGEST-4", t, 1.0),
        ],
        false,
    ))
    .unwrap();
    assert_eq!(report.accepted, 1);
    assert_eq!(report.rejected[0].index, 1);
    assert_eq!(
        report.rejected[0].rejection.reason,
        "station \"SYN-INGEST-4\" is outside this token's scope"
    );
    assert!(
        engine.stations(&gateway).is_err(),
        "an ingest token reads nothing"
    );
    assert!(
        engine
            .upsert_stations(&gateway, vec![station("SYN-INGEST-5")])
            .is_err(),
        "an ingest token manages no stations"
    );
}
