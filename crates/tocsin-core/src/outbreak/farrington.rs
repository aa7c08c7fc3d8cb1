//! The classic Farrington algorithm (R `surveillance::farrington` / `algo.farrington` with its
//! default fit, `algo.farrington.fitGLM.fast`).
//!
//! For period t the reference counts are the windows t − i·freq − w … t − i·freq + w for
//! i = 1…b (periods before the start of the series are left out, as R does). A quasi-Poisson
//! model, with a linear trend kept only if significant at 5 %, b ≥ 3 and not extrapolating
//! beyond the largest reference count, is reweighted once (Anscombe residuals above 1); the
//! upper bound is the two-sided 1 − α prediction limit on the `powertrans` scale. With fewer
//! than 5 cases in the last 4 periods the upper bound is 0 and there is no alarm.
//!
//! Missing counts: R stops with an error when a reference count is missing; here that period
//! gets `None` for bound and alarm, and the other periods are still judged. A missing count in
//! the last 4 periods makes bound and alarm `None`, as in R.

use super::quasi::{self, Baseline, PowerTransform, Settings, Variant};
use super::{Detection, OutbreakError, Range, Series, check_alpha, stats};

/// Cases in the last periods below which there is no alarm (R's `limit54 = c(5, 4)`).
pub(crate) const LIMIT_CASES: f64 = 5.0;
pub(crate) const LIMIT_PERIODS: usize = 4;

/// The control parameters of `farrington`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Control {
    /// Years back (R default 5).
    pub b: usize,
    /// Half-width of the windows (R default 3).
    pub w: usize,
    /// Reweight by Anscombe residuals (R default TRUE).
    pub reweight: bool,
    /// Try a time trend (R default TRUE).
    pub trend: bool,
    /// Significance level (R default 0.05).
    pub alpha: f64,
    /// R default "2/3".
    pub powertrans: PowerTransform,
}

impl Default for Control {
    fn default() -> Control {
        Control {
            b: 5,
            w: 3,
            reweight: true,
            trend: true,
            alpha: 0.05,
            powertrans: PowerTransform::TwoThirds,
        }
    }
}

/// Runs the classic Farrington algorithm over `range`.
pub fn detect(
    series: &Series,
    range: Range,
    control: &Control,
) -> Result<Vec<Detection>, OutbreakError> {
    series.check(range)?;
    check_alpha(control.alpha)?;
    let z = stats::qnorm(1.0 - control.alpha / 2.0);
    let settings = Settings {
        trend: control.trend,
        reweight: control.reweight.then_some(1.0),
        p_threshold_trend: 0.05,
        b: control.b,
        variant: Variant::Classic,
    };
    range
        .periods()
        .map(|t| judge(series, t, control, &settings, z))
        .collect()
}

/// The verdict for period `t`.
fn judge(
    series: &Series,
    t: usize,
    control: &Control,
    settings: &Settings,
    z: f64,
) -> Result<Detection, OutbreakError> {
    let observed = series.at(t);
    let times = reference_periods(t, series.frequency, control);
    if times.is_empty() {
        return Err(OutbreakError::TooShort {
            t,
            needed: series.frequency * control.b - control.w,
            available: t - 1,
        });
    }
    let bound = baseline(series, t, &times)
        .and_then(|base| quasi::predict(&base, settings))
        .map(|p| (p.mu0, quasi::upper_bound(&p, control.powertrans, z)));
    let recent = series.sum((t + 1).saturating_sub(LIMIT_PERIODS).max(1), t);
    let bound = bound.filter(|(_, upper)| !upper.is_nan());
    let (upperbound, alarm) = match (bound, recent, observed) {
        (Some((mu0, upper)), Some(cases), Some(y)) if cases >= LIMIT_CASES => {
            (Some(upper), Some((y - mu0) / (upper - mu0) > 1.0))
        }
        (Some(_), Some(_), Some(_)) => (Some(0.0), Some(false)),
        _ => (None, None),
    };
    Ok(Detection {
        t,
        observed,
        upperbound,
        alarm,
    })
}

/// The reference periods of `t` that exist (≥ 1), oldest window first.
fn reference_periods(t: usize, frequency: usize, control: &Control) -> Vec<usize> {
    (1..=control.b)
        .rev()
        .flat_map(|i| {
            let centre = t as i64 - (frequency * i) as i64;
            (centre - control.w as i64)..=(centre + control.w as i64)
        })
        .filter(|&p| p >= 1)
        .map(|p| p as usize)
        .collect()
}

/// The reference counts, `None` if one is missing.
fn baseline(series: &Series, t: usize, times: &[usize]) -> Option<Baseline> {
    let y = times
        .iter()
        .map(|&p| series.at(p))
        .collect::<Option<Vec<f64>>>()?;
    Some(Baseline {
        y,
        time: times.iter().map(|&p| p as f64).collect(),
        now: t as f64,
        ..Baseline::default()
    })
}
