//! The SQLite side of subscriptions to other agencies' alert feeds and of the external alerts they
//! bring in (migration 5). An external alert is stored once per `(sender, identifier)`, whatever
//! feed or link it came through; the regions it was placed on are rows of `external_alert_regions`,
//! each with its current province, so reads apply a scope in the query.

use super::page::{keyset, newest_first};
use super::*;
use crate::page::Cursor;
use crate::{FilterRoot, RegionFilter, Result, StoreError};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params, params_from_iter};

impl FeedStore for SqliteStore {
    fn add_subscription(
        &self,
        url: &str,
        name: &str,
        added_by: &str,
        added_ms: i64,
        actor: &Actor,
    ) -> Result<SubscriptionRecord> {
        self.write_recorded(|tx, _, events| {
            let added = add_subscription(tx, url, name, added_by, added_ms)?;
            let change = Change::SubscriptionAdded {
                subscription: added.id,
                url: crate::events::seal(&tocsin_core::secrets::without_credentials(url))?,
                name: name.to_string(),
                by: added_by.to_string(),
            };
            events.push(crate::events::node_event(added_ms, change, actor));
            Ok(added)
        })
    }

    fn subscriptions(&self) -> Result<Vec<SubscriptionRecord>> {
        self.read(subscriptions)
    }

    fn remove_subscription(&self, id: u64, at_ms: i64, actor: &Actor) -> Result<bool> {
        self.write_recorded(|tx, _, events| {
            let removed = remove_subscription(tx, id)?;
            if removed {
                let change = Change::SubscriptionRemoved { subscription: id };
                events.push(crate::events::node_event(at_ms, change, actor));
            }
            Ok(removed)
        })
    }

    fn record_poll(&self, subscription: &SubscriptionRecord) -> Result<()> {
        self.write(|tx, _| record_poll(tx, subscription))
    }

    fn has_external_source(&self, source: &str) -> Result<bool> {
        self.read(|conn| has_external_source(conn, source))
    }

    fn insert_external_alert(
        &self,
        alert: &ExternalAlertRecord,
        actor: &Actor,
    ) -> Result<Option<u64>> {
        self.write_recorded(|tx, _, events| {
            let stored = insert_external_alert(tx, alert)?;
            if let Some(id) = stored {
                super::journal::keep_content(tx, &alert.cap_xml)?;
                events.push(crate::events::external_alert_stored(id, alert, actor));
            }
            Ok(stored)
        })
    }

