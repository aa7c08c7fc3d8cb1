//! The default catalogue against the official tables (../shared/data/vn/rules), at each band
//! edge: one station per case, observations in, the rule's level out.

use std::collections::BTreeMap;
use tocsin_core::evaluate::{Evaluator, StationContext};
use tocsin_core::station::{AttributeValue, Domain};

const TEN_MINUTES: i64 = 600;
const DAY: i64 = 86_400;

fn attributes(pairs: &[(&str, AttributeValue)]) -> BTreeMap<String, AttributeValue> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn n(value: f64) -> AttributeValue {
    AttributeValue::Number(value)
}

fn t(text: &str) -> AttributeValue {
    AttributeValue::Text(text.into())
}

/// The level of `rule` after `metric` reports `value` every ten minutes for `for_s` seconds.
fn level(rule: &str, metric: &str, attrs: &[(&str, AttributeValue)], value: f64, for_s: i64) -> u8 {
    level_in(&[], rule, metric, attrs, value, for_s)
}

/// [`level`] at a station lying in the catalogue zones `zones`.
fn level_in(
    zones: &[&str],
    rule: &str,
    metric: &str,
    attrs: &[(&str, AttributeValue)],
    value: f64,
    for_s: i64,
) -> u8 {
    let catalog = tocsin_engine::catalog::builtin().unwrap();
    let rule = catalog.rule_index(rule).unwrap();
    let mut evaluator = Evaluator::new(catalog, 3600);
    let station = evaluator.add_station(StationContext {
        domain: Domain::Hydromet,
        attributes: attributes(attrs),
        zones: zones.iter().map(|z| z.to_string()).collect(),
        ..Default::default()
    });
    let series = evaluator.series(station, metric).unwrap();
    let mut changes = Vec::new();
    for step in 0..=for_s / TEN_MINUTES {
        evaluator.observe(series, step * TEN_MINUTES, value, &mut changes);
    }
    evaluator.level(station, rule)
}

/// The level of a rain rule after one report of `mm`.
fn rain(rule: &str, mm: f64) -> u8 {
    level(rule, "rain_mm", &[], mm, 0)
}

#[test]
fn builtin_catalogue_is_valid() {
    let catalog = tocsin_engine::catalog::builtin().unwrap_or_else(|p| panic!("{p:?}"));
    let ids: Vec<&str> = catalog.rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "air_quality_hourly",
            "flash_flood_mountains",
            "flash_flood_midlands",
            "heat_wave",
            "heavy_rain_24h",
            "heavy_rain_12h",
            "heavy_rain_forecast",
            "river_flood",
            "river_flood_forecast",
            "saltwater_intrusion",
            "storm_land_nam_bo",
            "storm_land_north_central",
            "storm_land_highlands",
            "storm_sea"
        ]
    );
}

#[test]
fn heavy_rain_art44() {
    for (mm, expected) in [
        (99.9, 0),
        (100.0, 1),
        (199.9, 1),
        (200.0, 2),
        (399.9, 2),
        (400.0, 2),
    ] {
        assert_eq!(rain("heavy_rain_24h", mm), expected, "{mm} mm in 24 h");
    }
    for (mm, expected) in [(49.9, 0), (50.0, 1), (99.9, 1), (100.0, 0)] {
        assert_eq!(rain("heavy_rain_12h", mm), expected, "{mm} mm in 12 h");
    }
    assert_eq!(
        level(
            "heavy_rain_24h",
            "rain_mm",
            &[("terrain", t("midland_mountain"))],
            400.0,
            0
        ),
        3
    );
    // 150 mm a day (about 1.04 mm every 10 minutes): level 1, level 2 once it has lasted 3 days.
    let per_step = 150.0 / 144.0;
    assert_eq!(
        level("heavy_rain_24h", "rain_mm", &[], per_step, 3 * DAY),
        1
    );
    assert_eq!(
        level(
            "heavy_rain_24h",
            "rain_mm",
            &[],
            per_step,
            4 * DAY + TEN_MINUTES
        ),
        2
    );
    // 250 mm a day for 3 days: level 3; 450 mm a day for 3 days: level 4.
    assert_eq!(
        level(
            "heavy_rain_24h",
            "rain_mm",
            &[],
            250.0 / 144.0,
            4 * DAY + TEN_MINUTES
        ),
        3
    );
    assert_eq!(
        level(
            "heavy_rain_24h",
            "rain_mm",
            &[],
            450.0 / 144.0,
            4 * DAY + TEN_MINUTES
        ),
        4
    );
}

