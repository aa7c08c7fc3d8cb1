//! Log-linear models fitted by iteratively reweighted least squares, step for step as R's
//! `glm.fit` does (at most 25 iterations, converged when the deviance changes by less than 1e-8
//! relative): Poisson and quasi-Poisson (start at μ = y + 0.1), and the negative binomial of
//! `MASS::negative.binomial` with a known θ (start at μ = y + 1/6 where y = 0, or at given
//! linear predictors), with what `summary.glm`, `predict.glm` and `hatvalues` derive from the
//! fit.
//!
//! As in R, the working weights and the unscaled covariance belong to the last weighted least
//! squares step, and the fitted values to the coefficients it produced.

const MAX_ITERATIONS: usize = 25;
const TOLERANCE: f64 = 1e-8;

/// The distribution of the counts given their mean; the link is always the log.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Family {
    /// Variance μ.
    Poisson,
    /// Variance μ + μ²/θ, θ > 0.
    NegativeBinomial(f64),
}

impl Family {
    /// The working weight w μ²/V(μ) (with the log link dμ/dη = μ).
    fn working_weight(self, w: f64, mu: f64) -> f64 {
        match self {
            Family::Poisson => w * mu,
            Family::NegativeBinomial(theta) => w * mu * mu / (mu + mu * mu / theta),
        }
    }

    /// The deviance Σ wᵢ dᵢ(yᵢ, μᵢ) (R's `sum(dev.resids(y, mu, w))`).
    fn deviance(self, y: &[f64], mu: &[f64], weights: &[f64]) -> f64 {
        (0..y.len())
            .map(|i| {
                let (y, mu) = (y[i], mu[i]);
                let unit = match self {
                    // y log(y/μ) − (y − μ), with y log y = 0 at y = 0.
                    Family::Poisson => {
                        let ylogy = if y > 0.0 { y * (y / mu).ln() } else { 0.0 };
                        ylogy - (y - mu)
                    }
                    Family::NegativeBinomial(theta) => {
                        y * (y.max(1.0) / mu).ln() - (y + theta) * ((y + theta) / (mu + theta)).ln()
                    }
                };
                2.0 * weights[i] * unit
            })
            .sum()
    }

    /// R's `initialize`: the starting means.
    fn start(self, y: f64) -> f64 {
        match self {
            Family::Poisson => y + 0.1,
            Family::NegativeBinomial(_) => y + if y == 0.0 { 1.0 / 6.0 } else { 0.0 },
        }
    }
}

/// A fitted model.
#[derive(Debug, Clone)]
pub(crate) struct Fit {
    /// The coefficients, one per design column.
    pub coef: Vec<f64>,
    /// The fitted means.
    pub mu: Vec<f64>,
    /// The working weights of the last iteration (prior weight × μ²/V(μ) at its start).
    working: Vec<f64>,
    /// (XᵀWX)⁻¹ of the last iteration.
    cov: Vec<Vec<f64>>,
    /// Pearson's estimate of the dispersion, as `summary.glm` reports it.
    pub dispersion: f64,
    /// Residual degrees of freedom.
    pub df: f64,
    pub converged: bool,
}

/// Fits the Poisson model `y ~ x` (x: one row per observation, intercept included) with prior
/// `weights`. `None` when a weighted least squares step is singular or a mean overflows.
pub(crate) fn fit(x: &[Vec<f64>], y: &[f64], weights: &[f64]) -> Option<Fit> {
    fit_family(x, y, weights, Family::Poisson, None)
}

