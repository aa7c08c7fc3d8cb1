//! Framework scenarios (playbooks) as data, `catalog/playbooks/*.toml`: for a hazard, from a
//! level, at an administrative tier, the tasks to open (titles in Vietnamese and English, lead
//! and supporting roles, due time, dependencies) and the resources to request in the four
//! on-site categories; anticipatory scenarios fire on forecast levels (pre-position, evacuate).
//!
//! ```toml
//! [[scenario]]
//! id = "flood-commune-3"
//! hazard = "river_flood"
//! level = 3
//! tier = "commune"
//! [[scenario.task]]
//! id = "command-post"
//! title_vi = "Kích hoạt sở chỉ huy tại chỗ"
//! title_en = "Activate the on-site command post"
//! lead = "commander"
//! due = "30m"
//! [[scenario.request]]
//! category = "materials"
//! kind = "boat"
//! quantity = 4
//! ```

use super::matching::Need;
use super::{Category, Tier};
use crate::catalog::parse_duration;
use serde::Deserialize;
use std::collections::BTreeSet;

/// The roles of incident command a task can be led or supported by.
pub const ROLES: &[&str] = &[
    "commander",
    "operations",
    "planning",
    "logistics",
    "finance",
    "public_information",
    "liaison",
    "safety",
];

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaybookFile {
    #[serde(default)]
    pub scenario: Vec<Scenario>,
}

/// One framework scenario.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub id: String,
    pub hazard: String,
    /// The lowest level it fires at (1 to 5).
    pub level: u8,
    /// The administrative level it is written for: a commune's, a province's or the nation's.
    pub tier: Tier,
    /// Fires on a forecast level (certainty Likely) instead of an observed one.
    #[serde(default)]
    pub anticipatory: bool,
    #[serde(default)]
    pub title_vi: String,
    #[serde(default)]
    pub title_en: String,
    #[serde(default)]
    pub task: Vec<TaskDef>,
    #[serde(default)]
    pub request: Vec<RequestDef>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskDef {
    /// Unique within the hazard's scenarios: the same task is never opened twice.
    pub id: String,
    pub title_vi: String,
    pub title_en: String,
    pub lead: String,
    #[serde(default)]
    pub supporting: Vec<String>,
    /// Due after the scenario fires, e.g. `30m`, `2h`.
    pub due: String,
    /// Tasks (of this or lower-level scenarios) that must be done first.
    #[serde(default)]
    pub depends_on: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestDef {
    pub category: Category,
    pub kind: String,
    pub quantity: u64,
    /// The unit it is counted in (`person`, `boat`, `ration`…), for reports.
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub note: String,
}

impl RequestDef {
    pub fn need(&self) -> Need {
        Need {
            category: self.category,
            kind: self.kind.clone(),
            quantity: self.quantity,
        }
    }
}

/// A problem with a playbook file: the file, the scenario, the field and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: scenario {scenario:?}: {field}: {reason}")]
pub struct PlaybookProblem {
    pub file: String,
    pub scenario: String,
    pub field: String,
    pub reason: String,
}

/// Checked scenarios, in the order they are read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Playbooks {
    pub scenarios: Vec<Scenario>,
}

impl Playbooks {
    /// Checks playbook files `(name, content)` read by the caller; every problem is listed.
    pub fn check(files: Vec<(String, PlaybookFile)>) -> Result<Playbooks, Vec<PlaybookProblem>> {
        let mut problems = Vec::new();
        let mut scenarios: Vec<Scenario> = Vec::new();
        for (name, file) in files {
            for scenario in file.scenario {
                problems.extend(check(&name, &scenario));
                scenarios.push(scenario);
            }
        }
        problems.extend(check_unique(&scenarios));
        if problems.is_empty() {
            Ok(Playbooks { scenarios })
        } else {
            Err(problems)
        }
    }

    /// The scenarios for `hazard` at `tier` up to `level`, lowest level first; anticipatory ones
    /// only when `forecast`.
    pub fn firing(&self, hazard: &str, tier: Tier, level: u8, forecast: bool) -> Vec<&Scenario> {
        let mut found: Vec<&Scenario> = self
            .scenarios
            .iter()
            .filter(|s| s.hazard == hazard && s.tier == tier && s.level <= level)
            .filter(|s| s.anticipatory == forecast)
            .collect();
        found.sort_by_key(|s| s.level);
        found
    }
}

