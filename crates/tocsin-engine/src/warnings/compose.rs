//! A warning version as a CAP 1.2 alert: one `info` in Vietnamese and one in English, one `area`
//! per commune (polygons from its boundary, its official code as geocode), and the QĐ 18 level
//! mapped to CAP explicitly:
//!
//! | QĐ 18 level | severity | response |
//! |---|---|---|
//! | 1 | Minor | Monitor |
//! | 2 | Moderate | Prepare |
//! | 3 | Severe | Prepare |
//! | 4 | Extreme | Execute |
//! | 5 | Extreme | Execute |
//!
//! Urgency is Immediate and certainty Observed for an observed level, Expected and Likely for a
//! forecast one; an all-clear is urgency Past, severity Minor, response AllClear; a cancel keeps
//! the last level's severity with response None. The level, its colour, the hazard, the rule's
//! source and the status of its threshold table (`tocsin:thresholdStatus`) travel as
//! `parameter`s.
//!
//! The texts are for the public: each in its own language (numbers with a decimal comma in
//! Vietnamese, a point in English), places by the names the registry gives their codes on the
//! alert's registry date ([`crate::registry::names`]), stations by their names, and nothing of
//! the catalogue's own notes.

use crate::registry::names::PlaceName;
use std::fmt::Write;
use tocsin_cap::{
    Alert, Area, Category, Certainty, CodeList, Info, MsgType, NamedValue, ResponseType, Scope,
    Severity, Status, Urgency, Version,
};
use tocsin_core::catalog::cap::{CapDef, colour_of, render};
use tocsin_core::warning::{Action, AreaState, Draft};

/// The geocode name under which an area's official administrative code is given.
pub const ADMIN_CODE: &str = "VN-DVHC";

/// A place a warning covers, as the registry knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// The code and its names (with its province's) on the alert's registry date.
    pub name: PlaceName,
    /// The name of the station whose reading gives the area its level (empty when none).
    pub station: String,
    /// CAP polygons of the boundary (may be empty).
    pub polygons: Vec<String>,
    /// A CAP circle when there is no boundary.
    pub circle: Option<String>,
}

/// What the rule behind the warning says.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleText {
    pub cap: CapDef,
    pub source: String,
    pub confidence: String,
    pub unit: Option<String>,
    pub name_vi: String,
    pub name_en: String,
}

/// Everything an alert is made of besides the draft.
#[derive(Debug, Clone)]
pub struct Composition<'a> {
    pub draft: &'a Draft,
    pub identifier: String,
    pub sender: String,
    /// `sent` in the CAP form.
    pub sent: String,
    pub expires: String,
    pub status: Status,
    /// `sender,identifier,sent` of each earlier published version.
    pub references: Vec<String>,
    pub rule: RuleText,
    pub province: Place,
    /// The draft's areas, in the draft's order; for an all-clear or cancel, the areas of the
    /// last published version.
    pub places: Vec<Place>,
    /// The area whose level leads the warning (highest, earliest).
    pub lead: Option<AreaState>,
}

