//! A drill in progress: preparing its engine (stations, recipients, automatic release), then
//! playing the scenario one step at a time — observations, warnings, dissemination, reports and
//! outside alerts — while the node may be offline and hold back what reaches it.

use super::participants::participants;
use super::scenario::{self, FaultKind, Scenario};
use super::{Drill, score};
use crate::access::Principal;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use tocsin_core::catalog::parse_duration;
use tocsin_core::clock::ManualClock;
use tocsin_core::observation::ObservationInput;

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

pub(super) fn timestamp(ms: i64) -> Result<jiff::Timestamp> {
    jiff::Timestamp::from_millisecond(ms).map_err(|e| EngineError::Invalid(e.to_string()))
}

fn within(time: &jiff::Timestamp, since: i64, until: i64) -> bool {
    let t = time.as_millisecond();
    since < t && t <= until
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
