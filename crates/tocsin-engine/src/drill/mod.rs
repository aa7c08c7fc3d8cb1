//! Drills: a scenario (`scenario/`) replayed through the real path — ingest, detection,
//! warnings, dissemination, response — on an accelerated clock, with everything marked as an
//! exercise (CAP status Exercise; incidents flagged; notices reach only recipients marked as drill
//! participants), then scored against the scenario's expected outcome (`score/`).
//!
//! The drill runs in an engine of its own, in a folder of its own: its clock starts at the
//! scenario's start and moves one step at a time (as fast as it can, or at a chosen speed), while
//! the region registry is read as of a fixed date after the 2025 reform, so that a replay of
//! 2024 places its stations in today's communes. The same scenario gives the same report.

pub mod exercises;
pub mod inbox;
mod participants;
mod runner;
pub mod scenario;
pub mod score;

use crate::engine::{Engine, EngineOptions};
use crate::error::Result;
use crate::warnings::WarningSettings;
use inbox::Inbox;
use scenario::Scenario;
use score::DrillReport;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use tocsin_core::clock::ManualClock;

/// How fast the drill clock runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// As fast as the machine goes.
    Max,
    /// This many scenario seconds per real second (`60x`: an hour a minute).
    Times(f64),
}

impl Speed {
    /// Reads `max` or `60x`.
    pub fn parse(text: &str) -> Option<Speed> {
        if text == "max" {
            return Some(Speed::Max);
        }
        let factor: f64 = text.strip_suffix('x')?.parse().ok()?;
        (factor.is_finite() && factor > 0.0).then_some(Speed::Times(factor))
    }
}

/// The date the drill's registry is read as of: after the 2025 reform, fixed so that every run
/// gives the same answer.
pub const REGISTRY_DATE: &str = "2026-01-01";

/// What a drill needs besides its scenario.
pub struct DrillSetup<'a> {
    /// The official administrative files (`../shared/data/vn/admin`).
    pub admin_dir: &'a Path,
    /// The changes to the units since the 2025 reform the registry records on import (those in
    /// force at [`REGISTRY_DATE`] apply).
    pub region_changes: &'a [crate::registry::changes::RegionChange],
    /// Where the drill's own store lives (a fresh folder).
    pub work_dir: &'a Path,
    pub speed: Speed,
    /// Engine settings to start from (dissemination channels, recipients' policy…); the drill
    /// forces status Exercise, the registry date and automatic release.
    pub options: EngineOptions,
    /// Who hears about the drill's warnings: only those marked as drill participants are told.
    pub recipients: Vec<crate::dispatch::RecipientEntry>,
    /// Where the drill says how far it has got and hears that it is to stop, if anyone
    /// follows it.
    pub control: Option<Arc<Control>>,
}

/// A drill followed and stopped from outside: the scenario time it has reached, and a request
/// to cancel it, which it obeys before its next step (cutting short the wait between steps).
#[derive(Debug, Default)]
pub struct Control {
    reached_ms: AtomicI64,
    cancelled: Mutex<bool>,
    wake: Condvar,
}

impl Control {
    /// A control for a drill that has reached `reached_ms` (its start, for a new one).
    pub fn new(reached_ms: i64) -> Control {
        Control {
            reached_ms: AtomicI64::new(reached_ms),
            ..Control::default()
        }
    }

    /// The scenario time reached, in milliseconds.
    pub fn reached_ms(&self) -> i64 {
        self.reached_ms.load(Ordering::Relaxed)
    }

    /// Asks the drill to stop before its next step.
    pub fn cancel(&self) {
        *self.lock() = true;
        self.wake.notify_all();
    }

    pub fn is_cancelled(&self) -> bool {
        *self.lock()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, bool> {
        self.cancelled.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits `duration`, or less when the drill is cancelled meanwhile.
    fn wait(&self, duration: std::time::Duration) {
        let guard = self.lock();
        let _ = self
            .wake
            .wait_timeout_while(guard, duration, |cancelled| !*cancelled);
    }
}

/// The engine options of a drill: everything it releases carries status Exercise, and the
/// registry is read as of [`REGISTRY_DATE`].
pub fn exercise_options(mut options: EngineOptions) -> EngineOptions {
    options.warnings = WarningSettings {
        status: tocsin_cap::Status::Exercise,
        ..options.warnings
    };
    options.registry_date = REGISTRY_DATE.parse().ok();
    options
}

/// Runs `scenario` in an engine of its own and scores it; a drill cancelled through its
/// [`Control`] stops before its next step and is scored as far as it got (`cancelled_at`).
pub fn run(scenario: &Scenario, setup: DrillSetup) -> Result<DrillReport> {
    let control = setup.control.clone().unwrap_or_default();
    let clock = Arc::new(ManualClock::new(scenario.file.drill.start));
    let options = exercise_options(setup.options);
    let engine = Engine::open(setup.work_dir, &options, clock.clone())?;
    engine.import_regions(setup.admin_dir, setup.region_changes)?;
    let data_root = setup.admin_dir.parent().unwrap_or(setup.admin_dir);
    let mut drill = Drill::prepare(&engine, scenario, clock.clone(), &setup.recipients)?;
    drill.read_records(data_root)?;
    let mut engine = engine;
    let mut cancelled_at = None;
    loop {
        if control.is_cancelled() {
            cancelled_at = Some(
                drill
                    .done_until
                    .max(scenario.file.drill.start.as_millisecond()),
            );
            break;
        }
        if drill.coming_back() {
            // The node was offline: it restarts from its store, as a real one would.
            drop(engine);
            engine = Engine::open(setup.work_dir, &options, clock.clone())?;
        }
        let Some(step_ms) = drill.step(&engine)? else {
            break;
        };
        control
            .reached_ms
            .store(drill.done_until, Ordering::Relaxed);
        if let Speed::Times(factor) = setup.speed {
            let seconds = step_ms as f64 / 1000.0 / factor;
            control.wait(std::time::Duration::from_secs_f64(seconds));
        }
    }
    let faults = drill.fault_summaries();
    let mut report = score::score(&engine, scenario, drill.observations, drill.alerts)?;
    report.faults = faults;
    report.cancelled_at = cancelled_at.map(tocsin_core::clock::timestamp_text);
    Ok(report)
}

/// A drill in progress: it moves the engine's clock one step at a time and injects what the
/// scenario says happens in that step.
pub struct Drill<'a> {
    scenario: &'a Scenario,
    clock: Arc<ManualClock>,
    places: Vec<(String, String, [f64; 2])>,
    runtime: tokio::runtime::Runtime,
    now: i64,
    /// The end of the last step played (online or not).
    done_until: i64,
    /// The end of the last step the node was online for: what came after it is still held by
    /// the stations and reporters.
    online_until: i64,
    /// Where the participants' notices arrive (none without participants).
    inbox: Option<Inbox>,
    /// Participant → how long it takes to acknowledge.
    ack_after_ms: BTreeMap<String, i64>,
    /// Acknowledgements the participants will make: (when, link token).
    acks: Vec<(i64, String)>,
    /// Notifications whose acknowledgement is already planned.
    planned: BTreeSet<u64>,
    /// Per fault, what it held back (observations; reports and alerts).
    held: Vec<(usize, usize)>,
    /// Observations sent so far.
    pub observations: usize,
    /// The outside alerts received so far, with the verification's verdict.
    pub alerts: Vec<score::JudgedAlert>,
    /// Observations read from the shared records (disease counts), sent when their time comes.
    records: Vec<scenario::Sample>,
}
