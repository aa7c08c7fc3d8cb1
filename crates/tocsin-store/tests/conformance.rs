//! The conformance suite on the SQLite backend: every check on a fresh database file.

use tocsin_store::{Durability, SqliteStore};

fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open(&dir.path().join("db"), Durability::Full).expect("a new store");
    (dir, store)
}

tocsin_store::conformance_tests!(open());
