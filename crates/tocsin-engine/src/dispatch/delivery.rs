//! Attempting the due deliveries: each message built from the released alert in the
//! recipient's language, sent through its channel, the outcome recorded and failures retried
//! with backoff.

use super::{DispatchDesk, MAX_ATTEMPTS, RecipientEntry, backoff_ms, communes_of, corrupt};
use crate::channels::{Endpoint, Message, deliver};
use crate::error::{EngineError, Result};
use tocsin_core::warning::Draft;
use tocsin_store::{AttemptOutcome, DueDelivery};

impl DispatchDesk {
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
