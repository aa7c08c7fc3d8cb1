//! Engine integration tests, compiled as one binary. The region registry is imported once from
//! `../shared/data/vn/admin` and shared by the tests that read it.

mod accounts;
mod audit;
mod catalog;
mod channels;
mod detect;
mod dispatch;
mod drill;
mod feeds;
mod ingest;
mod outbreak;
mod receiver;
mod regions;
mod response;
mod warnings;
mod zones;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use tocsin_core::clock::ManualClock;
use tocsin_engine::{Engine, EngineOptions};

/// The shared data folder beside the project, as CI lays it out.
pub fn shared_admin_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/vn/admin")
}

pub fn changes_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../catalog/region-changes.toml")
}

pub struct Fixture {
    pub engine: Engine,
    pub report: tocsin_engine::registry::import::ImportReport,
    _dir: tempfile::TempDir,
}

/// An engine at 2026-11-22 with the full registry imported (once per test binary).
pub fn registry() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
        let options = EngineOptions::new(tocsin_store::Durability::Normal);
        let engine = Engine::open(dir.path(), &options, clock).unwrap();
        let changes = tocsin_engine::registry::changes::read_changes(&changes_file()).unwrap();
        let report = engine
            .import_regions(&shared_admin_dir(), &changes)
            .unwrap();
        Fixture {
            engine,
            report,
            _dir: dir,
        }
    })
}

/// Runs a future to completion on a small runtime (ingest is async).
pub fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}
