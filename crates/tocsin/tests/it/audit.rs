//! The audit journal from outside. A served node's journal passes the independent Python
//! verifier (`tests/audit_verifier.py`: RFC 9162 proofs and C2SP signed notes, written from the
//! specifications alone) given only the HTTP endpoints and the node's public key, checkpoint
//! after checkpoint; and an entry changed in the database fails it. `tocsin audit verify`
//! reports every kind of direct edit of the database: a changed, deleted or inserted record, a
//! changed or removed journal entry.

use crate::crash::{Killed, post, rain};
use crate::{available, free_port, prepared_data_with, start_server, tocsin, tocsin_ok};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const HOURS: i64 = 12;

fn gauges() -> String {
    (0..3)
        .map(|n| {
            format!(
                "AUDIT-{n},Audit test rain gauge {n} (synthetic),hydromet,21.0{n},105.8,,rain_mm:mm:0:1000:3600,\n"
            )
        })
        .collect()
}

/// Twelve hourly values of 10 mm ending two hours ago: heavy rain level 1 at the gauge.
fn rise(gauge: usize) -> String {
    let now_s = jiff::Timestamp::now().as_second();
    let first_s = now_s - now_s.rem_euclid(3600) - (HOURS + 1) * 3600;
    rain(&format!("AUDIT-{gauge}"), first_s, 0..HOURS)
}

fn get_text(port: u16, token: &str, path: &str) -> String {
    ureq::get(format!("http://127.0.0.1:{port}{path}"))
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap()
}

