//! The SQLite side of warnings and their versions. A published version's row is guarded by triggers
//! (migration 4): it can be neither updated nor deleted, so a released alert never changes.

use super::page::{keyset, newest_first};
use super::*;
use crate::page::Cursor;
use crate::{
    Publication, RegionFilter, Result, StoreError, VersionRecord, VersionState, WarningRecord,
};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params, params_from_iter};

impl WarningStore for SqliteStore {
    fn record_lifecycle(
        &self,
        warnings: &[WarningRecord],
        versions: &[VersionRecord],
        actor: &Actor,
    ) -> Result<()> {
        self.write_recorded(|tx, _, events| {
            warnings.iter().try_for_each(|w| save_warning(tx, w))?;
            for version in versions {
                insert_version(tx, version)?;
                super::journal::keep_content(tx, version.draft.as_bytes())?;
                events.push(crate::events::version_drafted(version, actor));
            }
            Ok(())
        })
    }

    fn record_consumed_warnings(
        &self,
        warnings: &[WarningRecord],
        consumer: &str,
        next: u64,
    ) -> Result<()> {
        self.write_derived(|tx| {
            warnings.iter().try_for_each(|w| save_warning(tx, w))?;
            super::journal::advance(tx, consumer, next)
        })
    }

    fn publish_version(
        &self,
        warning: &WarningRecord,
        number: u32,
        publication: &Publication,
        actor: &Actor,
    ) -> Result<()> {
        self.write_recorded(|tx, _, events| {
            publish(tx, warning, number, publication)?;
            super::journal::keep_content(tx, publication.cap_xml.as_bytes())?;
            events.push(crate::events::alert_released(
                warning,
                number,
                publication,
                actor,
            ));
            Ok(())
        })
    }

    fn open_warnings(&self) -> Result<Vec<WarningRecord>> {
        self.read(open_warnings)
    }

    fn last_warning_id(&self) -> Result<u64> {
        self.read(last_warning_id)
    }

    fn warning_versions(&self, warning: u64) -> Result<Vec<VersionRecord>> {
        self.read(|conn| versions_of(conn, warning))
    }

    fn versions_in(
        &self,
        filter: &RegionFilter,
        states: &[VersionState],
        hazard: Option<&str>,
        before: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<VersionRecord>> {
        self.read(|conn| versions_in(conn, filter, states, hazard, before, limit))
    }

    fn published_by_identifier(&self, identifier: &str) -> Result<Option<VersionRecord>> {
        self.read(|conn| published_by_identifier(conn, identifier))
    }

    fn set_auto_release(
        &self,
        hazard: &str,
        max_level: u8,
        set_by: &str,
        set_ms: i64,
        actor: &Actor,
    ) -> Result<()> {
        self.write_recorded(|tx, _, events| {
            set_auto_release(tx, hazard, max_level, set_by, set_ms)?;
            let change = Change::AutoReleaseSet {
                hazard: hazard.to_string(),
                max_level,
                by: set_by.to_string(),
            };
            events.push(crate::events::node_event(set_ms, change, actor));
            Ok(())
        })
    }

    fn auto_release(&self) -> Result<Vec<(String, u8)>> {
        self.read(auto_release)
    }
}

const VERSION_COLUMNS: &str = "warning, number, hazard, province, action, level, made_ms, expires_ms, draft, state, \
     identifier, sent_ms, msg_type, cap_xml, released_by, released_ms";

pub(crate) fn save_warning(tx: &Transaction, warning: &WarningRecord) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO warnings (id, hazard, province, open, state) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (id) DO UPDATE SET open = excluded.open, state = excluded.state",
    )?
    .execute(params![
        warning.id as i64,
        warning.hazard,
        warning.province,
        warning.open,
        warning.state
    ])?;
    Ok(())
}