/// Fits `y ~ x` in `family`, starting from the linear predictors `eta_start` if given (R's
/// `etastart`), else from the family's starting means.
pub(crate) fn fit_family(
    x: &[Vec<f64>],
    y: &[f64],
    weights: &[f64],
    family: Family,
    eta_start: Option<&[f64]>,
) -> Option<Fit> {
    let mut eta: Vec<f64> = match eta_start {
        Some(eta) => eta.to_vec(),
        None => y.iter().map(|&v| family.start(v).ln()).collect(),
    };
    let mut mu: Vec<f64> = eta.iter().map(|&e| inverse_link(e)).collect();
    let mut dev_old = family.deviance(y, &mu, weights);
    let mut iteration = 0;
    loop {
        iteration += 1;
        let working: Vec<f64> = weights
            .iter()
            .zip(&mu)
            .map(|(&w, &m)| family.working_weight(w, m))
            .collect();
        let z: Vec<f64> = (0..y.len())
            .map(|i| eta[i] + (y[i] - mu[i]) / mu[i])
            .collect();
        let (coef, cov) = weighted_least_squares(x, &z, &working)?;
        eta = x.iter().map(|row| dot(row, &coef)).collect();
        mu = eta.iter().map(|&e| inverse_link(e)).collect();
        if mu.iter().any(|m| !m.is_finite()) {
            return None;
        }
        let dev = family.deviance(y, &mu, weights);
        if !dev.is_finite() {
            return None;
        }
        let converged = (dev - dev_old).abs() / (dev.abs() + 0.1) < TOLERANCE;
        if converged || iteration == MAX_ITERATIONS {
            return Some(Fit::new(coef, mu, working, cov, (y, weights), converged));
        }
        dev_old = dev;
    }
}

impl Fit {
    fn new(
        coef: Vec<f64>,
        mu: Vec<f64>,
        working: Vec<f64>,
        cov: Vec<Vec<f64>>,
        (y, weights): (&[f64], &[f64]),
        converged: bool,
    ) -> Fit {
        // As R, counts with prior weight 0 do not count towards the degrees of freedom.
        let used = weights.iter().filter(|w| **w > 0.0).count();
        let df = used as f64 - coef.len() as f64;
        let pearson: f64 = (0..y.len())
            .map(|i| working[i] * ((y[i] - mu[i]) / mu[i]).powi(2))
            .sum();
        let dispersion = if df > 0.0 { pearson / df } else { f64::NAN };
        Fit {
            coef,
            mu,
            working,
            cov,
            dispersion,
            df,
            converged,
        }
    }

    /// x₀ᵀ (XᵀWX)⁻¹ x₀.
    fn quadratic(&self, x0: &[f64]) -> f64 {
        self.cov
            .iter()
            .zip(x0)
            .map(|(row, a)| a * dot(row, x0))
            .sum()
    }

    /// The fitted mean at `x0` (R's `predict.glm(type = "response")`).
    pub fn mean_at(&self, x0: &[f64]) -> f64 {
        inverse_link(dot(x0, &self.coef))
    }

    /// The leverages (diagonal of the hat matrix), as R's `hatvalues`.
    pub fn hat_values(&self, x: &[Vec<f64>]) -> Vec<f64> {
        x.iter()
            .zip(&self.working)
            .map(|(row, w)| w * self.quadratic(row))
            .collect()
    }

    /// The predicted mean at `x0` and its standard error on the response scale, with the given
    /// dispersion (R's `predict.glm(type = "response", se.fit = TRUE)`).
    pub fn predict(&self, x0: &[f64], dispersion: f64) -> (f64, f64) {
        let mu0 = inverse_link(dot(x0, &self.coef));
        (mu0, mu0 * (dispersion * self.quadratic(x0)).sqrt())
    }

    /// Σ wᵢ ((yᵢ − μᵢ)/μᵢ)² / df with the given weights in place of the working weights:
    /// what `summary.glm` reports once a fit's `weights` are overwritten by its prior weights.
    pub fn dispersion_with(&self, y: &[f64], weights: &[f64]) -> f64 {
        let sum: f64 = (0..y.len())
            .filter(|&i| weights[i] > 0.0)
            .map(|i| weights[i] * ((y[i] - self.mu[i]) / self.mu[i]).powi(2))
            .sum();
        if self.df > 0.0 {
            sum / self.df
        } else {
            f64::NAN
        }
    }

