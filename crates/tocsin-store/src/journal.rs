//! SQL of the journal: every change's [`Event`] appended, in the transaction of the change, as
//! the next leaf of an RFC 9162 Merkle tree (migration 12).
//!
//! `journal` holds one row per entry, its index gap-free from 0, with the leaf bytes and their
//! leaf hash; `journal_nodes` the hash of every perfect subtree an append completed (level 1
//! and up), so a root or a proof for any size reads O(log n) rows; `journal_personal` the
//! personal values and salts beside their leaves (the only journal rows that may be deleted:
//! erasure); `checkpoints` the signed tree heads; `journal_cursors` how far each consumer has
//! read. Triggers refuse to update or delete entries, nodes and checkpoints.

use crate::{Detection, Result, StoreError};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use tocsin_core::change::{Actor, Change, Event, Kept, Personal};
use tocsin_journal::merkle::{self, Hash, Subtrees};

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

/// The event of a stored level change.
pub(crate) fn level_changed(d: &Detection, id: i64, at_ms: i64, actor: &Actor) -> Event {
    Event {
        at_ms,
        actor: actor.clone(),
        region: d.province.clone().unwrap_or_else(|| NATION.into()),
        change: Change::LevelChanged {
            detection: id,
            station: d.station.clone(),
            rule: d.rule.clone(),
            hazard: d.hazard.clone(),
            commune: d.commune.clone(),
            from: d.from_level,
            to: d.to_level,
            time_ms: d.time_ms,
            value: d.value.to_string(),
            certainty: d.certainty.clone(),
        },
    }
}

/// Seals a personal value with a fresh random salt.
pub(crate) fn seal(value: &str) -> Result<Personal> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| StoreError::Corrupt(format!("no random salt for a personal value: {e}")))?;
    Ok(Personal::seal(value, salt))
}

/// The event of a released version, `publication` as stored.
pub(crate) fn alert_released(
    warning: &crate::WarningRecord,
    number: u32,
    publication: &crate::Publication,
    actor: &Actor,
) -> Event {
    Event {
        at_ms: publication.released_ms,
        actor: actor.clone(),
        region: warning.province.clone(),
        change: Change::AlertReleased {
            warning: warning.id,
            version: number,
            hazard: warning.hazard.clone(),
            identifier: publication.identifier.clone(),
            cap_sha256: tocsin_core::change::sha256_hex(publication.cap_xml.as_bytes()),
            released_by: publication.released_by.clone(),
        },
    }
}

/// The event of a version the lifecycle made, `version` as stored.
pub(crate) fn version_drafted(version: &crate::VersionRecord, actor: &Actor) -> Event {
    Event {
        at_ms: version.made_ms,
        actor: actor.clone(),
        region: version.province.clone(),
        change: Change::VersionDrafted {
            warning: version.warning,
            version: version.number,
            hazard: version.hazard.clone(),
            action: version.action.clone(),
            level: version.level,
            made_ms: version.made_ms,
            draft_sha256: tocsin_core::change::sha256_hex(version.draft.as_bytes()),
        },
    }
}

/// The event of notification `id`, just stored as `n` with `deliveries` deliveries (its
/// acknowledgement secret and the endpoints' credentials never enter it).
pub(crate) fn notification_queued(
    tx: &Transaction,
    (id, deliveries): (u64, u32),
    n: &crate::NewNotification,
) -> Result<Event> {
    Ok(Event {
        at_ms: n.created_ms,
        actor: Actor::Node,
        region: n.province.clone(),
        change: Change::NotificationQueued {
            notification: id,
            recipient: n.recipient.clone(),
            warning: n.warning,
            version: n.version,
            hazard: warning_hazard(tx, n.warning)?,
            reason: n.reason.clone(),
            suppressed: n.suppressed.clone(),
            needs_ack: n.needs_ack,
            deliveries,
        },
    })
}

/// The hazard of a warning, from its versions (empty when it has none).
fn warning_hazard(tx: &Transaction, warning: u64) -> Result<String> {
    let hazard: Option<String> = tx
        .query_row(
            "SELECT hazard FROM warning_versions WHERE warning = ?1 LIMIT 1",
            [warning as i64],
            |r| r.get(0),
        )
        .optional()?;
    Ok(hazard.unwrap_or_default())
}

