//! Statistical outbreak detection on count series, reproducing R `surveillance` 1.20.3.
//!
//! Methods: EARS C1/C2/C3 ([`ears`]), CUSUM ([`cusum`]), the classic Farrington algorithm
//! ([`farrington`]), Farrington flexible ([`flexible`]) and the negative binomial GLR detector
//! ([`glrnb`]). Each takes a [`Series`] (counts per
//! period, `None` where a period is missing), the periods to judge (a [`Range`]) and its control
//! parameters, named as in R, and returns one [`Detection`] per judged period: the upper bound
//! and whether the count exceeds it. Where R yields `NA` the result holds `None`.
//!
//! Periods are numbered from 1 like R's `t`. Weekly series are ISO 8601 weeks (Monday start),
//! monthly series calendar months; reference windows are whole multiples of the series frequency
//! back in time (52 or 12 periods), as R does for series indexed by period (`epochAsDate = FALSE`).
//!
//! Pure: no IO, no clock. Invalid control parameters and series too short for a method are
//! typed errors; a missing, zero or degenerate baseline gives the documented `None` results of
//! each method, never a panic.

pub mod cusum;
pub mod ears;
pub mod farrington;
pub mod flexible;
mod glm;
pub mod glrnb;
mod method;
mod negbin;
mod quasi;
pub mod stats;
pub mod table;

pub use method::{METHODS, Method};
pub use quasi::PowerTransform;

/// A count series: one value per period, `None` where the period is missing (R's `NA`).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Counts by period; index 0 is period t = 1.
    pub observed: Vec<Option<f64>>,
    /// Periods per year: 52 (ISO weeks) or 12 (months).
    pub frequency: usize,
}

/// The periods to judge, 1-based and inclusive like R's `range = first:last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub first: usize,
    pub last: usize,
}

impl Range {
    /// The periods in order.
    pub fn periods(&self) -> std::ops::RangeInclusive<usize> {
        self.first..=self.last
    }
}

/// The verdict for one period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// The period, 1-based.
    pub t: usize,
    /// The count, `None` if missing.
    pub observed: Option<f64>,
    /// The upper bound, `None` where R gives `NA`.
    pub upperbound: Option<f64>,
    /// Whether the count is an alarm, `None` where R gives `NA`.
    pub alarm: Option<bool>,
}

/// Why a detection could not run at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OutbreakError {
    #[error("range {first}:{last} is empty or outside the series (periods 1 to {len})")]
    RangeOutside {
        first: usize,
        last: usize,
        len: usize,
    },
    #[error(
        "the series is too short: period {t} needs {needed} earlier period(s) of baseline, it has {available}"
    )]
    TooShort {
        t: usize,
        needed: usize,
        available: usize,
    },
    #[error("{name} = {value}: {expected}")]
    BadParameter {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("parameter {0:?} does not apply to this method")]
    UnknownParameter(String),
    #[error("parameter {name}: cannot read {value:?}")]
    BadValue { name: String, value: String },
    #[error("frequency {0}: use 52 (ISO weeks) or 12 (months)")]
    BadFrequency(usize),
    #[error("period {t}: count {value} is not a non-negative finite number")]
    BadCount { t: usize, value: f64 },
    #[error("period {t}: the count is missing, and this method needs every count of the range")]
    MissingCount { t: usize },
    #[error("{0}")]
    ModelFit(&'static str),
}

impl Series {
    /// Checks the frequency, the counts and that `range` lies inside the series.
    pub fn check(&self, range: Range) -> Result<(), OutbreakError> {
        if self.frequency != 52 && self.frequency != 12 {
            return Err(OutbreakError::BadFrequency(self.frequency));
        }
        let len = self.observed.len();
        if range.first < 1 || range.first > range.last || range.last > len {
            return Err(OutbreakError::RangeOutside {
                first: range.first,
                last: range.last,
                len,
            });
        }
        let bad = self
            .observed
            .iter()
            .enumerate()
            .find_map(|(i, v)| v.filter(|x| !x.is_finite() || *x < 0.0).map(|x| (i + 1, x)));
        match bad {
            Some((t, value)) => Err(OutbreakError::BadCount { t, value }),
            None => Ok(()),
        }
    }

    /// The count at period `t` (1-based), `None` if missing or outside the series.
    pub fn at(&self, t: usize) -> Option<f64> {
        t.checked_sub(1)
            .and_then(|i| self.observed.get(i))
            .copied()
            .flatten()
    }

    /// The counts at periods `from..=to`, or `None` if any is missing (R's `NA` propagation).
    fn span(&self, from: usize, to: usize) -> Option<Vec<f64>> {
        (from..=to).map(|t| self.at(t)).collect()
    }

    /// The sum of the counts at periods `from..=to`, `None` if any is missing.
    fn sum(&self, from: usize, to: usize) -> Option<f64> {
        self.span(from, to).map(|v| v.iter().sum())
    }
}

/// Fails unless period `t` has at least `needed` periods before it.
fn need_history(t: usize, needed: usize) -> Result<(), OutbreakError> {
    if t <= needed {
        return Err(OutbreakError::TooShort {
            t,
            needed,
            available: t - 1,
        });
    }
    Ok(())
}

/// Fails unless `alpha` lies strictly between 0 and 1.
fn check_alpha(alpha: f64) -> Result<(), OutbreakError> {
    if alpha > 0.0 && alpha < 1.0 {
        return Ok(());
    }
    Err(OutbreakError::BadParameter {
        name: "alpha",
        value: alpha.to_string(),
        expected: "a probability strictly between 0 and 1",
    })
}

/// R's `max(0, x)` and `pmax(0, x)`: NaN stays NaN (Rust's `f64::max` would drop it).
fn r_max0(x: f64) -> f64 {
    if x.is_nan() { x } else { x.max(0.0) }
}
