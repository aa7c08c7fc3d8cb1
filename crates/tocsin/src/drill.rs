//! `tocsin drill run SCENARIO`: runs a drill in-process (ingest, detection, warnings,
//! dissemination, response, all as an exercise) in a fresh folder and writes the scored report.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use tocsin_engine::drill::{DrillSetup, Speed, scenario::Scenario};

#[derive(Subcommand)]
pub enum DrillCommand {
    /// Run a scenario file and score it.
    Run(RunArgs),
    /// Compare two scored reports (JSON) of the same drill.
    Compare { first: PathBuf, second: PathBuf },
}

#[derive(Args)]
pub struct RunArgs {
    /// The scenario file (`scenarios/*.toml`).
    pub scenario: PathBuf,
    /// `max`, or scenario time per real time such as `60x`.
    #[arg(long, default_value = "max")]
    pub speed: String,
    /// Where to write the scored report as JSON.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Where to write the report as an HTML page with a timeline chart.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// The official administrative files.
    #[arg(
        long,
        env = "TOCSIN_REGIONS_FROM",
        default_value = "../shared/data/vn/admin"
    )]
    pub admin: PathBuf,
}

pub fn run(command: DrillCommand) -> Result<()> {
    match command {
        DrillCommand::Run(args) => run_scenario(&args),
        DrillCommand::Compare { first, second } => compare(&first, &second),
    }
}

fn read_report(path: &std::path::Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not a drill report", path.display()))
}

fn compare(first: &std::path::Path, second: &std::path::Path) -> Result<()> {
    let (a, b) = (read_report(first)?, read_report(second)?);
    if a["drill"] != b["drill"] {
        bail!(
            "the reports are of different drills: {} and {}",
            a["drill"],
            b["drill"]
        );
    }
    let lines = crate::drill_report::compare(&a, &b);
    if lines.is_empty() {
        println!("the two runs scored the same");
    }
    for line in lines {
        println!("{line}");
    }
    Ok(())
}

fn run_scenario(args: &RunArgs) -> Result<()> {
    let Some(speed) = Speed::parse(&args.speed) else {
        bail!(
            "--speed: {:?} is neither max nor a factor such as 60x",
            args.speed
        );
    };
    let text = std::fs::read_to_string(&args.scenario)
        .with_context(|| format!("read {}", args.scenario.display()))?;
    let name = args.scenario.display().to_string();
    let scenario = Scenario::parse(&name, &text).map_err(|p| anyhow::anyhow!(p.join("\n")))?;
    let work = tempfile::tempdir()?;
    let started = std::time::Instant::now();
    let report = tocsin_engine::drill::run(
        &scenario,
        DrillSetup {
            admin_dir: &args.admin,
            work_dir: work.path(),
            speed,
            options: tocsin_engine::EngineOptions::new(tocsin_engine::Durability::Normal),
            recipients: Vec::new(),
        },
    )?;
    let json = serde_json::to_string_pretty(&report)?;
    if let Some(path) = &args.report {
        std::fs::write(path, &json).with_context(|| format!("write {}", path.display()))?;
    }
    if let Some(path) = &args.html {
        let page = crate::drill_report::html(&report);
        std::fs::write(path, page).with_context(|| format!("write {}", path.display()))?;
    }
    println!("{} — {} (EXERCISE)", report.drill, report.title_en);
    println!(
        "{} observations; ran in {:.1} s",
        report.observations,
        started.elapsed().as_secs_f64()
    );
    for e in &report.expectations {
        let verdict = if e.met { "met" } else { "NOT MET" };
        let lead = e.lead_minutes.map_or_else(
            || "never".into(),
            |m| format!("{m} min before {}", e.expected.by),
        );
        println!(
            "  {verdict}: {} {} in {} at level ≥ {} — reached {}, {lead}",
            e.expected.what,
            e.expected.hazard,
            e.expected.province,
            e.expected.min_level,
            e.level_reached
        );
    }
    for a in &report.alerts {
        let judged = if a.trusted == a.genuine {
            "rightly"
        } else {
            "WRONGLY"
        };
        println!(
            "  outside alert {} — {}: judged {judged} ({})",
            a.time, a.label, a.verdict
        );
    }
    for f in &report.faults {
        println!(
            "  fault {:?} {} → {}: {} observations and {} reports or alerts held",
            f.fault.kind, f.fault.from, f.fault.to, f.held_observations, f.held_messages
        );
    }
    let n = &report.notifications;
    println!(
        "  notifications: {} ({} delivered, {} failed attempts, {} undelivered, {} escalations, {} acknowledged)",
        n.total, n.delivered, n.failed_attempts, n.undelivered, n.escalations, n.acknowledged
    );
    println!(
        "{} of {} expectations met; {} warnings ({} not expected); {} incidents",
        report.expectations_met,
        report.expectations.len(),
        report.warnings.len(),
        report.false_warnings.len(),
        report.incidents.len()
    );
    Ok(())
}
