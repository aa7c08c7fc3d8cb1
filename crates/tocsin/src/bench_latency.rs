//! `tocsin bench dispatch-latency`: how long after an observation is accepted its webhook
//! arrives, while the engine takes in a steady background of observations that cross nothing.
//!
//! One process holds an engine (system clock, a temporary data directory, the registry
//! imported), its dissemination worker, a webhook receiver on a loopback port, a thread that
//! ingests the background, and the probe: a station whose observations alternately cross and
//! leave a level-3 band of a benchmark rule (`min_hold` 0, no hysteresis), so that each is a new
//! warning version (raised, then all-clear) released without approval and sent at once. The
//! latency is from `Engine::ingest` returning (the commit is durable) to the receiver having read
//! the webhook's body. Nothing here is part of the running system.

use crate::bench_dispatch::{Communes, read_communes, synthetic_recipients};
use anyhow::{Context, Result, bail};
use clap::Args;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use tocsin_core::observation::ObservationInput;
use tocsin_core::station::{Domain, MetricSpec, Station};
use tocsin_engine::access::Principal;
use tocsin_engine::channels::{Endpoint, WebhookBody};
use tocsin_engine::dispatch::RecipientEntry;
use tocsin_engine::{Engine, EngineOptions};

/// `tocsin bench dispatch-latency`.
#[derive(Args)]
pub struct LatencyArgs {
    /// The official registry files, imported into the engine.
    #[arg(long, default_value = "../shared/data/vn/admin")]
    pub admin: PathBuf,
    /// Threshold crossings of the probe (half of them up, half back down).
    #[arg(long, default_value_t = 300)]
    pub crossings: usize,
    /// Milliseconds between two crossings.
    #[arg(long, default_value_t = 150)]
    pub interval_ms: u64,
    /// Background observations per second.
    #[arg(long, default_value_t = 10_000)]
    pub rate: u64,
    /// Background observations per request (one request every `batch / rate` seconds).
    #[arg(long, default_value_t = 100)]
    pub batch: u64,
    /// Synthetic recipients, each with a webhook to the receiver.
    #[arg(long, default_value_t = 1000)]
    pub recipients: usize,
}

/// The hazard and metric of the benchmark rule.
const PROBE: &str = "bench_probe";
/// The probe's station, in Ba Đình (commune 00004, Hà Nội).
const PROBE_STATION: &str = "BENCH-PROBE";
const PROBE_AT: (f64, f64) = (21.03853, 105.83806);

/// A catalogue file with one rule that rises and clears as soon as its value does.
const PROBE_RULE: &str = r#"
[[metric]]
name = "bench_probe"
unit = "m"
description = "Benchmark probe (synthetic)"

[[indicator]]
id = "bench_probe_now"
metric = "bench_probe"
aggregate = "last"
description = "The latest probe value"

[[hazard]]
id = "bench_probe"
name_vi = "Thử nghiệm đo thời gian"
name_en = "Latency benchmark"

[[rule]]
id = "bench_probe"
hazard = "bench_probe"
name_vi = "Thử nghiệm đo thời gian"
name_en = "Latency benchmark"
indicator = "bench_probe_now"
source = "tocsin bench dispatch-latency (synthetic)"
status = "unverified"
cap = { category = "Other", event_vi = "Thử nghiệm", event_en = "Benchmark", headline_vi = "Thử nghiệm cấp {level} tại {place}", headline_en = "Benchmark level {level} in {place}", instruction_vi = "Giá trị {value} {unit} tại trạm {station}.", instruction_en = "Value {value} {unit} at station {station}." }
level = [{ level = 3, min = 3.0 }]
"#;

/// Observations crossing the probe's band up, and back down.
const PROBE_HIGH: f64 = 5.0;
const PROBE_LOW: f64 = 0.0;

/// Background metrics with values that no rule of the built-in catalogue turns into a level.
const BACKGROUND: [(&str, &str, f64); 3] = [
    ("rain_mm", "mm", 0.0),
    ("temp_c", "degC", 25.0),
    ("water_level_m", "m", 1.0),
];

/// One webhook read by the receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrival {
    pub warning: u64,
    pub version: u32,
    pub action: String,
    pub at: Instant,
}

