//! Dissemination: who is told about which released warning, when, and who is told next when
//! nobody acknowledges. Pure and clock-free: notices and ticks come in with their time, and the
//! same inputs give the same notifications.
//!
//! - **Routing** ([`route`]): a tree of routes picks, per notice, the recipients to tell.
//! - **Grouping**: notices of one group (per route, by `group_by`) wait `group_wait` before the
//!   first notification, changes are sent at most every `group_interval`, and a group still in
//!   force is sent again after `repeat_interval` (as Prometheus Alertmanager does).
//! - **Inhibition**: a notice in force can suppress others (a level-4 flood warning suppresses
//!   level-2 flood notices for the same province); **silences** suppress what they match until
//!   they expire. Suppressed notifications are still returned, marked, so the record shows them.
//! - **Acknowledgement and escalation**: a notification that needs acknowledgement starts a
//!   deadline for its tier; if nobody acknowledges the warning version in time, the next tier up
//!   (commune → province → national) is told, and its own deadline starts.
//! - **Exercises never leak**: notices whose status is not `Actual` reach only recipients that
//!   take exercises, marked as such, for their channels marked for exercises.

pub mod route;

use route::{Policy, Route};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The administrative level a recipient answers at (and a scenario or resource belongs to).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Commune,
    Province,
    National,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Commune => "commune",
            Tier::Province => "province",
            Tier::National => "national",
        }
    }

    /// Reads `commune`, `province` or `national`.
    pub fn parse(text: &str) -> Option<Tier> {
        [Tier::Commune, Tier::Province, Tier::National]
            .into_iter()
            .find(|t| t.as_str() == text)
    }

    /// The tier told when this one does not acknowledge.
    pub fn above(self) -> Option<Tier> {
        match self {
            Tier::Commune => Some(Tier::Province),
            Tier::Province => Some(Tier::National),
            Tier::National => None,
        }
    }
}

/// An agency that receives warnings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipient {
    pub id: String,
    pub name: String,
    /// `standing` for the agency that coordinates at its level, or a sector (`health`,
    /// `environment`, `police`, `cyber`, `agriculture`…).
    pub sector: String,
    /// The region it answers for: a commune or province code, or `VN`.
    pub region: String,
    pub tier: Tier,
    /// Whether it takes exercise and test notices (drill participants).
    #[serde(default)]
    pub exercises: bool,
}

/// A released warning version, as dissemination sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub warning: u64,
    pub version: u32,
    pub hazard: String,
    /// The sector the hazard belongs to (`disaster`, `health`, `environment`…).
    pub sector: String,
    pub province: String,
    pub communes: Vec<String>,
    pub level: u8,
    /// CAP status: `Actual`, `Exercise` or `Test`.
    pub status: String,
    /// The lifecycle action (`raised`, `escalated`, `all-clear`…).
    pub action: String,
    /// Whether the province has concurrent hazards in force.
    pub concurrent: bool,
}

impl Notice {
    /// Whether the notice concerns the region `code` (its province or one of its communes).
    pub fn concerns(&self, code: &str) -> bool {
        self.province == code || self.communes.iter().any(|c| c == code)
    }

    /// Whether the warning ends with this notice.
    pub fn ends(&self) -> bool {
        matches!(self.action.as_str(), "all-clear" | "cancelled")
    }
}

/// A silence: matching notifications are recorded but not sent until it ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Silence {
    pub id: u64,
    pub matchers: route::Matchers,
    /// Only this recipient, when set.
    pub recipient: Option<String>,
    pub starts_ms: i64,
    pub ends_ms: i64,
    pub author: String,
    pub reason: String,
}

impl Silence {
    fn silences(&self, notice: &Notice, recipient: &str, now_ms: i64) -> bool {
        (self.starts_ms..self.ends_ms).contains(&now_ms)
            && self.recipient.as_ref().is_none_or(|r| r == recipient)
            && self.matchers.matches(notice)
    }
}

/// Why a notification was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Reason {
    /// A route took the notice (its path of names).
    Route { route: String },
    /// A group in force was sent again.
    Repeat { route: String },
    /// The tier below did not acknowledge in time.
    Escalation { from: Tier },
}

/// Why a notification is recorded but not sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Suppression {
    Silenced { silence: u64 },
    Inhibited { by_warning: u64 },
}

