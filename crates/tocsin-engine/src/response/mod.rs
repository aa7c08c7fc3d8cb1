//! Response coordination in the running system. When a warning version is released, the
//! framework scenarios for its hazard fire for each commune at its level (and for the province
//! at the warning's level): the first opens the incident of that warning and area, a rise adds
//! the next level's tasks and requests — never the same twice — and the new requests are filled
//! by the four on-site principle and booked in the same transaction. When the warning ends
//! (cancelled, all-clear, withdrawn, expired), open tasks are closed and resources released.
//! Incidents are also opened by hand from a report. Resources, the reserve ledger and the
//! funds are in `resources.rs` and `ledgers.rs`.

pub mod ledgers;
pub mod neighbours;
pub mod playbooks;
pub mod resources;

use crate::access::Principal;
use crate::engine::Engine;
use crate::error::{EngineError, Result, page_limit};
use crate::{Cursor, Page};
use neighbours::Neighbours;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use tocsin_core::access::{Access, Resource};
use tocsin_core::change::Actor;
use tocsin_core::clock::timestamp_text;
use tocsin_core::region::{Region, RegionKind};
use tocsin_core::response::Tier;
use tocsin_core::response::matching::{Need, Place, Registry};
use tocsin_core::response::playbook::{Playbooks, ROLES, Scenario};
use tocsin_core::warning::{Action, Draft};
use tocsin_store::{
    FilterRoot, IncidentDetail, IncidentOutcome, IncidentRecord, IncidentUpdate, NewIncident,
    NewRequest, RegionFilter, TaskRecord, TimelineEntry, VersionRecord,
};

/// What the response desk keeps: the scenarios in use and the provinces' neighbours.
#[derive(Default)]
pub struct ResponseState {
    playbooks: RwLock<Arc<Playbooks>>,
    neighbours: RwLock<Option<Arc<Neighbours>>>,
    manual_requests: std::sync::atomic::AtomicU64,
}

impl ResponseState {
    pub fn new(playbooks: Playbooks) -> ResponseState {
        ResponseState {
            playbooks: RwLock::new(Arc::new(playbooks)),
            ..Default::default()
        }
    }

    /// Drops the provinces' neighbours, computed again from the boundaries when next needed
    /// (after the registry changed, or when it was read before the import).
    pub(crate) fn forget_neighbours(&self) {
        *self.neighbours.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// A report from an agency or a citizen that opens an incident.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub hazard: String,
    pub lat: f64,
    pub lon: f64,
    pub text: String,
    /// Who reports: an agency's name or a citizen's contact.
    pub reporter: String,
    /// The level the reporter judges (1–5); scenarios fire at it when given.
    #[serde(default)]
    pub level: Option<u8>,
    /// Names or links of attached photos and documents.
    #[serde(default)]
    pub attachments: Vec<String>,
}

/// The after-action report of a closed incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AfterAction {
    pub summary: String,
    pub opened: String,
    pub closed: String,
    pub duration_hours: f64,
    pub tasks_done: usize,
    pub tasks_closed_unfinished: usize,
    pub tasks_overdue: usize,
    /// Kind → quantity assigned over the incident.
    pub resources_used: BTreeMap<String, u64>,
    /// Kind → quantity that could not be found.
    pub shortfalls: BTreeMap<String, u64>,
    /// Disbursed to the incident, net of reversals, in đồng.
    pub costs_vnd: i64,
}

impl Engine {
    /// The framework scenarios in use.
    pub fn playbooks(&self) -> Arc<Playbooks> {
        self.response_state()
            .playbooks
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Province code → bordering provinces, computed once from the registry's boundaries.
    pub fn province_neighbours(&self) -> Result<Arc<Neighbours>> {
        let state = self.response_state();
        if let Some(found) = state
            .neighbours
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Ok(found);
        }
        let boundaries = self
            .store()
            .boundaries(RegionKind::Province, self.today())?;
        let found = Arc::new(neighbours::neighbours(&boundaries));
        *state.neighbours.write().unwrap_or_else(|e| e.into_inner()) = Some(found.clone());
        Ok(found)
    }

