//! `tocsin serve`: settings from flags, environment and config file (in that order of
//! precedence), the engine, the automatic first import of regions, and the HTTP server.

use crate::config::{self, Config};
use anyhow::{Context, Result, bail};
use clap::Args;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tocsin_engine::Engine;
use tocsin_engine::drill::exercises::Exercises;
use tocsin_server::{AppState, router};

#[derive(Args, Clone, Default)]
pub struct ServeArgs {
    /// Config file (TOML); absent is fine unless given explicitly.
    #[arg(long, env = "TOCSIN_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory [default: ./tocsin-data].
    #[arg(long, env = "TOCSIN_DATA")]
    pub data: Option<PathBuf>,
    /// Listen address [default: 127.0.0.1:8080].
    #[arg(long, env = "TOCSIN_LISTEN")]
    pub listen: Option<String>,
    /// Rule catalogue folder (`*.toml`) [default: the built-in catalogue].
    #[arg(long, env = "TOCSIN_CATALOG")]
    pub catalog: Option<PathBuf>,
    /// Official administrative files, imported when the registry is empty [default: ../shared/data/vn/admin].
    #[arg(long, env = "TOCSIN_REGIONS_FROM")]
    pub regions_from: Option<PathBuf>,
}

/// Settings after flags, environment, file and defaults are combined.
pub struct Settings {
    pub data: PathBuf,
    pub listen: String,
    pub regions_from: PathBuf,
    pub region_changes: Option<PathBuf>,
    pub durability: tocsin_engine::Durability,
    pub json_logs: bool,
    pub limits: tocsin_server::Limits,
    pub catalog: Option<PathBuf>,
    pub warnings: tocsin_engine::warnings::WarningSettings,
    pub dispatch: tocsin_engine::dispatch::DispatchSettings,
    pub playbooks: tocsin_core::response::playbook::Playbooks,
}

impl ServeArgs {
    pub fn settings(&self) -> Result<Settings> {
        let file = match &self.config {
            Some(path) => {
                config::load(path).map_err(|problems| anyhow::anyhow!(problems.join("\n")))?
            }
            None if Path::new("tocsin.toml").exists() => {
                config::load(Path::new("tocsin.toml")).map_err(|p| anyhow::anyhow!(p.join("\n")))?
            }
            None => Config::default(),
        };
        let durability = file
            .durability
            .as_deref()
            .map(|d| config::parse_durability(d).context("durability"))
            .transpose()?;
        let warnings = config::warning_settings(&file).map_err(|e| anyhow::anyhow!(e))?;
        let dispatch = config::dispatch_settings(&file).map_err(|e| anyhow::anyhow!(e))?;
        let playbooks = config::load_playbooks(file.playbooks.as_deref())
            .map_err(|problems| anyhow::anyhow!(problems.join("\n")))?;
        let limits = config::server_limits(&file);
        Ok(Settings {
            playbooks,
            data: self
                .data
                .clone()
                .or(file.data)
                .unwrap_or_else(|| config::DEFAULT_DATA.into()),
            listen: self
                .listen
                .clone()
                .or(file.listen)
                .unwrap_or_else(|| config::DEFAULT_LISTEN.into()),
            regions_from: self
                .regions_from
                .clone()
                .or(file.regions_from)
                .unwrap_or_else(|| config::DEFAULT_REGIONS.into()),
            region_changes: file.region_changes,
            durability: durability.unwrap_or(tocsin_engine::Durability::Full),
            json_logs: file.log_format.as_deref() == Some("json"),
            limits,
            catalog: self.catalog.clone().or(file.catalog),
            warnings,
            dispatch,
        })
    }
}

/// Opens the engine over the data directory with the system clock.
pub fn open_engine(data: &Path, durability: tocsin_engine::Durability) -> Result<Engine> {
    let clock = Arc::new(tocsin_engine::clock::SystemClock);
    let options = tocsin_engine::EngineOptions::new(durability);
    Engine::open(data, &options, clock)
        .with_context(|| format!("open the store in {}", data.display()))
}

pub fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TOCSIN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Imports the registry when it is empty and the official files are there.
pub fn ensure_regions(engine: &Engine, settings: &Settings) -> Result<()> {
    if engine.has_regions()? {
        return Ok(());
    }
    if !settings.regions_from.join("nested-divisions.json").exists() {
        tracing::warn!(folder = %settings.regions_from.display(), "the region registry is empty and no official files were found; run `tocsin import regions`");
        return Ok(());
    }
    tracing::info!(folder = %settings.regions_from.display(), "importing the region registry");
    let report = engine.import_regions(
        &settings.regions_from,
        &crate::region_changes(settings.region_changes.as_deref())?,
    )?;
    crate::print_import_report(&report);
    Ok(())
}

/// The engine options of the settings: the catalogue refused when invalid.
pub fn engine_options(settings: &Settings) -> Result<tocsin_engine::EngineOptions> {
    let catalog = config::load_catalog(settings.catalog.as_deref()).map_err(|problems| {
        anyhow::anyhow!(
            "the rule catalogue is invalid; not starting:\n{}",
            problems.join("\n")
        )
    })?;
    // Session cookies are marked Secure when recipients reach this node over https.
    tocsin_engine::accounts::configure(tocsin_engine::accounts::AccountSettings {
        https_only: settings.dispatch.public_url.starts_with("https://"),
        ..tocsin_engine::accounts::AccountSettings::DEFAULT
    });
    Ok(tocsin_engine::EngineOptions {
        durability: settings.durability,
        catalog,
        warnings: settings.warnings.clone(),
        dispatch: settings.dispatch.clone(),
        playbooks: settings.playbooks.clone(),
        registry_date: None,
    })
}

