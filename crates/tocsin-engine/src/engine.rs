//! The engine: one object that the server and the command line drive. It holds the store, the
//! clock, the registry caches (stations for validation, commune boundaries for lookup) and the
//! writer thread, and it applies access scopes to every read.

use crate::access::{Place, Principal, hash_secret, new_secret, principal_of};
use crate::detect::Detector;
use crate::dispatch::{DispatchDesk, DispatchSettings, RecipientEntry};
use crate::events::{Event, Events};
use crate::ingest::{IngestReport, SeriesCache, WriteError, Writer, check_records};
use crate::registry::changes::RegionChange;
use crate::registry::import::{ImportReport, read_official_files};
use crate::registry::locate::LocateIndex;
use crate::situation::Situation;
use crate::warnings::{WarningDesk, WarningSettings};
use jiff::civil::Date;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use tocsin_core::Clock;
use tocsin_core::access::{Access, Resource, Role, Scope};
use tocsin_core::change::Actor;
use tocsin_core::evaluate::CompiledCatalog;
use tocsin_core::observation::{ObservationInput, Rejection};
use tocsin_core::region::{NATION_CODE, Region, RegionKind};
use tocsin_core::station::{Domain, Station, StationError};
use tocsin_store::{
    Bucket, Detection, FilterRoot, LatestValue, ObservationVersion, RegionFilter, SeriesQuery,
    Store, StoreError, SuccessorLink, TokenRecord, VersionRecord, VersionState,
};
use tocsin_store::{Cursor, Page};

/// Why an engine call failed; each variant maps to one kind of answer for the client.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("invalid stations: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    InvalidStations(Vec<StationError>),
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    InvalidRecords(Vec<RecordError>),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T> = std::result::Result<T, EngineError>;

/// One refused record of a request: which record (its id, or its place), the field and the
/// reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{record}: {field}: {reason}")]
pub struct RecordError {
    pub record: String,
    pub field: String,
    pub reason: String,
}

impl RecordError {
    pub fn new(record: impl Into<String>, field: &str, reason: impl Into<String>) -> RecordError {
        RecordError {
            record: record.into(),
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl EngineError {
    /// The request is refused for one record's field.
    pub fn record(record: impl Into<String>, field: &str, reason: impl Into<String>) -> Self {
        EngineError::InvalidRecords(vec![RecordError::new(record, field, reason)])
    }
}

/// The most detections one page holds.
pub const DETECTION_PAGE_MAX: usize = 10_000;

/// The most rows one page of a list (warnings, notifications, incidents, external alerts)
/// holds; the rest follow page by page from the cursor the page ends with.
pub const PAGE_MAX: usize = 1_000;

/// `limit` when it is a page size a list accepts (1..=[`PAGE_MAX`]).
pub(crate) fn page_limit(limit: usize) -> Result<usize> {
    limit_within(limit, PAGE_MAX)
}

/// `limit` when it is within `1..=max`; beyond, a refusal naming it (never a silent clamp, so
/// an answer is never shorter than asked without saying so).
pub(crate) fn limit_within(limit: usize, max: usize) -> Result<usize> {
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(EngineError::Invalid(format!(
            "limit: {limit} is outside 1..={max}"
        )))
    }
}

/// The most regions one search answers.
pub const SEARCH_MAX: usize = 500;

/// A page of detections, each with its sequence number, and whether more follow.
#[derive(Debug, Clone)]
pub struct DetectionPage {
    pub detections: Vec<(i64, Detection)>,
    pub more: bool,
}

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
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    stations: RwLock<Arc<SeriesCache>>,
    communes: RwLock<Arc<LocateIndex>>,
    writer: Writer,
    detector: Arc<Mutex<Detector>>,
    warnings: Arc<WarningDesk>,
    dispatch: DispatchDesk,
    events: Events,
    shapes: crate::map::ShapeCache,
    response: crate::response::ResponseState,
    registry_date: Option<Date>,
    /// The clock sign-in sessions and lock-outs are measured by (the engine's own by default).
    session_clock: Arc<dyn Clock>,
    /// Failed sign-ins by client, which slow those clients down.
    sign_ins: Mutex<crate::throttle::SignInThrottle>,
    audit: crate::audit::Audit,
}

/// Which warning versions a list shows: their states, and optionally one province and one
/// hazard (applied in the store's query, so a page is never cut before it is narrowed).
#[derive(Debug, Clone, Copy)]
pub struct VersionQuery<'a> {
    pub states: &'a [VersionState],
    pub province: Option<&'a str>,
    pub hazard: Option<&'a str>,
}

impl<'a> VersionQuery<'a> {
    /// Every version in `states`.
    pub fn states(states: &'a [VersionState]) -> VersionQuery<'a> {
        VersionQuery {
            states,
            province: None,
            hazard: None,
        }
    }
}

/// `filter` narrowed to `province`; `None` when the province lies outside it. Unlike
/// `Engine::narrowed`, a commune's principal keeps its province: warnings are province-wide.
fn narrowed_to_province(filter: &RegionFilter, province: Option<&str>) -> Option<RegionFilter> {
    let Some(province) = province else {
        return Some(filter.clone());
    };
    match filter.root.province() {
        None => Some(RegionFilter {
            root: tocsin_store::FilterRoot::Province(province.to_string()),
            domains: filter.domains.clone(),
        }),
        Some(own) => (own == province).then(|| filter.clone()),
    }
}

/// How often the worker signs a checkpoint of the journal (when it grew).
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The rule id (and hazard) of data-gap detections.
pub const DATA_GAP: &str = "data_gap";

/// How many reporting intervals a station may miss before it counts as silent.
pub const GAP_INTERVALS: i64 = 3;

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

