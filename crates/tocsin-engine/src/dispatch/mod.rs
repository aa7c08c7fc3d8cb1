//! The dispatch desk: released warning versions become notices for the dispatcher
//! ([`tocsin_core::dispatch`]); its notifications are stored with one delivery per endpoint of
//! their recipient — the durable outbox — in the same transaction as the dispatcher's state;
//! the due deliveries are attempted through the channels, each attempt recorded, failures
//! retried with exponential backoff under the same idempotency key, so a retry is never a
//! second alert and a restart loses nothing. Acknowledgements (over the API or from the link in
//! the message) stop the escalation.

mod delivery;
mod recipients;

use crate::channels::{ChannelSettings, Endpoint};
use crate::error::{EngineError, Result};
use recipients::{entry_of, silence_of};
use std::sync::{Arc, Mutex};
use tocsin_core::Clock;
use tocsin_core::dispatch::route::Policy;
use tocsin_core::dispatch::{Dispatcher, Notice, Notification, Recipient};
use tocsin_core::warning::Draft;
use tocsin_store::{AckKey, NewNotification, Store, StoreError, VersionRecord};

/// The built-in dissemination policy (`catalog/dispatch.toml`).
pub const BUILTIN_POLICY: &str = include_str!("../../../../catalog/dispatch.toml");

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
