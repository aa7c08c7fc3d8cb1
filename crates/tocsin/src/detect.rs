//! `tocsin detect outbreak`: statistical outbreak detection on a count series CSV, as R
//! `surveillance` 1.20.3 computes it; reads the file, runs `tocsin_core::outbreak` and writes
//! `t,observed,upperbound,alarm` to standard output.
//!
//! Method options carry the names of R's control list (`--no-periods` is `noPeriods`,
//! `--c-arl` is `c.ARL`, `--mu0-s` is `mu0$S`; glrnb's `M` is `--big-m` beside CUSUM's `--m`);
//! an option left out takes R's default for the method, an option the method does not have is
//! an error.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use tocsin_core::outbreak::{Method, Range, table};

#[derive(Subcommand)]
pub enum DetectCommand {
    /// Flag periods whose count exceeds what the series' history leads to expect.
    Outbreak(Box<OutbreakArgs>),
}

#[derive(Args)]
pub struct OutbreakArgs {
    /// ears-c1, ears-c2, ears-c3, farrington-flexible, farrington, cusum or glrnb.
    #[arg(long)]
    method: String,
    /// CSV with columns t,year,week,observed (or t,year,month,observed); NA marks a missing count.
    #[arg(long)]
    input: PathBuf,
    /// 52 for ISO weeks, 12 for months.
    #[arg(long)]
    frequency: usize,
    /// The periods to judge, A:B (t values, inclusive).
    #[arg(long)]
    range: String,
    /// Years back (farrington, farrington-flexible; R default 5).
    #[arg(long)]
    b: Option<String>,
    /// Half-width of the reference windows (farrington, farrington-flexible; R default 3).
    #[arg(long)]
    w: Option<String>,
    /// Significance level (R default: 0.001 for EARS C1/C2, 0.025 for C3, 0.05 for Farrington);
    /// for glrnb the negative binomial dispersion, 0 for Poisson (R default NULL: estimated).
    #[arg(long)]
    alpha: Option<String>,
    /// EARS baseline length (R default 7).
    #[arg(long)]
    baseline: Option<String>,
    /// EARS lower limit of the standard deviation (R default 0).
    #[arg(long)]
    min_sigma: Option<String>,
    /// farrington-flexible: levels of the seasonal factor (R default 1).
    #[arg(long)]
    no_periods: Option<String>,
    /// farrington-flexible: Anscombe residual above which a count is down-weighted (R default 2.58).
    #[arg(long)]
    weights_threshold: Option<String>,
    /// farrington-flexible: periods before t left out of the fit (R default: w).
    #[arg(long)]
    past_weeks_not_included: Option<String>,
    /// farrington-flexible: p-value below which the trend is kept (R default 0.05).
    #[arg(long)]
    p_threshold_trend: Option<String>,
    /// Farrington: reweight by Anscombe residuals, TRUE or FALSE (R default TRUE).
    #[arg(long)]
    reweight: Option<String>,
    /// Farrington: try a time trend, TRUE or FALSE (R default TRUE).
    #[arg(long)]
    trend: Option<String>,
    /// Farrington: power transformation, none, 1/2 or 2/3 (R default 2/3).
    #[arg(long)]
    powertrans: Option<String>,
    /// CUSUM reference value (R default 1.04).
    #[arg(long)]
    k: Option<String>,
    /// CUSUM decision interval (R default 2.26).
    #[arg(long)]
    h: Option<String>,
    /// CUSUM in-control mean (R default NULL: the mean of the counts before the range).
    #[arg(long)]
    m: Option<String>,
    /// CUSUM transformation: standard, rossi, anscombe or anscombe2nd (R default standard).
    #[arg(long)]
    trans: Option<String>,
    /// glrnb alarm threshold (R's c.ARL, default 5).
    #[arg(long)]
    c_arl: Option<String>,
    /// glrnb upper bound: value (the statistic, R default) or cases (the count that alarms).
    #[arg(long)]
    ret: Option<String>,
    /// glrnb direction of the change: inc (R default) or dec.
    #[arg(long)]
    dir: Option<String>,
    /// glrnb in-control means, one per period of the range, comma-separated (R default NULL:
    /// fitted to the counts before the range; needs --alpha).
    #[arg(long)]
    mu0: Option<String>,
    /// glrnb: harmonic pairs of the fitted mu0 model (R's mu0$S, default 1).
    #[arg(long)]
    mu0_s: Option<String>,
    /// glrnb: linear trend in the mu0 model, TRUE or FALSE (R's mu0$trend, default FALSE).
    #[arg(long)]
    mu0_trend: Option<String>,
    /// glrnb: refit the mu0 model after each alarm, TRUE or FALSE (R's mu0$refit, default FALSE).
    #[arg(long)]
    mu0_refit: Option<String>,
    /// glrnb known change of the log mean (R default NULL: estimated, the GLR detector).
    #[arg(long)]
    theta: Option<String>,
    /// glrnb: changes at most M periods back (R's M, default -1: since the start).
    #[arg(long, allow_hyphen_values = true)]
    big_m: Option<String>,
    /// glrnb: periods needed to estimate a change (R's Mtilde, default 1).
    #[arg(long)]
    mtilde: Option<String>,
    /// glrnb: the largest count tried for ret = cases (R's xMax, default 10000).
    #[arg(long)]
    x_max: Option<String>,
}

