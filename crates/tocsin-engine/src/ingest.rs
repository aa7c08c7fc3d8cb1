//! The ingest pipeline: validation against the registry cache, scope checks, and a single
//! writer thread that turns concurrent requests into group commits.
//!
//! Invariant: a request is answered only after the transaction holding its records has
//! committed (durably, per the store's durability setting). Records of one request are never
//! split across commits, so a request is either fully stored or not at all. The same transaction
//! holds the detections its newly stored records raise and the current levels they move, so a
//! stored observation never lacks its level change, even across a crash.

use crate::access::Principal;
use crate::detect::Detector;
use crate::events::Events;
use crate::warnings::WarningDesk;
use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tocsin_core::Clock;
use tocsin_core::change::Actor;
use tocsin_core::observation::{
    Observation, ObservationInput, Rejection, SeriesLookup, SeriesSpec, validate,
};
use tocsin_core::station::Domain;
use tocsin_core::units::Unit;
use tocsin_store::{AppendOutcome, Batch, Detection, SeriesRow, Store};

/// The most observations one group commit takes; more wait for the next commit.
const MAX_GROUP: usize = 200_000;

/// What validation knows of one station.
#[derive(Debug, Clone)]
pub struct StationEntry {
    pub active: bool,
    pub province: Option<String>,
    pub domain: Domain,
    pub metrics: HashMap<String, SeriesSpec>,
}

/// The registry as validation sees it, rebuilt whenever stations change.
#[derive(Debug, Default, Clone)]
pub struct SeriesCache {
    stations: HashMap<String, StationEntry>,
}

impl SeriesCache {
    /// Builds the cache from the store's series catalogue.
    pub fn from_rows(rows: Vec<SeriesRow>) -> SeriesCache {
        let mut stations: HashMap<String, StationEntry> = HashMap::new();
        for row in rows {
            let entry = stations
                .entry(row.station.clone())
                .or_insert_with(|| StationEntry {
                    active: row.station_active,
                    province: row.province.clone(),
                    domain: row.domain,
                    metrics: HashMap::new(),
                });
            entry.active |= row.station_active;
            if let Some(unit) = Unit::parse(&row.unit).filter(|_| row.station_active) {
                entry.metrics.insert(
                    row.metric,
                    SeriesSpec {
                        series: row.series,
                        unit,
                        min: row.min,
                        max: row.max,
                    },
                );
            }
        }
        SeriesCache { stations }
    }

    pub fn station(&self, id: &str) -> Option<&StationEntry> {
        self.stations.get(id)
    }

    /// The series id of a station's metric, if registered.
    pub fn series_id(&self, station: &str, metric: &str) -> Option<i64> {
        self.stations
            .get(station)?
            .metrics
            .get(metric)
            .map(|s| s.series)
    }
}

impl SeriesLookup for SeriesCache {
    fn station_active(&self, station: &str) -> bool {
        self.stations.get(station).is_some_and(|s| s.active)
    }

    fn series(&self, station: &str, metric: &str) -> Option<&SeriesSpec> {
        self.stations.get(station)?.metrics.get(metric)
    }
}

/// A record refused, by its position in the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedRejection {
    pub index: usize,
    pub rejection: Rejection,
}

/// The answer to one ingest request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Records now durably stored (including those that were already stored: ingest is idempotent).
    pub accepted: u64,
    /// Of the accepted, how many were exact duplicates of stored records.
    pub duplicates: u64,
    pub rejected: Vec<IndexedRejection>,
    /// True when `atomic` was asked for and a rejection kept the whole request out.
    pub rolled_back: bool,
}

/// Validates parsed records: returns the valid observations and the rejections by index.
pub fn check_records(
    inputs: Vec<Result<ObservationInput, Rejection>>,
    cache: &SeriesCache,
    principal: &Principal,
    clock: &dyn Clock,
) -> (Vec<Observation>, Vec<IndexedRejection>) {
    let now = clock.now();
    let mut valid = Vec::with_capacity(inputs.len());
    let mut rejected = Vec::new();
    for (index, input) in inputs.into_iter().enumerate() {
        let outcome = input.and_then(|input| {
            let observation = validate(&input, cache, now)?;
            principal.check_ingest(input.station.as_deref().unwrap_or_default(), cache)?;
            Ok(observation)
        });
        match outcome {
            Ok(o) => valid.push(o),
            Err(rejection) => rejected.push(IndexedRejection { index, rejection }),
        }
    }
    (valid, rejected)
}

struct Job {
    actor: Actor,
    observations: Vec<Observation>,
    reply: tokio::sync::oneshot::Sender<Result<AppendOutcome, String>>,
}

/// The handle to the writer thread.
pub struct Writer {
    jobs: mpsc::Sender<Job>,
    recorder: Arc<Recorder>,
}

/// A failed durable write; nothing of the request was acknowledged.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the observations could not be stored: {0}")]
pub struct WriteError(pub String);

impl Writer {
    /// Starts the writer thread over `store`: each group commit holds the observations, the
    /// detections `detector` raises from the newly stored ones and the current levels they move.
    pub fn start(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        detector: Arc<Mutex<Detector>>,
        warnings: Arc<WarningDesk>,
        events: Events,
    ) -> Writer {
        let (jobs, queue) = mpsc::channel::<Job>();
        let recorder = Arc::new(Recorder {
            store,
            clock,
            warnings,
            events,
        });
        let thread_recorder = recorder.clone();
        std::thread::Builder::new()
            .name("tocsin-writer".into())
            .spawn(move || run_writer(queue, &thread_recorder, &detector))
            .expect("the writer thread must start");
        Writer { jobs, recorder }
    }