/// The event of a token just stored.
pub(crate) fn token_issued(token: &crate::TokenRecord, actor: &Actor) -> Event {
    Event {
        at_ms: token.created_ms,
        actor: actor.clone(),
        region: NATION.into(),
        change: Change::TokenIssued {
            token: token.id.clone(),
            name: token.name.clone(),
            role: token.role.as_str().to_string(),
            scope_region: token.scope_region.clone(),
            domains: token
                .domains
                .iter()
                .map(|d| d.as_str().to_string())
                .collect(),
            stations: token.stations.clone(),
            hash_sha256: tocsin_core::change::sha256_hex(token.hash.as_bytes()),
        },
    }
}

/// The event of user `id`, just stored as `user`.
pub(crate) fn user_added(id: u64, user: &crate::UserRecord, actor: &Actor) -> Result<Event> {
    Ok(Event {
        at_ms: user.created_ms,
        actor: actor.clone(),
        region: NATION.into(),
        change: Change::UserAdded {
            user: id,
            username: seal(&user.username)?,
            display_name: seal(&user.display_name)?,
            role: user.role.as_str().to_string(),
            scope_region: user.scope_region.clone(),
            domains: user
                .domains
                .iter()
                .map(|d| d.as_str().to_string())
                .collect(),
            password_sha256: tocsin_core::change::sha256_hex(user.password_hash.as_bytes()),
        },
    })
}

/// A change that belongs to the whole node (accounts, silences), as `actor`'s.
pub(crate) fn node_event(at_ms: i64, change: Change, actor: &Actor) -> Event {
    Event {
        at_ms,
        actor: actor.clone(),
        region: NATION.into(),
        change,
    }
}

/// The event of stock posting `id`, just stored as `posting`.
pub(crate) fn stock_posted(
    id: u64,
    posting: &crate::StockPosting,
    region: &str,
    actor: &Actor,
) -> Result<Event> {
    Ok(Event {
        at_ms: posting.time_ms,
        actor: actor.clone(),
        region: region.to_string(),
        change: Change::StockPosted {
            posting: id,
            movement: posting.kind.clone(),
            lines: posting.lines.clone(),
            incident: posting.incident,
            note: seal(&posting.note)?,
            by: posting.by.clone(),
        },
    })
}

/// The event of fund posting `id`, just stored as `posting`.
pub(crate) fn funds_posted(
    id: u64,
    posting: &crate::FundPosting,
    region: &str,
    actor: &Actor,
) -> Result<Event> {
    Ok(Event {
        at_ms: posting.time_ms,
        actor: actor.clone(),
        region: region.to_string(),
        change: Change::FundsPosted {
            posting: id,
            purpose: posting.kind.clone(),
            lines: posting.lines.clone(),
            incident: posting.incident,
            reverses: posting.reverses,
            memo: seal(&posting.memo)?,
            by: posting.by.clone(),
            approved_by: posting.approved_by.clone(),
        },
    })
}

