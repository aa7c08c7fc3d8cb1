//! The typed record of a state change: who made it, when (the injected clock), in which region,
//! and what changed. The store appends one [`Event`] to the journal in the same transaction as
//! the change it records, and the journal's leaf for it is [`Event::leaf`].
//!
//! **Leaf encoding** (version 1): the byte `0x01`, then the event as compact JSON, exactly as
//! serde_json writes this module's types: object keys in the order the fields are declared
//! here, no whitespace, strings with JSON's escapes, integers in decimal, `null` for an absent
//! value. The `change` object is tagged by its `"kind"`. Nothing of the encoding depends on a
//! map's iteration order, so the same event always gives the same bytes.
//!
//! **Personal data** (names and contacts of people, free text of reports) enters the leaf only
//! as `{"sha256": hex(SHA-256(salt ‖ UTF-8 value))}` with a random 16-byte salt kept beside the
//! leaf: erasing the value and its salt leaves every proof intact, and without the salt the
//! digest cannot be matched against guessed values.

mod readers;

pub use readers::KINDS;

use crate::dispatch::{Reason, Suppression};
use crate::response::ledger::{FundLine, StockLine};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The version byte that starts every leaf of this encoding.
pub const LEAF_VERSION: u8 = 1;

/// One change, as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// When it happened, in milliseconds since the epoch (the node's clock).
    pub at_ms: i64,
    pub actor: Actor,
    /// The province it belongs to (its code), or `VN` for what belongs to the whole node: the
    /// unit of every scope check on the journal.
    pub region: String,
    pub change: Change,
}

impl Event {
    /// The journal leaf of this event (see the module's documentation).
    pub fn leaf(&self) -> Vec<u8> {
        let mut leaf = vec![LEAF_VERSION];
        // Writing these plain types into a Vec cannot fail.
        serde_json::to_writer(&mut leaf, self).expect("events always serialize");
        leaf
    }

    /// Reads a leaf back; personal values come back as their digests only.
    pub fn from_leaf(leaf: &[u8]) -> Result<Event, String> {
        match leaf.split_first() {
            Some((&LEAF_VERSION, json)) => {
                serde_json::from_slice(json).map_err(|e| format!("leaf: {e}"))
            }
            Some((version, _)) => Err(format!("leaf: version {version} is not {LEAF_VERSION}")),
            None => Err("leaf: empty".into()),
        }
    }

    /// The hazard the change is about, for the domain part of a scope check.
    pub fn hazard(&self) -> Option<&str> {
        match &self.change {
            Change::LevelChanged { hazard, .. }
            | Change::AlertReleased { hazard, .. }
            | Change::NotificationAcknowledged { hazard, .. }
            | Change::IncidentNoted { hazard, .. }
            | Change::DeliveryAttempted { hazard, .. }
            | Change::VersionDrafted { hazard, .. }
            | Change::NotificationQueued { hazard, .. }
            | Change::IncidentOpened { hazard, .. }
            | Change::ResourceBooked { hazard, .. }
            | Change::IncidentRoleSet { hazard, .. }
            | Change::IncidentClosed { hazard, .. }
            | Change::IncidentRaised { hazard, .. }
            | Change::TasksEnded { hazard, .. }
            | Change::ResourcesReleased { hazard, .. }
            | Change::AutoReleaseSet { hazard, .. } => Some(hazard),
            Change::ObservationsStored { .. }
            | Change::SilenceSet { .. }
            | Change::SilenceEnded { .. }
            | Change::StockPosted { .. }
            | Change::FundsPosted { .. }
            | Change::TokenIssued { .. }
            | Change::UserAdded { .. }
            | Change::UserDisabled { .. }
            | Change::PasswordChanged { .. }
            | Change::SignedIn { .. }
            | Change::RecipientSet { .. }
            | Change::StockMinimumSet { .. }
            | Change::HolderSet { .. }
            | Change::SubscriptionAdded { .. }
            | Change::SubscriptionRemoved { .. }
            | Change::ResourceSet { .. }
            | Change::ExternalAlertStored { .. }
            | Change::RegistryImported { .. }
            | Change::RegionChanged { .. }
            | Change::StationSet { .. }
            | Change::DrillStarted { .. }
            | Change::DrillEnded { .. }
            | Change::DrillRemoved { .. } => None,
        }
    }