    /// Fires the framework scenarios of a released version, or stands its incident down when the
    /// warning ends. A warning has one incident (its hazard in its province): each commune's
    /// scenarios add that commune's tasks and requests (named `task@commune`), filled from the
    /// commune outwards; the province's scenarios add the province's. Returns what each update did.
    pub(crate) fn respond(
        &self,
        version: &VersionRecord,
        exercise: bool,
    ) -> Result<Vec<IncidentOutcome>> {
        let draft: Draft = serde_json::from_str(&version.draft)
            .map_err(|e| EngineError::Invalid(format!("warning {} draft: {e}", version.warning)))?;
        let now = self.clock().now().as_millisecond();
        if matches!(
            draft.action,
            Action::Cancelled | Action::AllClear | Action::Withdrawn | Action::Expired
        ) {
            let by = format!("warning {} {}", version.warning, draft.action.as_str());
            self.store()
                .stand_down(version.warning, now, &by, &Actor::Node)?;
            return Ok(Vec::new());
        }
        let province = self.current_region(&version.province)?;
        let what = match crate::warnings::lead_rule(version) {
            Some(rule) => self.rule_name(&rule),
            None => self.hazard_name(&version.hazard),
        };
        let incident = NewIncident {
            title: format!("{what} — {}", self.titled_place(&version.province)?),
            hazard: version.hazard.clone(),
            area: version.province.clone(),
            province: version.province.clone(),
            tier: Tier::Province,
            level: version.level,
            warning: Some(version.warning),
            exercise,
            source: "scenario".into(),
            report: None,
            opened_ms: now,
            opened_by: format!("scenario (warning {} v{})", version.warning, version.number),
        };
        let playbooks = self.playbooks();
        let observed = self.observed_levels(&version.hazard, &version.province)?;
        let mut outcomes = Vec::new();
        for area in draft.areas.values().filter(|a| a.area != version.province) {
            // An area shows its highest reading, which may be a forecast: the observed
            // scenarios fire at the observed level, the anticipatory ones at the forecast.
            let now_level = observed.get(&area.area).copied().unwrap_or(0);
            let forecast_level = if area.certainty == "likely" {
                area.level
            } else {
                0
            };
            let mut fired = playbooks.firing(&version.hazard, Tier::Commune, now_level, false);
            fired.extend(playbooks.firing(&version.hazard, Tier::Commune, forecast_level, true));
            if fired.is_empty() {
                continue;
            }
            let commune = self.current_region(&area.area)?;
            let update = IncidentUpdate {
                existing: None,
                draw_from: Vec::new(),
                incident: incident.clone(),
                tasks: tasks_of(&fired, now, Some(&self.place_name(&commune.code)?)),
                requests: requests_of(&fired, Some(&commune.code)),
            };
            outcomes.push(self.book(update, &commune, &Actor::Node)?);
        }
        let fired = playbooks.firing(&version.hazard, Tier::Province, version.level, false);
        if !fired.is_empty() {
            let update = IncidentUpdate {
                existing: None,
                draw_from: Vec::new(),
                tasks: tasks_of(&fired, now, None),
                requests: requests_of(&fired, None),
                incident,
            };
            outcomes.push(self.book(update, &province, &Actor::Node)?);
        }
        Ok(outcomes)
    }

    /// The observed level of `hazard` in each commune of `province` now.
    fn observed_levels(&self, hazard: &str, province: &str) -> Result<BTreeMap<String, u8>> {
        let filter = RegionFilter {
            root: FilterRoot::Province(province.to_string()),
            domains: Vec::new(),
        };
        let mut levels = BTreeMap::new();
        for d in self.store().current_levels(&filter)? {
            if d.hazard != hazard || d.certainty != "observed" {
                continue;
            }
            if let Some(commune) = d.commune {
                let level = levels.entry(commune).or_insert(0);
                *level = d.to_level.max(*level);
            }
        }
        Ok(levels)
    }

    /// Writes an incident update, filling new requests from `region` outwards: its province,
    /// the neighbouring provinces and the national reserves.
    fn book(
        &self,
        mut update: IncidentUpdate,
        region: &Region,
        actor: &Actor,
    ) -> Result<IncidentOutcome> {
        let neighbours = self.province_neighbours()?;
        let province = update.incident.province.clone();
        let place = Place {
            commune: region.code.clone(),
            province: province.clone(),
            location: region.centroid.unwrap_or_default(),
            neighbours: neighbours.get(&province).cloned().unwrap_or_default(),
        };
        update.draw_from = std::iter::once(province)
            .chain(place.neighbours.iter().cloned())
            .collect();
        let planner = |free: &[_], needs: &[Need]| Registry::new(free).plan(&place, needs);
        Ok(self.store().update_incident(&update, &planner, actor)?)
    }

    fn current_region(&self, code: &str) -> Result<Region> {
        self.store()
            .region(code, self.today(), &RegionFilter::all())?
            .ok_or_else(|| EngineError::NotFound(format!("no current region {code}")))
    }

