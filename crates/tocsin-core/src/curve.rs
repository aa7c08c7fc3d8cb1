//! Forecast curves: the values one forecast issue gives for future valid times. A newer issue
//! replaces the curve; an older one is ignored. Indicators on forecasts aggregate the newest
//! issue's values over `[issued, issued + window]` (QĐ 18 levels are defined on forecast values).

use crate::catalog::Aggregate;

/// The newest forecast issue of one series.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForecastCurve {
    issued_s: i64,
    /// `(valid time, value)`, in valid-time order.
    points: Vec<(i64, f64)>,
}

impl ForecastCurve {
    /// Adds a point; returns `false` (changing nothing) for a point of an older issue.
    pub fn add(&mut self, issued_s: i64, valid_s: i64, value: f64) -> bool {
        if issued_s < self.issued_s {
            return false;
        }
        if issued_s > self.issued_s {
            self.issued_s = issued_s;
            self.points.clear();
        }
        let at = self.points.partition_point(|&(t, _)| t < valid_s);
        match self.points.get_mut(at) {
            Some(point) if point.0 == valid_s => point.1 = value,
            _ => self.points.insert(at, (valid_s, value)),
        }
        true
    }

    fn in_window(&self, window_s: i64) -> impl Iterator<Item = &(i64, f64)> {
        let (from, to) = (self.issued_s, self.issued_s + window_s);
        self.points
            .iter()
            .filter(move |&&(t, _)| t >= from && t <= to)
    }

    /// The aggregate of the values in the window, `None` when it holds none.
    pub fn value(&self, aggregate: Aggregate, window_s: i64) -> Option<f64> {
        prefix_aggregates(aggregate, self.in_window(window_s))
            .last()
            .map(|(_, v)| v)
    }

    /// Seconds from the issue to the first valid time at which the aggregate so far reaches
    /// `threshold`.
    pub fn lead_to(&self, aggregate: Aggregate, window_s: i64, threshold: f64) -> Option<i64> {
        prefix_aggregates(aggregate, self.in_window(window_s))
            .find(|&(_, v)| v >= threshold)
            .map(|(t, _)| t - self.issued_s)
    }
}

/// The running aggregate after each point.
fn prefix_aggregates<'a>(
    aggregate: Aggregate,
    points: impl Iterator<Item = &'a (i64, f64)>,
) -> impl Iterator<Item = (i64, f64)> {
    let mut state: Option<(f64, f64, usize)> = None; // (running value, sum, count)
    points.map(move |&(t, v)| {
        let (running, sum, count) = state.map_or((v, v, 1), |(r, s, c)| {
            let (s, c) = (s + v, c + 1);
            let r = match aggregate {
                Aggregate::Max => r.max(v),
                Aggregate::Min => r.min(v),
                Aggregate::Sum => s,
                Aggregate::Mean => s / c as f64,
                Aggregate::Count => c as f64,
                Aggregate::Last | Aggregate::Nowcast | Aggregate::RateOfChange => v,
            };
            (r, s, c)
        });
        state = Some((running, sum, count));
        (t, running)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_issues_replace_older_ones() {
        let mut curve = ForecastCurve::default();
        let hour = 3600;
        for (h, mm) in [(1, 30.0), (2, 50.0), (3, 40.0)] {
            assert!(curve.add(0, h * hour, mm));
        }
        assert_eq!(curve.value(Aggregate::Sum, 24 * hour), Some(120.0));
        assert_eq!(curve.value(Aggregate::Max, 24 * hour), Some(50.0));
        assert_eq!(curve.value(Aggregate::Sum, 2 * hour), Some(80.0));
        assert_eq!(
            curve.lead_to(Aggregate::Sum, 24 * hour, 100.0),
            Some(3 * hour)
        );
        assert!(
            !curve.add(-hour, 5 * hour, 500.0),
            "an older issue is ignored"
        );
        assert!(curve.add(hour, 2 * hour, 10.0));
        assert_eq!(
            curve.value(Aggregate::Sum, 24 * hour),
            Some(10.0),
            "the newer issue replaced the curve"
        );
        assert!(curve.add(hour, 2 * hour, 12.0));
        assert_eq!(
            curve.value(Aggregate::Sum, 24 * hour),
            Some(12.0),
            "a repeated valid time is corrected"
        );
    }
}
