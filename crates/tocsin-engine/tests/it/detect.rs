//! Detection in the running engine: ingested observations raise stored detections, the
//! situation rolls them up, and a restart resumes the levels without repeating a detection,
//! records the level changes the store lacks and leaves every chain of changes unbroken.

use std::sync::Arc;
use tocsin_core::clock::ManualClock;
use tocsin_core::observation::ObservationInput;
use tocsin_core::station::{AttributeValue, Domain, MetricSpec, Station};
use tocsin_engine::access::Principal;
use tocsin_engine::{Engine, EngineOptions};

pub fn yen_bai_gauge() -> Station {
    let attributes = [
        ("bd1", 30.0),
        ("bd2", 31.0),
        ("bd3", 32.0),
        ("station_area", 1.0),
    ];
    Station {
        id: "SYN-YB-1".into(),
        name: "Yên Bái river gauge (synthetic)".into(),
        domain: Domain::Hydromet,
        lat: 21.705,
        lon: 104.87,
        commune: None,
        metrics: vec![MetricSpec {
            name: "water_level_m".into(),
            unit: "m".into(),
            min: 0.0,
            max: 100.0,
            interval_s: 3600,
        }],
        attributes: attributes
            .iter()
            .map(|(k, v)| (k.to_string(), AttributeValue::Number(*v)))
            .collect(),
        retired: None,
    }
}

pub fn open(dir: &std::path::Path, clock: Arc<ManualClock>) -> Engine {
    Engine::open(
        dir,
        &EngineOptions::new(tocsin_engine::Durability::Normal),
        clock,
    )
    .unwrap()
}

/// An engine with the registry imported and `station` registered.
pub fn engine_with_station(
    dir: &std::path::Path,
    options: &EngineOptions,
    clock: Arc<ManualClock>,
    station: Station,
) -> Engine {
    let engine = Engine::open(dir, options, clock).unwrap();
    engine
        .import_regions(&crate::shared_admin_dir(), &[])
        .unwrap();
    engine
        .upsert_stations(&Principal::local_admin(), vec![station])
        .unwrap();
    engine
}

/// Midnight of 9 September 2024 in Vietnam.
const START: &str = "2024-09-08T17:00:00Z";

/// Sends hourly water levels starting at 2024-09-09T00:00+07:00 + `first_hour`.
pub fn send(engine: &Engine, first_hour: i64, levels: &[f64]) {
    let start = START.parse::<jiff::Timestamp>().unwrap().as_second();
    let records = levels
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let time =
                jiff::Timestamp::from_second(start + (first_hour + i as i64) * 3600).unwrap();
            Ok(ObservationInput {
                station: Some("SYN-YB-1".into()),
                metric: Some("water_level_m".into()),
                time: Some(time.to_string()),
                value: Some(*v),
                ..Default::default()
            })
        })
        .collect();
    let report = crate::block_on(engine.ingest(&Principal::local_admin(), records, true)).unwrap();
    assert!(report.rejected.is_empty(), "{report:?}");
}

fn detections(engine: &Engine) -> Vec<String> {
    let found = engine
        .detections(&Principal::local_admin(), None, 0, i64::MAX, 100)
        .unwrap();
    let start = START.parse::<jiff::Timestamp>().unwrap().as_millisecond();
    found
        .iter()
        .rev()
        .filter(|d| d.certainty == "observed")
        .map(|d| {
            format!(
                "hour {} {} {}→{} at {}",
                (d.time_ms - start) / 3_600_000,
                d.rule,
                d.from_level,
                d.to_level,
                d.value
            )
        })
        .collect()
}

