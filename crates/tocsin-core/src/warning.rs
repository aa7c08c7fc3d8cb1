//! The warning lifecycle: detections become warnings.
//!
//! A warning is one hazard in one province; the detections of that hazard in the province's
//! communes (neighbouring areas) within a group window become one version of it, so a flood
//! rising through forty communes in ten minutes is one warning with one new version, not forty
//! messages. Each version is a draft until it is published (approved, or released automatically);
//! a newer draft supersedes an unpublished one, and a published version never changes.
//!
//! | action | when | CAP msgType |
//! |---|---|---|
//! | raised | the first version of a warning | Alert |
//! | escalated | the highest level rose after a first version (drafted at once, no group wait) | Update |
//! | updated | areas or lower levels changed | Update |
//! | renewed | still in force close to the last version's expiry | Update |
//! | all-clear | every area is back to level 0 | Update (response AllClear) |
//! | cancelled | an operator withdrew it | Cancel |
//! | withdrawn | every area cleared before anything was published (no message) | — |
//! | expired | the last published version expired without renewal (no message) | — |
//!
//! Pure: time comes in as milliseconds; the same signals and ticks give the same versions.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Timing of the lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// How long changes gather before a version is drafted (escalations do not wait).
    pub group_window_ms: i64,
    /// How long a version stays in force (its CAP `expires`).
    pub validity_ms: i64,
    /// How long before expiry a warning still in force is renewed.
    pub renew_before_ms: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            group_window_ms: 5 * 60_000,
            validity_ms: 12 * 3_600_000,
            renew_before_ms: 3_600_000,
        }
    }
}

/// A level change of one rule in one area, as the detector reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    pub hazard: String,
    pub province: String,
    /// The commune code, or the province code when the station has no commune.
    pub area: String,
    pub rule: String,
    pub station: String,
    pub level: u8,
    pub value: f64,
    /// `observed` or `likely`.
    pub certainty: String,
    pub time_ms: i64,
}

/// What one rule says of one area of a warning (observed or forecast).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaState {
    /// The commune code, or the province code.
    pub area: String,
    pub level: u8,
    pub rule: String,
    pub station: String,
    pub value: f64,
    pub certainty: String,
    pub since_ms: i64,
}

/// What a version does to its warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Raised,
    Escalated,
    Updated,
    Renewed,
    AllClear,
    Cancelled,
    Withdrawn,
    Expired,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Raised => "raised",
            Action::Escalated => "escalated",
            Action::Updated => "updated",
            Action::Renewed => "renewed",
            Action::AllClear => "all-clear",
            Action::Cancelled => "cancelled",
            Action::Withdrawn => "withdrawn",
            Action::Expired => "expired",
        }
    }

    /// Whether the version is a message (a CAP alert) rather than a lifecycle record.
    pub fn is_message(self) -> bool {
        !matches!(self, Action::Withdrawn | Action::Expired)
    }

    /// Whether the warning ends with this version once it is published.
    pub fn ends(self) -> bool {
        matches!(
            self,
            Action::AllClear | Action::Cancelled | Action::Withdrawn | Action::Expired
        )
    }
}

/// One version of a warning, drafted by the lifecycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub warning: u64,
    pub number: u32,
    pub hazard: String,
    pub province: String,
    pub action: Action,
    /// The highest level of the areas (0 for an all-clear).
    pub level: u8,
    /// The areas at level 1 or more, by code.
    pub areas: BTreeMap<String, AreaState>,
    pub made_ms: i64,
    pub expires_ms: i64,
}

/// One warning: a hazard in a province, its areas and its versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    pub id: u64,
    pub hazard: String,
    pub province: String,
    /// What each rule says of each area, keyed by area, rule and certainty.
    pub readings: BTreeMap<String, AreaState>,
    /// Numbers of the published versions, oldest first.
    pub published: Vec<u32>,
    /// The newest draft's number (0 before the first).
    pub latest: u32,
    /// The level of the newest draft.
    pub drafted_level: u8,
    /// Since when changes wait for the next version.
    pub pending_since_ms: Option<i64>,
    /// When the newest published version expires.
    pub expires_ms: Option<i64>,
}

impl Warning {
    fn level(&self) -> u8 {
        self.readings.values().map(|a| a.level).max().unwrap_or(0)
    }