pub(crate) fn insert_version(tx: &Transaction, version: &VersionRecord) -> Result<()> {
    tx.prepare_cached(
        "UPDATE warning_versions SET state = 'superseded' WHERE warning = ?1 AND state = 'draft'",
    )?
    .execute([version.warning as i64])?;
    let publication = version.publication.as_ref();
    tx.prepare_cached(&format!(
        "INSERT INTO warning_versions ({VERSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
    ))?
    .execute(params![
        version.warning as i64,
        version.number,
        version.hazard,
        version.province,
        version.action,
        version.level,
        version.made_ms,
        version.expires_ms,
        version.draft,
        version.state.as_str(),
        publication.map(|p| &p.identifier),
        publication.map(|p| p.sent_ms),
        publication.map(|p| &p.msg_type),
        publication.map(|p| &p.cap_xml),
        publication.map(|p| &p.released_by),
        publication.map(|p| p.released_ms),
    ])?;
    Ok(())
}

pub(crate) fn publish(
    tx: &Transaction,
    warning: &WarningRecord,
    number: u32,
    publication: &Publication,
) -> Result<()> {
    let changed = tx
        .prepare_cached(
            "UPDATE warning_versions SET state = 'published', identifier = ?3, sent_ms = ?4, msg_type = ?5, cap_xml = ?6, \
             released_by = ?7, released_ms = ?8, expires_ms = ?9 WHERE warning = ?1 AND number = ?2 AND state = 'draft'",
        )?
        .execute(params![
            warning.id as i64,
            number,
            publication.identifier,
            publication.sent_ms,
            publication.msg_type,
            publication.cap_xml,
            publication.released_by,
            publication.released_ms,
            publication.expires_ms
        ])?;
    if changed == 0 {
        return Err(StoreError::Conflict(format!(
            "version {number} of warning {} is not a draft awaiting release",
            warning.id
        )));
    }
    save_warning(tx, warning)
}

pub(crate) fn open_warnings(conn: &Connection) -> Result<Vec<WarningRecord>> {
    let mut stmt = conn
        .prepare("SELECT id, hazard, province, open, state FROM warnings WHERE open ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok(WarningRecord {
            id: r.get::<_, i64>(0)? as u64,
            hazard: r.get(1)?,
            province: r.get(2)?,
            open: r.get(3)?,
            state: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(crate) fn last_warning_id(conn: &Connection) -> Result<u64> {
    let id: Option<i64> = conn.query_row("SELECT max(id) FROM warnings", [], |r| r.get(0))?;
    Ok(id.unwrap_or(0) as u64)
}

/// Every version, with whether its rowid is `first` or later (journaled since it was made).
pub(crate) fn versions_since(conn: &Connection, first: i64) -> Result<Vec<(VersionRecord, bool)>> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS}, rowid >= ?1 FROM warning_versions ORDER BY warning, number"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([first], |r| {
        let checked: bool = r.get(16)?;
        Ok(version_from_row(r)?.map(|v| (v, checked)))
    })?;
    rows.map(|row| row?).collect()
}

pub(crate) fn versions_of(conn: &Connection, warning: u64) -> Result<Vec<VersionRecord>> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM warning_versions WHERE warning = ?1 ORDER BY number"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([warning as i64], version_from_row)?;
    collect(rows)
}

pub(crate) fn versions_in(
    conn: &Connection,
    filter: &RegionFilter,
    states: &[VersionState],
    hazard: Option<&str>,
    before: Option<&Cursor>,
    limit: usize,
) -> Result<Vec<VersionRecord>> {
    let states: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
    let hazards = super::scope::hazards(filter, "hazard", 5);
    let (after, cursor) = keyset(before, &VERSION_ORDER, 5 + hazards.len());
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM warning_versions WHERE state IN (SELECT value FROM json_each(?4)) \
         AND (?1 IS NULL OR province = ?1) AND (?3 IS NULL OR hazard = ?3) AND {} AND {after} ORDER BY {} LIMIT ?2",
        hazards.sql,
        newest_first(&VERSION_ORDER),
    );
    let mut args = vec![
        Value::from(filter.root.province().map(str::to_owned)),
        Value::Integer(limit as i64),
        Value::from(hazard.map(str::to_owned)),
        super::scope::json_list(states),
    ];
    hazards.append_to(&mut args);
    args.extend(cursor);
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), version_from_row)?;
    collect(rows)
}

