//! Conformance of observations (stored once, corrected by new versions, aggregated and read
//! back within a scope) and of the detections and current levels derived from them.

use super::registry::{import_registry, station};
use crate::traits::*;
use crate::*;
use tocsin_core::change::{Actor, Change};
use tocsin_core::observation::Observation;
use tocsin_core::station::Domain;

const HOUR_MS: i64 = 3_600_000;

/// The registry with station S1 (rain, province 01); the id of its rain series.
pub(super) fn rain_series(store: &dyn Store) -> i64 {
    import_registry(store);
    store
        .upsert_stations(
            &[station("S1", Domain::Hydromet)],
            &[Some("01".into())],
            0,
            &tocsin_core::change::Actor::Node,
        )
        .unwrap();
    store.series_catalog().unwrap()[0].series
}

fn observed(series: i64, time_ms: i64, value: f64) -> Observation {
    Observation {
        series,
        time_ms,
        issued_ms: 0,
        value,
    }
}

fn append(store: &dyn Store, observations: &[Observation]) -> AppendOutcome {
    let batch = Batch {
        actor: &Actor::Node,
        observations,
    };
    store.append(&[batch], 1).unwrap().remove(0)
}

fn province(code: &str) -> RegionFilter {
    RegionFilter {
        root: FilterRoot::Province(code.into()),
        domains: Vec::new(),
    }
}

pub fn an_observation_is_stored_once_and_a_correction_is_a_new_version(store: &dyn Store) {
    let series = rain_series(store);
    let first = append(
        store,
        &[
            observed(series, HOUR_MS, 1.0),
            observed(series, 2 * HOUR_MS, 2.0),
        ],
    );
    assert_eq!(
        (first.stored, first.duplicates, first.fresh),
        (2, 0, vec![true, true])
    );
    let again = append(store, &[observed(series, HOUR_MS, 1.0)]);
    assert_eq!(
        (again.stored, again.duplicates),
        (0, 1),
        "an exact repeat is not stored"
    );
    let corrected = append(store, &[observed(series, HOUR_MS, 1.5)]);
    assert_eq!(corrected.stored, 1);
    assert!(corrected.first_seq > first.first_seq);
    let versions = store.versions(series, HOUR_MS).unwrap();
    let values: Vec<f64> = versions.iter().map(|v| v.value).collect();
    assert_eq!(values.len(), 2, "{versions:?}");
    assert!(values.contains(&1.0) && values.contains(&1.5));
    assert_eq!(store.observation_count().unwrap(), 3);
    assert_eq!(store.newest_observed_ms().unwrap(), Some(2 * HOUR_MS));
    let current = store.observed_since(0).unwrap();
    assert_eq!(
        current,
        [(series, HOUR_MS, 1.5), (series, 2 * HOUR_MS, 2.0)]
    );
    assert_eq!(store.observed_for_series(&[series]).unwrap(), current);
}

pub fn values_are_aggregated_per_step_and_the_latest_is_read_within_the_filter(store: &dyn Store) {
    let series = rain_series(store);
    let minutes = |m: i64| m * 60_000;
    append(
        store,
        &[
            observed(series, minutes(0), 1.0),
            observed(series, minutes(30), 3.0),
            observed(series, minutes(60), 10.0),
        ],
    );
    let query = SeriesQuery {
        series,
        from_ms: 0,
        to_ms: 2 * HOUR_MS,
        step_ms: HOUR_MS,
        forecast: false,
    };
    let buckets = store.series_buckets(&query).unwrap();
    let shape: Vec<(i64, u64, f64, f64, f64)> = buckets
        .iter()
        .map(|b| (b.start_ms, b.count, b.sum, b.min, b.max))
        .collect();
    assert_eq!(
        shape,
        [(0, 2, 4.0, 1.0, 3.0), (HOUR_MS, 1, 10.0, 10.0, 10.0)]
    );
    let latest = store.latest(&province("01")).unwrap();
    assert_eq!(latest.len(), 1);
    assert_eq!(
        (
            latest[0].station.as_str(),
            latest[0].time_ms,
            latest[0].value
        ),
        ("S1", HOUR_MS, 10.0)
    );
    assert!(store.latest(&province("02")).unwrap().is_empty());
}

