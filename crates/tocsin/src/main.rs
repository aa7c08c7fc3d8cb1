//! The tocsin command line: a thin layer over the engine and server crates.
//!
//! `serve` runs the HTTP API, `demo` runs it with a synthetic network and a live sample feed,
//! `import` loads regions or stations, `token create` issues API tokens, `user create` adds
//! dashboard accounts, `backup` snapshots a
//! running store, `config check` validates a config file, `cap` validates CAP alerts, and `bench` measures ingest.

mod audit;
mod backtest;
mod bench;
mod bench_dispatch;
mod bench_journal;
mod bench_latency;
mod bench_response;
mod cap;
mod cap_sign;
mod config;
mod demo;
mod detect;
mod drill;
mod replay;
mod serve;
mod user;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "tocsin",
    version,
    about = "Early warning and response for non-traditional security threats"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API.
    Serve(serve::ServeArgs),
    /// Run the server with the registry and the Typhoon Yagi drill playing as an exercise.
    Demo(demo::DemoArgs),
    /// Run drills: scenarios replayed at accelerated time as an exercise, then scored.
    #[command(subcommand)]
    Drill(drill::DrillCommand),
    /// Load data into a data directory.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage user accounts of the dashboard.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Write a consistent snapshot of the store, also while the server runs.
    Backup {
        /// The file to write (must not exist).
        #[arg(long)]
        to: PathBuf,
        #[arg(long, env = "TOCSIN_DATA", default_value = config::DEFAULT_DATA)]
        data: PathBuf,
    },
    /// Replay stored history through the catalogue and score it against real events.
    Backtest(backtest::BacktestArgs),
    /// Check configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Measure ingest throughput.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Detect outbreaks in count series (methods of R surveillance).
    #[command(subcommand)]
    Detect(detect::DetectCommand),
    /// Validate, sign and verify CAP alerts.
    #[command(subcommand)]
    Cap(cap::CapCommand),
    /// Verify the node's journal and print its public key.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import Vietnam's administrative units (replaces the registry).
    Regions {
        /// Folder with the official files (nested-divisions.json, …).
        #[arg(long)]
        from: PathBuf,
        #[arg(long, env = "TOCSIN_DATA", default_value = config::DEFAULT_DATA)]
        data: PathBuf,
        /// Changes after the 2025 reform (default: the built-in catalogue).
        #[arg(long)]
        changes: Option<PathBuf>,
    },
    /// Record changes to administrative units made after the 2025 reform (a changes file like
    /// `catalog/region-changes.toml`); changes already recorded are skipped.
    RegionChanges {
        #[arg(long)]
        file: PathBuf,
        #[arg(long, env = "TOCSIN_DATA", default_value = config::DEFAULT_DATA)]
        data: PathBuf,
    },
    /// Import stations from a CSV or JSON file (all or nothing).
    Stations {
        #[arg(long)]
        file: PathBuf,
        #[arg(long, env = "TOCSIN_DATA", default_value = config::DEFAULT_DATA)]
        data: PathBuf,
    },
    /// Import the agencies that receive warnings from a JSON array (created or replaced by id).
    Recipients {
        #[arg(long)]
        file: PathBuf,
        #[arg(long, env = "TOCSIN_DATA", default_value = config::DEFAULT_DATA)]
        data: PathBuf,
    },
    /// Import response resources of the four on-site categories from CSV or a JSON array
    /// (all or nothing; created or replaced by id).
    Resources {
        #[arg(long)]
        file: PathBuf,
        #[arg(long, env = "TOCSIN_DATA", default_value = config::DEFAULT_DATA)]
        data: PathBuf,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token; the secret is printed alone on the last line.
    Create {
        /// ingest, viewer, operator or admin.
        #[arg(long)]
        role: String,
        /// The region subtree: VN, a province code or a commune code.
        #[arg(long, default_value = "VN")]
        scope: String,
        /// Comma-separated domains (default: all).
        #[arg(long, default_value = "")]
        domains: String,
        /// Comma-separated station ids an ingest token is limited to (default: any in scope).
        #[arg(long, default_value = "")]
        stations: String,
        #[arg(long, default_value = "")]
        name: String,
        #[arg(long, env = "TOCSIN_DATA", default_value = config::DEFAULT_DATA)]
        data: PathBuf,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Report every problem in a config file and the rule catalogue; exit 1 if there is any.
    Check {
        /// The config file [default: tocsin.toml, when it exists].
        #[arg(long, env = "TOCSIN_CONFIG")]
        config: Option<PathBuf>,
        /// A rule catalogue folder to check [default: the config's, else the built-in one].
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Drill(command) => drill::run(command),
        Command::Import(ImportCommand::Regions {
            from,
            data,
            changes,
        }) => import_regions(&from, &data, changes.as_deref()),
        Command::Import(ImportCommand::Stations { file, data }) => import_stations(&file, &data),
        Command::Import(ImportCommand::Recipients { file, data }) => {
            import_recipients(&file, &data)
        }
        Command::Import(ImportCommand::Resources { file, data }) => import_resources(&file, &data),
        Command::Import(ImportCommand::RegionChanges { file, data }) => {
            import_region_changes(&file, &data)
        }
        Command::Token(TokenCommand::Create {
            role,
            scope,
            domains,
            stations,
            name,
            data,
        }) => create_token(&role, &scope, &domains, &stations, &name, &data),
        Command::User(command) => user::run(command),
        Command::Backup { to, data } => {
            let engine = serve::open_engine(&data, tocsin_engine::Durability::Full)?;
            engine
                .store()
                .backup_to(&to)
                .with_context(|| format!("backup to {}", to.display()))?;
            println!("backup written to {}", to.display());
            Ok(())
        }
        Command::Config(ConfigCommand::Check { config, catalog }) => check_config(config, catalog),
        Command::Backtest(args) => backtest::run(args),
        Command::Bench(command) => bench::run(command),
        Command::Detect(command) => detect::run(command),
        Command::Cap(command) => cap::run(command),
        Command::Audit(command) => audit::run(command),
    }
}

/// `tocsin config check`: the config file (if any) and the catalogue it names, or `--catalog`.
fn check_config(config: Option<PathBuf>, catalog: Option<PathBuf>) -> Result<()> {
    let default = PathBuf::from("tocsin.toml");
    let file = config.or_else(|| default.exists().then_some(default));
    let mut problems = Vec::new();
    let mut catalog_dir = catalog.clone();
    if let Some(file) = &file {
        match config::load(file) {
            Ok(loaded) => catalog_dir = catalog_dir.or(loaded.catalog),
            Err(found) => problems.extend(found),
        }
    }
    if (catalog.is_some() || problems.is_empty())
        && let Err(found) = config::load_catalog(catalog_dir.as_deref())
    {
        problems.extend(found);
    }
    let checked = match (&file, &catalog_dir) {
        (Some(f), Some(c)) => format!("{} and catalogue {}", f.display(), c.display()),
        (Some(f), None) => format!("{} and the built-in catalogue", f.display()),
        (None, Some(c)) => format!("catalogue {}", c.display()),
        (None, None) => "the built-in catalogue".to_string(),
    };
    if problems.is_empty() {
        println!("{checked}: ok");
        return Ok(());
    }
    for p in &problems {
        eprintln!("{p}");
    }
    bail!("{} problem(s) in {checked}", problems.len())
}

/// The region changes to apply: a file, or the built-in catalogue.
pub fn region_changes(
    file: Option<&std::path::Path>,
) -> Result<Vec<tocsin_engine::registry::changes::RegionChange>> {
    use tocsin_engine::registry::changes::{parse_changes, read_changes};
    match file {
        Some(path) => read_changes(path).map_err(anyhow::Error::msg),
        None => parse_changes(
            config::BUILTIN_REGION_CHANGES,
            "built-in region-changes.toml",
        )
        .map_err(anyhow::Error::msg),
    }
}

fn import_regions(
    from: &std::path::Path,
    data: &std::path::Path,
    changes: Option<&std::path::Path>,
) -> Result<()> {
    let engine = serve::open_engine(data, tocsin_engine::Durability::Full)?;
    let report = engine.import_regions(from, &region_changes(changes)?)?;
    print_import_report(&report);
    Ok(())
}

pub fn print_import_report(report: &tocsin_engine::registry::import::ImportReport) {
    println!(
        "imported {} provinces and {} communes (current); {} provinces, {} districts and {} communes before 1 July 2025; {} succession links; {} later change(s)",
        report.provinces,
        report.communes,
        report.old_provinces,
        report.old_districts,
        report.old_communes,
        report.successions,
        report.changes_applied
    );
    if !report.uncovered_old_communes.is_empty() {
        println!(
            "{} pre-2025 communes are not covered by the conversion table (kept, without successor):",
            report.uncovered_old_communes.len()
        );
        for unit in &report.uncovered_old_communes {
            println!("  {unit}");
        }
    }
    if !report.unknown_old_codes.is_empty() {
        println!(
            "{} old codes in the conversion table are not in the pre-2025 list: {}",
            report.unknown_old_codes.len(),
            report.unknown_old_codes.join(", ")
        );
    }
    if !report.missing_boundaries.is_empty() {
        println!(
            "{} current communes have no boundary: {}",
            report.missing_boundaries.len(),
            report.missing_boundaries.join(", ")
        );
    }
}

fn import_region_changes(file: &std::path::Path, data: &std::path::Path) -> Result<()> {
    let engine = serve::open_engine(data, tocsin_engine::Durability::Full)?;
    for change in region_changes(Some(file))? {
        let applied = engine.record_region_change(&change)?;
        let what = if applied {
            "recorded"
        } else {
            "already recorded"
        };
        println!(
            "{} {} on {} ({}): {what}",
            change.from,
            change.code.as_deref().unwrap_or("(same code)"),
            change.on,
            change.status
        );
    }
    Ok(())
}

fn import_recipients(file: &std::path::Path, data: &std::path::Path) -> Result<()> {
    let engine = serve::open_engine(data, tocsin_engine::Durability::Full)?;
    let bytes = std::fs::read(file).with_context(|| format!("read {}", file.display()))?;
    let entries: Vec<tocsin_engine::dispatch::RecipientEntry> = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not a JSON array of recipients", file.display()))?;
    if let Some((i, _)) = entries
        .iter()
        .enumerate()
        .find(|(_, e)| e.recipient.id.is_empty() || e.recipient.region.is_empty())
    {
        bail!(
            "{}: recipient {i}: id and region must not be empty",
            file.display()
        );
    }
    engine.set_recipients(&tocsin_engine::access::Principal::local_admin(), &entries)?;
    println!("imported {} recipients", entries.len());
    Ok(())
}

fn import_resources(file: &std::path::Path, data: &std::path::Path) -> Result<()> {
    let engine = serve::open_engine(data, tocsin_engine::Durability::Full)?;
    let bytes = std::fs::read(file).with_context(|| format!("read {}", file.display()))?;
    let parsed = if file.extension().is_some_and(|e| e == "json") {
        tocsin_engine::response::resources::parse_json(&bytes)
    } else {
        tocsin_engine::response::resources::parse_csv(&bytes)
    };
    let resources = parsed
        .map_err(|refused| anyhow::anyhow!("{}: nothing imported:\n{refused}", file.display()))?;
    let count =
        engine.set_resources(&tocsin_engine::access::Principal::local_admin(), &resources)?;
    println!("imported {count} resources");
    Ok(())
}

fn import_stations(file: &std::path::Path, data: &std::path::Path) -> Result<()> {
    let engine = serve::open_engine(data, tocsin_engine::Durability::Full)?;
    let bytes = std::fs::read(file).with_context(|| format!("read {}", file.display()))?;
    let stations = if file.extension().is_some_and(|e| e == "json") {
        serde_json::from_slice(&bytes)
            .with_context(|| format!("{}: not a JSON array of stations", file.display()))?
    } else {
        tocsin_engine::stations::parse_csv(&bytes).map_err(|errors| {
            anyhow::anyhow!(
                errors
                    .iter()
                    .map(|e| format!("{}: {e}", file.display()))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        })?
    };
    let stored =
        engine.upsert_stations(&tocsin_engine::access::Principal::local_admin(), stations)?;
    println!("{stored} station(s) stored");
    Ok(())
}

fn create_token(
    role: &str,
    scope: &str,
    domains: &str,
    stations: &str,
    name: &str,
    data: &std::path::Path,
) -> Result<()> {
    let role = tocsin_core::access::Role::parse(role)
        .with_context(|| format!("--role {role:?}: use ingest, viewer, operator or admin"))?;
    let engine = serve::open_engine(data, tocsin_engine::Durability::Full)?;
    let scope = tocsin_core::access::Scope {
        region: scope.to_string(),
        domains: tocsin_engine::Engine::parse_domains(domains)?,
        stations: stations
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    };
    let (secret, record) = engine.create_token(name, role, scope)?;
    println!(
        "token {} created: role {}, scope {}",
        record.id,
        record.role.as_str(),
        record.scope_region
    );
    println!("{secret}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn every_subcommand_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
