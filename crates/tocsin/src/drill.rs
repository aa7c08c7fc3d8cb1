//! `tocsin drill run SCENARIO`: runs a drill (ingest, detection, warnings, dissemination,
//! response, all as an exercise) in-process in a fresh folder, or on a running node with
//! `--server`, and writes the scored report.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use tocsin_engine::drill::score::DrillReport;
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
    /// Run the drill on a running node (`http://host:port`) in its exercise space, where its
    /// recipients marked as drill participants take part, instead of in-process.
    #[arg(long)]
    pub server: Option<String>,
    /// An administrator's API token for `--server`.
    #[arg(long, env = "TOCSIN_TOKEN")]
    pub token: Option<String>,
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
    let lines = tocsin_server::drill_report::compare(&a, &b);
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
    let started = std::time::Instant::now();
    let report = match &args.server {
        Some(server) => on_server(server, args.token.as_deref(), &args.speed, &text)?,
        None => in_process(&scenario, speed, &args.admin)?,
    };
    let json = serde_json::to_string_pretty(&report)?;
    if let Some(path) = &args.report {
        std::fs::write(path, &json).with_context(|| format!("write {}", path.display()))?;
    }
    if let Some(path) = &args.html {
        let page = tocsin_server::drill_report::html(&report);
        std::fs::write(path, page).with_context(|| format!("write {}", path.display()))?;
    }
    print_summary(&report, started.elapsed());
    Ok(())
}

fn in_process(scenario: &Scenario, speed: Speed, admin: &std::path::Path) -> Result<DrillReport> {
    let work = tempfile::tempdir()?;
    Ok(tocsin_engine::drill::run(
        scenario,
        DrillSetup {
            admin_dir: admin,
            region_changes: &crate::region_changes(None)?,
            work_dir: work.path(),
            speed,
            options: tocsin_engine::EngineOptions::new(tocsin_engine::Durability::Normal),
            recipients: Vec::new(),
            control: None,
        },
    )?)
}

/// Starts the drill on the node at `server` and follows it until it ends.
fn on_server(
    server: &str,
    token: Option<&str>,
    speed: &str,
    scenario: &str,
) -> Result<DrillReport> {
    let Some(token) = token else {
        bail!("--server needs an administrator's API token: --token or TOCSIN_TOKEN");
    };
    let base = server.trim_end_matches('/');
    let bearer = format!("Bearer {token}");
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build(),
    );
    let mut answer = agent
        .post(format!("{base}/api/v1/drills?speed={speed}"))
        .header("Authorization", &bearer)
        .header("Content-Type", "application/toml")
        .send(scenario)
        .with_context(|| format!("reach {base}"))?;
    let started = json_of(&mut answer)?;
    if answer.status() != 202 {
        bail!("{base} refused the drill ({}): {started}", answer.status());
    }
    let id = started["id"]
        .as_u64()
        .context("the node named no drill id")?;
    println!("drill {id} running on {base}");
    loop {
        std::thread::sleep(std::time::Duration::from_millis(500));
        let mut answer = agent
            .get(format!("{base}/api/v1/drills/{id}"))
            .header("Authorization", &bearer)
            .call()
            .with_context(|| format!("reach {base}"))?;
        let mut view = json_of(&mut answer)?;
        match view["status"].as_str() {
            Some("running") => continue,
            Some("finished") => return Ok(serde_json::from_value(view["report"].take())?),
            Some("cancelled") => bail!("drill {id} on {base} was cancelled"),
            _ => bail!("drill {id} on {base} failed: {}", view["error"]),
        }
    }
}

fn json_of(answer: &mut ureq::http::Response<ureq::Body>) -> Result<serde_json::Value> {
    let text = answer.body_mut().read_to_string()?;
    serde_json::from_str(&text).with_context(|| format!("the node answered {text:?}"))
}

fn print_summary(report: &DrillReport, took: std::time::Duration) {
    println!("{} — {} (EXERCISE)", report.drill, report.title_en);
    println!(
        "{} observations; ran in {:.1} s",
        report.observations,
        took.as_secs_f64()
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
}
