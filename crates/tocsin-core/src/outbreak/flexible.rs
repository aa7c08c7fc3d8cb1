//! Farrington flexible (R `surveillance::farringtonFlexible`, Noufaily et al. 2013) with the
//! "delta" threshold and no population offset.
//!
//! For period t the reference periods are the windows t − i·freq ± w for i = 1…b; with
//! `no_periods` > 1 the periods between two windows are cut into `no_periods` − 1 blocks, each
//! a level of a seasonal factor in the model (the windows are the last level). The
//! `past_weeks_not_included` periods before t (and t) are left out. Missing counts are dropped
//! from the fit, as R does. The model (see `quasi`) is reweighted with Anscombe residuals above
//! `weights_threshold`, keeps its trend when p < `p_threshold_trend`, b ≥ 3 and the prediction
//! does not exceed the largest reference count, and gives the one-sided 1 − α bound on the
//! `powertrans` scale.
//!
//! As in R: with fewer than 5 cases in the last 4 periods (or a missing count among them) the
//! upper bound is `None` and there is no alarm; a count of 0 never alarms; a model that does not
//! converge gives `None` for both. Unlike R, a seasonal level with no count left after dropping
//! missing ones is left out of the model instead of being an aliased coefficient, and the
//! period judged gets `None` if its own level (the windows) has no count at all.

use super::farrington::{LIMIT_CASES, LIMIT_PERIODS};
use super::quasi::{self, Baseline, PowerTransform, Settings, Variant};
use super::{Detection, OutbreakError, Range, Series, check_alpha, need_history, stats};

/// The control parameters of `farringtonFlexible`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Control {
    /// Years back (R default 5).
    pub b: usize,
    /// Half-width of the windows (R default 3).
    pub w: usize,
    /// Reweight by Anscombe residuals (R default TRUE).
    pub reweight: bool,
    /// Residuals above this are down-weighted (R default 2.58).
    pub weights_threshold: f64,
    /// Significance level of the one-sided bound (R default 0.05).
    pub alpha: f64,
    /// Try a time trend (R default TRUE).
    pub trend: bool,
    /// The trend stays when its p-value is below this (R default 0.05).
    pub p_threshold_trend: f64,
    /// R default "2/3".
    pub powertrans: PowerTransform,
    /// Levels of the seasonal factor; 1 means no factor (R default 1).
    pub no_periods: usize,
    /// Periods before t left out of the fit; `None` is R's NULL, meaning `w`.
    pub past_weeks_not_included: Option<usize>,
}

impl Default for Control {
    fn default() -> Control {
        Control {
            b: 5,
            w: 3,
            reweight: true,
            weights_threshold: 2.58,
            alpha: 0.05,
            trend: true,
            p_threshold_trend: 0.05,
            powertrans: PowerTransform::TwoThirds,
            no_periods: 1,
            past_weeks_not_included: None,
        }
    }
}

/// Runs Farrington flexible over `range`.
pub fn detect(
    series: &Series,
    range: Range,
    control: &Control,
) -> Result<Vec<Detection>, OutbreakError> {
    series.check(range)?;
    check_alpha(control.alpha)?;
    if control.no_periods < 1 {
        return Err(OutbreakError::BadParameter {
            name: "noPeriods",
            value: control.no_periods.to_string(),
            expected: "at least 1",
        });
    }
    need_history(
        range.first,
        control.b * series.frequency + control.w.max(1) - 1,
    )?;
    let settings = Settings {
        trend: control.trend,
        reweight: control.reweight.then_some(control.weights_threshold),
        p_threshold_trend: control.p_threshold_trend,
        b: control.b,
        variant: Variant::Flexible,
    };
    let z = stats::qnorm(1.0 - control.alpha);
    range
        .periods()
        .map(|t| {
            let blocks = blocks(t, series.frequency, control)?;
            let bound = baseline(series, t, &blocks, control.no_periods)
                .and_then(|base| quasi::predict(&base, &settings))
                .map(|p| (p.mu0, quasi::upper_bound(&p, control.powertrans, z)));
            Ok(verdict(series, t, bound))
        })
        .collect()
}