    /// The Vietnamese name of a hazard (not of any one rule of it).
    fn hazard_name(&self, hazard: &str) -> String {
        self.catalog()
            .hazard_names(hazard)
            .map_or_else(|| hazard.to_string(), |(vi, _)| vi.to_string())
    }

    /// The Vietnamese name of the rule that raised a warning.
    fn rule_name(&self, rule: &str) -> String {
        self.catalog()
            .rule_names(rule)
            .map_or_else(|| rule.to_string(), |(vi, _)| vi.to_string())
    }

    /// `tỉnh Lào Cai`, `xã Phúc Khánh, Lào Cai`: a place as titles name it, by the registry's
    /// names on the registry date.
    fn titled_place(&self, code: &str) -> Result<String> {
        let name = self.place_name(code)?;
        Ok(format!("{} {}", name.division_type, name.full_vi())
            .trim()
            .to_string())
    }

    /// Opens an incident from a report; at a given level the hazard's commune scenarios fire.
    pub fn open_incident(&self, who: &Principal, report: &Report) -> Result<IncidentOutcome> {
        who.require(Resource::Incidents, Access::Write)?;
        self.check_hazard("report", &report.hazard)?;
        if report.text.trim().is_empty() || report.reporter.trim().is_empty() {
            return Err(EngineError::Invalid(
                "text and reporter: both are needed".into(),
            ));
        }
        if let Some(level) = report.level.filter(|l| !(1..=5).contains(l)) {
            return Err(EngineError::Invalid(format!(
                "level: {level} is not a level 1 to 5"
            )));
        }
        let commune = self.locate(who, report.lat, report.lon)?;
        let province = commune.parent.clone().unwrap_or_default();
        who.require_in(
            Resource::Incidents,
            Access::Write,
            &format!("a {} report in province {province}", report.hazard),
            &crate::access::Place::hazard(&province, &report.hazard),
        )?;
        let now = self.clock().now().as_millisecond();
        let level = report.level.unwrap_or(0);
        let playbooks = self.playbooks();
        let scenarios = playbooks.firing(&report.hazard, Tier::Commune, level, false);
        let update = IncidentUpdate {
            existing: None,
            draw_from: Vec::new(),
            incident: NewIncident {
                title: format!(
                    "{} — {}",
                    self.hazard_name(&report.hazard),
                    self.titled_place(&commune.code)?
                ),
                hazard: report.hazard.clone(),
                area: commune.code.clone(),
                province,
                tier: Tier::Commune,
                level,
                warning: None,
                exercise: self.exercising(),
                source: "report".into(),
                report: Some(serde_json::to_string(report).unwrap_or_default()),
                opened_ms: now,
                opened_by: who.token_id.clone(),
            },
            tasks: tasks_of(&scenarios, now, None),
            requests: requests_of(&scenarios, None),
        };
        self.book(update, &commune, &who.actor())
    }

    /// Incidents of the provinces and domains `who` sees, newest first; the reporter's contact
    /// is masked for those who do not act on incidents.
    pub fn incidents(
        &self,
        who: &Principal,
        before: Option<&Cursor>,
        limit: usize,
    ) -> Result<Page<IncidentRecord>> {
        who.require(Resource::Incidents, Access::Read)?;
        let limit = page_limit(limit)?;
        let rows = self.store().incidents(&who.filter, before, limit + 1)?;
        let mut page = Page::cut(rows, limit);
        for incident in &mut page.items {
            personal::mask_report_for(who, incident);
        }
        Ok(page)
    }

    /// One incident with its roles, tasks, requests, assignments and timeline.
    pub fn incident(&self, who: &Principal, id: u64) -> Result<IncidentDetail> {
        self.incident_for(who, Access::Read, id)
    }

    /// One incident after the incidents rule for `access`: its province and hazard in scope.
    fn incident_for(&self, who: &Principal, access: Access, id: u64) -> Result<IncidentDetail> {
        who.require(Resource::Incidents, access)?;
        let what = format!("incident {id}");
        let Some(mut found) = self.store().incident(id)? else {
            return Err(EngineError::NotFound(format!("no {what}")));
        };
        let i = &found.incident;
        who.require_in(
            Resource::Incidents,
            access,
            &what,
            &crate::access::Place::hazard(&i.province, &i.hazard),
        )?;
        personal::mask_report_for(who, &mut found.incident);
        Ok(found)
    }

