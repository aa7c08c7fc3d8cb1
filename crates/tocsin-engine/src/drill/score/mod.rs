//! Scoring a drill against its expected outcome: for each expectation, whether it was met, when
//! (and so the lead time before the time it was expected by) and the highest level reached;
//! warnings nobody expected; how fast notifications were acknowledged and incidents opened;
//! resource shortfalls and overdue tasks. Every time in the report is scenario time, so two runs
//! of one scenario give the same report.

mod expectations;

use super::scenario::{Expectation, Scenario};
use crate::access::Principal;
use crate::engine::Engine;
use crate::error::Result;
use expectations::{score_detection, score_incident, score_warning};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tocsin_core::clock::timestamp_text;
use tocsin_store::{NotificationRecord, RegionFilter, VersionState};

/// A limit that reads a drill's own store whole.
const WHOLE: usize = usize::MAX >> 1;

/// The scored drill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillReport {
    pub drill: String,
    pub title_vi: String,
    pub title_en: String,
    pub start: String,
    pub end: String,
    pub status: String,
    pub observations: usize,
    pub expectations: Vec<ExpectationScore>,
    pub expectations_met: usize,
    pub warnings: Vec<WarningSummary>,
    /// Warnings no expectation asked for.
    pub false_warnings: Vec<u64>,
    /// Of the expected warnings that were raised, the share whose highest level reached at least
    /// the expected level.
    pub level_accuracy: f64,
    pub incidents: Vec<IncidentSummary>,
    pub notifications: NotificationSummary,
    /// The outside alerts and what their verification said.
    pub alerts: Vec<JudgedAlert>,
    /// How many of them the verification judged rightly (fakes untrusted, genuine trusted).
    pub alerts_judged_rightly: usize,
    /// The faults injected and what they held back.
    pub faults: Vec<FaultSummary>,
    /// For a drill an administrator cancelled: the scenario time it had reached (the report
    /// covers what happened until then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<String>,
}

/// A fault of the scenario and its effect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultSummary {
    pub fault: crate::drill::scenario::FaultDef,
    /// Observations the stations kept while the node was offline and sent when it was back.
    pub held_observations: usize,
    /// Reports and outside alerts that reached the node only when it was back.
    pub held_messages: usize,
}

