//! Backtesting: stored history replayed through a catalogue, its detections compared with a list
//! of real events, so that a threshold change can be judged before it goes live.
//!
//! Truth file (CSV): `hazard,place,start,end[,min_level]` — `place` is a station id or a region
//! code (a commune or province: every station in it counts); times are RFC 3339. A detection
//! episode (a rule leaving level 0 until it returns to 0) of a rule for that hazard, at a station
//! in the place, reaching `min_level` (default 1) and starting no later than the event's end,
//! is a hit. Per rule: hits, misses, false alarms (episodes that match no event), probability
//! of detection POD = hits / (hits + misses), false alarm ratio FAR = false alarms / (hits +
//! false alarms), critical success index CSI = hits / (hits + misses + false alarms), and the
//! median lead time (event start − first matching episode start; negative when late).

use crate::detect::Detector;
use std::collections::HashMap;
use tocsin_core::evaluate::CompiledCatalog;
use tocsin_core::observation::{Observation, parse_time};
use tocsin_core::station::Station;
use tocsin_store::{Detection, SeriesRow};

/// A real event to compare detections with.
#[derive(Debug, Clone, PartialEq)]
pub struct TruthEvent {
    pub hazard: String,
    pub place: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub min_level: u8,
}

/// Reads a truth file; every problem names the row and the column.
pub fn read_truth(bytes: &[u8]) -> Result<Vec<TruthEvent>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(bytes);
    let header = crate::csv_header::read(&mut reader).map_err(|e| format!("truth {e}"))?;
    let column = |name: &str| header.iter().position(|h| h == name);
    for required in ["hazard", "place", "start", "end"] {
        if column(required).is_none() {
            return Err(format!(
                "truth header lacks the column {required:?} (hazard,place,start,end[,min_level])"
            ));
        }
    }
    let mut events = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| format!("truth row {}: {e}", i + 2))?;
        let get = |name: &str| column(name).and_then(|c| row.get(c)).unwrap_or_default();
        let time = |name: &str| {
            parse_time(Some(get(name)), name)
                .map_err(|r| format!("truth row {}: {}: {}", i + 2, r.field, r.reason))
        };
        let min_level = match get("min_level") {
            "" => 1,
            text => text
                .parse()
                .ok()
                .filter(|l| (1..=5).contains(l))
                .ok_or_else(|| format!("truth row {}: min_level: {text:?} is not 1 to 5", i + 2))?,
        };
        let (start_ms, end_ms) = (time("start")?, time("end")?);
        if end_ms < start_ms {
            return Err(format!("truth row {}: end: before start", i + 2));
        }
        events.push(TruthEvent {
            hazard: get("hazard").to_string(),
            place: get("place").to_string(),
            start_ms,
            end_ms,
            min_level,
        });
    }
    Ok(events)
}

/// The scores of one rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleScore {
    pub rule: String,
    pub hazard: String,
    pub hits: usize,
    pub misses: usize,
    pub false_alarms: usize,
    pub pod: Option<f64>,
    pub far: Option<f64>,
    pub csi: Option<f64>,
    /// Median lead time in seconds over the hits.
    pub median_lead_s: Option<i64>,
}

/// One rule's continuous stretch above level 0 at one station.
#[derive(Debug, Clone)]
struct Episode {
    station: String,
    commune: Option<String>,
    province: Option<String>,
    start_ms: i64,
    max_level: u8,
    matched: bool,
}

/// Replays `observations` (time-ordered; those before `from_ms` only warm the windows up) and
/// scores each rule of `catalog` against `truth`.
pub fn run(
    catalog: CompiledCatalog,
    stations: &[Station],
    series: &[SeriesRow],
    observations: &[(i64, i64, f64)],
    from_ms: i64,
    truth: &[TruthEvent],
) -> Vec<RuleScore> {
    let mut detector = Detector::new(catalog.clone());
    detector.sync(stations, series);
    let mut detections = Vec::new();
    for &(series, time_ms, value) in observations {
        detector.observe(&Observation {
            series,
            time_ms,
            issued_ms: 0,
            value,
        });
        if time_ms < from_ms {
            detector.forget_changes();
        } else {
            detections.extend(detector.take_detections());
        }
    }
    let episodes = episodes(&detections);
    catalog
        .rules
        .iter()
        .map(|rule| {
            score(
                &rule.id,
                &rule.hazard,
                episodes.get(&rule.id).cloned().unwrap_or_default(),
                truth,
            )
        })
        .collect()
}

fn episodes(detections: &[Detection]) -> HashMap<String, Vec<Episode>> {
    let mut open: HashMap<(String, String), Episode> = HashMap::new();
    let mut done: HashMap<String, Vec<Episode>> = HashMap::new();
    for d in detections
        .iter()
        .filter(|d| d.certainty == crate::detect::OBSERVED)
    {
        let key = (d.rule.clone(), d.station.clone());
        if d.from_level == 0 {
            open.insert(
                key.clone(),
                Episode {
                    station: d.station.clone(),
                    commune: d.commune.clone(),
                    province: d.province.clone(),
                    start_ms: d.time_ms,
                    max_level: d.to_level,
                    matched: false,
                },
            );
        } else if let Some(episode) = open.get_mut(&key) {
            episode.max_level = episode.max_level.max(d.to_level);
        }
        if d.to_level == 0
            && let Some(episode) = open.remove(&key)
        {
            done.entry(d.rule.clone()).or_default().push(episode);
        }
    }
    for ((rule, _), episode) in open {
        done.entry(rule).or_default().push(episode);
    }
    done
}

fn in_place(episode: &Episode, place: &str) -> bool {
    episode.station == place
        || episode.commune.as_deref() == Some(place)
        || episode.province.as_deref() == Some(place)
}

fn score(rule: &str, hazard: &str, mut episodes: Vec<Episode>, truth: &[TruthEvent]) -> RuleScore {
    let mut leads = Vec::new();
    let mut hits = 0;
    let mut misses = 0;
    for event in truth.iter().filter(|e| e.hazard == hazard) {
        let mut first: Option<i64> = None;
        for episode in episodes.iter_mut().filter(|ep| {
            in_place(ep, &event.place)
                && ep.max_level >= event.min_level
                && ep.start_ms <= event.end_ms
        }) {
            episode.matched = true;
            first = Some(first.map_or(episode.start_ms, |f| f.min(episode.start_ms)));
        }
        match first {
            Some(start) => {
                hits += 1;
                leads.push((event.start_ms - start) / 1000);
            }
            None => misses += 1,
        }
    }
    let false_alarms = episodes.iter().filter(|e| !e.matched).count();
    let ratio = |num: usize, den: usize| (den > 0).then(|| num as f64 / den as f64);
    leads.sort_unstable();
    RuleScore {
        rule: rule.to_string(),
        hazard: hazard.to_string(),
        hits,
        misses,
        false_alarms,
        pod: ratio(hits, hits + misses),
        far: ratio(false_alarms, hits + false_alarms),
        csi: ratio(hits, hits + misses + false_alarms),
        median_lead_s: median(&leads),
    }
}

fn median(sorted: &[i64]) -> Option<i64> {
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[n / 2]),
        n => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2),
    }
}
