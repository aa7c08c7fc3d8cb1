//! Drills: a scenario (`scenario.rs`) replayed through the real path — ingest, detection,
//! warnings, dissemination, response — on an accelerated clock, with everything marked as an
//! exercise (CAP status Exercise; incidents flagged; notices reach only recipients marked as drill
//! participants), then scored against the scenario's expected outcome (`score.rs`).
//!
//! The drill runs in an engine of its own, in a folder of its own: its clock starts at the
//! scenario's start and moves one step at a time (as fast as it can, or at a chosen speed), while
//! the region registry is read as of a fixed date after the 2025 reform, so that a replay of
//! 2024 places its stations in today's communes. The same scenario gives the same report.

pub mod scenario;
pub mod score;

use crate::access::Principal;
use crate::engine::{Engine, EngineError, EngineOptions, Result};
use crate::warnings::WarningSettings;
use scenario::Scenario;
use score::DrillReport;
use std::path::Path;
use std::sync::Arc;
use tocsin_core::clock::ManualClock;
use tocsin_core::observation::ObservationInput;

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
    /// Where the drill's own store lives (a fresh folder).
    pub work_dir: &'a Path,
    pub speed: Speed,
    /// Engine settings to start from (dissemination channels, recipients' policy…); the drill
    /// forces status Exercise, the registry date and automatic release.
    pub options: EngineOptions,
    /// Who hears about the drill's warnings: only those marked as drill participants are told.
    pub recipients: Vec<crate::dispatch::RecipientEntry>,
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

/// Runs `scenario` in an engine of its own and scores it.
pub fn run(scenario: &Scenario, setup: DrillSetup) -> Result<DrillReport> {
    let clock = Arc::new(ManualClock::new(scenario.file.drill.start));
    let options = exercise_options(setup.options);
    let engine = Engine::open(setup.work_dir, &options, clock.clone())?;
    engine.import_regions(setup.admin_dir, &[])?;
    let data_root = setup.admin_dir.parent().unwrap_or(setup.admin_dir);
    let mut drill = Drill::prepare(&engine, scenario, clock, &setup.recipients)?;
    drill.read_records(data_root)?;
    while let Some(step_ms) = drill.step(&engine)? {
        if let Speed::Times(factor) = setup.speed {
            let seconds = step_ms as f64 / 1000.0 / factor;
            std::thread::sleep(std::time::Duration::from_secs_f64(seconds));
        }
    }
    score::score(&engine, scenario, drill.observations, drill.alerts)
}

/// A drill in progress: it moves the engine's clock one step at a time and injects what the
/// scenario says happens in that step.
pub struct Drill<'a> {
    scenario: &'a Scenario,
    clock: Arc<ManualClock>,
    places: Vec<(String, String, [f64; 2])>,
    runtime: tokio::runtime::Runtime,
    now: i64,
    done_until: i64,
    /// Observations sent so far.
    pub observations: usize,
    /// The outside alerts received so far, with the verification's verdict.
    pub alerts: Vec<score::JudgedAlert>,
    /// Observations read from the shared records (disease counts), sent when their time comes.
    records: Vec<scenario::Sample>,
}

