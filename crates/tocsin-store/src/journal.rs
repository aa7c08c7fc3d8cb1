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
use tocsin_core::change::{Actor, Change, Event, Kept};
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
pub(crate) fn level_changed(d: &Detection, at_ms: i64, actor: &Actor) -> Event {
    Event {
        at_ms,
        actor: actor.clone(),
        region: (d.commune.clone().or_else(|| d.province.clone())).unwrap_or_else(|| NATION.into()),
        change: Change::LevelChanged {
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

/// Appends `events` after entry `next - 1`; returns the index after the last one.
pub(crate) fn append(tx: &Transaction, next: u64, events: &[Event]) -> Result<u64> {
    let mut index = next;
    for event in events {
        let leaf = event.leaf();
        let hash = merkle::leaf_hash(&leaf);
        tx.prepare_cached(
            "INSERT INTO journal (idx, at_ms, kind, region, leaf, leaf_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            index as i64,
            event.at_ms,
            event.change.kind(),
            event.region,
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
    let mut stmt = conn.prepare_cached(
        "SELECT idx, at_ms, kind, region, leaf FROM journal WHERE idx >= ?1 ORDER BY idx LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![from as i64, limit as i64], |r| {
        Ok(JournalEntry {
            index: r.get::<_, i64>(0)? as u64,
            at_ms: r.get(1)?,
            kind: r.get(2)?,
            region: r.get(3)?,
            leaf: r.get(4)?,
            personal: Vec::new(),
        })
    })?;
    let mut found = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    for entry in &mut found {
        entry.personal = personal_of(conn, entry)?;
    }
    Ok(found)
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
    use crate::{Durability, SqliteStore, Store};
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
            assert_eq!(entry.region, "04252");
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