    /// The domain of the station the change is about (`hydromet`, `air`, …), for the domain
    /// part of a scope check of a change no hazard names.
    pub fn domain(&self) -> Option<&str> {
        match &self.change {
            Change::StationSet { domain, .. } => Some(domain),
            _ => None,
        }
    }

    /// The digests of the contents this change names only by digest and the store keeps beside
    /// the journal (a draft, a CAP alert, a station's definition, the registry).
    pub fn contents(&self) -> Vec<&str> {
        match &self.change {
            Change::VersionDrafted { draft_sha256, .. } => vec![draft_sha256],
            Change::AlertReleased { cap_sha256, .. }
            | Change::ExternalAlertStored { cap_sha256, .. } => vec![cap_sha256],
            Change::StationSet {
                definition_sha256, ..
            } => vec![definition_sha256],
            Change::RegistryImported {
                registry_sha256, ..
            }
            | Change::RegionChanged {
                registry_sha256, ..
            } => vec![registry_sha256],
            _ => Vec::new(),
        }
    }

    /// The personal values this event carries, in the order they appear.
    pub fn personal(&self) -> Vec<&Personal> {
        personal_of!(&self.change)
    }

    /// The personal values, to put their kept values back or to erase them.
    pub fn personal_mut(&mut self) -> Vec<&mut Personal> {
        personal_of!(&mut self.change)
    }
}

/// The personal values of a change, borrowed as the change is (`&` or `&mut`), in the order
/// they appear.
macro_rules! personal_of {
    ($change:expr) => {
        match $change {
            Change::SubscriptionAdded { url, .. } => vec![url],
            Change::NotificationAcknowledged { by, .. } => vec![by],
            Change::IncidentNoted { text, .. } => vec![text],
            Change::IncidentOpened { title, .. } => vec![title],
            Change::RecipientSet {
                endpoints,
                exercise_endpoints,
                ..
            } => vec![endpoints, exercise_endpoints],
            Change::IncidentRoleSet { holder, .. } => vec![holder],
            Change::SilenceSet { author, reason, .. } => vec![author, reason],
            Change::StockPosted { note, .. } => vec![note],
            Change::FundsPosted { memo, .. } => vec![memo],
            Change::UserAdded {
                username,
                display_name,
                ..
            } => vec![username, display_name],
            _ => Vec::new(),
        }
    };
}
use personal_of;

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", content = "id", rename_all = "snake_case")]
pub enum Actor {
    /// The node itself: its detectors, desks and timers.
    Node,
    /// An API token, by its public id.
    Token(String),
    /// A signed-in user, by username.
    User(String),
    /// A recipient acting through the signed link of a message.
    Recipient(String),
}

/// A personal value: in the journal's leaf only its salted digest; the value and salt are kept
/// beside the leaf until they are erased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Personal {
    /// Hex SHA-256 of the salt followed by the value's UTF-8 bytes.
    pub sha256: String,
    #[serde(skip)]
    pub kept: Option<Kept>,
}

/// The value and salt of a personal field, kept beside the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub value: String,
    pub salt: [u8; 16],
}

impl Personal {
    /// Seals `value` with `salt` (16 random bytes the caller draws).
    pub fn seal(value: &str, salt: [u8; 16]) -> Personal {
        Personal {
            sha256: digest(value, &salt),
            kept: Some(Kept {
                value: value.to_string(),
                salt,
            }),
        }
    }

    /// Whether `kept` is the value this digest was made from.
    pub fn matches(&self, kept: &Kept) -> bool {
        self.sha256 == digest(&kept.value, &kept.salt)
    }
}

fn digest(value: &str, salt: &[u8; 16]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(value.as_bytes());
    hex(&hasher.finalize())
}