/// Waits until `n` detections are recorded (the writer commits them with their observations,
/// before answering, so the first look normally finds them).
pub fn wait_for(engine: &Engine, n: usize) -> Vec<String> {
    for _ in 0..200 {
        let found = detections(engine);
        if found.len() >= n {
            return found;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    detections(engine)
}

#[test]
fn ingest_raises_detections_and_restarts_resume() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let options = EngineOptions::new(tocsin_engine::Durability::Normal);
    let engine = engine_with_station(dir.path(), &options, clock.clone(), yen_bai_gauge());
    send(&engine, 0, &[29.0, 30.2, 31.5, 32.4, 33.2, 33.98]);
    let expected = [
        "hour 1 river_flood 0→1 at 30.2",
        "hour 3 river_flood 1→2 at 32.4",
        "hour 4 river_flood 2→3 at 33.2",
    ];
    assert_eq!(wait_for(&engine, 3), expected);
    let forecasts = engine
        .detections(&Principal::local_admin(), None, 0, i64::MAX, 100)
        .unwrap();
    let forecast = forecasts
        .iter()
        .find(|d| d.certainty == "likely" && d.to_level == 3)
        .unwrap();
    assert!(
        forecast.lead.unwrap().expected_s > 0,
        "the trend announced level 3 ahead: {forecast:?}"
    );
    let situation = engine.situation(&Principal::local_admin(), None).unwrap();
    let province = engine
        .locate(&Principal::local_admin(), 21.705, 104.87)
        .unwrap()
        .parent
        .unwrap();
    assert_eq!(
        (
            situation.max_level,
            situation.communes_per_level,
            situation.provinces.get(&province)
        ),
        (3, [0, 0, 1, 0, 0], Some(&3))
    );
    drop(engine);

    let engine = open(dir.path(), clock);
    send(&engine, 6, &[33.9, 32.5]);
    let after = wait_for(&engine, 4);
    assert_eq!(after[..3], expected, "nothing repeated after the restart");
    assert_eq!(
        after[3..],
        ["hour 7 river_flood 3→2 at 32.5"],
        "the level resumed at 3 and dropped once"
    );
}

/// Stores hourly water levels as `send` times them, straight into the store without evaluating
/// them — as a node of an older version did when it was killed before storing their detections.
fn store_unevaluated(engine: &Engine, first_hour: i64, levels: &[f64]) {
    let series = engine
        .store()
        .series_catalog()
        .unwrap()
        .into_iter()
        .find(|s| s.station == "SYN-YB-1" && s.metric == "water_level_m")
        .unwrap()
        .series;
    let start = START.parse::<jiff::Timestamp>().unwrap().as_millisecond();
    let observations: Vec<tocsin_core::observation::Observation> = levels
        .iter()
        .enumerate()
        .map(|(i, &value)| tocsin_core::observation::Observation {
            series,
            time_ms: start + (first_hour + i as i64) * 3_600_000,
            issued_ms: 0,
            value,
        })
        .collect();
    let batch = tocsin_store::Batch {
        actor: &tocsin_core::change::Actor::Node,
        observations: &observations,
    };
    engine.store().append(&[batch], 0).unwrap();
}

/// Stores river-flood level changes `(hour, from, to)` as a live evaluation recorded them.
fn store_changes(engine: &Engine, changes: &[(i64, u8, u8)]) {
    let start = START.parse::<jiff::Timestamp>().unwrap().as_millisecond();
    let detections: Vec<tocsin_engine::Detection> = changes
        .iter()
        .map(|&(hour, from_level, to_level)| tocsin_engine::Detection {
            station: "SYN-YB-1".into(),
            rule: "river_flood".into(),
            hazard: "river_flood".into(),
            commune: None,
            province: None,
            from_level,
            to_level,
            time_ms: start + hour * 3_600_000,
            value: 0.0,
            status: "verified".into(),
            certainty: "observed".into(),
            lead: None,
        })
        .collect();
    engine.store().record_detections(&detections, 0).unwrap();
}

/// Per rule, each stored change starts from the level the one before it reached.
fn chains_hold(engine: &Engine) -> bool {
    let mut found = engine
        .detections(&Principal::local_admin(), None, 0, i64::MAX, 1000)
        .unwrap();
    found.reverse();
    let mut levels = std::collections::HashMap::new();
    found.iter().all(|d| {
        let key = (d.rule.clone(), d.certainty.clone());
        levels.insert(key, d.to_level).unwrap_or(0) == d.from_level
    })
}

#[test]
fn a_restart_records_the_level_changes_the_store_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let options = EngineOptions::new(tocsin_engine::Durability::Normal);
    let engine = engine_with_station(dir.path(), &options, clock.clone(), yen_bai_gauge());
    // The rise to 1 was stored with its observations; those of the rises to 2 and 3 were not.
    store_unevaluated(&engine, 0, &[29.0, 30.2, 31.5, 32.4, 33.2, 33.98]);
    store_changes(&engine, &[(1, 0, 1)]);
    drop(engine);

    let engine = open(dir.path(), clock);
    let recorded = [
        "hour 1 river_flood 0→1 at 0",
        "hour 3 river_flood 1→2 at 32.4",
        "hour 4 river_flood 2→3 at 33.2",
    ];
    assert_eq!(
        detections(&engine),
        recorded,
        "the rest recorded at the restart"
    );
    let situation = engine.situation(&Principal::local_admin(), None).unwrap();
    assert_eq!(situation.max_level, 3, "{situation:?}");
    send(&engine, 6, &[33.9, 32.5]);
    let after = wait_for(&engine, 4);
    assert_eq!(after[..3], recorded, "nothing repeated");
    assert_eq!(after[3..], ["hour 7 river_flood 3→2 at 32.5"]);
    assert!(chains_hold(&engine), "{after:?}");
}

