//! The rule catalogue as data: metrics, indicators (a metric aggregated over a window, or derived
//! from other indicators) and rules (level tables on an indicator). Operators edit it as TOML
//! without recompiling; [`check`] lists every problem with the file, the item and the key.
//!
//! Level bands use `[min, max)`: a band holds when `min <= value < max` (no `max` means no upper
//! bound). A threshold is a number or a station attribute plus an offset (`"bd3 + 1.0"`).

pub mod cap;
mod check;
mod names;
pub mod outbreak;
mod table;
mod threshold;

pub use check::{CatalogProblem, check};
pub use table::Table;
pub use threshold::Threshold;

use serde::Deserialize;

/// One catalogue file's content; a catalogue is the union of its files.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    #[serde(default)]
    pub metric: Vec<MetricDef>,
    #[serde(default)]
    pub indicator: Vec<IndicatorDef>,
    #[serde(default)]
    pub rule: Vec<RuleDef>,
    #[serde(default)]
    pub table: Vec<TableDef>,
    #[serde(default)]
    pub outbreak: Vec<outbreak::OutbreakDef>,
    #[serde(default)]
    pub zone: Vec<ZoneDef>,
    #[serde(default)]
    pub hazard: Vec<HazardDef>,
}

/// A hazard the catalogue's rules judge, with its names: what a warning, an incident or a
/// filter names when it speaks of the hazard rather than of the rule that raised it (a storm
/// over land and a storm at sea are both `storm`). Every rule's hazard is declared once.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HazardDef {
    pub id: String,
    pub name_vi: String,
    pub name_en: String,
}

/// A named area made of pre-2025 provinces, as QĐ 18 names them (e.g. the flash-flood zones of
/// Annex XII, the climate regions of Art. 42). The registry's history resolves it to the current
/// communes that took those provinces over.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneDef {
    pub id: String,
    pub source: String,
    pub status: Confidence,
    /// Pre-2025 provinces by code (`"10"`) or name (`"Lao Cai"`; tone marks optional).
    pub old_provinces: Vec<String>,
}

/// A metric stations may report, with its canonical unit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricDef {
    pub name: String,
    pub unit: String,
    /// What it measures, for operators.
    #[serde(default)]
    pub description: String,
}

/// How observations in a window are reduced to one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    Sum,
    Mean,
    Max,
    Min,
    Count,
    Last,
    /// (newest − oldest) per hour over the window.
    RateOfChange,
    /// The NowCast of hourly means over the last 12 hours (QĐ 1459/QĐ-TCMT, for PM2.5 and PM10).
    Nowcast,
}

/// How a derived indicator combines its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    Max,
    Min,
    Sum,
    Mean,
}

/// An indicator: either `metric` + `aggregate` + `window`, or `inputs` + `combine`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDef {
    pub id: String,
    #[serde(default)]
    pub metric: Option<String>,
    #[serde(default)]
    pub aggregate: Option<Aggregate>,
    /// A duration such as `10m`, `1h`, `24h`, `3d`; absent for `last`.
    #[serde(default)]
    pub window: Option<String>,
    /// Indicators this one is derived from (same station).
    #[serde(default)]
    pub inputs: Vec<String>,
    #[serde(default)]
    pub combine: Option<Combine>,
    /// `forecast` to aggregate the newest forecast issue of the metric over
    /// `[issued, issued + window]` instead of observed values; `observed` by default.
    #[serde(default)]
    pub kind: Option<String>,
    /// A lookup table (`[[table]]`) applied to the combined inputs, e.g. concentration → AQI.
    #[serde(default)]
    pub transform: Option<String>,
    #[serde(default)]
    pub description: String,
}

/// How a lookup table reads between its points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interpolate {
    /// Straight lines between points (e.g. AQI from breakpoints).
    Linear,
    /// The `y` of the last point whose `x` the value reaches (e.g. Beaufort force from speed).
    Step,
}

/// How a table's result is rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    None,
    Nearest,
    Up,
}

/// A lookup table from one quantity to another, as data with its source.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableDef {
    pub id: String,
    pub source: String,
    pub status: Confidence,
    pub interpolate: Interpolate,
    #[serde(default = "no_rounding")]
    pub round: Rounding,
    /// `[x, y]` points with strictly increasing `x`.
    pub points: Vec<[f64; 2]>,
    /// Values above the last point: `clamp` to its `y`, or `extend` the last segment.
    #[serde(default)]
    pub beyond: Option<String>,
}

fn no_rounding() -> Rounding {
    Rounding::None
}

/// How sure a table or band is, as its source says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Checked against the official text.
    Verified,
    /// From a secondary source.
    Secondary,
    /// Written from memory: must be checked before operational use.
    Memory,
    /// An approximation (e.g. geometry) an operator may replace.
    Approximate,
    /// Not checked at all.
    Unverified,
    /// Checked against the text of a decision that has since been superseded.
    Superseded,
}

impl Confidence {
    /// The catalogue's spelling (`verified`, `secondary`…).
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Verified => "verified",
            Confidence::Secondary => "secondary",
            Confidence::Memory => "memory",
            Confidence::Approximate => "approximate",
            Confidence::Unverified => "unverified",
            Confidence::Superseded => "superseded",
        }
    }
}

