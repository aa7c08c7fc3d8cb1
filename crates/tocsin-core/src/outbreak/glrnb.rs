//! The GLR detector for negative binomial (or Poisson) counts with an intercept change (R
//! `surveillance::glrnb` / `algo.glrnb`, Höhle and Paul 2008).
//!
//! The in-control means μ₀ are, by default, the predictions of a log-linear model fitted to the
//! counts before the range (missing counts left out): intercept, a linear trend if
//! `mu0.trend`, and `mu0.S` pairs of harmonics cos/sin(2πst/frequency). With `alpha` not given
//! it is the negative binomial model with θ estimated (`MASS::glm.nb`) and α = 1/θ; with
//! `alpha` given, the negative binomial model with θ = 1/α, or the Poisson model if α = 0.
//! μ₀ may instead be given (`mu0`, one value per judged period; `alpha` is then required).
//!
//! Out of control the mean is μ₀ₜ e^κ. With `theta` not given (the GLR detector) the
//! statistic at time n is the largest log-likelihood ratio over the change points k of the
//! window (all since the start, or the last `M`, leaving out the last `Mtilde` − 1) with κ at
//! its maximum likelihood estimate, kept ≥ 0 (`dir = inc`) or ≤ 0 (`dec`). With `theta` given
//! κ = theta and the statistic is the CUSUM of the log-likelihood ratios. An alarm sounds when
//! the statistic reaches `c.ARL` (exceeds it, for the known-κ CUSUM, as R's C code has it), and
//! the detector starts afresh at the next period; with `mu0.refit` the model is then refitted
//! to all counts before that period.
//!
//! The upper bound is the statistic (`ret = value`) or the number of cases that would have
//! sounded the alarm (`ret = cases`). For the negative binomial GLR, R finds that number by
//! stepping the count up from its value (down from an alarming one), at most to `xMax`; where
//! the count is 0 that search never starts, and R's bound is 1e99 — kept here. Negative and
//! undefined bounds are 0, as in R.
//!
//! Everything follows R's C routines step for step (κ by Newton's method from 0.5, each change
//! point starting from the previous one's estimate, stopping when a step is below 1e-6 or κ
//! below −18), so statistics agree with R's to rounding. Counts are truncated to integers as R
//! passes them to C. R stops on a missing count in the range; here that is an error naming the
//! period.

use super::glm::{self, Family};
use super::{Detection, OutbreakError, Range, Series, negbin};
use std::f64::consts::PI;

/// Direction of the change to detect (R's `dir`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Increase,
    Decrease,
}

impl Direction {
    fn sign(self) -> f64 {
        match self {
            Direction::Increase => 1.0,
            Direction::Decrease => -1.0,
        }
    }
}

/// What the upper bound holds (R's `ret`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Return {
    /// The statistic.
    Value,
    /// The number of cases that would sound the alarm.
    Cases,
}

/// The control parameters of `glrnb`, with R's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    /// The alarm threshold (R's `c.ARL`, default 5).
    pub c_arl: f64,
    /// Given in-control means, one per judged period; `None` (R's default) estimates them.
    pub mu0: Option<Vec<f64>>,
    /// Harmonic pairs of the μ₀ model (R's `mu0$S`, default 1).
    pub s: usize,
    /// Linear trend in the μ₀ model (R's `mu0$trend`, default FALSE).
    pub trend: bool,
    /// Refit the μ₀ model after each alarm (R's `mu0$refit`, default FALSE).
    pub refit: bool,
    /// Whether `mu0.S`, `mu0.trend` or `mu0.refit` was given (they cannot go with `mu0`).
    pub model_given: bool,
    /// Dispersion α of the negative binomial, 0 for Poisson; `None` (R's default) estimates it.
    pub alpha: Option<f64>,
    /// Changes within the last `Mtilde` − 1 periods are not considered (R default 1).
    pub mtilde: usize,
    /// Changes at most `M` periods back; −1 (R default) means since the start.
    pub m: i64,
    /// Known change of the log mean; `None` (R default) estimates it (GLR).
    pub theta: Option<f64>,
    pub dir: Direction,
    /// R's default when a control list is given is `value`.
    pub ret: Return,
    /// The largest count tried when searching the cases (R's `xMax`, default 10000).
    pub x_max: f64,
}