#[test]
fn a_restart_resumes_a_level_the_store_saw_fall() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let options = EngineOptions::new(tocsin_engine::Durability::Normal);
    let engine = engine_with_station(dir.path(), &options, clock.clone(), yen_bai_gauge());
    // A replay from nothing ends at level 2, but the live evaluation had seen the level fall
    // back to 0 by hour 2: the stored 0 is what the evaluation resumes.
    store_unevaluated(&engine, 0, &[29.0, 30.2, 31.5]);
    store_changes(&engine, &[(1, 0, 1), (2, 1, 0)]);
    drop(engine);

    let engine = open(dir.path(), clock);
    send(&engine, 3, &[31.6]);
    let after = wait_for(&engine, 3);
    assert_eq!(
        after,
        [
            "hour 1 river_flood 0→1 at 0",
            "hour 2 river_flood 1→0 at 0",
            "hour 3 river_flood 0→1 at 31.6",
        ]
    );
    assert!(chains_hold(&engine), "{after:?}");
}

#[test]
fn a_silent_station_raises_a_data_gap_until_it_reports_again() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2024-09-08T18:00:00Z".parse().unwrap()));
    let engine = open(dir.path(), clock.clone());
    engine
        .upsert_stations(&Principal::local_admin(), vec![yen_bai_gauge()])
        .unwrap();
    assert!(
        engine.check_data_gaps().unwrap().is_empty(),
        "a station that never reported is not judged"
    );
    send(&engine, 0, &[29.0]);
    clock.set("2024-09-08T20:00:00Z".parse().unwrap());
    assert!(
        engine.check_data_gaps().unwrap().is_empty(),
        "3 hours after its report it is still within 3 intervals"
    );
    clock.set("2024-09-08T20:00:01Z".parse().unwrap());
    let raised = engine.check_data_gaps().unwrap();
    assert_eq!(
        (raised.len(), raised[0].to_level, raised[0].value),
        (1, 1, 10801.0)
    );
    assert!(engine.check_data_gaps().unwrap().is_empty(), "raised once");
    let situation = engine.situation(&Principal::local_admin(), None).unwrap();
    assert_eq!(
        (situation.max_level, situation.silent_stations.len()),
        (0, 1),
        "silence is shown, not taken for a level"
    );
    clock.set("2024-09-09T02:30:00Z".parse().unwrap());
    send(&engine, 9, &[29.1]);
    let cleared = engine.check_data_gaps().unwrap();
    assert_eq!(
        (cleared.len(), cleared[0].from_level, cleared[0].to_level),
        (1, 1, 0)
    );
}

