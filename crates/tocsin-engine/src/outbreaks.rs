//! Outbreak rules in the running system: count series kept per period (ISO week or month), and
//! the rule's detector judging each newest period as its count arrives. An alarm raises the
//! rule's level at the reporting station; a period without alarm returns it to 0.

use std::collections::HashMap;
use tocsin_core::catalog::outbreak::CompiledOutbreak;
use tocsin_core::observation::Observation;
use tocsin_core::periods::{PeriodSeries, period_of};

/// A level change of an outbreak rule at a station.
#[derive(Debug, Clone, PartialEq)]
pub struct OutbreakChange {
    pub station: usize,
    pub rule: usize,
    pub from: u8,
    pub to: u8,
    pub time_ms: i64,
    /// The period's count.
    pub count: f64,
    /// The detector's upper bound for the period.
    pub upperbound: Option<f64>,
}

/// Count series and levels of every outbreak rule.
#[derive(Debug, Default)]
pub struct OutbreakTracker {
    pub rules: Vec<CompiledOutbreak>,
    /// Series id → (station index, rules on the series' metric).
    series: HashMap<i64, (usize, Vec<usize>)>,
    counts: HashMap<(i64, usize), PeriodSeries>,
    newest_period: HashMap<(i64, usize), i64>,
    levels: HashMap<(usize, usize), u8>,
    changes: Vec<OutbreakChange>,
}

impl OutbreakTracker {
    pub fn new(rules: Vec<CompiledOutbreak>) -> OutbreakTracker {
        OutbreakTracker {
            rules,
            ..Default::default()
        }
    }

    /// Registers a station's series when outbreak rules read its metric.
    pub fn register(&mut self, series: i64, station: usize, metric: &str) {
        let rules: Vec<usize> = (0..self.rules.len())
            .filter(|&r| self.rules[r].metric == metric)
            .collect();
        if !rules.is_empty() {
            self.series.insert(series, (station, rules));
        }
    }

    /// The series some outbreak rule reads.
    pub fn series_ids(&self) -> Vec<i64> {
        self.series.keys().copied().collect()
    }

    /// Records a period's count and judges the period when it is the newest of its series.
    pub fn observe(&mut self, observation: &Observation) {
        let Some((station, rules)) = self.series.get(&observation.series).cloned() else {
            return;
        };
        let time = jiff::Timestamp::from_millisecond(observation.time_ms)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        for rule in rules {
            let frequency = self.rules[rule].frequency;
            let key = (observation.series, frequency);
            let period = period_of(time, frequency);
            self.counts
                .entry(key)
                .or_default()
                .set(period, observation.value);
            let newest = self.newest_period.entry(key).or_insert(period);
            if period < *newest {
                continue;
            }
            *newest = period;
            self.judge(station, rule, key, period, observation);
        }
    }

    fn judge(
        &mut self,
        station: usize,
        rule: usize,
        key: (i64, usize),
        period: i64,
        observation: &Observation,
    ) {
        let outbreak = &self.rules[rule];
        let verdict = match self.counts[&key].judge(period, outbreak.frequency, &outbreak.method) {
            Ok(verdict) => verdict,
            Err(reason) => {
                tracing::debug!(rule = %outbreak.id, %reason, "period not judged");
                return;
            }
        };
        let to = if verdict.alarm == Some(true) {
            outbreak.level
        } else {
            0
        };
        let from = self.levels.get(&(station, rule)).copied().unwrap_or(0);
        if to != from {
            self.levels.insert((station, rule), to);
            self.changes.push(OutbreakChange {
                station,
                rule,
                from,
                to,
                time_ms: observation.time_ms,
                count: observation.value,
                upperbound: verdict.upperbound,
            });
        }
    }

    /// Resumes a stored level.
    pub fn set_level(&mut self, station: usize, rule_id: &str, level: u8) {
        if let Some(rule) = self.rules.iter().position(|r| r.id == rule_id) {
            self.levels.insert((station, rule), level);
        }
    }

    /// The changes since the last call.
    pub fn take_changes(&mut self) -> Vec<OutbreakChange> {
        std::mem::take(&mut self.changes)
    }
}