/// Hex SHA-256 of `bytes`: how an event names a record too large to carry (a CAP alert).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What changed. Each variant names the records it touched by their ids, so that the state can
/// be checked against, and rebuilt from, the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// One ingest request's observations were stored: observation sequence numbers
    /// `first_seq..first_seq + stored` and how many were exact duplicates.
    ObservationsStored {
        first_seq: i64,
        stored: u64,
        duplicates: u64,
    },
    /// A rule's level at a station moved.
    LevelChanged {
        /// The id of the stored detection (0 in entries written before ids were journaled).
        #[serde(default)]
        detection: i64,
        station: String,
        rule: String,
        hazard: String,
        commune: Option<String>,
        from: u8,
        to: u8,
        /// When the observation that moved it was made.
        time_ms: i64,
        /// The indicator value that decided it, as its shortest decimal text.
        value: String,
        /// `observed`, or `likely` for a forecast level.
        certainty: String,
    },
    /// The lifecycle made a version of a warning: a draft awaiting release (`raised`,
    /// `escalated`, `updated`, `renewed`, `all-clear`, `cancelled`) or a record without a
    /// message (`withdrawn`, `expired`). Its draft is named by the hex SHA-256 of its JSON as
    /// stored; the lifecycle makes it again from the level changes before it.
    VersionDrafted {
        warning: u64,
        version: u32,
        hazard: String,
        action: String,
        level: u8,
        made_ms: i64,
        draft_sha256: String,
    },
    /// A warning version was released: its CAP alert, named by identifier and by the hex
    /// SHA-256 of its XML exactly as stored and served.
    AlertReleased {
        warning: u64,
        version: u32,
        hazard: String,
        identifier: String,
        cap_sha256: String,
        /// Who released it as the record shows it (`auto` for automatic release).
        released_by: String,
    },
    /// A notification was queued for a recipient, with one delivery per endpoint (none when it
    /// is held back, and `suppressed` says why). An escalation is one queued for the tier
    /// above, its `reason` naming the tier that did not acknowledge.
    NotificationQueued {
        notification: u64,
        recipient: String,
        warning: u64,
        version: u32,
        hazard: String,
        reason: Reason,
        suppressed: Option<Suppression>,
        needs_ack: bool,
        deliveries: u32,
    },
    /// A notification was acknowledged (the first acknowledgement counts).
    NotificationAcknowledged {
        notification: u64,
        warning: u64,
        version: u32,
        hazard: String,
        /// Who acknowledged it as the record shows it.
        by: Personal,
    },
    /// One attempt to deliver a notification to one endpoint, by the node's dispatcher.
    DeliveryAttempted {
        delivery: u64,
        /// 1 for the first attempt.
        attempt: u32,
        notification: u64,
        hazard: String,
        time_ms: i64,
        /// `delivered` or `failed`.
        outcome: String,
        /// Hex SHA-256 of the failure's text: the text can name an endpoint, which must never
        /// enter a log that is never erased.
        error_sha256: Option<String>,
    },
    /// Notifications matching `matchers` (JSON, as stored) are held back between two times.
    SilenceSet {
        silence: u64,
        matchers: String,
        recipient: Option<String>,
        starts_ms: i64,
        ends_ms: i64,
        /// Who set it and why, as they wrote it (may name people).
        author: Personal,
        reason: Personal,
    },
    /// Reserve stock moved: one posting of the stock ledger (`receipt`, `issue`, `transfer`,
    /// `write_off`), each line an item of a warehouse and its change.
    StockPosted {
        posting: u64,
        movement: String,
        lines: Vec<StockLine>,
        incident: Option<u64>,
        /// The note as written (free text: it may name people).
        note: Personal,
        /// The token that posted it.
        by: String,
    },
    /// Money moved: one balanced posting of the fund ledger (`contribution`, `disbursement`,
    /// `reversal`).
    FundsPosted {
        posting: u64,
        purpose: String,
        lines: Vec<FundLine>,
        incident: Option<u64>,
        reverses: Option<u64>,
        memo: Personal,
        by: String,
        approved_by: Option<String>,
    },
    /// An API token was issued. Its secret never enters the journal; the SHA-256 of the hash
    /// the store keeps of it does, so that a hash swapped in the database is seen.
    TokenIssued {
        token: String,
        name: String,
        role: String,
        scope_region: String,
        domains: Vec<String>,
        stations: Vec<String>,
        hash_sha256: String,
    },
    /// A user account was made (its password only as the SHA-256 of its stored hash).
    UserAdded {
        user: u64,
        username: Personal,
        display_name: Personal,
        role: String,
        scope_region: String,
        domains: Vec<String>,
        password_sha256: String,
    },
    /// A user was disabled, or enabled again; their sessions ended.
    UserDisabled { user: u64, disabled: bool },
    /// A user's password was replaced (the SHA-256 of the new stored hash); their sessions
    /// ended.
    PasswordChanged { user: u64, password_sha256: String },
    /// A user signed in: a session began (its secret never enters the journal).
    SignedIn { user: u64 },
    /// A silence was ended before its time.
    SilenceEnded { silence: u64, by: String },
    /// An entry was added to an incident's timeline.
    IncidentNoted {
        incident: u64,
        /// The id of the stored timeline entry.
        entry: i64,
        hazard: String,
        time_ms: i64,
        /// What happened: `opened`, `note`, `task_done`, `assigned`, …
        note: String,
        /// The entry's text (officers' notes may name people).
        text: Personal,
        by: String,
    },
    /// A recipient of warnings was made or replaced. Its endpoints (addresses and numbers, as
    /// stored JSON) are personal data and enter the leaf sealed.
    RecipientSet {
        recipient: String,
        name: String,
        sector: String,
        /// The unit it serves (a province or a commune); the entry's region is its province.
        area: String,
        tier: String,
        language: String,
        exercises: bool,
        endpoints: Personal,
        exercise_endpoints: Personal,
    },
    /// The minimum stock of an item in a warehouse was set: a balance below it asks for
    /// replenishment.
    StockMinimumSet {
        warehouse: String,
        item: String,
        minimum: u64,
    },
    /// An incident was opened: for a warning, a commune's report or a drill.
    IncidentOpened {
        incident: u64,
        hazard: String,
        /// The commune or province it is about.
        area: String,
        level: u8,
        /// The level of government that runs it (`commune`, `province`, `national`).
        tier: String,
        warning: Option<u64>,
        exercise: bool,
        /// Where it came from (`warning`, `report`, `drill`, …).
        source: String,
        /// Its title as written (free text: it may name people).
        title: Personal,
    },
    /// A resource was booked for an incident's request, by the plan made from the free
    /// resources in the same transaction.
    ResourceBooked {
        incident: u64,
        hazard: String,
        /// The id of the stored assignment.
        assignment: u64,
        request: u64,
        resource: String,
        quantity: u64,
        /// Where it came from: `on_site`, `province`, `neighbour`, `national_reserve`.
        source: String,
    },
    /// A command role of an incident was given to someone.
    IncidentRoleSet {
        incident: u64,
        hazard: String,
        role: String,
        /// Who holds it (a person's name or contact).
        holder: Personal,
    },
    /// An incident was closed with its after-action report (named by the hex SHA-256 of its
    /// JSON as stored).
    IncidentClosed {
        incident: u64,
        hazard: String,
        after_action_sha256: String,
    },
    /// An open incident's level was raised by a later, higher warning for its area.
    IncidentRaised {
        incident: u64,
        hazard: String,
        level: u8,
    },
    /// Open tasks of an incident ended: `done` (one, by an officer) or `closed` (every open
    /// one, when the incident closed or stood down).
    TasksEnded {
        incident: u64,
        hazard: String,
        tasks: Vec<String>,
        status: String,
    },
    /// The resources booked for an incident went back to their holders: these assignments
    /// ended.
    ResourcesReleased {
        incident: u64,
        hazard: String,
        assignments: Vec<u64>,
    },
    /// A fund or a warehouse (`holder`) was made or renamed, held at a tier in its region.
    HolderSet {
        holder: String,
        id: String,
        name: String,
        tier: String,
        /// The unit that holds it (a province or a commune); the entry's region is its province.
        area: String,
    },
    /// Warnings of a hazard up to `max_level` are released without an officer from now on (0:
    /// none are).
    AutoReleaseSet {
        hazard: String,
        max_level: u8,
        by: String,
    },
    /// Another agency's alert feed was subscribed to. Its URL can carry a credential, so it
    /// enters the leaf sealed.
    SubscriptionAdded {
        subscription: u64,
        url: Personal,
        name: String,
        by: String,
    },
    /// A feed subscription was removed.
    SubscriptionRemoved { subscription: u64 },
    /// A response resource was registered or its record replaced (what is booked of it moves
    /// only with bookings and releases). Its position is written as shortest decimal text.
    ResourceSet {
        resource: String,
        name: String,
        category: String,
        /// What sort of resource it is (`boat`, `medical_team`, …).
        sort: String,
        unit: String,
        quantity: u64,
        status: String,
        owner: String,
        commune: Option<String>,
        tier: String,
        lon: String,
        lat: String,
        readiness_minutes: u32,
        skills: Vec<String>,
    },
    /// Another agency's alert was stored (once per sender and identifier), named by the hex
    /// SHA-256 of its bytes as received. Where it was read is left out: a feed's address can
    /// carry a credential.
    ExternalAlertStored {
        alert: u64,
        subscription: u64,
        sender: Option<String>,
        identifier: Option<String>,
        placement: String,
        cap_sha256: String,
    },
    /// The registry of administrative units and their successions was imported whole;
    /// `registry_sha256` is the digest of the registry as stored after it (the store's
    /// `registry_digest`).
    RegistryImported {
        units: u64,
        successions: u64,
        registry_sha256: String,
    },
    /// A reorganisation took effect: the units it made and the units whose validity it ended,
    /// by code, with the registry's digest after it.
    RegionChanged {
        units: Vec<String>,
        retired: Vec<String>,
        registry_sha256: String,
    },
    /// A station was registered or its definition replaced; its whole definition as stored
    /// (position, metrics, attributes) is named by the hex SHA-256 of its JSON.
    StationSet {
        station: String,
        name: String,
        domain: String,
        commune: Option<String>,
        retired: Option<String>,
        definition_sha256: String,
    },
    /// A drill began in an exercise space of its own (`exercises/{drill}` under the data
    /// folder): the scenario it plays, how fast, and how many recipients take part.
    DrillStarted {
        drill: u64,
        scenario: String,
        speed: String,
        participants: u64,
    },
    /// A drill stopped: `finished`, `cancelled` or `failed`, with how many of its expectations
    /// were met and the hex SHA-256 of its report as saved (`report.json`).
    DrillEnded {
        drill: u64,
        status: String,
        expectations_met: Option<u64>,
        expectations: Option<u64>,
        report_sha256: Option<String>,
    },
    /// A drill that no longer ran was deleted with its exercise space.
    DrillRemoved { drill: u64 },
}

