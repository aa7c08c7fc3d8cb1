//! The dispatch desk: released warning versions become notices for the dispatcher
//! ([`tocsin_core::dispatch`]); its notifications are stored with one delivery per endpoint of
//! their recipient — the durable outbox — in the same transaction as the dispatcher's state;
//! the due deliveries are attempted through the channels, each attempt recorded, failures
//! retried with exponential backoff under the same idempotency key, so a retry is never a
//! second alert and a restart loses nothing. Acknowledgements (over the API or from the link in
//! the message) stop the escalation.

use crate::channels::{ChannelSettings, Endpoint, Message, deliver};
use crate::error::{EngineError, RecordError, Result};
use std::sync::{Arc, Mutex};
use tocsin_core::Clock;
use tocsin_core::change::Actor;
use tocsin_core::dispatch::route::Policy;
use tocsin_core::dispatch::{Dispatcher, Notice, Notification, Recipient, Silence, Tier};
use tocsin_core::warning::Draft;
use tocsin_store::{
    AckKey, AttemptOutcome, DueDelivery, NewNotification, RecipientRecord, SilenceRecord, Store,
    StoreError, VersionRecord,
};

/// The built-in dissemination policy (`catalog/dispatch.toml`).
pub const BUILTIN_POLICY: &str = include_str!("../../../catalog/dispatch.toml");

/// Attempts before a delivery is given up (about a day with the backoff below).
pub const MAX_ATTEMPTS: u32 = 16;

/// How dissemination behaves on this node.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    pub policy: Policy,
    pub channels: ChannelSettings,
    /// The base URL recipients open acknowledgement links at.
    pub public_url: String,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        DispatchSettings {
            policy: read_policy(BUILTIN_POLICY)
                .expect("the built-in dispatch policy is checked by its tests"),
            channels: ChannelSettings {
                smtp: None,
                timeout: std::time::Duration::from_secs(10),
            },
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}

/// Reads a dissemination policy (TOML), naming what is wrong.
pub fn read_policy(text: &str) -> std::result::Result<Policy, String> {
    toml::from_str(text).map_err(|e| e.to_string())
}

/// A recipient with its endpoints and language, as imported.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RecipientEntry {
    #[serde(flatten)]
    pub recipient: Recipient,
    /// `vi` (default) or `en`.
    #[serde(default = "default_language")]
    pub language: String,
    /// Where actual notices go.
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
    /// The channels marked for exercises: where exercise and test notices go, and only there
    /// (a drill never reaches a channel of actual warnings).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exercise_endpoints: Vec<Endpoint>,
}

impl RecipientEntry {
    /// The recipient as it may be shown: every endpoint's secrets replaced.
    pub fn redacted(&self) -> RecipientEntry {
        let shown = |endpoints: &[Endpoint]| endpoints.iter().map(Endpoint::redacted).collect();
        RecipientEntry {
            recipient: self.recipient.clone(),
            language: self.language.clone(),
            endpoints: shown(&self.endpoints),
            exercise_endpoints: shown(&self.exercise_endpoints),
        }
    }
}

fn default_language() -> String {
    "vi".into()
}