impl<'a> Drill<'a> {
    /// Registers the scenario's stations (and one per commune for each field), the recipients,
    /// and automatic release for every hazard, in an engine whose registry is imported.
    pub fn prepare(
        engine: &Engine,
        scenario: &'a Scenario,
        clock: Arc<ManualClock>,
        recipients: &[crate::dispatch::RecipientEntry],
    ) -> Result<Drill<'a>> {
        let admin = Principal::local_admin();
        let places = communes(engine)?;
        let mut stations = scenario.stations.clone();
        stations.extend(scenario.field_stations(&places));
        engine.upsert_stations(&admin, stations)?;
        engine.set_recipients(&admin, recipients)?;
        let catalog = engine.catalog();
        let rules = catalog.rules.iter().map(|r| r.hazard.clone());
        let outbreaks = catalog.outbreaks.iter().map(|o| o.hazard.clone());
        let mut hazards: Vec<String> = rules.chain(outbreaks).collect();
        hazards.sort();
        hazards.dedup();
        for hazard in &hazards {
            engine.set_auto_release(&admin, hazard, 5)?;
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                EngineError::Invalid(format!("the drill cannot start its runtime: {e}"))
            })?;
        let start = scenario.file.drill.start.as_millisecond();
        Ok(Drill {
            scenario,
            clock,
            places,
            runtime,
            now: start,
            done_until: start - 1,
            observations: 0,
            alerts: Vec::new(),
            records: Vec::new(),
        })
    }

    /// Reads the scenario's records from the shared data folder `data_root` (`data/vn`).
    pub fn read_records(&mut self, data_root: &Path) -> Result<()> {
        let meta = &self.scenario.file.drill;
        let (from, to) = (meta.start.as_millisecond(), meta.end.as_millisecond());
        for counts in &self.scenario.file.monthly_counts {
            let read = counts
                .read(data_root, from, to)
                .map_err(EngineError::Invalid)?;
            self.records.extend(read);
        }
        self.records.sort_by_key(|s| s.2);
        Ok(())
    }

    /// Plays the current moment (observations, warnings, dissemination, reports) and moves on;
    /// returns how long the next step is, or `None` once the scenario's end has been played.
    pub fn step(&mut self, engine: &Engine) -> Result<Option<i64>> {
        let end = self.scenario.file.drill.end.as_millisecond();
        if self.done_until >= end {
            return Ok(None);
        }
        let now = self.now;
        let at = jiff::Timestamp::from_millisecond(now)
            .map_err(|e| EngineError::Invalid(e.to_string()))?;
        self.clock.set(at);
        let done_until = self.done_until;
        let mut samples = self.scenario.samples(done_until, now);
        samples.extend(self.scenario.field_samples(done_until, now, &self.places));
        samples.extend(
            self.records
                .iter()
                .filter(|r| done_until < r.2 && r.2 <= now)
                .cloned(),
        );
        self.observations += self.runtime.block_on(send(engine, samples))?;
        engine.tick_warnings()?;
        engine.run_dispatch()?;
        for report in self.scenario.file.report.iter().filter(|r| {
            let t = r.time.as_millisecond();
            done_until < t && t <= now
        }) {
            engine.open_incident(&Principal::local_admin(), &report.report)?;
        }
        for alert in self.scenario.file.alert.iter().filter(|a| {
            let t = a.time.as_millisecond();
            done_until < t && t <= now
        }) {
            let verdict = engine.verify_alert(alert.xml.as_bytes());
            self.alerts.push(score::JudgedAlert {
                time: alert.time.to_string(),
                label: alert.label.clone(),
                genuine: alert.genuine,
                trusted: verdict.is_trusted(),
                verdict: verdict.to_string(),
            });
        }
        self.done_until = now;
        if now >= end {
            return Ok(None);
        }
        self.now = (now + self.scenario.step_ms).min(end);
        Ok(Some(self.now - now))
    }
}

/// Every current commune with a centroid: (code, province, centroid).
fn communes(engine: &Engine) -> Result<Vec<(String, String, [f64; 2])>> {
    let admin = Principal::local_admin();
    let mut places = Vec::new();
    for province in engine.children(&admin, tocsin_core::region::NATION_CODE, None)? {
        for commune in engine.children(&admin, &province.code, None)? {
            if let Some(point) = commune.centroid {
                places.push((commune.code, province.code.clone(), point));
            }
        }
    }
    Ok(places)
}

/// Sends observations and waits until they are evaluated.
async fn send(engine: &Engine, samples: Vec<scenario::Sample>) -> Result<usize> {
    let count = samples.len();
    let inputs = samples
        .into_iter()
        .map(|(station, metric, time, value)| {
            Ok(ObservationInput {
                station: Some(station),
                metric: Some(metric),
                time: jiff::Timestamp::from_millisecond(time)
                    .ok()
                    .map(|t| t.to_string()),
                value: Some(value),
                ..Default::default()
            })
        })
        .collect();
    let report = engine
        .ingest(&Principal::local_admin(), inputs, false)
        .await?;
    if let Some(first) = report.rejected.first() {
        return Err(EngineError::Invalid(format!(
            "the drill's observation {} was refused: {}: {}",
            first.index, first.rejection.field, first.rejection.reason
        )));
    }
    engine.settle().await?;
    Ok(count)
}
