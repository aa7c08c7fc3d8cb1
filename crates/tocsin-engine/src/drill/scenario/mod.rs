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

mod check;
mod records;
mod sampling;
#[cfg(test)]
mod tests;

use crate::response::Report;
use serde::Deserialize;
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
