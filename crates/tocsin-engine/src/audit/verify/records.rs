//! The records journal entries name, held against the entries: each stored record named by an
//! entry with the same fields, each entry's record still stored.

use super::VerifyError;
use super::accounts::{LaterState, differing_token, differing_user};
use super::fields::{
    differing_ack, differing_alert, differing_attempt, differing_entry, differing_field,
    differing_funds, differing_notification, differing_silence, differing_silence_end,
    differing_stock, differing_version,
};
use std::collections::BTreeMap;
use tocsin_core::change::{Change, Event};
use tocsin_store::Store;

/// A record an entry names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Named {
    Detection(i64),
    Alert(u64, u32),
    Acknowledgement(u64),
    TimelineEntry(i64),
    Attempt(u64, u32),
    Silence(u64),
    SilenceEnd(u64),
    Version(u64, u32),
    Notification(u64),
    StockPosting(u64),
    FundPosting(u64),
    Token(String),
    User(u64),
    /// The latest disabling (or enabling) of a user, and the latest password given.
    UserDisabled(u64),
    Password(u64),
}

impl Named {
    /// The record an event names, if it names one (batches of observations are checked by
    /// their own table's triggers and counts, not here).
    pub(super) fn of(change: &Change) -> Option<Named> {
        match change {
            Change::LevelChanged { detection, .. } if *detection > 0 => {
                Some(Named::Detection(*detection))
            }
            Change::AlertReleased {
                warning, version, ..
            } => Some(Named::Alert(*warning, *version)),
            Change::NotificationAcknowledged { notification, .. } => {
                Some(Named::Acknowledgement(*notification))
            }
            Change::IncidentNoted { entry, .. } => Some(Named::TimelineEntry(*entry)),
            Change::DeliveryAttempted {
                delivery, attempt, ..
            } => Some(Named::Attempt(*delivery, *attempt)),
            Change::SilenceSet { silence, .. } => Some(Named::Silence(*silence)),
            Change::SilenceEnded { silence, .. } => Some(Named::SilenceEnd(*silence)),
            Change::VersionDrafted {
                warning, version, ..
            } => Some(Named::Version(*warning, *version)),
            Change::NotificationQueued { notification, .. } => {
                Some(Named::Notification(*notification))
            }
            Change::StockPosted { posting, .. } => Some(Named::StockPosting(*posting)),
            Change::FundsPosted { posting, .. } => Some(Named::FundPosting(*posting)),
            Change::TokenIssued { token, .. } => Some(Named::Token(token.clone())),
            Change::UserAdded { user, .. } => Some(Named::User(*user)),
            Change::UserDisabled { user, .. } => Some(Named::UserDisabled(*user)),
            Change::PasswordChanged { user, .. } => Some(Named::Password(*user)),
            _ => None,
        }
    }

    fn describe(&self) -> String {
        match self {
            Named::Detection(id) => format!("detection {id}"),
            Named::Alert(warning, version) => {
                format!("alert of warning {warning} version {version}")
            }
            Named::Acknowledgement(id) => format!("acknowledgement of notification {id}"),
            Named::TimelineEntry(id) => format!("timeline entry {id}"),
            Named::Attempt(delivery, attempt) => {
                format!("attempt {attempt} of delivery {delivery}")
            }
            Named::Silence(id) => format!("silence {id}"),
            Named::SilenceEnd(id) => format!("end of silence {id}"),
            Named::Version(warning, version) => format!("version {version} of warning {warning}"),
            Named::Notification(id) => format!("notification {id}"),
            Named::StockPosting(id) => format!("stock posting {id}"),
            Named::FundPosting(id) => format!("fund posting {id}"),
            Named::Token(id) => format!("token {id}"),
            Named::User(id) => format!("user {id}"),
            Named::UserDisabled(id) => format!("disabling of user {id}"),
            Named::Password(id) => format!("password of user {id}"),
        }
    }
}

