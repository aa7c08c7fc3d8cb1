//! Poisson CUSUM (R `surveillance::cusum` / `algo.cusum`).
//!
//! The in-control mean m is the mean of all counts before the range (`m = NULL`) or a given
//! number. Each count is standardised (`trans`), the sum Cₜ = max(0, Cₜ₋₁ + zₜ − k) starts at 0,
//! and period t alarms when Cₜ ≥ h. The upper bound is the smallest count that would have
//! alarmed given Cₜ₋₁; R rounds it up for `standard` and clamps it at 0.
//!
//! As in R, a missing count (or a missing count before the range when m is estimated) makes the
//! sum missing from then on: those alarms are `None` and, as R replaces a missing bound by 0,
//! those upper bounds are 0. m = 0 gives infinite or undefined standardised counts, handled the
//! same way.

use super::{Detection, OutbreakError, Range, Series, need_history, r_max0};

/// How counts are standardised (R's `trans`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// (x − m) / √m.
    Standard,
    /// Rossi's approximate normal transform (x − 3m + 2√(xm)) / (2√m).
    Rossi,
    /// Anscombe's transform 3/2 (x^⅔ − m^⅔) / m^⅙.
    Anscombe,
    /// Anscombe's transform with the second-order mean correction.
    Anscombe2nd,
}

impl Transform {
    /// Parses R's name of the transform.
    pub fn parse(name: &str) -> Option<Transform> {
        match name {
            "standard" => Some(Transform::Standard),
            "rossi" => Some(Transform::Rossi),
            "anscombe" => Some(Transform::Anscombe),
            "anscombe2nd" => Some(Transform::Anscombe2nd),
            _ => None,
        }
    }

    fn standardise(self, x: f64, m: f64) -> f64 {
        match self {
            Transform::Standard => (x - m) / m.sqrt(),
            Transform::Rossi => (x - 3.0 * m + 2.0 * (x * m).sqrt()) / (2.0 * m.sqrt()),
            Transform::Anscombe => {
                1.5 * (x.powf(2.0 / 3.0) - m.powf(2.0 / 3.0)) / m.powf(1.0 / 6.0)
            }
            Transform::Anscombe2nd => {
                (x.powf(2.0 / 3.0) - (m.powf(2.0 / 3.0) - m.powf(-1.0 / 3.0) / 9.0))
                    / (2.0 / 3.0 * m.powf(1.0 / 6.0))
            }
        }
    }

    /// The upper bound given the previous sum `c` (before R's clamping of NA and negatives).
    fn bound(self, m: f64, h: f64, k: f64, c: f64) -> f64 {
        let s = m.sqrt();
        match self {
            Transform::Standard => (s * (h + k - c) + m).ceil(),
            Transform::Rossi => {
                let m32 = m.powf(1.5);
                2.0 * h * s + 2.0 * k * s - 2.0 * c * s + 5.0 * m
                    - 2.0 * (4.0 * m * m + 2.0 * m32 * h + 2.0 * m32 * k - 2.0 * m32 * c).sqrt()
            }
            Transform::Anscombe => {
                power_bound(2.0 / 3.0 * m.powf(1.0 / 6.0) * (h + k - c) + m.powf(2.0 / 3.0))
            }
            Transform::Anscombe2nd => power_bound(
                2.0 / 3.0 * m.powf(1.0 / 6.0) * (h + k - c)
                    + (m.powf(2.0 / 3.0) - m.powf(1.0 / 3.0) / 9.0),
            ),
        }
    }
}

/// R's `ifelse(v < 0, 0, v^(3/2))`.
fn power_bound(v: f64) -> f64 {
    if v < 0.0 { 0.0 } else { v.powf(1.5) }
}

/// The control parameters of `cusum`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Control {
    /// Reference value (R default 1.04).
    pub k: f64,
    /// Decision interval (R default 2.26).
    pub h: f64,
    /// The in-control mean; `None` is R's `m = NULL`: the mean of the counts before the range.
    pub m: Option<f64>,
    pub trans: Transform,
}

impl Default for Control {
    fn default() -> Control {
        Control {
            k: 1.04,
            h: 2.26,
            m: None,
            trans: Transform::Standard,
        }
    }
}

/// Runs the CUSUM over `range`.
pub fn detect(
    series: &Series,
    range: Range,
    control: &Control,
) -> Result<Vec<Detection>, OutbreakError> {
    series.check(range)?;
    let m = match control.m {
        Some(m) => m,
        None => {
            need_history(range.first, 1)?;
            let before = series.sum(1, range.first - 1);
            before.map_or(f64::NAN, |s| s / (range.first - 1) as f64)
        }
    };
    let mut sum = 0.0;
    let detections = range
        .periods()
        .map(|t| {
            let observed = series.at(t);
            let bound = control.trans.bound(m, control.h, control.k, sum);
            let z = observed.map_or(f64::NAN, |x| control.trans.standardise(x, m));
            sum = r_max0(sum + (z - control.k));
            Detection {
                t,
                observed,
                upperbound: Some(if bound.is_nan() { 0.0 } else { bound.max(0.0) }),
                alarm: (!sum.is_nan()).then_some(sum >= control.h),
            }
        })
        .collect();
    Ok(detections)
}