#[test]
fn flash_flood_art46() {
    let in_zone = |zone: &str, rule: &str, mm: f64| level_in(&[zone], rule, "rain_mm", &[], mm, 0);
    // (zones, their rule, the other rule, level at 100 / 200 / 400 mm of rain in 24 hours)
    let tables = [
        (
            ["flash_flood_zone_1", "flash_flood_zone_2"],
            "flash_flood_mountains",
            "flash_flood_midlands",
            [2, 3, 4],
        ),
        (
            ["flash_flood_zone_3", "flash_flood_zone_4"],
            "flash_flood_midlands",
            "flash_flood_mountains",
            [1, 2, 3],
        ),
    ];
    for (zones, rule, other, [at_100, at_200, at_400]) in tables {
        for zone in zones {
            for (mm, expected) in [
                (99.9, 0),
                (100.0, at_100),
                (199.9, at_100),
                (200.0, at_200),
                (399.9, at_200),
                (400.0, at_400),
            ] {
                assert_eq!(in_zone(zone, rule, mm), expected, "{zone}, {mm} mm");
            }
            assert_eq!(in_zone(zone, other, 500.0), 0, "{zone}: not {other}'s zone");
        }
    }
    // Outside every Annex XII zone (the Mekong delta, Hà Nội) rain raises no flash-flood level.
    assert_eq!(rain("flash_flood_mountains", 500.0), 0);
    assert_eq!(rain("flash_flood_midlands", 500.0), 0);
}

#[test]
fn river_flood_art45() {
    let station = |area: f64| {
        vec![
            ("bd1", n(30.0)),
            ("bd2", n(31.0)),
            ("bd3", n(32.0)),
            ("historic", n(35.73)),
            ("station_area", n(area)),
        ]
    };
    let cases = [
        (
            1.0,
            [
                (29.99, 0),
                (30.0, 1),
                (31.0, 1),
                (32.0, 2),
                (32.99, 2),
                (33.0, 3),
                (33.98, 3),
            ],
        ),
        (
            2.0,
            [
                (29.99, 0),
                (30.0, 1),
                (31.0, 2),
                (32.0, 2),
                (32.99, 2),
                (33.0, 3),
                (33.98, 3),
            ],
        ),
        (
            3.0,
            [
                (29.99, 0),
                (30.0, 1),
                (31.0, 2),
                (31.99, 2),
                (32.0, 3),
                (33.0, 3),
                (35.0, 3),
            ],
        ),
        (
            4.0,
            [
                (29.99, 0),
                (30.0, 2),
                (31.0, 3),
                (32.29, 3),
                (32.3, 4),
                (35.73, 4),
                (35.74, 5),
            ],
        ),
    ];
    for (area, levels) in cases {
        for (metres, expected) in levels {
            assert_eq!(
                level("river_flood", "water_level_m", &station(area), metres, 0),
                expected,
                "{metres} m at a station of area {area}"
            );
        }
    }
    assert_eq!(
        level("river_flood", "water_level_m", &[], 40.0, 0),
        0,
        "no alarm levels, no flood level"
    );
}

#[test]
fn heat_qd44() {
    for (celsius, days, expected) in [
        (38.9, 12, 0),
        (39.0, 5, 0),
        (39.0, 6, 1),
        (39.5, 11, 2),
        (40.5, 2, 0),
        (40.5, 3, 1),
        (40.5, 6, 2),
        (40.5, 11, 3),
    ] {
        assert_eq!(
            level("heat_wave", "temp_c", &[], celsius, days * DAY),
            expected,
            "{celsius} °C for {days} days"
        );
    }
}

#[test]
fn saltwater_intrusion() {
    let north = [("salinity_region", t("north_central"))];
    let south = [("salinity_region", t("south"))];
    for (km, expected) in [(14.9, 0), (15.0, 1), (25.0, 2), (49.9, 2), (50.0, 3)] {
        assert_eq!(
            level("saltwater_intrusion", "salinity_front_km", &north, km, 0),
            expected,
            "north-central {km} km"
        );
    }
    for (km, expected) in [(24.9, 0), (25.0, 1), (50.0, 2), (89.9, 2), (90.0, 3)] {
        assert_eq!(
            level("saltwater_intrusion", "salinity_front_km", &south, km, 0),
            expected,
            "south {km} km"
        );
    }
}

/// The hourly VN_AQI after PM2.5 stays at `ugm3` for three hours.
fn aqi_level(ugm3: f64) -> (f64, u8) {
    let catalog = tocsin_engine::catalog::builtin().unwrap();
    let (rule, aqi) = (
        catalog.rule_index("air_quality_hourly").unwrap(),
        catalog.indicator_index("vn_aqi_hourly").unwrap(),
    );
    let mut evaluator = Evaluator::new(catalog, 3600);
    let station = evaluator.add_station(StationContext {
        domain: Domain::Air,
        attributes: BTreeMap::new(),
        ..Default::default()
    });
    let series = evaluator.series(station, "pm25_ugm3").unwrap();
    let mut changes = Vec::new();
    for step in 0..=18 {
        evaluator.observe(series, step * TEN_MINUTES, ugm3, &mut changes);
    }
    (
        evaluator.value(station, aqi).unwrap(),
        evaluator.level(station, rule),
    )
}

