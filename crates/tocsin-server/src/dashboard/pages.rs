//! The dashboard's pages: the map (`/`), a region (`/regions/{code}`), the warnings list
//! (`/warnings`) and one warning (`/warnings/{id}`). Each handler gathers what its page shows in
//! one blocking engine call as the viewer, turns it into display-ready rows (names, times and
//! numbers in the viewer's language) and renders its template.

use super::i18n::Lang;
use super::{Viewer, page};
use crate::api::{AppState, blocking};
use crate::error::ApiError;
use crate::extract::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use tocsin_core::region::RegionKind;
use tocsin_engine::access::Principal;
use tocsin_engine::engine::VersionQuery;
use tocsin_engine::{
    Detection, Engine, EngineError, NotificationRecord, VersionRecord, VersionState,
};

const DAY_MS: i64 = 86_400_000;

/// Names of hazards, rules and provinces in the viewer's language.
struct Names {
    lang: Lang,
    hazards: HashMap<String, (String, String)>,
    rules: HashMap<String, (String, String)>,
    provinces: HashMap<String, (String, String)>,
}

impl Names {
    fn read(engine: &Engine, who: &Principal, lang: Lang) -> Result<Names, EngineError> {
        let catalog = engine.catalog();
        let pair = |vi: &str, en: &str| (vi.to_string(), en.to_string());
        let hazards: HashMap<String, (String, String)> = catalog
            .hazards
            .iter()
            .map(|h| (h.id.clone(), pair(&h.name_vi, &h.name_en)))
            .collect();
        let rules: HashMap<String, (String, String)> = catalog
            .rules
            .iter()
            .map(|r| (r.id.clone(), pair(&r.name_vi, &r.name_en)))
            .chain(
                catalog
                    .outbreaks
                    .iter()
                    .map(|o| (o.id.clone(), pair(&o.name_vi, &o.name_en))),
            )
            .collect();
        let nation = tocsin_core::region::NATION_CODE;
        let provinces = match engine.children(who, nation, None) {
            Ok(found) => found,
            Err(EngineError::NotFound(_)) => Vec::new(),
            Err(e) => return Err(e),
        };
        let mut provinces: HashMap<String, (String, String)> = provinces
            .into_iter()
            .map(|r| (r.code, (r.name, r.name_en)))
            .collect();
        let own = (provinces.is_empty() && who.scope.region != nation)
            .then(|| engine.region(who, &who.scope.region, None).ok())
            .flatten();
        if let Some(own) = own {
            provinces.insert(own.code, (own.name, own.name_en));
        }
        Ok(Names {
            lang,
            hazards,
            rules,
            provinces,
        })
    }

    fn pick(&self, found: Option<&(String, String)>, code: &str) -> String {
        match (found, self.lang) {
            (Some((vi, _)), Lang::Vi) => vi.clone(),
            (Some((_, en)), Lang::En) => en.clone(),
            (None, _) => code.to_string(),
        }
    }

    fn hazard(&self, code: &str) -> String {
        if code == tocsin_engine::engine::DATA_GAP {
            return match self.lang {
                Lang::Vi => "Trạm mất tín hiệu".into(),
                Lang::En => "Station silent".into(),
            };
        }
        self.pick(self.hazards.get(code), code)
    }

    fn rule(&self, id: &str) -> String {
        self.pick(self.rules.get(id), id)
    }

    fn province(&self, code: &str) -> String {
        self.pick(self.provinces.get(code), code)
    }

    /// Provinces by name, for filters.
    fn province_options(&self) -> Vec<(String, String)> {
        let mut options: Vec<(String, String)> = self
            .provinces
            .keys()
            .map(|code| (code.clone(), self.province(code)))
            .collect();
        options.sort_by(|a, b| a.1.cmp(&b.1));
        options
    }

    fn hazard_options(&self) -> Vec<(String, String)> {
        let mut options: Vec<(String, String)> = self
            .hazards
            .keys()
            .map(|code| (code.clone(), self.hazard(code)))
            .collect();
        options.sort_by(|a, b| a.1.cmp(&b.1));
        options
    }
}

