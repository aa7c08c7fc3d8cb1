//! Field-by-field comparison of what officers set up with the entries that last set it:
//! recipients, stock minimums, funds and warehouses, automatic release, feed subscriptions and
//! the alerts they brought in, response resources, stations and the registry of units.

use super::fields::{first_differing, kept_matches};
use crate::channels::Endpoint;
use tocsin_core::change::{Change, Event, sha256_hex};
use tocsin_core::station::Station;
use tocsin_store::{
    ExternalAlertRecord, HolderRow, NATION, RecipientRecord, ResourceRecord, SubscriptionRecord,
};

/// The first field in which a recipient differs from the one last journaled.
pub(super) fn differing_recipient(event: &Event, r: &RecipientRecord) -> Option<&'static str> {
    let Change::RecipientSet {
        name,
        sector,
        area,
        tier,
        language,
        exercises,
        endpoints,
        exercise_endpoints,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    let shown = |endpoints: &str| -> Option<String> {
        let read: Vec<Endpoint> = serde_json::from_str(endpoints).ok()?;
        let shown: Vec<Endpoint> = read.iter().map(Endpoint::redacted).collect();
        serde_json::to_string(&shown).ok()
    };
    let (endpoints_shown, exercise_shown) = (shown(&r.endpoints), shown(&r.exercise_endpoints));
    first_differing(&[
        ("name", *name == r.name),
        ("sector", *sector == r.sector),
        ("region", *area == r.region),
        ("tier", *tier == r.tier),
        ("language", *language == r.language),
        ("exercises", *exercises == r.exercises),
        (
            "endpoints",
            endpoints_shown.is_some_and(|e| kept_matches(endpoints, &e)),
        ),
        (
            "exercise endpoints",
            exercise_shown.is_some_and(|e| kept_matches(exercise_endpoints, &e)),
        ),
    ])
}

/// Whether a stock minimum differs from the one last journaled.
pub(super) fn differing_minimum(event: &Event, stored: u64) -> Option<&'static str> {
    let Change::StockMinimumSet { minimum, .. } = &event.change else {
        return Some("kind");
    };
    first_differing(&[("minimum", *minimum == stored)])
}

/// The first field in which a fund or warehouse differs from the one last journaled.
pub(super) fn differing_holder(event: &Event, h: &HolderRow) -> Option<&'static str> {
    let Change::HolderSet {
        name, tier, area, ..
    } = &event.change
    else {
        return Some("kind");
    };
    first_differing(&[
        ("name", *name == h.name),
        ("tier", *tier == h.tier),
        ("region", *area == h.region),
    ])
}

/// The first field in which a hazard's automatic release differs from the one last journaled.
pub(super) fn differing_auto_release(
    event: &Event,
    max_level: u8,
    set_by: &str,
) -> Option<&'static str> {
    let Change::AutoReleaseSet {
        max_level: set, by, ..
    } = &event.change
    else {
        return Some("kind");
    };
    first_differing(&[
        ("highest level", *set == max_level),
        ("setter", by == set_by),
    ])
}

/// The first field in which a subscription differs from the one added; `removed` when an
/// entry removed it.
pub(super) fn differing_subscription(
    event: &Event,
    s: &SubscriptionRecord,
    removed: bool,
) -> Option<&'static str> {
    let Change::SubscriptionAdded { url, name, by, .. } = &event.change else {
        return Some("kind");
    };
    let shown = tocsin_core::secrets::without_credentials(&s.url);
    first_differing(&[
        ("removal", !removed),
        ("address", kept_matches(url, &shown)),
        ("name", *name == s.name),
        ("adder", *by == s.added_by),
        ("time added", event.at_ms == s.added_ms),
    ])
}

/// The first field in which an external alert differs from the one stored.
pub(super) fn differing_external_alert(
    event: &Event,
    a: &ExternalAlertRecord,
) -> Option<&'static str> {
    let Change::ExternalAlertStored {
        subscription,
        sender,
        identifier,
        placement,
        cap_sha256,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    first_differing(&[
        ("subscription", *subscription == a.subscription),
        ("sender", *sender == a.sender),
        ("identifier", *identifier == a.identifier),
        ("placement", *placement == a.placement),
        ("CAP XML", *cap_sha256 == sha256_hex(&a.cap_xml)),
        ("time received", event.at_ms == a.received_ms),
    ])
}

/// The first field in which a resource differs from the one last journaled.
pub(super) fn differing_resource(event: &Event, r: &ResourceRecord) -> Option<&'static str> {
    let Change::ResourceSet {
        name,
        category,
        sort,
        unit,
        quantity,
        status,
        owner,
        commune,
        tier,
        lon,
        lat,
        readiness_minutes,
        skills,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    first_differing(&[
        ("name", *name == r.name),
        ("category", category == r.category.as_str()),
        ("kind", *sort == r.kind),
        ("unit", *unit == r.unit),
        ("quantity", *quantity == r.quantity),
        ("status", *status == r.status),
        ("owner", *owner == r.owner),
        ("commune", *commune == r.commune),
        ("province", event.region == r.province),
        ("tier", tier == r.tier.as_str()),
        (
            "position",
            *lon == r.lon.to_string() && *lat == r.lat.to_string(),
        ),
        ("readiness", *readiness_minutes == r.readiness_minutes),
        ("skills", *skills == r.skills),
    ])
}

/// The first field in which a station differs from the one last journaled.
pub(super) fn differing_station(
    event: &Event,
    station: &Station,
    province: Option<&str>,
) -> Option<&'static str> {
    let Change::StationSet {
        name,
        domain,
        commune,
        retired,
        definition_sha256,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    let definition = serde_json::to_string(station).unwrap_or_default();
    first_differing(&[
        ("name", *name == station.name),
        ("domain", domain == station.domain.as_str()),
        ("commune", *commune == station.commune),
        ("retirement", *retired == station.retired),
        ("province", event.region == province.unwrap_or(NATION)),
        (
            "definition",
            *definition_sha256 == sha256_hex(definition.as_bytes()),
        ),
    ])
}

/// Whether the registry as stored differs from the one the last import or change left.
pub(super) fn differing_registry(event: &Event, stored_sha256: &str) -> Option<&'static str> {
    let (Change::RegistryImported {
        registry_sha256, ..
    }
    | Change::RegionChanged {
        registry_sha256, ..
    }) = &event.change
    else {
        return Some("kind");
    };
    first_differing(&[("units and successions", registry_sha256 == stored_sha256)])
}