/// Waits until the node has signed a checkpoint of at least `size` entries; returns its size.
fn wait_for_checkpoint(port: u16, token: &str, size: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let note = get_text(port, token, "/api/v1/audit/checkpoint");
        let signed: u64 = note.lines().nth(1).unwrap().parse().unwrap();
        if signed >= size {
            return signed;
        }
        assert!(Instant::now() < deadline, "no checkpoint of {size}: {note}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn python_verifier(port: u16, token: &str, vkey: &str, extra: &[&str]) -> Output {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/audit_verifier.py");
    Command::new("python3")
        .args([script, "verify", &format!("http://127.0.0.1:{port}"), vkey])
        .args(["--samples", "20"])
        .args(extra)
        .env("TOCSIN_TOKEN", token)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `sql` on the store of `data` as someone with the database file would.
fn edit(data: &str, sql: &str) {
    let conn = rusqlite::Connection::open(Path::new(data).join("tocsin.db")).unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn a_served_journal_passes_the_python_verifier_and_a_changed_entry_fails_it() {
    if !available(
        "python3 with the cryptography package",
        Command::new("python3").args(["-c", "import cryptography"]),
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let token = prepared_data_with(dir.path(), &gauges());
    let data = dir.path().join("data").to_str().unwrap().to_string();
    let vkey = tocsin_ok(&["audit", "key", "--data", &data])
        .trim()
        .to_string();
    let saved = dir.path().join("checkpoint.txt");
    let saved = saved.to_str().unwrap();

    let port = free_port();
    let server = Killed(start_server(&data, port, "/nonexistent"));
    assert_eq!(post(port, &token, &rise(0)), Some(HOURS as u64));
    // One batch stored and one level change.
    let first = wait_for_checkpoint(port, &token, 2);
    let out = python_verifier(port, &token, &vkey, &["--save", saved]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains(&format!("at {first} entries")));

    assert_eq!(post(port, &token, &rise(1)), Some(HOURS as u64));
    let second = wait_for_checkpoint(port, &token, first + 2);
    let out = python_verifier(port, &token, &vkey, &["--previous", saved]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains(&format!("at {second} entries"))
            && text(&out.stdout).contains("extends the previous checkpoint"),
        "{}",
        text(&out.stdout)
    );
    drop(server);
    tocsin_ok(&["audit", "verify", "--data", &data]);

    // The last entry's leaf changed in place (its stored hash left as it was).
    let last = second - 1;
    edit(
        &data,
        &format!(
            "DROP TRIGGER journal_never_changes;
             UPDATE journal SET leaf = CAST(replace(CAST(leaf AS TEXT), 'AUDIT-1', 'AUDIT-2') AS BLOB) WHERE idx = {last};"
        ),
    );
    let port = free_port();
    let _server = Killed(start_server(&data, port, "/nonexistent"));
    let out = python_verifier(port, &token, &vkey, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains(&format!("entry {last}")),
        "{}",
        text(&out.stderr)
    );
}

/// A node with two gauges risen, stopped, and the checkpoint of its whole journal as an
/// auditor keeps it (in `dir`, outside the node's data).
fn audited_node(dir: &Path) -> (String, String) {
    let token = prepared_data_with(dir, &gauges());
    let data = dir.join("data").to_str().unwrap().to_string();
    let port = free_port();
    let server = Killed(start_server(&data, port, "/nonexistent"));
    for gauge in 0..2 {
        assert_eq!(post(port, &token, &rise(gauge)), Some(HOURS as u64));
    }
    wait_for_checkpoint(port, &token, 4);
    let kept = dir.join("kept-checkpoint.txt");
    std::fs::write(&kept, get_text(port, &token, "/api/v1/audit/checkpoint")).unwrap();
    drop(server);
    let kept = kept.to_str().unwrap().to_string();
    tocsin_ok(&["audit", "verify", "--data", &data, "--checkpoint", &kept]);
    (data, kept)
}

/// `tocsin audit verify` on a copy of `data` changed by `change`, with the kept checkpoint:
/// fails, naming `expected`.
fn assert_reported(node: &(String, String), what: &str, change: impl FnOnce(&str), expected: &str) {
    let (data, kept) = node;
    let copy = tempfile::tempdir().unwrap();
    for file in std::fs::read_dir(data).unwrap() {
        let file = file.unwrap().path();
        if file.is_file() {
            std::fs::copy(&file, copy.path().join(file.file_name().unwrap())).unwrap();
        }
    }
    let copied = copy.path().to_str().unwrap();
    change(copied);
    let out = tocsin(&["audit", "verify", "--data", copied, "--checkpoint", kept]);
    let said = text(&out.stderr);
    assert!(!out.status.success(), "{what}: not reported");
    assert!(said.contains(expected), "{what}: {said}");
}

/// Moves the time of entry 0 (the node's first change, whatever its kind) by 10^12 ms, and with
/// `rehash` also its stored leaf hash, as a careful forger would.
fn forge_first_entry(data: &str, rehash: bool) {
    edit(
        data,
        "DROP TRIGGER journal_never_changes;
         UPDATE journal SET leaf = CAST(replace(CAST(leaf AS TEXT), '\"at_ms\":1', '\"at_ms\":2') AS BLOB) WHERE idx = 0;",
    );
    if rehash {
        let conn = rusqlite::Connection::open(Path::new(data).join("tocsin.db")).unwrap();
        let leaf: Vec<u8> = conn
            .query_row("SELECT leaf FROM journal WHERE idx = 0", [], |r| r.get(0))
            .unwrap();
        let hash = tocsin_journal::merkle::leaf_hash(&leaf);
        conn.execute(
            "UPDATE journal SET leaf_hash = ?1 WHERE idx = 0",
            [hash.as_slice()],
        )
        .unwrap();
    }
}

#[test]
fn audit_verify_reports_every_direct_edit_of_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let node = audited_node(dir.path());
    // A changed, a deleted and an inserted detection.
    let sql = |sql: &'static str| move |copied: &str| edit(copied, sql);
    assert_reported(
        &node,
        "a changed detection",
        sql("UPDATE detections SET value = value + 1 WHERE id = 1"),
        "detection 1: its value is not what journal entry",
    );
    assert_reported(
        &node,
        "a deleted detection",
        sql("DELETE FROM detections WHERE id = 2"),
        "its detection 2 is not stored: it was deleted",
    );
    assert_reported(
        &node,
        "an inserted detection",
        sql("INSERT INTO detections (station, rule, hazard, commune, province, from_level, to_level, time_ms, value, status, recorded_ms, certainty)
             SELECT station, rule, hazard, commune, province, 1, 2, time_ms + 1, value, status, recorded_ms, certainty FROM detections WHERE id = 1"),
        "no journal entry names it: it was written outside the node",
    );
    // A changed entry, then with its hash changed too, and entries removed from the end.
    assert_reported(
        &node,
        "a changed entry",
        |copied| forge_first_entry(copied, false),
        "journal entry 0: its stored hash is not the hash of its leaf",
    );
    assert_reported(
        &node,
        "a changed entry with its hash",
        |copied| forge_first_entry(copied, true),
        "journal entry 0: the stored hash over entries 0..1 is not the hash of their leaves",
    );
    assert_reported(
        &node,
        "a truncated journal",
        sql("DROP TRIGGER journal_never_goes;
             DELETE FROM journal WHERE idx = (SELECT max(idx) FROM journal);"),
        "entries were removed from its end",
    );
}
