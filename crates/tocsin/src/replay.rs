//! `tocsin bench replay`: the national workload through the whole default catalogue, in memory
//! on one core, an hour of the network at a time ordered by station as the engine's writer
//! orders a group commit. It checks the evaluation against the workload's reference answer
//! (station-steps whose 24-hour rain exceeds 100 mm) and reports observations evaluated per
//! second.

use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;
use std::time::Instant;
use tocsin_core::evaluate::{Evaluator, SeriesHandle, StationContext};
use tocsin_core::station::Domain;

/// One observation ready for evaluation.
struct Sample {
    series: SeriesHandle,
    station: u32,
    is_rain: bool,
    time_s: i64,
    value: f64,
}

pub fn run(dir: &Path, catalog: Option<&Path>) -> Result<()> {
    let catalog = crate::config::load_catalog(catalog)
        .map_err(|p| anyhow::anyhow!("the catalogue is invalid:\n{}", p.join("\n")))?;
    let rain_24h = catalog
        .indicator_index("rain_24h")
        .context("the catalogue has no rain_24h indicator")?;
    let mut evaluator = Evaluator::new(catalog, 3600);
    let stations = read_stations(dir, &mut evaluator)?;
    let load_started = Instant::now();
    let mut samples = read_samples(dir, &stations, &mut evaluator)?;
    println!(
        "loaded {} observations in {:.1} s (not timed below)",
        samples.len(),
        load_started.elapsed().as_secs_f64()
    );
    let mut changes = Vec::new();
    let mut over_100 = 0u64;
    let started = Instant::now();
    // As the engine's writer evaluates a group commit (`Detector::observe_batch`): one hour of
    // the national network at a time, station by station, each station's in time order.
    for hour in samples.chunk_by_mut(|a, b| a.time_s / 3600 == b.time_s / 3600) {
        hour.sort_by_key(|s| s.station);
        for s in hour.iter() {
            evaluator.observe(s.series, s.time_s, s.value, &mut changes);
            if s.is_rain
                && evaluator
                    .value(s.station as usize, rain_24h)
                    .is_some_and(|v| v > 100.0)
            {
                over_100 += 1;
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "evaluated {} observations through the default catalogue in {seconds:.2} s on one core: {:.0} observations/s; {} level changes",
        samples.len(),
        samples.len() as f64 / seconds,
        changes.len()
    );
    let reference = reference_answer(dir)?;
    println!("station-steps with 24-hour rain > 100 mm: {over_100} (reference {reference})");
    if over_100 != reference {
        bail!("the evaluation disagrees with the workload's reference answer");
    }
    Ok(())
}

fn read_stations(dir: &Path, evaluator: &mut Evaluator) -> Result<HashMap<String, usize>> {
    let path = dir.join("stations.csv");
    let mut reader =
        csv::Reader::from_path(&path).with_context(|| format!("read {}", path.display()))?;
    let mut stations = HashMap::new();
    for row in reader.records() {
        let row = row?;
        let index = evaluator.add_station(StationContext {
            domain: Domain::Hydromet,
            attributes: Default::default(),
            ..Default::default()
        });
        stations.insert(row[0].to_string(), index);
    }
    Ok(stations)
}

/// The workload's observations: `national.ndjson` (the ingest format) when there is one, else
/// the compact `national.csv` (one row per station-step, a column per metric) — the only form in
/// which the full 30-day set fits a small disk.
fn read_samples(
    dir: &Path,
    stations: &HashMap<String, usize>,
    evaluator: &mut Evaluator,
) -> Result<Vec<Sample>> {
    let mut sink = SampleSink {
        stations,
        evaluator,
        metrics: Vec::new(),
        handles: HashMap::new(),
        samples: Vec::new(),
    };
    let ndjson = dir.join("national.ndjson");
    if ndjson.exists() {
        read_ndjson(&ndjson, &mut sink)?;
    } else {
        read_wide_csv(&dir.join("national.csv"), &mut sink)?;
    }
    Ok(sink.samples)
}

/// Turns (station, metric, time, value) into evaluator samples.
struct SampleSink<'a> {
    stations: &'a HashMap<String, usize>,
    evaluator: &'a mut Evaluator,
    /// Metric names seen so far; a series is keyed by (station, position here).
    metrics: Vec<String>,
    handles: HashMap<(usize, usize), Option<SeriesHandle>>,
    samples: Vec<Sample>,
}

impl SampleSink<'_> {
    fn push(&mut self, station_id: &str, metric: &str, time_s: i64, value: f64) -> Result<()> {
        let station = *self
            .stations
            .get(station_id)
            .with_context(|| format!("unknown station {station_id}"))?;
        let m = match self.metrics.iter().position(|known| known == metric) {
            Some(m) => m,
            None => {
                self.metrics.push(metric.to_string());
                self.metrics.len() - 1
            }
        };
        let evaluator = &mut *self.evaluator;
        let handle = *self
            .handles
            .entry((station, m))
            .or_insert_with(|| evaluator.series(station, metric));
        if let Some(series) = handle {
            self.samples.push(Sample {
                series,
                station: station as u32,
                is_rain: metric == "rain_mm",
                time_s,
                value,
            });
        }
        Ok(())
    }
}

fn read_ndjson(path: &Path, sink: &mut SampleSink) -> Result<()> {
    let file = std::fs::File::open(path).with_context(|| format!("open {}", path.display()))?;
    for (i, line) in std::io::BufReader::with_capacity(1 << 20, file)
        .split(b'\n')
        .enumerate()
    {
        let line = line?;
        let record = tocsin_server::records::parse_record(&line)
            .map_err(|r| anyhow::anyhow!("line {}: {}: {}", i + 1, r.field, r.reason))?;
        let time_s = tocsin_core::observation::parse_time(record.time.as_deref(), "time")
            .map_err(|r| anyhow::anyhow!("line {}: {}", i + 1, r.reason))?
            / 1000;
        if let Some(value) = record.value {
            let station = record.station.unwrap_or_default();
            let metric = record.metric.unwrap_or_default();
            sink.push(&station, &metric, time_s, value)
                .with_context(|| format!("line {}", i + 1))?;
        }
    }
    Ok(())
}

fn read_wide_csv(path: &Path, sink: &mut SampleSink) -> Result<()> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("read {}", path.display()))?;
    let header = tocsin_engine::csv_header::read(&mut reader)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let metrics: Vec<String> = header.iter().skip(2).map(String::from).collect();
    let mut row = csv::StringRecord::new();
    let (mut time_text, mut time_s) = (String::new(), 0);
    let mut line = 1;
    while reader.read_record(&mut row)? {
        line += 1;
        if row[1] != time_text {
            time_text = row[1].to_string();
            time_s = tocsin_core::observation::parse_time(Some(&time_text), "time")
                .map_err(|r| anyhow::anyhow!("line {line}: {}", r.reason))?
                / 1000;
        }
        for (metric, field) in metrics.iter().zip(row.iter().skip(2)) {
            if field.is_empty() || field == "NA" {
                continue;
            }
            let value: f64 = field
                .parse()
                .with_context(|| format!("line {line}: {metric}: {field:?} is not a number"))?;
            sink.push(&row[0], metric, time_s, value)
                .with_context(|| format!("line {line}"))?;
        }
    }
    Ok(())
}

fn reference_answer(dir: &Path) -> Result<u64> {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json"))?)?;
    manifest["checks"]["rain_r24_gt100_station_steps"]
        .as_u64()
        .context("manifest.json has no checks.rain_r24_gt100_station_steps")
}