/// The order of version lists: newest sent (or drafted) first.
const VERSION_ORDER: [&str; 3] = ["coalesce(sent_ms, made_ms)", "warning", "number"];

pub(crate) fn published_by_identifier(
    conn: &Connection,
    identifier: &str,
) -> Result<Option<VersionRecord>> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM warning_versions WHERE identifier = ?1 AND state = 'published'"
    );
    let found = conn
        .query_row(&sql, [identifier], version_from_row)
        .optional()?;
    found.transpose()
}

pub(crate) fn set_auto_release(
    tx: &Transaction,
    hazard: &str,
    max_level: u8,
    set_by: &str,
    set_ms: i64,
) -> Result<()> {
    if max_level == 0 {
        tx.execute("DELETE FROM auto_release WHERE hazard = ?1", [hazard])?;
        return Ok(());
    }
    tx.execute(
        "INSERT INTO auto_release (hazard, max_level, set_by, set_ms) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (hazard) DO UPDATE SET max_level = excluded.max_level, set_by = excluded.set_by, set_ms = excluded.set_ms",
        params![hazard, max_level, set_by, set_ms],
    )?;
    Ok(())
}

pub(crate) fn auto_release(conn: &Connection) -> Result<Vec<(String, u8)>> {
    let mut stmt = conn.prepare("SELECT hazard, max_level FROM auto_release ORDER BY hazard")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn collect(
    rows: impl Iterator<Item = rusqlite::Result<Result<VersionRecord>>>,
) -> Result<Vec<VersionRecord>> {
    rows.map(|row| row?).collect()
}

fn version_from_row(r: &Row) -> rusqlite::Result<Result<VersionRecord>> {
    let state: String = r.get(9)?;
    let Some(state) = VersionState::parse(&state) else {
        return Ok(Err(StoreError::Corrupt(format!(
            "warning version state {state:?}"
        ))));
    };
    let identifier: Option<String> = r.get(10)?;
    let publication = match identifier {
        Some(identifier) => Some(Publication {
            identifier,
            sent_ms: r.get(11)?,
            expires_ms: r.get(7)?,
            msg_type: r.get(12)?,
            cap_xml: r.get(13)?,
            released_by: r.get(14)?,
            released_ms: r.get(15)?,
        }),
        None => None,
    };
    Ok(Ok(VersionRecord {
        warning: r.get::<_, i64>(0)? as u64,
        number: r.get(1)?,
        hazard: r.get(2)?,
        province: r.get(3)?,
        action: r.get(4)?,
        level: r.get(5)?,
        made_ms: r.get(6)?,
        expires_ms: r.get(7)?,
        draft: r.get(8)?,
        state,
        publication,
    }))
}

#[cfg(test)]
mod tests {
    use crate::conformance::warnings::{publication, version, warning};
    use crate::traits::*;
    use crate::{Durability, SqliteStore};
    use tocsin_core::change::Actor;

    #[test]
    fn the_database_itself_refuses_to_change_a_published_alert() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let store = SqliteStore::open(&path, Durability::Full).unwrap();
        store
            .record_lifecycle(&[warning(true)], &[version(1)], &Actor::Node)
            .unwrap();
        store
            .publish_version(
                &warning(true),
                1,
                &publication("a.1"),
                &tocsin_core::change::Actor::Node,
            )
            .unwrap();
        drop(store);
        let conn = rusqlite::Connection::open(&path).unwrap();
        let update = conn.execute("UPDATE warning_versions SET cap_xml = '<forged/>'", []);
        assert!(
            update
                .unwrap_err()
                .to_string()
                .contains("a published alert never changes")
        );
        let delete = conn.execute("DELETE FROM warning_versions", []);
        assert!(delete.unwrap_err().to_string().contains("never deleted"));
    }
}
