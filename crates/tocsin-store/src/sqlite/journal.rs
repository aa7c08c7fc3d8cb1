//! The journal in SQLite: every change's [`Event`] appended, in the transaction of the change, as
//! the next leaf of an RFC 9162 Merkle tree (migration 12).
//!
//! `journal` holds one row per entry, its index gap-free from 0, with the leaf bytes and their
//! leaf hash; `journal_nodes` the hash of every perfect subtree an append completed (level 1
//! and up), so a root or a proof for any size reads O(log n) rows; `journal_personal` the
//! personal values and salts beside their leaves (the only journal rows that may be deleted:
//! erasure); `checkpoints` the signed tree heads; `journal_cursors` how far each consumer has
//! read. Triggers refuse to update or delete entries, nodes and checkpoints.

use super::*;
use crate::{Result, StoreError};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use tocsin_core::change::{Actor, Change, Event, Kept};
use tocsin_journal::merkle::{self, Hash, Subtrees};

impl JournalStore for SqliteStore {
    fn journal_size(&self) -> Result<u64> {
        self.read(size)
    }

    fn journal_entries(&self, from: u64, limit: usize) -> Result<Vec<JournalEntry>> {
        self.read(|conn| entries(conn, from, limit))
    }

    fn journal_read(&self, from: u64, kinds: &[&str], limit: usize) -> Result<JournalRead> {
        self.read(|conn| read_kinds(conn, from, kinds, limit))
    }

    fn journal_outside(&self, event: &Event) -> Result<()> {
        if !event.change.is_kept_outside() {
            return Err(StoreError::Conflict(format!(
                "journal: a {} is journaled with its record, not on its own",
                event.change.kind()
            )));
        }
        self.write_recorded(|_, _, events| {
            events.push(event.clone());
            Ok(())
        })
    }

