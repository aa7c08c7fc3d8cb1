//! The routing policy: a tree of routes with matchers on the notice (hazard, sector, level,
//! status, concurrent hazards), each naming which recipients it reaches (tier, sector, and where
//! they answer relative to the warned area), with `continue` and the grouping timers; inhibition
//! rules; and acknowledgement deadlines per tier.
//!
//! A notice enters at the top-level routes in order. A route that matches tries its children;
//! when none of them takes the notice the route takes it itself. A route that takes the notice
//! stops its later siblings unless it says `continue = true`.

use super::{Notice, Recipient, Tier};
use serde::{Deserialize, Serialize};

/// Conditions on a notice; empty lists and `None` match anything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matchers {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hazards: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sectors: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_level: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_level: Option<u8>,
    /// CAP statuses: `Actual`, `Exercise`, `Test`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<String>,
    /// Only notices for provinces with (or without) concurrent hazards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrent: Option<bool>,
    /// A province or commune code the notice must concern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl Matchers {
    pub fn matches(&self, notice: &Notice) -> bool {
        let listed =
            |list: &[String], value: &str| list.is_empty() || list.iter().any(|v| v == value);
        listed(&self.hazards, &notice.hazard)
            && listed(&self.sectors, &notice.sector)
            && listed(&self.statuses, &notice.status)
            && self.min_level.is_none_or(|min| notice.level >= min)
            && self.max_level.is_none_or(|max| notice.level <= max)
            && self.concurrent.is_none_or(|c| c == notice.concurrent)
            && self.region.as_ref().is_none_or(|r| notice.concerns(r))
    }
}

/// Where a recipient must answer, relative to the notice's area.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Within {
    /// One of the warned communes (or the province when the warning names no commune).
    Area,
    /// The warned province.
    Province,
    /// Anywhere.
    #[default]
    Any,
}

/// Which recipients a route reaches.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    #[serde(default)]
    pub tier: Option<Tier>,
    /// `standing` for the standing agencies that coordinate, or a sector such as `health`.
    #[serde(default)]
    pub sector: Option<String>,
    #[serde(default)]
    pub within: Within,
}

impl Selector {
    pub fn selects(&self, recipient: &Recipient, notice: &Notice) -> bool {
        let place = match self.within {
            Within::Area if notice.communes.is_empty() => recipient.region == notice.province,
            Within::Area => notice.communes.contains(&recipient.region),
            Within::Province => recipient.region == notice.province,
            Within::Any => true,
        };
        place
            && self.tier.is_none_or(|t| t == recipient.tier)
            && self.sector.as_ref().is_none_or(|s| *s == recipient.sector)
    }
}

/// One route of the tree.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub name: String,
    #[serde(default, rename = "match")]
    pub matchers: Matchers,
    /// Whom the route reaches when it takes a notice itself (none: a pure branch).
    #[serde(default)]
    pub recipients: Option<Selector>,
    #[serde(default, rename = "continue")]
    pub continue_: bool,
    /// Notice fields whose values form a group: `warning`, `hazard`, `province`.
    #[serde(default = "default_group_by")]
    pub group_by: Vec<String>,
    /// Seconds a new group waits for more notices before its first notification.
    #[serde(default)]
    pub group_wait_s: i64,
    /// Seconds between notifications of a group that changed.
    #[serde(default = "default_group_interval")]
    pub group_interval_s: i64,
    /// Seconds after which an unchanged group in force is notified again.
    #[serde(default = "default_repeat_interval")]
    pub repeat_interval_s: i64,
    #[serde(default)]
    pub routes: Vec<Route>,
}

fn default_group_by() -> Vec<String> {
    vec!["warning".into()]
}

fn default_group_interval() -> i64 {
    300
}

fn default_repeat_interval() -> i64 {
    4 * 3600
}

impl Route {
    /// The routes (this one or descendants) that take the notice, by path of names.
    pub fn takers<'a>(
        &'a self,
        notice: &Notice,
        path: &str,
        out: &mut Vec<(String, &'a Route)>,
    ) -> bool {
        if !self.matchers.matches(notice) {
            return false;
        }
        let path = if path.is_empty() {
            self.name.clone()
        } else {
            format!("{path}/{}", self.name)
        };
        if !take_first(&self.routes, notice, &path, out) {
            out.push((path, self));
        }
        true
    }

    /// The group key of a notice under this route.
    pub fn group_key(&self, notice: &Notice) -> String {
        let value = |field: &str| match field {
            "warning" => notice.warning.to_string(),
            "hazard" => notice.hazard.clone(),
            "province" => notice.province.clone(),
            other => format!("?{other}"),
        };
        self.group_by
            .iter()
            .map(|f| value(f))
            .collect::<Vec<_>>()
            .join("|")
    }
}

/// Tries `routes` in order: each that takes the notice stops the rest unless it continues.
pub fn take_first<'a>(
    routes: &'a [Route],
    notice: &Notice,
    path: &str,
    out: &mut Vec<(String, &'a Route)>,
) -> bool {
    let mut taken = false;
    for route in routes {
        if route.takers(notice, path, out) {
            taken = true;
            if !route.continue_ {
                break;
            }
        }
    }
    taken
}

/// A notice matching `source` in force suppresses notices matching `target` that agree with it
/// on every `equal` field (`hazard`, `province`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inhibition {
    pub source: Matchers,
    pub target: Matchers,
    #[serde(default)]
    pub equal: Vec<String>,
}

impl Inhibition {
    pub fn inhibits(&self, source: &Notice, target: &Notice) -> bool {
        let same = |field: &String| match field.as_str() {
            "hazard" => source.hazard == target.hazard,
            "province" => source.province == target.province,
            _ => false,
        };
        source.warning != target.warning
            && self.source.matches(source)
            && self.target.matches(target)
            && self.equal.iter().all(same)
    }
}

/// The whole policy.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default, rename = "route")]
    pub routes: Vec<Route>,
    #[serde(default, rename = "inhibit")]
    pub inhibitions: Vec<Inhibition>,
    /// Seconds a tier has to acknowledge before the next tier is told; a tier without an
    /// entry is not escalated from.
    #[serde(default)]
    pub ack_timeout_s: std::collections::BTreeMap<Tier, i64>,
    /// Only notices of at least this level need acknowledgement.
    #[serde(default = "default_ack_level")]
    pub ack_min_level: u8,
    /// The sector each hazard belongs to (`health` for epidemics…); `disaster` otherwise.
    #[serde(default)]
    pub sectors: std::collections::BTreeMap<String, String>,
}

impl Policy {
    /// The sector of a hazard.
    pub fn sector_of(&self, hazard: &str) -> &str {
        self.sectors.get(hazard).map_or("disaster", String::as_str)
    }
}

fn default_ack_level() -> u8 {
    1
}
