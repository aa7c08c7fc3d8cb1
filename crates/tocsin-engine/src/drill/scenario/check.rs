//! Reading and checking a scenario: its durations, stations, series and fields, its
//! participants and faults, and the bounds on the work a drill may do.

use super::{Scenario, ScenarioFile};
use tocsin_core::catalog::{MAX_DURATION_S, parse_duration};

impl Scenario {
    /// Reads and checks a scenario; every problem names its place.
    pub fn parse(name: &str, text: &str) -> Result<Scenario, Vec<String>> {
        let file: ScenarioFile =
            toml::from_str(text).map_err(|e| vec![format!("{name}: {}", e.to_string().trim())])?;
        let mut problems = Vec::new();
        let duration = |field: &str, text: &str, problems: &mut Vec<String>| {
            let ms = parse_duration(text).map(|s| s * 1000);
            if ms.is_none() {
                problems.push(format!(
                    "{name}: {field}: {text:?} is not a duration such as 10m, 1h (at most {}d)",
                    MAX_DURATION_S / 86_400
                ));
            }
            ms.unwrap_or(3_600_000)
        };
        let step_ms = duration("drill.step", &file.drill.step, &mut problems);
        if file.drill.end <= file.drill.start {
            problems.push(format!("{name}: drill.end: must come after drill.start"));
        }
        let stations =
            crate::stations::parse_csv(file.drill.stations.as_bytes()).unwrap_or_else(|errors| {
                problems.extend(
                    errors
                        .iter()
                        .map(|e| format!("{name}: drill.stations: {e}")),
                );
                Vec::new()
            });
        let mut every_ms = Vec::new();
        for (i, s) in file.series.iter().enumerate() {
            every_ms.push(duration(
                &format!("series {i}: every"),
                &s.every,
                &mut problems,
            ));
            if !stations.iter().any(|st| st.id == s.station) {
                problems.push(format!(
                    "{name}: series {i}: station: {:?} is not among the drill's stations",
                    s.station
                ));
            }
            if s.points.len() < 2 || s.points.windows(2).any(|w| w[1].0 <= w[0].0) {
                problems.push(format!(
                    "{name}: series {i}: points: at least two, in time order"
                ));
            }
        }
        let mut field_every_ms = Vec::new();
        for (i, f) in file.field.iter().enumerate() {
            field_every_ms.push(duration(
                &format!("field {i}: every"),
                &f.every,
                &mut problems,
            ));
            if f.track.len() < 2 || f.track.windows(2).any(|w| w[1].0 <= w[0].0) {
                problems.push(format!(
                    "{name}: field {i}: track: at least two points, in time order"
                ));
            }
            if !(f.radius_km > 0.0 && f.peak.is_finite()) {
                problems.push(format!(
                    "{name}: field {i}: radius_km and peak: a positive radius and a number"
                ));
            }
        }
        check_participants(name, &file, &mut problems);
        check_bounds(
            name,
            &file,
            (step_ms, &every_ms, &field_every_ms),
            &mut problems,
        );
        for (i, e) in file.expect.iter().enumerate() {
            if !["warning", "detection", "incident"].contains(&e.what.as_str()) {
                problems.push(format!(
                    "{name}: expect {i}: what: {:?} is none of warning, detection, incident",
                    e.what
                ));
            }
        }
        if problems.is_empty() {
            Ok(Scenario {
                file,
                stations,
                step_ms,
                every_ms,
                field_every_ms,
            })
        } else {
            Err(problems)
        }
    }
}

/// The longest span a drill may cover: twenty years (the dengue scenario replays ten, for the
/// baselines of outbreak detection).
pub const MAX_SPAN_DAYS: i64 = 20 * 366;

/// The most steps a drill may take (a year in steps of a minute is 527,040).
pub const MAX_STEPS: i64 = 1_000_000;

/// The most observations all series of a drill may send together.
pub const MAX_SERIES_SAMPLES: i64 = 1_000_000;

