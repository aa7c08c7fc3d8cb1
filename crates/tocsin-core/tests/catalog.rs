//! The rule catalogue: problems named with file, item and key; streaming evaluation scenarios
//! written as observations in, level changes out.

use std::collections::BTreeMap;
use tocsin_core::catalog::{CatalogFile, check};
use tocsin_core::evaluate::{Evaluator, StationContext};
use tocsin_core::station::{AttributeValue, Domain};

fn parse(text: &str) -> CatalogFile {
    toml::from_str(text).unwrap()
}

/// Checks a one-file catalogue and renders its problems, one per line.
fn problems(text: &str) -> String {
    match check(&[("test.toml".to_string(), parse(text))]) {
        Ok(_) => "ok".into(),
        Err(problems) => problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

const METRICS: &str = r#"
[[metric]]
name = "rain_mm"
unit = "mm"
[[metric]]
name = "water_level"
unit = "m"
[[hazard]]
id = "heavy_rain"
name_vi = "Mưa lớn"
name_en = "Heavy rain"
[[hazard]]
id = "river_flood"
name_vi = "Lũ trên sông"
name_en = "River flood"
[[hazard]]
id = "flash_flood"
name_vi = "Lũ quét"
name_en = "Flash flood"
"#;

#[test]
fn bad_catalogues_are_rejected_with_the_place_named() {
    let unknown_metric = r#"
[[indicator]]
id = "rain_24h"
metric = "rainfall"
aggregate = "sum"
window = "24h"
"#;
    assert_eq!(
        problems(unknown_metric),
        "test.toml: indicator rain_24h: metric: unknown metric \"rainfall\" (declare it in a [[metric]] table)"
    );

    let overlapping = format!(
        "{METRICS}{}",
        r#"
[[indicator]]
id = "rain_24h"
metric = "rain_mm"
aggregate = "sum"
window = "24h"
[[rule]]
id = "heavy_rain"
hazard = "heavy_rain"
name_vi = "Mưa lớn"
name_en = "Heavy rain"
indicator = "rain_24h"
source = "test"
status = "verified"
cap = { category = "Met", event_vi = "x", event_en = "x", headline_vi = "x {level}", headline_en = "x {level}", instruction_vi = "x", instruction_en = "x" }
level = [ { level = 1, min = 100, max = 200 }, { level = 2, min = 150, max = 400 }, { level = 3, min = 50 } ]
"#
    );
    assert_eq!(
        problems(&overlapping),
        "test.toml: rule heavy_rain: level[1]: level 2 (from 150) overlaps level 1 (level[0], 100 to 200)\n\
         test.toml: rule heavy_rain: level[2]: level 3 starts at 50 below level 1 (level[0]) at 100: bands must rise with the level\n\
         test.toml: rule heavy_rain: level[2]: level 3 starts at 50 below level 2 (level[1]) at 150: bands must rise with the level"
    );

    let cycle = format!(
        "{METRICS}{}",
        r#"
[[indicator]]
id = "a"
inputs = ["b"]
combine = "max"
[[indicator]]
id = "b"
inputs = ["a"]
combine = "max"
[[indicator]]
id = "c"
metric = "rain_mm"
aggregate = "sum"
window = "tomorrow"
[[rule]]
id = "r"
hazard = "x"
name_vi = "x"
name_en = "x"
indicator = "nowhere"
source = "test"
status = "memory"
cap = { category = "Weather", event_vi = "x", event_en = "x", headline_vi = "x {lvl}", headline_en = "x {level}", instruction_vi = "x", instruction_en = "x" }
level = [ { level = 6, min = 1, max = 0 } ]
"#
    );
    assert_eq!(
        problems(&cycle),
        "test.toml: indicator c: window: \"tomorrow\" is not a duration like 10m, 1h, 24h or 3d\n\
         test.toml: indicator b: inputs: cycle between derived indicators: a → b → a\n\
         test.toml: rule r: indicator: unknown indicator \"nowhere\"\n\
         test.toml: rule r: cap.category: \"Weather\" is not a CAP category (Geo, Met, Safety, Security, Rescue, Fire, Health, Env, Transport, Infra, CBRNE, Other)\n\
         test.toml: rule r: cap.headline_vi: unknown placeholder {lvl} (known: place, level, value, unit, station, time)\n\
         test.toml: rule r: level[0]: level 6 is not 1 to 5\n\
         test.toml: rule r: level[0]: min 1 is not below max 0\n\
         test.toml: rule r: hazard: hazard \"x\" is not declared (add a [[hazard]] with its names)"
    );
}

const FLOOD: &str = r#"
[[indicator]]
id = "level_now"
metric = "water_level"
aggregate = "last"
[[rule]]
id = "river_flood"
hazard = "river_flood"
name_vi = "Lũ"
name_en = "River flood"
indicator = "level_now"
source = "QĐ 18/2021 Art. 45 (test subset)"
status = "verified"
hysteresis = 0.2
min_hold = "1h"
cap = { category = "Met", event_vi = "x", event_en = "x", headline_vi = "x {level}", headline_en = "x {level}", instruction_vi = "x", instruction_en = "x" }
level = [
  { level = 1, min = "bd1", max = "bd2" },
  { level = 2, min = "bd2", max = "bd3" },
  { level = 3, min = "bd3", when = { station_area = [3] } },
  { level = 2, min = "bd3", max = "bd3 + 1.0", when = { station_area = [1, 2] } },
  { level = 3, min = "bd3 + 1.0", when = { station_area = [1, 2] } },
]
[[indicator]]
id = "rain_24h"
metric = "rain_mm"
aggregate = "sum"
window = "24h"
[[rule]]
id = "heavy_rain"
hazard = "heavy_rain"
name_vi = "Mưa lớn"
name_en = "Heavy rain"
indicator = "rain_24h"
source = "QĐ 18/2021 Art. 44 (test subset)"
status = "verified"
cap = { category = "Met", event_vi = "x", event_en = "x", headline_vi = "x {level}", headline_en = "x {level}", instruction_vi = "x", instruction_en = "x" }
level = [ { level = 1, min = 100, max = 200 }, { level = 2, min = 200, max = 400, sustained = "1h" } ]
"#;

/// Feeds `(minute, metric, value)` to one station and renders each level change.
fn scenario(attributes: &[(&str, f64)], feed: &[(i64, &str, f64)]) -> Vec<String> {
    let catalog = check(&[(
        "flood.toml".to_string(),
        parse(&format!("{METRICS}{FLOOD}")),
    )])
    .unwrap();
    let mut evaluator = Evaluator::new(catalog, 3600);
    let attributes: BTreeMap<String, AttributeValue> = attributes
        .iter()
        .map(|(k, v)| (k.to_string(), AttributeValue::Number(*v)))
        .collect();
    let station = evaluator.add_station(StationContext {
        domain: Domain::Hydromet,
        attributes,
        ..Default::default()
    });
    let mut changes = Vec::new();
    for &(minute, metric, value) in feed {
        if let Some(series) = evaluator.series(station, metric) {
            evaluator.observe(series, minute * 60, value, &mut changes);
        }
    }
    changes
        .iter()
        .map(|c| {
            format!(
                "{}m {} {}→{} at {}",
                c.time_s / 60,
                evaluator.catalog().rules[c.rule].id,
                c.from,
                c.to,
                c.value
            )
        })
        .collect()
}

#[test]
fn river_levels_against_alarm_levels_with_hysteresis_and_hold() {
    let yen_bai = [
        ("bd1", 30.0),
        ("bd2", 31.0),
        ("bd3", 32.0),
        ("station_area", 1.0),
    ];
    let feed = [
        (0, "water_level", 29.0),
        (60, "water_level", 30.5),
        (120, "water_level", 32.5),
        (180, "water_level", 33.98),
        (200, "water_level", 32.9),
        (260, "water_level", 32.7),
        (320, "water_level", 31.5),
        (330, "water_level", 29.0),
        (340, "water_level", 30.5),
        (350, "water_level", 29.0),
        (420, "water_level", 29.0),
    ];
    assert_eq!(
        scenario(&yen_bai, &feed),
        [
            "60m river_flood 0→1 at 30.5",
            "120m river_flood 1→2 at 32.5",
            "180m river_flood 2→3 at 33.98",
            "260m river_flood 3→2 at 32.7",
            "330m river_flood 2→0 at 29",
            "340m river_flood 0→1 at 30.5",
            "420m river_flood 1→0 at 29",
        ],
        "32.9 at 200m stays level 3 within the 0.2 m hysteresis; level 1 from 340m is held an hour before it clears"
    );
    let without_alarm_levels = scenario(&[], &feed);
    assert!(without_alarm_levels.is_empty(), "{without_alarm_levels:?}");
}

#[test]
fn rain_sums_and_sustained_levels() {
    let mut feed: Vec<(i64, &str, f64)> = (0..12).map(|i| (i * 10, "rain_mm", 10.0)).collect();
    feed.extend((12..30).map(|i| (i * 10, "rain_mm", 10.0)));
    let changes = scenario(&[], &feed);
    assert_eq!(
        changes,
        ["90m heavy_rain 0→1 at 100", "250m heavy_rain 1→2 at 260"],
        "level 2 needs 200 mm held for an hour; level 1 holds meanwhile"
    );
}

#[test]
fn combined_conditions_need_every_indicator() {
    let text = format!(
        "{METRICS}{}",
        r#"
[[indicator]]
id = "rain_24h"
metric = "rain_mm"
aggregate = "sum"
window = "24h"
[[indicator]]
id = "level_now"
metric = "water_level"
aggregate = "last"
[[rule]]
id = "flash_flood"
hazard = "flash_flood"
name_vi = "Lũ quét"
name_en = "Flash flood"
indicator = "rain_24h"
source = "test"
status = "memory"
cap = { category = "Met", event_vi = "x", event_en = "x", headline_vi = "x", headline_en = "x", instruction_vi = "x", instruction_en = "x" }
level = [
  { level = 1, min = 50 },
  { level = 2, min = 50, also = [ { indicator = "level_now", min = 5 } ] },
]
"#
    );
    let catalog = check(&[("combined.toml".to_string(), parse(&text))]).unwrap();
    let mut evaluator = Evaluator::new(catalog, 3600);
    let station = evaluator.add_station(StationContext {
        domain: Domain::Hydromet,
        ..Default::default()
    });
    let (rain, water) = (
        evaluator.series(station, "rain_mm").unwrap(),
        evaluator.series(station, "water_level").unwrap(),
    );
    let mut changes = Vec::new();
    evaluator.observe(rain, 0, 60.0, &mut changes);
    evaluator.observe(water, 600, 6.0, &mut changes);
    evaluator.observe(water, 1200, 4.0, &mut changes);
    let got: Vec<String> = changes
        .iter()
        .map(|c| format!("{}m {}→{}", c.time_s / 60, c.from, c.to))
        .collect();
    assert_eq!(
        got,
        ["0m 0→1", "10m 1→2", "20m 2→1"],
        "level 2 needs the rain and the river together"
    );

    let unknown = text.replace(
        r#"indicator = "level_now", min = 5"#,
        r#"indicator = "level_later", min = 5"#,
    );
    let problems = check(&[("combined.toml".to_string(), parse(&unknown))]).unwrap_err();
    assert_eq!(
        problems[0].to_string(),
        "combined.toml: rule flash_flood: level[1].also: unknown indicator \"level_later\""
    );
}

#[test]
fn a_held_level_drops_on_time_even_when_a_derived_value_stays_the_same() {
    let text = format!(
        "{METRICS}{}",
        r#"
[[table]]
id = "category"
source = "test"
status = "verified"
interpolate = "step"
points = [[0, 0], [10, 1], [20, 2]]
[[indicator]]
id = "level_now"
metric = "water_level"
aggregate = "last"
[[indicator]]
id = "category_now"
inputs = ["level_now"]
transform = "category"
[[hazard]]
id = "test"
name_vi = "Thử"
name_en = "Test"
[[rule]]
id = "categories"
hazard = "test"
name_vi = "x"
name_en = "x"
indicator = "category_now"
source = "test"
status = "verified"
min_hold = "1h"
cap = { category = "Met", event_vi = "x", event_en = "x", headline_vi = "x", headline_en = "x", instruction_vi = "x", instruction_en = "x" }
level = [ { level = 1, min = 1, max = 2 }, { level = 2, min = 2 } ]
"#
    );
    let catalog = check(&[("held.toml".to_string(), parse(&text))]).unwrap();
    let mut evaluator = Evaluator::new(catalog, 3600);
    let station = evaluator.add_station(StationContext {
        domain: Domain::Hydromet,
        ..Default::default()
    });
    let water = evaluator.series(station, "water_level").unwrap();
    let mut changes = Vec::new();
    for (minute, metres) in [(0, 25.0), (10, 15.0), (20, 16.0), (50, 17.0), (70, 15.5)] {
        evaluator.observe(water, minute * 60, metres, &mut changes);
    }
    let got: Vec<String> = changes
        .iter()
        .map(|c| format!("{}m {}→{}", c.time_s / 60, c.from, c.to))
        .collect();
    assert_eq!(
        got,
        ["0m 0→2", "70m 2→1"],
        "category 1 from 10 min on; the level is held an hour, then drops"
    );
}

#[test]
fn outbreak_rules_refuse_sequential_methods() {
    let text = r#"
[[metric]]
name = "dengue_cases"
unit = "count"
[[outbreak]]
id = "dengue"
hazard = "epidemic"
name_vi = "x"
name_en = "x"
metric = "dengue_cases"
frequency = 12
method = "glrnb"
level = 1
source = "test"
status = "unverified"
cap = { category = "Health", event_vi = "x", event_en = "x", headline_vi = "x", headline_en = "x", instruction_vi = "x", instruction_en = "x" }
"#;
    let problems = check(&[("outbreak.toml".to_string(), parse(text))]).unwrap_err();
    assert!(
        problems[0]
            .to_string()
            .starts_with("outbreak.toml: outbreak dengue: method: glrnb judges a whole range"),
        "{problems:?}"
    );
}

/// Two rules of one name (in either language, ignoring case and tone marks) are a catalogue
/// problem naming both; a hazard judged at sea makes every rule of it say land or sea; a band on
/// `marine_zone` belongs to a sea rule.
#[test]
fn names_are_unique_and_land_and_sea_are_explicit() {
    let rule = |id: &str, name_vi: &str, name_en: &str, extra: &str| {
        format!(
            r#"
[[rule]]
id = "{id}"
hazard = "river_flood"
name_vi = "{name_vi}"
name_en = "{name_en}"
indicator = "level_now"
source = "test"
status = "verified"
{extra}
cap = {{ category = "Met", event_vi = "x", event_en = "x", headline_vi = "x", headline_en = "x", instruction_vi = "x", instruction_en = "x" }}
level = [ {{ level = 1, min = 1 }} ]
"#
        )
    };
    let indicator =
        "[[indicator]]\nid = \"level_now\"\nmetric = \"water_level\"\naggregate = \"last\"\n";
    let catalogue = |rules: &[String]| format!("{METRICS}{indicator}{}", rules.concat());
    assert_eq!(
        problems(&catalogue(&[
            rule("a", "Lũ trên sông", "River flood A", ""),
            rule("b", "lu tren song", "River flood B", ""),
            rule("c", "Lũ C", "river flood a", ""),
        ])),
        "test.toml: rule b: name_vi: \"lu tren song\" is also the name of rule a: names must be unique\n\
         test.toml: rule c: name_en: \"river flood a\" is also the name of rule a: names must be unique"
    );
    assert_eq!(
        problems(&catalogue(&[
            rule("land", "Trên đất liền", "Over land", ""),
            rule("sea", "Trên biển", "At sea", "surface = \"sea\""),
        ])),
        "test.toml: rule land: surface: hazard river_flood is judged at sea by rule sea: say whether this rule judges \"land\" or \"sea\""
    );
    assert_eq!(
        problems(&catalogue(&[
            rule("land", "Trên đất liền", "Over land", "surface = \"land\""),
            rule("sea", "Trên biển", "At sea", "surface = \"sea\""),
        ])),
        "ok"
    );
    let marine = rule("m", "Biển", "Sea", "").replace(
        "{ level = 1, min = 1 }",
        "{ level = 1, min = 1, when = { marine_zone = [\"coastal\"] } }",
    );
    assert_eq!(
        problems(&catalogue(&[marine])),
        "test.toml: rule m: level[0].when: a band on marine_zone judges stations at sea: set surface = \"sea\""
    );
    let twice = format!(
        "{}[[hazard]]\nid = \"storm\"\nname_vi = \"Mưa lớn\"\nname_en = \"Storm\"\n",
        catalogue(&[rule("a", "A", "A", "")])
    );
    assert_eq!(
        problems(&twice),
        "test.toml: hazard storm: name_vi: \"Mưa lớn\" is also the name of hazard heavy_rain: names must be unique"
    );
}

/// A land rule never judges a station at sea, and a sea rule never one on land.
#[test]
fn land_rules_judge_land_stations_and_sea_rules_sea_stations() {
    use tocsin_core::catalog::Surface;
    let at_sea: BTreeMap<String, AttributeValue> = [(
        "marine_zone".to_string(),
        AttributeValue::Text("open_sea".into()),
    )]
    .into();
    let on_land = BTreeMap::new();
    for (surface, attributes, holds) in [
        (Surface::Land, &on_land, true),
        (Surface::Land, &at_sea, false),
        (Surface::Sea, &on_land, false),
        (Surface::Sea, &at_sea, true),
        (Surface::Any, &at_sea, true),
        (Surface::Any, &on_land, true),
    ] {
        assert_eq!(
            surface.holds(attributes),
            holds,
            "{surface:?} {attributes:?}"
        );
    }
}
