//! Drill scenario files (`scenarios/*.toml`): metadata, the time span and step, the SYNTHETIC
//! stations of the exercise (CSV, as `tocsin import stations` reads it), and a timeline of
//! injects — observation series (piecewise linear through given points, sampled at a fixed
//! interval), agency or citizen reports, stations that go silent, faults of the channels or of the
//! node — the drill's participants, and the expected outcome that scoring judges against.
//!
//! ```toml
//! [drill]
//! id = "yagi-2024"
//! title_vi = "…"
//! title_en = "…"
//! start = "2024-09-05T00:00:00+07:00"
//! end = "2024-09-11T00:00:00+07:00"
//! step = "1h"
//! sources = ["…"]
//! stations = """id,name,domain,lat,lon,commune,metrics,attributes
//! YAGI-YB,Yên Bái gauge (synthetic),hydromet,21.705,104.87,,water_level_m:m:0:100:3600,bd1=30;bd2=31;bd3=32;station_area=1"""
//!
//! [[series]]
//! station = "YAGI-YB"
//! metric = "water_level_m"
//! every = "1h"
//! points = [["2024-09-08T00:00:00+07:00", 29.0], ["2024-09-09T13:00:00+07:00", 33.98]]
//!
//! [[silence]]
//! station = "YAGI-YB"
//! from = "2024-09-10T00:00:00+07:00"
//! to = "2024-09-10T06:00:00+07:00"
//!
//! [[report]]
//! time = "2024-09-10T07:00:00+07:00"
//! hazard = "flash_flood"
//! lat = 22.17
//! lon = 104.46
//! text = "…"
//! reporter = "…"
//! level = 4
//!
//! [[participant]]            # a SYNTHETIC agency the drill plays
//! id = "drill-15-pctt"
//! name = "Lào Cai provincial command (drill)"
//! sector = "standing"
//! region = "15"
//! tier = "province"
//! acknowledges_after = "20m" # never, when left out
//!
//! [[fault]]
//! kind = "channel_down"      # or "node_offline"
//! from = "2024-09-09T20:00:00+07:00"
//! to = "2024-09-10T02:00:00+07:00"
//! participants = ["drill-15-pctt"]
//!
//! [[expect]]
//! what = "warning"          # or "incident"
//! hazard = "river_flood"
//! province = "15"
//! min_level = 3
//! by = "2024-09-09T13:00:00+07:00"
//! ```

use crate::response::Report;
use serde::Deserialize;
use tocsin_core::catalog::{MAX_DURATION_S, parse_duration};
use tocsin_core::station::Station;

/// A scenario as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub drill: Meta,
    #[serde(default)]
    pub series: Vec<SeriesDef>,
    #[serde(default)]
    pub field: Vec<FieldDef>,
    #[serde(default)]
    pub silence: Vec<SilenceDef>,
    #[serde(default)]
    pub report: Vec<ReportDef>,
    #[serde(default)]
    pub alert: Vec<AlertDef>,
    #[serde(default)]
    pub monthly_counts: Vec<MonthlyCountsDef>,
    #[serde(default)]
    pub participant: Vec<ParticipantDef>,
    #[serde(default)]
    pub fault: Vec<FaultDef>,
    #[serde(default)]
    pub expect: Vec<Expectation>,
}

/// An agency taking part in the drill (SYNTHETIC): it hears the drill's notices through the
/// exercise inbox and, played by the drill, acknowledges them after `acknowledges_after` — or
/// never, so that its notices escalate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParticipantDef {
    pub id: String,
    pub name: String,
    /// `standing` or a sector (`health`, `cyber`…), as for recipients.
    pub sector: String,
    /// A commune or province code, or `VN`.
    pub region: String,
    pub tier: tocsin_core::dispatch::Tier,
    #[serde(default = "vietnamese")]
    pub language: String,
    #[serde(default)]
    pub acknowledges_after: Option<String>,
}

fn vietnamese() -> String {
    "vi".into()
}

/// Something that breaks during the drill: the channel to some participants is down (every
/// delivery attempt fails, and is retried), or the node itself is offline (it receives and does
/// nothing; stations and reporters keep what they have and send it when it is back; the node
/// restarts from its store).
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultDef {
    pub kind: FaultKind,
    pub from: jiff::Timestamp,
    pub to: jiff::Timestamp,
    /// For `channel_down`: the participants cut off; empty for all of them.
    #[serde(default)]
    pub participants: Vec<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    ChannelDown,
    NodeOffline,
}

