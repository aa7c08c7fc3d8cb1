//! Outbreak signals in the running engine: Hà Nội's monthly dengue counts (GDPM, 1998–2017)
//! reported month by month raise the same alarms as Farrington flexible run on the whole
//! series, including the 2017 epidemic.

use crate::{block_on, registry};
use tocsin_core::observation::ObservationInput;
use tocsin_core::outbreak::{Method, Range, Series};
use tocsin_core::station::{Domain, MetricSpec, Station};
use tocsin_engine::access::Principal;
use tocsin_engine::drill::scenario::MONTHS;

/// Hà Nội's monthly dengue cases from `first_year`, in time order.
fn hanoi_dengue(first_year: i32) -> Vec<(i32, usize, f64)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/vn/events/gdpm_dengue_monthly_by_province.csv");
    let mut reader = csv::Reader::from_path(path).unwrap();
    let mut rows: Vec<(i32, usize, f64)> = reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[1] == "Ha Noi" && r[2].parse::<i32>().unwrap() >= first_year)
        .map(|r| {
            (
                r[2].parse().unwrap(),
                MONTHS.iter().position(|m| *m == &r[3]).unwrap() + 1,
                r[4].parse().unwrap(),
            )
        })
        .collect();
    rows.sort_by_key(|&(y, m, _)| (y, m));
    rows
}

fn health_centre() -> Station {
    Station {
        id: "SYN-HC-HN".into(),
        name: "Hà Nội disease surveillance unit (synthetic)".into(),
        domain: Domain::Health,
        lat: 21.03853,
        lon: 105.83806,
        commune: Some("00004".into()),
        metrics: vec![MetricSpec {
            name: "dengue_cases".into(),
            unit: "count".into(),
            min: 0.0,
            max: 1e6,
            interval_s: 31 * 86_400,
        }],
        attributes: Default::default(),
        retired: None,
    }
}

#[test]
fn monthly_dengue_reports_raise_the_alarms_of_farrington_flexible() {
    let engine = &registry().engine;
    let admin = Principal::local_admin();
    engine
        .upsert_stations(&admin, vec![health_centre()])
        .unwrap();
    let months = hanoi_dengue(1998);
    for &(year, month, cases) in &months {
        let record = ObservationInput {
            station: Some("SYN-HC-HN".into()),
            metric: Some("dengue_cases".into()),
            time: Some(format!("{year}-{month:02}-01T00:00:00+07:00")),
            value: Some(cases),
            ..Default::default()
        };
        let report = block_on(engine.ingest(&admin, vec![Ok(record)], true)).unwrap();
        assert_eq!(report.accepted, 1, "{report:?}");
    }
    let mut found = Vec::new();
    for _ in 0..200 {
        found = engine.detections(&admin, None, 0, i64::MAX, 1000).unwrap();
        found.retain(|d| d.rule == "dengue_outbreak");
        if !found.is_empty() {
            std::thread::sleep(std::time::Duration::from_millis(50));
            found = engine
                .detections(&admin, None, 0, i64::MAX, 1000)
                .unwrap()
                .into_iter()
                .filter(|d| d.rule == "dengue_outbreak")
                .collect();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let month_of = |ms: i64| {
        let date = jiff::tz::Offset::constant(7)
            .to_datetime(jiff::Timestamp::from_millisecond(ms).unwrap())
            .date();
        format!("{}-{:02}", date.year(), date.month())
    };
    let engine_changes: Vec<String> = found
        .iter()
        .rev()
        .map(|d| format!("{} {}→{}", month_of(d.time_ms), d.from_level, d.to_level))
        .collect();

    let series = Series {
        observed: months.iter().map(|m| Some(m.2)).collect(),
        frequency: 12,
    };
    let method = Method::new("farrington-flexible", &[]).unwrap();
    let judged = method
        .detect(
            &series,
            Range {
                first: 5 * 12 + 4,
                last: months.len(),
            },
        )
        .unwrap();
    let mut expected = Vec::new();
    let mut level = 0;
    for d in &judged {
        let to = if d.alarm == Some(true) { 1 } else { 0 };
        if d.alarm.is_some() && to != level {
            let (year, month, _) = months[d.t - 1];
            expected.push(format!("{year}-{month:02} {level}→{to}"));
            level = to;
        }
    }
    assert_eq!(engine_changes, expected);
    assert!(
        expected
            .iter()
            .any(|c| c.starts_with("2017-") && c.ends_with("0→1")),
        "the 2017 epidemic is signalled: {expected:?}"
    );
}
