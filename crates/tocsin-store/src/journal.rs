//! Records of the journal: entries as stored (leaf bytes, leaf hash, the personal values kept
//! beside them), signed checkpoints, a consumer's read, and the records the journal is checked
//! against.

use crate::Detection;
use tocsin_core::change::{Event, Kept};

/// One stored journal entry.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalEntry {
    pub index: u64,
    pub at_ms: i64,
    pub kind: String,
    pub region: String,
    /// The leaf bytes exactly as hashed.
    pub leaf: Vec<u8>,
    /// The leaf hash as stored (level 0 of the tree).
    pub leaf_hash: Vec<u8>,
    /// The personal values still kept beside the leaf, by their position among the event's
    /// personal fields (an erased one is absent).
    pub personal: Vec<(usize, Kept)>,
}

impl JournalEntry {
    /// The event of the leaf, with the personal values still kept put back in.
    pub fn event(&self) -> std::result::Result<Event, String> {
        let mut event = Event::from_leaf(&self.leaf)?;
        let mut fields = event.personal_mut();
        for (position, kept) in &self.personal {
            if let Some(field) = fields.get_mut(*position) {
                field.kept = Some(kept.clone());
            }
        }
        Ok(event)
    }
}

/// A signed tree head as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointRecord {
    pub size: u64,
    pub at_ms: i64,
    /// The signed note, exactly as served.
    pub note: String,
}

/// The region code of the nation, for changes that belong to no province.
pub const NATION: &str = "VN";

/// What a consumer read: the entries of the kinds it follows, and where its next read starts.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalRead {
    pub entries: Vec<JournalEntry>,
    /// The index to read from next; every entry before it of the kinds asked for is in
    /// `entries` (or was in an earlier read).
    pub next: u64,
}

/// The records the journal names, as stored, for `audit verify` to hold against it. `checked`
/// marks a record made after the journal began recording its kind (`journal_start`): such a
/// record must be named by an entry; an older one may be.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JournaledRecords {
    /// Detections from the start on, by id.
    pub detections: Vec<(i64, Detection)>,
    pub alerts: Vec<ReleasedAlert>,
    pub acknowledgements: Vec<Acknowledgement>,
    pub timeline: Vec<TimelineRow>,
    pub attempts: Vec<AttemptRow>,
    pub silences: Vec<(crate::SilenceRecord, bool)>,
    /// Every warning version, and every notification with its number of deliveries.
    pub versions: Vec<(crate::VersionRecord, bool)>,
    pub notifications: Vec<(crate::NotificationRecord, u32, bool)>,
    /// Every stock and fund posting by its number, with whether it is checked.
    pub stock: Vec<(u64, crate::StockPosting, bool)>,
    pub funds: Vec<(u64, crate::FundPosting, bool)>,
    pub tokens: Vec<(crate::TokenRecord, bool)>,
    pub users: Vec<(crate::UserRecord, bool)>,
    /// Every incident with its roles, tasks and assignments.
    pub incidents: Vec<(crate::IncidentDetail, bool)>,
    pub recipients: Vec<(crate::RecipientRecord, bool)>,
    /// Every stock minimum: warehouse, item, minimum.
    pub stock_minimums: Vec<(String, String, u64, bool)>,
    pub holders: Vec<HolderRow>,
    /// Every hazard released without an officer: hazard, highest level, who set it.
    pub auto_release: Vec<(String, u8, String, bool)>,
    pub subscriptions: Vec<(crate::SubscriptionRecord, bool)>,
    pub external_alerts: Vec<(crate::ExternalAlertRecord, bool)>,
    pub resources: Vec<(crate::ResourceRecord, bool)>,
    /// Every station as stored with its province.
    pub stations: Vec<(tocsin_core::station::Station, Option<String>, bool)>,
    /// The digest of the registry as stored (the backend's `registry_digest`).
    pub registry_sha256: String,
}

/// A fund or a warehouse as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct HolderRow {
    /// `fund` or `warehouse`.
    pub holder: String,
    pub id: String,
    pub name: String,
    pub tier: String,
    pub region: String,
    pub checked: bool,
}

/// A delivery attempt as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRow {
    pub delivery: u64,
    pub attempt: u32,
    pub time_ms: i64,
    pub outcome: String,
    pub error: Option<String>,
    pub checked: bool,
}

/// A published warning version as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleasedAlert {
    pub warning: u64,
    pub version: u32,
    pub identifier: String,
    pub cap_xml: String,
    pub released_by: String,
    pub checked: bool,
}

/// An acknowledged notification as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Acknowledgement {
    pub notification: u64,
    pub acked_by: String,
    pub checked: bool,
}

/// A timeline entry as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineRow {
    pub id: i64,
    pub incident: u64,
    pub time_ms: i64,
    pub kind: String,
    pub text: String,
    pub by: String,
    pub checked: bool,
}
