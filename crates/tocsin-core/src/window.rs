//! Sliding time windows over one series, updated in amortised O(1) per observation.
//!
//! A window of span W at time t holds the samples with time in (t − W, t]. Sums are kept in
//! integer micro-units, so adding and removing a sample never drifts (values are rounded to
//! 1e-6 of their unit, far below any sensor's resolution). Minimum and maximum use monotonic
//! queues. A late sample within the allowed lateness is inserted in order; an older one is refused.

use crate::catalog::Aggregate;
use std::collections::VecDeque;

const MICRO: f64 = 1e6;

/// The state of one aggregate over one series.
#[derive(Debug, Clone)]
pub struct Window {
    aggregate: Aggregate,
    span_s: i64,
    samples: VecDeque<(i64, f64)>,
    sum_micro: i64,
    extremes: VecDeque<(i64, f64)>,
    /// For NowCast only: sums and counts of the last 12 clock hours, by hour number modulo 12.
    hours: Option<Box<[(i64, f64, u32); 12]>>,
}

impl Window {
    /// A window of `span_s` seconds (0 for `last`).
    pub fn new(aggregate: Aggregate, span_s: i64) -> Window {
        Window {
            aggregate,
            span_s,
            samples: VecDeque::new(),
            sum_micro: 0,
            extremes: VecDeque::new(),
            hours: (aggregate == Aggregate::Nowcast).then(|| Box::new([(i64::MIN, 0.0, 0); 12])),
        }
    }

    /// The newest sample time, if any.
    pub fn newest(&self) -> Option<i64> {
        self.samples.back().map(|s| s.0)
    }

    /// Adds a sample; a sample at a time already held replaces it (a correction). Returns
    /// `false` (and changes nothing) when it is older than `lateness_s` behind the newest sample
    /// or outside the current window.
    pub fn push(&mut self, time_s: i64, value: f64, lateness_s: i64) -> bool {
        match self.newest() {
            Some(newest) if time_s <= newest => self.insert_late(time_s, value, newest, lateness_s),
            _ => {
                self.append(time_s, value);
                true
            }
        }
    }

    fn append(&mut self, time_s: i64, value: f64) {
        self.samples.push_back((time_s, value));
        self.sum_micro += to_micro(value);
        self.add_to_hour(time_s, value, 1);
        if let Some(keep) = self.keeps_extreme() {
            while self.extremes.back().is_some_and(|&(_, v)| !keep(v, value)) {
                self.extremes.pop_back();
            }
            self.extremes.push_back((time_s, value));
        }
        self.expire(time_s);
    }

    fn insert_late(&mut self, time_s: i64, value: f64, newest: i64, lateness_s: i64) -> bool {
        if newest - time_s > lateness_s || time_s <= newest - self.span_s.max(1) {
            return false;
        }
        let at = self.samples.partition_point(|&(t, _)| t < time_s);
        match self.samples.get_mut(at) {
            Some(sample) if sample.0 == time_s => {
                let old = std::mem::replace(&mut sample.1, value);
                self.sum_micro -= to_micro(old);
                self.add_to_hour(time_s, -old, -1);
            }
            _ => self.samples.insert(at, (time_s, value)),
        }
        self.sum_micro += to_micro(value);
        self.add_to_hour(time_s, value, 1);
        self.rebuild_extremes();
        true
    }

    /// Adds `value` (and `count`, ±1) to the clock hour of `time_s`, for NowCast windows.
    fn add_to_hour(&mut self, time_s: i64, value: f64, count: i32) {
        let Some(hours) = self.hours.as_mut() else {
            return;
        };
        let hour = time_s.div_euclid(3600);
        let slot = &mut hours[hour.rem_euclid(12) as usize];
        if slot.0 < hour {
            *slot = (hour, 0.0, 0);
        }
        if slot.0 == hour {
            slot.1 += value;
            slot.2 = slot.2.saturating_add_signed(count);
        }
    }

