//! The tocsin store: one `Store` interface over the durable state, and its SQLite backend.
//!
//! This is the only crate that knows SQL. Callers (the engine) speak in domain types from
//! `tocsin-core` and this crate's record types, and its errors carry no backend's types (a
//! database failure is its message), so a PostgreSQL backend can implement the trait without
//! changing them; SQLite is the only backend today.
//! Every read that returns registry or observation data takes a [`RegionFilter`], so access
//! scopes are enforced where the data is read, not only in screens.

mod accounts;
pub mod conformance;
mod digest;
mod dispatch;
mod events;
mod external;
mod journal;
mod page;
mod response;
mod sqlite;
pub mod traits;

pub use accounts::{SessionRecord, UserRecord};
pub use dispatch::{
    AckKey, AttemptOutcome, AttemptRecord, DeliveryRecord, DueDelivery, NewNotification,
    NotificationRecord, RecipientRecord, SilenceRecord,
};
pub use external::{ExternalAlertRecord, PlacedRegion, SubscriptionRecord};
pub use journal::{
    Acknowledgement, AttemptRow, CheckpointRecord, HolderRow, JournalEntry, JournalRead,
    JournaledRecords, NATION, ReleasedAlert, TimelineRow,
};
pub use page::{Cursor, Page, Paged};
pub use response::{
    AssignmentRecord, FundPosting, IncidentDetail, IncidentOutcome, IncidentRecord, IncidentUpdate,
    NewIncident, NewRequest, RequestRecord, ResourceRecord, StockPosting, TaskRecord,
    TimelineEntry,
};
pub use sqlite::{Durability, SqliteStore};
pub use traits::{
    AccountStore, DetectionStore, DispatchStore, FeedStore, JournalStore, LedgerStore,
    MaintenanceStore, ObservationStore, RegistryStore, ResponseStore, Store, WarningStore,
};

use jiff::civil::Date;
use tocsin_core::access::Role;
use tocsin_core::observation::Observation;
use tocsin_core::region::{Region, Succession};
use tocsin_core::station::{Domain, Station};

/// A store failure. Input problems are caught before the store; these are IO, corruption or
/// conflicts the caller must report.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed; its message (the backend's error type stays inside this crate).
    #[error("database: {0}")]
    Database(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("corrupt record: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The part of the region tree (and domains) a read may return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionFilter {
    pub root: FilterRoot,
    /// Domains a station read may return; empty means all.
    pub domains: Vec<Domain>,
}

/// The root of a filter's region subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterRoot {
    Nation,
    Province(String),
    /// A commune, with the province it lies in (visible as its ancestor).
    Commune {
        commune: String,
        province: String,
    },
}

impl FilterRoot {
    /// The one province this root shows (a commune shows its own province's province-wide
    /// data, such as warnings); `None` for the whole nation.
    pub fn province(&self) -> Option<&str> {
        match self {
            FilterRoot::Nation => None,
            FilterRoot::Province(p) | FilterRoot::Commune { province: p, .. } => Some(p),
        }
    }

    /// Whether province-wide data of `province` is shown.
    pub fn shows_province(&self, province: &str) -> bool {
        self.province().is_none_or(|p| p == province)
    }
}

impl RegionFilter {
    /// Everything.
    pub fn all() -> RegionFilter {
        RegionFilter {
            root: FilterRoot::Nation,
            domains: Vec::new(),
        }
    }
}

/// A region as imported: the unit, its boundary and the current provinces it belongs to.
#[derive(Debug, Clone)]
pub struct RegionRecord {
    pub region: Region,
    /// The boundary as a GeoJSON geometry (Polygon or MultiPolygon), if known.
    pub boundary: Option<String>,
    /// The current provinces the unit lies in (its own code for a province; for a retired unit,
    /// those of its successors) — what access scopes are checked against.
    pub provinces: Vec<String>,
}

/// A succession: the unit `from` (read as of the day before `on`) passed into `to` (read as of `on`).
#[derive(Debug, Clone, PartialEq)]
pub struct SuccessionRecord {
    pub from: String,
    pub to: String,
    pub on: Date,
    pub relation: Succession,
    pub note: String,
}

/// A current region reached from a retired one, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct SuccessorLink {
    pub region: Region,
    /// `partial` when any step of the chain was a partial merge.
    pub relation: Succession,
    /// The dates of the changes passed through.
    pub changes: Vec<Date>,
}

/// One metric of one station: the unit of storage and query.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesRow {
    pub series: i64,
    pub station: String,
    pub metric: String,
    pub unit: String,
    pub min: f64,
    pub max: f64,
    pub station_active: bool,
    pub province: Option<String>,
    pub domain: Domain,
}

