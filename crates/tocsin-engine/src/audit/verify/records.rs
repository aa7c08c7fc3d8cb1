//! The records journal entries name, held against the entries: each stored record named by an
//! entry with the same fields, each entry's record still stored.

use super::VerifyError;
use super::accounts::{LaterState, differing_token, differing_user};
use super::fields::{
    differing_ack, differing_alert, differing_attempt, differing_entry, differing_field,
    differing_funds, differing_notification, differing_silence, differing_silence_end,
    differing_stock, differing_version,
};
use super::incidents::{
    differing_booking, differing_closure, differing_incident, differing_release, differing_role,
    differing_task_end, raised_level,
};
use super::settings::{
    differing_auto_release, differing_external_alert, differing_holder, differing_minimum,
    differing_recipient, differing_registry, differing_resource, differing_station,
    differing_subscription,
};
use std::collections::BTreeMap;
use tocsin_core::change::{Change, Event};
use tocsin_store::{JournaledRecords, Store};

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
    Incident(u64),
    /// The latest raise of an incident's level.
    IncidentLevel(u64),
    IncidentClosure(u64),
    Assignment(u64),
    Release(u64),
    /// The end of a task of an incident.
    TaskEnd(u64, String),
    /// The latest holder of a command role of an incident.
    Role(u64, String),
    Recipient(String),
    StockMinimum(String, String),
    /// A fund or warehouse, by kind and id.
    Holder(String, String),
    AutoRelease(String),
    Subscription(u64),
    SubscriptionRemoval(u64),
    ExternalAlert(u64),
    Resource(String),
    Station(String),
    /// The registry of units and successions, as the last import or change left it.
    Registry,
}

impl Named {
    /// The records an event names (batches of observations are checked by their own table's
    /// triggers and counts, not here).
    pub(super) fn of(change: &Change) -> Vec<Named> {
        match change {
            Change::TasksEnded {
                incident, tasks, ..
            } => tasks
                .iter()
                .map(|task| Named::TaskEnd(*incident, task.clone()))
                .collect(),
            Change::ResourcesReleased { assignments, .. } => {
                assignments.iter().copied().map(Named::Release).collect()
            }
            _ => Named::one_of(change).into_iter().collect(),
        }
    }

    /// The record an event that names one record names.
    fn one_of(change: &Change) -> Option<Named> {
        Some(match change {
            Change::LevelChanged { detection, .. } if *detection > 0 => {
                Named::Detection(*detection)
            }
            Change::AlertReleased {
                warning, version, ..
            } => Named::Alert(*warning, *version),
            Change::NotificationAcknowledged { notification, .. } => {
                Named::Acknowledgement(*notification)
            }
            Change::IncidentNoted { entry, .. } => Named::TimelineEntry(*entry),
            Change::DeliveryAttempted {
                delivery, attempt, ..
            } => Named::Attempt(*delivery, *attempt),
            Change::SilenceSet { silence, .. } => Named::Silence(*silence),
            Change::SilenceEnded { silence, .. } => Named::SilenceEnd(*silence),
            Change::VersionDrafted {
                warning, version, ..
            } => Named::Version(*warning, *version),
            Change::NotificationQueued { notification, .. } => Named::Notification(*notification),
            Change::StockPosted { posting, .. } => Named::StockPosting(*posting),
            Change::FundsPosted { posting, .. } => Named::FundPosting(*posting),
            Change::TokenIssued { token, .. } => Named::Token(token.clone()),
            Change::UserAdded { user, .. } => Named::User(*user),
            Change::UserDisabled { user, .. } => Named::UserDisabled(*user),
            Change::PasswordChanged { user, .. } => Named::Password(*user),
            Change::IncidentOpened { incident, .. } => Named::Incident(*incident),
            Change::IncidentRaised { incident, .. } => Named::IncidentLevel(*incident),
            Change::IncidentClosed { incident, .. } => Named::IncidentClosure(*incident),
            Change::ResourceBooked { assignment, .. } => Named::Assignment(*assignment),
            Change::IncidentRoleSet { incident, role, .. } => Named::Role(*incident, role.clone()),
            Change::RecipientSet { recipient, .. } => Named::Recipient(recipient.clone()),
            Change::StockMinimumSet {
                warehouse, item, ..
            } => Named::StockMinimum(warehouse.clone(), item.clone()),
            Change::HolderSet { holder, id, .. } => Named::Holder(holder.clone(), id.clone()),
            Change::AutoReleaseSet { hazard, .. } => Named::AutoRelease(hazard.clone()),
            Change::SubscriptionAdded { subscription, .. } => Named::Subscription(*subscription),
            Change::SubscriptionRemoved { subscription } => {
                Named::SubscriptionRemoval(*subscription)
            }
            Change::ExternalAlertStored { alert, .. } => Named::ExternalAlert(*alert),
            Change::ResourceSet { resource, .. } => Named::Resource(resource.clone()),
            Change::StationSet { station, .. } => Named::Station(station.clone()),
            Change::RegistryImported { .. } | Change::RegionChanged { .. } => Named::Registry,
            _ => return None,
        })
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
            Named::Incident(id) => format!("incident {id}"),
            Named::IncidentLevel(id) => format!("level of incident {id}"),
            Named::IncidentClosure(id) => format!("closing of incident {id}"),
            Named::Assignment(id) => format!("assignment {id}"),
            Named::Release(id) => format!("release of assignment {id}"),
            Named::TaskEnd(incident, task) => format!("end of task {task} of incident {incident}"),
            Named::Role(incident, role) => format!("role {role} of incident {incident}"),
            Named::Recipient(id) => format!("recipient {id}"),
            Named::StockMinimum(warehouse, item) => {
                format!("minimum of {item} in warehouse {warehouse}")
            }
            Named::Holder(holder, id) => format!("{holder} {id}"),
            Named::AutoRelease(hazard) => format!("automatic release of {hazard}"),
            Named::Subscription(id) => format!("subscription {id}"),
            Named::SubscriptionRemoval(id) => format!("removal of subscription {id}"),
            Named::ExternalAlert(id) => format!("external alert {id}"),
            Named::Resource(id) => format!("resource {id}"),
            Named::Station(id) => format!("station {id}"),
            Named::Registry => "the registry of units".into(),
        }
    }
}