    /// Each area at level 1 or more with the reading that gives its level (the highest; an
    /// observed one before a forecast of the same level).
    pub fn areas(&self) -> BTreeMap<String, AreaState> {
        let mut areas: BTreeMap<String, AreaState> = BTreeMap::new();
        for reading in self.readings.values().filter(|r| r.level > 0) {
            let rank = |r: &AreaState| (r.level, r.certainty == "observed");
            match areas.get(&reading.area) {
                Some(best) if rank(best) >= rank(reading) => {}
                _ => {
                    areas.insert(reading.area.clone(), reading.clone());
                }
            }
        }
        areas
    }

    fn draft(&mut self, action: Action, now_ms: i64, policy: &Policy) -> Draft {
        self.latest += 1;
        self.pending_since_ms = None;
        self.drafted_level = self.level();
        let draft = Draft {
            warning: self.id,
            number: self.latest,
            hazard: self.hazard.clone(),
            province: self.province.clone(),
            action,
            level: self.drafted_level,
            areas: self.areas(),
            made_ms: now_ms,
            expires_ms: now_ms + policy.validity_ms,
        };
        self.readings.retain(|_, a| a.level > 0);
        draft
    }

    /// The version the gathered changes make, if their time has come.
    fn changes_due(&mut self, now_ms: i64, policy: &Policy) -> Option<Draft> {
        let since = self.pending_since_ms?;
        let escalation = self.latest > 0 && self.level() > self.drafted_level;
        if now_ms < since + policy.group_window_ms && !escalation {
            return None;
        }
        let action = match (self.level(), self.published.is_empty()) {
            (0, true) => Action::Withdrawn,
            (0, false) => Action::AllClear,
            (_, true) => Action::Raised,
            _ if escalation => Action::Escalated,
            _ => Action::Updated,
        };
        Some(self.draft(action, now_ms, policy))
    }

    /// A renewal or the expiry of a warning whose newest version is published.
    fn expiry_due(&mut self, now_ms: i64, policy: &Policy) -> Option<Draft> {
        let expires = self.expires_ms?;
        let newest_published = self.published.last() == Some(&self.latest);
        if self.pending_since_ms.is_some() || !newest_published {
            return None;
        }
        if now_ms >= expires {
            return Some(self.draft(Action::Expired, now_ms, policy));
        }
        (now_ms >= expires - policy.renew_before_ms)
            .then(|| self.draft(Action::Renewed, now_ms, policy))
    }
}

/// Why a lifecycle request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("warning {0} is not in force")]
    UnknownWarning(u64),
    #[error("version {number} of warning {warning} was superseded by version {latest}")]
    Superseded {
        warning: u64,
        number: u32,
        latest: u32,
    },
}

/// Every warning in force, keyed by hazard and province.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WarningBook {
    pub policy: Policy,
    pub warnings: BTreeMap<(String, String), Warning>,
    pub next_id: u64,
}

impl WarningBook {
    pub fn new(policy: Policy, next_id: u64) -> Self {
        WarningBook {
            policy,
            warnings: BTreeMap::new(),
            next_id,
        }
    }

    /// Notes a level change learnt at `now_ms` (the group window counts from when changes
    /// arrive, not from the observation times they carry); the version that carries it is
    /// drafted by [`WarningBook::due`].
    pub fn observe(&mut self, signal: &Signal, now_ms: i64) {
        let key = (signal.hazard.clone(), signal.province.clone());
        if signal.level == 0 && !self.warnings.contains_key(&key) {
            return;
        }
        let warning = self.warnings.entry(key).or_insert_with(|| {
            self.next_id += 1;
            new_warning(self.next_id, signal)
        });
        let reading = AreaState {
            area: signal.area.clone(),
            level: signal.level,
            rule: signal.rule.clone(),
            station: signal.station.clone(),
            value: signal.value,
            certainty: signal.certainty.clone(),
            since_ms: signal.time_ms,
        };
        let key = format!("{}/{}/{}", signal.area, signal.rule, signal.certainty);
        if warning.readings.get(&key).map(|a| a.level) != Some(signal.level) {
            warning.readings.insert(key, reading);
            warning.pending_since_ms.get_or_insert(now_ms);
        }
    }

    /// The versions whose time has come at `now_ms`: gathered changes, renewals, expiries.
    /// Warnings that end without a message leave the book here.
    pub fn due(&mut self, now_ms: i64) -> Vec<Draft> {
        let policy = self.policy;
        let drafts: Vec<Draft> = self
            .warnings
            .values_mut()
            .filter_map(|w| {
                w.changes_due(now_ms, &policy)
                    .or_else(|| w.expiry_due(now_ms, &policy))
            })
            .collect();
        self.warnings.retain(|_, w| {
            !drafts
                .iter()
                .any(|d| d.warning == w.id && !d.action.is_message())
        });
        drafts
    }

