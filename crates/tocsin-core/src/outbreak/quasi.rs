//! The baseline model of both Farrington methods: a quasi-Poisson log-linear fit to the
//! reference counts, with an optional linear time trend and seasonal factor columns, refitted
//! once with weights from its Anscombe residuals; the test that decides whether the trend
//! stays; and the upper bound from the prediction on a power-transformed scale.

use super::glm::{self, Fit};

/// The reference counts and what the model needs to know about them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Baseline {
    /// The reference counts.
    pub y: Vec<f64>,
    /// The period of each count (R's `wtime`).
    pub time: Vec<f64>,
    /// Extra design columns per count (seasonal factor indicators), possibly none.
    pub factors: Vec<Vec<f64>>,
    /// The period judged.
    pub now: f64,
    /// The extra design columns of the period judged.
    pub now_factors: Vec<f64>,
}

/// How the model is fitted and tested.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// Try a linear time trend.
    pub trend: bool,
    /// Reweight with this Anscombe residual threshold; `None` for no reweighting.
    pub reweight: Option<f64>,
    /// The trend stays when its p-value is below this (and b ≥ 3, and no extrapolation).
    pub p_threshold_trend: f64,
    /// Years back (the trend needs at least 3).
    pub b: usize,
    /// Which of R's fit functions to follow.
    pub variant: Variant,
}

/// The two fit functions of R, which differ in more than their names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Variant {
    /// `algo.farrington.fitGLM.fast`: goes on with the last iterate when the fit does not
    /// converge; the prediction's standard error is scaled by φ.
    Classic,
    /// `algo.farrington.fitGLM.flexible`: no result when the fit does not converge. R then
    /// overwrites the reweighted fit's working weights with the prior weights ω, so the
    /// dispersion behind the trend test and the prediction's standard error is
    /// Σ ωᵢ ((yᵢ − μᵢ)/μᵢ)² / df (φ itself is computed before, from the working weights; R
    /// passes φ to `predict.glm` inside `newdata`, where it is not used).
    Flexible,
}

/// The prediction for the period judged.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prediction {
    /// Expected count μ₀.
    pub mu0: f64,
    /// Its standard error.
    pub se: f64,
    /// φ = max(dispersion, 1).
    pub phi: f64,
}

/// The power transformation used for the threshold (R's `powertrans`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerTransform {
    /// "none": the normal approximation on the count scale.
    None,
    /// "1/2": the square root.
    Half,
    /// "2/3": the default, which removes most of the skewness.
    TwoThirds,
}

impl PowerTransform {
    /// Parses R's name ("none", "1/2", "2/3").
    pub fn parse(name: &str) -> Option<PowerTransform> {
        match name {
            "none" => Some(PowerTransform::None),
            "1/2" => Some(PowerTransform::Half),
            "2/3" => Some(PowerTransform::TwoThirds),
            _ => None,
        }
    }
}

/// The upper bound (μ₀^e + z·se_e)^(1/e), with se_e the delta-method standard error on the
/// transformed scale; NaN when μ₀ underflows.
pub(crate) fn upper_bound(p: &Prediction, power: PowerTransform, z: f64) -> f64 {
    let mu0 = p.mu0;
    let tau = p.phi + p.se * p.se / mu0;
    let (se, exponent) = match power {
        PowerTransform::None => ((mu0 * tau).sqrt(), 1.0),
        PowerTransform::Half => ((tau / 4.0).sqrt(), 0.5),
        PowerTransform::TwoThirds => ((4.0 / 9.0 * mu0.powf(1.0 / 3.0) * tau).sqrt(), 2.0 / 3.0),
    };
    (mu0.powf(exponent) + z * se).powf(1.0 / exponent)
}

/// A fitted model with its design.
struct Model {
    fit: Fit,
    phi: f64,
    /// The dispersion `summary.glm` reports for the fit (see [`Variant`]).
    reported_dispersion: f64,
    has_trend: bool,
    now: Vec<f64>,
}

