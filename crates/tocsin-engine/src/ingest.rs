//! The ingest pipeline: validation against the registry cache, scope checks, and a single
//! writer thread that turns concurrent requests into group commits.
//!
//! Invariant: a request is answered only after the transaction holding its records has
//! committed (durably, per the store's durability setting). Records of one request are never
//! split across commits, so a request is either fully stored or not at all.

use crate::access::Principal;
use crate::detect::Detector;
use crate::events::Events;
use crate::warnings::WarningDesk;
use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tocsin_core::Clock;
use tocsin_core::observation::{
    Observation, ObservationInput, Rejection, SeriesLookup, SeriesSpec, validate,
};
use tocsin_core::station::Domain;
use tocsin_core::units::Unit;
use tocsin_store::{AppendOutcome, SeriesRow, Store};

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
    observations: Vec<Observation>,
    reply: tokio::sync::oneshot::Sender<Result<AppendOutcome, String>>,
}

/// The handle to the writer thread.
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

/// A failed durable write; nothing of the request was acknowledged.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the observations could not be stored: {0}")]
pub struct WriteError(pub String);

impl Writer {
    /// Starts the writer thread over `store`; every newly stored observation is then fed to
    /// `detector`, and the detections it raises are stored.
    pub fn start(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        detector: Arc<Mutex<Detector>>,
        warnings: Arc<WarningDesk>,
        events: Events,
    ) -> Writer {
        let (jobs, queue) = mpsc::channel::<Job>();
        let after = AfterCommit {
            store: store.clone(),
            clock: clock.clone(),
            warnings,
            events,
        };
        std::thread::Builder::new()
            .name("tocsin-writer".into())
            .spawn(move || run_writer(queue, store, clock, detector, after))
            .expect("the writer thread must start");
        Writer { jobs }
    }

    /// Queues `observations` for the next group commit; the receiver resolves once durable.
    pub fn submit(
        &self,
        observations: Vec<Observation>,
    ) -> tokio::sync::oneshot::Receiver<Result<AppendOutcome, String>> {
        let (reply, receiver) = tokio::sync::oneshot::channel();
        if let Err(mpsc::SendError(job)) = self.jobs.send(Job {
            observations,
            reply,
        }) {
            let _ = job.reply.send(Err("the writer has stopped".into()));
        }
        receiver
    }
}

fn run_writer(
    queue: mpsc::Receiver<Job>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    detector: Arc<Mutex<Detector>>,
    after: AfterCommit,
) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        let mut size = group[0].observations.len();
        while size < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => {
                    size += job.observations.len();
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        let batches: Vec<&[Observation]> =
            group.iter().map(|j| j.observations.as_slice()).collect();
        match store.append(&batches, clock.now().as_millisecond()) {
            Ok(outcomes) => {
                let mut detector = detector.lock().unwrap_or_else(|e| e.into_inner());
                let fresh = group.iter().zip(&outcomes).flat_map(|(job, outcome)| {
                    job.observations
                        .iter()
                        .zip(&outcome.fresh)
                        .filter_map(|(observation, fresh)| fresh.then_some(observation))
                });
                detector.observe_batch(fresh);
                for (job, outcome) in group.into_iter().zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
                after.record_detections(&mut detector);
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

/// What happens to the detections a commit raised.
struct AfterCommit {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    warnings: Arc<WarningDesk>,
    events: Events,
}

impl AfterCommit {
    /// Notes the detections the last commit raised on the warning desk, stores them and
    /// announces them. They derive from stored observations, so a failure here loses no data:
    /// after a restart the evaluation resumes from the stored levels and raises the change
    /// again at the next observation.
    fn record_detections(&self, detector: &mut Detector) {
        let detections = detector.take_detections();
        if detections.is_empty() {
            return;
        }
        // The warning desk notes them first: whoever reads a stored detection finds the desk
        // already aware of it (the next tick drafts its warning).
        if let Err(e) = self.warnings.observe(&detections) {
            tracing::error!(error = %e, "warnings could not note the detections");
        }
        match self
            .store
            .record_detections(&detections, self.clock.now().as_millisecond())
        {
            Ok(new) => tracing::info!(new, "detections recorded"),
            Err(e) => tracing::error!(error = %e, "detections could not be stored"),
        }
        for detection in &detections {
            let json = crate::detect::detection_json(detection).to_string();
            let province = detection.province.clone().unwrap_or_default();
            self.events.publish("detection", province, json);
        }
    }
}