impl FaultDef {
    /// Whether the fault holds at `t` (from its start, up to but not including its end).
    pub fn holds_at(&self, t: i64) -> bool {
        (self.from.as_millisecond()..self.to.as_millisecond()).contains(&t)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub id: String,
    pub title_vi: String,
    pub title_en: String,
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
    /// How far the drill clock moves between two rounds (warnings, dissemination, response).
    pub step: String,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub notes: String,
    /// The exercise's stations, as CSV.
    pub stations: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesDef {
    pub station: String,
    pub metric: String,
    pub every: String,
    /// (time, value) points; values between them are interpolated linearly.
    pub points: Vec<(jiff::Timestamp, f64)>,
}

/// A generated field over many communes: one SYNTHETIC station per commune (at its centroid)
/// reports `metric` every `every`; the value is a bell-shaped blob of `peak` at the centre of a
/// track (linear between its points) falling off over `radius_km`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    pub id: String,
    pub metric: String,
    pub unit: String,
    pub every: String,
    /// Province codes whose communes report; empty for every commune of the country.
    #[serde(default)]
    pub provinces: Vec<String>,
    /// (time, longitude, latitude) of the centre.
    pub track: Vec<(jiff::Timestamp, f64, f64)>,
    pub peak: f64,
    pub radius_km: f64,
    /// Attributes of the generated stations, as in the stations CSV (`terrain=midland_mountain`).
    #[serde(default)]
    pub attributes: String,
}

impl FieldDef {
    /// The field's station in a commune.
    pub fn station_id(&self, commune: &str) -> String {
        format!("{}-{commune}", self.id)
    }

    /// The value at a point and time: zero outside the track's span.
    pub fn value_at(&self, point: [f64; 2], t: i64) -> f64 {
        let Some(centre) = track_at(&self.track, t) else {
            return 0.0;
        };
        let d = tocsin_core::geo::distance_km(point, centre) / self.radius_km;
        let value = self.peak * (-0.5 * d * d).exp();
        if value < 0.05 {
            0.0
        } else {
            (value * 10.0).round() / 10.0
        }
    }
}

/// The centre of a track at `t`, if `t` is within it.
fn track_at(track: &[(jiff::Timestamp, f64, f64)], t: i64) -> Option<[f64; 2]> {
    track.windows(2).find_map(|pair| {
        let (a, b) = (pair[0].0.as_millisecond(), pair[1].0.as_millisecond());
        (a..=b).contains(&t).then(|| {
            let f = (t - a) as f64 / (b - a).max(1) as f64;
            [
                pair[0].1 + f * (pair[1].1 - pair[0].1),
                pair[0].2 + f * (pair[1].2 - pair[0].2),
            ]
        })
    })
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SilenceDef {
    pub station: String,
    pub from: jiff::Timestamp,
    pub to: jiff::Timestamp,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReportDef {
    pub time: jiff::Timestamp,
    #[serde(flatten)]
    pub report: Report,
}

/// A CAP alert that reaches the operations centre from outside during the drill (a genuine one
/// from another agency, or a fake circulating on social networks); the drill checks its
/// signature and trust as the verification page would, and scoring compares the verdict with
/// `genuine`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertDef {
    pub time: jiff::Timestamp,
    /// What the alert is, for the report.
    pub label: String,
    /// Whether it is really from its sender (the answer the verification should give).
    pub genuine: bool,
    /// The CAP XML as received.
    pub xml: String,
}

/// Monthly case counts read from a disease record file of the shared data (the GDPM format:
/// `disease,province,year,month,incidence,mortality`), sent as the station's metric on the last
/// day of each month in the drill's span (07:00 Vietnam time, when the month's report is in); a
/// month without a count is a missing report, not zero.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthlyCountsDef {
    /// The file, relative to the shared data folder `data/vn` (e.g. `events/gdpm_dengue_monthly_by_province.csv`).
    pub file: String,
    pub disease: String,
    /// The province as the file names it (e.g. `Ha Noi`).
    pub province: String,
    pub station: String,
    pub metric: String,
}

/// Month names as the GDPM records spell them.
pub const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl MonthlyCountsDef {
    /// The counts within `[from_ms, to_ms]` from the file under `data_root`, in time order.
    pub fn read(
        &self,
        data_root: &std::path::Path,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Sample>, String> {
        let path = data_root.join(&self.file);
        let mut reader =
            csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut samples = Vec::new();
        for (line, row) in reader.records().enumerate() {
            let row = row.map_err(|e| format!("{}: line {}: {e}", path.display(), line + 2))?;
            if row.get(0) != Some(self.disease.as_str())
                || row.get(1) != Some(self.province.as_str())
            {
                continue;
            }
            let bad = |field: &str| format!("{}: line {}: {field}", path.display(), line + 2);
            let year: i16 = row
                .get(2)
                .and_then(|y| y.parse().ok())
                .ok_or_else(|| bad("year"))?;
            let month = row
                .get(3)
                .and_then(|m| MONTHS.iter().position(|n| *n == m))
                .ok_or_else(|| bad("month"))?;
            let day = jiff::civil::date(year, month as i8 + 1, 1)
                .last_of_month()
                .at(7, 0, 0, 0);
            let time = day
                .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(7)))
                .map_err(|e| format!("{}: {e}", path.display()))?
                .timestamp()
                .as_millisecond();
            let count = row.get(4).unwrap_or_default();
            if !(from_ms..=to_ms).contains(&time) || count.is_empty() {
                // Outside the drill, or a month without a report (missing, not zero).
                continue;
            }
            let count: f64 = count.parse().map_err(|_| bad("incidence"))?;
            samples.push((self.station.clone(), self.metric.clone(), time, count));
        }
        samples.sort_by_key(|s| s.2);
        Ok(samples)
    }
}

