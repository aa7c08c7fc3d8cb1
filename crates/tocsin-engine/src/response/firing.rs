//! The framework scenarios a released version fires: for each commune at its level (observed
//! or forecast) and for the province at the warning's level, their tasks and requests booked on
//! the warning's incident; the incident stood down when the warning ends.

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use std::collections::BTreeMap;
use tocsin_core::change::Actor;
use tocsin_core::response::Tier;
use tocsin_core::response::playbook::Scenario;
use tocsin_core::warning::{Action, Draft};
use tocsin_store::{
    FilterRoot, IncidentOutcome, IncidentUpdate, NewIncident, NewRequest, RegionFilter, TaskRecord,
    VersionRecord,
};

impl Engine {
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
}

/// The tasks of the scenarios, due from `now`; a commune's are named `task@commune` (and so are
/// their dependencies), with the commune's name in their titles.
pub(super) fn tasks_of(
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
pub(super) fn requests_of(scenarios: &[&Scenario], commune: Option<&str>) -> Vec<NewRequest> {
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