    fn rebuild_extremes(&mut self) {
        if let Some(keep) = self.keeps_extreme() {
            self.extremes.clear();
            for &(t, v) in &self.samples {
                while self.extremes.back().is_some_and(|&(_, e)| !keep(e, v)) {
                    self.extremes.pop_back();
                }
                self.extremes.push_back((t, v));
            }
        }
    }

    /// For max (min): whether an earlier extreme `e` is still worth keeping beside a newer `v`.
    fn keeps_extreme(&self) -> Option<fn(f64, f64) -> bool> {
        match self.aggregate {
            Aggregate::Max => Some(|e, v| e > v),
            Aggregate::Min => Some(|e, v| e < v),
            _ => None,
        }
    }

    fn expire(&mut self, now_s: i64) {
        let horizon = now_s - self.span_s;
        let keep_last = self.span_s == 0;
        while let Some(&(t, v)) = self.samples.front() {
            let expired = if keep_last {
                self.samples.len() > 1
            } else {
                t <= horizon
            };
            if !expired {
                break;
            }
            self.samples.pop_front();
            self.sum_micro -= to_micro(v);
        }
        while self.extremes.front().is_some_and(|&(t, _)| t <= horizon) {
            self.extremes.pop_front();
        }
    }

    /// The aggregate over the window, `None` while it is empty.
    pub fn value(&self) -> Option<f64> {
        let (first, last) = (self.samples.front()?, self.samples.back()?);
        Some(match self.aggregate {
            Aggregate::Sum => self.sum_micro as f64 / MICRO,
            Aggregate::Mean => self.sum_micro as f64 / MICRO / self.samples.len() as f64,
            Aggregate::Count => self.samples.len() as f64,
            Aggregate::Max | Aggregate::Min => self.extremes.front()?.1,
            Aggregate::Last => last.1,
            Aggregate::Nowcast => nowcast(self.hours.as_deref()?, last.0)?,
            Aggregate::RateOfChange => {
                let hours = (last.0 - first.0) as f64 / 3600.0;
                if hours > 0.0 {
                    (last.1 - first.1) / hours
                } else {
                    0.0
                }
            }
        })
    }
}

/// The NowCast (QĐ 1459/QĐ-TCMT) at `now_s` from the means of the last 12 clock hours
/// c₁ (the current hour) … c₁₂: weight w = max(c_min / c_max, ½), NowCast = Σ wⁱ⁻¹cᵢ / Σ wⁱ⁻¹
/// over the hours that have data. `None` unless at least 2 of the 3 most recent hours have data.
fn nowcast(hours: &[(i64, f64, u32); 12], now_s: i64) -> Option<f64> {
    let now_hour = now_s.div_euclid(3600);
    let mut means = [None; 12];
    for (k, mean) in means.iter_mut().enumerate() {
        let hour = now_hour - k as i64;
        let (slot_hour, sum, count) = hours[hour.rem_euclid(12) as usize];
        if slot_hour == hour && count > 0 {
            *mean = Some(sum / f64::from(count));
        }
    }
    if means[..3].iter().flatten().count() < 2 {
        return None;
    }
    let present = means.iter().flatten();
    let max = present.clone().copied().fold(f64::MIN, f64::max);
    let min = present.copied().fold(f64::MAX, f64::min);
    let w = if max > 0.0 { (min / max).max(0.5) } else { 1.0 };
    let (mut num, mut den, mut weight) = (0.0, 0.0, 1.0);
    for mean in means {
        if let Some(c) = mean {
            num += weight * c;
            den += weight;
        }
        weight *= w;
    }
    Some(num / den)
}