/// An entry that names a record: its index and event.
pub(super) struct Journaled {
    pub(super) index: u64,
    pub(super) event: Event,
}

/// The stored records held against the entries that name them, as they are read.
struct Held<'a> {
    journaled: &'a BTreeMap<Named, Journaled>,
    /// Each record, whether an entry must name it, and the first field its entry disagrees on.
    rows: Vec<(Named, bool, Option<&'static str>)>,
}

impl Held<'_> {
    /// Holds the record `named` against its entry, if any, by `differ`.
    fn hold(
        &mut self,
        named: Named,
        checked: bool,
        differ: &dyn Fn(&Event) -> Option<&'static str>,
    ) {
        let field = self.journaled.get(&named).and_then(|j| differ(&j.event));
        self.rows.push((named, checked, field));
    }

    /// A record held through another one: its entry is accounted for, never reported.
    fn held_above(&mut self, named: Named) {
        self.hold(named, false, &|_| None);
    }

    fn warnings_and_dispatch(&mut self, stored: &JournaledRecords) {
        for (id, detection) in &stored.detections {
            self.hold(Named::Detection(*id), true, &|e| {
                differing_field(e, detection)
            });
        }
        for alert in &stored.alerts {
            let named = Named::Alert(alert.warning, alert.version);
            self.hold(named, alert.checked, &|e| differing_alert(e, alert));
        }
        for ack in &stored.acknowledgements {
            let named = Named::Acknowledgement(ack.notification);
            self.hold(named, ack.checked, &|e| differing_ack(e, ack));
        }
        for row in &stored.attempts {
            let named = Named::Attempt(row.delivery, row.attempt);
            self.hold(named, row.checked, &|e| differing_attempt(e, row));
        }
        for (silence, checked) in &stored.silences {
            self.hold(Named::Silence(silence.id), *checked, &|e| {
                differing_silence(e, silence)
            });
            if silence.expired_by.is_some() {
                self.hold(Named::SilenceEnd(silence.id), *checked, &|e| {
                    differing_silence_end(e, silence)
                });
            }
        }
        for (version, checked) in &stored.versions {
            let named = Named::Version(version.warning, version.number);
            self.hold(named, *checked, &|e| differing_version(e, version));
        }
        for (notification, deliveries, checked) in &stored.notifications {
            self.hold(Named::Notification(notification.id), *checked, &|e| {
                differing_notification(e, notification, *deliveries)
            });
        }
        for (recipient, checked) in &stored.recipients {
            self.hold(Named::Recipient(recipient.id.clone()), *checked, &|e| {
                differing_recipient(e, recipient)
            });
        }
    }

    fn ledgers_and_accounts(&mut self, stored: &JournaledRecords) {
        for (id, posting, checked) in &stored.stock {
            self.hold(Named::StockPosting(*id), *checked, &|e| {
                differing_stock(e, posting)
            });
        }
        for (id, posting, checked) in &stored.funds {
            self.hold(Named::FundPosting(*id), *checked, &|e| {
                differing_funds(e, posting)
            });
        }
        for (warehouse, item, minimum, checked) in &stored.stock_minimums {
            let named = Named::StockMinimum(warehouse.clone(), item.clone());
            self.hold(named, *checked, &|e| differing_minimum(e, *minimum));
        }
        for (token, checked) in &stored.tokens {
            self.hold(Named::Token(token.id.clone()), *checked, &|e| {
                differing_token(e, token)
            });
        }
        for (user, checked) in &stored.users {
            let later = LaterState::of(self.journaled, user.id);
            self.hold(Named::User(user.id), *checked, &|e| {
                differing_user(e, user, &later)
            });
            self.held_above(Named::UserDisabled(user.id));
            self.held_above(Named::Password(user.id));
        }
    }

    fn incidents(&mut self, stored: &JournaledRecords) {
        for row in &stored.timeline {
            self.hold(Named::TimelineEntry(row.id), row.checked, &|e| {
                differing_entry(e, row)
            });
        }
        for (detail, checked) in &stored.incidents {
            let (incident, checked) = (&detail.incident, *checked);
            let id = incident.id;
            let raised = raised_level(self.journaled, id);
            self.hold(Named::Incident(id), checked, &|e| {
                differing_incident(e, incident, raised, checked)
            });
            self.held_above(Named::IncidentLevel(id));
            if incident.closed_ms.is_some() {
                self.hold(Named::IncidentClosure(id), checked, &|e| {
                    differing_closure(e, incident)
                });
            }
            for assignment in &detail.assignments {
                self.hold(Named::Assignment(assignment.id), checked, &|e| {
                    differing_booking(e, id, assignment)
                });
                if let Some(released_ms) = assignment.released_ms {
                    self.hold(Named::Release(assignment.id), checked, &|e| {
                        differing_release(e, released_ms)
                    });
                }
            }
            for task in detail.tasks.iter().filter(|t| t.status != "open") {
                let named = Named::TaskEnd(id, task.task.clone());
                self.hold(named, checked, &|e| differing_task_end(e, task));
            }
            for (role, holder) in &detail.roles {
                let named = Named::Role(id, role.clone());
                self.hold(named, checked, &|e| differing_role(e, holder));
            }
        }
    }
}