/// What should happen, for scoring.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// `warning` (released by the system), `detection` (a rule's or outbreak detector's level,
    /// released or not) or `incident` (opened, from a warning or a report).
    pub what: String,
    pub hazard: String,
    pub province: String,
    #[serde(default)]
    pub commune: Option<String>,
    pub min_level: u8,
    pub by: jiff::Timestamp,
    /// What happens before this does not count (an earlier, separate event).
    #[serde(default)]
    pub after: Option<jiff::Timestamp>,
}

/// A checked scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub file: ScenarioFile,
    pub stations: Vec<Station>,
    pub step_ms: i64,
    /// Per series, its sampling interval.
    pub every_ms: Vec<i64>,
    /// Per field, its sampling interval.
    pub field_every_ms: Vec<i64>,
}

/// One observation to send: (station, metric, time, value).
pub type Sample = (String, String, i64, f64);

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

    /// The observations with a time in `(from_ms, to_ms]`, silenced stations left out.
    pub fn samples(&self, from_ms: i64, to_ms: i64) -> Vec<Sample> {
        let mut out = Vec::new();
        for (series, every) in self.file.series.iter().zip(&self.every_ms) {
            let first = series.points[0].0.as_millisecond();
            let last = series.points[series.points.len() - 1].0.as_millisecond();
            // The first sampling time after `from_ms`.
            let mut t = if from_ms < first {
                first
            } else {
                first + ((from_ms - first) / every + 1) * every
            };
            while t <= to_ms.min(last) {
                if !self.silenced(&series.station, t) {
                    out.push((
                        series.station.clone(),
                        series.metric.clone(),
                        t,
                        value_at(&series.points, t),
                    ));
                }
                t += every;
            }
        }
        out
    }

    /// The stations of the fields, one per commune of `places` (per field: the places of its
    /// provinces, or all of them).
    pub fn field_stations(&self, places: &[(String, String, [f64; 2])]) -> Vec<Station> {
        let mut stations = Vec::new();
        for (f, every) in self.file.field.iter().zip(&self.field_every_ms) {
            let csv: String = std::iter::once(
                "id,name,domain,lat,lon,commune,metrics,attributes".to_string(),
            )
            .chain(self.field_places(f, places).map(|(code, [lon, lat])| {
                format!(
                    "{},{} {code} (synthetic),hydromet,{lat},{lon},{code},{}:{}:0:100000:{},{}",
                    f.station_id(code),
                    f.id,
                    f.metric,
                    f.unit,
                    every / 1000,
                    f.attributes
                )
            }))
            .collect::<Vec<_>>()
            .join("\n");
            stations.extend(crate::stations::parse_csv(csv.as_bytes()).unwrap_or_default());
        }
        stations
    }

    fn field_places<'a>(
        &self,
        f: &'a FieldDef,
        places: &'a [(String, String, [f64; 2])],
    ) -> impl Iterator<Item = (&'a String, [f64; 2])> + 'a {
        places
            .iter()
            .filter(move |(_, province, _)| {
                f.provinces.is_empty() || f.provinces.contains(province)
            })
            .map(|(code, _, point)| (code, *point))
    }

    /// The field observations with a time in `(from_ms, to_ms]` at `places` (commune, province,
    /// centroid).
    pub fn field_samples(
        &self,
        from_ms: i64,
        to_ms: i64,
        places: &[(String, String, [f64; 2])],
    ) -> Vec<Sample> {
        let mut out = Vec::new();
        for (f, every) in self.file.field.iter().zip(&self.field_every_ms) {
            let first = f.track[0].0.as_millisecond();
            let last = f.track[f.track.len() - 1].0.as_millisecond();
            let mut t = if from_ms < first {
                first
            } else {
                first + ((from_ms - first) / every + 1) * every
            };
            while t <= to_ms.min(last) {
                for (code, point) in self.field_places(f, places) {
                    out.push((
                        f.station_id(code),
                        f.metric.clone(),
                        t,
                        f.value_at(point, t),
                    ));
                }
                t += every;
            }
        }
        out
    }

    fn silenced(&self, station: &str, t: i64) -> bool {
        self.file.silence.iter().any(|s| {
            s.station == station && s.from.as_millisecond() <= t && t < s.to.as_millisecond()
        })
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

/// The value of a piecewise-linear series at `t` (inside its span).
fn value_at(points: &[(jiff::Timestamp, f64)], t: i64) -> f64 {
    for pair in points.windows(2) {
        let (a, b) = (pair[0].0.as_millisecond(), pair[1].0.as_millisecond());
        if (a..=b).contains(&t) {
            let f = (t - a) as f64 / (b - a) as f64;
            return ((pair[0].1 + f * (pair[1].1 - pair[0].1)) * 100.0).round() / 100.0;
        }
    }
    points.last().map_or(0.0, |p| p.1)
}

#[cfg(test)]
mod tests {
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
}
