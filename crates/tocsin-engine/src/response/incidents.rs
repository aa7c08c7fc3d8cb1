//! Incidents as operators work them: opened from a report, listed and read within scope, given
//! more resources, their tasks done, roles given and notes added, closed with the after-action
//! report, and summed up in a situation report.

use super::firing::{requests_of, tasks_of};
use super::{AfterAction, Report, ledgers, personal, sitrep, storable};
use crate::access::Principal;
use crate::engine::Engine;
use crate::error::{EngineError, Result, page_limit};
use crate::{Cursor, Page};
use std::collections::BTreeMap;
use tocsin_core::access::{Access, Resource};
use tocsin_core::clock::timestamp_text;
use tocsin_core::response::Tier;
use tocsin_core::response::matching::Need;
use tocsin_core::response::playbook::ROLES;
use tocsin_store::{
    FilterRoot, IncidentDetail, IncidentOutcome, IncidentRecord, IncidentUpdate, NewIncident,
    NewRequest, TimelineEntry,
};

impl Engine {
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