/// One warning version as a table row.
pub struct WarningRow {
    pub id: u64,
    pub number: u32,
    pub hazard: String,
    pub province: String,
    pub level: u8,
    pub level_name: &'static str,
    pub action: String,
    pub state: &'static str,
    pub made: String,
    pub expires: String,
    pub identifier: String,
    pub sent: String,
    pub released_by: String,
}

impl WarningRow {
    fn of(v: &VersionRecord, names: &Names) -> WarningRow {
        let t = names.lang.labels();
        let publication = v.publication.as_ref();
        WarningRow {
            id: v.warning,
            number: v.number,
            hazard: match tocsin_engine::warnings::lead_rule(v) {
                Some(rule) => names.rule(&rule),
                None => names.hazard(&v.hazard),
            },
            province: names.province(&v.province),
            level: v.level.min(5),
            level_name: t.levels[usize::from(v.level.min(5))],
            action: t.action(&v.action),
            state: match v.state {
                VersionState::Draft => t.state_draft,
                VersionState::Published => t.state_published,
                other => other.as_str(),
            },
            made: names.lang.time(v.made_ms),
            expires: names
                .lang
                .time(publication.map_or(v.expires_ms, |p| p.expires_ms)),
            identifier: publication.map_or(String::new(), |p| p.identifier.clone()),
            sent: publication.map_or(String::new(), |p| names.lang.time(p.sent_ms)),
            released_by: publication.map_or(String::new(), |p| p.released_by.clone()),
        }
    }
}

/// One level change as a table row.
pub struct DetectionRow {
    pub rule: String,
    pub station: String,
    pub commune: String,
    pub level: u8,
    pub level_name: &'static str,
    pub from_level_name: &'static str,
    pub time: String,
    pub value: String,
    pub lead: String,
}

impl DetectionRow {
    fn of(d: &Detection, names: &Names) -> DetectionRow {
        let t = names.lang.labels();
        let lead = d.lead.map_or(String::new(), |l| {
            format!("+{} h", names.lang.number(l.expected_s as f64 / 3600.0))
        });
        DetectionRow {
            rule: names.rule(&d.rule),
            station: d.station.clone(),
            commune: d.commune.clone().unwrap_or_default(),
            level: d.to_level.min(5),
            level_name: t.levels[usize::from(d.to_level.min(5))],
            from_level_name: t.levels[usize::from(d.from_level.min(5))],
            time: names.lang.time(d.time_ms),
            value: names.lang.number(d.value),
            lead,
        }
    }
}

