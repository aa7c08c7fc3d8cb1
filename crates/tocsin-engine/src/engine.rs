//! The engine: one object that the server and the command line drive, and this module its
//! wiring. It holds the store, the clock, the registry caches (stations for validation, commune
//! boundaries for lookup), the writer thread, the desks and the worker; each area's calls —
//! each checking the caller's access where it reads — live in that area's module.

use crate::detect::Detector;
use crate::dispatch::{DispatchDesk, DispatchSettings};
use crate::events::{Event, Events};
use crate::ingest::{SeriesCache, Writer};
use crate::registry::locate::LocateIndex;
use crate::warnings::{WarningDesk, WarningSettings};
use jiff::civil::Date;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use tocsin_core::Clock;
use tocsin_core::evaluate::CompiledCatalog;
use tocsin_core::region::RegionKind;
use tocsin_store::{RegionFilter, Store, VersionRecord, VersionState};

pub use crate::detections::{DATA_GAP, DetectionPage, GAP_INTERVALS};
pub use crate::error::{
    DETECTION_PAGE_MAX, EngineError, PAGE_MAX, RecordError, Result, SEARCH_MAX,
};
pub use crate::warnings::queries::VersionQuery;

/// How to open an engine.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// When a commit counts as durable.
    pub durability: tocsin_store::Durability,
    /// The checked rule catalogue evaluated on every observation.
    pub catalog: CompiledCatalog,
    /// Who alerts come from, their status and the lifecycle's timing.
    pub warnings: WarningSettings,
    /// Who hears about which warning, and through which channels.
    pub dispatch: DispatchSettings,
    /// The framework scenarios that open incidents when warnings are released.
    pub playbooks: tocsin_core::response::playbook::Playbooks,
    /// The date the region registry is read as of; `None` for today by the clock. A drill that
    /// replays 2024 on a 2024 clock still places its stations in today's communes.
    pub registry_date: Option<Date>,
}

impl EngineOptions {
    /// Options with the built-in default catalogue.
    pub fn new(durability: tocsin_store::Durability) -> EngineOptions {
        let catalog =
            crate::catalog::builtin().expect("the built-in catalogue is checked by its tests");
        EngineOptions {
            durability,
            catalog,
            warnings: WarningSettings::default(),
            dispatch: DispatchSettings::default(),
            playbooks: crate::response::playbooks::builtin()
                .expect("the built-in playbooks are checked by their tests"),
            registry_date: None,
        }
    }
}

/// The running system.
pub struct Engine {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) stations: RwLock<Arc<SeriesCache>>,
    pub(crate) communes: RwLock<Arc<LocateIndex>>,
    pub(crate) writer: Writer,
    pub(crate) detector: Arc<Mutex<Detector>>,
    pub(crate) warnings: Arc<WarningDesk>,
    pub(crate) dispatch: DispatchDesk,
    pub(crate) events: Events,
    pub(crate) shapes: crate::map::ShapeCache,
    pub(crate) response: crate::response::ResponseState,
    pub(crate) registry_date: Option<Date>,
    /// The clock sign-in sessions and lock-outs are measured by (the engine's own by default).
    pub(crate) session_clock: Arc<dyn Clock>,
    /// Failed sign-ins by client, which slow those clients down.
    pub(crate) sign_ins: Mutex<crate::throttle::SignInThrottle>,
    pub(crate) audit: crate::audit::Audit,
}

/// The least time between two ticks of the worker.
const TICK_SPACING: std::time::Duration = std::time::Duration::from_millis(100);

/// How often the worker signs a checkpoint of the journal (when it grew).
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Vietnam's offset from UTC; "today" in the registry is the date in Vietnam.
const VIETNAM_OFFSET_HOURS: i8 = 7;

