//! The negative binomial log-linear model with θ estimated, as R's `MASS::glm.nb` fits it: a
//! Poisson fit first, then θ by maximum likelihood (`theta.ml`) alternating with the IRLS fit at
//! that θ until the log-likelihood and θ settle.
//!
//! The steps, start values and stopping rules are R's, so θ and the coefficients agree with R's
//! to rounding: `theta.ml` is Newton's method from the moment estimate n / Σ (y/μ − 1)², at
//! most 24 steps, stopping once a step is below ε^¼ (ε the machine epsilon); the alternation
//! runs at most 25 times, until |ΔL|/√(2 max(1, df)) + |Δθ| ≤ 1e-8 (L the log-likelihood).

use super::glm::{self, Family, Fit};
use super::stats::{digamma, ln_gamma, trigamma};

/// glm.nb's `control$maxit`, also the iteration limit of `theta.ml`.
const MAX_ITERATIONS: usize = 25;
const TOLERANCE: f64 = 1e-8;

/// A fit with its θ.
pub(crate) struct NegBinFit {
    pub fit: Fit,
    pub theta: f64,
}

/// Fits `y ~ x` (unit prior weights); `None` when a fit fails or θ is not a positive number
/// (R stops or gives a degenerate family there).
pub(crate) fn fit(x: &[Vec<f64>], y: &[f64]) -> Option<NegBinFit> {
    let weights = vec![1.0; y.len()];
    let mut fit = glm::fit(x, y, &weights)?;
    let mut mu = fit.mu.clone();
    let mut theta = theta_ml(y, &mu)?;
    let d1 = (2.0 * fit.df.max(1.0)).sqrt();
    let mut delta: f64 = 1.0;
    let mut lm = log_likelihood(theta, &mu, y);
    let mut lm0 = lm + 2.0 * d1;
    let mut iteration = 0;
    while iteration < MAX_ITERATIONS && (lm0 - lm).abs() / d1 + delta.abs() > TOLERANCE {
        iteration += 1;
        let eta: Vec<f64> = mu.iter().map(|m| m.ln()).collect();
        fit = glm::fit_family(x, y, &weights, Family::NegativeBinomial(theta), Some(&eta))?;
        // As glm.nb: θ is re-estimated at the means before this fit.
        let previous = theta;
        theta = theta_ml(y, &mu)?;
        mu = fit.mu.clone();
        delta = previous - theta;
        lm0 = lm;
        lm = log_likelihood(theta, &mu, y);
    }
    Some(NegBinFit { fit, theta })
}

/// The maximum likelihood θ given the means (R's `MASS::theta.ml` with unit weights and
/// `limit = 25`); `None` unless positive and finite.
fn theta_ml(y: &[f64], mu: &[f64]) -> Option<f64> {
    let n = y.len() as f64;
    let moments: f64 = y.iter().zip(mu).map(|(y, m)| (y / m - 1.0).powi(2)).sum();
    let mut theta = n / moments;
    let mut step: f64 = 1.0;
    let eps = f64::EPSILON.powf(0.25);
    let mut iteration = 1;
    while iteration < MAX_ITERATIONS && step.abs() > eps {
        iteration += 1;
        theta = theta.abs();
        let (mut score, mut info) = (0.0, 0.0);
        for (&y, &m) in y.iter().zip(mu) {
            score += digamma(theta + y) - digamma(theta) + theta.ln() + 1.0
                - (theta + m).ln()
                - (y + theta) / (m + theta);
            info += -trigamma(theta + y) + trigamma(theta) - 1.0 / theta + 2.0 / (m + theta)
                - (y + theta) / (m + theta).powi(2);
        }
        step = score / info;
        theta += step;
    }
    (theta.is_finite() && theta > 0.0).then_some(theta)
}

/// The negative binomial log-likelihood as glm.nb computes it.
fn log_likelihood(theta: f64, mu: &[f64], y: &[f64]) -> f64 {
    y.iter()
        .zip(mu)
        .map(|(&y, &m)| {
            let zero = if y == 0.0 { 1.0 } else { 0.0 };
            ln_gamma(theta + y) - ln_gamma(theta) - ln_gamma(y + 1.0)
                + theta * theta.ln()
                + y * (m + zero).ln()
                - (theta + y) * (theta + m).ln()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_r_glm_nb() {
        // R: y <- c(2,0,5,3,9,1,6,2,0,4,12,3); t <- 1:12
        //    m <- MASS::glm.nb(y ~ t); print(c(coef(m), m$theta), digits = 17)
        let y = [2.0, 0.0, 5.0, 3.0, 9.0, 1.0, 6.0, 2.0, 0.0, 4.0, 12.0, 3.0];
        let x: Vec<Vec<f64>> = (1..=12).map(|t| vec![1.0, t as f64]).collect();
        let got = fit(&x, &y).unwrap();
        let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-9 * b.abs().max(1.0), "{a} vs {b}");
        close(got.fit.coef[0], 0.839_475_750_459_49);
        close(got.fit.coef[1], 0.075_851_516_350_030_04);
        close(got.theta, 1.856_766_583_137_830_6);
    }
}
