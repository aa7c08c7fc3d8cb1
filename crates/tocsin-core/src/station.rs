//! Stations and the metrics their sensors report: what measures what, where, in which unit,
//! within which physical range and how often.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The sector a station serves.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    #[default]
    Hydromet,
    Water,
    Air,
    Geology,
    Health,
    Energy,
    Food,
    Cyber,
    Crime,
    Marine,
    Other,
}

/// Every domain, in display order.
pub const DOMAINS: [Domain; 11] = [
    Domain::Hydromet,
    Domain::Water,
    Domain::Air,
    Domain::Geology,
    Domain::Health,
    Domain::Energy,
    Domain::Food,
    Domain::Cyber,
    Domain::Crime,
    Domain::Marine,
    Domain::Other,
];

impl Domain {
    /// The snake_case name used in the API, the store and config.
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Hydromet => "hydromet",
            Domain::Water => "water",
            Domain::Air => "air",
            Domain::Geology => "geology",
            Domain::Health => "health",
            Domain::Energy => "energy",
            Domain::Food => "food",
            Domain::Cyber => "cyber",
            Domain::Crime => "crime",
            Domain::Marine => "marine",
            Domain::Other => "other",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(text: &str) -> Option<Domain> {
        DOMAINS.into_iter().find(|d| d.as_str() == text.trim())
    }
}

/// What one sensor of a station reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricSpec {
    /// The metric's name, e.g. `water_level`, `rain_mm`, `pm25`.
    pub name: String,
    /// The canonical unit values are stored in; incoming values are converted to it.
    pub unit: String,
    /// The lowest physically possible value (inclusive).
    pub min: f64,
    /// The highest physically possible value (inclusive).
    pub max: f64,
    /// The expected time between reports, in seconds.
    pub interval_s: u32,
}

/// A station attribute: a number (e.g. an alarm level `bd3` in metres) or a text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttributeValue {
    Number(f64),
    Text(String),
}

/// A monitoring station (or any reporting source: a health facility, a SOC sensor…).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Station {
    /// A stable identifier, e.g. `VN-HM-71526`.
    pub id: String,
    pub name: String,
    pub domain: Domain,
    pub lat: f64,
    pub lon: f64,
    /// The commune containing the station, resolved from its location when not given.
    #[serde(default)]
    pub commune: Option<String>,
    pub metrics: Vec<MetricSpec>,
    #[serde(default)]
    pub attributes: BTreeMap<String, AttributeValue>,
    /// Set when the station stops being part of the network; its history is kept.
    #[serde(default)]
    pub retired: Option<String>,
}

/// A problem with a station definition: the field and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("station {station:?}: {field}: {reason}")]
pub struct StationError {
    pub station: String,
    pub field: String,
    pub reason: String,
}

impl Station {
    /// Checks the definition; every problem names the field.
    pub fn validate(&self) -> Result<(), StationError> {
        let fail = |field: &str, reason: String| {
            Err(StationError {
                station: self.id.clone(),
                field: field.into(),
                reason,
            })
        };
        if self.id.is_empty()
            || self.id.len() > 64
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
        {
            return fail(
                "id",
                "must be 1–64 characters of A–Z, a–z, 0–9, '-', '_', '.', ':'".into(),
            );
        }
        if self.name.trim().is_empty() {
            return fail("name", "must not be empty".into());
        }
        if !(-90.0..=90.0).contains(&self.lat) {
            return fail("lat", format!("{} is not a latitude", self.lat));
        }
        if !(-180.0..=180.0).contains(&self.lon) {
            return fail("lon", format!("{} is not a longitude", self.lon));
        }
        if self.metrics.is_empty() {
            return fail("metrics", "a station reports at least one metric".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, metric) in self.metrics.iter().enumerate() {
            let field = |name: &str| format!("metrics[{i}].{name}");
            if metric.name.is_empty()
                || !metric
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return fail(&field("name"), "must be letters, digits and '_'".into());
            }
            if !seen.insert(metric.name.as_str()) {
                return fail(
                    &field("name"),
                    format!("metric {:?} is listed twice", metric.name),
                );
            }
            if crate::units::Unit::parse(&metric.unit).is_none() {
                return fail(&field("unit"), format!("unknown unit {:?}", metric.unit));
            }
            if !(metric.min.is_finite() && metric.max.is_finite() && metric.min <= metric.max) {
                return fail(
                    &field("min"),
                    format!(
                        "range {}..{} is not a finite, ordered range",
                        metric.min, metric.max
                    ),
                );
            }
            if metric.interval_s == 0 {
                return fail(&field("interval_s"), "must be at least 1 second".into());
            }
        }
        Ok(())
    }
}

/// Vietnam's land and sea as a bounding region, in degrees: 6°–23.5° N, 102°–118° E — the
/// mainland, the islands, and the seas out to the Hoàng Sa and Trường Sa archipelagos. A station
/// or resource must lie within it; inside it but in no commune is a point at sea (an offshore
/// buoy or platform), which keeps no commune.
pub const VIETNAM_REACH: (std::ops::RangeInclusive<f64>, std::ops::RangeInclusive<f64>) =
    (6.0..=23.5, 102.0..=118.0);

/// Why (`lat`, `lon`) may not hold a station or resource of this node, if it may not.
pub fn outside_vietnam(lat: f64, lon: f64) -> Option<String> {
    let (lats, lons) = VIETNAM_REACH;
    (!(lats.contains(&lat) && lons.contains(&lon))).then(|| {
        format!(
            "({lat}, {lon}) lies outside Vietnam's land and sea ({}°–{}° N, {}°–{}° E)",
            lats.start(),
            lats.end(),
            lons.start(),
            lons.end()
        )
    })
}
