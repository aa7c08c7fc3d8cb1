//! The records the journal names, read as stored for `audit verify` to hold against it (see
//! [`JournaledRecords`]).

use crate::{Acknowledgement, AttemptRow, JournaledRecords, ReleasedAlert, Result, TimelineRow};
use rusqlite::Connection;
use std::collections::HashSet;

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
        super::observations::DETECTION_COLUMNS
    );
    let mut stmt = conn.prepare(&sql)?;
    let detections = stmt
        .query_map([start("detections")?], |r| {
            Ok((
                r.get::<_, i64>(14)?,
                super::observations::detection_from_row(r)?,
            ))
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
    let silences = super::dispatch::silences(conn)?
        .into_iter()
        .map(|s| {
            let checked = s.id as i64 >= first_silence;
            (s, checked)
        })
        .collect();
    let versions = super::warnings::versions_since(conn, start("version_drafts")?)?;
    let notifications = super::dispatch::notifications_since(conn, start("notification_queue")?)?;
    let first_stock = start("stock_postings")?;
    let stock = super::ledgers::stock_postings(conn)?
        .into_iter()
        .map(|(id, posting)| (id, posting, id as i64 >= first_stock))
        .collect();
    let first_funds = start("fund_postings")?;
    let funds = super::ledgers::fund_postings(conn, 0)?
        .into_iter()
        .map(|(id, posting)| (id, posting, id as i64 >= first_funds))
        .collect();
    let tokens = crate::sqlite::tokens_since(conn, start("tokens")?)?;
    let first_user = start("users")?;
    let users = super::accounts::users(conn)?
        .into_iter()
        .map(|user| {
            let checked = user.id as i64 >= first_user;
            (user, checked)
        })
        .collect();
    let first_incident = start("incidents")?;
    let incidents = super::incidents::all_incidents(conn)?
        .into_iter()
        .map(|detail| {
            let checked = detail.incident.id as i64 >= first_incident;
            (detail, checked)
        })
        .collect();
    let later: HashSet<String> = {
        let mut stmt = conn.prepare("SELECT id FROM recipients WHERE rowid >= ?1")?;
        let rows = stmt.query_map([start("recipients")?], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let recipients = super::dispatch::recipients(conn)?
        .into_iter()
        .map(|r| {
            let checked = later.contains(&r.id);
            (r, checked)
        })
        .collect();
    let mut stmt = conn.prepare(
        "SELECT warehouse, item, minimum, rowid >= ?1 FROM stock_minimums ORDER BY warehouse, item",
    )?;
    let stock_minimums = stmt
        .query_map([start("stock_minimums")?], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64, r.get(3)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
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
        incidents,
        recipients,
        stock_minimums,
    })
}