/// `value` in integer micro-units, rounded half away from zero (without a libm call: this runs
/// twice per sample on the hot path).
fn to_micro(value: f64) -> i64 {
    let scaled = value * MICRO;
    (scaled + if scaled >= 0.0 { 0.5 } else { -0.5 }) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pushes `(minute, value)` samples into a window and renders the value after each.
    fn check(aggregate: Aggregate, span_min: i64, samples: &[(i64, f64)], expected: &str) {
        let mut window = Window::new(aggregate, span_min * 60);
        let got: Vec<String> = samples
            .iter()
            .map(|&(minute, value)| {
                let accepted = window.push(minute * 60, value, 30 * 60);
                match (accepted, window.value()) {
                    (false, _) => "late".into(),
                    (true, Some(v)) => format!("{v}"),
                    (true, None) => "none".into(),
                }
            })
            .collect();
        assert_eq!(got.join(" "), expected, "{aggregate:?} over {span_min} min");
    }

    #[test]
    fn windows_follow_the_half_open_interval() {
        let rain = [(0, 0.1), (10, 0.2), (20, 0.3), (30, 0.4), (40, 0.5)];
        check(Aggregate::Sum, 30, &rain, "0.1 0.3 0.6 0.9 1.2");
        check(Aggregate::Count, 30, &rain, "1 2 3 3 3");
        check(Aggregate::Mean, 20, &rain, "0.1 0.15 0.25 0.35 0.45");
        check(
            Aggregate::Max,
            20,
            &[(0, 5.0), (10, 3.0), (20, 4.0), (30, 1.0), (40, 0.5)],
            "5 5 4 4 1",
        );
        check(
            Aggregate::Min,
            20,
            &[(0, 5.0), (10, 3.0), (20, 4.0), (30, 1.0), (40, 0.5)],
            "5 3 3 1 0.5",
        );
        check(Aggregate::Last, 0, &[(0, 5.0), (10, 3.0)], "5 3");
        check(
            Aggregate::RateOfChange,
            60,
            &[(0, 30.0), (30, 31.0), (60, 32.0)],
            "0 2 2",
        );
    }

    #[test]
    fn sums_do_not_drift() {
        let mut window = Window::new(Aggregate::Sum, 144 * 600);
        for step in 0..100_000 {
            window.push(step * 600, if step % 7 == 0 { 0.7 } else { 0.1 }, 0);
        }
        let expected: i64 = (100_000 - 144..100_000)
            .map(|s| if s % 7 == 0 { 7 } else { 1 })
            .sum();
        assert_eq!(window.value().unwrap(), expected as f64 / 10.0);
    }

    #[test]
    fn late_samples_within_lateness_count() {
        check(
            Aggregate::Sum,
            60,
            &[(0, 1.0), (20, 2.0), (10, 4.0), (30, 8.0)],
            "1 3 7 15",
        );
        check(
            Aggregate::Max,
            60,
            &[(0, 1.0), (40, 2.0), (35, 9.0), (45, 3.0)],
            "1 2 9 9",
        );
        check(
            Aggregate::Sum,
            60,
            &[(0, 1.0), (100, 2.0), (60, 4.0)],
            "1 2 late",
        );
    }

    #[test]
    fn nowcast_weights_recent_hours() {
        // Steady 20 µg/m³: the NowCast is 20.
        let steady: Vec<(i64, f64)> = (0..12).map(|h| (h * 60, 20.0)).collect();
        check(Aggregate::Nowcast, 12 * 60, &steady[..3], "none 20 20");
        // Hourly 10, 20, …, 120 (newest last): w = max(10/120, ½) = ½.
        let rising: Vec<(i64, f64)> = (0..12).map(|h| (h * 60, 10.0 * (h + 1) as f64)).collect();
        let mut window = Window::new(Aggregate::Nowcast, 12 * 3600);
        for &(minute, value) in &rising {
            window.push(minute * 60, value, 0);
        }
        let (num, den) = (0..12).fold((0.0, 0.0), |(n, d), i| {
            (
                n + 0.5f64.powi(i) * 10.0 * (12 - i) as f64,
                d + 0.5f64.powi(i),
            )
        });
        assert!((window.value().unwrap() - num / den).abs() < 1e-9);
    }

    #[test]
    fn a_correction_replaces_the_sample_at_its_time() {
        check(
            Aggregate::Sum,
            60,
            &[(0, 1.0), (10, 2.0), (10, 5.0), (0, 0.5)],
            "1 3 6 5.5",
        );
        check(
            Aggregate::Max,
            60,
            &[(0, 9.0), (10, 2.0), (0, 1.0)],
            "9 9 2",
        );
    }
}