    /// Asks for more resources for an incident; they are planned and booked at once.
    pub fn request_resources(
        &self,
        who: &Principal,
        id: u64,
        needs: &[(Need, String)],
    ) -> Result<IncidentOutcome> {
        let detail = self.incident_to_change(who, id)?;
        if let Some((need, _)) = needs
            .iter()
            .find(|(n, _)| n.quantity == 0 || n.kind.trim().is_empty())
        {
            return Err(EngineError::Invalid(format!(
                "request {:?}: kind and a quantity of at least 1 are needed",
                need.kind
            )));
        }
        for (need, _) in needs {
            storable(need.quantity).map_err(|reason| {
                EngineError::Invalid(format!("request {:?}: quantity: {reason}", need.kind))
            })?;
        }
        let serial = self
            .response_state()
            .manual_requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let now = self.clock().now().as_millisecond();
        let scenario = format!("request {now}-{serial} by {}", who.token_id);
        let i = &detail.incident;
        let update = IncidentUpdate {
            existing: Some(i.id),
            draw_from: Vec::new(),
            incident: NewIncident {
                title: i.title.clone(),
                hazard: i.hazard.clone(),
                area: i.area.clone(),
                province: i.province.clone(),
                tier: i.tier,
                level: i.level,
                warning: i.warning,
                exercise: i.exercise,
                source: i.source.clone(),
                report: None,
                opened_ms: now,
                opened_by: who.token_id.clone(),
            },
            tasks: Vec::new(),
            requests: needs
                .iter()
                .enumerate()
                .map(|(position, (need, unit))| NewRequest {
                    scenario: scenario.clone(),
                    position: position as u32,
                    need: need.clone(),
                    unit: unit.clone(),
                })
                .collect(),
        };
        let region = self.current_region(&i.area)?;
        self.book(update, &region, &who.actor())
    }

    /// Marks a task done.
    pub fn complete_task(&self, who: &Principal, id: u64, task: &str) -> Result<()> {
        self.incident_to_change(who, id)?;
        let now = self.clock().now().as_millisecond();
        if self
            .store()
            .complete_task(id, task, now, &who.token_id, &who.actor())?
        {
            Ok(())
        } else {
            Err(EngineError::Conflict(format!(
                "incident {id}: task {task:?} is not open"
            )))
        }
    }

    /// Gives an incident command role (commander, operations, …) to a person or an agency.
    pub fn set_incident_role(
        &self,
        who: &Principal,
        id: u64,
        role: &str,
        holder: &str,
    ) -> Result<()> {
        self.incident_to_change(who, id)?;
        if !ROLES.contains(&role) {
            return Err(EngineError::Invalid(format!(
                "role: {role:?} is none of {}",
                ROLES.join(", ")
            )));
        }
        if holder.trim().is_empty() {
            return Err(EngineError::Invalid(
                "holder: a person or agency is needed".into(),
            ));
        }
        let now = self.clock().now().as_millisecond();
        Ok(self.store().set_incident_role(
            id,
            role,
            holder.trim(),
            now,
            &who.token_id,
            &who.actor(),
        )?)
    }

    /// Adds a note to an incident's timeline.
    pub fn add_incident_note(&self, who: &Principal, id: u64, text: &str) -> Result<()> {
        self.incident_to_change(who, id)?;
        if text.trim().is_empty() {
            return Err(EngineError::Invalid("text: the note is empty".into()));
        }
        let entry = TimelineEntry {
            time_ms: self.clock().now().as_millisecond(),
            kind: "note".into(),
            text: text.trim().to_string(),
            by: who.token_id.clone(),
        };
        Ok(self.store().add_timeline_entry(id, &entry, &who.actor())?)
    }

    /// Closes an incident: open tasks closed, resources released, the after-action report kept.
    pub fn close_incident(&self, who: &Principal, id: u64, summary: &str) -> Result<AfterAction> {
        let detail = self.incident_to_change(who, id)?;
        let now = self.clock().now().as_millisecond();
        let report = self.after_action(&detail, summary, now)?;
        let json = serde_json::to_string(&report).unwrap_or_default();
        if self
            .store()
            .close_incident(id, &json, now, &who.token_id, &who.actor())?
        {
            Ok(report)
        } else {
            Err(EngineError::Conflict(format!(
                "incident {id} is already closed"
            )))
        }
    }