fn check(file: &str, scenario: &Scenario) -> Vec<PlaybookProblem> {
    let problem = |field: &str, reason: String| PlaybookProblem {
        file: file.into(),
        scenario: scenario.id.clone(),
        field: field.into(),
        reason,
    };
    let mut problems = Vec::new();
    if !(1..=5).contains(&scenario.level) {
        problems.push(problem(
            "level",
            format!("{} is not a level 1 to 5", scenario.level),
        ));
    }
    let mut task_ids = BTreeSet::new();
    for task in &scenario.task {
        let field = |f: &str| format!("task {:?}: {f}", task.id);
        if !task_ids.insert(task.id.as_str()) {
            problems.push(problem(&field("id"), "repeated in the scenario".into()));
        }
        if task.title_vi.trim().is_empty() || task.title_en.trim().is_empty() {
            problems.push(problem(
                &field("title"),
                "needs title_vi and title_en".into(),
            ));
        }
        for role in std::iter::once(&task.lead).chain(&task.supporting) {
            if !ROLES.contains(&role.as_str()) {
                let reason = format!("{role:?} is none of {}", ROLES.join(", "));
                problems.push(problem(&field("lead/supporting"), reason));
            }
        }
        if parse_duration(&task.due).is_none() {
            let reason = format!("{:?} is not a duration such as 30m, 2h, 1d", task.due);
            problems.push(problem(&field("due"), reason));
        }
    }
    for (i, request) in scenario.request.iter().enumerate() {
        if request.quantity == 0 {
            problems.push(problem(
                &format!("request {i}: quantity"),
                "must be at least 1".into(),
            ));
        }
        if request.kind.trim().is_empty() {
            problems.push(problem(&format!("request {i}: kind"), "is empty".into()));
        }
    }
    problems
}

/// Scenario ids are unique, and task ids within a hazard and tier (the scenarios of one
/// incident); dependencies name tasks of the same hazard's scenarios.
fn check_unique(scenarios: &[Scenario]) -> Vec<PlaybookProblem> {
    let mut problems = Vec::new();
    let mut ids = BTreeSet::new();
    let mut tasks = BTreeSet::new();
    for s in scenarios {
        for task in &s.task {
            if !tasks.insert((s.hazard.as_str(), s.tier, task.id.as_str())) {
                problems.push(PlaybookProblem {
                    file: String::new(),
                    scenario: s.id.clone(),
                    field: format!("task {:?}: id", task.id),
                    reason: format!("another {} {} scenario has it", s.hazard, s.tier.as_str()),
                });
            }
        }
        if !ids.insert(s.id.as_str()) {
            problems.push(PlaybookProblem {
                file: String::new(),
                scenario: s.id.clone(),
                field: "id".into(),
                reason: "repeated".into(),
            });
        }
        let known: BTreeSet<&str> = scenarios
            .iter()
            .filter(|o| o.hazard == s.hazard)
            .flat_map(|o| o.task.iter().map(|t| t.id.as_str()))
            .collect();
        for task in &s.task {
            for dependency in task
                .depends_on
                .iter()
                .filter(|d| !known.contains(d.as_str()))
            {
                problems.push(PlaybookProblem {
                    file: String::new(),
                    scenario: s.id.clone(),
                    field: format!("task {:?}: depends_on", task.id),
                    reason: format!("no task {dependency:?} in the {} scenarios", s.hazard),
                });
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLOOD: &str = r#"
[[scenario]]
id = "flood-commune-3"
hazard = "river_flood"
level = 3
tier = "commune"
[[scenario.task]]
id = "command-post"
title_vi = "Kích hoạt sở chỉ huy"
title_en = "Activate the command post"
lead = "commander"
due = "30m"
[[scenario.request]]
category = "materials"
kind = "boat"
quantity = 4

[[scenario]]
id = "flood-commune-4"
hazard = "river_flood"
level = 4
tier = "commune"
[[scenario.task]]
id = "evacuate"
title_vi = "Sơ tán dân"
title_en = "Evacuate"
lead = "operations"
supporting = ["logistics"]
due = "2h"
depends_on = ["command-post"]
"#;

    fn files(text: &str) -> Vec<(String, PlaybookFile)> {
        vec![("flood.toml".to_string(), toml::from_str(text).unwrap())]
    }

    #[test]
    fn scenarios_fire_up_to_the_level_lowest_first() {
        let playbooks = Playbooks::check(files(FLOOD)).unwrap();
        let ids = |level| {
            playbooks
                .firing("river_flood", Tier::Commune, level, false)
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
        };
        assert!(ids(2).is_empty());
        assert_eq!(ids(3), vec!["flood-commune-3"]);
        assert_eq!(ids(5), vec!["flood-commune-3", "flood-commune-4"]);
        assert!(
            playbooks
                .firing("river_flood", Tier::Province, 5, false)
                .is_empty()
        );
        assert!(
            playbooks
                .firing("river_flood", Tier::Commune, 5, true)
                .is_empty()
        );
    }

    #[test]
    fn every_problem_names_file_scenario_and_field() {
        let bad = FLOOD
            .replace("lead = \"operations\"", "lead = \"mayor\"")
            .replace("due = \"30m\"", "due = \"soon\"")
            .replace("quantity = 4", "quantity = 0")
            .replace("[\"command-post\"]", "[\"dig\"]");
        let problems = Playbooks::check(files(&bad)).unwrap_err();
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(problems.len(), 4, "{text:#?}");
        assert!(
            text.iter()
                .any(|t| t.contains("task \"evacuate\": lead/supporting: \"mayor\""))
        );
        assert!(
            text.iter()
                .any(|t| t.contains("task \"command-post\": due: \"soon\""))
        );
        assert!(text.iter().any(|t| t.contains("request 0: quantity")));
        assert!(
            text.iter()
                .any(|t| t.contains("depends_on: no task \"dig\""))
        );
    }
}
