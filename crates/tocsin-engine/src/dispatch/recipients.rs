//! The recipients and silences the desk keeps: each recipient's endpoints checked before it is
//! stored, and both read back from their stored rows.

use super::{DispatchDesk, RecipientEntry, corrupt};
use crate::error::{EngineError, RecordError, Result};
use std::sync::Arc;
use tocsin_core::change::Actor;
use tocsin_core::dispatch::{Recipient, Silence, Tier};
use tocsin_store::{RecipientRecord, SilenceRecord};

impl DispatchDesk {
    /// Every recipient with its endpoints.
    pub fn entries(&self) -> Arc<Vec<RecipientEntry>> {
        self.entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Creates or replaces recipients (all or nothing): ids once each, every endpoint checked;
    /// journaled as `actor`'s.
    pub fn set_recipients(&self, entries: &[RecipientEntry], actor: &Actor) -> Result<()> {
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
        let shown: Vec<RecipientRecord> = entries
            .iter()
            .map(|e| record_of(&e.redacted(), now))
            .collect();
        self.store.upsert_recipients(&records, &shown, actor)?;
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

pub(super) fn entry_of(record: &RecipientRecord) -> Result<RecipientEntry> {
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

pub(super) fn silence_of(record: &SilenceRecord) -> Result<Silence> {
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