/// One message to one recipient about one warning version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub recipient: String,
    pub warning: u64,
    pub version: u32,
    /// The province the warning is for.
    pub province: String,
    pub reason: Reason,
    pub suppressed: Option<Suppression>,
    /// Whether the recipient is asked to acknowledge.
    pub needs_ack: bool,
    pub time_ms: i64,
    /// Whether it is about an exercise or a test (status other than `Actual`): it goes only to
    /// the recipient's channels marked for exercises.
    #[serde(default)]
    pub exercise: bool,
}

/// Notices of one route and group key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Group {
    route: String,
    notices: BTreeMap<u64, Notice>,
    /// Warnings with a version not yet notified.
    fresh: Vec<u64>,
    next_flush_ms: Option<i64>,
    last_flush_ms: Option<i64>,
}

/// An acknowledgement awaited from a tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct AckWait {
    notice: Notice,
    tier: Tier,
    deadline_ms: i64,
}

/// What the dispatcher remembers between ticks (kept across restarts by the caller).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Groups by route path and group key.
    groups: BTreeMap<String, Group>,
    /// The newest notice of each warning in force (for inhibition).
    in_force: BTreeMap<u64, Notice>,
    waits: Vec<AckWait>,
}

/// The dispatcher: policy, recipients and silences, and its state.
#[derive(Debug, Clone, Default)]
pub struct Dispatcher {
    pub policy: Policy,
    pub recipients: Vec<Recipient>,
    pub silences: Vec<Silence>,
    pub state: State,
}

impl Dispatcher {
    pub fn new(policy: Policy, recipients: Vec<Recipient>) -> Self {
        Dispatcher {
            policy,
            recipients,
            ..Default::default()
        }
    }

    /// A released version arrives; its notifications come out of [`Dispatcher::tick`].
    /// An ending notice (all-clear, cancel) is routed at the level of the version it ends, so it
    /// reaches everyone who was told.
    pub fn notice(&mut self, notice: Notice, now_ms: i64) {
        let mut routed = notice.clone();
        if notice.ends() {
            let ended = self.state.in_force.remove(&notice.warning);
            routed.level = ended.map_or(notice.level, |e| e.level.max(notice.level));
            self.state
                .waits
                .retain(|w| w.notice.warning != notice.warning);
        } else {
            self.state.in_force.insert(notice.warning, notice.clone());
        }
        let mut takers = Vec::new();
        route::take_first(&self.policy.routes, &routed, "", &mut takers);
        for (path, route) in takers {
            let key = format!("{path}#{}", route.group_key(&notice));
            let group = self.state.groups.entry(key).or_insert_with(|| Group {
                route: path,
                ..Default::default()
            });
            group.notices.insert(notice.warning, notice.clone());
            if !group.fresh.contains(&notice.warning) {
                group.fresh.push(notice.warning);
            }
            let due = match group.last_flush_ms {
                None => now_ms + route.group_wait_s * 1000,
                Some(last) => (last + route.group_interval_s * 1000).max(now_ms),
            };
            group.next_flush_ms = Some(group.next_flush_ms.map_or(due, |d| d.min(due)));
        }
    }

    /// Someone acknowledged the warning version: no tier is escalated from for it any more.
    pub fn acknowledge(&mut self, warning: u64, version: u32) {
        self.state
            .waits
            .retain(|w| !(w.notice.warning == warning && w.notice.version <= version));
    }