#[test]
fn backtests_score_rules_against_real_events() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let engine = open(dir.path(), clock);
    engine
        .upsert_stations(&Principal::local_admin(), vec![yen_bai_gauge()])
        .unwrap();
    send(
        &engine,
        0,
        &[
            29.0, 30.2, 31.5, 32.4, 33.2, 33.98, 33.0, 32.0, 30.5, 29.0, 28.0,
        ],
    );
    send(&engine, 20, &[30.5, 30.6, 29.0, 28.0]);
    let at = |hour: i64| {
        jiff::Timestamp::from_second(
            START.parse::<jiff::Timestamp>().unwrap().as_second() + hour * 3600,
        )
        .unwrap()
    };
    let truth = format!(
        "hazard,place,start,end,min_level\nriver_flood,SYN-YB-1,{},{},2\nriver_flood,SYN-OTHER,{},{},1\n",
        at(3),
        at(8),
        at(30),
        at(31)
    );
    let truth = tocsin_engine::backtest::read_truth(truth.as_bytes()).unwrap();
    let scores = engine
        .backtest(
            None,
            at(0).as_millisecond(),
            at(48).as_millisecond(),
            &truth,
        )
        .unwrap();
    let flood = scores.iter().find(|s| s.rule == "river_flood").unwrap();
    assert_eq!(
        (flood.hits, flood.misses, flood.false_alarms),
        (1, 1, 1),
        "the second rise reached only level 1: a false alarm"
    );
    assert_eq!((flood.pod, flood.far), (Some(0.5), Some(0.5)));
    assert!((flood.csi.unwrap() - 1.0 / 3.0).abs() < 1e-12);
    assert_eq!(
        flood.median_lead_s,
        Some(2 * 3600),
        "level 1 came 2 hours before the event"
    );
    let rain = scores.iter().find(|s| s.rule == "heavy_rain_24h").unwrap();
    assert_eq!(
        (rain.hits, rain.misses, rain.false_alarms, rain.pod),
        (0, 0, 0, None)
    );
}

#[test]
fn truth_files_are_checked() {
    for (text, expected) in [
        (
            "hazard,place,start\n",
            "truth header lacks the column \"end\"",
        ),
        (
            "hazard,place,start,end\nflood,X,2024-09-09T00:00:00Z,2024-09-08T00:00:00Z\n",
            "truth row 2: end: before start",
        ),
        (
            "hazard,place,start,end,min_level\nflood,X,2024-09-09T00:00:00Z,2024-09-10T00:00:00Z,9\n",
            "truth row 2: min_level: \"9\" is not 1 to 5",
        ),
        (
            "hazard,place,start,end\nflood,X,yesterday,2024-09-10T00:00:00Z\n",
            "truth row 2: start: \"yesterday\" is not an RFC 3339 time",
        ),
    ] {
        let error = tocsin_engine::backtest::read_truth(text.as_bytes()).unwrap_err();
        assert!(error.starts_with(expected), "{error}");
    }
}

#[test]
fn replaying_the_same_data_gives_the_same_detections() {
    let run = || {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
        let engine = open(dir.path(), clock);
        engine
            .upsert_stations(&Principal::local_admin(), vec![yen_bai_gauge()])
            .unwrap();
        let levels: Vec<f64> = (0..48)
            .map(|h| 29.0 + 4.0 * ((h as f64) / 8.0).sin())
            .collect();
        send(&engine, 0, &levels);
        let mut found = Vec::new();
        for _ in 0..100 {
            found = engine
                .detections(&Principal::local_admin(), None, 0, i64::MAX, 1000)
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(20));
            if found
                == engine
                    .detections(&Principal::local_admin(), None, 0, i64::MAX, 1000)
                    .unwrap()
            {
                break;
            }
        }
        found
    };
    let (first, second) = (run(), run());
    assert!(first.len() > 4, "{first:?}");
    assert_eq!(first, second);
}

fn series_row(series: i64, station: &Station, metric: &str) -> tocsin_store::SeriesRow {
    tocsin_store::SeriesRow {
        series,
        station: station.id.clone(),
        metric: metric.into(),
        unit: String::new(),
        min: 0.0,
        max: 1000.0,
        station_active: true,
        province: None,
        domain: Domain::Hydromet,
    }
}

