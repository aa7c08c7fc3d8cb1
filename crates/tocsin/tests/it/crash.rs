//! Crash safety: the server is killed with SIGKILL at random moments while a client ingests;
//! after every restart, each acknowledged observation is stored exactly once.

use crate::{free_port, prepared_data, start_server};
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
fn post(port: u16, token: &str, body: &str) -> Option<u64> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    let request = format!(
        "POST /api/v1/observations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (head, json) = answer.split_once("\r\n\r\n")?;
    if !head.starts_with("HTTP/1.1 200") {
        return None;
    }
    serde_json::from_str::<serde_json::Value>(json).ok()?["accepted"].as_u64()
}

/// A small deterministic generator for kill delays.
fn next_delay(seed: &mut u64) -> Duration {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    Duration::from_millis(20 + (*seed >> 33) % 400)
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
