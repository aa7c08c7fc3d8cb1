//! The SQLite side of dissemination: recipients, silences (never deleted: expiring one records who
//! and when), notifications with their deliveries — the durable outbox, written in the same
//! transaction as the notifications and the dispatcher's state — and every delivery attempt.

use super::page::{keyset, newest_first};
use super::*;
use crate::page::Cursor;
use crate::{RegionFilter, Result, StoreError};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params, params_from_iter};
use tocsin_core::change::Event;

impl DispatchStore for SqliteStore {
    fn upsert_recipients(
        &self,
        recipients: &[RecipientRecord],
        shown: &[RecipientRecord],
        actor: &Actor,
    ) -> Result<()> {
        if shown
            .iter()
            .map(|r| &r.id)
            .ne(recipients.iter().map(|r| &r.id))
        {
            return Err(StoreError::Conflict(
                "recipients: what the journal is shown is not the recipients stored".into(),
            ));
        }
        self.write_recorded(|tx, _, events| {
            upsert_recipients(tx, recipients)?;
            for recipient in shown {
                let province = super::registry::province_of(tx, &recipient.region)?;
                events.push(crate::events::recipient_set(recipient, &province, actor)?);
            }
            Ok(())
        })
    }

    fn recipients(&self) -> Result<Vec<RecipientRecord>> {
        self.read(recipients)
    }

    fn insert_silence(&self, silence: &SilenceRecord, actor: &Actor) -> Result<u64> {
        self.write_recorded(|tx, _, events| {
            let id = insert_silence(tx, silence)?;
            events.push(crate::events::silence_set(id, silence, actor)?);
            Ok(id)
        })
    }

    fn expire_silence(&self, id: u64, by: &str, at_ms: i64, actor: &Actor) -> Result<bool> {
        self.write_recorded(|tx, _, events| {
            let ended = expire_silence(tx, id, by, at_ms)?;
            if ended {
                let change = Change::SilenceEnded {
                    silence: id,
                    by: by.to_string(),
                };
                events.push(crate::events::node_event(at_ms, change, actor));
            }
            Ok(ended)
        })
    }

    fn silences(&self) -> Result<Vec<SilenceRecord>> {
        self.read(silences)
    }

    fn record_notifications(&self, notifications: &[NewNotification], state: &str) -> Result<()> {
        self.write_recorded(|tx, _, events| record_notifications(tx, notifications, state, events))
    }

    fn save_dispatch_state(&self, state: &str) -> Result<()> {
        self.write(|tx, _| save_state(tx, state))
    }

    fn dispatch_state(&self) -> Result<Option<String>> {
        self.read(state)
    }

    fn due_deliveries(&self, now_ms: i64, limit: usize) -> Result<Vec<DueDelivery>> {
        self.read(|conn| due_deliveries(conn, now_ms, limit))
    }

    fn record_attempt(&self, delivery: u64, time_ms: i64, outcome: &AttemptOutcome) -> Result<()> {
        self.write_recorded(|tx, _, events| record_attempt(tx, delivery, time_ms, outcome, events))
    }

    fn acknowledge(
        &self,
        key: &AckKey,
        by: &str,
        at_ms: i64,
        actor: Option<&Actor>,
    ) -> Result<Option<(u64, u32)>> {
        self.write_recorded(|tx, _, events| {
            let acked = acknowledge(tx, key, by, at_ms)?;
            if let Some(id) = acked.first {
                events.push(super::journal::acknowledged(tx, id, by, at_ms, actor)?);
            }
            Ok(acked.found)
        })
    }

    fn notifications(
        &self,
        filter: &RegionFilter,
        warning: Option<u64>,
        before: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<NotificationRecord>> {
        self.read(|conn| notifications(conn, filter, warning, before, limit))
    }

    fn notification(&self, id: u64) -> Result<Option<NotificationRecord>> {
        self.read(|conn| notification(conn, id))
    }
}

pub(crate) fn upsert_recipients(tx: &Transaction, recipients: &[RecipientRecord]) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO recipients (id, name, sector, region, tier, exercises, language, endpoints, exercise_endpoints, updated_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
         sector = excluded.sector, region = excluded.region, tier = excluded.tier, exercises = excluded.exercises, \
         language = excluded.language, endpoints = excluded.endpoints, exercise_endpoints = excluded.exercise_endpoints, \
         updated_ms = excluded.updated_ms",
    )?;
    for r in recipients {
        stmt.execute(params![
            r.id,
            r.name,
            r.sector,
            r.region,
            r.tier,
            r.exercises,
            r.language,
            r.endpoints,
            r.exercise_endpoints,
            r.updated_ms
        ])?;
    }
    Ok(())
}