impl Held<'_> {
    fn settings(&mut self, stored: &JournaledRecords) {
        for holder in &stored.holders {
            let named = Named::Holder(holder.holder.clone(), holder.id.clone());
            self.hold(named, holder.checked, &|e| differing_holder(e, holder));
        }
        for (hazard, max_level, set_by, checked) in &stored.auto_release {
            self.hold(Named::AutoRelease(hazard.clone()), *checked, &|e| {
                differing_auto_release(e, *max_level, set_by)
            });
        }
        for (subscription, checked) in &stored.subscriptions {
            let added = Named::Subscription(subscription.id);
            let removal = Named::SubscriptionRemoval(subscription.id);
            let index = |named| self.journaled.get(named).map(|j: &Journaled| j.index);
            // An id the store gave again after a removal: the removal ended its earlier life.
            let removed = match (index(&added), index(&removal)) {
                (Some(added), Some(removed)) if removed < added => {
                    self.held_above(removal);
                    false
                }
                (_, removed) => removed.is_some(),
            };
            self.hold(added, *checked, &|e| {
                differing_subscription(e, subscription, removed)
            });
        }
        for (alert, checked) in &stored.external_alerts {
            self.hold(Named::ExternalAlert(alert.id), *checked, &|e| {
                differing_external_alert(e, alert)
            });
        }
        for (resource, checked) in &stored.resources {
            self.hold(Named::Resource(resource.id.clone()), *checked, &|e| {
                differing_resource(e, resource)
            });
        }
        for (station, province, checked) in &stored.stations {
            self.hold(Named::Station(station.id.clone()), *checked, &|e| {
                differing_station(e, station, province.as_deref())
            });
        }
        // A registry imported before imports were journaled is named by no entry.
        self.hold(Named::Registry, false, &|e| {
            differing_registry(e, &stored.registry_sha256)
        });
        self.gone_as_journaled(stored);
    }

    /// What the journal says is gone and is not stored: a subscription removed (with the entry
    /// that added it), automatic release turned off.
    fn gone_as_journaled(&mut self, stored: &JournaledRecords) {
        let journaled = self.journaled;
        for (named, entry) in journaled {
            match (named, &entry.event.change) {
                (Named::SubscriptionRemoval(id), _)
                    if !stored.subscriptions.iter().any(|(s, _)| s.id == *id) =>
                {
                    let added = Named::Subscription(*id);
                    // Unless the id was given again after this removal: that one's entry stands.
                    if journaled.get(&added).is_none_or(|a| a.index < entry.index) {
                        self.held_above(added);
                    }
                    self.held_above(named.clone());
                }
                (Named::AutoRelease(hazard), Change::AutoReleaseSet { max_level: 0, .. })
                    if !stored.auto_release.iter().any(|(h, ..)| h == hazard) =>
                {
                    self.held_above(named.clone());
                }
                _ => {}
            }
        }
    }
}

/// Every record the journal names against its entry, and every record made since its kind is
/// journaled against the entries: a record no entry names was written outside the node, an
/// entry whose record is gone names a deletion.
pub(super) fn check_records(
    store: &dyn Store,
    mut journaled: BTreeMap<Named, Journaled>,
) -> Result<usize, VerifyError> {
    let stored = store.journaled_records()?;
    let mut held = Held {
        journaled: &journaled,
        rows: Vec::new(),
    };
    held.warnings_and_dispatch(&stored);
    held.ledgers_and_accounts(&stored);
    held.incidents(&stored);
    held.settings(&stored);
    let rows = held.rows;
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
