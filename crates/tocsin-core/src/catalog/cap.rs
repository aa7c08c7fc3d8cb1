//! What a warning from a rule says: its CAP fields and its texts in Vietnamese and English.
//!
//! The level → CAP mapping used unless a band overrides it (QĐ 18/2021/QĐ-TTg levels 1–5):
//!
//! | level | severity | colour |
//! |---|---|---|
//! | 1 | Minor | light blue |
//! | 2 | Moderate | yellow |
//! | 3 | Severe | orange |
//! | 4 | Extreme | red |
//! | 5 | Extreme | purple |
//!
//! Urgency is `Immediate` for an observed level and `Expected` for a forecast one; certainty is
//! `Observed` or `Likely` accordingly. Templates may use `{place}`, `{level}`, `{value}`,
//! `{unit}`, `{station}` and `{time}`.

use serde::Deserialize;

/// The CAP categories (OASIS CAP 1.2).
pub const CATEGORIES: [&str; 12] = [
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
];

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 6] = ["place", "level", "value", "unit", "station", "time"];

/// The CAP severities, least to most severe.
pub const SEVERITIES: [&str; 4] = ["Minor", "Moderate", "Severe", "Extreme"];

/// The warning a rule issues.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapDef {
    /// One of [`CATEGORIES`].
    pub category: String,
    pub event_vi: String,
    pub event_en: String,
    pub headline_vi: String,
    pub headline_en: String,
    pub instruction_vi: String,
    pub instruction_en: String,
    /// For a point hazard (a measurement that speaks for the few kilometres around its
    /// station, such as air quality): the alert's area is a circle of this radius around the
    /// station instead of the commune's boundary.
    #[serde(default)]
    pub radius_km: Option<f64>,
}

/// The CAP severity of a QĐ 18 level (see the module table).
pub fn severity_of(level: u8) -> &'static str {
    match level {
        0 | 1 => "Minor",
        2 => "Moderate",
        3 => "Severe",
        _ => "Extreme",
    }
}

/// The QĐ 18 colour of a level, as a CSS hex colour and its Vietnamese and English names.
pub fn colour_of(level: u8) -> (&'static str, &'static str, &'static str) {
    match level {
        1 => ("#7fd3f7", "xanh lam nhạt", "light blue"),
        2 => ("#ffe600", "vàng", "yellow"),
        3 => ("#ff8c00", "da cam", "orange"),
        4 => ("#e0001b", "đỏ", "red"),
        5 => ("#8b2f9d", "tím", "purple"),
        _ => ("#ffffff", "không", "none"),
    }
}

/// The placeholders of `template` that are not known, or a complaint about its braces.
pub fn template_problem(template: &str) -> Option<String> {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return Some("an opening { has no closing }".into());
        };
        let name = &rest[open + 1..open + close];
        if !PLACEHOLDERS.contains(&name) {
            return Some(format!(
                "unknown placeholder {{{name}}} (known: {})",
                PLACEHOLDERS.join(", ")
            ));
        }
        rest = &rest[open + close + 1..];
    }
    rest.contains('}')
        .then(|| "a closing } has no opening {".into())
}

/// `template` with each `{name}` replaced by its value.
pub fn render(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_string(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_checked_and_rendered() {
        assert_eq!(template_problem("Lũ cấp {level} tại {place}"), None);
        assert_eq!(
            template_problem("{lvl}").unwrap(),
            "unknown placeholder {lvl} (known: place, level, value, unit, station, time)"
        );
        assert_eq!(
            template_problem("{place").unwrap(),
            "an opening { has no closing }"
        );
        assert_eq!(
            template_problem("place}").unwrap(),
            "a closing } has no opening {"
        );
        assert_eq!(
            render(
                "Lũ cấp {level} tại {place}: {value} {unit}",
                &[
                    ("level", "3"),
                    ("place", "Yên Bái"),
                    ("value", "33.98"),
                    ("unit", "m")
                ]
            ),
            "Lũ cấp 3 tại Yên Bái: 33.98 m"
        );
        assert_eq!((severity_of(3), colour_of(5).2), ("Severe", "purple"));
    }
}
