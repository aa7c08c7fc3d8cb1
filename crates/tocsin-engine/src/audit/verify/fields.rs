//! Field-by-field comparison of each stored record with the event of the entry that names
//! it: the first field that differs, if any.

use tocsin_core::change::{Change, Event, Kept, Personal, sha256_hex};
use tocsin_store::{Detection, NATION};

/// The first field in which a published alert differs from its journaled release.
pub(super) fn differing_alert(
    event: &Event,
    alert: &tocsin_store::ReleasedAlert,
) -> Option<&'static str> {
    let Change::AlertReleased {
        identifier,
        cap_sha256,
        released_by,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    first_differing(&[
        ("identifier", *identifier == alert.identifier),
        (
            "CAP XML",
            *cap_sha256 == sha256_hex(alert.cap_xml.as_bytes()),
        ),
        ("releaser", *released_by == alert.released_by),
    ])
}

/// Whether the acknowledgement differs from its journaled one (its kept value, unless erased).
pub(super) fn differing_ack(
    event: &Event,
    ack: &tocsin_store::Acknowledgement,
) -> Option<&'static str> {
    let Change::NotificationAcknowledged { by, .. } = &event.change else {
        return Some("kind");
    };
    first_differing(&[("acknowledger", kept_matches(by, &ack.acked_by))])
}

/// The first field in which a timeline entry differs from its journaled one.
pub(super) fn differing_entry(
    event: &Event,
    row: &tocsin_store::TimelineRow,
) -> Option<&'static str> {
    let Change::IncidentNoted {
        incident,
        time_ms,
        note,
        text,
        by,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    first_differing(&[
        ("incident", *incident == row.incident),
        ("time", *time_ms == row.time_ms),
        ("kind", *note == row.kind),
        ("text", kept_matches(text, &row.text)),
        ("author", *by == row.by),
    ])
}

/// The first field in which a delivery attempt differs from its journaled one.
pub(super) fn differing_attempt(
    event: &Event,
    row: &tocsin_store::AttemptRow,
) -> Option<&'static str> {
    let Change::DeliveryAttempted {
        time_ms,
        outcome,
        error_sha256,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    let error = row.error.as_ref().map(|e| sha256_hex(e.as_bytes()));
    first_differing(&[
        ("time", *time_ms == row.time_ms),
        ("outcome", *outcome == row.outcome),
        ("error", *error_sha256 == error),
    ])
}

/// The first field in which a silence differs from its journaled one; an ended silence ends
/// when it was ended, if that came before its own end.
pub(super) fn differing_silence(
    event: &Event,
    row: &tocsin_store::SilenceRecord,
) -> Option<&'static str> {
    let Change::SilenceSet {
        matchers,
        recipient,
        starts_ms,
        ends_ms,
        author,
        reason,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    let ends = row.expired_ms.map_or(*ends_ms, |ended| ended.min(*ends_ms));
    first_differing(&[
        ("matchers", *matchers == row.matchers),
        ("recipient", *recipient == row.recipient),
        ("start", *starts_ms == row.starts_ms),
        ("end", ends == row.ends_ms),
        ("author", kept_matches(author, &row.author)),
        ("reason", kept_matches(reason, &row.reason)),
    ])
}

/// The first field in which an ended silence differs from its journaled end.
pub(super) fn differing_silence_end(
    event: &Event,
    row: &tocsin_store::SilenceRecord,
) -> Option<&'static str> {
    let Change::SilenceEnded { by, .. } = &event.change else {
        return Some("kind");
    };
    first_differing(&[
        ("ender", Some(by) == row.expired_by.as_ref()),
        ("end time", Some(event.at_ms) == row.expired_ms),
    ])
}

/// The first field in which a warning version differs from the one the lifecycle journaled.
pub(super) fn differing_version(
    event: &Event,
    row: &tocsin_store::VersionRecord,
) -> Option<&'static str> {
    let Change::VersionDrafted {
        hazard,
        action,
        level,
        made_ms,
        draft_sha256,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    first_differing(&[
        ("hazard", *hazard == row.hazard),
        ("province", event.region == row.province),
        ("action", *action == row.action),
        ("level", *level == row.level),
        ("time", *made_ms == row.made_ms),
        ("draft", *draft_sha256 == sha256_hex(row.draft.as_bytes())),
    ])
}