impl Default for Control {
    fn default() -> Control {
        Control {
            c_arl: 5.0,
            mu0: None,
            s: 1,
            trend: false,
            refit: false,
            model_given: false,
            alpha: None,
            mtilde: 1,
            m: -1,
            theta: None,
            dir: Direction::Increase,
            ret: Return::Value,
            x_max: 10000.0,
        }
    }
}

impl Control {
    fn check(&self, periods: usize) -> Result<(), OutbreakError> {
        let bad = |name, value: String, expected| {
            Err(OutbreakError::BadParameter {
                name,
                value,
                expected,
            })
        };
        if !(self.c_arl.is_finite() && self.c_arl > 0.0) {
            return bad("c.ARL", self.c_arl.to_string(), "a positive number");
        }
        if let Some(alpha) = self.alpha
            && !(alpha.is_finite() && alpha >= 0.0)
        {
            return bad(
                "alpha",
                alpha.to_string(),
                "0 (Poisson) or a positive dispersion",
            );
        }
        if self.mtilde < 1 {
            return bad("Mtilde", self.mtilde.to_string(), "at least 1");
        }
        if self.m < -1 {
            return bad(
                "M",
                self.m.to_string(),
                "-1 (since the start) or at least 0",
            );
        }
        if let Some(theta) = self.theta {
            // R stops on exactly 1 ("theta has to be larger than 1").
            if !theta.is_finite() || theta == 1.0 {
                return bad("theta", theta.to_string(), "a finite number other than 1");
            }
        }
        if self.x_max.is_nan() || self.x_max < 0.0 {
            return bad("xMax", self.x_max.to_string(), "a non-negative number");
        }
        if let Some(mu0) = &self.mu0 {
            if self.model_given {
                return bad(
                    "mu0",
                    format!("{} values", mu0.len()),
                    "either values or the model (mu0.S, mu0.trend, mu0.refit), not both",
                );
            }
            if mu0.len() != periods {
                return bad(
                    "mu0",
                    format!("{} values", mu0.len()),
                    "one mean per period of the range",
                );
            }
            if mu0.iter().any(|m| !(m.is_finite() && *m > 0.0)) {
                return bad("mu0", format!("{mu0:?}"), "positive finite means");
            }
            if self.alpha.is_none() {
                return bad("alpha", "NULL".into(), "a value when mu0 is given");
            }
        }
        Ok(())
    }
}

/// Runs the detector over `range`.
pub fn detect(
    series: &Series,
    range: Range,
    control: &Control,
) -> Result<Vec<Detection>, OutbreakError> {
    series.check(range)?;
    let periods = range.last - range.first + 1;
    control.check(periods)?;
    let x = range
        .periods()
        .map(|t| {
            series
                .at(t)
                .map(f64::trunc)
                .ok_or(OutbreakError::MissingCount { t })
        })
        .collect::<Result<Vec<f64>, _>>()?;
    let (mut mu0, alpha) = match &control.mu0 {
        Some(mu0) => (mu0.clone(), control.alpha.unwrap_or_default()),
        None => {
            let model = fit_mu0(series, range, control, control.alpha)?;
            let alpha = control
                .alpha
                .unwrap_or(1.0 / model.theta.unwrap_or(f64::NAN));
            (model.predictions, alpha)
        }
    };
    let mut upperbound = vec![0.0; periods];
    let mut alarm = vec![false; periods];
    let mut done = 0;
    while done < periods {
        let run = run_segment(&x[done..], &mu0, alpha, control);
        let judged = run.alarm.map_or(run.bound.len(), |i| i + 1);
        upperbound[done..done + judged].copy_from_slice(&run.bound[..judged]);
        let Some(i) = run.alarm else { break };
        alarm[done + i] = true;
        done += i + 1;
        if done < periods {
            mu0 = if control.refit && control.mu0.is_none() {
                // R refits with the α found at the start (or given): a known-θ fit.
                let rest = Range {
                    first: range.first + done,
                    last: range.last,
                };
                fit_mu0(series, rest, control, Some(alpha))?.predictions
            } else {
                mu0[i + 1..].to_vec()
            };
        }
    }
    Ok(range
        .periods()
        .zip(upperbound.into_iter().zip(alarm))
        .map(|(t, (bound, alarm))| Detection {
            t,
            observed: series.at(t),
            upperbound: Some(if bound.is_nan() || bound < 0.0 {
                0.0
            } else {
                bound
            }),
            alarm: Some(alarm),
        })
        .collect())
}