/// The answer to a page whose data could not be read: the status and the reason, as text.
pub(super) fn failure(error: ApiError) -> Response {
    let status = error.status;
    let text = format!(
        "{} {}: {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        error.message
    );
    (
        status,
        [("content-type", "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

// ---------------------------------------------------------------- the map

#[derive(Template)]
#[template(path = "map.html")]
struct MapPage {
    v: Viewer,
    /// Hazard names by code, for warnings announced live.
    hazard_names: String,
    max_level: u8,
    max_level_name: &'static str,
    /// (level, name, communes) for levels 1 to 5.
    per_level: Vec<(u8, &'static str, usize)>,
    warnings: Vec<WarningRow>,
}

pub async fn map(State(state): State<Arc<AppState>>, v: Viewer) -> Response {
    let engine = state.engine.clone();
    let (who, lang) = (v.principal.clone(), v.lang);
    let gathered = blocking(move || {
        let names = Names::read(&engine, &who, lang)?;
        let situation = engine.situation(&who, None)?;
        let published = VersionQuery::states(&[VersionState::Published]);
        let versions = engine.warning_versions(&who, &published, None, 50)?;
        let rows: Vec<WarningRow> = (versions.items.iter())
            .map(|w| WarningRow::of(w, &names))
            .collect();
        let hazards: serde_json::Map<String, serde_json::Value> = names
            .hazard_options()
            .into_iter()
            .map(|(code, name)| (code, name.into()))
            .collect();
        Ok((situation, rows, hazards))
    })
    .await;
    let (situation, warnings, hazards) = match gathered {
        Ok(found) => found,
        Err(e) => return failure(e),
    };
    let per_level = (1..=5u8)
        .map(|l| {
            (
                l,
                v.t.levels[usize::from(l)],
                situation.communes_per_level[usize::from(l - 1)],
            )
        })
        .collect();
    let max_level = situation.max_level.min(5);
    page(
        MapPage {
            hazard_names: serde_json::Value::from(hazards)
                .to_string()
                .replace('<', "\\u003c"),
            max_level,
            max_level_name: v.t.levels[usize::from(max_level)],
            per_level,
            warnings,
            v,
        }
        .render(),
    )
}

// ---------------------------------------------------------------- a region

/// One station metric with its chart's data attributes.
pub struct MetricRow {
    pub metric: String,
    pub unit: String,
    pub latest: String,
    pub latest_time: String,
    /// `[{"level": 3, "value": 32.0}, …]`, for the chart.
    pub thresholds: String,
}

pub struct StationRow {
    pub id: String,
    pub name: String,
    pub commune: String,
    pub metrics: Vec<MetricRow>,
}

/// A commune of a province with its level.
pub struct CommuneRow {
    pub code: String,
    pub name: String,
    pub level: u8,
    pub level_name: &'static str,
}

#[derive(Template)]
#[template(path = "region.html")]
struct RegionPage {
    v: Viewer,
    code: String,
    name: String,
    kind: &'static str,
    parent: Option<(String, String)>,
    level: u8,
    level_name: &'static str,
    hazards: Vec<String>,
    /// Why the level is above every rule's (the concurrent-hazard raise), one line each.
    raise_reasons: Vec<String>,
    active: Vec<DetectionRow>,
    expected: Vec<DetectionRow>,
    silent: Vec<DetectionRow>,
    history: Vec<DetectionRow>,
    warnings: Vec<WarningRow>,
    /// More warnings than the page shows exist.
    warnings_cut: bool,
    stations: Vec<StationRow>,
    communes: Vec<CommuneRow>,
}

pub async fn region(
    State(state): State<Arc<AppState>>,
    v: Viewer,
    Path(code): Path<String>,
) -> Response {
    let engine = state.engine.clone();
    let (who, lang) = (v.principal.clone(), v.lang);
    match blocking(move || region_page(&engine, &who, lang, &code)).await {
        Ok(facts) => page(facts.into_page(v).render()),
        Err(e) => failure(e),
    }
}

/// What a region page shows, gathered as the viewer.
struct RegionFacts {
    code: String,
    name: String,
    kind: RegionKind,
    parent: Option<(String, String)>,
    level: u8,
    hazards: Vec<String>,
    /// Why the level is above every rule's (the concurrent-hazard raise), one line each.
    raise_reasons: Vec<String>,
    active: Vec<DetectionRow>,
    expected: Vec<DetectionRow>,
    silent: Vec<DetectionRow>,
    history: Vec<DetectionRow>,
    warnings: Vec<WarningRow>,
    /// More warnings than the page shows exist.
    warnings_cut: bool,
    stations: Vec<StationRow>,
    communes: Vec<CommuneRow>,
}

impl RegionFacts {
    fn into_page(self, v: Viewer) -> RegionPage {
        let f = self;
        let kind = match f.kind {
            RegionKind::Province => v.t.province,
            RegionKind::Commune => v.t.commune,
            _ => v.t.region,
        };
        RegionPage {
            level_name: v.t.levels[usize::from(f.level.min(5))],
            code: f.code,
            name: f.name,
            kind,
            parent: f.parent,
            level: f.level.min(5),
            hazards: f.hazards,
            raise_reasons: f.raise_reasons,
            active: f.active,
            expected: f.expected,
            silent: f.silent,
            history: f.history,
            warnings: f.warnings,
            warnings_cut: f.warnings_cut,
            stations: f.stations,
            communes: f.communes,
            v,
        }
    }
}

/// Why the shown level is above every rule's: the reason of each commune at that level whose
/// level the concurrent-hazard raise made (with the commune's name on a province's page).
fn raise_reasons(
    engine: &Engine,
    situation: &tocsin_engine::situation::Situation,
    level: u8,
    lang: Lang,
) -> Vec<String> {
    let several = situation.communes.len() > 1;
    situation
        .communes
        .iter()
        .filter(|(_, c)| c.level == level && c.raise > 0)
        .filter_map(|(code, c)| {
            let (vi, en) = c.raise_reason(|h| engine.hazard_names(h))?;
            let reason = if lang == Lang::En { en } else { vi };
            if !several {
                return Some(reason);
            }
            let place = engine.place_name(code).ok()?;
            Some(format!("{}: {reason}", place.in_language(lang == Lang::En)))
        })
        .collect()
}

fn region_page(
    engine: &Engine,
    who: &Principal,
    lang: Lang,
    code: &str,
) -> Result<RegionFacts, EngineError> {
    let region = engine.region(who, code, None)?;
    if !matches!(region.kind, RegionKind::Province | RegionKind::Commune) {
        return Err(EngineError::NotFound(format!(
            "{code} is not a current province or commune; open the map for the nation"
        )));
    }
    let names = Names::read(engine, who, lang)?;
    let situation = engine.situation(who, Some(code))?;
    let province = region
        .parent
        .clone()
        .filter(|_| region.kind == RegionKind::Commune);
    let province_code = province.clone().unwrap_or_else(|| region.code.clone());
    let parent = province.map(|p| (p.clone(), names.province(&p)));
    let in_region = |d: &Detection| match region.kind {
        RegionKind::Commune => d.commune.as_deref() == Some(code),
        _ => d.province.as_deref() == Some(code),
    };
    let rows = |found: &[Detection]| -> Vec<DetectionRow> {
        found
            .iter()
            .filter(|d| in_region(d))
            .map(|d| DetectionRow::of(d, &names))
            .collect()
    };
    let now = engine.clock().now().as_millisecond();
    let mut history = engine.detections(who, Some(code), now - 30 * DAY_MS, now + 1, 5_000)?;
    history.retain(|d| d.rule != tocsin_engine::engine::DATA_GAP);
    history.sort_by_key(|d| std::cmp::Reverse(d.time_ms));
    history.truncate(200);
    let current = VersionQuery {
        province: Some(&province_code),
        ..VersionQuery::states(&[VersionState::Draft, VersionState::Published])
    };
    let found = engine.warning_versions(who, &current, None, 200)?;
    let warnings_cut = found.next.is_some();
    let warnings = (found.items.iter())
        .map(|w| WarningRow::of(w, &names))
        .collect();
    let (level, hazards) = match region.kind {
        RegionKind::Commune => situation.communes.get(code).map_or((0, Vec::new()), |c| {
            (c.level, c.hazards.iter().map(|h| names.hazard(h)).collect())
        }),
        _ => (situation.max_level, Vec::new()),
    };
    let raise_reasons = raise_reasons(engine, &situation, level, lang);
    let communes = match region.kind {
        RegionKind::Province => engine
            .children(who, code, None)?
            .into_iter()
            .map(|c| {
                let level = situation
                    .communes
                    .get(&c.code)
                    .map_or(0, |l| l.level.min(5));
                CommuneRow {
                    level_name: lang.labels().levels[usize::from(level)],
                    code: c.code,
                    name: c.name,
                    level,
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(RegionFacts {
        stations: station_rows(engine, who, lang, &region.code)?,
        code: region.code,
        name: match lang {
            Lang::Vi => format!("{} {}", region.division_type, region.name),
            Lang::En => region.name_en,
        },
        kind: region.kind,
        parent,
        level,
        hazards,
        raise_reasons,
        active: rows(&situation.active),
        expected: rows(&situation.expected),
        silent: rows(&situation.silent_stations),
        history: history
            .iter()
            .map(|d| DetectionRow::of(d, &names))
            .collect(),
        warnings,
        warnings_cut,
        communes,
    })
}

/// The stations of a region with their metrics' latest values and chart thresholds.
fn station_rows(
    engine: &Engine,
    who: &Principal,
    lang: Lang,
    region: &str,
) -> Result<Vec<StationRow>, EngineError> {
    let latest = engine.latest(who, Some(region))?;
    let mut ids: Vec<&str> = latest.iter().map(|l| l.station.as_str()).collect();
    ids.dedup();
    let mut rows = Vec::new();
    for id in ids {
        let station = engine.station(who, id)?;
        let thresholds = engine.station_thresholds(who, id)?;
        let metrics = station
            .metrics
            .iter()
            .map(|m| {
                let newest = latest
                    .iter()
                    .find(|l| l.station == id && l.metric == m.name);
                let edges: Vec<serde_json::Value> = thresholds
                    .iter()
                    .filter(|t| t.metric == m.name)
                    .map(|t| serde_json::json!({"level": t.level, "value": t.value}))
                    .collect();
                MetricRow {
                    metric: m.name.clone(),
                    unit: m.unit.clone(),
                    latest: newest.map_or(String::new(), |l| lang.number(l.value)),
                    latest_time: newest.map_or(String::new(), |l| lang.time(l.time_ms)),
                    thresholds: serde_json::Value::from(edges).to_string(),
                }
            })
            .collect();
        rows.push(StationRow {
            id: station.id,
            name: station.name,
            commune: station.commune.unwrap_or_default(),
            metrics,
        });
    }
    Ok(rows)
}

// ---------------------------------------------------------------- warnings

#[derive(Deserialize)]
pub struct WarningFilter {
    state: Option<String>,
    hazard: Option<String>,
    province: Option<String>,
}

#[derive(Template)]
#[template(path = "warnings.html")]
struct WarningsPage {
    v: Viewer,
    rows: Vec<WarningRow>,
    /// Older versions than these exist (the page shows one page of the list).
    cut: bool,
    state: String,
    hazard: String,
    province: String,
    hazards: Vec<(String, String)>,
    provinces: Vec<(String, String)>,
}

pub async fn warnings(
    State(state): State<Arc<AppState>>,
    v: Viewer,
    Query(filter): Query<WarningFilter>,
) -> Response {
    let chosen_state = filter
        .state
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "current".into());
    let states = match chosen_state.as_str() {
        "current" => vec![VersionState::Draft, VersionState::Published],
        "draft" => vec![VersionState::Draft],
        "published" => vec![VersionState::Published],
        "all" => vec![
            VersionState::Draft,
            VersionState::Published,
            VersionState::Superseded,
            VersionState::Record,
        ],
        other => {
            return failure(ApiError::bad_request(format!(
                "state: {other:?} is none of current, draft, published, all"
            )));
        }
    };
    let hazard = filter.hazard.clone().unwrap_or_default();
    let province = filter.province.clone().unwrap_or_default();
    let engine = state.engine.clone();
    let (who, lang) = (v.principal.clone(), v.lang);
    let (h, p) = (hazard.clone(), province.clone());
    let gathered = blocking(move || {
        let names = Names::read(&engine, &who, lang)?;
        let query = VersionQuery {
            province: Some(p.as_str()).filter(|p| !p.is_empty()),
            hazard: Some(h.as_str()).filter(|h| !h.is_empty()),
            ..VersionQuery::states(&states)
        };
        let found = engine.warning_versions(&who, &query, None, 500)?;
        let rows = (found.items.iter())
            .map(|w| WarningRow::of(w, &names))
            .collect();
        let cut = found.next.is_some();
        Ok((rows, cut, names.hazard_options(), names.province_options()))
    })
    .await;
    match gathered {
        Ok((rows, cut, hazards, provinces)) => page(
            WarningsPage {
                v,
                rows,
                cut,
                state: chosen_state,
                hazard,
                province,
                hazards,
                provinces,
            }
            .render(),
        ),
        Err(e) => failure(e),
    }
}

/// One `info` block of a released alert.
pub struct InfoView {
    pub language: String,
    pub event: String,
    pub headline: String,
    pub description: String,
    pub instruction: String,
    pub severity: &'static str,
    pub urgency: &'static str,
    pub certainty: &'static str,
    pub areas: Vec<String>,
}

/// The released alert of the newest published version.
pub struct CapView {
    pub identifier: String,
    pub sent: String,
    pub status: &'static str,
    pub msg_type: &'static str,
    pub signed: bool,
    pub infos: Vec<InfoView>,
}

impl CapView {
    fn of(version: &VersionRecord, lang: Lang) -> Option<CapView> {
        use tocsin_cap::CodeList;
        let publication = version.publication.as_ref()?;
        let alert = tocsin_cap::read(publication.cap_xml.as_bytes()).ok()?.alert;
        let mut infos: Vec<InfoView> = alert
            .info
            .iter()
            .map(|i| InfoView {
                language: i.language.clone().unwrap_or_default(),
                event: i.event.clone(),
                headline: i.headline.clone().unwrap_or_default(),
                description: i.description.clone().unwrap_or_default(),
                instruction: i.instruction.clone().unwrap_or_default(),
                severity: i.severity.as_str(),
                urgency: i.urgency.as_str(),
                certainty: i.certainty.as_str(),
                areas: i.area.iter().map(|a| a.area_desc.clone()).collect(),
            })
            .collect();
        // The viewer's language first.
        infos.sort_by_key(|i| !i.language.starts_with(lang.code()));
        Some(CapView {
            identifier: alert.identifier,
            sent: lang.time(publication.sent_ms),
            status: alert.status.as_str(),
            msg_type: alert.msg_type.as_str(),
            signed: publication.cap_xml.contains("<Signature")
                || publication.cap_xml.contains(":Signature"),
            infos,
        })
    }
}

/// One notification as a table row.
pub struct NotificationRow {
    pub id: u64,
    pub recipient: String,
    pub version: u32,
    pub reason: String,
    pub created: String,
    pub deliveries: String,
    pub needs_ack: bool,
    pub acked: String,
}

impl NotificationRow {
    fn of(n: &NotificationRecord, lang: Lang) -> NotificationRow {
        let deliveries: Vec<String> = n
            .deliveries
            .iter()
            .map(|d| format!("{} ({})", d.endpoint, d.state))
            .chain(n.suppressed.iter().map(|s| format!("— {s}")))
            .collect();
        let acked = match (&n.acked_by, n.acked_ms) {
            (Some(by), Some(ms)) => format!("{} · {}", lang.time(ms), by),
            _ => String::new(),
        };
        NotificationRow {
            id: n.id,
            recipient: n.recipient.clone(),
            version: n.version,
            reason: readable_reason(&n.reason),
            created: lang.time(n.created_ms),
            deliveries: deliveries.join(", "),
            needs_ack: n.needs_ack,
            acked,
        }
    }
}

/// A notification's reason (stored as JSON, e.g. `{"kind":"route","route":"commune"}`) as
/// words: `route · commune`.
fn readable_reason(stored: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(stored) {
        Ok(serde_json::Value::Object(fields)) => fields
            .values()
            .map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" · "),
        _ => stored.to_string(),
    }
}

#[derive(Template)]
#[template(path = "warning.html")]
struct WarningPage {
    v: Viewer,
    id: u64,
    title: String,
    versions: Vec<WarningRow>,
    cap: Option<CapView>,
    /// The number of the draft waiting for release, if any.
    draft: Option<u32>,
    in_force: bool,
    notifications: Vec<NotificationRow>,
    /// Older notifications than these exist.
    notifications_cut: bool,
}

/// Whether an operator may still cancel the warning: something of it was released and no
/// version since ends it (a cancel, all-clear, withdrawal or expiry, released or waiting).
fn cancellable(versions: &[VersionRecord]) -> bool {
    let ending = |w: &&VersionRecord| {
        w.state != VersionState::Superseded
            && ["cancelled", "all-clear", "withdrawn", "expired"].contains(&w.action.as_str())
    };
    versions.iter().any(|w| w.state == VersionState::Published)
        && !versions.iter().any(|w| ending(&w))
}

pub async fn warning(
    State(state): State<Arc<AppState>>,
    v: Viewer,
    Path(id): Path<u64>,
) -> Response {
    let engine = state.engine.clone();
    let (who, lang) = (v.principal.clone(), v.lang);
    let gathered = blocking(move || {
        let names = Names::read(&engine, &who, lang)?;
        let versions = engine.warning_history(&who, id)?;
        let notifications = engine.notifications(&who, Some(id), None, 1_000)?;
        Ok((versions, notifications, names))
    })
    .await;
    let (versions, notifications, names) = match gathered {
        Ok(found) => found,
        Err(e) => return failure(e),
    };
    let newest_published = versions
        .iter()
        .filter(|w| w.publication.is_some())
        .max_by_key(|w| w.number);
    let draft = versions
        .iter()
        .find(|w| w.state == VersionState::Draft)
        .map(|w| w.number);
    let first = versions.first();
    let title = first.map_or(String::new(), |w| {
        let what = match tocsin_engine::warnings::lead_rule(w) {
            Some(rule) => names.rule(&rule),
            None => names.hazard(&w.hazard),
        };
        format!("{what} — {}", names.province(&w.province))
    });
    let in_force = cancellable(&versions);
    let mut rows: Vec<WarningRow> = versions.iter().map(|w| WarningRow::of(w, &names)).collect();
    rows.reverse();
    page(
        WarningPage {
            id,
            title,
            cap: newest_published.and_then(|w| CapView::of(w, v.lang)),
            versions: rows,
            draft,
            in_force,
            notifications: (notifications.items.iter())
                .map(|n| NotificationRow::of(n, v.lang))
                .collect(),
            notifications_cut: notifications.next.is_some(),
            v,
        }
        .render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(number: u32, action: &str, state: VersionState) -> VersionRecord {
        VersionRecord {
            warning: 1,
            number,
            hazard: "storm".into(),
            province: "31".into(),
            action: action.into(),
            level: 3,
            made_ms: 0,
            expires_ms: 0,
            draft: "{}".into(),
            state,
            publication: None,
        }
    }

    /// Cancel is offered only while the warning is in force: released, and not ended or
    /// waiting for its cancel to be released.
    #[test]
    fn cancel_is_offered_only_while_the_warning_is_in_force() {
        use VersionState::{Draft, Published, Record, Superseded};
        for (versions, expected) in [
            (vec![(1, "raised", Draft)], false),
            (vec![(1, "raised", Published)], true),
            (
                vec![(1, "raised", Published), (2, "escalated", Draft)],
                true,
            ),
            (
                vec![(1, "raised", Published), (2, "cancelled", Draft)],
                false,
            ),
            (
                vec![(1, "raised", Published), (2, "cancelled", Published)],
                false,
            ),
            (
                vec![(1, "raised", Published), (2, "all-clear", Published)],
                false,
            ),
            (
                vec![(1, "raised", Published), (2, "expired", Record)],
                false,
            ),
            (
                vec![(1, "raised", Published), (2, "all-clear", Superseded)],
                true,
            ),
        ] {
            let records: Vec<VersionRecord> = versions
                .iter()
                .map(|(n, a, s)| version(*n, a, *s))
                .collect();
            assert_eq!(cancellable(&records), expected, "{versions:?}");
        }
    }
}
