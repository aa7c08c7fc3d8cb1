//! Drills: a scenario (`scenario.rs`) replayed through the real path — ingest, detection,
//! warnings, dissemination, response — on an accelerated clock, with everything marked as an
//! exercise (CAP status Exercise; incidents flagged; notices reach only recipients marked as drill
//! participants), then scored against the scenario's expected outcome (`score.rs`).
//!
//! The drill runs in an engine of its own, in a folder of its own: its clock starts at the
//! scenario's start and moves one step at a time (as fast as it can, or at a chosen speed), while
//! the region registry is read as of a fixed date after the 2025 reform, so that a replay of
//! 2024 places its stations in today's communes. The same scenario gives the same report.

pub mod exercises;
pub mod inbox;
pub mod scenario;
pub mod score;

use crate::access::Principal;
use crate::engine::{Engine, EngineOptions};
use crate::error::{EngineError, Result};
use crate::warnings::WarningSettings;
use inbox::Inbox;
use scenario::{FaultKind, Scenario};
use score::DrillReport;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use tocsin_core::catalog::parse_duration;
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
        let (inbox, participants) = participants(scenario)?;
        let mut everyone = recipients.to_vec();
        everyone.extend(participants);
        engine.set_recipients(&admin, &everyone)?;
        let start = scenario.file.drill.start.as_millisecond();
        Ok(Drill {
            scenario,
            clock,
            places,
            runtime,
            now: start,
            done_until: start - 1,
            online_until: start - 1,
            ack_after_ms: scenario
                .file
                .participant
                .iter()
                .filter_map(|p| {
                    let after = p.acknowledges_after.as_deref()?;
                    Some((p.id.clone(), parse_duration(after)? * 1000))
                })
                .collect(),
            inbox,
            acks: Vec::new(),
            planned: BTreeSet::new(),
            held: vec![(0, 0); scenario.file.fault.len()],
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

    /// Whether the step about to be played is the first after the node was offline.
    pub fn coming_back(&self) -> bool {
        self.online_until < self.done_until && !self.offline_at(self.now)
    }

    fn offline_at(&self, t: i64) -> bool {
        self.scenario
            .file
            .fault
            .iter()
            .any(|f| f.kind == FaultKind::NodeOffline && f.holds_at(t))
    }

    /// Plays the current moment (observations, warnings, dissemination, reports, the
    /// participants' acknowledgements) and moves on; returns how long the next step is, or
    /// `None` once the scenario's end has been played. While the node is offline nothing
    /// reaches it: what happens is held and delivered, late, when it is back.
    pub fn step(&mut self, engine: &Engine) -> Result<Option<i64>> {
        let end = self.scenario.file.drill.end.as_millisecond();
        if self.done_until >= end {
            return Ok(None);
        }
        let now = self.now;
        self.set_channels(now);
        if self.offline_at(now) {
            self.clock.set(timestamp(now)?);
        } else {
            self.play(engine, now)?;
        }
        self.done_until = now;
        if now >= end {
            return Ok(None);
        }
        self.now = (now + self.scenario.step_ms).min(end);
        Ok(Some(self.now - now))
    }

    /// Plays everything from the last moment the node was online up to `now`.
    fn play(&mut self, engine: &Engine, now: i64) -> Result<()> {
        let scenario = self.scenario;
        let since = self.online_until;
        // Coming back, the participants' acknowledgements that could not reach the node
        // arrive now; otherwise each at its own time.
        let coming_back = since < self.done_until;
        self.acknowledge_due(engine, if coming_back { now } else { since + 1 }, now)?;
        self.clock.set(timestamp(now)?);
        let mut samples = scenario.samples(since, now);
        samples.extend(scenario.field_samples(since, now, &self.places));
        samples.extend(
            self.records
                .iter()
                .filter(|r| since < r.2 && r.2 <= now)
                .cloned(),
        );
        let reports: Vec<_> = scenario
            .file
            .report
            .iter()
            .filter(|r| within(&r.time, since, now))
            .collect();
        let alerts: Vec<_> = scenario
            .file
            .alert
            .iter()
            .filter(|a| within(&a.time, since, now))
            .collect();
        if coming_back {
            let times = reports
                .iter()
                .map(|r| r.time)
                .chain(alerts.iter().map(|a| a.time));
            self.count_held(&samples, times);
        }
        self.observations += self.runtime.block_on(send(engine, samples))?;
        engine.tick_warnings()?;
        engine.run_dispatch()?;
        for report in reports {
            engine.open_incident(&Principal::local_admin(), &report.report)?;
        }
        for alert in alerts {
            let verdict = engine.verify_alert(alert.xml.as_bytes());
            self.alerts.push(score::JudgedAlert {
                time: alert.time.to_string(),
                label: alert.label.clone(),
                genuine: alert.genuine,
                trusted: verdict.is_trusted(),
                verdict: verdict.to_string(),
            });
        }
        self.plan_acks(now);
        self.online_until = now;
        Ok(())
    }

    /// Adds to the outage the node is coming back from what it held back: the observations,
    /// reports and alerts it receives now that happened while it was offline.
    fn count_held(
        &mut self,
        samples: &[scenario::Sample],
        messages: impl Iterator<Item = jiff::Timestamp>,
    ) {
        let offline_until = self.done_until;
        let observations = samples.iter().filter(|s| s.2 <= offline_until).count();
        let messages = messages
            .filter(|t| t.as_millisecond() <= offline_until)
            .count();
        let faults = &self.scenario.file.fault;
        for (fault, held) in faults.iter().zip(&mut self.held) {
            if fault.kind == FaultKind::NodeOffline && fault.holds_at(offline_until) {
                *held = (held.0 + observations, held.1 + messages);
            }
        }
    }

    /// Cuts off the participants whose channel a fault has down at `t`; the others are reached.
    fn set_channels(&self, t: i64) {
        let Some(inbox) = &self.inbox else {
            return;
        };
        let participants = &self.scenario.file.participant;
        let down = self
            .scenario
            .file
            .fault
            .iter()
            .filter(|f| f.kind == FaultKind::ChannelDown && f.holds_at(t))
            .flat_map(|f| {
                if f.participants.is_empty() {
                    participants.iter().map(|p| p.id.clone()).collect()
                } else {
                    f.participants.clone()
                }
            })
            .collect();
        inbox.cut_off(down);
    }

    /// Plans the acknowledgement of every notice that reached a participant who acknowledges.
    fn plan_acks(&mut self, now: i64) {
        let Some(inbox) = &self.inbox else {
            return;
        };
        for notice in inbox.take() {
            let (Some(after), Some(token)) =
                (self.ack_after_ms.get(&notice.participant), notice.ack_token)
            else {
                continue;
            };
            if self.planned.insert(notice.notification) {
                self.acks.push((now + after, token));
            }
        }
    }

    /// Makes the acknowledgements due by `now`, each at its own time but not before `earliest`
    /// (escalations due before it happen first).
    fn acknowledge_due(&mut self, engine: &Engine, earliest: i64, now: i64) -> Result<()> {
        self.acks.sort();
        let due: Vec<(i64, String)> = self
            .acks
            .iter()
            .filter(|(t, _)| *t <= now)
            .cloned()
            .collect();
        self.acks.retain(|(t, _)| *t > now);
        for (t, token) in due {
            self.clock.set(timestamp(t.max(earliest))?);
            engine.run_dispatch()?;
            engine.acknowledge_link(&token)?;
        }
        Ok(())
    }

    /// What each fault did, for the report.
    pub fn fault_summaries(&self) -> Vec<score::FaultSummary> {
        self.scenario
            .file
            .fault
            .iter()
            .zip(&self.held)
            .map(|(fault, &(observations, messages))| score::FaultSummary {
                fault: fault.clone(),
                held_observations: observations,
                held_messages: messages,
            })
            .collect()
    }
}

fn timestamp(ms: i64) -> Result<jiff::Timestamp> {
    jiff::Timestamp::from_millisecond(ms).map_err(|e| EngineError::Invalid(e.to_string()))
}

fn within(time: &jiff::Timestamp, since: i64, until: i64) -> bool {
    let t = time.as_millisecond();
    since < t && t <= until
}

/// The exercise inbox and the recipients the participants are, each reached by a webhook into
/// the inbox; no inbox without participants.
fn participants(
    scenario: &Scenario,
) -> Result<(Option<Inbox>, Vec<crate::dispatch::RecipientEntry>)> {
    let file = &scenario.file;
    if file.participant.is_empty() {
        return Ok((None, Vec::new()));
    }
    let inbox = Inbox::start()
        .map_err(|e| EngineError::Invalid(format!("the drill cannot open its inbox: {e}")))?;
    let entries = file
        .participant
        .iter()
        .map(|p| crate::dispatch::RecipientEntry {
            recipient: tocsin_core::dispatch::Recipient {
                id: p.id.clone(),
                name: p.name.clone(),
                sector: p.sector.clone(),
                region: p.region.clone(),
                tier: p.tier,
                exercises: true,
            },
            language: p.language.clone(),
            endpoints: Vec::new(),
            exercise_endpoints: vec![crate::channels::Endpoint::Webhook {
                url: inbox.url(&p.id),
                secret: None,
                body: crate::channels::WebhookBody::Json,
            }],
        })
        .collect();
    Ok((Some(inbox), entries))
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