#[test]
fn vn_aqi_qd1459() {
    // The worked example of QĐ 1459: a PM2.5 NowCast of 20.3 µg/m³ gives AQI 41.
    assert_eq!(aqi_level(20.3).0, 41.0);
    for (ugm3, aqi, level) in [
        (0.0, 0.0, 0),
        (25.0, 50.0, 0),
        (50.0, 100.0, 0),
        (50.5, 101.0, 1),
        (80.0, 150.0, 1),
        (81.0, 151.0, 2),
        (150.0, 200.0, 2),
        (150.5, 201.0, 3),
        (250.0, 300.0, 3),
        (250.5, 301.0, 4),
        (500.0, 500.0, 4),
        (900.0, 500.0, 4),
    ] {
        assert_eq!(aqi_level(ugm3), (aqi, level), "PM2.5 {ugm3} µg/m³");
    }
}

#[test]
fn beaufort_force() {
    let catalog = tocsin_engine::catalog::builtin().unwrap();
    let force = catalog.indicator_index("wind_force").unwrap();
    for (ms, expected) in [
        (0.2, 0.0),
        (10.7, 5.0),
        (10.8, 6.0),
        (13.8, 6.0),
        (17.2, 8.0),
        (32.7, 12.0),
        (51.0, 16.0),
        (61.2, 17.0),
        (70.0, 17.0),
    ] {
        let mut evaluator = Evaluator::new(catalog.clone(), 3600);
        let station = evaluator.add_station(StationContext {
            domain: Domain::Hydromet,
            attributes: BTreeMap::new(),
            ..Default::default()
        });
        let series = evaluator.series(station, "wind_ms").unwrap();
        evaluator.observe(series, 0, ms, &mut Vec::new());
        assert_eq!(evaluator.value(station, force), Some(expected), "{ms} m/s");
    }
}

#[test]
fn river_trends_forecast_the_coming_level() {
    let catalog = tocsin_engine::catalog::builtin().unwrap();
    let mut evaluator = Evaluator::new(catalog, 3600);
    let attrs = attributes(&[
        ("bd1", n(30.0)),
        ("bd2", n(31.0)),
        ("bd3", n(32.0)),
        ("station_area", n(1.0)),
    ]);
    let station = evaluator.add_station(StationContext {
        domain: Domain::Hydromet,
        attributes: attrs,
        ..Default::default()
    });
    let series = evaluator.series(station, "water_level_m").unwrap();
    let mut changes = Vec::new();
    for hour in 0..=11 {
        evaluator.observe(series, hour * 3600, 28.0 + 0.5 * hour as f64, &mut changes);
    }
    let got: Vec<String> = changes
        .iter()
        .map(|c| match c.forecast {
            None => format!("h{} observed {}→{}", c.time_s / 3600, c.from, c.to),
            Some(f) => format!(
                "h{} likely {}→{} in {:?} h",
                c.time_s / 3600,
                c.from,
                c.to,
                f.crossing.map(|x| x.lead_s / 3600)
            ),
        })
        .collect();
    assert_eq!(
        got,
        [
            "h2 likely 0→3 in Some(8) h",
            "h4 observed 0→1",
            "h8 observed 1→2",
            "h10 observed 2→3",
            "h10 likely 3→0 in None h"
        ],
        "rising 0.5 m an hour from 28 m: level 3 (BĐ3 + 1 m = 33 m) is forecast 8 hours ahead"
    );
}

#[test]
fn forecast_rainfall_raises_a_likely_level_with_its_lead() {
    let catalog = tocsin_engine::catalog::builtin().unwrap();
    let rule = catalog.rule_index("heavy_rain_forecast").unwrap();
    let mut evaluator = Evaluator::new(catalog, 3600);
    let station = evaluator.add_station(StationContext {
        domain: Domain::Hydromet,
        attributes: BTreeMap::new(),
        ..Default::default()
    });
    let series = evaluator.series(station, "rain_mm").unwrap();
    let mut changes = Vec::new();
    for hour in 1..=6 {
        evaluator.observe_forecast(series, 0, hour * 3600, 20.0, &mut changes);
    }
    let forecast: Vec<String> = changes
        .iter()
        .filter(|c| c.rule == rule)
        .map(|c| {
            format!(
                "{}→{} lead {:?}",
                c.from,
                c.to,
                c.forecast.and_then(|f| f.crossing).map(|x| x.lead_s / 3600)
            )
        })
        .collect();
    assert_eq!(
        forecast,
        ["0→1 lead Some(5)"],
        "120 mm forecast for the next 6 hours reaches 100 mm in the fifth"
    );
    assert_eq!(evaluator.level(station, rule), 1);
    changes.clear();
    evaluator.observe_forecast(series, 3 * 3600, 4 * 3600, 5.0, &mut changes);
    assert_eq!(
        evaluator.level(station, rule),
        0,
        "a newer issue with 5 mm replaces the old one"
    );
}