/// The CAP alert of one version.
pub fn compose(c: &Composition) -> Alert {
    let msg_type = match (c.draft.action, c.references.is_empty()) {
        (Action::Cancelled, _) => MsgType::Cancel,
        (_, true) => MsgType::Alert,
        _ => MsgType::Update,
    };
    Alert {
        version: Version::V1_2,
        identifier: c.identifier.clone(),
        sender: c.sender.clone(),
        sent: c.sent.clone(),
        status: c.status,
        msg_type,
        source: None,
        scope: Scope::Public,
        restriction: None,
        addresses: None,
        code: Vec::new(),
        note: None,
        references: (!c.references.is_empty()).then(|| c.references.join(" ")),
        incidents: Some(format!("{}.w{}", c.sender, c.draft.warning)),
        info: [Language::Vi, Language::En]
            .into_iter()
            .map(|l| info(c, l))
            .collect(),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Language {
    Vi,
    En,
}

fn info(c: &Composition, language: Language) -> Info {
    let (severity, urgency, certainty, response) = cap_terms(c);
    let vi = language == Language::Vi;
    let rule = &c.rule;
    Info {
        language: Some(if vi { "vi-VN" } else { "en-US" }.into()),
        category: vec![Category::parse(&rule.cap.category).unwrap_or(Category::Other)],
        event: if vi {
            rule.cap.event_vi.clone()
        } else {
            rule.cap.event_en.clone()
        },
        response_type: vec![response],
        urgency,
        severity,
        certainty,
        audience: None,
        event_code: vec![NamedValue::new("tocsin:hazard", c.draft.hazard.clone())],
        effective: Some(c.sent.clone()),
        onset: None,
        expires: Some(c.expires.clone()),
        sender_name: Some(
            if vi {
                "Hệ thống cảnh báo sớm tocsin"
            } else {
                "tocsin early warning system"
            }
            .into(),
        ),
        headline: Some(headline(c, language)),
        description: Some(description(c, language)),
        instruction: Some(instruction(c, language)),
        web: None,
        contact: None,
        parameter: parameters(c),
        resource: Vec::new(),
        area: c.places.iter().map(|p| area(p, language)).collect(),
    }
}

/// Severity, urgency, certainty and response of the version (see the module table).
fn cap_terms(c: &Composition) -> (Severity, Urgency, Certainty, ResponseType) {
    let likely = c.lead.as_ref().is_some_and(|a| a.certainty == "likely");
    let (urgency, certainty) = if likely {
        (Urgency::Expected, Certainty::Likely)
    } else {
        (Urgency::Immediate, Certainty::Observed)
    };
    match c.draft.action {
        Action::AllClear => (
            Severity::Minor,
            Urgency::Past,
            Certainty::Observed,
            ResponseType::AllClear,
        ),
        Action::Cancelled => (
            severity_of(c.lead.as_ref().map_or(1, |a| a.level)),
            Urgency::Past,
            Certainty::Observed,
            ResponseType::None,
        ),
        _ => (
            severity_of(c.draft.level),
            urgency,
            certainty,
            response_of(c.draft.level),
        ),
    }
}

/// The CAP severity of a QĐ 18 level (the catalogue's mapping).
pub fn severity_of(level: u8) -> Severity {
    Severity::parse(tocsin_core::catalog::cap::severity_of(level)).unwrap_or(Severity::Unknown)
}

/// The CAP response of a QĐ 18 level.
pub fn response_of(level: u8) -> ResponseType {
    match level {
        0 | 1 => ResponseType::Monitor,
        2 | 3 => ResponseType::Prepare,
        _ => ResponseType::Execute,
    }
}

fn place_text(c: &Composition, language: Language) -> String {
    let province = c.province.name.in_language(language == Language::En);
    match (c.places.as_slice(), language) {
        ([one], _) => full_name(&one.name, language),
        ([], _) => province.to_string(),
        (many, Language::Vi) => format!("{} xã, phường của {province}", many.len()),
        (many, Language::En) => format!("{} communes of {province}", many.len()),
    }
}

/// `Commune, Province` (or the province alone) in the language.
fn full_name(name: &PlaceName, language: Language) -> String {
    match language {
        Language::Vi => name.full_vi(),
        Language::En => name.full_en(),
    }
}

fn values(c: &Composition, language: Language) -> Vec<(&'static str, String)> {
    let lead = c.lead.as_ref();
    let time = c.sent.get(..16).unwrap_or(&c.sent).replace('T', " ");
    vec![
        ("place", place_text(c, language)),
        ("level", c.draft.level.to_string()),
        (
            "value",
            lead.map(|a| format_value(a.value, language))
                .unwrap_or_default(),
        ),
        ("unit", c.rule.unit.clone().unwrap_or_default()),
        ("station", lead_station(c)),
        ("time", time),
    ]
}

fn rendered(template: &str, c: &Composition, language: Language) -> String {
    let values = values(c, language);
    let pairs: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let text = render(template, &pairs);
    text.replace(" .", ".").replace("  ", " ")
}

fn headline(c: &Composition, language: Language) -> String {
    let place = place_text(c, language);
    match (c.draft.action, language) {
        (Action::AllClear, Language::Vi) => format!(
            "Kết thúc cảnh báo {} tại {place}",
            c.rule.cap.event_vi.to_lowercase()
        ),
        (Action::AllClear, Language::En) => format!(
            "All clear: {} in {place}",
            c.rule.cap.event_en.to_lowercase()
        ),
        (Action::Cancelled, Language::Vi) => format!(
            "Hủy cảnh báo {} tại {place}",
            c.rule.cap.event_vi.to_lowercase()
        ),
        (Action::Cancelled, Language::En) => format!(
            "Cancelled: {} warning for {place}",
            c.rule.cap.event_en.to_lowercase()
        ),
        (_, Language::Vi) => rendered(&c.rule.cap.headline_vi, c, language),
        (_, Language::En) => rendered(&c.rule.cap.headline_en, c, language),
    }
}

fn instruction(c: &Composition, language: Language) -> String {
    match (c.draft.action, language) {
        (Action::AllClear, Language::Vi) => "Mức rủi ro đã trở về bình thường. Tiếp tục theo dõi thông tin của chính quyền địa phương.".into(),
        (Action::AllClear, Language::En) => "The risk is back to normal. Keep following the local authorities' information.".into(),
        (Action::Cancelled, Language::Vi) => "Cảnh báo trước đó đã được hủy bỏ.".into(),
        (Action::Cancelled, Language::En) => "The earlier warning has been cancelled.".into(),
        (_, Language::Vi) => rendered(&c.rule.cap.instruction_vi, c, language),
        (_, Language::En) => rendered(&c.rule.cap.instruction_en, c, language),
    }
}

/// The name of the station behind the lead area.
fn lead_station(c: &Composition) -> String {
    let Some(lead) = &c.lead else {
        return String::new();
    };
    c.places
        .iter()
        .find(|p| p.name.code == lead.area)
        .map(|p| p.station.clone())
        .unwrap_or_default()
}

/// Every area with its level and the reading of its station.
fn description(c: &Composition, language: Language) -> String {
    let mut text = String::new();
    let unit = c
        .rule
        .unit
        .as_deref()
        .map(|u| format!(" {u}"))
        .unwrap_or_default();
    for (place, state) in c.places.iter().zip(c.draft.areas.values()) {
        let (name, level_word, station_word) = match language {
            Language::Vi => (&place.name.name, "cấp", "trạm"),
            Language::En => (&place.name.name_en, "level", "station"),
        };
        let value = format_value(state.value, language);
        let _ = writeln!(
            text,
            "{name}: {level_word} {} ({station_word} {}: {value}{unit})",
            state.level, place.station
        );
    }
    text.trim_end().to_string()
}

/// A reading with at most two decimals, written the language's way (`12,5` in Vietnamese,
/// `12.5` in English).
fn format_value(value: f64, language: Language) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match language {
        Language::Vi => text.replace('.', ","),
        Language::En => text.to_string(),
    }
}

fn parameters(c: &Composition) -> Vec<NamedValue> {
    let (colour, _, colour_en) = colour_of(c.draft.level);
    let colour = (c.draft.level > 0)
        .then(|| NamedValue::new("tocsin:colour", format!("{colour} {colour_en}")));
    let level = NamedValue::new("tocsin:level", c.draft.level.to_string());
    std::iter::once(level)
        .chain(colour)
        .chain([
            NamedValue::new("tocsin:action", c.draft.action.as_str()),
            NamedValue::new("tocsin:warning", c.draft.warning.to_string()),
            NamedValue::new("tocsin:version", c.draft.number.to_string()),
            NamedValue::new("tocsin:source", c.rule.source.clone()),
            NamedValue::new("tocsin:thresholdStatus", c.rule.confidence.clone()),
        ])
        .collect()
}

fn area(place: &Place, language: Language) -> Area {
    Area {
        area_desc: full_name(&place.name, language),
        polygon: place.polygons.clone(),
        circle: place.circle.iter().cloned().collect(),
        geocode: vec![NamedValue::new(ADMIN_CODE, place.name.code.clone())],
        altitude: None,
        ceiling: None,
    }
}