impl Change {
    /// The `kind` of a [`Change::LevelChanged`], for consumers that follow level changes.
    pub const LEVEL_CHANGED: &'static str = "level_changed";

    /// Whether this is a change the node keeps outside its database (a drill's exercise space),
    /// journaled on its own rather than with a record.
    pub fn is_kept_outside(&self) -> bool {
        matches!(
            self,
            Change::DrillStarted { .. } | Change::DrillEnded { .. } | Change::DrillRemoved { .. }
        )
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Change::ObservationsStored { .. } => "observations_stored",
            Change::LevelChanged { .. } => Self::LEVEL_CHANGED,
            Change::AlertReleased { .. } => "alert_released",
            Change::NotificationAcknowledged { .. } => "notification_acknowledged",
            Change::IncidentNoted { .. } => "incident_noted",
            Change::DeliveryAttempted { .. } => "delivery_attempted",
            Change::SilenceSet { .. } => "silence_set",
            Change::VersionDrafted { .. } => "version_drafted",
            Change::NotificationQueued { .. } => "notification_queued",
            Change::StockPosted { .. } => "stock_posted",
            Change::FundsPosted { .. } => "funds_posted",
            Change::TokenIssued { .. } => "token_issued",
            Change::UserAdded { .. } => "user_added",
            Change::UserDisabled { .. } => "user_disabled",
            Change::PasswordChanged { .. } => "password_changed",
            Change::SignedIn { .. } => "signed_in",
            Change::SilenceEnded { .. } => "silence_ended",
            Change::RecipientSet { .. } => "recipient_set",
            Change::StockMinimumSet { .. } => "stock_minimum_set",
            Change::IncidentOpened { .. } => "incident_opened",
            Change::ResourceBooked { .. } => "resource_booked",
            Change::IncidentRoleSet { .. } => "incident_role_set",
            Change::IncidentClosed { .. } => "incident_closed",
            Change::IncidentRaised { .. } => "incident_raised",
            Change::TasksEnded { .. } => "tasks_ended",
            Change::ResourcesReleased { .. } => "resources_released",
            Change::HolderSet { .. } => "holder_set",
            Change::AutoReleaseSet { .. } => "auto_release_set",
            Change::SubscriptionAdded { .. } => "subscription_added",
            Change::SubscriptionRemoved { .. } => "subscription_removed",
            Change::ResourceSet { .. } => "resource_set",
            Change::ExternalAlertStored { .. } => "external_alert_stored",
            Change::RegistryImported { .. } => "registry_imported",
            Change::RegionChanged { .. } => "region_changed",
            Change::StationSet { .. } => "station_set",
            Change::DrillStarted { .. } => "drill_started",
            Change::DrillEnded { .. } => "drill_ended",
            Change::DrillRemoved { .. } => "drill_removed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level_change() -> Event {
        Event {
            at_ms: 1_700_000_000_000,
            actor: Actor::Token("t-01".into()),
            region: "04252".into(),
            change: Change::LevelChanged {
                detection: 7,
                station: "SYN-1".into(),
                rule: "heavy_rain_24h".into(),
                hazard: "heavy_rain".into(),
                commune: Some("04252".into()),
                from: 0,
                to: 1,
                time_ms: 1_699_999_000_000,
                value: "120".into(),
                certainty: "observed".into(),
            },
        }
    }

