//! Who reads which entries of the journal: each kind of change belongs to the resource whose
//! read rule (`access::rule`) decides who reads the records it names, so that the journal shows
//! no one a change to what they may not read — a viewer no recipient's name, a province's
//! operator no account.

use crate::access::Resource;

/// Every kind of change, with the resource whose read rule decides who reads its entries.
pub const KINDS: [(&str, Resource); 38] = [
    ("observations_stored", Resource::Observations),
    ("level_changed", Resource::Detections),
    ("version_drafted", Resource::Warnings),
    ("alert_released", Resource::Warnings),
    ("auto_release_set", Resource::AutoRelease),
    ("notification_queued", Resource::Notifications),
    ("notification_acknowledged", Resource::Notifications),
    ("delivery_attempted", Resource::Notifications),
    ("silence_set", Resource::Silences),
    ("silence_ended", Resource::Silences),
    ("recipient_set", Resource::Recipients),
    ("stock_posted", Resource::Reserves),
    ("stock_minimum_set", Resource::Reserves),
    ("funds_posted", Resource::Funds),
    ("holder_set", Resource::LedgerHolders),
    ("token_issued", Resource::Users),
    ("user_added", Resource::Users),
    ("user_disabled", Resource::Users),
    ("password_changed", Resource::Users),
    ("signed_in", Resource::Users),
    ("incident_opened", Resource::Incidents),
    ("incident_noted", Resource::Incidents),
    ("incident_raised", Resource::Incidents),
    ("incident_role_set", Resource::Incidents),
    ("incident_closed", Resource::Incidents),
    ("resource_booked", Resource::Incidents),
    ("resources_released", Resource::Incidents),
    ("tasks_ended", Resource::Incidents),
    ("resource_set", Resource::Resources),
    ("subscription_added", Resource::Subscriptions),
    ("subscription_removed", Resource::Subscriptions),
    ("external_alert_stored", Resource::ExternalAlerts),
    ("registry_imported", Resource::Registry),
    ("region_changed", Resource::Registry),
    ("station_set", Resource::Stations),
    ("drill_started", Resource::Drills),
    ("drill_ended", Resource::Drills),
    ("drill_removed", Resource::Drills),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::{Change, Personal};
    use crate::dispatch::Reason;

    fn s() -> String {
        "x".into()
    }

    fn sealed() -> Personal {
        Personal::seal("x", [1; 16])
    }

    /// One change of every kind.
    fn one_of_each() -> Vec<Change> {
        let incident = |kind: &str| -> Change {
            match kind {
                "opened" => Change::IncidentOpened {
                    incident: 1,
                    hazard: s(),
                    area: s(),
                    level: 1,
                    tier: s(),
                    warning: None,
                    exercise: false,
                    source: s(),
                    title: sealed(),
                },
                "noted" => Change::IncidentNoted {
                    incident: 1,
                    entry: 1,
                    hazard: s(),
                    time_ms: 0,
                    note: s(),
                    text: sealed(),
                    by: s(),
                },
                "booked" => Change::ResourceBooked {
                    incident: 1,
                    hazard: s(),
                    assignment: 1,
                    request: 1,
                    resource: s(),
                    quantity: 1,
                    source: s(),
                },
                "role" => Change::IncidentRoleSet {
                    incident: 1,
                    hazard: s(),
                    role: s(),
                    holder: sealed(),
                },
                "closed" => Change::IncidentClosed {
                    incident: 1,
                    hazard: s(),
                    after_action_sha256: s(),
                },
                "raised" => Change::IncidentRaised {
                    incident: 1,
                    hazard: s(),
                    level: 2,
                },
                "ended" => Change::TasksEnded {
                    incident: 1,
                    hazard: s(),
                    tasks: vec![s()],
                    status: s(),
                },
                _ => Change::ResourcesReleased {
                    incident: 1,
                    hazard: s(),
                    assignments: vec![1],
                },
            }
        };
        let mut all: Vec<Change> = [
            "opened", "noted", "booked", "role", "closed", "raised", "ended", "released",
        ]
        .into_iter()
        .map(incident)
        .collect();
        all.extend([
            Change::ObservationsStored {
                first_seq: 1,
                stored: 1,
                duplicates: 0,
            },
            Change::LevelChanged {
                detection: 1,
                station: s(),
                rule: s(),
                hazard: s(),
                commune: None,
                from: 0,
                to: 1,
                time_ms: 0,
                value: s(),
                certainty: s(),
            },
            Change::VersionDrafted {
                warning: 1,
                version: 1,
                hazard: s(),
                action: s(),
                level: 1,
                made_ms: 0,
                draft_sha256: s(),
            },
            Change::AlertReleased {
                warning: 1,
                version: 1,
                hazard: s(),
                identifier: s(),
                cap_sha256: s(),
                released_by: s(),
            },
            Change::AutoReleaseSet {
                hazard: s(),
                max_level: 1,
                by: s(),
            },
            Change::NotificationQueued {
                notification: 1,
                recipient: s(),
                warning: 1,
                version: 1,
                hazard: s(),
                reason: Reason::Route { route: s() },
                suppressed: None,
                needs_ack: false,
                deliveries: 1,
            },
            Change::NotificationAcknowledged {
                notification: 1,
                warning: 1,
                version: 1,
                hazard: s(),
                by: sealed(),
            },
            Change::DeliveryAttempted {
                delivery: 1,
                attempt: 1,
                notification: 1,
                hazard: s(),
                time_ms: 0,
                outcome: s(),
                error_sha256: None,
            },
            Change::SilenceSet {
                silence: 1,
                matchers: s(),
                recipient: None,
                starts_ms: 0,
                ends_ms: 1,
                author: sealed(),
                reason: sealed(),
            },
            Change::SilenceEnded {
                silence: 1,
                by: s(),
            },
            Change::RecipientSet {
                recipient: s(),
                name: s(),
                sector: s(),
                area: s(),
                tier: s(),
                language: s(),
                exercises: false,
                endpoints: sealed(),
                exercise_endpoints: sealed(),
            },
            Change::StockPosted {
                posting: 1,
                movement: s(),
                lines: Vec::new(),
                incident: None,
                note: sealed(),
                by: s(),
            },
            Change::StockMinimumSet {
                warehouse: s(),
                item: s(),
                minimum: 1,
            },
            Change::FundsPosted {
                posting: 1,
                purpose: s(),
                lines: Vec::new(),
                incident: None,
                reverses: None,
                memo: sealed(),
                by: s(),
                approved_by: None,
            },
            Change::HolderSet {
                holder: s(),
                id: s(),
                name: s(),
                tier: s(),
                area: s(),
            },
            Change::TokenIssued {
                token: s(),
                name: s(),
                role: s(),
                scope_region: s(),
                domains: Vec::new(),
                stations: Vec::new(),
                hash_sha256: s(),
            },
            Change::UserAdded {
                user: 1,
                username: sealed(),
                display_name: sealed(),
                role: s(),
                scope_region: s(),
                domains: Vec::new(),
                password_sha256: s(),
            },
            Change::UserDisabled {
                user: 1,
                disabled: true,
            },
            Change::PasswordChanged {
                user: 1,
                password_sha256: s(),
            },
            Change::SignedIn { user: 1 },
            Change::ResourceSet {
                resource: s(),
                name: s(),
                category: s(),
                sort: s(),
                unit: s(),
                quantity: 1,
                status: s(),
                owner: s(),
                commune: None,
                tier: s(),
                lon: s(),
                lat: s(),
                readiness_minutes: 1,
                skills: Vec::new(),
            },
            Change::SubscriptionAdded {
                subscription: 1,
                url: sealed(),
                name: s(),
                by: s(),
            },
            Change::SubscriptionRemoved { subscription: 1 },
            Change::ExternalAlertStored {
                alert: 1,
                subscription: 1,
                sender: None,
                identifier: None,
                placement: s(),
                cap_sha256: s(),
            },
            Change::RegistryImported {
                units: 1,
                successions: 0,
                registry_sha256: s(),
            },
            Change::RegionChanged {
                units: Vec::new(),
                retired: Vec::new(),
                registry_sha256: s(),
            },
            Change::StationSet {
                station: s(),
                name: s(),
                domain: s(),
                commune: None,
                retired: None,
                definition_sha256: s(),
            },
            Change::DrillStarted {
                drill: 1,
                scenario: s(),
                speed: s(),
                participants: 0,
            },
            Change::DrillEnded {
                drill: 1,
                status: s(),
                expectations_met: None,
                expectations: None,
                report_sha256: None,
            },
            Change::DrillRemoved { drill: 1 },
        ]);
        all
    }

    #[test]
    fn every_kind_of_change_is_listed_once_with_the_resource_that_decides_its_readers() {
        let changes = one_of_each();
        let mut kinds: Vec<&str> = changes.iter().map(Change::kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), changes.len(), "one change of each kind");
        let mut listed: Vec<&str> = KINDS.iter().map(|(kind, _)| *kind).collect();
        listed.sort_unstable();
        assert_eq!(kinds, listed);
        let accounts: Vec<&str> = KINDS
            .iter()
            .filter(|(_, resource)| *resource == Resource::Users)
            .map(|(kind, _)| *kind)
            .collect();
        assert_eq!(
            accounts,
            [
                "token_issued",
                "user_added",
                "user_disabled",
                "password_changed",
                "signed_in"
            ]
        );
    }
}