    /// An operator withdraws a warning: a Cancel version, or a withdrawal without message when
    /// nothing of it was published (the warning then leaves the book at once).
    pub fn cancel(&mut self, warning: u64, now_ms: i64) -> Result<Draft, LifecycleError> {
        let policy = self.policy;
        let found = self.find_mut(warning)?;
        found.readings.values_mut().for_each(|a| a.level = 0);
        let action = if found.published.is_empty() {
            Action::Withdrawn
        } else {
            Action::Cancelled
        };
        let draft = found.draft(action, now_ms, &policy);
        if action == Action::Withdrawn {
            self.warnings.retain(|_, w| w.id != warning);
        }
        Ok(draft)
    }

    /// Records that a draft was published; returns the numbers of the earlier published
    /// versions it references. A warning that ends with it leaves the book.
    pub fn publish(&mut self, draft: &Draft) -> Result<Vec<u32>, LifecycleError> {
        let found = self.find_mut(draft.warning)?;
        if found.latest != draft.number {
            let latest = found.latest;
            return Err(LifecycleError::Superseded {
                warning: draft.warning,
                number: draft.number,
                latest,
            });
        }
        let references = found.published.clone();
        found.published.push(draft.number);
        found.expires_ms = Some(draft.expires_ms);
        if draft.action.ends() {
            let key = (draft.hazard.clone(), draft.province.clone());
            self.warnings.remove(&key);
        }
        Ok(references)
    }

    fn find_mut(&mut self, id: u64) -> Result<&mut Warning, LifecycleError> {
        self.warnings
            .values_mut()
            .find(|w| w.id == id)
            .ok_or(LifecycleError::UnknownWarning(id))
    }
}

