//! Crash safety: the server is killed with SIGKILL at random moments while a client ingests;
//! after every restart, each acknowledged observation is stored exactly once. And it is killed
//! just after acknowledging observations that raise a level, or while it takes them in: after
//! the restart the level change is stored, the station is among the situation's active levels,
//! every chain of level changes is unbroken, and the warning desk has read every rise. After
//! every kill, `tocsin audit verify` passes: the journal and the records it names agree.

use crate::{free_port, prepared_data, prepared_data_with, start_server, tocsin_ok};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KILLS: usize = 20;
const BATCH: usize = 100;

/// The NDJSON body of batch `n`: BATCH observations with times and values unique to the batch.
fn batch_body(n: usize) -> String {
    (0..BATCH)
        .map(|i| {
            let k = n * BATCH + i;
            let station = station_of(k);
            let time = jiff::Timestamp::from_second(1_700_000_000 + k as i64 * 60).unwrap();
            format!(
                r#"{{"station":"{station}","metric":"water_level","time":"{time}","value":{k}}}"#
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The station observation `k` belongs to (the two alternate).
fn station_of(k: usize) -> &'static str {
    if k.is_multiple_of(2) {
        "SYN-1"
    } else {
        "SYN-2"
    }
}

/// Posts one batch; `Some(accepted)` only for a complete 200 answer.
pub(crate) fn post(port: u16, token: &str, body: &str) -> Option<u64> {
    request(port, token, "POST /api/v1/observations", body)?["accepted"].as_u64()
}

/// Sends one request (NDJSON body, if any); the JSON of a complete 200 answer, else `None`.
/// Returns as soon as the answer's body is complete (by its length), without waiting for the
/// server to close the connection.
fn request(port: u16, token: &str, line: &str, body: &str) -> Option<serde_json::Value> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    let request = format!(
        "{line} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = Vec::new();
    let mut chunk = [0; 65536];
    loop {
        let n = stream.read(&mut chunk).ok()?;
        answer.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&answer);
        if let Some((head, json)) = text.split_once("\r\n\r\n") {
            let length = head.lines().find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            });
            if n == 0 || length.is_some_and(|length| json.len() >= length) {
                return head
                    .starts_with("HTTP/1.1 200")
                    .then(|| serde_json::from_str(json).ok())?;
            }
        }
        if n == 0 {
            return None;
        }
    }
}

/// A small deterministic generator for kill delays: the next number below `below`.
fn next_random(seed: &mut u64, below: u64) -> u64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (*seed >> 33) % below
}

/// A kill delay while a client ingests.
fn next_delay(seed: &mut u64) -> Duration {
    Duration::from_millis(20 + next_random(seed, 400))
}

#[test]
fn acknowledged_observations_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let token = prepared_data(dir.path());
    let data = dir.path().join("data");
    let data = data.to_str().unwrap().to_string();
    let acknowledged: Arc<Mutex<Vec<usize>>> = Arc::default();
    let mut next_batch = 0;
    let mut seed = 18;
    for _ in 0..KILLS {
        let port = free_port();
        let mut server = start_server(&data, port, "/nonexistent");
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let client = {
            let (acknowledged, stop, token) = (acknowledged.clone(), stop.clone(), token.clone());
            std::thread::spawn(move || {
                let mut n = next_batch;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    match post(port, &token, &batch_body(n)) {
                        Some(accepted) => {
                            assert_eq!(accepted, BATCH as u64, "batch {n}");
                            acknowledged.lock().unwrap().push(n);
                            n += 1;
                        }
                        None => break, // killed mid-request: this batch is retried after restart
                    }
                }
                n
            })
        };
        std::thread::sleep(next_delay(&mut seed));
        server.kill().unwrap();
        server.wait().unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        next_batch = client.join().unwrap();
        tocsin_ok(&["audit", "verify", "--data", &data]);
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= KILLS,
        "too few batches acknowledged to mean anything: {}",
        acknowledged.len()
    );
    check_exactly_once(&data, &acknowledged, next_batch);
}

/// Every acknowledged observation is stored once with its value; nothing beyond the batches sent exists.
fn check_exactly_once(data: &str, acknowledged: &[usize], batches_sent: usize) {
    let clock = Arc::new(tocsin_engine::clock::SystemClock);
    let options = tocsin_engine::EngineOptions::new(tocsin_engine::Durability::Full);
    let engine = tocsin_engine::Engine::open(std::path::Path::new(data), &options, clock).unwrap();
    let admin = tocsin_engine::access::Principal::local_admin();
    for &n in acknowledged {
        for i in 0..BATCH {
            let k = n * BATCH + i;
            let station = station_of(k);
            let versions = engine
                .versions(
                    &admin,
                    station,
                    "water_level",
                    (1_700_000_000 + k as i64 * 60) * 1000,
                )
                .unwrap();
            assert_eq!(
                versions.len(),
                1,
                "observation {k} of acknowledged batch {n}: {versions:?}"
            );
            assert_eq!(versions[0].value, k as f64);
        }
    }
    let stored = engine.store().observation_count().unwrap();
    assert!(stored as usize >= acknowledged.len() * BATCH);
    assert!(
        stored as usize <= (batches_sent + 1) * BATCH,
        "{stored} stored from {batches_sent} batches"
    );
}