/// The first acknowledgement of notification `id`, made just now by `actor` (`None`: its
/// recipient, through the link in its message).
pub(crate) fn acknowledged(
    tx: &Transaction,
    id: i64,
    by: &str,
    at_ms: i64,
    actor: Option<&Actor>,
) -> Result<Event> {
    let (warning, version, province, hazard, recipient): (i64, u32, String, Option<String>, String) =
        tx.query_row(
            "SELECT n.warning, n.version, n.province, \
             (SELECT v.hazard FROM warning_versions v WHERE v.warning = n.warning LIMIT 1), n.recipient \
             FROM notifications n WHERE n.id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
    Ok(Event {
        at_ms,
        actor: actor.cloned().unwrap_or(Actor::Recipient(recipient)),
        region: province,
        change: Change::NotificationAcknowledged {
            notification: id as u64,
            warning: warning as u64,
            version,
            hazard: hazard.unwrap_or_default(),
            by: seal(by)?,
        },
    })
}

/// The event of attempt `attempt` of `delivery`, just recorded.
pub(crate) fn delivery_attempted(
    tx: &Transaction,
    delivery: u64,
    attempt: u32,
    time_ms: i64,
    outcome: &str,
    error: Option<&String>,
) -> Result<Event> {
    let (notification, province, hazard): (i64, String, Option<String>) = tx.query_row(
        "SELECT n.id, n.province, \
         (SELECT v.hazard FROM warning_versions v WHERE v.warning = n.warning LIMIT 1) \
         FROM deliveries d JOIN notifications n ON n.id = d.notification WHERE d.id = ?1",
        [delivery as i64],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    Ok(Event {
        at_ms: time_ms,
        actor: Actor::Node,
        region: province,
        change: Change::DeliveryAttempted {
            delivery,
            attempt,
            notification: notification as u64,
            hazard: hazard.unwrap_or_default(),
            time_ms,
            outcome: outcome.to_string(),
            error_sha256: error.map(|e| tocsin_core::change::sha256_hex(e.as_bytes())),
        },
    })
}

/// The event of silence `id`, just stored as `s`.
pub(crate) fn silence_set(id: u64, s: &crate::SilenceRecord, actor: &Actor) -> Result<Event> {
    let change = Change::SilenceSet {
        silence: id,
        matchers: s.matchers.clone(),
        recipient: s.recipient.clone(),
        starts_ms: s.starts_ms,
        ends_ms: s.ends_ms,
        author: seal(&s.author)?,
        reason: seal(&s.reason)?,
    };
    Ok(node_event(s.created_ms, change, actor))
}

/// The newest timeline entry's id (0 when there is none).
pub(crate) fn last_timeline_entry(tx: &Transaction) -> Result<i64> {
    Ok(tx.query_row(
        "SELECT coalesce(max(id), 0) FROM incident_timeline",
        [],
        |r| r.get(0),
    )?)
}

/// The events of the timeline entries added after entry `after`: every write that adds to an
/// incident's timeline journals each entry it added, whichever step of it added them.
pub(crate) fn timeline_noted(tx: &Transaction, after: i64, actor: &Actor) -> Result<Vec<Event>> {
    let mut stmt = tx.prepare_cached(
        "SELECT t.id, t.incident, t.time_ms, t.kind, t.text, t.by, i.province, i.hazard \
         FROM incident_timeline t JOIN incidents i ON i.id = t.incident WHERE t.id > ?1 ORDER BY t.id",
    )?;
    let rows = stmt.query_map([after], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, String>(7)?,
        ))
    })?;
    let mut events = Vec::new();
    for row in rows {
        let (entry, incident, time_ms, note, text, by, province, hazard) = row?;
        events.push(Event {
            at_ms: time_ms,
            actor: actor.clone(),
            region: province,
            change: Change::IncidentNoted {
                incident: incident as u64,
                entry,
                hazard,
                time_ms,
                note,
                text: seal(&text)?,
                by,
            },
        });
    }
    Ok(events)
}

/// Appends `events` after entry `next - 1`; returns the index after the last one.
pub(crate) fn append(tx: &Transaction, next: u64, events: &[Event]) -> Result<u64> {
    let mut index = next;
    for event in events {
        let leaf = event.leaf();
        let hash = merkle::leaf_hash(&leaf);
        tx.prepare_cached(
            "INSERT INTO journal (idx, at_ms, kind, region, hazard, leaf, leaf_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            index as i64,
            event.at_ms,
            event.change.kind(),
            event.region,
            event.hazard(),
            leaf,
            hash.as_slice()
        ])?;
        for (position, personal) in event.personal().into_iter().enumerate() {
            let Some(kept) = &personal.kept else { continue };
            tx.prepare_cached(
                "INSERT INTO journal_personal (entry, position, value, salt) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                index as i64,
                position as i64,
                kept.value,
                kept.salt.as_slice()
            ])?;
        }
        let source = Stored(tx);
        for node in merkle::completed_by_append(&source, index, hash)? {
            tx.prepare_cached("INSERT INTO journal_nodes (level, idx, hash) VALUES (?1, ?2, ?3)")?
                .execute(params![node.level, node.index as i64, node.hash.as_slice()])?;
        }
        index += 1;
    }
    Ok(index)
}