    fn journal_content(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT bytes FROM journal_content WHERE sha256 = ?1")?
                .query_row([sha256], |r| r.get(0))
                .optional()?)
        })
    }

    fn content_kept_from(&self) -> Result<u64> {
        self.read(|conn| {
            let first: i64 = conn.query_row(
                "SELECT first_id FROM journal_start WHERE record = 'journal_content'",
                [],
                |r| r.get(0),
            )?;
            Ok(first as u64)
        })
    }

    fn journal_cursor(&self, consumer: &str) -> Result<u64> {
        self.read(|conn| cursor(conn, consumer))
    }

    fn journal_read_in(
        &self,
        filter: &RegionFilter,
        from: u64,
        limit: usize,
        hidden: &[&str],
    ) -> Result<JournalRead> {
        self.read(|conn| read_in(conn, filter, (from, limit), hidden))
    }

    fn journaled_records(&self) -> Result<JournaledRecords> {
        self.read(super::journaled::journaled_records)
    }

    fn journal_subtree(&self, level: u32, index: u64) -> Result<[u8; 32]> {
        self.read(|conn| perfect(conn, level, index))
    }

    fn insert_checkpoint(&self, checkpoint: &CheckpointRecord) -> Result<()> {
        self.write(|tx, _| insert_checkpoint(tx, checkpoint))
    }

    fn checkpoints(&self) -> Result<Vec<CheckpointRecord>> {
        self.read(checkpoints)
    }

    fn latest_checkpoint(&self) -> Result<Option<CheckpointRecord>> {
        self.read(latest_checkpoint)
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
            by: crate::events::seal(by)?,
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

/// The newest incident, assignment and timeline entry before a write: what it adds is after them.
pub(crate) struct IncidentMarks {
    incident: i64,
    assignment: i64,
    timeline: i64,
}

impl IncidentMarks {
    pub(crate) fn read(tx: &Transaction) -> Result<IncidentMarks> {
        Ok(tx.query_row(
            "SELECT (SELECT coalesce(max(id), 0) FROM incidents), \
             (SELECT coalesce(max(id), 0) FROM assignments), \
             (SELECT coalesce(max(id), 0) FROM incident_timeline)",
            [],
            |r| {
                Ok(IncidentMarks {
                    incident: r.get(0)?,
                    assignment: r.get(1)?,
                    timeline: r.get(2)?,
                })
            },
        )?)
    }
}

/// The events of what a write added to incidents after `before`: the incidents it opened, the
/// resources it booked, then the timeline entries it added.
pub(crate) fn incident_changes(
    tx: &Transaction,
    before: &IncidentMarks,
    actor: &Actor,
) -> Result<Vec<Event>> {
    let mut events = incidents_opened(tx, before.incident, actor)?;
    events.extend(resources_booked(tx, before.assignment, actor)?);
    events.extend(timeline_noted(tx, before.timeline, actor)?);
    Ok(events)
}

/// The events of the rows `sql` reads after id `after` (its one parameter), in its order: each
/// row gives its time, its province and the change it made.
fn events_of_rows(
    tx: &Transaction,
    sql: &str,
    after: i64,
    actor: &Actor,
    change_of: impl Fn(&rusqlite::Row) -> rusqlite::Result<(i64, String, Result<Change>)>,
) -> Result<Vec<Event>> {
    let mut stmt = tx.prepare_cached(sql)?;
    let rows = stmt.query_map([after], |r| change_of(r))?;
    let mut events = Vec::new();
    for row in rows {
        let (at_ms, region, change) = row?;
        events.push(Event {
            at_ms,
            actor: actor.clone(),
            region,
            change: change?,
        });
    }
    Ok(events)
}

fn incidents_opened(tx: &Transaction, after: i64, actor: &Actor) -> Result<Vec<Event>> {
    let sql = "SELECT id, hazard, area, level, tier, warning, exercise, source, title, opened_ms, province \
               FROM incidents WHERE id > ?1 ORDER BY id";
    events_of_rows(tx, sql, after, actor, |r| {
        let (incident, warning, title): (i64, Option<i64>, String) =
            (r.get(0)?, r.get(5)?, r.get(8)?);
        let (hazard, area, level, tier, exercise, source) = (
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(6)?,
            r.get(7)?,
        );
        let change = crate::events::seal(&title).map(|title| Change::IncidentOpened {
            incident: incident as u64,
            hazard,
            area,
            level,
            tier,
            warning: warning.map(|w| w as u64),
            exercise,
            source,
            title,
        });
        Ok((r.get(9)?, r.get(10)?, change))
    })
}

fn resources_booked(tx: &Transaction, after: i64, actor: &Actor) -> Result<Vec<Event>> {
    let sql = "SELECT a.id, a.incident, a.request, a.resource, a.quantity, a.source, i.hazard, a.assigned_ms, i.province \
               FROM assignments a JOIN incidents i ON i.id = a.incident WHERE a.id > ?1 ORDER BY a.id";
    events_of_rows(tx, sql, after, actor, |r| {
        let ids: (i64, i64, i64, i64) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(4)?);
        let change = Change::ResourceBooked {
            assignment: ids.0 as u64,
            incident: ids.1 as u64,
            request: ids.2 as u64,
            quantity: ids.3 as u64,
            resource: r.get(3)?,
            source: r.get(5)?,
            hazard: r.get(6)?,
        };
        Ok((r.get(7)?, r.get(8)?, Ok(change)))
    })
}

/// The events one write to incidents makes as it changes them, beside those of the rows it
/// adds (see [`incident_changes`]).
pub(crate) struct IncidentJournal<'a> {
    pub(crate) actor: &'a Actor,
    pub(crate) events: &'a mut Vec<Event>,
}

impl IncidentJournal<'_> {
    /// Records `change` to incident `incident`, made at `at_ms`: it belongs to the incident's
    /// province, and `change` is handed the incident's hazard.
    pub(crate) fn record(
        &mut self,
        tx: &Transaction,
        incident: u64,
        at_ms: i64,
        change: impl FnOnce(String) -> Result<Change>,
    ) -> Result<()> {
        let (province, hazard): (String, String) = tx.query_row(
            "SELECT province, hazard FROM incidents WHERE id = ?1",
            [incident as i64],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        self.events.push(Event {
            at_ms,
            actor: self.actor.clone(),
            region: province,
            change: change(hazard)?,
        });
        Ok(())
    }
}

