//! `tocsin demo`: the server with the region registry, the default catalogue and the Typhoon
//! Yagi drill (`scenarios/yagi-2024.toml`, built in) replaying 5–11 September 2024 as an
//! exercise, fast (`--speed`, default 720x: an hour of the storm every five seconds). Every alert
//! it releases carries CAP status Exercise and every station is synthetic. It prints the
//! dashboard's URL with an operator's sign-in, and an admin token for the API. The engine's
//! clock is the drill's; sign-in sessions keep the wall clock. The data lives in a fresh
//! folder (removed at the end) unless `--data` names one.

use crate::serve::{ServeArgs, engine_options, ensure_regions, init_logging, serve};
use anyhow::{Result, bail};
use clap::Args;
use std::sync::Arc;
use tocsin_core::access::{Role, Scope};
use tocsin_core::clock::ManualClock;
use tocsin_engine::Engine;
use tocsin_engine::access::Principal;
use tocsin_engine::drill::scenario::Scenario;
use tocsin_engine::drill::{Drill, Speed, exercise_options};

/// The Yagi drill, built in.
const YAGI: &str = include_str!("../../../scenarios/yagi-2024.toml");

#[derive(Args)]
pub struct DemoArgs {
    /// The server's settings; the data directory defaults to a fresh temporary folder.
    #[command(flatten)]
    serve: ServeArgs,
    /// How fast the drill runs: scenario time per real time, such as `720x`, or `max`.
    #[arg(long, default_value = "720x")]
    speed: String,
}

pub fn run(args: DemoArgs) -> Result<()> {
    let Some(speed) = Speed::parse(&args.speed) else {
        bail!(
            "--speed: {:?} is neither max nor a factor such as 720x",
            args.speed
        );
    };
    let mut serve_args = args.serve;
    let scratch = tempfile::tempdir()?;
    serve_args
        .data
        .get_or_insert_with(|| scratch.path().to_path_buf());
    let settings = serve_args.settings()?;
    init_logging(settings.json_logs);
    let scenario =
        Scenario::parse("yagi-2024.toml", YAGI).map_err(|p| anyhow::anyhow!(p.join("\n")))?;
    let clock = Arc::new(ManualClock::new(scenario.file.drill.start));
    let options = exercise_options(engine_options(&settings)?);
    let mut engine = Engine::open(&settings.data, &options, clock.clone())?;
    engine.use_session_clock(Arc::new(tocsin_engine::clock::SystemClock));
    ensure_regions(&engine, &settings)?;
    let engine = Arc::new(engine);
    let (token, _) = engine.create_token("demo", Role::Admin, Scope::nation())?;
    let password = demo_user(&engine)?;
    play(engine.clone(), scenario, clock, speed);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(serve(engine, &settings, |addr| {
        println!("tocsin demo — the Typhoon Yagi drill (5–11 September 2024) as an EXERCISE, SYNTHETIC stations, at {}", args.speed);
        println!("dashboard: http://{addr}/  (sign in as {DEMO_USER} / {password})");
        println!("API:   http://{addr}/api/v1/situation");
        println!("token (admin, scope VN):");
        println!("{token}");
    }))
}

/// Plays the drill on its own thread while the server serves.
fn play(engine: Arc<Engine>, scenario: Scenario, clock: Arc<ManualClock>, speed: Speed) {
    let spawned = std::thread::Builder::new()
        .name("tocsin-drill".into())
        .spawn(move || {
            let played = (|| -> tocsin_engine::engine::Result<()> {
                let mut drill = Drill::prepare(&engine, &scenario, clock, &[])?;
                while let Some(step_ms) = drill.step(&engine)? {
                    if let Speed::Times(factor) = speed {
                        std::thread::sleep(std::time::Duration::from_secs_f64(
                            step_ms as f64 / 1000.0 / factor,
                        ));
                    }
                }
                tracing::info!(observations = drill.observations, "the drill has ended");
                Ok(())
            })();
            if let Err(e) = played {
                tracing::error!(error = %e, "the drill stopped");
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "the drill could not start");
    }
}

/// The dashboard account the demo prints.
const DEMO_USER: &str = "demo";

/// Creates the demo's operator account (or gives it a new password) and returns the password.
fn demo_user(engine: &Engine) -> Result<String> {
    let admin = Principal::local_admin();
    let (secret, _) = tocsin_engine::access::new_secret()
        .map_err(|e| anyhow::anyhow!("no randomness for the demo password: {e}"))?;
    // The secret ends in hex digits.
    let password = secret[secret.len() - 16..].to_string();
    let exists = engine
        .users(&admin)?
        .iter()
        .any(|u| u.username == DEMO_USER);
    if exists {
        engine.set_password(&admin, DEMO_USER, &password)?;
    } else {
        let name = "Trực ban (demo)";
        engine.create_user(
            &admin,
            DEMO_USER,
            name,
            &password,
            Role::Operator,
            Scope::nation(),
        )?;
    }
    Ok(password)
}
