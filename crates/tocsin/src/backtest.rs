//! `tocsin backtest`: stored history replayed through the catalogue (the one in use, or a
//! candidate folder) and scored against real events, per rule.

use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;
use tocsin_core::observation::parse_time;

#[derive(Args)]
pub struct BacktestArgs {
    /// Start of the period (RFC 3339).
    #[arg(long)]
    from: String,
    /// End of the period (RFC 3339, exclusive).
    #[arg(long)]
    to: String,
    /// Real events: CSV `hazard,place,start,end[,min_level]`.
    #[arg(long)]
    truth: PathBuf,
    /// A candidate catalogue folder [default: the built-in catalogue].
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Write the scores as JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[arg(long, env = "TOCSIN_DATA", default_value = crate::config::DEFAULT_DATA)]
    data: PathBuf,
}

pub fn run(args: BacktestArgs) -> Result<()> {
    let time = |text: &str, name: &str| {
        parse_time(Some(text), name).map_err(|r| anyhow::anyhow!("--{name}: {}", r.reason))
    };
    let (from_ms, to_ms) = (time(&args.from, "from")?, time(&args.to, "to")?);
    let truth = tocsin_engine::backtest::read_truth(
        &std::fs::read(&args.truth).with_context(|| format!("read {}", args.truth.display()))?,
    )
    .map_err(|e| anyhow::anyhow!("{}: {e}", args.truth.display()))?;
    let catalog = crate::config::load_catalog(args.catalog.as_deref())
        .map_err(|p| anyhow::anyhow!("the catalogue is invalid:\n{}", p.join("\n")))?;
    let engine = crate::serve::open_engine(&args.data, tocsin_engine::Durability::Full)?;
    let scores = engine.backtest(Some(catalog), from_ms, to_ms, &truth)?;
    if args.json {
        let rows: Vec<serde_json::Value> = scores
            .iter()
            .map(|s| serde_json::json!({"rule": s.rule, "hazard": s.hazard, "hits": s.hits, "misses": s.misses, "false_alarms": s.false_alarms, "pod": s.pod, "far": s.far, "csi": s.csi, "median_lead_seconds": s.median_lead_s}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    let ratio = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{r:.2}"));
    println!(
        "{:<22} {:<20} {:>5} {:>6} {:>6} {:>5} {:>5} {:>5} {:>12}",
        "rule", "hazard", "hits", "misses", "false", "POD", "FAR", "CSI", "median lead"
    );
    for s in &scores {
        let lead = s
            .median_lead_s
            .map_or("-".to_string(), |l| format!("{:.1} h", l as f64 / 3600.0));
        println!(
            "{:<22} {:<20} {:>5} {:>6} {:>6} {:>5} {:>5} {:>5} {:>12}",
            s.rule,
            s.hazard,
            s.hits,
            s.misses,
            s.false_alarms,
            ratio(s.pod),
            ratio(s.far),
            ratio(s.csi),
            lead
        );
    }
    println!(
        "{} truth event(s) from {}",
        truth.len(),
        args.truth.display()
    );
    Ok(())
}
