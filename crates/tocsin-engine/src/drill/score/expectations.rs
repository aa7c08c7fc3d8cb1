//! Matching each expectation of a scenario with what the drill produced: the warning, level
//! change or incident that met it, when, and how high it went.

use super::{ExpectationScore, Released};
use crate::drill::scenario::Expectation;
use tocsin_core::clock::timestamp_text;

/// The expected warning: the matching warning that went highest, and when it first reached the
/// expected level.
pub(super) fn score_warning(
    e: &Expectation,
    warnings: &[Released],
) -> (ExpectationScore, Option<u64>) {
    let highest = |w: &Released| w.levels.iter().map(|l| l.1).max().unwrap_or(0);
    let found = warnings
        .iter()
        .filter(|w| w.hazard == e.hazard && w.province == e.province)
        .filter(|w| e.commune.as_ref().is_none_or(|c| w.communes.contains(c)))
        .max_by_key(|w| highest(w));
    let first = found.and_then(|w| {
        w.levels
            .iter()
            .filter(|l| l.1 >= e.min_level && counts(e, l.0))
            .map(|l| l.0)
            .min()
    });
    let score = scored(e, first, found.map_or(0, highest), found.map(|w| w.warning));
    (score, found.map(|w| w.warning))
}

/// The expected detection: the first level change of the hazard in the place that reached the
/// expected level.
pub(super) fn score_detection(
    e: &Expectation,
    detections: &[tocsin_store::Detection],
) -> ExpectationScore {
    let found: Vec<_> = detections
        .iter()
        .filter(|d| d.hazard == e.hazard && d.province.as_deref() == Some(e.province.as_str()))
        .filter(|d| e.commune.is_none() || d.commune == e.commune)
        .collect();
    let reached = found.iter().map(|d| d.to_level).max().unwrap_or(0);
    let first = found
        .iter()
        .filter(|d| d.to_level >= e.min_level && counts(e, d.time_ms))
        .map(|d| d.time_ms)
        .min();
    scored(e, first, reached, None)
}

/// The expected incident: the first one of the hazard in the place.
pub(super) fn score_incident(
    e: &Expectation,
    incidents: &[tocsin_store::IncidentRecord],
) -> ExpectationScore {
    let found = incidents
        .iter()
        .filter(|i| i.hazard == e.hazard && i.province == e.province)
        .filter(|i| e.commune.as_ref().is_none_or(|c| *c == i.area) && counts(e, i.opened_ms))
        .min_by_key(|i| i.opened_ms);
    let at = found
        .filter(|i| i.level >= e.min_level)
        .map(|i| i.opened_ms);
    scored(e, at, found.map_or(0, |i| i.level), found.map(|i| i.id))
}

/// Whether something at `time_ms` can meet the expectation (not before its `after`).
fn counts(e: &Expectation, time_ms: i64) -> bool {
    e.after
        .is_none_or(|after| time_ms >= after.as_millisecond())
}

fn scored(
    e: &Expectation,
    happened_ms: Option<i64>,
    level_reached: u8,
    by_id: Option<u64>,
) -> ExpectationScore {
    let by = e.by.as_millisecond();
    ExpectationScore {
        expected: e.clone(),
        met: happened_ms.is_some_and(|t| t <= by),
        happened: happened_ms.map(timestamp_text),
        lead_minutes: happened_ms.map(|t| (by - t) / 60_000),
        level_reached,
        by_id,
    }
}