    fn external_alerts(
        &self,
        filter: &RegionFilter,
        before: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<ExternalAlertRecord>> {
        self.read(|conn| external_alerts(conn, filter, before, limit))
    }
}

const SUBSCRIPTION_COLUMNS: &str = "id, url, name, added_by, added_ms, etag, last_modified, last_polled_ms, next_poll_ms, failures, last_error";

const ALERT_COLUMNS: &str = "id, subscription, source, sender, identifier, sent_ms, status, msg_type, event, severity, urgency, certainty, \
     headline, expires_ms, cap_xml, findings, signature, placement, received_ms";

pub(crate) fn add_subscription(
    tx: &Transaction,
    url: &str,
    name: &str,
    added_by: &str,
    added_ms: i64,
) -> Result<SubscriptionRecord> {
    let exists: Option<i64> = tx
        .query_row("SELECT id FROM subscriptions WHERE url = ?1", [url], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(id) = exists {
        return Err(StoreError::Conflict(format!(
            "url: {url} is already subscription {id}"
        )));
    }
    tx.execute(
        "INSERT INTO subscriptions (url, name, added_by, added_ms, next_poll_ms, failures) VALUES (?1, ?2, ?3, ?4, ?4, 0)",
        params![url, name, added_by, added_ms],
    )?;
    let id = tx.last_insert_rowid();
    subscription(tx, id as u64)?.ok_or_else(|| StoreError::NotFound(format!("subscription {id}")))
}

pub(crate) fn subscription(conn: &Connection, id: u64) -> Result<Option<SubscriptionRecord>> {
    let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ?1");
    Ok(conn
        .query_row(&sql, [id as i64], subscription_from_row)
        .optional()?)
}

pub(crate) fn subscriptions(conn: &Connection) -> Result<Vec<SubscriptionRecord>> {
    let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions ORDER BY id");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], subscription_from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Removes a subscription; the alerts it brought in stay. False when there was none.
pub(crate) fn remove_subscription(tx: &Transaction, id: u64) -> Result<bool> {
    Ok(tx.execute("DELETE FROM subscriptions WHERE id = ?1", [id as i64])? > 0)
}

/// Records the outcome of a poll: validators, times, failures and error.
pub(crate) fn record_poll(tx: &Transaction, s: &SubscriptionRecord) -> Result<()> {
    tx.execute(
        "UPDATE subscriptions SET etag = ?2, last_modified = ?3, last_polled_ms = ?4, next_poll_ms = ?5, failures = ?6, \
         last_error = ?7 WHERE id = ?1",
        params![
            s.id as i64,
            s.etag,
            s.last_modified,
            s.last_polled_ms,
            s.next_poll_ms,
            s.failures,
            s.last_error
        ],
    )?;
    Ok(())
}

fn subscription_from_row(r: &Row) -> rusqlite::Result<SubscriptionRecord> {
    Ok(SubscriptionRecord {
        id: r.get::<_, i64>(0)? as u64,
        url: r.get(1)?,
        name: r.get(2)?,
        added_by: r.get(3)?,
        added_ms: r.get(4)?,
        etag: r.get(5)?,
        last_modified: r.get(6)?,
        last_polled_ms: r.get(7)?,
        next_poll_ms: r.get(8)?,
        failures: r.get(9)?,
        last_error: r.get(10)?,
    })
}

/// Whether an alert read from `source` is stored already.
pub(crate) fn has_external_source(conn: &Connection, source: &str) -> Result<bool> {
    let found: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM external_alerts WHERE source = ?1 LIMIT 1")?
        .query_row([source], |r| r.get(0))
        .optional()?;
    Ok(found.is_some())
}

/// Stores an external alert and its regions; `None` when the same `(sender, identifier)` is
/// stored already (nothing changes then).
pub(crate) fn insert_external_alert(
    tx: &Transaction,
    alert: &ExternalAlertRecord,
) -> Result<Option<u64>> {
    let inserted = tx
        .prepare_cached(
            "INSERT INTO external_alerts (subscription, source, sender, identifier, sent_ms, status, msg_type, event, severity, \
             urgency, certainty, headline, expires_ms, cap_xml, findings, signature, placement, received_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18) \
             ON CONFLICT (sender, identifier) DO NOTHING",
        )?
        .execute(params![
            alert.subscription as i64,
            alert.source,
            alert.sender,
            alert.identifier,
            alert.sent_ms,
            alert.status,
            alert.msg_type,
            alert.event,
            alert.severity,
            alert.urgency,
            alert.certainty,
            alert.headline,
            alert.expires_ms,
            alert.cap_xml,
            alert.findings,
            alert.signature,
            alert.placement,
            alert.received_ms,
        ])?;
    if inserted == 0 {
        return Ok(None);
    }
    let id = tx.last_insert_rowid();
    let mut stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO external_alert_regions (alert, region, province, matched_by) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for placed in &alert.regions {
        stmt.execute(params![
            id,
            placed.region,
            placed.province,
            placed.matched_by
        ])?;
    }
    Ok(Some(id as u64))
}

/// External alerts `filter` shows, newest received first: a national filter shows every alert
/// (those outside our territory and invalid ones too); a province, the alerts placed on it or
/// its communes; a commune, those placed on it or on its province.
pub(crate) fn external_alerts(
    conn: &Connection,
    filter: &RegionFilter,
    before: Option<&Cursor>,
    limit: usize,
) -> Result<Vec<ExternalAlertRecord>> {
    let limit = Value::Integer(limit as i64);
    let (condition, mut args) = match &filter.root {
        FilterRoot::Nation => ("1", vec![limit]),
        FilterRoot::Province(p) => (
            "EXISTS (SELECT 1 FROM external_alert_regions r WHERE r.alert = a.id AND r.province = ?2)",
            vec![limit, Value::Text(p.clone())],
        ),
        FilterRoot::Commune { commune, province } => (
            "EXISTS (SELECT 1 FROM external_alert_regions r WHERE r.alert = a.id AND r.region IN (?2, ?3))",
            vec![
                limit,
                Value::Text(commune.clone()),
                Value::Text(province.clone()),
            ],
        ),
    };
    let (after, cursor) = keyset(before, &ALERT_ORDER, args.len() + 1);
    args.extend(cursor);
    let sql = format!(
        "SELECT {ALERT_COLUMNS} FROM external_alerts a WHERE {condition} AND {after} ORDER BY {} LIMIT ?1",
        newest_first(&ALERT_ORDER),
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), alert_from_row)?;
    let mut alerts = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    for alert in &mut alerts {
        alert.regions = regions_of(conn, alert.id)?;
    }
    Ok(alerts)
}

/// The order of external alert lists: newest received first.
const ALERT_ORDER: [&str; 2] = ["received_ms", "id"];

fn regions_of(conn: &Connection, alert: u64) -> Result<Vec<PlacedRegion>> {
    let mut stmt = conn.prepare_cached(
        "SELECT region, province, matched_by FROM external_alert_regions WHERE alert = ?1 ORDER BY region",
    )?;
    let rows = stmt.query_map([alert as i64], |r| {
        Ok(PlacedRegion {
            region: r.get(0)?,
            province: r.get(1)?,
            matched_by: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn alert_from_row(r: &Row) -> rusqlite::Result<ExternalAlertRecord> {
    Ok(ExternalAlertRecord {
        id: r.get::<_, i64>(0)? as u64,
        subscription: r.get::<_, i64>(1)? as u64,
        source: r.get(2)?,
        sender: r.get(3)?,
        identifier: r.get(4)?,
        sent_ms: r.get(5)?,
        status: r.get(6)?,
        msg_type: r.get(7)?,
        event: r.get(8)?,
        severity: r.get(9)?,
        urgency: r.get(10)?,
        certainty: r.get(11)?,
        headline: r.get(12)?,
        expires_ms: r.get(13)?,
        cap_xml: r.get(14)?,
        findings: r.get(15)?,
        signature: r.get(16)?,
        placement: r.get(17)?,
        received_ms: r.get(18)?,
        regions: Vec::new(),
    })
}