/// Opens the engine for serving, on the wall clock.
pub fn open_serving_engine(settings: &Settings) -> Result<Engine> {
    let options = engine_options(settings)?;
    let clock = Arc::new(tocsin_engine::clock::SystemClock);
    Engine::open(&settings.data, &options, clock)
        .with_context(|| format!("open the store in {}", settings.data.display()))
}

pub fn run(args: ServeArgs) -> Result<()> {
    let settings = args.settings()?;
    init_logging(settings.json_logs);
    let proc_limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let max_connections = settings.limits.max_connections;
    if let Some(shortfall) = tocsin_server::open_files_shortfall(max_connections, &proc_limits) {
        tracing::warn!("{shortfall}");
        eprintln!("warning: {shortfall}");
    }
    let engine = Arc::new(open_serving_engine(&settings)?);
    ensure_regions(&engine, &settings)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(serve(engine, &settings, |addr| {
        println!("tocsin listening on http://{addr}")
    }))
}

/// The node's drills, kept in `exercises/` under its data folder and journaled in `engine`'s;
/// none without the official administrative files each exercise space imports.
fn exercises(settings: &Settings, engine: &Engine) -> Result<Option<Arc<Exercises>>> {
    if !settings.regions_from.join("nested-divisions.json").exists() {
        return Ok(None);
    }
    Ok(Some(Arc::new(Exercises::new(
        settings.data.join("exercises"),
        settings.regions_from.clone(),
        crate::region_changes(settings.region_changes.as_deref())?,
        engine_options(settings)?,
        (
            Arc::new(tocsin_engine::clock::SystemClock),
            engine.store().clone(),
        ),
    ))))
}

/// Computes the national map's shapes in the background, so that the first dashboard visitor
/// does not wait for them.
fn warm_map(engine: Arc<Engine>) {
    tokio::task::spawn_blocking(move || {
        let admin = tocsin_engine::access::Principal::local_admin();
        let detail = tocsin_engine::map::Detail::Overview;
        if let Err(e) = engine.map_shapes(&admin, None, detail) {
            tracing::warn!(error = %e, "the map's shapes could not be prepared");
        }
    });
}

/// Serves the API until Ctrl-C or SIGTERM; `on_ready` is told the bound address.
pub async fn serve(
    engine: Arc<Engine>,
    settings: &Settings,
    on_ready: impl FnOnce(std::net::SocketAddr),
) -> Result<()> {
    let state = Arc::new(AppState {
        exercises: exercises(settings, &engine)?,
        engine,
        metrics: Default::default(),
        limits: settings.limits.clone(),
        catalog_dir: settings.catalog.clone(),
    });
    tokio::spawn(reload_on_hangup(state.clone()));
    let minute = std::time::Duration::from_secs(60);
    tokio::spawn(periodically(
        state.engine.clone(),
        minute,
        "data gaps changed",
        Engine::check_data_gaps,
    ));
    state.engine.start_worker();
    warm_map(state.engine.clone());
    tokio::spawn(periodically(
        state.engine.clone(),
        minute,
        "external alerts received",
        Engine::poll_feeds,
    ));
    let listener = match tokio::net::TcpListener::bind(&settings.listen).await {
        Ok(l) => l,
        Err(e) => bail!("cannot listen on {}: {e}", settings.listen),
    };
    on_ready(listener.local_addr()?);
    let limits = state.limits.clone();
    tocsin_server::serve(listener, router(state), &limits, shutdown_signal()).await;
    Ok(())
}

/// Runs `task` on the engine every `period` (off the async threads), logging what it changed.
async fn periodically<T: Send + 'static>(
    engine: Arc<Engine>,
    period: std::time::Duration,
    what: &'static str,
    task: fn(&Engine) -> tocsin_engine::engine::Result<Vec<T>>,
) {
    let mut tick = tokio::time::interval(period);
    loop {
        tick.tick().await;
        let running = engine.clone();
        match tokio::task::spawn_blocking(move || task(&running)).await {
            Ok(Ok(changes)) if !changes.is_empty() => {
                tracing::info!(changes = changes.len(), "{what}")
            }
            Ok(Err(e)) => tracing::error!(error = %e, "{what}: failed"),
            _ => {}
        }
    }
}

/// Reloads the rule catalogue on SIGHUP; a bad catalogue keeps the one in use.
async fn reload_on_hangup(state: Arc<AppState>) {
    let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
    else {
        return;
    };
    while hangups.recv().await.is_some() {
        let state = state.clone();
        let outcome =
            tokio::task::spawn_blocking(move || tocsin_server::reload_catalog(&state)).await;
        match outcome {
            Ok(Ok(rules)) => tracing::info!(rules, "rule catalogue reloaded"),
            Ok(Err(problems)) => {
                tracing::error!(problems = %problems.join("; "), "rule catalogue not reloaded; the previous one stays in use")
            }
            Err(e) => tracing::error!(error = %e, "catalogue reload failed"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return ctrl_c.await.unwrap_or(()),
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term.recv() => {},
    }
    tracing::info!("shutting down");
}
