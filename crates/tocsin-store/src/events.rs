//! The journal events of stored changes, built from the records just written: who, when, where
//! and what, with personal values sealed (kept beside the leaf, only their salted hash in it).

use crate::{Detection, NATION, Result, StoreError};
use tocsin_core::change::{Actor, Change, Event, Personal};

/// The event of a stored level change.
pub(crate) fn level_changed(d: &Detection, id: i64, at_ms: i64, actor: &Actor) -> Event {
    Event {
        at_ms,
        actor: actor.clone(),
        region: d.province.clone().unwrap_or_else(|| NATION.into()),
        change: Change::LevelChanged {
            detection: id,
            station: d.station.clone(),
            rule: d.rule.clone(),
            hazard: d.hazard.clone(),
            commune: d.commune.clone(),
            from: d.from_level,
            to: d.to_level,
            time_ms: d.time_ms,
            value: d.value.to_string(),
            certainty: d.certainty.clone(),
        },
    }
}

/// Seals a personal value with a fresh random salt.
pub(crate) fn seal(value: &str) -> Result<Personal> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| StoreError::Corrupt(format!("no random salt for a personal value: {e}")))?;
    Ok(Personal::seal(value, salt))
}

/// The event of a released version, `publication` as stored.
pub(crate) fn alert_released(
    warning: &crate::WarningRecord,
    number: u32,
    publication: &crate::Publication,
    actor: &Actor,
) -> Event {
    Event {
        at_ms: publication.released_ms,
        actor: actor.clone(),
        region: warning.province.clone(),
        change: Change::AlertReleased {
            warning: warning.id,
            version: number,
            hazard: warning.hazard.clone(),
            identifier: publication.identifier.clone(),
            cap_sha256: tocsin_core::change::sha256_hex(publication.cap_xml.as_bytes()),
            released_by: publication.released_by.clone(),
        },
    }
}

/// The event of a version the lifecycle made, `version` as stored.
pub(crate) fn version_drafted(version: &crate::VersionRecord, actor: &Actor) -> Event {
    Event {
        at_ms: version.made_ms,
        actor: actor.clone(),
        region: version.province.clone(),
        change: Change::VersionDrafted {
            warning: version.warning,
            version: version.number,
            hazard: version.hazard.clone(),
            action: version.action.clone(),
            level: version.level,
            made_ms: version.made_ms,
            draft_sha256: tocsin_core::change::sha256_hex(version.draft.as_bytes()),
        },
    }
}

/// The event of a token just stored.
pub(crate) fn token_issued(token: &crate::TokenRecord, actor: &Actor) -> Event {
    Event {
        at_ms: token.created_ms,
        actor: actor.clone(),
        region: NATION.into(),
        change: Change::TokenIssued {
            token: token.id.clone(),
            name: token.name.clone(),
            role: token.role.as_str().to_string(),
            scope_region: token.scope_region.clone(),
            domains: token
                .domains
                .iter()
                .map(|d| d.as_str().to_string())
                .collect(),
            stations: token.stations.clone(),
            hash_sha256: tocsin_core::change::sha256_hex(token.hash.as_bytes()),
        },
    }
}

/// The event of user `id`, just stored as `user`.
pub(crate) fn user_added(id: u64, user: &crate::UserRecord, actor: &Actor) -> Result<Event> {
    Ok(Event {
        at_ms: user.created_ms,
        actor: actor.clone(),
        region: NATION.into(),
        change: Change::UserAdded {
            user: id,
            username: seal(&user.username)?,
            display_name: seal(&user.display_name)?,
            role: user.role.as_str().to_string(),
            scope_region: user.scope_region.clone(),
            domains: user
                .domains
                .iter()
                .map(|d| d.as_str().to_string())
                .collect(),
            password_sha256: tocsin_core::change::sha256_hex(user.password_hash.as_bytes()),
        },
    })
}

/// A change that belongs to the whole node (accounts, silences), as `actor`'s.
pub(crate) fn node_event(at_ms: i64, change: Change, actor: &Actor) -> Event {
    Event {
        at_ms,
        actor: actor.clone(),
        region: NATION.into(),
        change,
    }
}

/// The event of stock posting `id`, just stored as `posting`.
pub(crate) fn stock_posted(
    id: u64,
    posting: &crate::StockPosting,
    region: &str,
    actor: &Actor,
) -> Result<Event> {
    Ok(Event {
        at_ms: posting.time_ms,
        actor: actor.clone(),
        region: region.to_string(),
        change: Change::StockPosted {
            posting: id,
            movement: posting.kind.clone(),
            lines: posting.lines.clone(),
            incident: posting.incident,
            note: seal(&posting.note)?,
            by: posting.by.clone(),
        },
    })
}