/// The events of the timeline entries added after entry `after`: every write that adds to an
/// incident's timeline journals each entry it added, whichever step of it added them.
fn timeline_noted(tx: &Transaction, after: i64, actor: &Actor) -> Result<Vec<Event>> {
    let sql = "SELECT t.id, t.incident, t.time_ms, t.kind, t.text, t.by, i.hazard, i.province \
               FROM incident_timeline t JOIN incidents i ON i.id = t.incident WHERE t.id > ?1 ORDER BY t.id";
    events_of_rows(tx, sql, after, actor, |r| {
        let (entry, incident, time_ms, text): (i64, i64, i64, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(4)?);
        let (note, by, hazard) = (r.get(3)?, r.get(5)?, r.get(6)?);
        let change = crate::events::seal(&text).map(|text| Change::IncidentNoted {
            incident: incident as u64,
            entry,
            hazard,
            time_ms,
            note,
            text,
            by,
        });
        Ok((time_ms, r.get(7)?, change))
    })
}

/// Keeps `bytes` beside the journal under their hex SHA-256, for the entry that names them only
/// by that digest: so that the node can be replayed, and its history sent to another, whole.
pub(crate) fn keep_content(tx: &Transaction, bytes: &[u8]) -> Result<()> {
    let sha256 = tocsin_core::change::sha256_hex(bytes);
    tx.prepare_cached(
        "INSERT INTO journal_content (sha256, bytes) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    )?
    .execute(params![sha256, bytes])?;
    Ok(())
}

/// Appends `events` after entry `next - 1`; returns the index after the last one.
pub(crate) fn append(tx: &Transaction, next: u64, events: &[Event]) -> Result<u64> {
    let mut index = next;
    for event in events {
        let leaf = event.leaf();
        let hash = merkle::leaf_hash(&leaf);
        tx.prepare_cached(
            "INSERT INTO journal (idx, at_ms, kind, region, hazard, domain, leaf, leaf_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            index as i64,
            event.at_ms,
            event.change.kind(),
            event.region,
            event.hazard(),
            event.domain(),
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
/// hazards and stations (and those of neither); everything for the nation; nothing for a
/// commune, whose scope no entry names. Never an entry of the `hidden` kinds.
pub(crate) fn read_in(
    conn: &Connection,
    filter: &crate::RegionFilter,
    (from, limit): (u64, usize),
    hidden: &[&str],
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
    let hazards = super::scope::hazards(filter, "hazard", 6).or_absent("hazard");
    let domains = super::scope::domains(filter, "domain", 6 + hazards.len()).or_absent("domain");
    let scope = hazards.and(domains);
    let sql = format!(
        "SELECT idx, at_ms, kind, region, leaf, leaf_hash FROM journal \
         WHERE idx >= ?1 AND idx < ?2 AND (?3 IS NULL OR region = ?3) AND {} \
         AND kind NOT IN (SELECT value FROM json_each(?5)) ORDER BY idx LIMIT ?4",
        scope.sql
    );
    let (from_param, end_param, limit_param) = (from as i64, end as i64, limit as i64);
    let hidden = super::scope::json_list(hidden.iter().copied());
    let entries = select_entries(
        &snapshot,
        &sql,
        &scope.after(&[&from_param, &end_param, &region, &limit_param, &hidden]),
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
    use crate::conformance::journal::detection;
    use crate::traits::*;
    use crate::{Durability, SqliteStore};

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
        conn.execute(
            "INSERT INTO journal_content (sha256, bytes) VALUES ('x', x'01')",
            [],
        )
        .unwrap();
        for sql in [
            "UPDATE journal SET region = '01' WHERE idx = 1",
            "DELETE FROM journal WHERE idx = 3",
            "UPDATE journal_nodes SET hash = zeroblob(32)",
            "DELETE FROM journal_nodes",
            "UPDATE checkpoints SET note = 'forged'",
            "DELETE FROM checkpoints",
            "UPDATE journal_content SET bytes = x'00'",
            "DELETE FROM journal_content",
        ] {
            let refused = conn.execute(sql, []).unwrap_err();
            assert!(refused.to_string().contains("never"), "{sql}: {refused}");
        }
    }
}