    fn reload_stations(&self) -> Result<()> {
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

    fn reload_boundaries(&self) -> Result<()> {
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

    fn commune_index(&self) -> Arc<LocateIndex> {
        self.communes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    // --- regions ---

    /// Replaces the registry with the official files in `dir` plus `changes`.
    pub fn import_regions(&self, dir: &Path, changes: &[RegionChange]) -> Result<ImportReport> {
        let import =
            read_official_files(dir, changes).map_err(|e| EngineError::Invalid(e.to_string()))?;
        self.store
            .import_regions(&import.regions, &import.successions)?;
        self.reload_boundaries()?;
        self.replace_catalog((*self.catalog()).clone())?;
        Ok(import.report)
    }

    /// Whether the registry has any current province.
    pub fn has_regions(&self) -> Result<bool> {
        Ok(self
            .store
            .count_regions(RegionKind::Province, self.today())?
            > 0)
    }

    /// Records a change after import (a recode, rename or new type). Returns `false` when the
    /// registry already has it, so a changes file can be applied again safely.
    pub fn record_region_change(&self, change: &RegionChange) -> Result<bool> {
        let before = change
            .on
            .yesterday()
            .map_err(|e| EngineError::Invalid(e.to_string()))?;
        let all = RegionFilter::all();
        let successor_code = change.code.as_deref().unwrap_or(&change.from);
        let existing = self.store.region(successor_code, change.on, &all)?;
        if existing.is_some_and(|r| r.valid_from == Some(change.on)) {
            return Ok(false);
        }
        let old = self
            .store
            .region(&change.from, before, &all)?
            .ok_or_else(|| EngineError::NotFound(format!("no unit {} on {before}", change.from)))?;
        let boundary = self.store.boundary(&change.from, before, &all)?;
        let provinces = match old.kind {
            RegionKind::Province => vec![old.code.clone()],
            _ => old.parent.iter().cloned().collect(),
        };
        let record = tocsin_store::RegionRecord {
            region: old,
            boundary,
            provinces,
        };
        let new = crate::registry::changes::successor_of(&record, change);
        self.store
            .record_region_change(&[new], &[crate::registry::changes::link_of(change)])?;
        self.reload_boundaries()?;
        Ok(true)
    }

    fn date_or_today(&self, at: Option<Date>) -> Date {
        at.unwrap_or_else(|| self.today())
    }

    /// The unit `code` valid on `at` (today by default).
    pub fn region(&self, who: &Principal, code: &str, at: Option<Date>) -> Result<Region> {
        who.require(Resource::Registry, Access::Read)?;
        let at = self.date_or_today(at);
        self.store.region(code, at, &who.filter)?.ok_or_else(|| {
            EngineError::NotFound(format!("no region {code} on {at} within your scope"))
        })
    }

    /// The names of `code` and its province as of the registry date (today, or the drill's
    /// fixed date): what every text the system writes calls the place.
    pub fn place_name(&self, code: &str) -> Result<crate::registry::names::PlaceName> {
        let name =
            crate::registry::names::place_name_or_code(self.store.as_ref(), code, self.today())?;
        Ok(name)
    }

    /// The parent chain of `region`, nearest first.
    pub fn ancestors(&self, who: &Principal, region: &Region) -> Result<Vec<Region>> {
        let at = region
            .valid_to
            .and_then(|d| d.yesterday().ok())
            .unwrap_or_else(|| self.today());
        let mut chain = Vec::new();
        let mut parent = region.parent.clone();
        while let Some(code) = parent {
            let Some(up) = self.store.region(&code, at, &who.filter)? else {
                break;
            };
            parent = up.parent.clone();
            chain.push(up);
        }
        Ok(chain)
    }

    pub fn children(&self, who: &Principal, code: &str, at: Option<Date>) -> Result<Vec<Region>> {
        let region = self.region(who, code, at)?;
        let on = region
            .valid_to
            .and_then(|d| d.yesterday().ok())
            .unwrap_or_else(|| self.date_or_today(at));
        Ok(self.store.children(code, at.unwrap_or(on), &who.filter)?)
    }

    pub fn successors(
        &self,
        who: &Principal,
        code: &str,
        at: Option<Date>,
    ) -> Result<Vec<SuccessorLink>> {
        who.require(Resource::Registry, Access::Read)?;
        let at = self.date_or_today(at);
        if self.store.region(code, at, &RegionFilter::all())?.is_none() {
            return Err(EngineError::NotFound(format!("no region {code} on {at}")));
        }
        Ok(self.store.successors(code, at, self.today(), &who.filter)?)
    }

    /// Units whose name matches `query`, ignoring case and tone marks.
    pub fn search_regions(
        &self,
        who: &Principal,
        query: &str,
        at: Option<Date>,
        limit: usize,
    ) -> Result<Vec<Region>> {
        who.require(Resource::Registry, Access::Read)?;
        let key = tocsin_core::text::search_key(query);
        if key.is_empty() {
            return Err(EngineError::Invalid(
                "q: give at least one letter or digit to search for".into(),
            ));
        }
        Ok(self
            .store
            .search_regions(&key, at, limit_within(limit, SEARCH_MAX)?, &who.filter)?)
    }

    /// The current commune containing the point.
    pub fn locate(&self, who: &Principal, lat: f64, lon: f64) -> Result<Region> {
        who.require(Resource::Registry, Access::Read)?;
        if !(lat.is_finite()
            && lon.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon))
        {
            return Err(EngineError::Invalid(format!(
                "lat/lon: ({lat}, {lon}) is not a point on Earth"
            )));
        }
        let index = self.commune_index();
        let code = index
            .locate([lon, lat])
            .ok_or_else(|| EngineError::NotFound(format!("no commune contains ({lat}, {lon})")))?;
        self.region(who, code, None)
    }

    /// The boundary of `code` as GeoJSON geometry text.
    pub fn boundary(&self, who: &Principal, code: &str, at: Option<Date>) -> Result<String> {
        who.require(Resource::Registry, Access::Read)?;
        let at = self.date_or_today(at);
        self.store
            .boundary(code, at, &who.filter)?
            .ok_or_else(|| EngineError::NotFound(format!("no boundary for {code} on {at}")))
    }

    /// Whether the current commune `code` contains the point (for checking the boundary data).
    pub fn commune_contains(&self, code: &str, lat: f64, lon: f64) -> Option<bool> {
        self.commune_index().contains(code, [lon, lat])
    }

    // --- stations ---

    /// Creates or replaces stations, all or none: each is validated, placed in its commune, and
    /// checked against the caller's scope.
    pub fn upsert_stations(&self, who: &Principal, mut stations: Vec<Station>) -> Result<usize> {
        who.require(Resource::Stations, Access::Write)?;
        let index = self.commune_index();
        let today = self.today();
        let all = RegionFilter::all();
        let mut errors: Vec<StationError> =
            crate::batch::repeated_ids(stations.iter().map(|s| s.id.as_str()))
                .into_iter()
                .map(|(id, reason)| StationError {
                    station: id.to_string(),
                    field: "id".into(),
                    reason,
                })
                .collect();
        let mut provinces = Vec::with_capacity(stations.len());
        for station in &mut stations {
            let problem = |field: &str, reason: String| StationError {
                station: station.id.clone(),
                field: field.into(),
                reason,
            };
            if let Err(e) = station.validate() {
                errors.push(e);
                provinces.push(None);
                continue;
            }
            if let Some(reason) = tocsin_core::station::outside_vietnam(station.lat, station.lon) {
                errors.push(problem("lat", reason));
                provinces.push(None);
                continue;
            }
            let commune = match station.commune.clone() {
                Some(code) => Some(code),
                None => index.locate([station.lon, station.lat]).map(str::to_string),
            };
            let province = match &commune {
                Some(code) => match self.store.region(code, today, &all)? {
                    Some(r) if r.kind == RegionKind::Commune => r.parent,
                    _ => {
                        errors.push(problem(
                            "commune",
                            format!("{code:?} is not a current commune"),
                        ));
                        None
                    }
                },
                None => None,
            };
            station.commune = commune;
            let inside = match &who.filter.root {
                FilterRoot::Nation => true,
                FilterRoot::Province(p) => province.as_deref() == Some(p),
                FilterRoot::Commune { commune, .. } => station.commune.as_deref() == Some(commune),
            };
            if !inside || !who.scope.allows_domain(station.domain) {
                errors.push(problem(
                    "lat",
                    "the station lies outside this token's scope".into(),
                ));
            }
            provinces.push(province);
        }
        if !errors.is_empty() {
            return Err(EngineError::InvalidStations(errors));
        }
        self.store.upsert_stations(&stations, &provinces)?;
        self.reload_stations()?;
        Ok(stations.len())
    }

    pub fn station(&self, who: &Principal, id: &str) -> Result<Station> {
        who.require(Resource::Stations, Access::Read)?;
        self.store
            .station(id, &who.filter)?
            .ok_or_else(|| EngineError::NotFound(format!("no station {id:?} within your scope")))
    }

    /// The level edges a station's raw values are judged against, for its charts.
    pub fn station_thresholds(
        &self,
        who: &Principal,
        id: &str,
    ) -> Result<Vec<tocsin_core::evaluate::RawThreshold>> {
        self.station(who, id)?;
        let detector = self.detector.lock().unwrap_or_else(|e| e.into_inner());
        Ok(detector.raw_thresholds(id))
    }

    pub fn stations(&self, who: &Principal) -> Result<Vec<Station>> {
        who.require(Resource::Stations, Access::Read)?;
        Ok(self.store.stations(&who.filter)?)
    }

    /// Retires a station: it stops accepting observations; its history stays.
    pub fn retire_station(&self, who: &Principal, id: &str) -> Result<Station> {
        let mut station = self.station(who, id)?;
        station.retired = Some(self.clock.now().to_string());
        self.upsert_stations(who, vec![station.clone()])?;
        Ok(station)
    }

    // --- observations ---

    /// Validates and durably stores records; resolves once the commit is durable.
    pub async fn ingest(
        &self,
        who: &Principal,
        inputs: Vec<std::result::Result<ObservationInput, Rejection>>,
        atomic: bool,
    ) -> Result<IngestReport> {
        who.require(Resource::Observations, Access::Write)?;
        let (valid, rejected) =
            check_records(inputs, &self.station_cache(), who, self.clock.as_ref());
        let mut report = IngestReport {
            rejected,
            ..Default::default()
        };
        if valid.is_empty() || (atomic && !report.rejected.is_empty()) {
            report.rolled_back = atomic && !report.rejected.is_empty();
            return Ok(report);
        }
        let outcome = self
            .writer
            .submit(who.actor(), valid)
            .await
            .map_err(|_| WriteError("the writer stopped before answering".into()))?
            .map_err(WriteError)?;
        report.accepted = outcome.stored + outcome.duplicates;
        report.duplicates = outcome.duplicates;
        Ok(report)
    }

    /// Waits until every observation accepted so far has been evaluated and its detections
    /// recorded (the writer handles its queue in order; an empty commit marks the place).
    pub async fn settle(&self) -> Result<()> {
        self.writer
            .submit(Actor::Node, Vec::new())
            .await
            .map_err(|_| WriteError("the writer stopped before answering".into()))?
            .map_err(WriteError)?;
        Ok(())
    }

    fn series_of(&self, who: &Principal, station: &str, metric: &str) -> Result<i64> {
        self.station(who, station)?;
        self.station_cache()
            .series_id(station, metric)
            .ok_or_else(|| {
                EngineError::NotFound(format!("station {station:?} has no metric {metric:?}"))
            })
    }

    /// Aggregates of one station's metric per step.
    pub fn series(
        &self,
        who: &Principal,
        station: &str,
        metric: &str,
        query: SeriesQuery,
    ) -> Result<Vec<Bucket>> {
        if query.step_ms <= 0 || query.to_ms <= query.from_ms {
            return Err(EngineError::Invalid(
                "from/to/step: need from < to and a positive step".into(),
            ));
        }
        if (query.to_ms - query.from_ms) / query.step_ms > 100_000 {
            return Err(EngineError::Invalid(
                "step: more than 100,000 steps; choose a larger step".into(),
            ));
        }
        if (query.to_ms - query.from_ms) > 400 * 86_400_000 {
            return Err(EngineError::Invalid(
                "from/to: at most 400 days per query".into(),
            ));
        }
        let series = self.series_of(who, station, metric)?;
        Ok(self
            .store
            .series_buckets(&SeriesQuery { series, ..query })?)
    }

    /// Every stored version of one observation (corrections).
    pub fn versions(
        &self,
        who: &Principal,
        station: &str,
        metric: &str,
        time_ms: i64,
    ) -> Result<Vec<ObservationVersion>> {
        let series = self.series_of(who, station, metric)?;
        Ok(self.store.versions(series, time_ms)?)
    }

    /// The newest value of each series, within the caller's scope and optionally one region.
    pub fn latest(&self, who: &Principal, region: Option<&str>) -> Result<Vec<LatestValue>> {
        who.require(Resource::Observations, Access::Read)?;
        let filter = self.narrowed(who, region)?;
        Ok(self.store.latest(&filter)?)
    }

    /// The caller's filter, narrowed to `region` when one is given (refused outside the scope).
    fn narrowed(&self, who: &Principal, region: Option<&str>) -> Result<RegionFilter> {
        let Some(code) = region else {
            return Ok(who.filter.clone());
        };
        let narrowed = RegionFilter {
            root: self.filter_root(code)?,
            domains: who.filter.domains.clone(),
        };
        if self.within(&who.filter, &narrowed) {
            Ok(narrowed)
        } else {
            Err(EngineError::NotFound(format!(
                "no region {code} within your scope"
            )))
        }
    }

    /// Whether `inner` lies within `outer`.
    fn within(&self, outer: &RegionFilter, inner: &RegionFilter) -> bool {
        match (&outer.root, &inner.root) {
            (FilterRoot::Nation, _) => true,
            (FilterRoot::Province(p), FilterRoot::Province(q)) => p == q,
            (FilterRoot::Province(p), FilterRoot::Commune { province, .. }) => p == province,
            (FilterRoot::Commune { commune: a, .. }, FilterRoot::Commune { commune: b, .. }) => {
                a == b
            }
            _ => false,
        }
    }

    /// The store filter rooted at the current region `code`.
    pub(crate) fn filter_root(&self, code: &str) -> Result<FilterRoot> {
        if code == NATION_CODE {
            return Ok(FilterRoot::Nation);
        }
        let region = self
            .store
            .region(code, self.today(), &RegionFilter::all())?
            .ok_or_else(|| EngineError::NotFound(format!("no current region {code}")))?;
        Ok(match region.kind {
            RegionKind::Nation => FilterRoot::Nation,
            RegionKind::Province => FilterRoot::Province(region.code),
            RegionKind::Commune => FilterRoot::Commune {
                commune: region.code,
                province: region.parent.unwrap_or_default(),
            },
            RegionKind::District => {
                return Err(EngineError::Invalid(format!(
                    "{code} is a pre-2025 district; scope to a current unit"
                )));
            }
        })
    }

    // --- detections ---

    /// Detections in `[from, to)` within the caller's scope (or `region` of it), newest first.
    pub fn detections(
        &self,
        who: &Principal,
        region: Option<&str>,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Detection>> {
        who.require(Resource::Detections, Access::Read)?;
        let filter = self.narrowed(who, region)?;
        Ok(self
            .store
            .detections(&filter, from_ms, to_ms, limit_within(limit, 10_000)?)?)
    }

    /// One page of the detections in `[from, to)` within the caller's scope (or `region` of it):
    /// those stored after the sequence number `after`, in sequence order, at most `limit`
    /// (1..=[`DETECTION_PAGE_MAX`]); `more` says whether a next page follows the last one's.
    pub fn detection_page(
        &self,
        who: &Principal,
        region: Option<&str>,
        (from_ms, to_ms): (i64, i64),
        after: i64,
        limit: usize,
    ) -> Result<DetectionPage> {
        who.require(Resource::Detections, Access::Read)?;
        if !(1..=DETECTION_PAGE_MAX).contains(&limit) {
            return Err(EngineError::Invalid(format!(
                "limit: {limit} is outside 1..={DETECTION_PAGE_MAX}"
            )));
        }
        let filter = self.narrowed(who, region)?;
        let mut detections =
            self.store
                .detections_after(&filter, from_ms, to_ms, after, limit + 1)?;
        let more = detections.len() > limit;
        detections.truncate(limit);
        Ok(DetectionPage { detections, more })
    }

    /// The situation in `region` (the caller's scope root by default): every rule at level 1 or
    /// more, the highest level, and the communes at each level.
    /// A hazard's Vietnamese and English names from the catalogue (its code when undeclared).
    pub fn hazard_names(&self, hazard: &str) -> (String, String) {
        let catalog = self.catalog();
        let (vi, en) = catalog.hazard_names(hazard).unwrap_or((hazard, hazard));
        (vi.to_string(), en.to_string())
    }

    pub fn situation(&self, who: &Principal, region: Option<&str>) -> Result<Situation> {
        who.require(Resource::Detections, Access::Read)?;
        let code = region.unwrap_or(&who.scope.region).to_string();
        let root = self.filter_root(&code)?;
        let filter = RegionFilter {
            root,
            domains: who.filter.domains.clone(),
        };
        if !self.within(&who.filter, &filter) {
            return Err(EngineError::NotFound(format!(
                "no region {code} within your scope"
            )));
        }
        let active = self.store.current_levels(&filter)?;
        let lives_at_risk = self
            .detector
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .catalog()
            .rules
            .iter()
            .filter(|r| r.lives_at_risk)
            .map(|r| r.id.clone())
            .collect();
        Ok(Situation::of(code, active, &lives_at_risk))
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
            while let Some(engine) = engine.upgrade() {
                engine.warnings.wakeup.wait(std::time::Duration::from_secs(1));
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

    /// The recipients of the provinces `who` sees, with their endpoints' secrets replaced
    /// (secrets are written, never read back).
    pub fn recipients(&self, who: &Principal) -> Result<Vec<RecipientEntry>> {
        who.require(Resource::Recipients, Access::Read)?;
        let entries = self.dispatch.entries();
        Ok(entries
            .iter()
            .filter(|e| {
                let province = self.province_of_code(&e.recipient.region);
                who.sees(&Place::region(province.as_deref().unwrap_or("")))
            })
            .map(RecipientEntry::redacted)
            .collect())
    }

    /// The recipients marked as drill participants, with their endpoints as they are (a drill
    /// on this node reaches them through their real channels); for whoever may start drills.
    pub fn drill_participants(&self, who: &Principal) -> Result<Vec<RecipientEntry>> {
        who.require(Resource::Drills, Access::Write)?;
        let entries = self.dispatch.entries();
        Ok(entries
            .iter()
            .filter(|e| e.recipient.exercises)
            .cloned()
            .collect())
    }

    /// The province a region code lies in: itself for a province, its province for a commune,
    /// `None` for the nation (or a code the registry does not know).
    pub(crate) fn province_of_code(&self, code: &str) -> Option<String> {
        if code == NATION_CODE || code.is_empty() {
            return None;
        }
        let region = self
            .store
            .region(code, self.today(), &RegionFilter::all())
            .ok()
            .flatten()?;
        match region.kind {
            RegionKind::Province => Some(region.code),
            _ => region.parent,
        }
    }

    /// Creates or replaces recipients (an administrator, or a national operator).
    pub fn set_recipients(&self, who: &Principal, entries: &[RecipientEntry]) -> Result<()> {
        who.require(Resource::Recipients, Access::Write)?;
        self.dispatch.set_recipients(entries)
    }

    /// The silences that concern the provinces `who` sees (by their region or recipient), and
    /// those of the whole node, expired ones too.
    pub fn silences(&self, who: &Principal) -> Result<Vec<tocsin_store::SilenceRecord>> {
        who.require(Resource::Silences, Access::Read)?;
        let entries = self.dispatch.entries();
        let concerned = |s: &tocsin_store::SilenceRecord| {
            let matchers: tocsin_core::dispatch::route::Matchers =
                serde_json::from_str(&s.matchers).unwrap_or_default();
            let region = matchers.region.or_else(|| {
                let recipient = s.recipient.as_deref()?;
                let entry = entries.iter().find(|e| e.recipient.id == recipient)?;
                Some(entry.recipient.region.clone())
            });
            match region.and_then(|code| self.province_of_code(&code)) {
                Some(province) => who.sees(&Place::region(&province)),
                None => true,
            }
        };
        Ok(self
            .dispatch
            .silences()?
            .into_iter()
            .filter(concerned)
            .collect())
    }

    /// Adds a silence, authored by the caller; its id.
    pub fn add_silence(
        &self,
        who: &Principal,
        mut silence: tocsin_core::dispatch::Silence,
    ) -> Result<u64> {
        who.require(Resource::Silences, Access::Write)?;
        if silence.ends_ms <= silence.starts_ms {
            return Err(EngineError::Invalid(
                "ends: a silence must end after it starts".into(),
            ));
        }
        silence.author = format!("token {} ({})", who.token_id, silence.author);
        self.dispatch.add_silence(&silence, &who.actor())
    }

    /// Ends a silence now.
    pub fn expire_silence(&self, who: &Principal, id: u64) -> Result<bool> {
        who.require(Resource::Silences, Access::Write)?;
        self.dispatch
            .expire_silence(id, &format!("token {}", who.token_id), &who.actor())
    }

    /// The notification record of the provinces and domains `who` sees: who was told what,
    /// when, each attempt, and who acknowledged.
    pub fn notifications(
        &self,
        who: &Principal,
        warning: Option<u64>,
        before: Option<&Cursor>,
        limit: usize,
    ) -> Result<Page<tocsin_store::NotificationRecord>> {
        who.require(Resource::Notifications, Access::Read)?;
        let limit = page_limit(limit)?;
        let rows = self
            .store
            .notifications(&who.filter, warning, before, limit + 1)?;
        Ok(Page::cut(rows, limit))
    }

    /// Acknowledges a notification as the caller: an operator or administrator whose scope
    /// covers the notification's province and hazard (acknowledging stops its escalation).
    pub fn acknowledge(&self, who: &Principal, notification: u64) -> Result<(u64, u32)> {
        who.require(Resource::Notifications, Access::Write)?;
        let what = format!("notification {notification}");
        let found = self.store.notification(notification)?;
        let Some(found) = found else {
            return Err(EngineError::NotFound(format!("no {what}")));
        };
        let hazard = self.warning_hazard(found.warning)?;
        who.require_in(
            Resource::Notifications,
            Access::Write,
            &what,
            &Place::hazard(&found.province, &hazard),
        )?;
        self.dispatch.acknowledge(
            &tocsin_store::AckKey::Id(notification),
            &format!("token {}", who.token_id),
            Some(&who.actor()),
        )
    }

    /// The hazard of a stored warning.
    fn warning_hazard(&self, warning: u64) -> Result<String> {
        let versions = self.store.warning_versions(warning)?;
        versions
            .into_iter()
            .next()
            .map(|v| v.hazard)
            .ok_or_else(|| EngineError::NotFound(format!("no warning {warning}")))
    }

    /// Acknowledges the notification whose link was opened.
    pub fn acknowledge_link(&self, token: &str) -> Result<(u64, u32)> {
        self.dispatch.acknowledge(
            &tocsin_store::AckKey::Token(token.to_string()),
            "link in the message",
            None,
        )
    }

    /// Hands a released version to dissemination.
    fn disseminate(&self, version: &VersionRecord) -> Result<()> {
        let status = tocsin_cap::CodeList::as_str(self.warnings.settings().status);
        let concurrent = self
            .warnings
            .in_force()
            .iter()
            .any(|w| w.province == version.province && w.hazard != version.hazard);
        self.dispatch.released(version, status, concurrent)?;
        let event = serde_json::json!({
            "warning": version.warning, "version": version.number, "hazard": version.hazard, "province": version.province,
            "level": version.level, "action": version.action,
            "identifier": version.publication.as_ref().map(|p| &p.identifier),
        });
        self.events.publish(
            "warning",
            version.province.clone(),
            Some(&version.hazard),
            event.to_string(),
        );
        if let Err(e) = self.respond(version, self.exercising()) {
            tracing::error!(error = %e, warning = version.warning, "the framework scenarios could not run");
        }
        Ok(())
    }

    /// Warning versions in `states` of the provinces `who` sees, newest first.
    pub fn warning_versions(
        &self,
        who: &Principal,
        query: &VersionQuery,
        before: Option<&Cursor>,
        limit: usize,
    ) -> Result<Page<VersionRecord>> {
        who.require(Resource::Warnings, Access::Read)?;
        let limit = page_limit(limit)?;
        let Some(filter) = narrowed_to_province(&who.filter, query.province) else {
            return Ok(Page::cut(Vec::new(), limit));
        };
        let rows =
            self.store
                .versions_in(&filter, query.states, query.hazard, before, limit + 1)?;
        Ok(Page::cut(rows, limit))
    }

    /// Every version of one warning, oldest first.
    pub fn warning_history(&self, who: &Principal, warning: u64) -> Result<Vec<VersionRecord>> {
        let versions = self.store.warning_versions(warning)?;
        self.require_warning(who, Access::Read, warning, versions.first())?;
        Ok(versions)
    }

    /// The warnings rule for one warning (`first` its first version): its province and hazard
    /// in the caller's scope.
    fn require_warning(
        &self,
        who: &Principal,
        access: Access,
        warning: u64,
        first: Option<&VersionRecord>,
    ) -> Result<()> {
        who.require(Resource::Warnings, access)?;
        let what = format!("warning {warning}");
        let Some(first) = first else {
            return Err(EngineError::NotFound(format!("no {what}")));
        };
        let place = Place::hazard(&first.province, &first.hazard);
        who.require_in(Resource::Warnings, access, &what, &place)
    }

    /// Releases a draft for the public, recording who approved it.
    pub fn release_warning(
        &self,
        who: &Principal,
        warning: u64,
        number: u32,
    ) -> Result<VersionRecord> {
        self.require_warning_officer(who, warning)?;
        let released = self.warnings.release(
            warning,
            number,
            &format!("token {}", who.token_id),
            &who.actor(),
        )?;
        self.disseminate(&released)?;
        Ok(released)
    }

    /// Withdraws a warning: its Cancel version waits for release like any other.
    pub fn cancel_warning(&self, who: &Principal, warning: u64) -> Result<VersionRecord> {
        self.require_warning_officer(who, warning)?;
        self.warnings.cancel(warning, &who.actor())
    }

    /// Refuses a hazard that no rule of the catalogue, framework scenario or sector of the
    /// dispatch policy names, for `record` (what the request calls the record carrying it).
    pub fn check_hazard(&self, record: &str, hazard: &str) -> Result<()> {
        let mut hazards: Vec<String> = self
            .catalog()
            .rules
            .iter()
            .map(|r| r.hazard.clone())
            .collect();
        hazards.extend(self.playbooks().scenarios.iter().map(|s| s.hazard.clone()));
        hazards.extend(self.dispatch.policy().sectors.keys().cloned());
        hazards.sort();
        hazards.dedup();
        if hazards.iter().any(|h| h == hazard) {
            return Ok(());
        }
        Err(EngineError::record(
            record,
            "hazard",
            format!(
                "{hazard:?} is not a hazard of the catalogue ({})",
                hazards.join(", ")
            ),
        ))
    }

    /// Marks a hazard's levels up to `max_level` for release without approval (0 clears it).
    pub fn set_auto_release(&self, who: &Principal, hazard: &str, max_level: u8) -> Result<()> {
        who.require(Resource::AutoRelease, Access::Write)?;
        if max_level > 5 {
            return Err(EngineError::Invalid(format!(
                "max_level {max_level}: QĐ 18 levels are 1 to 5 (0 clears)"
            )));
        }
        self.check_hazard("auto-release", hazard)?;
        let now = self.clock.now().as_millisecond();
        Ok(self.store.set_auto_release(
            hazard,
            max_level,
            &format!("token {}", who.token_id),
            now,
        )?)
    }

    /// The hazards released without approval, with their highest level.
    pub fn auto_release(&self, who: &Principal) -> Result<Vec<(String, u8)>> {
        who.require(Resource::AutoRelease, Access::Read)?;
        Ok(self.store.auto_release()?)
    }

    /// A published alert by its CAP identifier (public alerts are public: no scope applies).
    pub fn published_alert(&self, identifier: &str) -> Result<VersionRecord> {
        self.store
            .published_by_identifier(identifier)?
            .ok_or_else(|| EngineError::NotFound(format!("no published alert {identifier}")))
    }

    /// The alerts in force now — the newest published version of each warning that has not
    /// ended or expired — of one province (or all) and one hazard (or all), newest first.
    pub fn current_alerts(
        &self,
        province: Option<&str>,
        hazard: Option<&str>,
    ) -> Result<Vec<VersionRecord>> {
        let root = province.map_or(FilterRoot::Nation, |p| FilterRoot::Province(p.to_string()));
        let filter = RegionFilter {
            root,
            domains: Vec::new(),
        };
        let now = self.clock.now().as_millisecond();
        let published =
            self.store
                .versions_in(&filter, &[VersionState::Published], None, None, 10_000)?;
        let mut seen = std::collections::HashSet::new();
        let newest = published.into_iter().filter(|v| seen.insert(v.warning));
        let ended = ["all-clear", "cancelled"];
        Ok(newest
            .filter(|v| !ended.contains(&v.action.as_str()) && v.expires_ms > now)
            .filter(|v| hazard.is_none_or(|h| v.hazard == h))
            .collect())
    }

    /// The published versions of the warning that the alert `identifier` belongs to, oldest
    /// first (public).
    pub fn alert_history(&self, identifier: &str) -> Result<Vec<VersionRecord>> {
        let alert = self.published_alert(identifier)?;
        let versions = self.store.warning_versions(alert.warning)?;
        Ok(versions
            .into_iter()
            .filter(|v| v.state == VersionState::Published)
            .collect())
    }

    /// Whether an alert's signature is genuine and from a sender it is trusted for (public).
    pub fn verify_alert(&self, xml: &[u8]) -> tocsin_cap::signature::Verdict {
        self.warnings.settings().trust.verdict(xml)
    }

    pub fn warning_settings(&self) -> &WarningSettings {
        self.warnings.settings()
    }

    fn require_warning_officer(&self, who: &Principal, warning: u64) -> Result<()> {
        let versions = self.store.warning_versions(warning)?;
        self.require_warning(who, Access::Write, warning, versions.first())
    }

    /// Raises a data-gap detection for every station silent for longer than
    /// [`GAP_INTERVALS`] times its longest reporting interval, and clears it when the station
    /// reports again. Returns the detections recorded. Stations that never reported are not
    /// judged (they may not have started).
    pub fn check_data_gaps(&self) -> Result<Vec<Detection>> {
        let now_ms = self.clock.now().as_millisecond();
        let open: std::collections::HashSet<String> = self
            .store
            .current_levels(&RegionFilter::all())?
            .into_iter()
            .filter(|d| d.rule == DATA_GAP)
            .map(|d| d.station)
            .collect();
        let mut changes = Vec::new();
        for report in self.store.station_reports()? {
            let allowed_ms = report.interval_s * 1000 * GAP_INTERVALS;
            let silent = now_ms - report.last_ms > allowed_ms;
            let was_open = open.contains(&report.station);
            if silent != was_open {
                let time_ms = if silent {
                    report.last_ms + allowed_ms
                } else {
                    report.last_ms
                };
                changes.push(Detection {
                    station: report.station,
                    rule: DATA_GAP.into(),
                    hazard: DATA_GAP.into(),
                    commune: report.commune,
                    province: report.province,
                    from_level: u8::from(was_open),
                    to_level: u8::from(silent),
                    time_ms,
                    value: ((now_ms - report.last_ms) / 1000) as f64,
                    status: "verified".into(),
                    certainty: crate::detect::OBSERVED.into(),
                    lead: None,
                });
            }
        }
        if !changes.is_empty() {
            self.store.record_detections(&changes, now_ms)?;
        }
        Ok(changes)
    }

    /// Replays the stored history of `[from, to)` through `catalog` (the one in use by default)
    /// and scores its rules against `truth`.
    pub fn backtest(
        &self,
        catalog: Option<CompiledCatalog>,
        from_ms: i64,
        to_ms: i64,
        truth: &[crate::backtest::TruthEvent],
    ) -> Result<Vec<crate::backtest::RuleScore>> {
        let catalog = catalog.unwrap_or_else(|| (*self.catalog()).clone());
        let horizon_ms = Detector::new(catalog.clone()).horizon_ms();
        let mut observations = self.store.observed_since(from_ms - horizon_ms)?;
        observations.retain(|&(_, time_ms, _)| time_ms < to_ms);
        let stations = self.store.stations(&RegionFilter::all())?;
        Ok(crate::backtest::run(
            catalog,
            &stations,
            &self.store.series_catalog()?,
            &observations,
            from_ms,
            truth,
        ))
    }

    // --- tokens ---

    /// Creates a token and returns its secret (shown once) and record.
    pub fn create_token(
        &self,
        name: &str,
        role: Role,
        scope: Scope,
    ) -> Result<(String, TokenRecord)> {
        if scope.region != NATION_CODE {
            self.filter_root(&scope.region)?;
        }
        let (secret, id) = new_secret()
            .map_err(|e| EngineError::Invalid(format!("no randomness available: {e}")))?;
        let record = TokenRecord {
            id,
            hash: hash_secret(&secret),
            name: name.to_string(),
            role,
            scope_region: scope.region,
            domains: scope.domains,
            stations: scope.stations,
            created_ms: self.clock.now().as_millisecond(),
            revoked: false,
        };
        self.store.insert_token(&record)?;
        Ok((secret, record))
    }

    /// The principal a secret stands for, if it is a live token.
    pub fn authenticate(&self, secret: &str) -> Result<Option<Principal>> {
        let Some(token) = self.store.token_by_hash(&hash_secret(secret))? else {
            return Ok(None);
        };
        if token.revoked {
            return Ok(None);
        }
        let root = match token.scope_region.as_str() {
            NATION_CODE => FilterRoot::Nation,
            code => self.filter_root(code)?,
        };
        Ok(Some(principal_of(&token, root)))
    }

    /// Parses a domain list such as `hydromet,air`.
    pub fn parse_domains(text: &str) -> Result<Vec<Domain>> {
        text.split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| {
                Domain::parse(d)
                    .ok_or_else(|| EngineError::Invalid(format!("unknown domain {d:?}")))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tocsin_store::FilterRoot;

    #[test]
    fn a_list_narrowed_to_a_province_stays_within_the_caller_s_scope() {
        let hanoi = RegionFilter {
            root: FilterRoot::Province("01".into()),
            domains: vec![tocsin_core::station::Domain::Health],
        };
        assert_eq!(
            narrowed_to_province(&hanoi, Some("01")),
            Some(hanoi.clone())
        );
        assert_eq!(
            narrowed_to_province(&hanoi, Some("79")),
            None,
            "another province: nothing"
        );
        assert_eq!(narrowed_to_province(&hanoi, None), Some(hanoi.clone()));
        let national = narrowed_to_province(&RegionFilter::all(), Some("79")).unwrap();
        assert_eq!(national.root, FilterRoot::Province("79".into()));
    }
}