/// `tocsin bench dispatch-latency`.
pub fn latency(args: &LatencyArgs) -> Result<()> {
    if args.rate == 0 || args.batch == 0 || args.crossings == 0 {
        bail!("--rate, --batch and --crossings must be at least 1");
    }
    let (url, arrivals) = start_receiver()?;
    let data = tempfile::tempdir()?;
    let started = Instant::now();
    let engine = Arc::new(open_engine(data.path(), &args.admin)?);
    let communes = read_communes(&args.admin)?;
    let background = register(&engine, &communes, args.recipients, &url)?;
    println!(
        "engine ready in {:.1} s: {} background stations, {} synthetic recipients with webhooks to {url}",
        started.elapsed().as_secs_f64(),
        background.len(),
        args.recipients
    );
    engine.start_worker();
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let feeder = spawn_background(&engine, background, args, &stop, &sent);
    let begun = Instant::now();
    let outcome = probe(&engine, args, &arrivals);
    stop.store(true, Ordering::Relaxed);
    let seconds = begun.elapsed().as_secs_f64();
    feeder
        .join()
        .map_err(|_| anyhow::anyhow!("the background thread panicked"))??;
    let (first, every) = outcome?;
    report(&first, &every, args, sent.load(Ordering::Relaxed), seconds);
    Ok(())
}

/// An engine in `data` with the built-in catalogue plus the probe rule, no group windows,
/// automatic release of the probe's hazard, and the registry imported.
fn open_engine(data: &Path, admin: &Path) -> Result<Engine> {
    let mut options = EngineOptions::new(tocsin_engine::Durability::Full);
    options.catalog = probe_catalog(&data.join("catalog"))?;
    options.warnings.policy.group_window_ms = 0;
    for route in &mut options.dispatch.policy.routes {
        no_waiting(route);
    }
    let clock = Arc::new(tocsin_engine::clock::SystemClock);
    let engine = Engine::open(&data.join("store"), &options, clock)?;
    let import = engine
        .import_regions(admin, &[])
        .with_context(|| format!("import the registry from {}", admin.display()))?;
    println!(
        "registry imported: {} provinces, {} communes",
        import.provinces, import.communes
    );
    engine.set_auto_release(&Principal::local_admin(), PROBE, 5)?;
    Ok(engine)
}

/// A route and its children that send at once and every change at once.
fn no_waiting(route: &mut tocsin_core::dispatch::route::Route) {
    route.group_wait_s = 0;
    route.group_interval_s = 0;
    route.routes.iter_mut().for_each(no_waiting);
}

/// The built-in catalogue's files and the probe rule, written to `dir` and loaded from there.
fn probe_catalog(dir: &Path) -> Result<tocsin_core::evaluate::CompiledCatalog> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in tocsin_engine::catalog::BUILTIN {
        std::fs::write(dir.join(name), text)?;
    }
    std::fs::write(dir.join("zz_bench_probe.toml"), PROBE_RULE)?;
    tocsin_engine::catalog::load_dir(dir)
        .map_err(|p| anyhow::anyhow!("the probe catalogue is invalid:\n{p:?}"))
}

/// Registers the probe, one background station at each commune (up to 1,000) and the
/// recipients; the background stations' ids.
fn register(
    engine: &Engine,
    communes: &Communes,
    recipients: usize,
    url: &str,
) -> Result<Vec<String>> {
    let admin = Principal::local_admin();
    let probe = station(PROBE_STATION, PROBE_AT, &[(PROBE, "m")], None);
    let background: Vec<Station> = communes
        .values()
        .flatten()
        .step_by(3)
        .take(1000)
        .enumerate()
        .map(|(i, commune)| {
            let metrics: Vec<_> = BACKGROUND.iter().map(|(m, u, _)| (*m, *u)).collect();
            let id = format!("BENCH-BG-{i:04}");
            station(&id, PROBE_AT, &metrics, Some(commune.clone()))
        })
        .collect();
    let ids = background.iter().map(|s| s.id.clone()).collect();
    engine.upsert_stations(&admin, background)?;
    engine.upsert_stations(&admin, vec![probe])?;
    let entries: Vec<RecipientEntry> = synthetic_recipients(communes, recipients)
        .into_iter()
        .map(|recipient| RecipientEntry {
            recipient,
            language: "vi".into(),
            endpoints: vec![Endpoint::Webhook {
                url: url.to_string(),
                secret: Some("synthetic".into()),
                body: WebhookBody::Json,
            }],
            exercise_endpoints: Vec::new(),
        })
        .collect();
    engine.set_recipients(&admin, &entries)?;
    Ok(ids)
}

