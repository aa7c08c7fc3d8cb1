//! Linear trend forecasts: a least-squares line through recent values, and when it will cross a
//! threshold, with an interval from the slope's standard error (about 95 %: slope ± 2 SE).

/// When a rising series is expected to reach a threshold, in seconds from the newest sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Crossing {
    /// The expected lead time.
    pub lead_s: i64,
    /// The earliest plausible lead time (steepest plausible slope).
    pub earliest_s: i64,
    /// The latest plausible lead time; `None` when a flat or falling line is plausible.
    pub latest_s: Option<i64>,
}

/// A fitted line `value = intercept + slope × (t − t_last)` with its slope's standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    /// Value at the newest sample time, on the line.
    pub level_now: f64,
    /// Change per second.
    pub slope: f64,
    pub slope_se: f64,
}

impl Trend {
    /// Fits `samples` (time in seconds, value); `None` with fewer than 3 samples or no spread in time.
    pub fn fit(samples: &[(i64, f64)]) -> Option<Trend> {
        let n = samples.len();
        let last = samples.last()?.0;
        if n < 3 {
            return None;
        }
        let xs: Vec<f64> = samples.iter().map(|s| (s.0 - last) as f64).collect();
        let mean_x = xs.iter().sum::<f64>() / n as f64;
        let mean_y = samples.iter().map(|s| s.1).sum::<f64>() / n as f64;
        let sxx: f64 = xs.iter().map(|x| (x - mean_x).powi(2)).sum();
        if sxx <= 0.0 {
            return None;
        }
        let sxy: f64 = xs
            .iter()
            .zip(samples)
            .map(|(x, s)| (x - mean_x) * (s.1 - mean_y))
            .sum();
        let slope = sxy / sxx;
        let intercept = mean_y - slope * mean_x;
        let residual: f64 = xs
            .iter()
            .zip(samples)
            .map(|(x, s)| (s.1 - intercept - slope * x).powi(2))
            .sum();
        let slope_se = (residual / (n as f64 - 2.0) / sxx).sqrt();
        Some(Trend {
            level_now: intercept,
            slope,
            slope_se,
        })
    }

    /// When the line reaches `threshold` from below, if it is rising and below it now.
    pub fn crossing(&self, threshold: f64) -> Option<Crossing> {
        let gap = threshold - self.level_now;
        if self.slope <= 0.0 || gap <= 0.0 {
            return None;
        }
        let seconds = |slope: f64| (gap / slope).round() as i64;
        let low_slope = self.slope - 2.0 * self.slope_se;
        Some(Crossing {
            lead_s: seconds(self.slope),
            earliest_s: seconds(self.slope + 2.0 * self.slope_se),
            latest_s: (low_slope > 0.0).then(|| seconds(low_slope)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_rise_crosses_on_time() {
        // 0.5 m per hour, exactly: crosses 33 m from 31 m in 4 hours, with no uncertainty.
        let samples: Vec<(i64, f64)> = (0..7).map(|h| (h * 3600, 28.0 + 0.5 * h as f64)).collect();
        let trend = Trend::fit(&samples).unwrap();
        assert!((trend.level_now - 31.0).abs() < 1e-9 && trend.slope_se < 1e-12);
        assert_eq!(
            trend.crossing(33.0),
            Some(Crossing {
                lead_s: 4 * 3600,
                earliest_s: 4 * 3600,
                latest_s: Some(4 * 3600)
            })
        );
        assert_eq!(trend.crossing(30.0), None, "already above");
    }

    #[test]
    fn noise_widens_the_interval_and_falls_give_nothing() {
        let noisy: Vec<(i64, f64)> = (0..7)
            .map(|h| {
                (
                    h * 3600,
                    28.0 + 0.5 * h as f64 + if h % 2 == 0 { 0.2 } else { -0.2 },
                )
            })
            .collect();
        let crossing = Trend::fit(&noisy).unwrap().crossing(33.0).unwrap();
        assert!(
            crossing.earliest_s < crossing.lead_s && crossing.latest_s.unwrap() > crossing.lead_s,
            "{crossing:?}"
        );
        let falling: Vec<(i64, f64)> = (0..7).map(|h| (h * 3600, 31.0 - 0.1 * h as f64)).collect();
        assert_eq!(Trend::fit(&falling).unwrap().crossing(33.0), None);
        assert_eq!(Trend::fit(&falling[..2]), None);
    }
}