/// An outside alert received during the drill, with the verification's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgedAlert {
    pub time: String,
    pub label: String,
    pub genuine: bool,
    pub trusted: bool,
    pub verdict: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpectationScore {
    pub expected: Expectation,
    pub met: bool,
    /// When it happened (scenario time), if it did.
    pub happened: Option<String>,
    /// Minutes before the time it was expected by (negative: late).
    pub lead_minutes: Option<i64>,
    pub level_reached: u8,
    /// The warning or incident that met it.
    pub by_id: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarningSummary {
    pub warning: u64,
    pub hazard: String,
    pub province: String,
    pub first_released: String,
    pub highest_level: u8,
    pub versions: usize,
    /// Every released alert carries CAP status Exercise.
    pub all_exercise: bool,
    /// (release time, level) of each version, in time order.
    pub levels: Vec<(String, u8)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentSummary {
    pub id: u64,
    pub title: String,
    pub hazard: String,
    pub level: u8,
    pub exercise: bool,
    pub opened: String,
    /// Minutes from the first release of its warning to its opening.
    pub minutes_after_warning: Option<i64>,
    pub tasks: usize,
    pub overdue_tasks: usize,
    /// Kind → quantity that could not be found.
    pub shortfalls: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationSummary {
    pub total: usize,
    /// Notifications at least one of whose deliveries arrived.
    pub delivered: usize,
    /// Delivery attempts that failed (and were retried, or given up).
    pub failed_attempts: usize,
    /// Notifications none of whose deliveries had arrived by the drill's end.
    pub undelivered: usize,
    /// Notifications made because the tier below did not acknowledge in time.
    pub escalations: usize,
    pub acknowledged: usize,
    /// Median minutes from notification to acknowledgement, of those acknowledged.
    pub median_minutes_to_ack: Option<i64>,
}

/// A warning as scored: its versions' first release, highest level, whether all are exercises.
struct Released {
    warning: u64,
    hazard: String,
    province: String,
    communes: Vec<String>,
    first_ms: i64,
    /// (release time, level) of every version.
    levels: Vec<(i64, u8)>,
    versions: usize,
    all_exercise: bool,
}

fn released(engine: &Engine) -> Result<Vec<Released>> {
    // The drill's own store, read whole (the API pages what it lists).
    let versions = engine.store().versions_in(
        &RegionFilter::all(),
        &[VersionState::Published, VersionState::Superseded],
        None,
        None,
        WHOLE,
    )?;
    let mut by_warning: BTreeMap<u64, Released> = BTreeMap::new();
    for v in versions {
        let Some(p) = &v.publication else { continue };
        let draft: tocsin_core::warning::Draft = match serde_json::from_str(&v.draft) {
            Ok(d) => d,
            Err(_) => continue,
        };
        let entry = by_warning.entry(v.warning).or_insert_with(|| Released {
            warning: v.warning,
            hazard: v.hazard.clone(),
            province: v.province.clone(),
            communes: Vec::new(),
            first_ms: p.released_ms,
            levels: Vec::new(),
            versions: 0,
            all_exercise: true,
        });
        entry.first_ms = entry.first_ms.min(p.released_ms);
        entry.levels.push((p.released_ms, v.level));
        entry.communes.extend(draft.areas.keys().cloned());
        entry.versions += 1;
        entry.all_exercise &= p.cap_xml.contains("<status>Exercise</status>");
    }
    Ok(by_warning.into_values().collect())
}

/// Scores the drill that ran in `engine`.
pub fn score(
    engine: &Engine,
    scenario: &Scenario,
    observations: usize,
    alerts: Vec<JudgedAlert>,
) -> Result<DrillReport> {
    let warnings = released(engine)?;
    // Every incident and level change of the drill: its own store, read whole.
    let incidents = engine
        .store()
        .incidents(&RegionFilter::all(), None, WHOLE)?;
    let detections = engine
        .store()
        .detections(&RegionFilter::all(), 0, i64::MAX, WHOLE)?;
    let meta = &scenario.file.drill;
    let mut expectations = Vec::new();
    let mut matched_warnings = Vec::new();
    for e in &scenario.file.expect {
        let score = match e.what.as_str() {
            "warning" => {
                let (score, matched) = score_warning(e, &warnings);
                matched_warnings.extend(matched);
                score
            }
            "detection" => score_detection(e, &detections),
            _ => score_incident(e, &incidents),
        };
        expectations.push(score);
    }
    let raised: Vec<&ExpectationScore> = expectations
        .iter()
        .filter(|s| s.expected.what == "warning" && s.by_id.is_some())
        .collect();
    let level_accuracy = if raised.is_empty() {
        0.0
    } else {
        raised
            .iter()
            .filter(|s| s.level_reached >= s.expected.min_level)
            .count() as f64
            / raised.len() as f64
    };
    let end_ms = meta.end.as_millisecond();
    let mut incident_summaries = Vec::new();
    let admin = Principal::local_admin();
    for i in &incidents {
        let detail = engine.incident(&admin, i.id)?;
        let mut shortfalls = BTreeMap::new();
        for r in detail.requests.iter().filter(|r| r.shortfall > 0) {
            *shortfalls.entry(r.kind.clone()).or_insert(0) += r.shortfall;
        }
        let warned = i
            .warning
            .and_then(|w| warnings.iter().find(|r| r.warning == w))
            .map(|r| r.first_ms);
        incident_summaries.push(IncidentSummary {
            id: i.id,
            title: i.title.clone(),
            hazard: i.hazard.clone(),
            level: i.level,
            exercise: i.exercise,
            opened: timestamp_text(i.opened_ms),
            minutes_after_warning: warned.map(|w| (i.opened_ms - w) / 60_000),
            tasks: detail.tasks.len(),
            overdue_tasks: detail
                .tasks
                .iter()
                .filter(|t| t.status == "open" && t.due_ms < end_ms)
                .count(),
            shortfalls,
        });
    }
    let notifications = engine
        .store()
        .notifications(&RegionFilter::all(), None, None, WHOLE)?;
    Ok(DrillReport {
        drill: meta.id.clone(),
        title_vi: meta.title_vi.clone(),
        title_en: meta.title_en.clone(),
        start: meta.start.to_string(),
        end: meta.end.to_string(),
        status: "Exercise".into(),
        cancelled_at: None,
        observations,
        expectations_met: expectations.iter().filter(|s| s.met).count(),
        expectations,
        false_warnings: warnings
            .iter()
            .map(|w| w.warning)
            .filter(|w| !matched_warnings.contains(w))
            .collect(),
        warnings: warnings
            .iter()
            .map(|w| WarningSummary {
                warning: w.warning,
                hazard: w.hazard.clone(),
                province: w.province.clone(),
                first_released: timestamp_text(w.first_ms),
                highest_level: w.levels.iter().map(|l| l.1).max().unwrap_or(0),
                versions: w.versions,
                all_exercise: w.all_exercise,
                levels: {
                    let mut levels = w.levels.clone();
                    levels.sort();
                    levels
                        .into_iter()
                        .map(|(t, l)| (timestamp_text(t), l))
                        .collect()
                },
            })
            .collect(),
        level_accuracy,
        incidents: incident_summaries,
        notifications: notification_summary(&notifications),
        alerts_judged_rightly: alerts.iter().filter(|a| a.trusted == a.genuine).count(),
        alerts,
        faults: Vec::new(),
    })
}

/// Counts of the notifications' deliveries, escalations and acknowledgements.
fn notification_summary(notifications: &[NotificationRecord]) -> NotificationSummary {
    let mut delays: Vec<i64> = notifications
        .iter()
        .filter_map(|n| n.acked_ms.map(|a| (a - n.created_ms) / 60_000))
        .collect();
    delays.sort();
    let sent: Vec<&NotificationRecord> = notifications
        .iter()
        .filter(|n| !n.deliveries.is_empty())
        .collect();
    let arrived = |n: &NotificationRecord| n.deliveries.iter().any(|d| d.state == "delivered");
    NotificationSummary {
        total: notifications.len(),
        delivered: sent.iter().filter(|n| arrived(n)).count(),
        failed_attempts: notifications
            .iter()
            .flat_map(|n| &n.deliveries)
            .flat_map(|d| &d.attempts)
            .filter(|a| a.outcome != "delivered")
            .count(),
        undelivered: sent.iter().filter(|n| !arrived(n)).count(),
        escalations: notifications
            .iter()
            .filter(|n| n.reason.contains("escalation"))
            .count(),
        acknowledged: delays.len(),
        median_minutes_to_ack: delays.get(delays.len() / 2).copied(),
    }
}