/// A rule: level bands on one indicator.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    pub id: String,
    /// The hazard code, e.g. `heavy_rain`, `river_flood`.
    pub hazard: String,
    pub name_vi: String,
    pub name_en: String,
    pub indicator: String,
    /// The legal or technical source of the table.
    pub source: String,
    pub status: Confidence,
    /// Station domains the rule applies to; empty means every station reporting the metric.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Current regions (province or commune codes) the rule applies in; empty means everywhere.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Zones (`[[zone]]` ids) the rule applies in; empty means everywhere.
    #[serde(default)]
    pub zones: Vec<String>,
    /// Where the rule's stations stand: `land` (stations without a `marine_zone` attribute),
    /// `sea` (stations with one), or `any` (the default). A hazard judged both on land and at
    /// sea declares it on every rule, so that a land rule never judges a sea station.
    #[serde(default)]
    pub surface: Surface,
    /// How far below a band's `min` the value must fall before the level drops (same unit).
    #[serde(default)]
    pub hysteresis: f64,
    /// The shortest time a level is held before it may clear, e.g. `1h`.
    #[serde(default)]
    pub min_hold: Option<String>,
    /// Whether the hazard seriously threatens lives: concurrent hazards then raise a commune's
    /// level by 2 instead of 1 (QĐ 18/2021/QĐ-TTg Art. 4).
    #[serde(default)]
    pub lives_at_risk: bool,
    /// Forecast the level from the indicator's trend, e.g.
    /// `forecast = { method = "linear_trend", fit = "6h", horizon = "24h" }`.
    #[serde(default)]
    pub forecast: Option<ForecastDef>,
    /// The warning this rule issues: CAP fields and texts in Vietnamese and English.
    pub cap: cap::CapDef,
    /// The level bands; empty when `levels_from` names a rule whose bands this one shares.
    #[serde(default)]
    pub level: Vec<LevelBand>,
    /// Use the level bands of another rule (e.g. a forecast rule with the observed rule's table).
    #[serde(default)]
    pub levels_from: Option<String>,
}

/// Where a rule's stations stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Surface {
    #[default]
    Any,
    Land,
    Sea,
}

/// The station attribute that places a station at sea (`coastal` or `open_sea`).
pub const MARINE_ZONE: &str = "marine_zone";

impl Surface {
    /// Whether a station with these attributes stands where the rule looks.
    pub fn holds(
        self,
        attributes: &std::collections::BTreeMap<String, crate::station::AttributeValue>,
    ) -> bool {
        let at_sea = attributes.contains_key(MARINE_ZONE);
        match self {
            Surface::Any => true,
            Surface::Land => !at_sea,
            Surface::Sea => at_sea,
        }
    }
}

/// How a rule forecasts its level.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForecastDef {
    /// `linear_trend`: a least-squares line through the indicator over `fit`.
    pub method: String,
    /// How much recent history the line is fitted to, e.g. `6h`.
    pub fit: String,
    /// How far ahead a crossing is announced, e.g. `24h`.
    pub horizon: String,
}

/// One level of a rule.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelBand {
    /// The QĐ 18 risk level, 1 to 5.
    pub level: u8,
    pub min: Threshold,
    #[serde(default)]
    pub max: Option<Threshold>,
    /// Further conditions on other indicators of the same station, all of which must hold
    /// (several bands of one level are alternatives: any of them gives the level).
    #[serde(default)]
    pub also: Vec<Condition>,
    /// The band holds only where the station's attribute has one of these values, e.g.
    /// `when = { station_area = [1, 2] }` or `when = { terrain = ["delta_coastal"] }`.
    #[serde(default)]
    pub when: std::collections::BTreeMap<String, Vec<crate::station::AttributeValue>>,
    /// The condition must hold this long before the level is reached, e.g. `3d`.
    #[serde(default)]
    pub sustained: Option<String>,
    /// Overrides the rule's status for this band.
    #[serde(default)]
    pub status: Option<Confidence>,
    /// Overrides the CAP severity of the level (Minor, Moderate, Severe, Extreme).
    #[serde(default)]
    pub severity: Option<String>,
    /// Overrides the rule's instruction for this level.
    #[serde(default)]
    pub instruction_vi: Option<String>,
    #[serde(default)]
    pub instruction_en: Option<String>,
}

/// A condition on another indicator: `{ indicator = "rain_72h", min = 200 }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub indicator: String,
    pub min: Threshold,
    #[serde(default)]
    pub max: Option<Threshold>,
}

/// The longest duration [`parse_duration`] takes: a century, so that a duration in
/// milliseconds added to any time stays far within `i64`.
pub const MAX_DURATION_S: i64 = 100 * 366 * 86_400;

/// Parses a duration such as `90s`, `10m`, `24h`, `3d` into seconds, from one second up to
/// [`MAX_DURATION_S`].
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().ok()?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(scale)
        .filter(|s| (1..=MAX_DURATION_S).contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_bounded_so_milliseconds_cannot_overflow() {
        let cases = [
            ("90s", Some(90)),
            ("10m", Some(600)),
            (" 24h ", Some(86_400)),
            ("36600d", Some(MAX_DURATION_S)),
            ("36601d", None),
            ("0s", None),
            // Seconds that fit in i64 but not once counted in milliseconds.
            ("9223372036854776s", None),
            ("200000000000d", None),
            ("99999999999999999999s", None),
            ("10", None),
            ("1w", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration(text), expected, "{text:?}");
        }
    }
}