/// The first field in which a notification differs from its journaled one.
pub(super) fn differing_notification(
    event: &Event,
    row: &tocsin_store::NotificationRecord,
    stored_deliveries: u32,
) -> Option<&'static str> {
    let Change::NotificationQueued {
        recipient,
        warning,
        version,
        reason,
        suppressed,
        needs_ack,
        deliveries,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    first_differing(&[
        ("recipient", *recipient == row.recipient),
        (
            "warning",
            (*warning, *version) == (row.warning, row.version),
        ),
        ("province", event.region == row.province),
        ("reason", as_json(reason) == row.reason),
        (
            "suppression",
            suppressed.as_ref().map(as_json) == row.suppressed,
        ),
        ("acknowledgement asked", *needs_ack == row.needs_ack),
        ("time", event.at_ms == row.created_ms),
        ("deliveries", *deliveries == stored_deliveries),
    ])
}

/// The first field in which a stock posting differs from its journaled one.
pub(super) fn differing_stock(
    event: &Event,
    posting: &tocsin_store::StockPosting,
) -> Option<&'static str> {
    let Change::StockPosted {
        movement,
        lines,
        incident,
        note,
        by,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    first_differing(&[
        ("kind", *movement == posting.kind),
        ("set of lines", *lines == posting.lines),
        ("incident", *incident == posting.incident),
        ("note", kept_matches(note, &posting.note)),
        ("time", event.at_ms == posting.time_ms),
        ("poster", *by == posting.by),
    ])
}

/// The first field in which a fund posting differs from its journaled one.
pub(super) fn differing_funds(
    event: &Event,
    posting: &tocsin_store::FundPosting,
) -> Option<&'static str> {
    let Change::FundsPosted {
        purpose,
        lines,
        incident,
        reverses,
        memo,
        by,
        approved_by,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    first_differing(&[
        ("kind", *purpose == posting.kind),
        ("set of lines", *lines == posting.lines),
        ("incident", *incident == posting.incident),
        ("reversed posting", *reverses == posting.reverses),
        ("memo", kept_matches(memo, &posting.memo)),
        ("time", event.at_ms == posting.time_ms),
        ("poster", *by == posting.by),
        ("approver", *approved_by == posting.approved_by),
    ])
}

/// A journaled value as the JSON its column keeps (the store writes it the same way).
fn as_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Whether a stored personal value is the one the entry sealed; an erased one (no salt kept)
/// cannot be checked and passes.
pub(super) fn kept_matches(sealed: &Personal, stored: &str) -> bool {
    sealed.kept.as_ref().is_none_or(|kept| {
        sealed.matches(&Kept {
            value: stored.to_string(),
            salt: kept.salt,
        })
    })
}

pub(super) fn first_differing(fields: &[(&'static str, bool)]) -> Option<&'static str> {
    fields
        .iter()
        .find(|(_, same)| !same)
        .map(|(field, _)| *field)
}

/// The first field in which a stored detection differs from its journaled level change.
pub(super) fn differing_field(event: &Event, d: &Detection) -> Option<&'static str> {
    let Change::LevelChanged {
        station,
        rule,
        hazard,
        commune,
        from,
        to,
        time_ms,
        value,
        certainty,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    let province = d.province.as_deref().unwrap_or(NATION);
    first_differing(&[
        ("station", *station == d.station),
        ("rule", *rule == d.rule),
        ("hazard", *hazard == d.hazard),
        ("commune", *commune == d.commune),
        ("province", event.region == province),
        ("from level", *from == d.from_level),
        ("level", *to == d.to_level),
        ("time", *time_ms == d.time_ms),
        ("value", *value == d.value.to_string()),
        ("certainty", *certainty == d.certainty),
    ])
}