/// The predicted means of the μ₀ model over a range, and θ when it was estimated.
struct Mu0Model {
    predictions: Vec<f64>,
    theta: Option<f64>,
}

/// Fits the μ₀ model to the counts before `range`: glm.nb when `alpha` is `None`, else the
/// negative binomial with θ = 1/α, or Poisson for α = 0.
fn fit_mu0(
    series: &Series,
    range: Range,
    control: &Control,
    alpha: Option<f64>,
) -> Result<Mu0Model, OutbreakError> {
    let p = series.frequency as f64;
    let row = |t: usize| {
        let t = t as f64;
        let mut row = vec![1.0];
        if control.trend {
            row.push(t);
        }
        for s in 1..=control.s {
            let angle = 2.0 * s as f64 * PI / p * t;
            row.push(angle.cos());
            row.push(angle.sin());
        }
        row
    };
    let (x, y): (Vec<Vec<f64>>, Vec<f64>) = (1..range.first)
        .filter_map(|t| series.at(t).map(|y| (row(t), y)))
        .unzip();
    let needed = 1 + usize::from(control.trend) + 2 * control.s;
    if y.len() < needed {
        return Err(OutbreakError::TooShort {
            t: range.first,
            needed,
            available: y.len(),
        });
    }
    let unfit = || OutbreakError::ModelFit("the in-control mean model (mu0) cannot be fitted");
    let weights = vec![1.0; y.len()];
    let (fit, theta) = match alpha {
        None => {
            let nb = negbin::fit(&x, &y).ok_or_else(unfit)?;
            (nb.fit, Some(nb.theta))
        }
        Some(0.0) => (glm::fit(&x, &y, &weights).ok_or_else(unfit)?, None),
        Some(alpha) => {
            let family = Family::NegativeBinomial(1.0 / alpha);
            let fit = glm::fit_family(&x, &y, &weights, family, None).ok_or_else(unfit)?;
            (fit, None)
        }
    };
    let predictions = range.periods().map(|t| fit.mean_at(&row(t))).collect();
    Ok(Mu0Model { predictions, theta })
}

/// One run of the detector from a fresh start: the bound of each period up to the first
/// alarm (0 after it), and the index of that alarm.
struct Run {
    bound: Vec<f64>,
    alarm: Option<usize>,
}

fn run_segment(x: &[f64], mu0: &[f64], alpha: f64, control: &Control) -> Run {
    let dir = control.dir.sign();
    match (control.theta, alpha == 0.0) {
        (None, false) => nb_glr(x, mu0, alpha, control, dir),
        (Some(kappa), false) => known_change(x, control, |n, before| {
            let log_ratio = ((1.0 + alpha * mu0[n]) / (1.0 + alpha * mu0[n] * kappa.exp())).ln();
            let z = kappa * x[n] + (x[n] + 1.0 / alpha) * log_ratio;
            let cases =
                -(before * alpha + log_ratio - control.c_arl * alpha) / alpha / (kappa + log_ratio);
            (z, cases)
        }),
        (Some(kappa), true) => known_change(x, control, |n, before| {
            let z = kappa * x[n] + (1.0 - kappa.exp()) * mu0[n];
            let cases = (control.c_arl - before + mu0[n] * (kappa.exp() - 1.0)) / kappa;
            (z, cases)
        }),
        (None, true) => poisson_glr(x, mu0, control, dir),
    }
}

