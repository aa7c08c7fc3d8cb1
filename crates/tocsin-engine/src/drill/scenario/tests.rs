use super::*;

const TEXT: &str = r#"
[drill]
id = "t"
title_vi = "Thử"
title_en = "Test"
start = "2024-09-08T00:00:00+07:00"
end = "2024-09-09T00:00:00+07:00"
step = "1h"
stations = """id,name,domain,lat,lon,commune,metrics,attributes
G,Gauge (synthetic),hydromet,21.705,104.87,,water_level_m:m:0:100:3600,bd1=30"""

[[series]]
station = "G"
metric = "water_level_m"
every = "1h"
points = [["2024-09-08T00:00:00+07:00", 29.0], ["2024-09-08T04:00:00+07:00", 31.0]]

[[silence]]
station = "G"
from = "2024-09-08T02:00:00+07:00"
to = "2024-09-08T03:00:00+07:00"
"#;

#[test]
fn series_are_sampled_through_their_points_without_the_silent_hours() {
    let scenario = Scenario::parse("t.toml", TEXT).unwrap();
    let start = scenario.file.drill.start.as_millisecond();
    assert!(scenario.field_stations(&[]).is_empty());
    let values: Vec<f64> = scenario
        .samples(start - 1, start + 5 * 3_600_000)
        .iter()
        .map(|s| s.3)
        .collect();
    assert_eq!(values, vec![29.0, 29.5, 30.5, 31.0], "02:00 is silent");
    assert!(
        scenario.samples(start, start + 3_600_000).len() == 1,
        "(from, to]"
    );
}

#[test]
fn problems_name_their_place() {
    let bad = TEXT
        .replace("every = \"1h\"", "every = \"often\"")
        .replace("station = \"G\"\nmetric", "station = \"X\"\nmetric");
    let problems = Scenario::parse("t.toml", &bad).unwrap_err();
    assert!(
        problems.iter().any(|p| p.contains("series 0: every")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("series 0: station: \"X\"")),
        "{problems:?}"
    );
}

/// Text replacements made in a scenario: (what, by what).
type Replacements<'a> = &'a [(&'a str, &'a str)];

/// The problems of `TEXT` with `replacements` made, those about bounds.
fn bound_problems(replacements: &[(&str, &str)]) -> Vec<String> {
    let text = replacements
        .iter()
        .fold(TEXT.to_string(), |t, (from, to)| t.replace(from, to));
    let field = r#"
[[field]]
id = "F"
metric = "rain_mm"
unit = "mm"
every = "FIELD_EVERY"
track = [["2024-09-08T00:00:00+07:00", 105.0, 21.0], ["2024-09-09T00:00:00+07:00", 106.0, 21.0]]
peak = 50.0
radius_km = 100.0
"#;
    let field_every = replacements
        .iter()
        .find(|(from, _)| *from == "FIELD_EVERY")
        .map_or("1h", |r| r.1);
    let text = format!("{text}{}", field.replace("FIELD_EVERY", field_every));
    match Scenario::parse("t.toml", &text) {
        Ok(_) => Vec::new(),
        Err(problems) => problems,
    }
}

#[test]
fn a_drill_s_work_is_bounded() {
    let end = |t: &'static str| ("end = \"2024-09-09T00:00:00+07:00\"", t);
    let cases: &[(Replacements, &[&str])] = &[
        (&[], &[]),
        // A runaway: 10⁹ steps of a second, over 31 years.
        (
            &[
                ("step = \"1h\"", "step = \"1s\""),
                end("end = \"2056-05-17T01:46:40+07:00\""),
            ],
            &[
                "t.toml: drill.end: 11574 days after drill.start; a drill spans at most 7320 days",
                "t.toml: drill.step: \"1s\" makes 1000000000 steps from drill.start to drill.end; at most 1000000",
            ],
        ),
        // A year in minutes is allowed; in seconds it is not.
        (
            &[
                ("step = \"1h\"", "step = \"1m\""),
                end("end = \"2025-09-08T00:00:00+07:00\""),
            ],
            &[],
        ),
        (
            &[
                ("step = \"1h\"", "step = \"1s\""),
                end("end = \"2025-09-08T00:00:00+07:00\""),
            ],
            &[
                "t.toml: drill.step: \"1s\" makes 31536000 steps from drill.start to drill.end; at most 1000000",
            ],
        ),
        // A series sampled every second over its four hours sends 14,401 values: allowed;
        // over three weeks, not.
        (&[("every = \"1h\"", "every = \"1s\"")], &[]),
        (
            &[
                ("every = \"1h\"", "every = \"1s\""),
                (
                    "[\"2024-09-08T04:00:00+07:00\", 31.0]",
                    "[\"2024-09-30T00:00:00+07:00\", 31.0]",
                ),
                end("end = \"2024-09-30T00:00:00+07:00\""),
            ],
            &[
                "t.toml: series 0: every: the series send 1900801 observations in all (1900801 from this one); at most 1000000",
            ],
        ),
        // A field sampled every minute over its day: 1,441 times, allowed; every 5 seconds
        // over a year of track, not.
        (&[("FIELD_EVERY", "1m")], &[]),
        (
            &[("FIELD_EVERY", "5s")],
            &[
                "t.toml: field 0: every: the fields are sampled at 17281 times in all (17281 for this one), each time once per commune; at most 10000",
            ],
        ),
    ];
    for (replacements, expected) in cases {
        assert_eq!(&bound_problems(replacements), expected, "{replacements:?}");
    }
}

#[test]
fn durations_beyond_a_century_are_refused() {
    // Each a count of seconds that overflows once counted in milliseconds.
    let participant = "[[participant]]\nid = \"p\"\nname = \"P\"\nsector = \"standing\"\nregion = \"15\"\ntier = \"province\"\nacknowledges_after = \"9223372036854776s\"\n";
    let cases = [
        (
            TEXT.replace("step = \"1h\"", "step = \"200000000000d\""),
            "t.toml: drill.step: \"200000000000d\" is not a duration such as 10m, 1h (at most 36600d)",
        ),
        (
            TEXT.replace("every = \"1h\"", "every = \"9223372036854776s\""),
            "t.toml: series 0: every: \"9223372036854776s\" is not a duration such as 10m, 1h (at most 36600d)",
        ),
        (
            format!("{TEXT}{participant}"),
            "t.toml: participant 0: acknowledges_after: \"9223372036854776s\" is not a duration such as 10m",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(Scenario::parse("t.toml", &text).unwrap_err(), [expected]);
    }
}

#[test]
fn participants_and_faults_are_checked() {
    let bad = format!(
        "{TEXT}{}",
        r#"
[[participant]]
id = "p1"
name = "P"
sector = "standing"
region = "15"
tier = "province"
language = "fr"
acknowledges_after = "soon"

[[participant]]
id = "p1"
name = "P again"
sector = "standing"
region = "15"
tier = "province"

[[fault]]
kind = "channel_down"
from = "2024-09-09T02:00:00+07:00"
to = "2024-09-09T01:00:00+07:00"
participants = ["nobody"]
"#
    );
    let problems = Scenario::parse("t.toml", &bad).unwrap_err();
    for expected in [
        "t.toml: participant 0: language: \"fr\" is neither vi nor en",
        "t.toml: participant 0: acknowledges_after: \"soon\" is not a duration",
        "t.toml: participant 1: id: \"p1\" is given twice",
        "t.toml: fault 0: to: must come after from",
        "t.toml: fault 0: participants: \"nobody\" is not among the drill's participants",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{expected}: {problems:?}"
        );
    }
}