pub(crate) fn recipients(conn: &Connection) -> Result<Vec<RecipientRecord>> {
    let sql = "SELECT id, name, sector, region, tier, exercises, language, endpoints, exercise_endpoints, updated_ms \
               FROM recipients ORDER BY id";
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| {
        Ok(RecipientRecord {
            id: r.get(0)?,
            name: r.get(1)?,
            sector: r.get(2)?,
            region: r.get(3)?,
            tier: r.get(4)?,
            exercises: r.get(5)?,
            language: r.get(6)?,
            endpoints: r.get(7)?,
            exercise_endpoints: r.get(8)?,
            updated_ms: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(crate) fn insert_silence(tx: &Transaction, s: &SilenceRecord) -> Result<u64> {
    tx.execute(
        "INSERT INTO silences (matchers, recipient, starts_ms, ends_ms, author, reason, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![s.matchers, s.recipient, s.starts_ms, s.ends_ms, s.author, s.reason, s.created_ms],
    )?;
    Ok(tx.last_insert_rowid() as u64)
}

/// Ends a silence now (its end time moves to `at`); false when it was not in force.
pub(crate) fn expire_silence(tx: &Transaction, id: u64, by: &str, at: i64) -> Result<bool> {
    let changed = tx.execute(
        "UPDATE silences SET expired_by = ?2, expired_ms = ?3, ends_ms = min(ends_ms, ?3) WHERE id = ?1 AND expired_ms IS NULL AND ends_ms > ?3",
        params![id as i64, by, at],
    )?;
    Ok(changed > 0)
}

pub(crate) fn silences(conn: &Connection) -> Result<Vec<SilenceRecord>> {
    let sql = "SELECT id, matchers, recipient, starts_ms, ends_ms, author, reason, created_ms, expired_by, expired_ms FROM silences ORDER BY id";
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| {
        Ok(SilenceRecord {
            id: r.get::<_, i64>(0)? as u64,
            matchers: r.get(1)?,
            recipient: r.get(2)?,
            starts_ms: r.get(3)?,
            ends_ms: r.get(4)?,
            author: r.get(5)?,
            reason: r.get(6)?,
            created_ms: r.get(7)?,
            expired_by: r.get(8)?,
            expired_ms: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Stores notifications and their deliveries (due at once) with the dispatcher's state.
pub(crate) fn record_notifications(
    tx: &Transaction,
    notifications: &[NewNotification],
    state: &str,
    events: &mut Vec<Event>,
) -> Result<()> {
    let mut note = tx.prepare_cached(
        "INSERT INTO notifications (recipient, warning, version, province, reason, suppressed, needs_ack, created_ms, ack_token) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let mut delivery = tx.prepare_cached(
        "INSERT OR IGNORE INTO deliveries (notification, endpoint, idempotency_key, state, attempts, next_attempt_ms) \
         VALUES (?1, ?2, ?3, 'pending', 0, ?4)",
    )?;
    for n in notifications {
        let suppressed = n.suppressed.as_ref().map(to_json).transpose()?;
        note.execute(params![
            n.recipient,
            n.warning as i64,
            n.version,
            n.province,
            to_json(&n.reason)?,
            suppressed,
            n.needs_ack,
            n.created_ms,
            n.ack_token
        ])?;
        let id = tx.last_insert_rowid();
        let mut deliveries = 0;
        for (endpoint, key) in &n.deliveries {
            deliveries += delivery.execute(params![id, endpoint, key, n.created_ms])? as u32;
        }
        events.push(super::journal::notification_queued(
            tx,
            (id as u64, deliveries),
            n,
        )?);
    }
    save_state(tx, state)
}

/// A typed value as the JSON its column keeps.
fn to_json(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("not JSON: {e}")))
}

pub(crate) fn save_state(tx: &Transaction, state: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO dispatch_state (id, state) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET state = excluded.state",
        [state],
    )?;
    Ok(())
}

pub(crate) fn state(conn: &Connection) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT state FROM dispatch_state WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?)
}

pub(crate) fn due_deliveries(
    conn: &Connection,
    now_ms: i64,
    limit: usize,
) -> Result<Vec<DueDelivery>> {
    let sql = "SELECT d.id, d.notification, n.recipient, n.warning, n.version, d.endpoint, d.idempotency_key, d.attempts, \
               n.needs_ack, n.ack_token FROM deliveries d JOIN notifications n ON n.id = d.notification \
               WHERE d.state = 'pending' AND d.next_attempt_ms <= ?1 ORDER BY d.next_attempt_ms, d.id LIMIT ?2";
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params![now_ms, limit as i64], |r| {
        Ok(DueDelivery {
            id: r.get::<_, i64>(0)? as u64,
            notification: r.get::<_, i64>(1)? as u64,
            recipient: r.get(2)?,
            warning: r.get::<_, i64>(3)? as u64,
            version: r.get(4)?,
            endpoint: r.get(5)?,
            idempotency_key: r.get(6)?,
            attempts: r.get(7)?,
            needs_ack: r.get(8)?,
            ack_token: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Records one attempt and journals it.
pub(crate) fn record_attempt(
    tx: &Transaction,
    delivery: u64,
    time_ms: i64,
    outcome: &AttemptOutcome,
    events: &mut Vec<tocsin_core::change::Event>,
) -> Result<()> {
    let attempts: u32 = tx.query_row(
        "SELECT attempts FROM deliveries WHERE id = ?1",
        [delivery as i64],
        |r| r.get(0),
    )?;
    let attempt = attempts + 1;
    let (text, error, state, next) = match outcome {
        AttemptOutcome::Delivered => ("delivered", None, "delivered", None),
        AttemptOutcome::Failed {
            reason,
            retry_ms: Some(at),
        } => ("failed", Some(reason), "pending", Some(*at)),
        AttemptOutcome::Failed {
            reason,
            retry_ms: None,
        } => ("failed", Some(reason), "failed", None),
    };
    tx.execute(
        "INSERT INTO delivery_attempts (delivery, attempt, time_ms, outcome, error) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![delivery as i64, attempt, time_ms, text, error],
    )?;
    let delivered = (state == "delivered").then_some(time_ms);
    tx.execute(
        "UPDATE deliveries SET attempts = ?2, state = ?3, next_attempt_ms = ?4, last_error = ?5, delivered_ms = ?6 WHERE id = ?1",
        params![delivery as i64, attempt, state, next, error, delivered],
    )?;
    events.push(super::journal::delivery_attempted(
        tx, delivery, attempt, time_ms, text, error,
    )?);
    Ok(())
}

/// What an acknowledgement found: the notification's warning and version (`None`: no such
/// notification), and its id when this was its first acknowledgement (the one that counts).
pub(crate) struct Acked {
    pub found: Option<(u64, u32)>,
    pub first: Option<i64>,
}

/// Records an acknowledgement.
pub(crate) fn acknowledge(tx: &Transaction, key: &AckKey, by: &str, at: i64) -> Result<Acked> {
    let (condition, value): (&str, rusqlite::types::Value) = match key {
        AckKey::Id(id) => ("id = ?1", (*id as i64).into()),
        AckKey::Token(token) => ("ack_token = ?1", token.clone().into()),
    };
    let found: Option<(i64, i64, u32)> = tx
        .query_row(
            &format!("SELECT id, warning, version FROM notifications WHERE {condition}"),
            [&value],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let first = tx.execute(
        &format!("UPDATE notifications SET acked_by = ?2, acked_ms = ?3 WHERE {condition} AND acked_ms IS NULL"),
        params![value, by, at],
    )? == 1;
    Ok(Acked {
        found: found.map(|(_, w, v)| (w as u64, v)),
        first: found.filter(|_| first).map(|(id, _, _)| id),
    })
}

pub(crate) fn notifications(
    conn: &Connection,
    filter: &RegionFilter,
    warning: Option<u64>,
    before: Option<&Cursor>,
    limit: usize,
) -> Result<Vec<NotificationRecord>> {
    let hazards = super::scope::hazards(
        filter,
        "(SELECT v.hazard FROM warning_versions v WHERE v.warning = notifications.warning LIMIT 1)",
        4,
    );
    let (after, cursor) = keyset(before, &NOTIFICATION_ORDER, 4 + hazards.len());
    let sql = format!(
        "SELECT id, recipient, warning, version, province, reason, suppressed, needs_ack, created_ms, acked_by, acked_ms \
         FROM notifications WHERE (?1 IS NULL OR province = ?1) AND (?2 IS NULL OR warning = ?2) AND {} \
         AND {after} ORDER BY {} LIMIT ?3",
        hazards.sql,
        newest_first(&NOTIFICATION_ORDER),
    );
    let mut args = vec![
        Value::from(filter.root.province().map(str::to_owned)),
        Value::from(warning.map(|w| w as i64)),
        Value::Integer(limit as i64),
    ];
    hazards.append_to(&mut args);
    args.extend(cursor);
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), notification_from_row)?;
    let mut found = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    for n in &mut found {
        n.deliveries = deliveries_of(conn, n.id)?;
    }
    Ok(found)
}

/// The order of the notification record: newest first.
const NOTIFICATION_ORDER: [&str; 2] = ["created_ms", "id"];

pub(crate) fn notification(conn: &Connection, id: u64) -> Result<Option<NotificationRecord>> {
    let sql = "SELECT id, recipient, warning, version, province, reason, suppressed, needs_ack, created_ms, acked_by, acked_ms \
               FROM notifications WHERE id = ?1";
    let Some(mut found) = conn
        .query_row(sql, [id as i64], notification_from_row)
        .optional()?
    else {
        return Ok(None);
    };
    found.deliveries = deliveries_of(conn, id)?;
    Ok(Some(found))
}

/// Every notification with how many deliveries it has, and whether its id is `first` or
/// later (journaled since it was made).
pub(crate) fn notifications_since(
    conn: &Connection,
    first: i64,
) -> Result<Vec<(NotificationRecord, u32, bool)>> {
    let mut stmt = conn.prepare(
        "SELECT id, recipient, warning, version, province, reason, suppressed, needs_ack, created_ms, acked_by, acked_ms, \
         (SELECT count(*) FROM deliveries d WHERE d.notification = n.id), id >= ?1 \
         FROM notifications n ORDER BY id",
    )?;
    let rows = stmt.query_map([first], |r| {
        Ok((notification_from_row(r)?, r.get(11)?, r.get(12)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn notification_from_row(r: &Row) -> rusqlite::Result<NotificationRecord> {
    Ok(NotificationRecord {
        id: r.get::<_, i64>(0)? as u64,
        recipient: r.get(1)?,
        warning: r.get::<_, i64>(2)? as u64,
        version: r.get(3)?,
        province: r.get(4)?,
        reason: r.get(5)?,
        suppressed: r.get(6)?,
        needs_ack: r.get(7)?,
        created_ms: r.get(8)?,
        acked_by: r.get(9)?,
        acked_ms: r.get(10)?,
        deliveries: Vec::new(),
    })
}

fn deliveries_of(conn: &Connection, notification: u64) -> Result<Vec<DeliveryRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, endpoint, idempotency_key, state, delivered_ms FROM deliveries WHERE notification = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([notification as i64], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            DeliveryRecord {
                endpoint: r.get(1)?,
                idempotency_key: r.get(2)?,
                state: r.get(3)?,
                delivered_ms: r.get(4)?,
                attempts: Vec::new(),
            },
        ))
    })?;
    let mut found = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    let mut attempts = conn.prepare_cached(
        "SELECT attempt, time_ms, outcome, error FROM delivery_attempts WHERE delivery = ?1 ORDER BY attempt",
    )?;
    for (id, delivery) in &mut found {
        let rows = attempts.query_map([*id], |r| {
            Ok(AttemptRecord {
                attempt: r.get(0)?,
                time_ms: r.get(1)?,
                outcome: r.get(2)?,
                error: r.get(3)?,
            })
        })?;
        delivery.attempts = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    }
    Ok(found.into_iter().map(|(_, d)| d).collect())
}