/// Rounds of the level test: one SIGKILL each.
const ROUNDS: usize = 110;

/// Hourly rain values per round: 12 × 10 mm is 120 mm in 24 hours, heavy rain level 1.
const HOURS: i64 = 12;

/// The rain gauge of round `n`, new in that round.
fn gauge(n: usize) -> String {
    format!("RAIN-{n:03}")
}

/// `hours` hourly values of 10 mm for `station`, the first at `first_s`.
pub(crate) fn rain(station: &str, first_s: i64, hours: std::ops::Range<i64>) -> String {
    hours
        .map(|h| {
            let time = jiff::Timestamp::from_second(first_s + h * 3600).unwrap();
            format!(r#"{{"station":"{station}","metric":"rain_mm","time":"{time}","value":10}}"#)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A served node, killed with SIGKILL when dropped (also when a check fails).
pub(crate) struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The first `n` communes of Hà Nội with their centroids (code, lat, lon), one per gauge, so
/// that each gauge's level is a reading of its own in the province's warning.
fn hanoi_communes(n: usize) -> Vec<(String, String, String)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/vn/admin/wards_3321_centroid_bbox.csv"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let communes: Vec<_> = text
        .lines()
        .skip(1)
        .map(|line| line.split(',').collect::<Vec<_>>())
        .filter(|fields| fields[1] == "01")
        .map(|fields| (fields[0].into(), fields[9].into(), fields[8].into()))
        .take(n)
        .collect();
    assert_eq!(communes.len(), n, "Hà Nội has {n} communes");
    communes
}

/// Writes a request without waiting for its answer; the connection stays open until dropped.
fn send_only(port: u16, token: &str, body: &str) -> Option<TcpStream> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    let request = format!(
        "POST /api/v1/observations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/x-ndjson\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    Some(stream)
}

/// Rounds alternate: in even ones the kill lands 0–5 ms after the answer acknowledging a
/// gauge's rise, in odd ones at a random moment 0–10 ms after the request was sent, while it
/// is read, committed or answered. After each restart the round's gauge sends its values again
/// (an odd round's may not have been stored; repeats are not stored twice) and one more.
#[test]
fn acknowledged_level_changes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let communes = hanoi_communes(ROUNDS);
    let gauges: String = communes
        .iter()
        .enumerate()
        .map(|(n, (code, lat, lon))| {
            format!(
                "{},Kill test rain gauge {n} (synthetic),hydromet,{lat},{lon},{code},rain_mm:mm:0:1000:3600,\n",
                gauge(n)
            )
        })
        .collect();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap().to_string();
    // With the registry the gauges lie in communes of Hà Nội, so the warning desk takes their
    // level changes too (as on a real node).
    let admin = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/vn/admin");
    tocsin_ok(&["import", "regions", "--from", admin, "--data", &data]);
    let token = prepared_data_with(dir.path(), &gauges);
    // Twelve hours ending two hours ago, on the hour; the thirteenth value an hour ago.
    let now_s = jiff::Timestamp::now().as_second();
    let first_s = now_s - now_s.rem_euclid(3600) - (HOURS + 1) * 3600;
    let mut seed = 11;
    let mut missing = Vec::new();
    for round in 0..=ROUNDS {
        let port = free_port();
        let server = Killed(start_server(&data, port, "/nonexistent"));
        if round > 0 {
            // After the restart: the values again and one more, then the level must stand.
            let station = gauge(round - 1);
            let acknowledged = (round - 1).is_multiple_of(2);
            let hours = if acknowledged { HOURS } else { 0 }..HOURS + 1;
            let body = rain(&station, first_s, hours);
            assert!(post(port, &token, &body).is_some(), "round {round}");
            let situation = request(port, &token, "GET /api/v1/situation", "").unwrap();
            let active = situation["active"].as_array().unwrap();
            if !active
                .iter()
                .any(|d| d["station"] == station.as_str() && d["rule"] == "heavy_rain_24h")
            {
                missing.push(station);
            }
        }
        let mut in_flight = None;
        if round < ROUNDS {
            let body = rain(&gauge(round), first_s, 0..HOURS);
            if round.is_multiple_of(2) {
                assert_eq!(
                    post(port, &token, &body),
                    Some(HOURS as u64),
                    "round {round}"
                );
                std::thread::sleep(Duration::from_micros(next_random(&mut seed, 5001)));
            } else {
                in_flight = send_only(port, &token, &body);
                std::thread::sleep(Duration::from_micros(next_random(&mut seed, 10_001)));
            }
        }
        drop(server);
        drop(in_flight);
        tocsin_ok(&["audit", "verify", "--data", &data]);
    }
    assert_eq!(
        missing,
        Vec::<String>::new(),
        "stations missing from the situation's active levels"
    );
    check_levels(&data, first_s);
    check_warning(&data, &communes);
}

/// Read from the store alone: Hà Nội has one heavy rain warning, and each gauge's commune is in
/// it at level 1 (the warning desk read every rise, whichever moment the kill hit).
fn check_warning(data: &str, communes: &[(String, String, String)]) {
    use tocsin_store::traits::*;
    let path = std::path::Path::new(data).join("tocsin.db");
    let store = tocsin_store::SqliteStore::open(&path, tocsin_store::Durability::Full).unwrap();
    let warnings: Vec<serde_json::Value> = store
        .open_warnings()
        .unwrap()
        .iter()
        .map(|w| serde_json::from_str(&w.state).unwrap())
        .filter(|w: &serde_json::Value| w["hazard"] == "heavy_rain" && w["province"] == "01")
        .collect();
    assert_eq!(warnings.len(), 1, "one heavy rain warning for Hà Nội");
    let unread: Vec<&str> = communes
        .iter()
        .map(|(code, _, _)| code.as_str())
        .filter(|code| {
            warnings[0]["readings"][format!("{code}/heavy_rain_24h/observed")]["level"] != 1
        })
        .collect();
    assert_eq!(
        unread,
        Vec::<&str>::new(),
        "communes missing from the warning"
    );
}

/// Read from the store alone (no engine, which would reconcile): every gauge has its 13
/// observations and its rise to heavy rain level 1, and each station's changes of each rule
/// chain in the order they were stored (every change starts from the level the one before it
/// reached).
fn check_levels(data: &str, first_s: i64) {
    use tocsin_store::RegionFilter;
    use tocsin_store::traits::*;
    let path = std::path::Path::new(data).join("tocsin.db");
    let store = tocsin_store::SqliteStore::open(&path, tocsin_store::Durability::Full).unwrap();
    let series: std::collections::HashMap<i64, String> = store
        .series_catalog()
        .unwrap()
        .into_iter()
        .map(|s| (s.series, s.station))
        .collect();
    let mut observations: std::collections::BTreeMap<String, usize> = Default::default();
    for (id, _, _) in store.observed_since(first_s * 1000).unwrap() {
        *observations.entry(series[&id].clone()).or_default() += 1;
    }
    // In the order they were stored: a data gap closed by an observation sent late is stamped
    // before the gap it closes, so the order of their times is not the order of the chain.
    let all = store
        .detections(&RegionFilter::all(), i64::MIN, i64::MAX, usize::MAX)
        .unwrap();
    let detections: Vec<_> = store
        .journaled_records()
        .unwrap()
        .detections
        .into_iter()
        .map(|(_, d)| d)
        .collect();
    assert_eq!(detections.len(), all.len(), "every detection is journaled");
    let mut levels: std::collections::HashMap<(String, String, String), u8> = Default::default();
    let mut broken = Vec::new();
    for d in &detections {
        let key = (d.station.clone(), d.rule.clone(), d.certainty.clone());
        let before = levels.insert(key, d.to_level).unwrap_or(0);
        if before != d.from_level {
            broken.push(format!(
                "{} {} {}: {before}, then {} → {}",
                d.station, d.rule, d.certainty, d.from_level, d.to_level
            ));
        }
    }
    let mut lost = Vec::new();
    for n in 0..ROUNDS {
        let station = gauge(n);
        if observations.get(&station) != Some(&(HOURS as usize + 1)) {
            lost.push(format!(
                "{station}: {:?} observations",
                observations.get(&station)
            ));
        }
        let rose = detections.iter().any(|d| {
            d.station == station
                && d.rule == "heavy_rain_24h"
                && d.from_level == 0
                && d.to_level == 1
        });
        if !rose {
            lost.push(format!("{station}: no rise 0 → 1 of heavy_rain_24h"));
        }
    }
    assert_eq!(
        lost,
        Vec::<String>::new(),
        "lost observations or level changes"
    );
    assert_eq!(broken, Vec::<String>::new(), "broken chains");
}