    fn after_action(
        &self,
        detail: &IncidentDetail,
        summary: &str,
        now: i64,
    ) -> Result<AfterAction> {
        let tasks = &detail.tasks;
        let mut resources_used: BTreeMap<String, u64> = BTreeMap::new();
        for a in &detail.assignments {
            let kind = detail
                .requests
                .iter()
                .find(|r| r.id == a.request)
                .map_or_else(|| a.resource.clone(), |r| r.kind.clone());
            *resources_used.entry(kind).or_default() += a.quantity;
        }
        let mut shortfalls: BTreeMap<String, u64> = BTreeMap::new();
        for r in detail.requests.iter().filter(|r| r.shortfall > 0) {
            *shortfalls.entry(r.kind.clone()).or_default() += r.shortfall;
        }
        let costs_vnd = self
            .store()
            .fund_balance_under(&ledgers::incident_account(detail.incident.id, None))?;
        Ok(AfterAction {
            summary: summary.trim().to_string(),
            opened: timestamp_text(detail.incident.opened_ms),
            closed: timestamp_text(now),
            duration_hours: (now - detail.incident.opened_ms) as f64 / 3_600_000.0,
            tasks_done: tasks.iter().filter(|t| t.status == "done").count(),
            tasks_closed_unfinished: tasks.iter().filter(|t| t.status != "done").count(),
            tasks_overdue: tasks
                .iter()
                .filter(|t| t.ended_ms.unwrap_or(now) > t.due_ms && t.status != "closed")
                .count(),
            resources_used,
            shortfalls,
            costs_vnd,
        })
    }

    /// A situation report of an incident from the template, in Vietnamese or English.
    pub fn situation_report(&self, who: &Principal, id: u64, english: bool) -> Result<String> {
        let d = self.incident(who, id)?;
        let now = self.clock().now().as_millisecond();
        Ok(sitrep::render(&d, now, english))
    }

    fn incident_to_change(&self, who: &Principal, id: u64) -> Result<IncidentDetail> {
        let detail = self.incident_for(who, Access::Write, id)?;
        if detail.incident.status != "open" {
            return Err(EngineError::Conflict(format!("incident {id} is closed")));
        }
        match &who.filter.root {
            FilterRoot::Commune { commune, .. } if *commune != detail.incident.area => {
                Err(EngineError::Forbidden(format!(
                    "incident {id} is for {}, outside your commune",
                    detail.incident.area
                )))
            }
            _ => Ok(detail),
        }
    }
}

mod personal;
mod sitrep;

/// The largest quantity the store keeps (an SQLite integer); a larger one would wrap around.
pub const MAX_QUANTITY: u64 = i64::MAX as u64;

/// Refuses a quantity the store cannot keep: the reason, for the field that carries it.
pub(crate) fn storable(quantity: u64) -> std::result::Result<u64, String> {
    if quantity > MAX_QUANTITY {
        return Err(format!(
            "{quantity} is more than the largest quantity kept ({MAX_QUANTITY})"
        ));
    }
    Ok(quantity)
}

/// The tasks of the scenarios, due from `now`; a commune's are named `task@commune` (and so are
/// their dependencies), with the commune's name in their titles.
fn tasks_of(
    scenarios: &[&Scenario],
    now: i64,
    commune: Option<&crate::registry::names::PlaceName>,
) -> Vec<TaskRecord> {
    let named = |id: &str| match commune {
        Some(c) => format!("{id}@{}", c.code),
        None => id.to_string(),
    };
    let titled = |title: &str, english: bool| match commune {
        Some(c) if english => format!("{title} ({})", c.name_en),
        Some(c) => format!("{title} ({} {})", c.division_type, c.name),
        None => title.to_string(),
    };
    scenarios
        .iter()
        .flat_map(|s| {
            s.task.iter().map(move |t| TaskRecord {
                task: named(&t.id),
                scenario: s.id.clone(),
                level: s.level,
                title_vi: titled(&t.title_vi, false),
                title_en: titled(&t.title_en, true),
                lead: t.lead.clone(),
                supporting: t.supporting.clone(),
                depends_on: t.depends_on.iter().map(|d| named(d)).collect(),
                due_ms: now + tocsin_core::catalog::parse_duration(&t.due).unwrap_or(0) * 1000,
                status: "open".into(),
                opened_ms: now,
                ended_ms: None,
                ended_by: None,
            })
        })
        .collect()
}

/// The requests of the scenarios; a commune's are keyed `scenario@commune`.
fn requests_of(scenarios: &[&Scenario], commune: Option<&str>) -> Vec<NewRequest> {
    scenarios
        .iter()
        .flat_map(|s| {
            let scenario = commune.map_or_else(|| s.id.clone(), |c| format!("{}@{c}", s.id));
            s.request
                .iter()
                .enumerate()
                .map(move |(position, r)| NewRequest {
                    scenario: scenario.clone(),
                    position: position as u32,
                    need: r.need(),
                    unit: r.unit.clone(),
                })
        })
        .collect()
}
