//! Field-by-field comparison of incidents with their entries: each incident as opened and as
//! the entries after it raised and closed it, its bookings and their release, its ended tasks
//! and its command roles.

use super::fields::{first_differing, kept_matches};
use super::records::{Journaled, Named};
use std::collections::BTreeMap;
use tocsin_core::change::{Change, Event, sha256_hex};
use tocsin_store::{AssignmentRecord, IncidentRecord, TaskRecord};

/// The level the journal last gave incident `incident`: raised by a later entry, or as opened.
pub(super) fn raised_level(journaled: &BTreeMap<Named, Journaled>, incident: u64) -> Option<u8> {
    match journaled
        .get(&Named::IncidentLevel(incident))
        .map(|j| &j.event.change)
    {
        Some(Change::IncidentRaised { level, .. }) => Some(*level),
        _ => None,
    }
}

/// The first field in which an incident differs from the one opened; its level is held only
/// when `checked` (the journal names every raise of an incident opened since it began to).
pub(super) fn differing_incident(
    event: &Event,
    incident: &IncidentRecord,
    raised: Option<u8>,
    checked: bool,
) -> Option<&'static str> {
    let Change::IncidentOpened {
        hazard,
        area,
        level,
        tier,
        warning,
        exercise,
        source,
        title,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    let level = raised.unwrap_or(*level);
    first_differing(&[
        ("hazard", *hazard == incident.hazard),
        ("area", *area == incident.area),
        ("province", event.region == incident.province),
        ("tier", tier == incident.tier.as_str()),
        ("warning", *warning == incident.warning),
        ("exercise", *exercise == incident.exercise),
        ("source", *source == incident.source),
        ("title", kept_matches(title, &incident.title)),
        ("opening time", event.at_ms == incident.opened_ms),
        ("level", !checked || level == incident.level),
    ])
}

/// The first field in which a closed incident differs from its journaled closing.
pub(super) fn differing_closure(event: &Event, incident: &IncidentRecord) -> Option<&'static str> {
    let Change::IncidentClosed {
        after_action_sha256,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    let report = incident.after_action.as_deref().unwrap_or_default();
    first_differing(&[
        ("closing time", Some(event.at_ms) == incident.closed_ms),
        (
            "after-action report",
            *after_action_sha256 == sha256_hex(report.as_bytes()),
        ),
    ])
}

/// The first field in which an assignment differs from its journaled booking.
pub(super) fn differing_booking(
    event: &Event,
    incident: u64,
    assignment: &AssignmentRecord,
) -> Option<&'static str> {
    let Change::ResourceBooked {
        incident: booked_for,
        request,
        resource,
        quantity,
        source,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    first_differing(&[
        ("incident", *booked_for == incident),
        ("request", *request == assignment.request),
        ("resource", *resource == assignment.resource),
        ("quantity", *quantity == assignment.quantity),
        ("source", *source == assignment.source),
    ])
}

/// Whether a released assignment's release time differs from its journaled release.
pub(super) fn differing_release(event: &Event, released_ms: i64) -> Option<&'static str> {
    first_differing(&[
        (
            "kind",
            matches!(event.change, Change::ResourcesReleased { .. }),
        ),
        ("release time", event.at_ms == released_ms),
    ])
}

/// The first field in which an ended task differs from its journaled end.
pub(super) fn differing_task_end(event: &Event, task: &TaskRecord) -> Option<&'static str> {
    let Change::TasksEnded { status, .. } = &event.change else {
        return Some("kind");
    };
    first_differing(&[
        ("status", *status == task.status),
        ("end time", Some(event.at_ms) == task.ended_ms),
    ])
}

/// Whether a command role's holder differs from the one last journaled.
pub(super) fn differing_role(event: &Event, holder: &str) -> Option<&'static str> {
    let Change::IncidentRoleSet { holder: set, .. } = &event.change else {
        return Some("kind");
    };
    first_differing(&[("holder", kept_matches(set, holder))])
}