/// The most sampling times all fields of a drill may have together; at each, a field sends one
/// value per commune it covers (up to 3,321), so this bounds a drill at about 33 M field values
/// (a year of hourly rain over every commune: 8,784 times).
pub const MAX_FIELD_TIMES: i64 = 10_000;

/// A drill's work is bounded: its span, its steps, and what its series and fields send.
fn check_bounds(
    name: &str,
    file: &ScenarioFile,
    (step_ms, every_ms, field_every_ms): (i64, &[i64], &[i64]),
    problems: &mut Vec<String>,
) {
    let (start, end) = (
        file.drill.start.as_millisecond(),
        file.drill.end.as_millisecond(),
    );
    let span_ms = end.saturating_sub(start).max(0);
    if span_ms > MAX_SPAN_DAYS * 86_400_000 {
        problems.push(format!(
            "{name}: drill.end: {} days after drill.start; a drill spans at most {MAX_SPAN_DAYS} days",
            span_ms / 86_400_000
        ));
    }
    let steps = span_ms / step_ms;
    if steps > MAX_STEPS {
        problems.push(format!(
            "{name}: drill.step: {:?} makes {steps} steps from drill.start to drill.end; at most {MAX_STEPS}",
            file.drill.step
        ));
    }
    let times = |(first, last): (&jiff::Timestamp, &jiff::Timestamp), every: i64| {
        let (first, last) = (
            first.as_millisecond().max(start),
            last.as_millisecond().min(end),
        );
        if last < first {
            0
        } else {
            (last - first) / every + 1
        }
    };
    let series: Vec<i64> = file
        .series
        .iter()
        .zip(every_ms)
        .filter_map(|(s, &every)| Some(times((&s.points.first()?.0, &s.points.last()?.0), every)))
        .collect();
    let total: i64 = series.iter().sum();
    if total > MAX_SERIES_SAMPLES {
        let (i, most) = series
            .iter()
            .enumerate()
            .max_by_key(|(_, n)| **n)
            .unwrap_or((0, &0));
        problems.push(format!(
            "{name}: series {i}: every: the series send {total} observations in all ({most} from this one); at most {MAX_SERIES_SAMPLES}"
        ));
    }
    let fields: Vec<i64> = file
        .field
        .iter()
        .zip(field_every_ms)
        .filter_map(|(f, &every)| Some(times((&f.track.first()?.0, &f.track.last()?.0), every)))
        .collect();
    let total: i64 = fields.iter().sum();
    if total > MAX_FIELD_TIMES {
        let (i, most) = fields
            .iter()
            .enumerate()
            .max_by_key(|(_, n)| **n)
            .unwrap_or((0, &0));
        problems.push(format!(
            "{name}: field {i}: every: the fields are sampled at {total} times in all ({most} for this one), each time once per commune; at most {MAX_FIELD_TIMES}"
        ));
    }
}

/// Participants need unique ids, a known language and a duration; faults an end after their
/// start and known participants.
fn check_participants(name: &str, file: &ScenarioFile, problems: &mut Vec<String>) {
    let mut ids = std::collections::BTreeSet::new();
    for (i, p) in file.participant.iter().enumerate() {
        if !ids.insert(p.id.as_str()) {
            problems.push(format!(
                "{name}: participant {i}: id: {:?} is given twice",
                p.id
            ));
        }
        if !["vi", "en"].contains(&p.language.as_str()) {
            problems.push(format!(
                "{name}: participant {i}: language: {:?} is neither vi nor en",
                p.language
            ));
        }
        if let Some(after) = &p.acknowledges_after
            && parse_duration(after).is_none()
        {
            problems.push(format!(
                "{name}: participant {i}: acknowledges_after: {after:?} is not a duration such as 10m"
            ));
        }
    }
    for (i, f) in file.fault.iter().enumerate() {
        if f.to <= f.from {
            problems.push(format!("{name}: fault {i}: to: must come after from"));
        }
        for p in f.participants.iter().filter(|p| !ids.contains(p.as_str())) {
            problems.push(format!(
                "{name}: fault {i}: participants: {p:?} is not among the drill's participants"
            ));
        }
    }
}