/// The CUSUM of log-likelihood ratios for a known change (R's `lr_cusum`, `lr_cusum_nb`):
/// `step(n, sum before n)` gives the ratio at n and the cases that would sound the alarm.
fn known_change(x: &[f64], control: &Control, step: impl Fn(usize, f64) -> (f64, f64)) -> Run {
    let mut bound = vec![0.0; x.len()];
    let mut sum = 0.0;
    for n in 0..x.len() {
        let (z, cases) = step(n, sum);
        // C's fmax: a NaN sum becomes 0.
        sum = (sum + z).max(0.0);
        bound[n] = match control.ret {
            Return::Value => sum,
            Return::Cases => cases,
        };
        if sum > control.c_arl {
            return Run {
                bound,
                alarm: Some(n),
            };
        }
    }
    Run { bound, alarm: None }
}

/// The negative binomial GLR (R's `glr_nb_window`, and R's search for the cases).
fn nb_glr(x: &[f64], mu0: &[f64], alpha: f64, control: &Control, dir: f64) -> Run {
    let mut bound = vec![0.0; x.len()];
    let mut alarm = None;
    for (n, b) in bound.iter_mut().enumerate().skip(control.mtilde - 1) {
        *b = nb_statistic(x, mu0, alpha, control, dir, n);
        if *b >= control.c_arl {
            alarm = Some(n);
            break;
        }
    }
    if control.ret == Return::Cases {
        let mut x = x.to_vec();
        let last = alarm.unwrap_or(x.len() - 1);
        for (pos, b) in bound.iter_mut().enumerate().take(last + 1) {
            let original = x[pos];
            *b = nb_cases(&mut x, mu0, alpha, control, dir, pos, alarm == Some(pos));
            x[pos] = original;
        }
    }
    Run { bound, alarm }
}

/// The count at `pos` that changes its verdict, stepping one case at a time as R does:
/// upwards to the first count that alarms (1e99 if none up to xMax, or if the count is 0),
/// downwards from an alarm to one more than the first count that does not (NaN if none).
fn nb_cases(
    x: &mut [f64],
    mu0: &[f64],
    alpha: f64,
    control: &Control,
    dir: f64,
    pos: usize,
    alarmed: bool,
) -> f64 {
    let step = if alarmed { -1.0 } else { 1.0 };
    while x[pos] <= control.x_max && x[pos] >= 1.0 {
        x[pos] += step;
        // Earlier periods do not change; the verdict at `pos` is that of the statistic there.
        let alarms = pos + 1 >= control.mtilde
            && nb_statistic(x, mu0, alpha, control, dir, pos) >= control.c_arl;
        if !alarmed && alarms {
            return x[pos];
        }
        if alarmed && !alarms {
            return x[pos] + 1.0;
        }
    }
    if alarmed { f64::NAN } else { 1e99 }
}

/// The GLR statistic at time n (0-based) of a run.
fn nb_statistic(x: &[f64], mu0: &[f64], alpha: f64, control: &Control, dir: f64, n: usize) -> f64 {
    let (low, up) = change_points(control, n);
    let mut best = -1e99;
    let mut kappa = 0.5;
    for k in low..=up {
        let (x, mu0) = (&x[k..=n], &mu0[k..=n]);
        let (mut old, mut new): (f64, f64) = (0.4, kappa);
        let mut iterations = 0;
        while new > -18.0 && (new - old).abs() > 1e-6 && iterations < 1000 {
            iterations += 1;
            old = new;
            let (mut score, mut fisher) = (0.0, 0.0);
            let e = old.exp();
            for (&x, &m) in x.iter().zip(mu0) {
                let d = 1.0 + alpha * e * m;
                score += (x - e * m) / d;
                fisher += m * (alpha * x + 1.0) / (d * d);
            }
            new = old + score / (e * fisher);
        }
        // C's fmax: a NaN estimate becomes 0.
        kappa = dir * (dir * new).max(0.0);
        let e = kappa.exp();
        let lnk: f64 = x
            .iter()
            .zip(mu0)
            .map(|(&x, &m)| {
                kappa * x + (x + 1.0 / alpha) * ((1.0 + alpha * m) / (1.0 + alpha * m * e)).ln()
            })
            .sum();
        if lnk > best {
            best = lnk;
        }
    }
    best
}