/// The number of entries (the index the next one gets).
pub(crate) fn size(conn: &Connection) -> Result<u64> {
    let next: i64 = conn.query_row("SELECT coalesce(max(idx) + 1, 0) FROM journal", [], |r| {
        r.get(0)
    })?;
    Ok(next as u64)
}

/// Entries from index `from` on, at most `limit`, in index order.
pub(crate) fn entries(conn: &Connection, from: u64, limit: usize) -> Result<Vec<JournalEntry>> {
    select_entries(
        conn,
        "SELECT idx, at_ms, kind, region, leaf, leaf_hash FROM journal WHERE idx >= ?1 ORDER BY idx LIMIT ?2",
        &[&(from as i64), &(limit as i64)],
    )
}

/// What a consumer read: the entries of the kinds it follows, and where its next read starts.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalRead {
    pub entries: Vec<JournalEntry>,
    /// The index to read from next; every entry before it of the kinds asked for is in
    /// `entries` (or was in an earlier read).
    pub next: u64,
}

/// The entries of `kinds` from index `from` on, at most `limit`, read in one snapshot.
pub(crate) fn read_kinds(
    conn: &Connection,
    from: u64,
    kinds: &[&str],
    limit: usize,
) -> Result<JournalRead> {
    let snapshot = conn.unchecked_transaction()?;
    let end = size(&snapshot)?;
    let placeholders = vec!["?"; kinds.len()].join(", ");
    let sql = format!(
        "SELECT idx, at_ms, kind, region, leaf, leaf_hash FROM journal \
         WHERE idx >= ? AND idx < ? AND kind IN ({placeholders}) ORDER BY idx LIMIT ?"
    );
    let (from, end_param, limit_param) = (from as i64, end as i64, limit as i64);
    let mut bound: Vec<&dyn rusqlite::ToSql> = vec![&from, &end_param];
    bound.extend(kinds.iter().map(|k| k as &dyn rusqlite::ToSql));
    bound.push(&limit_param);
    let entries = select_entries(&snapshot, &sql, &bound)?;
    Ok(JournalRead {
        next: next_after(&entries, limit, end, from as u64),
        entries,
    })
}

/// The entries of `filter`'s part of the node from index `from` on, at most `limit`, read in
/// one snapshot: a province's own entries (never the node-wide ones), those of its domains'
/// hazards (and those of no hazard); everything for the nation; nothing for a commune, whose
/// scope no entry names. Changes to accounts and tokens only `with_accounts`.
pub(crate) fn read_in(
    conn: &Connection,
    filter: &crate::RegionFilter,
    (from, limit): (u64, usize),
    with_accounts: bool,
) -> Result<JournalRead> {
    let snapshot = conn.unchecked_transaction()?;
    let end = size(&snapshot)?;
    let region = match &filter.root {
        crate::FilterRoot::Nation => None,
        crate::FilterRoot::Province(province) => Some(province.as_str()),
        crate::FilterRoot::Commune { .. } => {
            return Ok(JournalRead {
                entries: Vec::new(),
                next: end.max(from),
            });
        }
    };
    let hazards = crate::scope::hazards(filter, "hazard", 7);
    let sql = format!(
        "SELECT idx, at_ms, kind, region, leaf, leaf_hash FROM journal \
         WHERE idx >= ?1 AND idx < ?2 AND (?3 IS NULL OR region = ?3) \
         AND (hazard IS NULL OR {}) \
         AND (?5 OR kind NOT IN (SELECT value FROM json_each(?6))) ORDER BY idx LIMIT ?4",
        hazards.sql
    );
    let (from_param, end_param, limit_param) = (from as i64, end as i64, limit as i64);
    let account_kinds = serde_json::to_string(&Change::ACCOUNT_KINDS)
        .map_err(|e| StoreError::Corrupt(format!("account kinds: {e}")))?;
    let entries = select_entries(
        &snapshot,
        &sql,
        &hazards.after(&[
            &from_param,
            &end_param,
            &region,
            &limit_param,
            &with_accounts,
            &account_kinds,
        ]),
    )?;
    Ok(JournalRead {
        next: next_after(&entries, limit, end, from),
        entries,
    })
}