impl OutbreakArgs {
    /// The options given, by their R names.
    fn params(&self) -> Vec<(&'static str, &str)> {
        let all = [
            ("b", &self.b),
            ("w", &self.w),
            ("alpha", &self.alpha),
            ("baseline", &self.baseline),
            ("minSigma", &self.min_sigma),
            ("noPeriods", &self.no_periods),
            ("weightsThreshold", &self.weights_threshold),
            ("pastWeeksNotIncluded", &self.past_weeks_not_included),
            ("pThresholdTrend", &self.p_threshold_trend),
            ("reweight", &self.reweight),
            ("trend", &self.trend),
            ("powertrans", &self.powertrans),
            ("k", &self.k),
            ("h", &self.h),
            ("m", &self.m),
            ("trans", &self.trans),
            ("c.ARL", &self.c_arl),
            ("ret", &self.ret),
            ("dir", &self.dir),
            ("mu0", &self.mu0),
            ("mu0.S", &self.mu0_s),
            ("mu0.trend", &self.mu0_trend),
            ("mu0.refit", &self.mu0_refit),
            ("theta", &self.theta),
            ("M", &self.big_m),
            ("Mtilde", &self.mtilde),
            ("xMax", &self.x_max),
        ];
        all.into_iter()
            .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)))
            .collect()
    }
}

pub fn run(command: DetectCommand) -> Result<()> {
    let DetectCommand::Outbreak(args) = command;
    let method = Method::new(&args.method, &args.params()).context("--method and its options")?;
    let range = parse_range(&args.range)?;
    let text = std::fs::read_to_string(&args.input)
        .with_context(|| format!("read {}", args.input.display()))?;
    let series = table::parse_series(&text, args.frequency)
        .with_context(|| format!("{}", args.input.display()))?;
    let detections = method.detect(&series, range)?;
    let periods = if args.frequency == 52 {
        "ISO 8601 weeks (Monday start)"
    } else {
        "calendar months"
    };
    eprintln!(
        "{}: {} periods judged; periods are {periods}, reference windows {} periods apart",
        args.method,
        detections.len(),
        args.frequency
    );
    std::io::stdout()
        .write_all(table::write_detections(&detections).as_bytes())
        .context("write to standard output")
}

/// `A:B` as a range of periods.
fn parse_range(text: &str) -> Result<Range> {
    let parsed = text
        .split_once(':')
        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)));
    match parsed {
        Some((first, last)) => Ok(Range { first, last }),
        None => bail!("--range {text:?}: expected A:B, two period numbers"),
    }
}