fn new_warning(id: u64, signal: &Signal) -> Warning {
    Warning {
        id,
        hazard: signal.hazard.clone(),
        province: signal.province.clone(),
        readings: BTreeMap::new(),
        published: Vec::new(),
        latest: 0,
        drafted_level: 0,
        pending_since_ms: None,
        expires_ms: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn signal(area: &str, level: u8, time_ms: i64) -> Signal {
        Signal {
            hazard: "flood".into(),
            province: "15".into(),
            area: area.into(),
            rule: "river_flood".into(),
            station: "S1".into(),
            level,
            value: 1.0,
            certainty: "observed".into(),
            time_ms,
        }
    }

    fn book() -> WarningBook {
        WarningBook::new(
            Policy {
                group_window_ms: 5 * MIN,
                validity_ms: 60 * MIN,
                renew_before_ms: 10 * MIN,
            },
            0,
        )
    }

    fn publish_all(book: &mut WarningBook, drafts: &[Draft]) -> Vec<Vec<u32>> {
        drafts.iter().map(|d| book.publish(d).unwrap()).collect()
    }

    #[test]
    fn neighbouring_detections_within_the_window_make_one_version() {
        let mut book = book();
        book.observe(&signal("04000", 2, 0), 0);
        book.observe(&signal("04003", 2, MIN), MIN);
        assert!(book.due(4 * MIN).is_empty());
        let drafts = book.due(5 * MIN);
        assert_eq!(drafts.len(), 1);
        assert_eq!(
            (drafts[0].action, drafts[0].level, drafts[0].areas.len()),
            (Action::Raised, 2, 2)
        );
        assert_eq!(publish_all(&mut book, &drafts), vec![Vec::<u32>::new()]);
    }

    #[test]
    fn an_area_takes_the_highest_level_any_rule_gives_it() {
        let mut book = book();
        book.observe(&signal("04000", 2, 0), 0);
        book.observe(
            &Signal {
                rule: "river_flood_forecast".into(),
                certainty: "likely".into(),
                ..signal("04000", 3, 0)
            },
            0,
        );
        let first = book.due(5 * MIN);
        assert_eq!(
            (first[0].level, first[0].areas["04000"].certainty.as_str()),
            (3, "likely")
        );
        publish_all(&mut book, &first);
        book.observe(
            &Signal {
                rule: "river_flood_forecast".into(),
                certainty: "likely".into(),
                ..signal("04000", 0, 6 * MIN)
            },
            6 * MIN,
        );
        let second = book.due(11 * MIN);
        assert_eq!(
            (second[0].action, second[0].level, second[0].areas.len()),
            (Action::Updated, 2, 1)
        );
    }

    #[test]
    fn escalation_is_drafted_at_once_and_references_the_earlier_versions() {
        let mut book = book();
        book.observe(&signal("04000", 2, 0), 0);
        let first = book.due(5 * MIN);
        publish_all(&mut book, &first);
        book.observe(&signal("04000", 3, 6 * MIN), 6 * MIN);
        let second = book.due(6 * MIN);
        assert_eq!(second[0].action, Action::Escalated);
        assert_eq!(publish_all(&mut book, &second), vec![vec![1]]);
        book.observe(&signal("04003", 1, 7 * MIN), 7 * MIN);
        assert!(book.due(8 * MIN).is_empty());
        let third = book.due(12 * MIN);
        assert_eq!(
            (third[0].action, third[0].level, third[0].areas.len()),
            (Action::Updated, 3, 2)
        );
        assert_eq!(publish_all(&mut book, &third), vec![vec![1, 2]]);
    }

    #[test]
    fn clearing_every_area_ends_with_an_all_clear() {
        let mut book = book();
        book.observe(&signal("04000", 2, 0), 0);
        let first = book.due(5 * MIN);
        publish_all(&mut book, &first);
        book.observe(&signal("04000", 0, 20 * MIN), 20 * MIN);
        let last = book.due(25 * MIN);
        assert_eq!(
            (last[0].action, last[0].level, last[0].areas.len()),
            (Action::AllClear, 0, 0)
        );
        publish_all(&mut book, &last);
        assert!(book.warnings.is_empty());
    }

    #[test]
    fn a_warning_cleared_before_publication_is_withdrawn_without_message() {
        let mut book = book();
        book.observe(&signal("04000", 2, 0), 0);
        let first = book.due(5 * MIN);
        book.observe(&signal("04000", 0, 6 * MIN), 6 * MIN);
        let second = book.due(11 * MIN);
        assert_eq!(second[0].action, Action::Withdrawn);
        assert!(!second[0].action.is_message());
        assert!(book.warnings.is_empty());
        assert_eq!(
            book.publish(&first[0]),
            Err(LifecycleError::UnknownWarning(1))
        );
    }

    #[test]
    fn a_newer_draft_supersedes_an_unpublished_one() {
        let mut book = book();
        book.observe(&signal("04000", 2, 0), 0);
        let first = book.due(5 * MIN);
        book.observe(&signal("04000", 4, 6 * MIN), 6 * MIN);
        let second = book.due(6 * MIN);
        assert_eq!((second[0].action, second[0].number), (Action::Raised, 2));
        let refused = book.publish(&first[0]).unwrap_err();
        assert_eq!(
            refused,
            LifecycleError::Superseded {
                warning: 1,
                number: 1,
                latest: 2
            }
        );
        assert_eq!(book.publish(&second[0]).unwrap(), Vec::<u32>::new());
    }

    #[test]
    fn warnings_in_force_are_renewed_and_unrenewed_ones_expire() {
        let mut book = book();
        book.observe(&signal("04000", 2, 0), 0);
        let first = book.due(5 * MIN);
        publish_all(&mut book, &first);
        assert!(book.due(54 * MIN).is_empty());
        let renewal = book.due(55 * MIN);
        assert_eq!(
            (renewal[0].action, renewal[0].expires_ms),
            (Action::Renewed, 115 * MIN)
        );
        publish_all(&mut book, &renewal);
        let second_renewal = book.due(105 * MIN);
        assert_eq!(second_renewal[0].action, Action::Renewed);
        assert!(
            book.due(200 * MIN).is_empty(),
            "an unpublished renewal neither renews again nor expires"
        );
        publish_all(&mut book, &second_renewal);
        book.policy.renew_before_ms = 0;
        let expired = book.due(165 * MIN);
        assert_eq!(expired[0].action, Action::Expired);
        assert!(book.warnings.is_empty());
    }

    #[test]
    fn cancel_ends_the_warning_with_a_cancel_version() {
        let mut book = book();
        book.observe(&signal("04000", 3, 0), 0);
        let first = book.due(5 * MIN);
        publish_all(&mut book, &first);
        let cancel = book.cancel(1, 10 * MIN).unwrap();
        assert_eq!(
            (cancel.action, cancel.level, cancel.number),
            (Action::Cancelled, 0, 2)
        );
        assert_eq!(book.publish(&cancel).unwrap(), vec![1]);
        assert!(book.warnings.is_empty());
        assert_eq!(
            book.cancel(1, 11 * MIN),
            Err(LifecycleError::UnknownWarning(1))
        );
    }
}