/// The event of fund posting `id`, just stored as `posting`.
pub(crate) fn funds_posted(
    id: u64,
    posting: &crate::FundPosting,
    region: &str,
    actor: &Actor,
) -> Result<Event> {
    Ok(Event {
        at_ms: posting.time_ms,
        actor: actor.clone(),
        region: region.to_string(),
        change: Change::FundsPosted {
            posting: id,
            purpose: posting.kind.clone(),
            lines: posting.lines.clone(),
            incident: posting.incident,
            reverses: posting.reverses,
            memo: seal(&posting.memo)?,
            by: posting.by.clone(),
            approved_by: posting.approved_by.clone(),
        },
    })
}

/// The event of silence `id`, just stored as `s`.
pub(crate) fn silence_set(id: u64, s: &crate::SilenceRecord, actor: &Actor) -> Result<Event> {
    let change = Change::SilenceSet {
        silence: id,
        matchers: s.matchers.clone(),
        recipient: s.recipient.clone(),
        starts_ms: s.starts_ms,
        ends_ms: s.ends_ms,
        author: seal(&s.author)?,
        reason: seal(&s.reason)?,
    };
    Ok(node_event(s.created_ms, change, actor))
}

/// The event of recipient `r`, just stored (its endpoints sealed): in the province of the unit
/// it serves.
pub(crate) fn recipient_set(
    r: &crate::RecipientRecord,
    province: &str,
    actor: &Actor,
) -> Result<Event> {
    Ok(Event {
        at_ms: r.updated_ms,
        actor: actor.clone(),
        region: province.to_string(),
        change: Change::RecipientSet {
            recipient: r.id.clone(),
            name: r.name.clone(),
            sector: r.sector.clone(),
            area: r.region.clone(),
            tier: r.tier.clone(),
            language: r.language.clone(),
            exercises: r.exercises,
            endpoints: seal(&r.endpoints)?,
            exercise_endpoints: seal(&r.exercise_endpoints)?,
        },
    })
}

/// The event of a stored resource record.
pub(crate) fn resource_set(r: &crate::ResourceRecord, at_ms: i64, actor: &Actor) -> Event {
    Event {
        at_ms,
        actor: actor.clone(),
        region: r.province.clone(),
        change: Change::ResourceSet {
            resource: r.id.clone(),
            name: r.name.clone(),
            category: r.category.as_str().to_string(),
            sort: r.kind.clone(),
            unit: r.unit.clone(),
            quantity: r.quantity,
            status: r.status.clone(),
            owner: r.owner.clone(),
            commune: r.commune.clone(),
            tier: r.tier.as_str().to_string(),
            lon: r.lon.to_string(),
            lat: r.lat.to_string(),
            readiness_minutes: r.readiness_minutes,
            skills: r.skills.clone(),
        },
    }
}

/// The event of a stored external alert, `id` its number. It belongs to the one province it was
/// placed on, or to the whole node.
pub(crate) fn external_alert_stored(
    id: u64,
    alert: &crate::ExternalAlertRecord,
    actor: &Actor,
) -> Event {
    let mut provinces: Vec<&str> = alert.regions.iter().map(|r| r.province.as_str()).collect();
    provinces.sort_unstable();
    provinces.dedup();
    let region = match provinces.as_slice() {
        [one] => one.to_string(),
        _ => NATION.into(),
    };
    Event {
        at_ms: alert.received_ms,
        actor: actor.clone(),
        region,
        change: Change::ExternalAlertStored {
            alert: id,
            subscription: alert.subscription,
            sender: alert.sender.clone(),
            identifier: alert.identifier.clone(),
            placement: alert.placement.clone(),
            cap_sha256: tocsin_core::change::sha256_hex(&alert.cap_xml),
        },
    }
}

/// A station's whole definition as the journal names it: its JSON.
pub(crate) fn station_definition(station: &tocsin_core::station::Station) -> String {
    // Writing these plain types into a string cannot fail.
    serde_json::to_string(station).unwrap_or_default()
}

/// The event of a station as stored (`station` read back with its metrics), in its province.
pub(crate) fn station_set(
    station: &tocsin_core::station::Station,
    province: Option<&str>,
    at_ms: i64,
    actor: &Actor,
) -> Event {
    let definition = station_definition(station);
    Event {
        at_ms,
        actor: actor.clone(),
        region: province.unwrap_or(NATION).to_string(),
        change: Change::StationSet {
            station: station.id.clone(),
            name: station.name.clone(),
            domain: station.domain.as_str().to_string(),
            commune: station.commune.clone(),
            retired: station.retired.clone(),
            definition_sha256: tocsin_core::change::sha256_hex(definition.as_bytes()),
        },
    }
}
