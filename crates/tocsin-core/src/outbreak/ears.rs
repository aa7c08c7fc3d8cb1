//! EARS C1, C2 and C3 (R `surveillance::earsC`).
//!
//! - C1: the baseline is the `baseline` periods just before t; upper bound = mean + z₁₋α · sd.
//! - C2: the same with a gap of two periods (t − baseline − 2 … t − 3).
//! - C3: with the C2 statistic Cⱼ = (yⱼ − meanⱼ) / sdⱼ, upper bound =
//!   y_t + sd_t · (z₁₋α − max(0, C_{t−2} − 1) − max(0, C_{t−1} − 1)), at least 0 — it depends on
//!   y_t itself, as in R.
//!
//! `sd` is the sample standard deviation, raised to `min_sigma`. A missing count in the
//! baseline (or, for C3, in the three periods involved) makes the upper bound and the alarm
//! `None`, as R's `NA`; a constant baseline with `min_sigma = 0` gives sd = 0, so C1/C2 alarm on
//! any count above the mean and C3 gives `None` (0/0 in R).

use super::{Detection, OutbreakError, Range, Series, check_alpha, need_history, r_max0, stats};

/// Which EARS statistic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    C1,
    C2,
    C3,
}

/// The control parameters of `earsC`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Control {
    pub method: Method,
    /// Baseline length, at least 3 (R default 7).
    pub baseline: usize,
    /// Lower limit of the standard deviation (R default 0).
    pub min_sigma: f64,
    /// Significance level (R default 0.001 for C1 and C2, 0.025 for C3).
    pub alpha: f64,
}

impl Control {
    /// R's defaults for `method`.
    pub fn new(method: Method) -> Control {
        let alpha = if method == Method::C3 { 0.025 } else { 0.001 };
        Control {
            method,
            baseline: 7,
            min_sigma: 0.0,
            alpha,
        }
    }
}

/// Runs EARS over `range`.
pub fn detect(
    series: &Series,
    range: Range,
    control: &Control,
) -> Result<Vec<Detection>, OutbreakError> {
    series.check(range)?;
    check(control)?;
    let max_lag = match control.method {
        Method::C1 => control.baseline,
        Method::C2 => control.baseline + 2,
        Method::C3 => control.baseline + 4,
    };
    need_history(range.first, max_lag)?;
    let z = stats::qnorm(1.0 - control.alpha);
    let detections = range
        .periods()
        .map(|t| {
            let bound = match control.method {
                Method::C1 => {
                    mean_sd(series, t - control.baseline, t - 1, control).map(|(m, sd)| m + z * sd)
                }
                Method::C2 => c2_baseline(series, t, control).map(|(m, sd)| m + z * sd),
                Method::C3 => c3_bound(series, t, z, control),
            };
            let observed = series.at(t);
            let upperbound = bound.filter(|b| !b.is_nan());
            let alarm = observed.zip(upperbound).map(|(y, b)| y > b);
            Detection {
                t,
                observed,
                upperbound,
                alarm,
            }
        })
        .collect();
    Ok(detections)
}

fn check(control: &Control) -> Result<(), OutbreakError> {
    check_alpha(control.alpha)?;
    if control.baseline < 3 {
        return Err(OutbreakError::BadParameter {
            name: "baseline",
            value: control.baseline.to_string(),
            expected: "at least 3",
        });
    }
    if !(control.min_sigma >= 0.0 && control.min_sigma.is_finite()) {
        return Err(OutbreakError::BadParameter {
            name: "minSigma",
            value: control.min_sigma.to_string(),
            expected: "a finite number, at least 0",
        });
    }
    Ok(())
}

/// Mean and standard deviation (raised to `min_sigma`) of periods `from..=to`.
fn mean_sd(series: &Series, from: usize, to: usize, control: &Control) -> Option<(f64, f64)> {
    let values = series.span(from, to)?;
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Some((mean, var.sqrt().max(control.min_sigma)))
}

/// The C2 baseline of period `t`: periods t − baseline − 2 … t − 3.
fn c2_baseline(series: &Series, t: usize, control: &Control) -> Option<(f64, f64)> {
    mean_sd(series, t - control.baseline - 2, t - 3, control)
}

/// The C2 statistic of period `t` (NaN for 0/0, as R).
fn c2_statistic(series: &Series, t: usize, control: &Control) -> Option<f64> {
    let (mean, sd) = c2_baseline(series, t, control)?;
    Some((series.at(t)? - mean) / sd)
}

/// The C3 upper bound of period `t`.
fn c3_bound(series: &Series, t: usize, z: f64, control: &Control) -> Option<f64> {
    let lag2 = c2_statistic(series, t - 2, control)?;
    let lag1 = c2_statistic(series, t - 1, control)?;
    let (_, sd) = c2_baseline(series, t, control)?;
    let part = r_max0(lag2 - 1.0) + r_max0(lag1 - 1.0);
    Some(r_max0(series.at(t)? + sd * (z - part)))
}
