//! `tocsin bench journal`: the audit journal at scale. Appends synthetic level changes (each a
//! detection, its current level and its journal entry with the subtrees it completes, as ingest
//! writes them) in durable commits, then times signing checkpoints and making inclusion and
//! consistency proofs at random sizes and indexes of the full journal.

use anyhow::{Result, bail};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tocsin_engine::access::Principal;
use tocsin_engine::audit::Audit;
use tocsin_journal::note::NoteSigner;
use tocsin_store::{Detection, SqliteStore, Store};

#[derive(clap::Args)]
pub struct JournalArgs {
    /// A new directory for the store.
    #[arg(long)]
    data: PathBuf,
    /// Entries to append.
    #[arg(long, default_value_t = 1_000_000)]
    entries: u64,
    /// Entries per commit.
    #[arg(long, default_value_t = 10_000)]
    commit: u64,
    /// Proofs of each kind to time.
    #[arg(long, default_value_t = 10_000)]
    proofs: usize,
}

/// A synthetic level change of station `n` (its own station, so every one is new).
fn change(n: u64) -> Detection {
    Detection {
        station: format!("BENCH-{n}"),
        rule: "heavy_rain_24h".into(),
        hazard: "heavy_rain".into(),
        commune: Some("00004".into()),
        province: Some("01".into()),
        from_level: 0,
        to_level: 1,
        time_ms: 1_763_700_000_000,
        value: 120.5,
        status: "verified".into(),
        certainty: "observed".into(),
        lead: None,
    }
}

pub fn journal(args: &JournalArgs) -> Result<()> {
    if args.data.exists() {
        bail!(
            "{} exists; the benchmark needs a new directory",
            args.data.display()
        );
    }
    std::fs::create_dir_all(&args.data)?;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(
        &args.data.join("tocsin.db"),
        tocsin_store::Durability::Full,
    )?);
    let started = Instant::now();
    let mut appended = 0;
    while appended < args.entries {
        let batch: Vec<Detection> = (appended..(appended + args.commit).min(args.entries))
            .map(change)
            .collect();
        appended += store.record_detections(&batch, 0)? as u64;
    }
    let took = started.elapsed();
    println!(
        "appended {appended} level changes with their journal entries in {:.1} s: {:.0} entries/s ({} per durable commit)",
        took.as_secs_f64(),
        appended as f64 / took.as_secs_f64(),
        args.commit
    );
    let clock = Arc::new(tocsin_engine::clock::SystemClock);
    let signer = NoteSigner::from_seed("bench.tocsin/journal", &[7; 32])?;
    let audit = Audit::new(store.clone(), clock, signer);
    let who = Principal::local_admin();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut below = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n.max(1)
    };
    let size = store.journal_size()?;
    let signing = time(20, || {
        // One more entry each time, so every signature is of a new tree.
        store.record_detections(&[change(size + below(u64::MAX / 2))], 0)?;
        audit.sign_checkpoint()?;
        Ok(())
    })?;
    report("checkpoint (append one entry, root, sign, store)", &signing);
    let size = store.journal_size()?;
    let inclusion = time(args.proofs, || {
        let tree = size - below(size / 2);
        audit.inclusion(&who, below(tree), tree)?;
        Ok(())
    })?;
    report(
        &format!("inclusion proof in trees of {}–{size} entries", size / 2),
        &inclusion,
    );
    let consistency = time(args.proofs, || {
        let to = size - below(size / 2);
        audit.consistency(&who, 1 + below(to - 1), to)?;
        Ok(())
    })?;
    report(
        &format!("consistency proof to trees of {}–{size} entries", size / 2),
        &consistency,
    );
    Ok(())
}

/// Runs `f` `n` times; the duration of each run, sorted.
fn time(n: usize, mut f: impl FnMut() -> Result<()>) -> Result<Vec<Duration>> {
    let mut took = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        f()?;
        took.push(started.elapsed());
    }
    took.sort();
    Ok(took)
}

fn report(what: &str, sorted: &[Duration]) {
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e3;
    println!(
        "{what}: {} runs, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        sorted.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
}
