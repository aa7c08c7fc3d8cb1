//! `tocsin demo`: the server with the region registry, a synthetic station network (one
//! hydromet station per province, placed in the province's first commune and labelled
//! synthetic everywhere), the last 24 hours of synthetic readings, and a live feed that adds a
//! reading for every station each 10 seconds. It prints the dashboard's URL with an operator's
//! sign-in, and an admin token for the API.

use crate::serve::{ServeArgs, ensure_regions, init_logging, open_serving_engine, serve};
use anyhow::Result;
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use tocsin_core::access::{Role, Scope};
use tocsin_core::observation::ObservationInput;
use tocsin_core::region::{NATION_CODE, RegionKind};
use tocsin_core::station::{AttributeValue, Domain, MetricSpec, Station};
use tocsin_engine::Engine;
use tocsin_engine::access::Principal;

#[derive(Args)]
pub struct DemoArgs {
    /// The server's settings; the data directory defaults to ./tocsin-demo.
    #[command(flatten)]
    serve: ServeArgs,
}

const METRICS: [(&str, &str, f64, f64); 4] = [
    ("rain_mm", "mm", 0.0, 500.0),
    ("water_level_m", "m", -10.0, 100.0),
    ("wind_ms", "m/s", 0.0, 100.0),
    ("temp_c", "degC", -10.0, 50.0),
];

pub fn run(args: DemoArgs) -> Result<()> {
    let mut serve_args = args.serve;
    serve_args
        .data
        .get_or_insert_with(|| PathBuf::from("./tocsin-demo"));
    let settings = serve_args.settings()?;
    init_logging(settings.json_logs);
    let engine = Arc::new(open_serving_engine(&settings)?);
    ensure_regions(&engine, &settings)?;
    let stations = synthetic_network(&engine)?;
    let admin = Principal::local_admin();
    engine.upsert_stations(&admin, stations.clone())?;
    let (token, _) = engine.create_token("demo", Role::Admin, Scope::nation())?;
    let password = demo_user(&engine)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let now = engine.clock().now().as_second();
        for step in (1..=144).rev() {
            feed(&engine, &stations, now - step * 600).await?;
        }
        let feeder = engine.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(10));
            loop {
                tick.tick().await;
                let now = feeder.clock().now().as_second();
                if let Err(e) = feed(&feeder, &stations, now).await {
                    tracing::error!(error = %e, "demo feed failed");
                }
            }
        });
        serve(engine.clone(), &settings, |addr| {
            println!("tocsin demo — SYNTHETIC station network (one station per province), live synthetic feed every 10 s");
            println!("dashboard: http://{addr}/  (sign in as {DEMO_USER} / {password})");
            println!("API:   http://{addr}/api/v1/regions/VN");
            println!("try:   curl -H 'Authorization: Bearer {token}' http://{addr}/api/v1/latest");
            println!("token (admin, scope VN):");
            println!("{token}");
        })
        .await
    })
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

/// One synthetic hydromet station per current province, in its first commune.
fn synthetic_network(engine: &Engine) -> Result<Vec<Station>> {
    let admin = Principal::local_admin();
    let mut stations = Vec::new();
    for province in engine
        .children(&admin, NATION_CODE, None)?
        .into_iter()
        .filter(|r| r.kind == RegionKind::Province)
    {
        let Some(commune) = engine
            .children(&admin, &province.code, None)?
            .into_iter()
            .find(|c| c.centroid.is_some())
        else {
            continue;
        };
        let [lon, lat] = commune.centroid.unwrap_or_default();
        let mut attributes = BTreeMap::new();
        attributes.insert(
            "synthetic".to_string(),
            AttributeValue::Text("yes: demo network, not a real station".into()),
        );
        for (level, metres) in [
            ("bd1", 3.0),
            ("bd2", 4.0),
            ("bd3", 5.0),
            ("station_area", 1.0),
        ] {
            attributes.insert(level.to_string(), AttributeValue::Number(metres));
        }
        stations.push(Station {
            id: format!("SYN-HM-{}", province.code),
            name: format!("{} (synthetic)", province.name),
            domain: Domain::Hydromet,
            lat,
            lon,
            commune: Some(commune.code.clone()),
            metrics: METRICS
                .iter()
                .map(|(name, unit, min, max)| MetricSpec {
                    name: (*name).into(),
                    unit: (*unit).into(),
                    min: *min,
                    max: *max,
                    interval_s: 600,
                })
                .collect(),
            attributes,
            retired: None,
        });
    }
    Ok(stations)
}

/// A deterministic pseudo-random number in [0, 1) from a station index and a time.
fn noise(index: usize, seconds: i64, salt: u64) -> f64 {
    let mut x = (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (seconds as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9)
        ^ salt;
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 29;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

async fn feed(engine: &Engine, stations: &[Station], seconds: i64) -> Result<()> {
    let minute = seconds - seconds.rem_euclid(60);
    let time = jiff::Timestamp::from_second(minute)?.to_string();
    let hour = (minute / 3600) as f64;
    let mut records = Vec::new();
    for (i, station) in stations.iter().enumerate() {
        let rain = if noise(i, minute / 3600, 1) > 0.8 {
            (noise(i, minute, 2) * 6.0 * 10.0).round() / 10.0
        } else {
            0.0
        };
        let level = 2.0 + (hour / 12.0 + i as f64).sin() + noise(i, minute, 3) * 0.1;
        let values = [
            rain,
            (level * 100.0).round() / 100.0,
            (noise(i, minute, 4) * 80.0).round() / 10.0,
            24.0 + 6.0 * ((hour - 8.0) / 24.0 * std::f64::consts::TAU).sin(),
        ];
        for ((metric, unit, _, _), value) in METRICS.iter().zip(values) {
            records.push(Ok(ObservationInput {
                station: Some(station.id.clone()),
                metric: Some((*metric).into()),
                time: Some(time.clone()),
                value: Some((value * 10.0).round() / 10.0),
                unit: Some((*unit).into()),
                ..Default::default()
            }));
        }
    }
    engine
        .ingest(&Principal::local_admin(), records, true)
        .await?;
    Ok(())
}