#[test]
fn a_batch_evaluated_station_by_station_gives_the_detections_of_arrival_order() {
    use tocsin_core::observation::Observation;
    use tocsin_engine::detect::Detector;
    let river = yen_bai_gauge();
    let mut rain = yen_bai_gauge();
    rain.id = "SYN-RAIN-1".into();
    let stations = [river.clone(), rain.clone()];
    let rows = [
        series_row(1, &river, "water_level_m"),
        series_row(2, &rain, "rain_mm"),
        series_row(3, &rain, "wind_ms"),
    ];
    // Two days of ten-minute readings, every series in turn at each step (arrival order).
    let mut arrivals = Vec::new();
    for step in 0..288i64 {
        let hours = step as f64 / 6.0;
        for (series, value) in [
            (1, 28.0 + hours * 0.12),
            (2, if step % 144 < 72 { 4.0 } else { 0.5 }),
            (3, 5.0 + (hours * 0.9) % 30.0),
        ] {
            arrivals.push(Observation {
                series,
                time_ms: 1_725_800_000_000 + step * 600_000,
                issued_ms: 0,
                value,
            });
        }
    }
    let catalog = tocsin_engine::catalog::builtin().unwrap();
    let mut one_by_one = Detector::new(catalog.clone());
    one_by_one.sync(&stations, &rows);
    for observation in &arrivals {
        one_by_one.observe(observation);
    }
    let mut batched = Detector::new(catalog);
    batched.sync(&stations, &rows);
    for hour in arrivals.chunks(18) {
        batched.observe_batch(hour);
    }
    let key = |d: &tocsin_store::Detection| (d.station.clone(), d.rule.clone(), d.time_ms);
    let mut expected = one_by_one.take_detections();
    let mut got = batched.take_detections();
    expected.sort_by_key(key);
    got.sort_by_key(key);
    assert!(expected.len() >= 4, "{expected:#?}");
    assert_eq!(got, expected);
}

fn rain_gauge() -> Station {
    let mut gauge = yen_bai_gauge();
    gauge.id = "SYN-RAIN-FC".into();
    gauge.metrics[0].name = "rain_mm".into();
    gauge.metrics[0].unit = "mm".into();
    gauge.metrics[0].max = 500.0;
    gauge.attributes = [(
        "terrain".to_string(),
        AttributeValue::Text("midland_mountain".into()),
    )]
    .into();
    gauge
}

/// One forecast issue's hourly rain for the next 24 hours (`first` for the first hour).
fn rain_forecast(engine: &Engine, issued: &str, first: f64, hours: usize) {
    let issued_at: jiff::Timestamp = issued.parse().unwrap();
    let records = (1..=hours)
        .map(|h| {
            Ok(ObservationInput {
                station: Some("SYN-RAIN-FC".into()),
                metric: Some("rain_mm".into()),
                time: Some((issued_at + jiff::SignedDuration::from_hours(h as i64)).to_string()),
                value: Some(if h == 1 { first } else { 10.0 }),
                kind: Some("forecast".into()),
                issued: Some(issued.into()),
                ..Default::default()
            })
        })
        .collect();
    let report = crate::block_on(engine.ingest(&Principal::local_admin(), records, true)).unwrap();
    assert!(report.rejected.is_empty(), "{report:?}");
}

/// The highest level the forecast rule has reached.
fn forecast_level(engine: &Engine) -> u8 {
    engine
        .detections(&Principal::local_admin(), None, 0, i64::MAX, 100)
        .unwrap()
        .iter()
        .filter(|d| d.rule == "heavy_rain_forecast")
        .map(|d| d.to_level)
        .max()
        .unwrap_or(0)
}

/// Waits until the writer thread has recorded the forecast rule at `level`.
fn wait_for_forecast_level(engine: &Engine, level: u8) -> u8 {
    for _ in 0..200 {
        if forecast_level(engine) >= level {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    forecast_level(engine)
}

#[test]
fn forecast_curves_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let options = EngineOptions::new(tocsin_engine::Durability::Normal);
    let engine = engine_with_station(dir.path(), &options, clock.clone(), rain_gauge());
    // 24 hours of 10 mm forecast: 240 mm, level 2.
    let issued = "2026-11-22T00:00:00Z";
    rain_forecast(&engine, issued, 10.0, 24);
    assert_eq!(wait_for_forecast_level(&engine, 2), 2);
    drop(engine);

    // After the restart the same issue's first hour is corrected to 200 mm: with the issue's
    // other 23 hours remembered, 430 mm — level 3 in the mountains; without them 200 mm.
    let engine = open(dir.path(), clock);
    rain_forecast(&engine, issued, 200.0, 1);
    assert_eq!(wait_for_forecast_level(&engine, 3), 3);
}
