//! The SQLite backend: one writer connection (WAL mode, group commits driven by the engine)
//! and a pool of reader connections that never block the writer.

use crate::*;
use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, Row, params};
use schema::MIGRATIONS;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tocsin_core::change::{Actor, Change, Event};
use tocsin_core::geo::BBox;
use tocsin_core::region::RegionKind;
use tocsin_core::station::{AttributeValue, MetricSpec};

mod accounts;
mod dispatch;
mod feeds;
mod incidents;
mod journal;
mod journaled;
mod ledgers;
mod observations;
mod page;
mod registry;
mod resources;
mod schema;
mod scope;
mod warnings;

pub(crate) use accounts::tokens_since;

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        StoreError::Database(error.to_string())
    }
}

/// When a commit counts as durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=FULL`: the WAL is fsynced at every commit; survives power loss.
    Full,
    /// `synchronous=NORMAL`: survives a crash of the process, not of the machine.
    Normal,
}

/// A store in one SQLite database file.
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Writer>,
    readers: Mutex<Vec<Connection>>,
}

struct Writer {
    conn: Connection,
    /// The `synchronous` setting of the store's durability, restored after a derived write.
    synchronous: &'static str,
    next_seq: i64,
    /// The index the next journal entry gets.
    next_entry: u64,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and runs pending migrations.
    pub fn open(path: &Path, durability: Durability) -> Result<SqliteStore> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        let sync = match durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", sync)?;
        conn.pragma_update(None, "cache_size", -65536)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        migrate(&conn)?;
        let next_seq: i64 = conn.query_row(
            "SELECT coalesce(max(last_seq), 0) + 1 FROM ingest_commits",
            [],
            |r| r.get(0),
        )?;
        let next_entry = journal::size(&conn)?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            writer: Mutex::new(Writer {
                conn,
                synchronous: sync,
                next_seq,
                next_entry,
            }),
            readers: Mutex::new(Vec::new()),
        })
    }

    /// Runs `f` on a pooled read connection.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => {
                let conn = Connection::open_with_flags(
                    &self.path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                )?;
                conn.busy_timeout(std::time::Duration::from_secs(30))?;
                conn.pragma_update(None, "cache_size", -16384)?;
                conn
            }
        };
        let result = f(&conn);
        self.readers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(conn);
        result
    }

    /// Runs `f` inside one write transaction of state derived from the journal (a consumer's
    /// products and its cursor, together): committed without waiting for the disk, since a
    /// machine crash that loses it loses the cursor with it, and the consumer reads the same
    /// entries again and derives the same state. A crash of the process loses nothing (WAL).
    fn write_derived<T>(&self, f: impl FnOnce(&rusqlite::Transaction) -> Result<T>) -> Result<T> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let synchronous = writer.synchronous;
        writer.conn.pragma_update(None, "synchronous", "NORMAL")?;
        let written = (|| {
            let tx = writer.conn.transaction()?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })();
        writer
            .conn
            .pragma_update(None, "synchronous", synchronous)?;
        written
    }

    /// Runs `f` inside one write transaction.
    fn write<T>(&self, f: impl FnOnce(&rusqlite::Transaction, &mut i64) -> Result<T>) -> Result<T> {
        self.write_recorded(|tx, seq, _| f(tx, seq))
    }

    /// Runs `f` inside one write transaction of incidents and journals, as `actor`'s, every
    /// incident it opened, resource it booked and timeline entry it added, after the events `f`
    /// records itself.
    fn write_incidents<T>(
        &self,
        actor: &Actor,
        f: impl FnOnce(&rusqlite::Transaction, &mut journal::IncidentJournal) -> Result<T>,
    ) -> Result<T> {
        self.write_recorded(|tx, _, events| {
            let before = journal::IncidentMarks::read(tx)?;
            let out = f(tx, &mut journal::IncidentJournal { actor, events })?;
            events.extend(journal::incident_changes(tx, &before, actor)?);
            Ok(out)
        })
    }

    /// Runs `f` inside one write transaction and appends the events it records to the journal
    /// in the same transaction: the change and its events are durable together or not at all.
    pub(crate) fn write_recorded<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction, &mut i64, &mut Vec<Event>) -> Result<T>,
    ) -> Result<T> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let Writer {
            conn,
            next_seq,
            next_entry,
            ..
        } = &mut *writer;
        let tx = conn.transaction()?;
        let mut seq = *next_seq;
        let mut events = Vec::new();
        let out = f(&tx, &mut seq, &mut events)?;
        let entries = journal::append(&tx, *next_entry, &events)?;
        tx.commit()?;
        *next_seq = seq;
        *next_entry = entries;
        Ok(out)
    }
}

fn migrate(conn: &Connection) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

fn date_text(date: Date) -> String {
    date.to_string()
}

const TOKEN_COLUMNS: &str =
    "id, hash, name, role, scope_region, domains, stations, created_ms, revoked";

impl MaintenanceStore for SqliteStore {
    fn backup_to(&self, path: &Path) -> Result<()> {
        if path.exists() {
            return Err(StoreError::Conflict(format!(
                "{} already exists; choose a new file",
                path.display()
            )));
        }
        self.read(|conn| {
            conn.execute("VACUUM INTO ?1", [path.to_string_lossy()])?;
            Ok(())
        })
    }

    fn schema_version(&self) -> Result<i64> {
        self.read(|conn| Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?))
    }
}

fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_derived_write_leaves_the_store_s_durability_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("db"), Durability::Full).unwrap();
        let synchronous = |store: &SqliteStore| -> i64 {
            let writer = store.writer.lock().unwrap();
            writer
                .conn
                .pragma_query_value(None, "synchronous", |r| r.get(0))
                .unwrap()
        };
        assert_eq!(synchronous(&store), 2, "FULL");
        store.record_consumed_warnings(&[], "warnings", 0).unwrap();
        assert_eq!(synchronous(&store), 2, "FULL again after the derived write");
        assert_eq!(store.journal_cursor("warnings").unwrap(), 0);
        let refused = store.write_derived(|tx| -> Result<()> {
            tx.execute_batch("INSERT INTO no_such_table VALUES (1)")?;
            Ok(())
        });
        assert!(refused.is_err());
        assert_eq!(synchronous(&store), 2, "FULL again after a failed one");
    }
}
