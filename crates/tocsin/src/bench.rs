//! `tocsin bench`: ingest measurements on the national workload written by
//! `../shared/bench/gen_national.py` (its `stations.csv` and `national.ndjson`).
//!
//! - `bench setup` registers the workload's stations (synthetic) in a data directory and prints a token;
//! - `bench store` times in-process durable appends, then re-appends a slice to time duplicate detection;
//! - `bench outbreak` times Farrington flexible over synthetic weekly counts for every commune;
//! - `bench http` is the client side of the HTTP benchmark: NDJSON batches over keep-alive connections;
//! - `bench cap-sign` times enveloped XML Signatures on one CAP alert;
//! - `bench dispatch-fanout` times routing and fan-out of released warnings to recipients;
//! - `bench dispatch-latency` times an accepted observation's way to a webhook under ingest;
//! - `bench journal` times journal appends, checkpoint signing and proofs at scale.

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tocsin_core::access::{Role, Scope};
use tocsin_core::observation::Observation;
use tocsin_core::station::{Domain, MetricSpec, Station};
use tocsin_engine::access::Principal;
use tocsin_engine::ingest::check_records;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Register the workload's stations in a data directory and print an admin token.
    Setup {
        /// The generator's output folder.
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        data: PathBuf,
    },
    /// Durable in-process appends (SQLite, fsync per commit).
    Store {
        #[arg(long)]
        dir: PathBuf,
        /// Observations per commit.
        #[arg(long, default_value_t = 10_000)]
        commit: usize,
        /// Read at most this many observations.
        #[arg(long, default_value_t = 5_000_000)]
        limit: usize,
    },
    /// Evaluate the workload through the default catalogue in memory, against its reference answer.
    Replay {
        /// The generator's output folder.
        #[arg(long)]
        dir: PathBuf,
        /// A catalogue folder to replay through [default: the built-in catalogue].
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// Farrington flexible (R defaults) for every commune for one week, on synthetic weekly counts.
    Outbreak {
        /// Number of series (one per commune).
        #[arg(long, default_value_t = 3321)]
        communes: usize,
        /// Years of weekly history before the week judged.
        #[arg(long, default_value_t = 5)]
        years: usize,
    },
    /// Send NDJSON batches to a running server.
    Http {
        #[arg(long)]
        dir: PathBuf,
        /// host:port of the server.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        #[arg(long)]
        token: String,
        #[arg(long, default_value_t = 4)]
        connections: usize,
        #[arg(long, default_value_t = 1000)]
        batch: usize,
        #[arg(long, default_value_t = 2_000_000)]
        limit: usize,
    },
    /// Render one CAP alert from its model and sign it (enveloped XML Signature), many times.
    CapSign(crate::cap_sign::BenchArgs),
    /// Read a folder of CAP alerts many times with the lenient reader.
    CapParse(crate::cap_sign::ParseBenchArgs),
    /// Route and fan out released warnings to synthetic recipients with the pure dispatcher.
    DispatchFanout(crate::bench_dispatch::FanoutArgs),
    /// Time from an accepted threshold-crossing observation to its webhook, under background ingest.
    DispatchLatency(crate::bench_latency::LatencyArgs),
    /// Match one incident's requests against a national registry of synthetic resources.
    Response(crate::bench_response::ResponseArgs),
    /// Append synthetic level changes to the journal, then time checkpoints and proofs.
    Journal(crate::bench_journal::JournalArgs),
}

pub fn run(command: BenchCommand) -> Result<()> {
    match command {
        BenchCommand::Setup { dir, data } => setup(&dir, &data),
        BenchCommand::Store { dir, commit, limit } => store(&dir, commit, limit),
        BenchCommand::Replay { dir, catalog } => crate::replay::run(&dir, catalog.as_deref()),
        BenchCommand::Outbreak { communes, years } => outbreak(communes, years),
        BenchCommand::Http {
            dir,
            addr,
            token,
            connections,
            batch,
            limit,
        } => http(&dir, &addr, &token, connections, batch, limit),
        BenchCommand::CapSign(args) => crate::cap_sign::bench(&args),
        BenchCommand::CapParse(args) => crate::cap_sign::bench_parse(&args),
        BenchCommand::DispatchFanout(args) => crate::bench_dispatch::fanout(&args),
        BenchCommand::DispatchLatency(args) => crate::bench_latency::latency(&args),
        BenchCommand::Journal(args) => crate::bench_journal::journal(&args),
        BenchCommand::Response(args) => crate::bench_response::response(&args),
    }
}