    /// Queues `observations` for the next group commit; the receiver resolves once durable.
    pub fn submit(
        &self,
        actor: Actor,
        observations: Vec<Observation>,
    ) -> tokio::sync::oneshot::Receiver<Result<AppendOutcome, String>> {
        let (reply, receiver) = tokio::sync::oneshot::channel();
        if let Err(mpsc::SendError(job)) = self.jobs.send(Job {
            actor,
            observations,
            reply,
        }) {
            let _ = job.reply.send(Err("the writer has stopped".into()));
        }
        receiver
    }

    /// Warms `fresh` up on the stored history, records the level changes the store lacks
    /// (see [`Detector::warm_up`]) and puts it in `current`'s place. The caller holds
    /// `current`'s lock, so no commit falls between the replay and the swap.
    pub(crate) fn install(
        &self,
        current: &mut Detector,
        fresh: Detector,
    ) -> tocsin_store::Result<()> {
        self.recorder.install(current, fresh)
    }
}

/// Takes the requests waiting behind `first`, up to [`MAX_GROUP`] observations.
fn gather(first: Job, queue: &mpsc::Receiver<Job>) -> Vec<Job> {
    let mut size = first.observations.len();
    let mut group = vec![first];
    while size < MAX_GROUP {
        match queue.try_recv() {
            Ok(job) => {
                size += job.observations.len();
                group.push(job);
            }
            Err(_) => break,
        }
    }
    group
}

fn run_writer(queue: mpsc::Receiver<Job>, recorder: &Recorder, detector: &Mutex<Detector>) {
    // Set while a failed commit may have left the detector ahead of the store: it is rebuilt
    // from the store before the next group is evaluated (nothing else evaluates meanwhile).
    let mut ahead = false;
    while let Ok(first) = queue.recv() {
        let group = gather(first, &queue);
        let mut detector = detector.lock().unwrap_or_else(|e| e.into_inner());
        let result = recorder.catch_up(&mut ahead, &mut detector).and_then(|()| {
            let mut evaluated = false;
            let committed = recorder.commit(&group, &mut detector, &mut evaluated);
            ahead = committed.is_err() && evaluated;
            committed
        });
        drop(detector);
        match result {
            Ok((outcomes, detections)) => {
                recorder.announce(&detections);
                for (job, outcome) in group.into_iter().zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "group commit failed; requests answered with an error");
                for job in group {
                    let _ = job.reply.send(Err(e.to_string()));
                }
            }
        }
    }
}

/// What the writer stores and whom it tells.
struct Recorder {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    warnings: Arc<WarningDesk>,
    events: Events,
}

impl Recorder {
    /// Appends a group's observations and, in the same transaction, the detections the newly
    /// stored ones raise (each station's values in their order: `Detector::observe_batch`).
    /// `evaluated` is set once the detector has seen the group (from then on a failure leaves it
    /// ahead of the store).
    fn commit(
        &self,
        group: &[Job],
        detector: &mut Detector,
        evaluated: &mut bool,
    ) -> tocsin_store::Result<(Vec<AppendOutcome>, Vec<Detection>)> {
        let batches: Vec<Batch> = group
            .iter()
            .map(|j| Batch {
                actor: &j.actor,
                observations: &j.observations,
            })
            .collect();
        self.store.append_and_detect(
            &batches,
            self.clock.now().as_millisecond(),
            &mut |outcomes| {
                let fresh = group.iter().zip(outcomes).flat_map(|(job, outcome)| {
                    job.observations
                        .iter()
                        .zip(&outcome.fresh)
                        .filter_map(|(observation, fresh)| fresh.then_some(observation))
                });
                *evaluated = true;
                detector.observe_batch(fresh);
                detector.take_detections()
            },
        )
    }

    /// When `ahead` (a failed commit may have left the detector ahead of the store), replaces
    /// the detector with one rebuilt from the store and clears `ahead`.
    fn catch_up(&self, ahead: &mut bool, detector: &mut Detector) -> tocsin_store::Result<()> {
        if *ahead {
            let blank = detector.blank();
            self.install(detector, blank)?;
            *ahead = false;
        }
        Ok(())
    }

    fn install(&self, current: &mut Detector, mut fresh: Detector) -> tocsin_store::Result<()> {
        let missing = fresh.warm_up(self.store.as_ref())?;
        if !missing.is_empty() {
            let new = self
                .store
                .record_detections(&missing, self.clock.now().as_millisecond())?;
            tracing::warn!(new, "level changes missing from the store recorded");
        }
        *current = fresh;
        self.announce(&missing);
        Ok(())
    }

    /// Wakes the worker, whose warning desk reads the stored detections from the journal at
    /// its next tick (a tick always reads up to the journal's end before it drafts, so nothing
    /// waits on the desk's own write here, and one read serves many commits), then tells the
    /// live stream. Should the process die here, the desk reads them from its cursor later.
    fn announce(&self, detections: &[Detection]) {
        if detections.is_empty() {
            return;
        }
        tracing::info!(new = detections.len(), "detections recorded");
        self.warnings.wakeup.notify();
        for detection in detections {
            let json = crate::detect::detection_json(detection).to_string();
            let province = detection.province.clone().unwrap_or_default();
            let hazard = Some(detection.hazard.as_str());
            self.events.publish("detection", province, hazard, json);
        }
    }
}