/// A synthetic station reporting `metrics` every 10 minutes.
fn station(id: &str, at: (f64, f64), metrics: &[(&str, &str)], commune: Option<String>) -> Station {
    Station {
        id: id.into(),
        name: format!("{id} (synthetic benchmark station)"),
        domain: Domain::Hydromet,
        lat: at.0,
        lon: at.1,
        commune,
        metrics: metrics
            .iter()
            .map(|(name, unit)| MetricSpec {
                name: (*name).into(),
                unit: (*unit).into(),
                min: -100.0,
                max: 1000.0,
                interval_s: 600,
            })
            .collect(),
        attributes: Default::default(),
        retired: None,
    }
}

/// A runtime for awaiting the engine's ingest on a plain thread.
fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread().build()?)
}

/// One observation at the engine's current time.
fn input(engine: &Engine, station: &str, metric: &str, unit: &str, value: f64) -> ObservationInput {
    ObservationInput {
        station: Some(station.into()),
        metric: Some(metric.into()),
        time: Some(engine.clock().now().to_string()),
        value: Some(value),
        unit: Some(unit.into()),
        kind: None,
        issued: None,
    }
}

/// Ingests `batch` background observations every `batch / rate` seconds until `stop`, cycling
/// over the stations' series; counts what was accepted in `sent`.
fn spawn_background(
    engine: &Arc<Engine>,
    stations: Vec<String>,
    args: &LatencyArgs,
    stop: &Arc<AtomicBool>,
    sent: &Arc<AtomicU64>,
) -> std::thread::JoinHandle<Result<()>> {
    let (engine, stop, sent) = (engine.clone(), stop.clone(), sent.clone());
    let (batch, period) = (
        args.batch,
        Duration::from_secs_f64(args.batch as f64 / args.rate as f64),
    );
    std::thread::spawn(move || {
        let runtime = runtime()?;
        let series: Vec<(&str, (&str, &str, f64))> = stations
            .iter()
            .flat_map(|s| BACKGROUND.map(|m| (s.as_str(), m)))
            .collect();
        let (mut next, mut cursor) = (Instant::now(), 0);
        while !stop.load(Ordering::Relaxed) {
            let records = (0..batch as usize)
                .map(|k| {
                    let (station, (metric, unit, value)) = series[(cursor + k) % series.len()];
                    Ok(input(&engine, station, metric, unit, value))
                })
                .collect();
            cursor += batch as usize;
            let report =
                runtime.block_on(engine.ingest(&Principal::local_admin(), records, false))?;
            if let Some(first) = report.rejected.first() {
                bail!("background observation rejected: {first:?}");
            }
            sent.fetch_add(report.accepted, Ordering::Relaxed);
            next += period;
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
        Ok(())
    })
}

/// Latencies of the first webhook of each crossing, and of every webhook.
type Latencies = (Vec<Duration>, Vec<Duration>);

/// Sends the crossings and matches the webhooks to them: the first arrival of the expected
/// action (`raised`, then `all-clear`) after a crossing is accepted names the version it made.
fn probe(
    engine: &Engine,
    args: &LatencyArgs,
    arrivals: &mpsc::Receiver<Arrival>,
) -> Result<Latencies> {
    let runtime = runtime()?;
    let mut accepted: HashMap<(u64, u32), Instant> = HashMap::new();
    let (mut first, mut every) = (Vec::new(), Vec::new());
    let interval = Duration::from_millis(args.interval_ms);
    let mut next = Instant::now() + interval;
    for crossing in 0..args.crossings {
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        next += interval;
        let (value, action) = match crossing % 2 {
            0 => (PROBE_HIGH, "raised"),
            _ => (PROBE_LOW, "all-clear"),
        };
        let record = input(engine, PROBE_STATION, PROBE, "m", value);
        let report =
            runtime.block_on(engine.ingest(&Principal::local_admin(), vec![Ok(record)], true))?;
        let at = Instant::now();
        if report.accepted != 1 {
            bail!("the probe observation was not accepted: {report:?}");
        }
        let deadline = at + Duration::from_secs(10);
        loop {
            let Ok(arrival) =
                arrivals.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            else {
                bail!("no {action} webhook within 10 s of crossing {crossing}");
            };
            let key = (arrival.warning, arrival.version);
            let known = accepted.get(&key).copied();
            let fresh = known.is_none() && arrival.action == action;
            if let Some(accepted_at) = known.or(fresh.then_some(at)) {
                every.push(arrival.at.saturating_duration_since(accepted_at));
            }
            if fresh {
                accepted.insert(key, at);
                first.push(arrival.at.saturating_duration_since(at));
                break;
            }
        }
    }
    collect_rest(arrivals, &accepted, &mut every);
    Ok((first, every))
}

/// The webhooks of the last crossings still on their way (a second of quiet ends the wait).
fn collect_rest(
    arrivals: &mpsc::Receiver<Arrival>,
    accepted: &HashMap<(u64, u32), Instant>,
    every: &mut Vec<Duration>,
) {
    while let Ok(arrival) = arrivals.recv_timeout(Duration::from_secs(1)) {
        if let Some(at) = accepted.get(&(arrival.warning, arrival.version)) {
            every.push(arrival.at.saturating_duration_since(*at));
        }
    }
}

/// The value at or below which `p` per cent of the durations lie (nearest rank).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `count, p50, p90, p99, max` in milliseconds.
pub fn summary(durations: &[Duration]) -> String {
    let mut sorted = durations.to_vec();
    sorted.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    format!(
        "count {}, p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        sorted.len(),
        ms(percentile(&sorted, 50.0)),
        ms(percentile(&sorted, 90.0)),
        ms(percentile(&sorted, 99.0)),
        ms(sorted.last().copied().unwrap_or_default())
    )
}

fn report(first: &[Duration], every: &[Duration], args: &LatencyArgs, sent: u64, seconds: f64) {
    println!(
        "{} crossings every {} ms; background {sent} observations in {seconds:.1} s: {:.0} observations/s (asked {}/s in requests of {})",
        args.crossings,
        args.interval_ms,
        sent as f64 / seconds,
        args.rate,
        args.batch
    );
    println!(
        "accepted → first webhook of the version: {}",
        summary(first)
    );
    println!(
        "accepted → every webhook of the version: {}",
        summary(every)
    );
}

/// Listens on a loopback port; each webhook's warning, version and action, with the instant its
/// body was read, go to the returned channel.
fn start_receiver() -> Result<(String, mpsc::Receiver<Arrival>)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/webhook", listener.local_addr()?);
    let (sender, arrivals) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let sender = sender.clone();
            std::thread::spawn(move || serve_connection(stream, &sender));
        }
    });
    Ok((url, arrivals))
}