const WORKLOAD_METRICS: [(&str, &str, f64, f64); 6] = [
    ("rain_mm", "mm", 0.0, 500.0),
    ("water_level_m", "m", -20.0, 200.0),
    ("wind_ms", "m/s", 0.0, 120.0),
    ("temp_c", "degC", -30.0, 60.0),
    ("pm25_ugm3", "ug/m3", 0.0, 5000.0),
    ("salinity_permille", "permille", 0.0, 60.0),
];

/// The workload's stations as tocsin stations (synthetic, every metric at 10 minutes).
/// Synthetic weekly counts for commune `c`: a seasonal Poisson series with a commune-specific
/// level, drawn with a fixed linear congruential generator (the same every run).
fn synthetic_counts(c: usize, weeks: usize) -> Vec<Option<f64>> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ (c as u64).wrapping_mul(0x2545_f491_4f6c_dd1d);
    let mut uniform = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let level = 0.5 + (c % 17) as f64 * 0.4;
    (0..weeks)
        .map(|t| {
            let mean = level * (1.0 + 0.6 * (2.0 * std::f64::consts::PI * t as f64 / 52.0).sin());
            // Poisson by inversion of its distribution function.
            let (u, mut k, mut p) = (uniform(), 0.0, (-mean).exp());
            let mut cumulative = p;
            while u > cumulative && k < 1000.0 {
                k += 1.0;
                p *= mean / k;
                cumulative += p;
            }
            Some(k)
        })
        .collect()
}

/// `bench outbreak`: Farrington flexible with R's defaults for the last week of every series.
fn outbreak(communes: usize, years: usize) -> Result<()> {
    use tocsin_core::outbreak::{Range, Series, flexible};
    let control = flexible::Control::default();
    let weeks = years * 52 + control.w + 1;
    let series: Vec<Series> = (0..communes)
        .map(|c| Series {
            observed: synthetic_counts(c, weeks),
            frequency: 52,
        })
        .collect();
    let range = Range {
        first: weeks,
        last: weeks,
    };
    let start = Instant::now();
    let mut alarms = 0;
    for s in &series {
        let detections = flexible::detect(s, range, &control)?;
        alarms += detections.iter().filter(|d| d.alarm == Some(true)).count();
    }
    let elapsed = start.elapsed();
    println!(
        "farrington-flexible (b = {}, w = {}): {communes} synthetic weekly series of {weeks} weeks, one week judged each: {:.3} s ({:.1} µs per series), {alarms} alarm(s)",
        control.b,
        control.w,
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / communes.max(1) as f64
    );
    Ok(())
}

fn workload_stations(dir: &Path) -> Result<Vec<Station>> {
    let path = dir.join("stations.csv");
    let mut reader =
        csv::Reader::from_path(&path).with_context(|| format!("read {}", path.display()))?;
    let mut stations = Vec::new();
    for row in reader.records() {
        let row = row?;
        stations.push(Station {
            id: row[0].to_string(),
            name: format!("{} (synthetic benchmark station)", &row[0]),
            domain: Domain::Hydromet,
            lat: row[1].parse()?,
            lon: row[2].parse()?,
            commune: None,
            metrics: WORKLOAD_METRICS
                .iter()
                .map(|(n, u, min, max)| MetricSpec {
                    name: (*n).into(),
                    unit: (*u).into(),
                    min: *min,
                    max: *max,
                    interval_s: 600,
                })
                .collect(),
            attributes: Default::default(),
            retired: None,
        });
    }
    Ok(stations)
}

fn setup(dir: &Path, data: &Path) -> Result<()> {
    let engine = crate::serve::open_engine(data, tocsin_engine::Durability::Full)?;
    let stations = workload_stations(dir)?;
    let count = engine.upsert_stations(&Principal::local_admin(), stations)?;
    let (token, _) = engine.create_token("bench", Role::Admin, Scope::nation())?;
    println!(
        "{count} synthetic benchmark stations registered in {}",
        data.display()
    );
    println!("{token}");
    Ok(())
}

/// Reads up to `limit` NDJSON lines of the workload.
fn read_lines(dir: &Path, limit: usize) -> Result<Vec<Vec<u8>>> {
    let path = dir.join("national.ndjson");
    let file = std::fs::File::open(&path).with_context(|| format!("open {}", path.display()))?;
    let mut lines = Vec::new();
    for line in std::io::BufReader::with_capacity(1 << 20, file)
        .split(b'\n')
        .take(limit)
    {
        lines.push(line?);
    }
    Ok(lines)
}