/// Fits the model, tests the trend and predicts the period judged; `None` where R gives no
/// result (no convergence when required, a singular design, or too few counts).
pub(crate) fn predict(base: &Baseline, settings: &Settings) -> Option<Prediction> {
    let mut model = fit_model(base, settings, settings.trend)?;
    if model.has_trend {
        let mu0 = model.fit.predict(&model.now, 0.0).0;
        let p = model.fit.p_value(1, model.reported_dispersion);
        let significant = p < settings.p_threshold_trend;
        let no_extrapolation = mu0 <= base.y.iter().copied().fold(f64::MIN, f64::max);
        if !(settings.b >= 3 && significant && no_extrapolation) {
            model = fit_model(base, settings, false)?;
        }
    }
    let dispersion = match settings.variant {
        Variant::Classic => model.phi,
        Variant::Flexible => model.reported_dispersion,
    };
    let (mu0, se) = model.fit.predict(&model.now, dispersion);
    Some(Prediction {
        mu0,
        se,
        phi: model.phi,
    })
}

/// The design rows and the row of the period judged.
fn design(base: &Baseline, trend: bool) -> (Vec<Vec<f64>>, Vec<f64>) {
    let row = |time: f64, factors: &[f64]| {
        let mut row = vec![1.0];
        if trend {
            row.push(time);
        }
        row.extend_from_slice(factors);
        row
    };
    let rows = (0..base.y.len())
        .map(|i| row(base.time[i], base.factors.get(i).map_or(&[], Vec::as_slice)))
        .collect();
    (rows, row(base.now, &base.now_factors))
}

/// One fit as R's fit functions make it: without the trend if it does not converge with it,
/// then reweighted once.
fn fit_model(base: &Baseline, settings: &Settings, trend: bool) -> Option<Model> {
    let ones = vec![1.0; base.y.len()];
    let (mut x, mut now) = design(base, trend);
    let mut fit = glm::fit(&x, &base.y, &ones)?;
    let mut has_trend = trend;
    if !fit.converged && trend {
        (x, now) = design(base, false);
        fit = glm::fit(&x, &base.y, &ones)?;
        has_trend = false;
    }
    if !fit.converged && settings.variant == Variant::Flexible {
        return None;
    }
    let mut phi = r_max1(fit.dispersion);
    let mut reported_dispersion = fit.dispersion;
    if let Some(threshold) = settings.reweight {
        let omega = anscombe_weights(&fit, &x, &base.y, phi, threshold)?;
        fit = glm::fit(&x, &base.y, &omega)?;
        phi = r_max1(fit.dispersion);
        reported_dispersion = match settings.variant {
            Variant::Classic => fit.dispersion,
            Variant::Flexible => fit.dispersion_with(&base.y, &omega),
        };
    }
    Some(Model {
        fit,
        phi,
        reported_dispersion,
        has_trend,
        now,
    })
}

/// Weights that shrink counts with Anscombe residual s above `threshold` by s⁻², scaled to
/// average 1 (R's `algo.farrington.assign.weights`); `None` if a residual is undefined.
fn anscombe_weights(
    fit: &Fit,
    x: &[Vec<f64>],
    y: &[f64],
    phi: f64,
    threshold: f64,
) -> Option<Vec<f64>> {
    let hat = fit.hat_values(x);
    let s: Vec<f64> = (0..y.len())
        .map(|i| {
            let mu = fit.mu[i];
            1.5 * (y[i].powf(2.0 / 3.0) * mu.powf(-1.0 / 6.0) - mu.sqrt())
                / (phi * (1.0 - hat[i])).sqrt()
        })
        .collect();
    if s.iter().any(|v| v.is_nan()) {
        return None;
    }
    let shrink = |v: f64| if v > threshold { v.powi(-2) } else { 1.0 };
    let gamma = s.len() as f64 / s.iter().map(|&v| shrink(v)).sum::<f64>();
    Some(s.iter().map(|&v| gamma * shrink(v)).collect())
}

/// R's `max(x, 1)`: NaN stays NaN.
fn r_max1(x: f64) -> f64 {
    if x.is_nan() { x } else { x.max(1.0) }
}