    /// The notifications due at `now_ms`: flushed groups, repeats and escalations.
    pub fn tick(&mut self, now_ms: i64) -> Vec<Notification> {
        let mut out = Vec::new();
        let due: Vec<String> = self
            .state
            .groups
            .iter()
            .filter(|(_, g)| g.next_flush_ms.is_some_and(|t| t <= now_ms))
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            self.flush(&key, now_ms, &mut out);
        }
        self.escalate(now_ms, &mut out);
        out
    }

    fn flush(&mut self, key: &str, now_ms: i64, out: &mut Vec<Notification>) {
        let Some(mut group) = self.state.groups.remove(key) else {
            return;
        };
        let Some(route) = find_route(&self.policy.routes, &group.route).cloned() else {
            return;
        };
        let repeat = group.fresh.is_empty();
        let sending: Vec<Notice> = match repeat {
            true => group.notices.values().cloned().collect(),
            false => group
                .fresh
                .iter()
                .filter_map(|w| group.notices.get(w))
                .cloned()
                .collect(),
        };
        for notice in &sending {
            let reason = match repeat {
                true => Reason::Repeat {
                    route: group.route.clone(),
                },
                false => Reason::Route {
                    route: group.route.clone(),
                },
            };
            self.notify_selected(notice, route.recipients.as_ref(), reason, now_ms, out);
        }
        group.fresh.clear();
        group.notices.retain(|_, n| !n.ends());
        group.last_flush_ms = Some(now_ms);
        group.next_flush_ms =
            (!group.notices.is_empty()).then_some(now_ms + route.repeat_interval_s * 1000);
        if !group.notices.is_empty() {
            self.state.groups.insert(key.to_string(), group);
        }
    }

    /// Notifies every recipient `selector` picks, and starts the acknowledgement deadlines.
    fn notify_selected(
        &mut self,
        notice: &Notice,
        selector: Option<&route::Selector>,
        reason: Reason,
        now_ms: i64,
        out: &mut Vec<Notification>,
    ) {
        let Some(selector) = selector else { return };
        // Drill participants acknowledge exercise notices as they would real ones (their speed
        // is part of what a drill measures); test messages ask nothing of anyone.
        let needs_ack =
            !notice.ends() && notice.level >= self.policy.ack_min_level && notice.status != "Test";
        let chosen: Vec<Recipient> = self
            .recipients
            .iter()
            .filter(|r| selector.selects(r, notice) && (notice.status == "Actual" || r.exercises))
            .cloned()
            .collect();
        for recipient in &chosen {
            let suppressed = self.suppression(notice, &recipient.id, now_ms);
            let ack = needs_ack && suppressed.is_none();
            if ack {
                self.await_ack(notice, recipient.tier, now_ms);
            }
            out.push(Notification {
                recipient: recipient.id.clone(),
                warning: notice.warning,
                version: notice.version,
                province: notice.province.clone(),
                reason: reason.clone(),
                suppressed,
                needs_ack: ack,
                time_ms: now_ms,
                exercise: notice.status != "Actual",
            });
        }
    }

    fn suppression(&self, notice: &Notice, recipient: &str, now_ms: i64) -> Option<Suppression> {
        if let Some(silence) = self
            .silences
            .iter()
            .find(|s| s.silences(notice, recipient, now_ms))
        {
            return Some(Suppression::Silenced {
                silence: silence.id,
            });
        }
        let inhibitor = self.state.in_force.values().find(|source| {
            self.policy
                .inhibitions
                .iter()
                .any(|rule| rule.inhibits(source, notice))
        })?;
        Some(Suppression::Inhibited {
            by_warning: inhibitor.warning,
        })
    }

    fn await_ack(&mut self, notice: &Notice, tier: Tier, now_ms: i64) {
        let Some(timeout) = self.policy.ack_timeout_s.get(&tier) else {
            return;
        };
        let waiting = self.state.waits.iter().any(|w| {
            w.notice.warning == notice.warning
                && w.notice.version == notice.version
                && w.tier == tier
        });
        if !waiting {
            self.state.waits.push(AckWait {
                notice: notice.clone(),
                tier,
                deadline_ms: now_ms + timeout * 1000,
            });
        }
    }

    /// Tells the tier above for every deadline passed without acknowledgement.
    fn escalate(&mut self, now_ms: i64, out: &mut Vec<Notification>) {
        let (expired, waiting): (Vec<AckWait>, Vec<AckWait>) = self
            .state
            .waits
            .drain(..)
            .partition(|w| w.deadline_ms <= now_ms);
        self.state.waits = waiting;
        for wait in expired {
            let Some(above) = wait.tier.above() else {
                continue;
            };
            let within = match above {
                Tier::Province => route::Within::Province,
                _ => route::Within::Any,
            };
            let selector = route::Selector {
                tier: Some(above),
                sector: Some("standing".into()),
                within,
            };
            self.notify_selected(
                &wait.notice,
                Some(&selector),
                Reason::Escalation { from: wait.tier },
                now_ms,
                out,
            );
        }
    }
}

/// The route at a path of names.
fn find_route<'a>(routes: &'a [Route], path: &str) -> Option<&'a Route> {
    let (first, rest) = path
        .split_once('/')
        .map_or((path, None), |(f, r)| (f, Some(r)));
    let route = routes.iter().find(|r| r.name == first)?;
    match rest {
        None => Some(route),
        Some(rest) => find_route(&route.routes, rest),
    }
}

#[cfg(test)]
mod tests;