    #[test]
    fn the_leaf_is_the_documented_bytes_and_reads_back() {
        let event = level_change();
        let leaf = event.leaf();
        assert_eq!(
            std::str::from_utf8(&leaf[1..]).unwrap(),
            r#"{"at_ms":1700000000000,"actor":{"by":"token","id":"t-01"},"region":"04252","change":{"kind":"level_changed","detection":7,"station":"SYN-1","rule":"heavy_rain_24h","hazard":"heavy_rain","commune":"04252","from":0,"to":1,"time_ms":1699999000000,"value":"120","certainty":"observed"}}"#
        );
        assert_eq!(leaf[0], LEAF_VERSION);
        assert_eq!(Event::from_leaf(&leaf).unwrap(), event);
        assert!(Event::from_leaf(&[2, b'{', b'}']).is_err());
        assert!(Event::from_leaf(&[]).is_err());
    }

    #[test]
    fn personal_values_enter_the_leaf_only_as_a_salted_digest() {
        let by = Personal::seal("Nguyễn Văn A 0912345678", [7; 16]);
        let event = Event {
            change: Change::NotificationAcknowledged {
                notification: 9,
                warning: 3,
                version: 2,
                hazard: "heavy_rain".into(),
                by: by.clone(),
            },
            ..level_change()
        };
        let leaf = String::from_utf8(event.leaf()[1..].to_vec()).unwrap();
        assert!(
            !leaf.contains("0912345678") && !leaf.contains("Nguy"),
            "{leaf}"
        );
        assert!(leaf.contains(&by.sha256));
        let kept = by.kept.clone().unwrap();
        assert!(by.matches(&kept));
        let guessed = Kept {
            value: "Nguyễn Văn B 0912345678".into(),
            ..kept
        };
        assert!(!by.matches(&guessed));
        assert_ne!(
            Personal::seal("x", [1; 16]).sha256,
            Personal::seal("x", [2; 16]).sha256
        );
        assert_eq!(event.personal(), [&by]);
    }
}