fn store(dir: &Path, commit: usize, limit: usize) -> Result<()> {
    let data = tempfile::tempdir()?;
    let engine = crate::serve::open_engine(data.path(), tocsin_engine::Durability::Full)?;
    engine.upsert_stations(&Principal::local_admin(), workload_stations(dir)?)?;
    let lines = read_lines(dir, limit)?;
    let parse_started = Instant::now();
    let records = lines
        .iter()
        .map(|l| tocsin_server::records::parse_record(l))
        .collect();
    let (observations, rejected) = check_records(
        records,
        &engine.station_cache(),
        &Principal::local_admin(),
        engine.clock().as_ref(),
    );
    let parse_seconds = parse_started.elapsed().as_secs_f64();
    if !rejected.is_empty() {
        bail!(
            "{} workload records rejected, first: {:?}",
            rejected.len(),
            rejected[0]
        );
    }
    println!(
        "parsed and validated {} observations in {parse_seconds:.2} s ({:.0}/s, one core)",
        observations.len(),
        observations.len() as f64 / parse_seconds
    );
    let (rate, outcome) = append_all(&engine, &observations, commit)?;
    println!(
        "append: {} stored in commits of {commit}: {rate:.0} observations/s (durable, fsync per commit)",
        outcome.0
    );
    let replay = &observations[..observations.len() / 5];
    let (rate, outcome) = append_all(&engine, replay, commit)?;
    println!(
        "re-append of {} already stored: {} duplicates detected, {} stored: {rate:.0} observations/s",
        replay.len(),
        outcome.1,
        outcome.0
    );
    Ok(())
}

fn append_all(
    engine: &tocsin_engine::Engine,
    observations: &[Observation],
    commit: usize,
) -> Result<(f64, (u64, u64))> {
    let started = Instant::now();
    let (mut stored, mut duplicates) = (0, 0);
    for chunk in observations.chunks(commit) {
        let batch = tocsin_engine::Batch {
            actor: &tocsin_core::change::Actor::Node,
            observations: chunk,
        };
        let outcome = engine.store().append(&[batch], 0)?;
        stored += outcome[0].stored;
        duplicates += outcome[0].duplicates;
    }
    Ok((
        observations.len() as f64 / started.elapsed().as_secs_f64(),
        (stored, duplicates),
    ))
}

fn http(
    dir: &Path,
    addr: &str,
    token: &str,
    connections: usize,
    batch: usize,
    limit: usize,
) -> Result<()> {
    let lines = read_lines(dir, limit)?;
    let bodies: Vec<Vec<u8>> = lines
        .chunks(batch)
        .map(|chunk| chunk.join(&b'\n'))
        .collect();
    let total = lines.len();
    drop(lines);
    println!(
        "sending {total} observations in {} batches of {batch} over {connections} connection(s) to {addr}",
        bodies.len()
    );
    let next = std::sync::atomic::AtomicUsize::new(0);
    let started = Instant::now();
    let accepted: Result<Vec<u64>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..connections)
            .map(|_| {
                scope.spawn(|| -> Result<u64> {
                    let mut stream = std::net::TcpStream::connect(addr)?;
                    stream.set_nodelay(true)?;
                    let mut accepted = 0;
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(body) = bodies.get(i) else {
                            return Ok(accepted);
                        };
                        accepted += post_ndjson(&mut stream, addr, token, body)?;
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .map_err(|_| anyhow::anyhow!("client thread panicked"))?
            })
            .collect()
    });
    let seconds = started.elapsed().as_secs_f64();
    let accepted: u64 = accepted?.iter().sum();
    println!(
        "accepted {accepted} of {total} in {seconds:.2} s: {:.0} observations/s over HTTP",
        total as f64 / seconds
    );
    Ok(())
}

/// One POST on a keep-alive connection; returns the `accepted` count of the answer.
fn post_ndjson(
    stream: &mut std::net::TcpStream,
    addr: &str,
    token: &str,
    body: &[u8],
) -> Result<u64> {
    let head = format!(
        "POST /api/v1/observations HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let (status, answer) = read_response(stream)?;
    if status != 200 {
        bail!(
            "server answered {status}: {}",
            String::from_utf8_lossy(&answer)
        );
    }
    let answer: serde_json::Value = serde_json::from_slice(&answer)?;
    Ok(answer["accepted"].as_u64().unwrap_or(0))
}

/// Reads one HTTP/1.1 response with a Content-Length body.
fn read_response(stream: &mut std::net::TcpStream) -> Result<(u16, Vec<u8>)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            bail!("connection closed mid-response");
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("status line")?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_string())
        })
        .and_then(|v| v.parse().ok())
        .context("content-length")?;
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body)?;
    Ok((status, body))
}
