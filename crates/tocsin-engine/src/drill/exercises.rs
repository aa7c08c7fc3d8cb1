//! Drills on a running node (`POST /api/v1/drills`, `tocsin drill run --server`): each runs on
//! a thread of its own, in an exercise space of its own — a store in `exercises/{id}` under the
//! node's data folder, with its own accelerated clock — so that nothing it creates touches the
//! node's real records. The node's settings (catalogue, scenarios, channels) are the drill's, and
//! the node's recipients marked as drill participants hear its notices through their real
//! channels. A drill leaves what it is in `exercises/{id}/drill.json` and, once finished, its
//! report in `report.json`; both are read back after a restart. An administrator may cancel a
//! running drill: it stops before its next step, is scored as far as it got and shown as
//! cancelled, and the next drill may start. The node's journal records each drill's start, its
//! end (that of one the node's stop cut off at the node's next start) and its removal; no id is
//! given twice (the last one given is kept in `exercises/last_id`).

use super::scenario::Scenario;
use super::score::DrillReport;
use super::{Control, DrillSetup, Speed};
use crate::dispatch::RecipientEntry;
use crate::engine::EngineOptions;
use crate::error::{EngineError, Result};
use crate::registry::changes::RegionChange;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tocsin_core::Clock;
use tocsin_core::change::{Actor, Change, Event};
use tocsin_store::Store;

/// The drills of a node.
pub struct Exercises {
    root: PathBuf,
    admin_dir: PathBuf,
    region_changes: Arc<Vec<RegionChange>>,
    options: EngineOptions,
    /// The node's clock, for when drills start (each drill has a clock of its own).
    clock: Arc<dyn Clock>,
    /// The node's store, whose journal records that drills started, ended and were removed.
    journal: Arc<dyn Store>,
    runs: Mutex<BTreeMap<u64, Run>>,
}

/// The file under the drills' folder that holds the last id given to a drill.
const LAST_ID: &str = "last_id";

/// The file that marks a drill's folder once its end is journaled.
const ENDED: &str = "ended";

/// What is known of a drill from its start, kept in `exercises/{id}/drill.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RunMeta {
    drill: String,
    title_vi: String,
    title_en: String,
    speed: String,
    /// When it was started, by the node's clock.
    started: String,
}

struct Run {
    meta: RunMeta,
    /// Scenario time reached, and the request to cancel.
    control: Arc<Control>,
    outcome: Arc<Mutex<Option<std::result::Result<DrillReport, String>>>>,
}

/// A drill as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunView {
    pub id: u64,
    pub drill: String,
    pub title_vi: String,
    pub title_en: String,
    pub speed: String,
    /// When it was started (wall clock).
    pub started: String,
    /// `running`, `finished`, `cancelled` or `failed`.
    pub status: &'static str,
    /// The scenario time it has reached.
    pub scenario_time: Option<String>,
    pub error: Option<String>,
    /// Once finished: how many expectations were met, of how many.
    pub expectations_met: Option<(usize, usize)>,
    pub report: Option<DrillReport>,
}

impl Exercises {
    /// The drills kept under `root`; `admin_dir` holds the official administrative files each
    /// exercise space imports, with `region_changes`; `journal` is the node's store.
    pub fn new(
        root: PathBuf,
        admin_dir: PathBuf,
        region_changes: Vec<RegionChange>,
        options: EngineOptions,
        (clock, journal): (Arc<dyn Clock>, Arc<dyn Store>),
    ) -> Exercises {
        let runs = earlier_runs(&root);
        let exercises = Exercises {
            root,
            admin_dir,
            region_changes: Arc::new(region_changes),
            options,
            clock,
            journal,
            runs: Mutex::new(runs),
        };
        exercises.journal_interrupted();
        exercises
    }

    /// Journals the end of every earlier drill the node's stop cut off, once (its folder is
    /// marked `ended` when its end is journaled).
    fn journal_interrupted(&self) {
        for (id, run) in self.lock().iter() {
            let folder = self.root.join(id.to_string());
            let cut_off = lock(&run.outcome).as_ref().is_some_and(|o| o.is_err());
            if !cut_off || folder.join(ENDED).exists() {
                continue;
            }
            let ended = Change::DrillEnded {
                drill: *id,
                status: "interrupted".into(),
                expectations_met: None,
                expectations: None,
                report_sha256: None,
            };
            let journaled = journal_drill(&*self.journal, &*self.clock, ended, &Actor::Node)
                .map_err(|e| e.to_string())
                .and_then(|()| std::fs::write(folder.join(ENDED), b"").map_err(|e| e.to_string()));
            if let Err(e) = journaled {
                tracing::warn!(error = %e, drill = id, "the end of an interrupted drill could not be journaled");
            }
        }
    }