    /// The two-sided t-test p-value of coefficient `j` with the given dispersion, as
    /// `summary.glm` gives it.
    pub fn p_value(&self, j: usize, dispersion: f64) -> f64 {
        let se = (dispersion * self.cov[j][j]).sqrt();
        super::stats::t_two_sided(self.coef[j] / se, self.df)
    }
}

/// exp(η), at least machine epsilon, as R's log link keeps means positive.
fn inverse_link(eta: f64) -> f64 {
    eta.exp().max(f64::EPSILON)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Solves min Σ wᵢ (zᵢ − xᵢᵀβ)²; returns β and (XᵀWX)⁻¹, `None` if XᵀWX is singular.
fn weighted_least_squares(
    x: &[Vec<f64>],
    z: &[f64],
    w: &[f64],
) -> Option<(Vec<f64>, Vec<Vec<f64>>)> {
    let p = x.first().map_or(0, Vec::len);
    let mut xtwx = vec![vec![0.0; p]; p];
    let mut xtwz = vec![0.0; p];
    for ((row, zi), wi) in x.iter().zip(z).zip(w) {
        for a in 0..p {
            xtwz[a] += wi * row[a] * zi;
            for b in 0..p {
                xtwx[a][b] += wi * row[a] * row[b];
            }
        }
    }
    let cov = invert_symmetric(&xtwx)?;
    let coef = cov.iter().map(|row| dot(row, &xtwz)).collect();
    Some((coef, cov))
}

/// The inverse of a symmetric positive definite matrix by Cholesky decomposition; `None` if a
/// column is (nearly) a combination of the others.
fn invert_symmetric(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let p = a.len();
    let mut l = vec![vec![0.0; p]; p];
    for i in 0..p {
        for j in 0..=i {
            let s = a[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            if i == j {
                // R's QR takes a column as aliased when its remaining norm falls below 1e-11
                // of its own; here the squares.
                if s.is_nan() || s <= 1e-22 * a[i][i] {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    // Columns of L⁻¹ by forward substitution, then A⁻¹ = L⁻ᵀ L⁻¹.
    let mut inv_l: Vec<Vec<f64>> = Vec::with_capacity(p);
    for (i, l_row) in l.iter().enumerate() {
        let row = (0..p)
            .map(|c| {
                let rhs = f64::from(u8::from(i == c));
                let s: f64 = (c..i).map(|k| l_row[k] * inv_l[k][c]).sum();
                if c > i { 0.0 } else { (rhs - s) / l_row[i] }
            })
            .collect();
        inv_l.push(row);
    }
    let inverse = (0..p)
        .map(|i| {
            (0..p)
                .map(|j| (i.max(j)..p).map(|k| inv_l[k][i] * inv_l[k][j]).sum())
                .collect()
        })
        .collect();
    Some(inverse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_r_glm_quasipoisson() {
        // R: y <- c(2,0,5,3,4,1,6,2); t <- 1:8;
        //    m <- glm(y ~ t, family = quasipoisson); print(coef(m), digits = 17)
        //    summary(m)$dispersion; summary(m)$coefficients[2, 4]
        let y = [2.0, 0.0, 5.0, 3.0, 4.0, 1.0, 6.0, 2.0];
        let x: Vec<Vec<f64>> = (1..=8).map(|t| vec![1.0, t as f64]).collect();
        let fit = fit(&x, &y, &[1.0; 8]).unwrap();
        let close = |a: f64, b: f64| assert!((a - b).abs() < 1e-9 * b.abs().max(1.0), "{a} vs {b}");
        close(fit.coef[0], 0.683202243590035);
        close(fit.coef[1], 0.0792082112091123);
        close(fit.dispersion, 1.56624197384912);
        close(fit.p_value(1, fit.dispersion), 0.516880812100423);
        assert!(fit.converged);
    }

    #[test]
    fn singular_design_is_none() {
        let x = vec![vec![1.0, 2.0], vec![1.0, 2.0]];
        assert!(fit(&x, &[1.0, 2.0], &[1.0, 1.0]).is_none());
    }
}