fn level(station: &str, province: &str, to_level: u8, time_ms: i64) -> Detection {
    Detection {
        station: station.into(),
        rule: "heavy_rain_24h".into(),
        hazard: "heavy_rain".into(),
        commune: None,
        province: Some(province.into()),
        from_level: 0,
        to_level,
        time_ms,
        value: 120.0,
        status: "verified".into(),
        certainty: "observed".into(),
        lead: None,
    }
}

pub fn a_level_change_is_stored_once_and_moves_the_current_level(store: &dyn Store) {
    rain_series(store);
    let raised = level("S1", "01", 2, HOUR_MS);
    assert_eq!(
        store
            .record_detections(std::slice::from_ref(&raised), 10)
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .record_detections(std::slice::from_ref(&raised), 20)
            .unwrap(),
        0,
        "a repeat"
    );
    assert_eq!(
        store.current_levels(&province("01")).unwrap(),
        std::slice::from_ref(&raised)
    );
    assert!(store.current_levels(&province("02")).unwrap().is_empty());
    let found = store
        .detections(&RegionFilter::all(), 0, 2 * HOUR_MS, 10)
        .unwrap();
    assert_eq!(found, std::slice::from_ref(&raised));
    assert!(
        store
            .detections(&province("02"), 0, 2 * HOUR_MS, 10)
            .unwrap()
            .is_empty()
    );
    let lowered = Detection {
        from_level: 2,
        to_level: 0,
        time_ms: 2 * HOUR_MS,
        ..raised
    };
    store
        .record_detections(std::slice::from_ref(&lowered), 30)
        .unwrap();
    assert!(
        store
            .current_levels(&RegionFilter::all())
            .unwrap()
            .is_empty()
    );
    let stored = store.stored_levels().unwrap();
    let reached: Vec<(&str, u8, i64)> = stored
        .iter()
        .map(|d| (d.station.as_str(), d.to_level, d.time_ms))
        .collect();
    assert_eq!(
        reached,
        [("S1", 0, lowered.time_ms)],
        "the level back at 0 is kept"
    );
    let paged = store
        .detections_after(&RegionFilter::all(), 0, 3 * HOUR_MS, 0, 1)
        .unwrap();
    assert_eq!(paged.len(), 1);
    let rest = store
        .detections_after(&RegionFilter::all(), 0, 3 * HOUR_MS, paged[0].0, 10)
        .unwrap();
    assert_eq!(rest.len(), 1, "the second page holds the other one");
}

pub fn an_observation_and_the_level_change_it_causes_are_stored_together(store: &dyn Store) {
    let series = rain_series(store);
    let observations = [observed(series, HOUR_MS, 150.0)];
    let batch = Batch {
        actor: &Actor::Node,
        observations: &observations,
    };
    let raised = level("S1", "01", 3, HOUR_MS);
    let mut detect = |outcomes: &[AppendOutcome]| {
        assert_eq!(outcomes[0].fresh, [true], "the detector sees what is new");
        vec![raised.clone()]
    };
    let (outcomes, detections) = store.append_and_detect(&[batch], 1, &mut detect).unwrap();
    assert_eq!((outcomes[0].stored, detections), (1, vec![raised.clone()]));
    assert_eq!(
        store.current_levels(&RegionFilter::all()).unwrap(),
        [raised]
    );
    assert!(
        store
            .journal_entries(0, 10)
            .unwrap()
            .iter()
            .any(|e| matches!(e.event().unwrap().change, Change::LevelChanged { .. })),
        "the level change is journaled with the observation"
    );
}