/// Where a read that returned `entries` of at most `limit`, in a journal of `end` entries,
/// goes on: after its last entry when it is full, else at the end.
fn next_after(entries: &[JournalEntry], limit: usize, end: u64, from: u64) -> u64 {
    match entries.last() {
        Some(last) if entries.len() == limit => last.index + 1,
        _ => end.max(from),
    }
}

fn select_entries(
    conn: &Connection,
    sql: &str,
    bound: &[&dyn rusqlite::ToSql],
) -> Result<Vec<JournalEntry>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(bound, |r| {
        Ok(JournalEntry {
            index: r.get::<_, i64>(0)? as u64,
            at_ms: r.get(1)?,
            kind: r.get(2)?,
            region: r.get(3)?,
            leaf: r.get(4)?,
            leaf_hash: r.get(5)?,
            personal: Vec::new(),
        })
    })?;
    let mut found = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    for entry in &mut found {
        entry.personal = personal_of(conn, entry)?;
    }
    Ok(found)
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

/// Every record the journal names (see [`JournaledRecords`]).
pub(crate) fn journaled_records(conn: &Connection) -> Result<JournaledRecords> {
    let start = |record: &str| -> Result<i64> {
        Ok(conn.query_row(
            "SELECT first_id FROM journal_start WHERE record = ?1",
            [record],
            |r| r.get(0),
        )?)
    };
    let sql = format!(
        "SELECT {}, d.id FROM detections d WHERE d.id >= ?1 ORDER BY d.id",
        crate::sqlite::DETECTION_COLUMNS
    );
    let mut stmt = conn.prepare(&sql)?;
    let detections = stmt
        .query_map([start("detections")?], |r| {
            Ok((r.get::<_, i64>(14)?, crate::sqlite::detection_from_row(r)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare(
        "SELECT warning, number, identifier, cap_xml, released_by, rowid >= ?1 FROM warning_versions \
         WHERE state = 'published' ORDER BY warning, number",
    )?;
    let alerts = stmt
        .query_map([start("warning_versions")?], |r| {
            Ok(ReleasedAlert {
                warning: r.get::<_, i64>(0)? as u64,
                version: r.get(1)?,
                identifier: r.get(2)?,
                cap_xml: r.get(3)?,
                released_by: r.get(4)?,
                checked: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare(
        "SELECT id, acked_by, id >= ?1 FROM notifications WHERE acked_ms IS NOT NULL ORDER BY id",
    )?;
    let acknowledgements = stmt
        .query_map([start("notifications")?], |r| {
            Ok(Acknowledgement {
                notification: r.get::<_, i64>(0)? as u64,
                acked_by: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                checked: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare(
        "SELECT id, incident, time_ms, kind, text, by, id >= ?1 FROM incident_timeline ORDER BY id",
    )?;
    let timeline = stmt
        .query_map([start("incident_timeline")?], |r| {
            Ok(TimelineRow {
                id: r.get(0)?,
                incident: r.get::<_, i64>(1)? as u64,
                time_ms: r.get(2)?,
                kind: r.get(3)?,
                text: r.get(4)?,
                by: r.get(5)?,
                checked: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare(
        "SELECT delivery, attempt, time_ms, outcome, error, rowid >= ?1 FROM delivery_attempts \
         ORDER BY delivery, attempt",
    )?;
    let attempts = stmt
        .query_map([start("delivery_attempts")?], |r| {
            Ok(AttemptRow {
                delivery: r.get::<_, i64>(0)? as u64,
                attempt: r.get(1)?,
                time_ms: r.get(2)?,
                outcome: r.get(3)?,
                error: r.get(4)?,
                checked: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let first_silence = start("silences")?;
    let silences = crate::dispatch::silences(conn)?
        .into_iter()
        .map(|s| {
            let checked = s.id as i64 >= first_silence;
            (s, checked)
        })
        .collect();
    let versions = crate::warnings::versions_since(conn, start("version_drafts")?)?;
    let notifications = crate::dispatch::notifications_since(conn, start("notification_queue")?)?;
    let first_stock = start("stock_postings")?;
    let stock = crate::response::stock_postings(conn)?
        .into_iter()
        .map(|(id, posting)| (id, posting, id as i64 >= first_stock))
        .collect();
    let first_funds = start("fund_postings")?;
    let funds = crate::response::fund_postings(conn, 0)?
        .into_iter()
        .map(|(id, posting)| (id, posting, id as i64 >= first_funds))
        .collect();
    let tokens = crate::sqlite::tokens_since(conn, start("tokens")?)?;
    let first_user = start("users")?;
    let users = crate::accounts::users(conn)?
        .into_iter()
        .map(|user| {
            let checked = user.id as i64 >= first_user;
            (user, checked)
        })
        .collect();
    Ok(JournaledRecords {
        detections,
        alerts,
        acknowledgements,
        timeline,
        attempts,
        silences,
        versions,
        notifications,
        stock,
        funds,
        tokens,
        users,
    })
}

/// Where `consumer` reads next (0 before its first read).
pub(crate) fn cursor(conn: &Connection, consumer: &str) -> Result<u64> {
    let next: Option<i64> = conn
        .query_row(
            "SELECT next FROM journal_cursors WHERE consumer = ?1",
            [consumer],
            |r| r.get(0),
        )
        .optional()?;
    Ok(next.unwrap_or(0) as u64)
}

/// Moves `consumer`'s cursor to `next`, in the transaction of what it did with its read.
pub(crate) fn advance(tx: &Transaction, consumer: &str, next: u64) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO journal_cursors (consumer, next) VALUES (?1, ?2) \
         ON CONFLICT (consumer) DO UPDATE SET next = excluded.next",
    )?
    .execute(params![consumer, next as i64])?;
    Ok(())
}

fn personal_of(conn: &Connection, entry: &JournalEntry) -> Result<Vec<(usize, Kept)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT position, value, salt FROM journal_personal WHERE entry = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map([entry.index as i64], |r| {
        Ok((
            r.get::<_, i64>(0)? as usize,
            r.get::<_, String>(1)?,
            r.get::<_, Vec<u8>>(2)?,
        ))
    })?;
    let mut kept = Vec::new();
    for row in rows {
        let (position, value, salt) = row?;
        let salt: [u8; 16] = salt.try_into().map_err(|_| {
            StoreError::Corrupt(format!(
                "journal entry {}: a salt is not 16 bytes",
                entry.index
            ))
        })?;
        kept.push((position, Kept { value, salt }));
    }
    Ok(kept)
}

/// The hash of a perfect subtree of the stored tree.
pub(crate) fn perfect(conn: &Connection, level: u32, index: u64) -> Result<Hash> {
    Stored(conn).perfect(level, index)
}

pub(crate) fn insert_checkpoint(tx: &Transaction, checkpoint: &CheckpointRecord) -> Result<()> {
    tx.prepare_cached("INSERT OR IGNORE INTO checkpoints (size, at_ms, note) VALUES (?1, ?2, ?3)")?
        .execute(params![
            checkpoint.size as i64,
            checkpoint.at_ms,
            checkpoint.note
        ])?;
    Ok(())
}

/// Every checkpoint, oldest first.
pub(crate) fn checkpoints(conn: &Connection) -> Result<Vec<CheckpointRecord>> {
    let mut stmt =
        conn.prepare_cached("SELECT size, at_ms, note FROM checkpoints ORDER BY size")?;
    let rows = stmt.query_map([], |r| {
        Ok(CheckpointRecord {
            size: r.get::<_, i64>(0)? as u64,
            at_ms: r.get(1)?,
            note: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The newest checkpoint.
pub(crate) fn latest_checkpoint(conn: &Connection) -> Result<Option<CheckpointRecord>> {
    let found = conn.query_row(
        "SELECT size, at_ms, note FROM checkpoints ORDER BY size DESC LIMIT 1",
        [],
        |r| {
            Ok(CheckpointRecord {
                size: r.get::<_, i64>(0)? as u64,
                at_ms: r.get(1)?,
                note: r.get(2)?,
            })
        },
    );
    Ok(found.optional()?)
}

/// The stored tree, through its leaf hashes and completed perfect subtrees.
struct Stored<'c>(&'c Connection);

impl Subtrees for Stored<'_> {
    type Error = StoreError;

    fn perfect(&self, level: u32, index: u64) -> Result<Hash> {
        let hash: Option<Vec<u8>> = if level == 0 {
            self.0
                .prepare_cached("SELECT leaf_hash FROM journal WHERE idx = ?1")?
                .query_row([index as i64], |r| r.get(0))
                .optional()?
        } else {
            self.0
                .prepare_cached("SELECT hash FROM journal_nodes WHERE level = ?1 AND idx = ?2")?
                .query_row(params![level, index as i64], |r| r.get(0))
                .optional()?
        };
        let hash = hash.ok_or_else(|| {
            StoreError::Corrupt(format!(
                "journal: the subtree at level {level}, index {index} is missing"
            ))
        })?;
        hash.try_into().map_err(|_| {
            StoreError::Corrupt(format!(
                "journal: the subtree at level {level}, index {index} is not 32 bytes"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traits::*;
    use crate::{Durability, SqliteStore};
    use tocsin_journal::merkle::{MemoryTree, inclusion_proof, root, verify_inclusion};

    fn detection(station: &str, to_level: u8, time_ms: i64) -> Detection {
        Detection {
            station: station.into(),
            rule: "heavy_rain_24h".into(),
            hazard: "heavy_rain".into(),
            commune: Some("04252".into()),
            province: Some("15".into()),
            from_level: 0,
            to_level,
            time_ms,
            value: 120.5,
            status: "verified".into(),
            certainty: "observed".into(),
            lead: None,
        }
    }

    /// The store's journal seen as a tree.
    struct Tree<'s>(&'s SqliteStore);

    impl Subtrees for Tree<'_> {
        type Error = StoreError;
        fn perfect(&self, level: u32, index: u64) -> Result<Hash> {
            self.0.journal_subtree(level, index)
        }
    }

    #[test]
    fn a_consumer_reads_its_kinds_in_order_and_its_cursor_moves_with_what_it_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("db"), Durability::Full).unwrap();
        let stored = |first_seq| Event {
            at_ms: 0,
            actor: Actor::Node,
            region: NATION.into(),
            change: Change::ObservationsStored {
                first_seq,
                stored: 1,
                duplicates: 0,
            },
        };
        let level = |i| level_changed(&detection(&format!("S{i}"), 1, i), i, 0, &Actor::Node);
        let events = vec![stored(1), level(1), stored(2), level(3), level(4)];
        store
            .write_recorded(|_, _, journaled| {
                journaled.extend(events);
                Ok(())
            })
            .unwrap();
        let indexes = |read: &JournalRead| -> (Vec<u64>, u64) {
            (read.entries.iter().map(|e| e.index).collect(), read.next)
        };
        let levels = [Change::LEVEL_CHANGED];
        let read = store.journal_read(0, &levels, 2).unwrap();
        assert_eq!(
            indexes(&read),
            (vec![1, 3], 4),
            "a full read stops after its last"
        );
        let read = store.journal_read(4, &levels, 2).unwrap();
        assert_eq!(indexes(&read), (vec![4], 5));
        let read = store.journal_read(5, &levels, 2).unwrap();
        assert_eq!(indexes(&read), (vec![], 5));
        let read = store.journal_read(0, &["observations_stored"], 10).unwrap();
        assert_eq!(
            indexes(&read),
            (vec![0, 2], 5),
            "a short read ends at the end"
        );

        assert_eq!(store.journal_cursor("warnings").unwrap(), 0);
        store.record_consumed_warnings(&[], "warnings", 4).unwrap();
        assert_eq!(store.journal_cursor("warnings").unwrap(), 4);
        assert_eq!(store.journal_cursor("federation").unwrap(), 0);
    }

    #[test]
    fn a_scoped_read_returns_only_the_province_s_entries_of_its_domains() {
        use crate::{FilterRoot, RegionFilter};
        use tocsin_core::station::Domain;
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("db"), Durability::Full).unwrap();
        let at = |province: &str, hazard: &str| {
            let mut d = detection("S", 1, 0);
            d.province = Some(province.into());
            d.hazard = hazard.into();
            level_changed(&d, 1, 0, &Actor::Node)
        };
        let national = Event {
            region: NATION.into(),
            ..at("01", "heavy_rain")
        };
        let events = vec![
            at("01", "heavy_rain"),
            at("79", "heavy_rain"),
            national,
            at("01", "dengue"),
        ];
        store
            .write_recorded(|_, _, journaled| {
                journaled.extend(events);
                Ok(())
            })
            .unwrap();
        let read = |root: FilterRoot, domains: Vec<Domain>| {
            let filter = RegionFilter { root, domains };
            let read = store.journal_read_in(&filter, 0, 10, true).unwrap();
            let indexes: Vec<u64> = read.entries.iter().map(|e| e.index).collect();
            (indexes, read.next)
        };
        assert_eq!(read(FilterRoot::Nation, vec![]), (vec![0, 1, 2, 3], 4));
        let hanoi = || FilterRoot::Province("01".into());
        assert_eq!(read(hanoi(), vec![]), (vec![0, 3], 4));
        assert_eq!(read(hanoi(), vec![Domain::Hydromet]), (vec![0], 4));
        let commune = FilterRoot::Commune {
            commune: "00004".into(),
            province: "01".into(),
        };
        assert_eq!(read(commune, vec![]), (vec![], 4));
        let filter = RegionFilter {
            root: hanoi(),
            domains: vec![],
        };
        let first = store.journal_read_in(&filter, 0, 1, true).unwrap();
        assert_eq!(first.next, 1, "a full page goes on after its last entry");
    }

    #[test]
    fn each_stored_level_change_is_a_leaf_of_the_tree_and_a_repeat_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("db"), Durability::Full).unwrap();
        let changes: Vec<Detection> = (0..37).map(|i| detection(&format!("S{i}"), 1, i)).collect();
        store.record_detections(&changes[..20], 1000).unwrap();
        store.record_detections(&changes, 2000).unwrap();
        assert_eq!(
            store.journal_size().unwrap(),
            37,
            "the 20 repeated are not journaled again"
        );
        let entries = store.journal_entries(0, 100).unwrap();
        let mut model = MemoryTree::new();
        for (i, entry) in entries.iter().enumerate() {
            assert_eq!(entry.index, i as u64);
            model.push(&entry.leaf);
            let Change::LevelChanged { station, value, .. } = entry.event().unwrap().change else {
                panic!("{entry:?}");
            };
            assert_eq!((station, value.as_str()), (format!("S{i}"), "120.5"));
            assert_eq!(entry.region, "15");
        }
        let tree = Tree(&store);
        for size in [1, 2, 3, 20, 32, 37] {
            assert_eq!(
                root(&tree, size).unwrap(),
                root(&model, size).unwrap(),
                "{size}"
            );
        }
        let stored_root = root(&tree, 37).unwrap();
        let proof = inclusion_proof(&tree, 25, 37).unwrap();
        let leaf = merkle::leaf_hash(&entries[25].leaf);
        verify_inclusion(&leaf, 25, 37, &proof, &stored_root).unwrap();
    }

    #[test]
    fn the_database_refuses_to_change_or_delete_an_entry_node_or_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let store = SqliteStore::open(&path, Durability::Full).unwrap();
        let changes: Vec<Detection> = (0..4).map(|i| detection("S", i + 1, i.into())).collect();
        store.record_detections(&changes, 1000).unwrap();
        store
            .insert_checkpoint(&CheckpointRecord {
                size: 4,
                at_ms: 1000,
                note: "note".into(),
            })
            .unwrap();
        drop(store);
        let conn = Connection::open(&path).unwrap();
        for sql in [
            "UPDATE journal SET region = '01' WHERE idx = 1",
            "DELETE FROM journal WHERE idx = 3",
            "UPDATE journal_nodes SET hash = zeroblob(32)",
            "DELETE FROM journal_nodes",
            "UPDATE checkpoints SET note = 'forged'",
            "DELETE FROM checkpoints",
        ] {
            let refused = conn.execute(sql, []).unwrap_err();
            assert!(refused.to_string().contains("never"), "{sql}: {refused}");
        }
    }
}