/// An entry that names a record: its index and event.
pub(super) struct Journaled {
    pub(super) index: u64,
    pub(super) event: Event,
}

/// Every record the journal names against its entry, and every record made since its kind is
/// journaled against the entries: a record no entry names was written outside the node, an
/// entry whose record is gone names a deletion.
pub(super) fn check_records(
    store: &dyn Store,
    mut journaled: BTreeMap<Named, Journaled>,
) -> Result<usize, VerifyError> {
    let stored = store.journaled_records()?;
    let mut rows: Vec<(Named, bool, Option<&'static str>)> = Vec::new();
    let mut differs =
        |named: Named, checked: bool, differ: &dyn Fn(&Event) -> Option<&'static str>| {
            let field = journaled.get(&named).and_then(|j| differ(&j.event));
            rows.push((named, checked, field));
        };
    for (id, detection) in &stored.detections {
        differs(Named::Detection(*id), true, &|e| {
            differing_field(e, detection)
        });
    }
    for alert in &stored.alerts {
        let named = Named::Alert(alert.warning, alert.version);
        differs(named, alert.checked, &|e| differing_alert(e, alert));
    }
    for ack in &stored.acknowledgements {
        let named = Named::Acknowledgement(ack.notification);
        differs(named, ack.checked, &|e| differing_ack(e, ack));
    }
    for row in &stored.timeline {
        differs(Named::TimelineEntry(row.id), row.checked, &|e| {
            differing_entry(e, row)
        });
    }
    for row in &stored.attempts {
        let named = Named::Attempt(row.delivery, row.attempt);
        differs(named, row.checked, &|e| differing_attempt(e, row));
    }
    for (silence, checked) in &stored.silences {
        differs(Named::Silence(silence.id), *checked, &|e| {
            differing_silence(e, silence)
        });
        if silence.expired_by.is_some() {
            differs(Named::SilenceEnd(silence.id), *checked, &|e| {
                differing_silence_end(e, silence)
            });
        }
    }
    for (version, checked) in &stored.versions {
        let named = Named::Version(version.warning, version.number);
        differs(named, *checked, &|e| differing_version(e, version));
    }
    for (notification, deliveries, checked) in &stored.notifications {
        differs(Named::Notification(notification.id), *checked, &|e| {
            differing_notification(e, notification, *deliveries)
        });
    }
    for (id, posting, checked) in &stored.stock {
        differs(Named::StockPosting(*id), *checked, &|e| {
            differing_stock(e, posting)
        });
    }
    for (id, posting, checked) in &stored.funds {
        differs(Named::FundPosting(*id), *checked, &|e| {
            differing_funds(e, posting)
        });
    }
    for (token, checked) in &stored.tokens {
        differs(Named::Token(token.id.clone()), *checked, &|e| {
            differing_token(e, token)
        });
    }
    for (user, checked) in &stored.users {
        let later = LaterState::of(&journaled, user.id);
        differs(Named::User(user.id), *checked, &|e| {
            differing_user(e, user, &later)
        });
        // Held above through the user's own row.
        differs(Named::UserDisabled(user.id), false, &|_| None);
        differs(Named::Password(user.id), false, &|_| None);
    }
    let count = rows.len();
    for (named, checked, field) in rows {
        match journaled.remove(&named) {
            Some(entry) => {
                if let Some(field) = field {
                    return Err(VerifyError::Record {
                        what: named.describe(),
                        reason: format!(
                            "its {field} is not what journal entry {} says: it was changed",
                            entry.index
                        ),
                    });
                }
            }
            None if checked => {
                return Err(VerifyError::Record {
                    what: named.describe(),
                    reason: "no journal entry names it: it was written outside the node".into(),
                });
            }
            None => {}
        }
    }
    if let Some((named, entry)) = journaled.into_iter().next() {
        return Err(VerifyError::Entry {
            index: entry.index,
            reason: format!("its {} is not stored: it was deleted", named.describe()),
        });
    }
    Ok(count)
}