impl Engine {
    /// An engine over `store`, reading time from `clock`, signing its journal's checkpoints
    /// with `journal_key`.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        options: &EngineOptions,
        journal_key: tocsin_journal::note::NoteSigner,
    ) -> Result<Engine> {
        let catalog = options.catalog.clone();
        let warnings = options.warnings.clone();
        let dispatch = options.dispatch.clone();
        let playbooks = options.playbooks.clone();
        let detector = Arc::new(Mutex::new(Detector::new(catalog.clone())));
        let desk = WarningDesk::open(
            store.clone(),
            clock.clone(),
            warnings,
            catalog.clone(),
            options.registry_date,
        )?;
        let warnings = Arc::new(desk);
        let dispatch = DispatchDesk::open(store.clone(), clock.clone(), dispatch)?;
        let events = Events::default();
        let writer = Writer::start(
            store.clone(),
            clock.clone(),
            detector.clone(),
            warnings.clone(),
            events.clone(),
        );
        let session_clock = clock.clone();
        let audit = crate::audit::Audit::new(store.clone(), clock.clone(), journal_key);
        let engine = Engine {
            store,
            clock,
            stations: RwLock::new(Arc::default()),
            communes: RwLock::new(Arc::default()),
            writer,
            detector,
            warnings,
            dispatch,
            events,
            shapes: Default::default(),
            response: crate::response::ResponseState::new(playbooks),
            registry_date: options.registry_date,
            session_clock,
            sign_ins: Mutex::default(),
            audit,
        };
        engine.reload_stations()?;
        engine.reload_boundaries()?;
        engine.replace_catalog(catalog)?;
        Ok(engine)
    }

    /// Evaluates with `catalog` from now on: a new detector is warmed up on the stored history
    /// (`Detector::warm_up`), the level changes the store lacks are recorded, and it replaces the
    /// old one.
    pub fn replace_catalog(&self, catalog: CompiledCatalog) -> Result<()> {
        // Before the registry is imported there is nothing to resolve zones to (the import
        // replaces the catalogue again).
        let (zones, unmatched) = if self.has_regions()? {
            crate::zones::resolve(self.store.as_ref(), &catalog.zones, self.today())?
        } else {
            Default::default()
        };
        for problem in unmatched {
            tracing::warn!(%problem, "catalogue zone entry not found in the registry");
        }
        self.warnings.set_catalog(catalog.clone());
        let mut fresh = Detector::new(catalog);
        fresh.set_zones(zones);
        // Held while the history is read, so no commit falls between the replay and the swap.
        let mut current = self.detector.lock().unwrap_or_else(|e| e.into_inner());
        self.writer.install(&mut current, fresh)?;
        Ok(())
    }

    /// The catalogue in use, shared: reading it neither copies it nor waits for the writer
    /// thread's detector.
    pub fn catalog(&self) -> Arc<CompiledCatalog> {
        self.warnings.catalog()
    }

    /// Opens the SQLite store in `data_dir` (created if needed), with the node's journal key
    /// there (made on first start, named after the alerts' sender).
    pub fn open(data_dir: &Path, options: &EngineOptions, clock: Arc<dyn Clock>) -> Result<Engine> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            EngineError::Invalid(format!("data directory {}: {e}", data_dir.display()))
        })?;
        let store =
            tocsin_store::SqliteStore::open(&data_dir.join("tocsin.db"), options.durability)?;
        // A key name holds no '+' (the signed-note format separates its parts with it).
        let name = format!("{}/journal", options.warnings.sender.replace('+', "-"));
        let key = crate::audit::Audit::load_or_create_key(data_dir, &name)?;
        Engine::new(Arc::new(store), clock, options, key)
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The journal's checkpoints, proofs and entries.
    pub fn audit(&self) -> &crate::audit::Audit {
        &self.audit
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Measures sign-in sessions and lock-outs by `clock` (the wall clock, when the engine's own
    /// clock replays a drill faster than people live).
    pub fn use_session_clock(&mut self, clock: Arc<dyn Clock>) {
        self.session_clock = clock;
    }

    pub(crate) fn session_clock(&self) -> &Arc<dyn Clock> {
        &self.session_clock
    }

    /// The sign-in throttle (a panic elsewhere while it was held leaves its counts usable).
    pub(crate) fn sign_ins(&self) -> std::sync::MutexGuard<'_, crate::throttle::SignInThrottle> {
        self.sign_ins
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Today's date in Vietnam, by the engine's clock (or the fixed registry date).
    pub fn today(&self) -> Date {
        if let Some(date) = self.registry_date {
            return date;
        }
        let offset = jiff::tz::Offset::constant(VIETNAM_OFFSET_HOURS);
        offset.to_datetime(self.clock.now()).date()
    }

    pub(crate) fn reload_stations(&self) -> Result<()> {
        let series = self.store.series_catalog()?;
        let stations = self.store.stations(&RegionFilter::all())?;
        self.detector
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .sync(&stations, &series);
        *self.stations.write().unwrap_or_else(|e| e.into_inner()) =
            Arc::new(SeriesCache::from_rows(series));
        Ok(())
    }

    /// Map shapes computed so far (emptied when the registry changes).
    pub(crate) fn shape_cache(&self) -> &crate::map::ShapeCache {
        &self.shapes
    }

    pub(crate) fn response_state(&self) -> &crate::response::ResponseState {
        &self.response
    }

    /// Announces an event to the live stream.
    pub(crate) fn publish(&self, kind: &'static str, province: String, json: String) {
        self.events.publish(kind, province, None, json);
    }

    /// Whether this node runs drills: everything it releases carries status Exercise.
    pub(crate) fn exercising(&self) -> bool {
        self.warnings.settings().status == tocsin_cap::Status::Exercise
    }

    pub(crate) fn reload_boundaries(&self) -> Result<()> {
        self.shapes
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.response.forget_neighbours();
        let (index, problems) =
            LocateIndex::build(self.store.boundaries(RegionKind::Commune, self.today())?);
        for problem in problems {
            tracing::warn!(%problem, "commune boundary skipped");
        }
        *self.communes.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(index);
        Ok(())
    }

    /// The station cache validation uses.
    pub fn station_cache(&self) -> Arc<SeriesCache> {
        self.stations
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn commune_index(&self) -> Arc<LocateIndex> {
        self.communes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Drafts the warning versions due now and releases those marked for automatic release.
    pub fn tick_warnings(&self) -> Result<Vec<VersionRecord>> {
        let versions = self.warnings.tick()?;
        for version in versions
            .iter()
            .filter(|v| v.state == VersionState::Published)
        {
            self.disseminate(version)?;
        }
        Ok(versions)
    }

    /// Stores the notifications due now and attempts the deliveries due now; returns the new
    /// notifications.
    pub fn run_dispatch(&self) -> Result<Vec<tocsin_core::dispatch::Notification>> {
        let made = self.dispatch.tick()?;
        for notification in &made {
            let json = serde_json::to_string(notification).unwrap_or_default();
            let hazard = self.warning_hazard(notification.warning).ok();
            let province = notification.province.clone();
            self.events
                .publish("notification", province, hazard.as_deref(), json);
        }
        self.dispatch.deliver_due()?;
        Ok(made)
    }

    /// Starts the worker that drafts, releases and disseminates as soon as detections touch a
    /// warning (and at least every second, for group windows, renewals, escalations and
    /// retries), and signs a checkpoint of the journal every few seconds while it grows. It
    /// stops when the engine is dropped.
    pub fn start_worker(self: &Arc<Self>) {
        let engine = Arc::downgrade(self);
        let spawned = std::thread::Builder::new().name("tocsin-dispatch".into()).spawn(move || {
            let mut signed = std::time::Instant::now();
            let mut ticked = std::time::Instant::now() - TICK_SPACING;
            while let Some(engine) = engine.upgrade() {
                engine.warnings.wakeup.wait(std::time::Duration::from_secs(1));
                // Wakes that come faster (a commit with level changes every few milliseconds
                // during a bulk ingest) are served by one tick, which reads them all.
                if let Some(rest) = TICK_SPACING.checked_sub(ticked.elapsed()) {
                    std::thread::sleep(rest);
                }
                ticked = std::time::Instant::now();
                if let Err(e) = engine.tick_warnings().and_then(|_| engine.run_dispatch()) {
                    tracing::error!(error = %e, "warnings or dissemination failed; trying again");
                }
                if signed.elapsed() >= CHECKPOINT_EVERY {
                    signed = std::time::Instant::now();
                    if let Err(e) = engine.audit.sign_checkpoint() {
                        tracing::error!(error = %e, "the journal's checkpoint could not be signed");
                    }
                }
            }
        });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "the dissemination worker could not start");
        }
    }

    /// Follows level changes, released warnings and notifications as they happen.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Event> {
        self.events.subscribe()
    }
}
