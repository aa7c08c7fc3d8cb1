//! The records the journal names, read as stored for `audit verify` to hold against it (see
//! [`JournaledRecords`]). A record is `checked` when it was made at or after the first row
//! `journal_start` names for its kind.

use crate::{
    Acknowledgement, AttemptRow, HolderRow, JournaledRecords, RegionFilter, ReleasedAlert, Result,
    TimelineRow,
};
use rusqlite::{Connection, Row};
use std::collections::HashSet;

/// Every record the journal names (see [`JournaledRecords`]).
pub(crate) fn journaled_records(conn: &Connection) -> Result<JournaledRecords> {
    let reader = Reader { conn };
    let mut records = JournaledRecords::default();
    reader.detections_and_warnings(&mut records)?;
    reader.dispatch(&mut records)?;
    reader.ledgers(&mut records)?;
    reader.accounts_and_feeds(&mut records)?;
    reader.incidents_and_resources(&mut records)?;
    Ok(records)
}

struct Reader<'a> {
    conn: &'a Connection,
}

impl Reader<'_> {
    /// The first row of `record` the journal names.
    fn start(&self, record: &str) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT first_id FROM journal_start WHERE record = ?1",
            [record],
            |r| r.get(0),
        )?)
    }

    /// The rows `sql` selects with the start of `record` as its one parameter.
    fn rows<T>(
        &self,
        sql: &str,
        record: &str,
        row: impl FnMut(&Row) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map([self.start(record)?], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Each of `rows` of `record`, with whether its `id` is at or after the first the journal
    /// names.
    fn checked_by_id<T>(
        &self,
        record: &str,
        rows: Vec<T>,
        id: impl Fn(&T) -> u64,
    ) -> Result<Vec<(T, bool)>> {
        let first = self.start(record)?;
        let checked = |row: T| {
            let checked = id(&row) as i64 >= first;
            (row, checked)
        };
        Ok(rows.into_iter().map(checked).collect())
    }

    /// Each of `rows` of `table` (whose text key is its `id` column), with whether it was made
    /// since the journal began recording it (by rowid: a replaced row keeps its own).
    fn checked_by_key<T>(
        &self,
        table: &str,
        rows: Vec<T>,
        key: impl Fn(&T) -> &str,
    ) -> Result<Vec<(T, bool)>> {
        let sql = format!("SELECT id FROM {table} WHERE rowid >= ?1");
        let later: HashSet<String> = self.rows(&sql, table, |r| r.get(0))?.into_iter().collect();
        let checked = |row: T| {
            let checked = later.contains(key(&row));
            (row, checked)
        };
        Ok(rows.into_iter().map(checked).collect())
    }

    fn detections_and_warnings(&self, records: &mut JournaledRecords) -> Result<()> {
        let sql = format!(
            "SELECT {}, d.id FROM detections d WHERE d.id >= ?1 ORDER BY d.id",
            super::observations::DETECTION_COLUMNS
        );
        records.detections = self.rows(&sql, "detections", |r| {
            Ok((r.get(14)?, super::observations::detection_from_row(r)?))
        })?;
        records.alerts = self.rows(
            "SELECT warning, number, identifier, cap_xml, released_by, rowid >= ?1 FROM warning_versions \
             WHERE state = 'published' ORDER BY warning, number",
            "warning_versions",
            |r| {
                Ok(ReleasedAlert {
                    warning: r.get::<_, i64>(0)? as u64,
                    version: r.get(1)?,
                    identifier: r.get(2)?,
                    cap_xml: r.get(3)?,
                    released_by: r.get(4)?,
                    checked: r.get(5)?,
                })
            },
        )?;
        records.versions =
            super::warnings::versions_since(self.conn, self.start("version_drafts")?)?;
        records.auto_release = self.rows(
            "SELECT hazard, max_level, set_by, rowid >= ?1 FROM auto_release ORDER BY hazard",
            "auto_release",
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        Ok(())
    }

    fn dispatch(&self, records: &mut JournaledRecords) -> Result<()> {
        records.acknowledgements = self.rows(
            "SELECT id, acked_by, id >= ?1 FROM notifications WHERE acked_ms IS NOT NULL ORDER BY id",
            "notifications",
            |r| {
                Ok(Acknowledgement {
                    notification: r.get::<_, i64>(0)? as u64,
                    acked_by: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    checked: r.get(2)?,
                })
            },
        )?;
        records.attempts = self.rows(
            "SELECT delivery, attempt, time_ms, outcome, error, rowid >= ?1 FROM delivery_attempts \
             ORDER BY delivery, attempt",
            "delivery_attempts",
            |r| {
                Ok(AttemptRow {
                    delivery: r.get::<_, i64>(0)? as u64,
                    attempt: r.get(1)?,
                    time_ms: r.get(2)?,
                    outcome: r.get(3)?,
                    error: r.get(4)?,
                    checked: r.get(5)?,
                })
            },
        )?;
        let silences = super::dispatch::silences(self.conn)?;
        records.silences = self.checked_by_id("silences", silences, |s| s.id)?;
        records.notifications =
            super::dispatch::notifications_since(self.conn, self.start("notification_queue")?)?;
        let recipients = super::dispatch::recipients(self.conn)?;
        records.recipients = self.checked_by_key("recipients", recipients, |r| &r.id)?;
        Ok(())
    }

    fn ledgers(&self, records: &mut JournaledRecords) -> Result<()> {
        let first_stock = self.start("stock_postings")?;
        records.stock = super::ledgers::stock_postings(self.conn)?
            .into_iter()
            .map(|(id, posting)| (id, posting, id as i64 >= first_stock))
            .collect();
        let first_funds = self.start("fund_postings")?;
        records.funds = super::ledgers::fund_postings(self.conn, 0)?
            .into_iter()
            .map(|(id, posting)| (id, posting, id as i64 >= first_funds))
            .collect();
        records.stock_minimums = self.rows(
            "SELECT warehouse, item, minimum, rowid >= ?1 FROM stock_minimums ORDER BY warehouse, item",
            "stock_minimums",
            |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64, r.get(3)?)),
        )?;
        for (table, holder) in [("funds", "fund"), ("warehouses", "warehouse")] {
            let sql =
                format!("SELECT id, name, tier, region, rowid >= ?1 FROM {table} ORDER BY id");
            records.holders.extend(self.rows(&sql, table, |r| {
                Ok(HolderRow {
                    holder: holder.into(),
                    id: r.get(0)?,
                    name: r.get(1)?,
                    tier: r.get(2)?,
                    region: r.get(3)?,
                    checked: r.get(4)?,
                })
            })?);
        }
        Ok(())
    }

    fn accounts_and_feeds(&self, records: &mut JournaledRecords) -> Result<()> {
        records.tokens = crate::sqlite::tokens_since(self.conn, self.start("tokens")?)?;
        let users = super::accounts::users(self.conn)?;
        records.users = self.checked_by_id("users", users, |u| u.id)?;
        let subscriptions = super::feeds::subscriptions(self.conn)?;
        records.subscriptions = self.checked_by_id("subscriptions", subscriptions, |s| s.id)?;
        let all = RegionFilter::all();
        let alerts = super::feeds::external_alerts(self.conn, &all, None, i64::MAX as usize)?;
        records.external_alerts = self.checked_by_id("external_alerts", alerts, |a| a.id)?;
        Ok(())
    }

    fn incidents_and_resources(&self, records: &mut JournaledRecords) -> Result<()> {
        let incidents = super::incidents::all_incidents(self.conn)?;
        records.incidents = self.checked_by_id("incidents", incidents, |d| d.incident.id)?;
        records.timeline = self.rows(
            "SELECT id, incident, time_ms, kind, text, by, id >= ?1 FROM incident_timeline ORDER BY id",
            "incident_timeline",
            |r| {
                Ok(TimelineRow {
                    id: r.get(0)?,
                    incident: r.get::<_, i64>(1)? as u64,
                    time_ms: r.get(2)?,
                    kind: r.get(3)?,
                    text: r.get(4)?,
                    by: r.get(5)?,
                    checked: r.get(6)?,
                })
            },
        )?;
        let stations = super::registry::stored_stations(self.conn)?;
        records.stations = self
            .checked_by_key("stations", stations, |(s, _)| &s.id)?
            .into_iter()
            .map(|((station, province), checked)| (station, province, checked))
            .collect();
        records.registry_sha256 = super::registry::registry_digest(self.conn)?;
        let resources = super::resources::resources(self.conn, &RegionFilter::all())?;
        records.resources = self.checked_by_key("resources", resources, |r| &r.id)?;
        Ok(())
    }
}