/// Bound and alarm from the prediction `(μ₀, upper bound)` and the limit of 5 cases in 4 periods.
fn verdict(series: &Series, t: usize, bound: Option<(f64, f64)>) -> Detection {
    let observed = series.at(t);
    let (upperbound, alarm) = match bound {
        None => (None, None),
        Some((mu0, upper)) => {
            let recent = series.sum((t + 1).saturating_sub(LIMIT_PERIODS).max(1), t);
            let enough = recent.is_some_and(|cases| cases >= LIMIT_CASES);
            let upper = Some(upper).filter(|u| enough && !u.is_nan());
            let alarm = upper.zip(observed).is_some_and(|(u, y)| {
                let score = (y - mu0) / (u - mu0);
                score > 1.0 && y != 0.0
            });
            (upper, Some(alarm))
        }
    };
    Detection {
        t,
        observed,
        upperbound,
        alarm,
    }
}

/// The seasonal level of each period 0…t (`None`: not a reference period), as R's `blocks`,
/// with the periods from t − past_weeks_not_included to t removed.
fn blocks(
    t: usize,
    frequency: usize,
    control: &Control,
) -> Result<Vec<Option<usize>>, OutbreakError> {
    let p = control.no_periods;
    let w = control.w as i64;
    let mut level = vec![None; t + 1];
    let mut assign = |from: i64, to: i64, value: usize| {
        // R's `from:to` counts down when to < from; index 0 is ignored.
        for i in from.min(to).max(1)..=from.max(to) {
            level[i as usize] = Some(value);
        }
    };
    let t = t as i64;
    assign(t - w, t, p);
    for i in 1..=control.b as i64 {
        let reference = t - i * frequency as i64;
        let next = reference + frequency as i64;
        assign(reference - w, reference + w, p);
        if p == 1 {
            continue;
        }
        let gap = next - 2 * w - 1 - reference;
        if gap < p as i64 - (2 * w + 1) {
            return Err(OutbreakError::BadParameter {
                name: "noPeriods",
                value: p.to_string(),
                expected: "few enough levels to fit between the windows",
            });
        }
        let (length, rest) = (gap / (p as i64 - 1), gap % (p as i64 - 1));
        let mut start = reference + w + 1;
        for j in 1..p as i64 {
            let end = start + length + i64::from(j <= rest);
            assign(start, end - 1, j as usize);
            start = end;
        }
    }
    let excluded = control.past_weeks_not_included.unwrap_or(control.w) as i64;
    for l in level.iter_mut().skip((t - excluded).max(0) as usize) {
        *l = None;
    }
    Ok(level)
}

/// The reference counts with their periods and seasonal indicators; `None` if nothing is left
/// to fit or the level of the period judged has no count.
fn baseline(series: &Series, t: usize, blocks: &[Option<usize>], p: usize) -> Option<Baseline> {
    let rows: Vec<(usize, usize, f64)> = blocks
        .iter()
        .enumerate()
        .filter_map(|(i, l)| Some((i, (*l)?, series.at(i)?)))
        .collect();
    let mut levels: Vec<usize> = rows.iter().map(|r| r.1).collect();
    levels.sort_unstable();
    levels.dedup();
    if rows.is_empty() || (p > 1 && !levels.contains(&p)) {
        return None;
    }
    let indicators = |level: usize| -> Vec<f64> {
        match p {
            1 => Vec::new(),
            _ => levels[1..]
                .iter()
                .map(|&l| f64::from(u8::from(l == level)))
                .collect(),
        }
    };
    Some(Baseline {
        y: rows.iter().map(|r| r.2).collect(),
        time: rows.iter().map(|r| r.0 as f64).collect(),
        factors: rows.iter().map(|r| indicators(r.1)).collect(),
        now: t as f64,
        now_factors: indicators(p),
    })
}