/// The change points k ∈ low..=up considered at time n (`up` < `low` when there are none).
fn change_points(control: &Control, n: usize) -> (usize, usize) {
    let low = match usize::try_from(control.m) {
        Ok(m) => n.saturating_sub(m),
        Err(_) => 0,
    };
    (low, n + 1 - control.mtilde)
}

/// The Poisson GLR (R's `glr_cusum` for M ≤ 0, `glr_cusum_window` for M > 0), with its cases:
/// the first count from 0 up whose statistic is at least c.ARL (for `dec`, the first at most).
fn poisson_glr(x: &[f64], mu0: &[f64], control: &Control, dir: f64) -> Run {
    let window = control.m > 0;
    // R's C code starts at Mtilde − 1, or at Mtilde with a window; earlier bounds stay 0.
    let start = if window {
        control.mtilde
    } else {
        control.mtilde - 1
    };
    let statistic = |x: &[f64], n: usize| {
        if window {
            poisson_window(x, mu0, control, dir, n)
        } else {
            poisson_statistic(x, mu0, dir, n)
        }
    };
    let mut bound = vec![0.0; x.len()];
    let mut x = x.to_vec();
    for n in start..x.len() {
        let value = statistic(&x, n);
        bound[n] = match control.ret {
            Return::Value => value,
            Return::Cases => {
                let original = x[n];
                x[n] = 0.0;
                while dir * statistic(&x, n) < dir * control.c_arl && x[n] <= POISSON_SEARCH_LIMIT {
                    x[n] += 1.0;
                }
                let cases = x[n];
                x[n] = original;
                cases
            }
        };
        if value >= control.c_arl {
            return Run {
                bound,
                alarm: Some(n),
            };
        }
    }
    Run { bound, alarm: None }
}

/// A bound on the Poisson search for cases. R's search has none; it ends for any threshold
/// above 0 long before this.
const POISSON_SEARCH_LIMIT: f64 = 1e7;

/// max over k ≤ n of the Poisson log-likelihood ratio of x[k..=n] at its κ estimate.
fn poisson_statistic(x: &[f64], mu0: &[f64], dir: f64, n: usize) -> f64 {
    let mut best = -1e99;
    let (mut sum_x, mut sum_mu) = (0.0, 0.0);
    for k in (0..=n).rev() {
        sum_x += x[k];
        sum_mu += mu0[k];
        let value = poisson_ratio(sum_x, sum_mu, dir);
        if value > best {
            best = value;
        }
    }
    best
}

/// As [`poisson_statistic`] over the change points max(0, n − M) ≤ k ≤ n − Mtilde, the last
/// Mtilde counts always included (R's `glr_window`).
fn poisson_window(x: &[f64], mu0: &[f64], control: &Control, dir: f64, n: usize) -> f64 {
    let mut best = -1e99;
    let first = n + 1 - control.mtilde;
    let mut sum_x: f64 = x[first..=n].iter().sum();
    let mut sum_mu: f64 = mu0[first..=n].iter().sum();
    let low = n.saturating_sub(usize::try_from(control.m).unwrap_or(0));
    for k in (low..first).rev() {
        sum_x += x[k];
        sum_mu += mu0[k];
        let value = poisson_ratio(sum_x, sum_mu, dir);
        if value > best {
            best = value;
        }
    }
    best
}

/// κ Σx + (1 − e^κ) Σμ₀ at κ = log(Σx/Σμ₀) kept on the side of `dir` (NaN for Σx = 0 with
/// `dec`, as in R, where it is then never the largest).
fn poisson_ratio(sum_x: f64, sum_mu: f64, dir: f64) -> f64 {
    let kappa = dir * (dir * (sum_x / sum_mu).ln()).max(0.0);
    kappa * sum_x + (1.0 - kappa.exp()) * sum_mu
}