/// What an append did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppendOutcome {
    /// The observation sequence number of the batch's first new row.
    pub first_seq: i64,
    /// New rows written (first versions and corrections).
    pub stored: u64,
    /// Records already stored with the same value, time and issue time.
    pub duplicates: u64,
    /// Per observation of the batch: whether it was newly stored (not a duplicate).
    pub fresh: Vec<bool>,
}

/// When a station last reported, and how often it should.
#[derive(Debug, Clone, PartialEq)]
pub struct StationReport {
    pub station: String,
    pub last_ms: i64,
    pub interval_s: i64,
    pub commune: Option<String>,
    pub province: Option<String>,
}

/// A rule's level changed at a station: the detection event, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub station: String,
    pub rule: String,
    pub hazard: String,
    pub commune: Option<String>,
    pub province: Option<String>,
    pub from_level: u8,
    pub to_level: u8,
    pub time_ms: i64,
    /// The indicator value that decided it.
    pub value: f64,
    /// How sure the rule's table is (`verified`, `secondary`, `memory`…).
    pub status: String,
    /// `observed`, or `likely` for a level forecast from the trend.
    pub certainty: String,
    /// For a forecast: seconds until the level is expected, with a plausible range.
    pub lead: Option<Lead>,
}

/// How long until a forecast level is reached, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lead {
    pub expected_s: i64,
    pub earliest_s: i64,
    /// `None` when a flat or falling trend is plausible.
    pub latest_s: Option<i64>,
}

/// Aggregates of one step of a series query.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub start_ms: i64,
    pub count: u64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
}

/// The newest observed value of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct LatestValue {
    pub station: String,
    pub metric: String,
    pub unit: String,
    pub commune: Option<String>,
    pub time_ms: i64,
    pub value: f64,
}

/// One stored version of an observation (corrections keep every version).
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationVersion {
    pub time_ms: i64,
    pub issued_ms: i64,
    pub value: f64,
    /// Ingest order; the highest is the current version.
    pub seq: i64,
    pub received_ms: Option<i64>,
}

/// A warning as stored: the lifecycle's state (JSON) and whether it is still in force.
#[derive(Debug, Clone, PartialEq)]
pub struct WarningRecord {
    pub id: u64,
    pub hazard: String,
    pub province: String,
    pub open: bool,
    pub state: String,
}

/// Where a version of a warning stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionState {
    /// Waiting for approval.
    Draft,
    /// Released: its alert never changes again.
    Published,
    /// Replaced by a newer draft before it was released.
    Superseded,
    /// A lifecycle record without a message (withdrawn, expired).
    Record,
}

impl VersionState {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionState::Draft => "draft",
            VersionState::Published => "published",
            VersionState::Superseded => "superseded",
            VersionState::Record => "record",
        }
    }

    pub fn parse(text: &str) -> Option<VersionState> {
        [
            VersionState::Draft,
            VersionState::Published,
            VersionState::Superseded,
            VersionState::Record,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// The release of a version: its CAP alert and who released it when.
#[derive(Debug, Clone, PartialEq)]
pub struct Publication {
    pub identifier: String,
    pub sent_ms: i64,
    /// When the released alert expires (counted from its release, not its drafting).
    pub expires_ms: i64,
    pub msg_type: String,
    pub cap_xml: String,
    /// The approving token's id and name, or `auto` for automatic release.
    pub released_by: String,
    pub released_ms: i64,
}

/// One version of a warning as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionRecord {
    pub warning: u64,
    pub number: u32,
    pub hazard: String,
    pub province: String,
    pub action: String,
    pub level: u8,
    pub made_ms: i64,
    pub expires_ms: i64,
    /// The lifecycle's draft (JSON).
    pub draft: String,
    pub state: VersionState,
    pub publication: Option<Publication>,
}

/// A stored API token (only the hash of the secret is kept).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRecord {
    /// A short public identifier, shown in logs and audits.
    pub id: String,
    /// SHA-256 of the secret, hex.
    pub hash: String,
    pub name: String,
    pub role: Role,
    pub scope_region: String,
    pub domains: Vec<Domain>,
    pub stations: Vec<String>,
    pub created_ms: i64,
    pub revoked: bool,
}

/// Which series a query reads and how.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesQuery {
    pub series: i64,
    pub from_ms: i64,
    pub to_ms: i64,
    pub step_ms: i64,
    /// Observed values (the current version of each), or forecasts (the newest issue for each
    /// valid time).
    pub forecast: bool,
}

/// One ingest request's observations and who sent them.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub actor: &'a tocsin_core::change::Actor,
    pub observations: &'a [Observation],
}

impl Paged for VersionRecord {
    const ARITY: usize = 3;
    fn cursor(&self) -> Cursor {
        let sent = self
            .publication
            .as_ref()
            .map_or(self.made_ms, |p| p.sent_ms);
        Cursor::new(vec![sent, self.warning as i64, i64::from(self.number)])
    }
}