/// Answers every request on one connection with 200 and reports its arrival.
fn serve_connection(stream: std::net::TcpStream, sender: &mpsc::Sender<Arrival>) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Some(body) = read_request(&mut reader) {
        let at = Instant::now();
        if writer
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .is_err()
        {
            return;
        }
        if let Some(arrival) = arrival_of(&body, at) {
            let _ = sender.send(arrival);
        }
    }
}

/// The body of the next request on a connection; `None` at its end.
fn read_request(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(body)
}

/// What a webhook's JSON body says about the version it carries.
pub fn arrival_of(body: &[u8], at: Instant) -> Option<Arrival> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    Some(Arrival {
        warning: json["warning"].as_u64()?,
        version: u32::try_from(json["version"].as_u64()?).ok()?,
        action: json["action"].as_str()?.to_string(),
        at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|v| Duration::from_millis(*v)).collect()
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let sorted = ms(&(1..=100).collect::<Vec<_>>());
        let at = |p| percentile(&sorted, p).as_millis();
        assert_eq!((at(50.0), at(90.0), at(99.0), at(100.0)), (50, 90, 99, 100));
        assert_eq!(percentile(&ms(&[7]), 99.0), Duration::from_millis(7));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
        assert_eq!(
            summary(&ms(&[3, 1, 2])),
            "count 3, p50 2.0 ms, p90 3.0 ms, p99 3.0 ms, max 3.0 ms"
        );
    }

    #[test]
    fn a_request_body_names_the_version_it_carries() {
        let body = br#"{"warning":12,"version":2,"action":"all-clear","hazard":"x"}"#;
        let request = [
            &b"POST /webhook HTTP/1.1\r\nHost: h\r\ncontent-length: "[..],
            body.len().to_string().as_bytes(),
            b"\r\n\r\n",
            body,
        ]
        .concat();
        let mut reader = std::io::Cursor::new(request);
        let read = read_request(&mut reader).unwrap();
        let at = Instant::now();
        let arrival = arrival_of(&read, at).unwrap();
        assert_eq!(
            (arrival.warning, arrival.version, arrival.action.as_str()),
            (12, 2, "all-clear")
        );
        assert_eq!(read_request(&mut reader), None);
        assert_eq!(arrival_of(b"{\"warning\":1}", at), None);
    }

    #[test]
    fn the_probe_rule_loads_with_the_builtin_catalogue() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = probe_catalog(dir.path()).unwrap();
        assert!(catalog.rules.iter().any(|r| r.id == PROBE));
    }
}