    /// Journals `change` to drills, made now by `actor`.
    fn journal(&self, change: Change, actor: &Actor) -> Result<()> {
        journal_drill(&*self.journal, &*self.clock, change, actor)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Run>> {
        self.runs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts `scenario` in a fresh exercise space; one drill runs at a time on a node.
    pub fn start(
        &self,
        scenario: Scenario,
        speed: Speed,
        speed_text: &str,
        participants: Vec<RecipientEntry>,
        actor: &Actor,
    ) -> Result<u64> {
        let mut runs = self.lock();
        if let Some((id, _)) = runs.iter().find(|(_, r)| lock(&r.outcome).is_none()) {
            return Err(EngineError::Conflict(format!(
                "drill {id} is still running; one drill runs at a time"
            )));
        }
        // Never an id given before, even to a drill since removed: the journal names drills by it.
        let given = std::fs::read_to_string(self.root.join(LAST_ID))
            .ok()
            .and_then(|text| text.trim().parse::<u64>().ok())
            .unwrap_or(0);
        let id = runs.keys().next_back().copied().unwrap_or(0).max(given) + 1;
        let drill = &scenario.file.drill;
        let meta = RunMeta {
            drill: drill.id.clone(),
            title_vi: drill.title_vi.clone(),
            title_en: drill.title_en.clone(),
            speed: speed_text.to_string(),
            started: self.clock.now().to_string(),
        };
        let work_dir = self.root.join(id.to_string());
        let written = std::fs::create_dir_all(&work_dir).and_then(|()| {
            std::fs::write(self.root.join(LAST_ID), id.to_string())?;
            let json = serde_json::to_vec_pretty(&meta).unwrap_or_default();
            std::fs::write(work_dir.join("drill.json"), json)
        });
        written.map_err(|e| {
            EngineError::Invalid(format!(
                "the exercise space {} cannot be made: {e}",
                work_dir.display()
            ))
        })?;
        let started = Change::DrillStarted {
            drill: id,
            scenario: drill.id.clone(),
            speed: speed_text.to_string(),
            participants: participants.len() as u64,
        };
        self.journal(started, actor)?;
        let run = Run {
            meta,
            control: Arc::new(Control::new(drill.start.as_millisecond())),
            outcome: Arc::new(Mutex::new(None)),
        };
        let (control, outcome) = (run.control.clone(), run.outcome.clone());
        let (admin_dir, options) = (self.admin_dir.clone(), self.options.clone());
        let region_changes = self.region_changes.clone();
        let (journal, clock) = (self.journal.clone(), self.clock.clone());
        std::thread::Builder::new()
            .name(format!("tocsin-drill-{id}"))
            .spawn(move || {
                let setup = DrillSetup {
                    admin_dir: &admin_dir,
                    region_changes: &region_changes,
                    work_dir: &work_dir,
                    speed,
                    options,
                    recipients: participants,
                    control: Some(control),
                };
                let run = std::panic::AssertUnwindSafe(|| super::run(&scenario, setup));
                let result = match std::panic::catch_unwind(run) {
                    Ok(result) => result.map_err(|e| e.to_string()),
                    Err(_) => Err("the drill stopped on an internal error".to_string()),
                };
                let saved = result.as_ref().ok().and_then(|r| save_report(&work_dir, r));
                let ended = ended(id, &result, saved.as_deref());
                match journal_drill(&*journal, &*clock, ended, &Actor::Node) {
                    Ok(()) => {
                        let _ = std::fs::write(work_dir.join(ENDED), b"");
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, drill = id, "the end of the drill could not be journaled");
                    }
                }
                *lock(&outcome) = Some(result);
            })
            .map_err(|e| EngineError::Invalid(format!("the drill cannot start: {e}")))?;
        runs.insert(id, run);
        Ok(id)
    }

    /// One drill, with its report once finished.
    pub fn view(&self, id: u64) -> Option<RunView> {
        self.lock().get(&id).map(|run| view(id, run, true))
    }

    /// Asks a running drill to stop before its next step; `None` when there is no such drill,
    /// a conflict when it is not running.
    pub fn cancel(&self, id: u64) -> Result<Option<RunView>> {
        let runs = self.lock();
        let Some(run) = runs.get(&id) else {
            return Ok(None);
        };
        if lock(&run.outcome).is_some() {
            return Err(EngineError::Conflict(format!(
                "drill {id} is not running (it is {})",
                view(id, run, false).status
            )));
        }
        run.control.cancel();
        Ok(Some(view(id, run, false)))
    }

    /// Deletes a finished drill and its exercise space; `false` when there is no such drill.
    pub fn remove(&self, id: u64, actor: &Actor) -> Result<bool> {
        let mut runs = self.lock();
        let Some(run) = runs.get(&id) else {
            return Ok(false);
        };
        if lock(&run.outcome).is_none() {
            return Err(EngineError::Conflict(format!(
                "drill {id} is still running; cancel it first"
            )));
        }
        // Journaled first: a removal that fails later is still on record.
        self.journal(Change::DrillRemoved { drill: id }, actor)?;
        let folder = self.root.join(id.to_string());
        if folder.exists() {
            std::fs::remove_dir_all(&folder).map_err(|e| {
                EngineError::Invalid(format!("{} could not be removed: {e}", folder.display()))
            })?;
        }
        runs.remove(&id);
        Ok(true)
    }

    /// Every drill, newest first, without their reports.
    pub fn list(&self) -> Vec<RunView> {
        self.lock()
            .iter()
            .rev()
            .map(|(id, run)| view(*id, run, false))
            .collect()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn view(id: u64, run: &Run, with_report: bool) -> RunView {
    let outcome = lock(&run.outcome);
    let (status, error, report) = match &*outcome {
        None => ("running", None, None),
        Some(result) => (
            status_of(result),
            result.as_ref().err().cloned(),
            result.as_ref().ok(),
        ),
    };
    let expectations_met = report.map(|r| (r.expectations_met, r.expectations.len()));
    let report = report.filter(|_| with_report).cloned();
    let reached = run.control.reached_ms();
    RunView {
        id,
        drill: run.meta.drill.clone(),
        title_vi: run.meta.title_vi.clone(),
        title_en: run.meta.title_en.clone(),
        speed: run.meta.speed.clone(),
        started: run.meta.started.clone(),
        status,
        scenario_time: jiff::Timestamp::from_millisecond(reached)
            .ok()
            .map(|t| t.to_string()),
        error,
        expectations_met,
        report,
    }
}

/// Saves the report in the drill's folder; returns the bytes saved.
fn save_report(work_dir: &Path, report: &DrillReport) -> Option<Vec<u8>> {
    let written = serde_json::to_vec_pretty(report)
        .map_err(|e| e.to_string())
        .and_then(|json| {
            std::fs::write(work_dir.join("report.json"), &json).map_err(|e| e.to_string())?;
            Ok(json)
        });
    written
        .inspect_err(|e| {
            tracing::warn!(error = %e, folder = %work_dir.display(), "the drill's report could not be saved");
        })
        .ok()
}

/// The change a drill's end makes: how it ended, and its report as saved.
fn ended(
    drill: u64,
    result: &std::result::Result<DrillReport, String>,
    saved: Option<&[u8]>,
) -> Change {
    let report = result.as_ref().ok();
    Change::DrillEnded {
        drill,
        status: status_of(result).to_string(),
        expectations_met: report.map(|r| r.expectations_met as u64),
        expectations: report.map(|r| r.expectations.len() as u64),
        report_sha256: saved.map(tocsin_core::change::sha256_hex),
    }
}

/// `finished`, `cancelled` or `failed`.
fn status_of(result: &std::result::Result<DrillReport, String>) -> &'static str {
    match result {
        Ok(report) if report.cancelled_at.is_some() => "cancelled",
        Ok(_) => "finished",
        Err(_) => "failed",
    }
}

/// Journals `change` to drills in the node's journal, made now by `actor` for the whole node.
fn journal_drill(
    journal: &dyn Store,
    clock: &dyn Clock,
    change: Change,
    actor: &Actor,
) -> Result<()> {
    let event = Event {
        at_ms: clock.now().as_millisecond(),
        actor: actor.clone(),
        region: tocsin_store::NATION.into(),
        change,
    };
    Ok(journal.journal_outside(&event)?)
}

/// The drills of earlier runs of the node: what they were (`drill.json`) and their reports
/// (`report.json`); one without a report stopped with the node.
fn earlier_runs(root: &Path) -> BTreeMap<u64, Run> {
    let mut runs = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(root) else {
        return runs;
    };
    for entry in entries.flatten() {
        let Some(id) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        let read = |name: &str| std::fs::read(entry.path().join(name)).ok();
        let Some(meta) =
            read("drill.json").and_then(|b| serde_json::from_slice::<RunMeta>(&b).ok())
        else {
            continue;
        };
        let report =
            read("report.json").and_then(|b| serde_json::from_slice::<DrillReport>(&b).ok());
        let reached = report.as_ref().and_then(|r| {
            r.cancelled_at
                .as_ref()
                .unwrap_or(&r.end)
                .parse::<jiff::Timestamp>()
                .ok()
        });
        let outcome =
            report.ok_or_else(|| "the node stopped before this drill finished".to_string());
        let run = Run {
            meta,
            control: Arc::new(Control::new(reached.map_or(0, |t| t.as_millisecond()))),
            outcome: Arc::new(Mutex::new(Some(outcome))),
        };
        runs.insert(id, run);
    }
    runs
}