/// The dispatcher, its store and the channels.
pub struct DispatchDesk {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: DispatchSettings,
    dispatcher: Mutex<Dispatcher>,
    /// The recipients with their endpoints, as last read from the store.
    entries: std::sync::RwLock<Arc<Vec<RecipientEntry>>>,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> EngineError {
    EngineError::Store(StoreError::Corrupt(format!("{what}: {e}")))
}

impl DispatchDesk {
    /// A desk with the stored recipients, silences and dispatcher state.
    pub fn open(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: DispatchSettings,
    ) -> Result<DispatchDesk> {
        let mut dispatcher = Dispatcher::new(settings.policy.clone(), Vec::new());
        if let Some(state) = store.dispatch_state()? {
            dispatcher.state =
                serde_json::from_str(&state).map_err(|e| corrupt("dispatch state", e))?;
        }
        let desk = DispatchDesk {
            store,
            clock,
            settings,
            dispatcher: Mutex::new(dispatcher),
            entries: Default::default(),
        };
        desk.reload()?;
        Ok(desk)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Dispatcher> {
        self.dispatcher.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> i64 {
        self.clock.now().as_millisecond()
    }

    /// Reads recipients and silences from the store into the dispatcher (once per change, not
    /// per tick).
    fn reload(&self) -> Result<()> {
        let entries: Vec<RecipientEntry> = self
            .store
            .recipients()?
            .iter()
            .map(entry_of)
            .collect::<Result<_>>()?;
        let recipients = entries.iter().map(|e| e.recipient.clone()).collect();
        *self.entries.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(entries);
        let silences = self
            .store
            .silences()?
            .iter()
            .map(silence_of)
            .collect::<Result<Vec<_>>>()?;
        let mut dispatcher = self.lock();
        dispatcher.recipients = recipients;
        dispatcher.silences = silences;
        Ok(())
    }

    /// The routing policy in use.
    pub fn policy(&self) -> &Policy {
        &self.settings.policy
    }

    /// Every recipient with its endpoints.
    pub fn entries(&self) -> Arc<Vec<RecipientEntry>> {
        self.entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Creates or replaces recipients (all or nothing): ids once each, every endpoint checked.
    pub fn set_recipients(&self, entries: &[RecipientEntry]) -> Result<()> {
        let mut problems: Vec<RecordError> =
            crate::batch::repeated_ids(entries.iter().map(|e| e.recipient.id.as_str()))
                .into_iter()
                .map(|(id, reason)| RecordError::new(format!("recipient {id}"), "id", reason))
                .collect();
        for entry in entries {
            problems.extend(endpoint_problems(entry));
        }
        if !problems.is_empty() {
            return Err(EngineError::InvalidRecords(problems));
        }
        // Channels marked for exercises on a recipient that takes none would never be used.
        if let Some(idle) = entries
            .iter()
            .find(|e| !e.recipient.exercises && !e.exercise_endpoints.is_empty())
        {
            return Err(EngineError::Invalid(format!(
                "recipient {}: exercise_endpoints: only a drill participant (\"exercises\": true) takes exercise notices; nothing was stored",
                idle.recipient.id
            )));
        }
        let now = self.now();
        let records: Vec<RecipientRecord> = entries.iter().map(|e| record_of(e, now)).collect();
        self.store.upsert_recipients(&records)?;
        self.reload()
    }

    /// Adds a silence; its id.
    pub fn add_silence(&self, silence: &Silence, actor: &Actor) -> Result<u64> {
        let record = SilenceRecord {
            id: 0,
            matchers: serde_json::to_string(&silence.matchers).unwrap_or_default(),
            recipient: silence.recipient.clone(),
            starts_ms: silence.starts_ms,
            ends_ms: silence.ends_ms,
            author: silence.author.clone(),
            reason: silence.reason.clone(),
            created_ms: self.now(),
            expired_by: None,
            expired_ms: None,
        };
        let id = self.store.insert_silence(&record, actor)?;
        self.reload()?;
        Ok(id)
    }

    /// Ends a silence now; false when it was not in force.
    pub fn expire_silence(&self, id: u64, by: &str, actor: &Actor) -> Result<bool> {
        let ended = self.store.expire_silence(id, by, self.now(), actor)?;
        self.reload()?;
        Ok(ended)
    }

    /// Every silence, expired ones too.
    pub fn silences(&self) -> Result<Vec<SilenceRecord>> {
        Ok(self.store.silences()?)
    }

    /// A released version enters dissemination.
    pub fn released(&self, version: &VersionRecord, status: &str, concurrent: bool) -> Result<()> {
        let draft: Draft = serde_json::from_str(&version.draft).map_err(|e| corrupt("draft", e))?;
        let mut dispatcher = self.lock();
        let notice = Notice {
            warning: version.warning,
            version: version.number,
            sector: dispatcher.policy.sector_of(&version.hazard).to_string(),
            hazard: version.hazard.clone(),
            province: version.province.clone(),
            communes: communes_of(&draft, &version.province),
            level: version.level,
            status: status.to_string(),
            action: version.action.clone(),
            concurrent,
        };
        dispatcher.notice(notice, self.now());
        let state = serde_json::to_string(&dispatcher.state).unwrap_or_default();
        Ok(self.store.save_dispatch_state(&state)?)
    }

    /// Stores the notifications due now, with their deliveries; returns them.
    pub fn tick(&self) -> Result<Vec<Notification>> {
        let now = self.now();
        let entries = self.entries();
        let mut dispatcher = self.lock();
        let notifications = dispatcher.tick(now);
        if notifications.is_empty() {
            return Ok(notifications);
        }
        let rows: Vec<NewNotification> = notifications
            .iter()
            .map(|n| self.row(n, &entries))
            .collect::<Result<_>>()?;
        let state = serde_json::to_string(&dispatcher.state).unwrap_or_default();
        self.store.record_notifications(&rows, &state)?;
        Ok(notifications)
    }

    fn row(&self, n: &Notification, entries: &[RecipientEntry]) -> Result<NewNotification> {
        let endpoints = entries
            .iter()
            .find(|e| e.recipient.id == n.recipient)
            .map_or(&[][..], |e| {
                if n.exercise {
                    &e.exercise_endpoints[..]
                } else {
                    &e.endpoints[..]
                }
            });
        let token = crate::access::new_secret()
            .map_err(|e| EngineError::Invalid(format!("no randomness: {e}")))?
            .0;
        let deliveries = match n.suppressed {
            Some(_) => Vec::new(),
            None => endpoints
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    (
                        serde_json::to_string(e).unwrap_or_default(),
                        format!("tocsin-{token}-{i}"),
                    )
                })
                .collect(),
        };
        Ok(NewNotification {
            recipient: n.recipient.clone(),
            warning: n.warning,
            version: n.version,
            province: n.province.clone(),
            reason: n.reason.clone(),
            suppressed: n.suppressed.clone(),
            needs_ack: n.needs_ack,
            created_ms: n.time_ms,
            ack_token: token,
            deliveries,
        })
    }

    /// Attempts every delivery due now; returns how many were delivered.
    pub fn deliver_due(&self) -> Result<usize> {
        let now = self.now();
        let due = self.store.due_deliveries(now, 500)?;
        let entries = self.entries();
        let mut delivered = 0;
        for delivery in &due {
            let outcome = self.attempt(delivery, &entries, now);
            delivered += usize::from(outcome == AttemptOutcome::Delivered);
            self.store.record_attempt(delivery.id, now, &outcome)?;
        }
        Ok(delivered)
    }

    fn attempt(
        &self,
        delivery: &DueDelivery,
        entries: &[RecipientEntry],
        now: i64,
    ) -> AttemptOutcome {
        let endpoint: Endpoint = match serde_json::from_str(&delivery.endpoint) {
            Ok(endpoint) => endpoint,
            Err(e) => {
                return AttemptOutcome::Failed {
                    reason: format!("stored endpoint unreadable: {e}"),
                    retry_ms: None,
                };
            }
        };
        let language = entries
            .iter()
            .find(|e| e.recipient.id == delivery.recipient)
            .map_or("vi", |e| e.language.as_str());
        let message = match self.message(delivery, language, now) {
            Ok(message) => message,
            Err(e) => {
                return AttemptOutcome::Failed {
                    reason: e.to_string(),
                    retry_ms: None,
                };
            }
        };
        match deliver(&endpoint, &message, &self.settings.channels) {
            Ok(()) => AttemptOutcome::Delivered,
            Err(e) if e.retryable && delivery.attempts + 1 < MAX_ATTEMPTS => {
                AttemptOutcome::Failed {
                    reason: e.reason,
                    retry_ms: Some(now + backoff_ms(delivery.attempts)),
                }
            }
            Err(e) => AttemptOutcome::Failed {
                reason: e.reason,
                retry_ms: None,
            },
        }
    }

    /// The message of a delivery: the released alert, its text in the recipient's language
    /// (each channel adds the acknowledgement link its own way).
    fn message(&self, delivery: &DueDelivery, language: &str, now: i64) -> Result<Message> {
        let versions = self.store.warning_versions(delivery.warning)?;
        let version = versions
            .iter()
            .find(|v| v.number == delivery.version)
            .ok_or_else(|| {
                EngineError::NotFound(format!(
                    "warning {} has no version {}",
                    delivery.warning, delivery.version
                ))
            })?;
        let publication = version.publication.as_ref().ok_or_else(|| {
            EngineError::Conflict(format!(
                "version {} of warning {} was never released",
                version.number, version.warning
            ))
        })?;
        let alert = tocsin_cap::read(publication.cap_xml.as_bytes())
            .map_err(|f| corrupt("released alert", &f[0]))?
            .alert;
        let tag = if language == "en" { "en-US" } else { "vi-VN" };
        let info = alert
            .info
            .iter()
            .find(|i| i.language.as_deref() == Some(tag))
            .or(alert.info.first());
        let text = info.map(info_text).unwrap_or_default();
        let draft: Draft = serde_json::from_str(&version.draft).map_err(|e| corrupt("draft", e))?;
        let ack_url = delivery
            .needs_ack
            .then(|| format!("{}/ack/{}", self.settings.public_url, delivery.ack_token));
        let json = serde_json::json!({
            "warning": version.warning, "version": version.number, "hazard": version.hazard, "province": version.province,
            "level": version.level, "action": version.action, "identifier": publication.identifier,
            "areas": draft.areas.keys().collect::<Vec<_>>(), "ack_url": ack_url, "notification": delivery.notification,
        });
        Ok(Message {
            idempotency_key: delivery.idempotency_key.clone(),
            language: if language == "en" { "en" } else { "vi" }.into(),
            subject: info
                .and_then(|i| i.headline.clone())
                .unwrap_or_else(|| publication.identifier.clone()),
            text,
            cap_xml: publication.cap_xml.clone(),
            json: json.to_string(),
            province: version.province.clone(),
            communes: communes_of(&draft, &version.province),
            hazard: version.hazard.clone(),
            ack_url,
            attempted_at: jiff::Timestamp::from_millisecond(now).unwrap_or_default(),
        })
    }

    /// Records an acknowledgement by `actor` (`None`: the notification's recipient, through
    /// the link in its message) and stops the escalation of that warning version.
    pub fn acknowledge(
        &self,
        key: &AckKey,
        by: &str,
        actor: Option<&tocsin_core::change::Actor>,
    ) -> Result<(u64, u32)> {
        let (warning, version) = self
            .store
            .acknowledge(key, by, self.now(), actor)?
            .ok_or_else(|| EngineError::NotFound("no notification with this key".into()))?;
        let mut dispatcher = self.lock();
        dispatcher.acknowledge(warning, version);
        let state = serde_json::to_string(&dispatcher.state).unwrap_or_default();
        self.store.save_dispatch_state(&state)?;
        Ok((warning, version))
    }
}

/// The commune codes of a draft's areas (an area may be the province itself).
fn communes_of(draft: &Draft, province: &str) -> Vec<String> {
    draft
        .areas
        .keys()
        .filter(|c| *c != province)
        .cloned()
        .collect()
}

/// Seconds before the next attempt after `attempts` failures: 5 s doubling, at most 1 hour.
pub fn backoff_ms(attempts: u32) -> i64 {
    (5_000_i64 << attempts.min(20)).min(3_600_000)
}

/// The text of an info: headline, description, instruction.
fn info_text(info: &tocsin_cap::Info) -> String {
    [&info.headline, &info.description, &info.instruction]
        .into_iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn record_of(entry: &RecipientEntry, now: i64) -> RecipientRecord {
    let r = &entry.recipient;
    RecipientRecord {
        id: r.id.clone(),
        name: r.name.clone(),
        sector: r.sector.clone(),
        region: r.region.clone(),
        tier: r.tier.as_str().into(),
        exercises: r.exercises,
        language: entry.language.clone(),
        endpoints: serde_json::to_string(&entry.endpoints).unwrap_or_default(),
        exercise_endpoints: serde_json::to_string(&entry.exercise_endpoints).unwrap_or_default(),
        updated_ms: now,
    }
}

fn entry_of(record: &RecipientRecord) -> Result<RecipientEntry> {
    let tier = Tier::parse(&record.tier).ok_or_else(|| corrupt("recipient tier", &record.tier))?;
    let endpoints =
        serde_json::from_str(&record.endpoints).map_err(|e| corrupt("recipient endpoints", e))?;
    let exercise_endpoints = serde_json::from_str(&record.exercise_endpoints)
        .map_err(|e| corrupt("recipient exercise endpoints", e))?;
    Ok(RecipientEntry {
        recipient: Recipient {
            id: record.id.clone(),
            name: record.name.clone(),
            sector: record.sector.clone(),
            region: record.region.clone(),
            tier,
            exercises: record.exercises,
        },
        language: record.language.clone(),
        endpoints,
        exercise_endpoints,
    })
}

fn silence_of(record: &SilenceRecord) -> Result<Silence> {
    Ok(Silence {
        id: record.id,
        matchers: serde_json::from_str(&record.matchers)
            .map_err(|e| corrupt("silence matchers", e))?,
        recipient: record.recipient.clone(),
        starts_ms: record.starts_ms,
        ends_ms: record.ends_ms,
        author: record.author.clone(),
        reason: record.reason.clone(),
    })
}

/// Every endpoint of `entry` that cannot be reached, as `endpoints[i].field` or
/// `exercise_endpoints[i].field`.
fn endpoint_problems(entry: &RecipientEntry) -> Vec<RecordError> {
    let lists = [
        ("endpoints", &entry.endpoints),
        ("exercise_endpoints", &entry.exercise_endpoints),
    ];
    lists
        .into_iter()
        .flat_map(|(list, endpoints)| {
            endpoints
                .iter()
                .enumerate()
                .filter_map(move |(i, endpoint)| {
                    endpoint.check().err().map(|(field, reason)| {
                        RecordError::new(
                            format!("recipient {}", entry.recipient.id),
                            &format!("{list}[{i}].{field}"),
                            reason,
                        )
                    })
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_policy_reads_and_backoff_grows_to_an_hour() {
        let policy = read_policy(BUILTIN_POLICY).unwrap();
        assert_eq!(policy.sector_of("epidemic"), "health");
        assert!(policy.routes.len() >= 4);
        assert_eq!(
            (backoff_ms(0), backoff_ms(1), backoff_ms(30)),
            (5_000, 10_000, 3_600_000)
        );
    }
}
