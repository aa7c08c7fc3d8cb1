//! The audit facade: the node's journal key, the signed checkpoints of its journal, and what an
//! outside verifier reads — the latest checkpoint, inclusion and consistency proofs (hashes
//! only, for every reader) and the entries within the caller's scope. [`verify`] recomputes the
//! whole tree from the stored entries and checks the records the journal names against it.

pub mod verify;

use crate::access::Principal;
use crate::error::{EngineError, Result};
use base64::Engine as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tocsin_core::Clock;
use tocsin_core::access::{Access, Resource};
use tocsin_journal::merkle::{self, Hash, Subtrees, TreeError};
use tocsin_journal::note::{Checkpoint, NoteSigner};
use tocsin_store::{CheckpointRecord, JournalRead, Store, StoreError};

/// The node's journal key, in its data directory: one line, the signed-note signer key.
pub const KEY_FILE: &str = "journal.key";
/// Entries one read of the journal returns at most.
pub const ENTRIES_MAX: usize = 1000;

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A signed checkpoint is stored when the newest stored one is at least this old (the latest
/// is served from memory): the store keeps the history `audit verify` checks, an hour apart,
/// not one row every few seconds.
pub const STORE_CHECKPOINT_EVERY_MS: i64 = 3_600_000;

/// Signs the journal's checkpoints and answers verifiers.
pub struct Audit {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    signer: NoteSigner,
    /// The newest signed checkpoint; held while one is signed, so two never race.
    latest: Mutex<Option<CheckpointRecord>>,
    /// Checkpoints signed since the node started.
    signed: std::sync::atomic::AtomicU64,
}

/// The journal's figures for the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalFigures {
    pub entries: u64,
    /// The size of the newest signed checkpoint.
    pub checkpoint_size: u64,
    pub checkpoints_signed: u64,
    /// Entries the warning desk has not read yet.
    pub warnings_lag: u64,
}

/// RFC 9162 audit path of one leaf.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InclusionProof {
    pub leaf_index: u64,
    pub tree_size: u64,
    /// Base64 of the leaf hash.
    pub leaf_hash: String,
    /// Base64 hashes from the leaf's sibling upwards.
    pub hashes: Vec<String>,
}

/// RFC 9162 consistency proof between two tree sizes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    pub hashes: Vec<String>,
}

/// One journal entry as a verifier reads it: the leaf as hashed and its event decoded
/// (personal values as their salted digests only).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditEntry {
    pub index: u64,
    /// Base64 of the leaf bytes.
    pub leaf: String,
    pub event: serde_json::Value,
}

/// A page of entries, and the index the next page starts at.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditEntries {
    pub entries: Vec<AuditEntry>,
    pub next: u64,
}

/// The stored journal seen as a tree.
pub(crate) struct StoredTree<'s>(pub &'s dyn Store);

impl Subtrees for StoredTree<'_> {
    type Error = StoreError;
    fn perfect(&self, level: u32, index: u64) -> tocsin_store::Result<Hash> {
        self.0.journal_subtree(level, index)
    }
}

impl Audit {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, signer: NoteSigner) -> Audit {
        Audit {
            store,
            clock,
            signer,
            latest: Mutex::new(None),
            signed: Default::default(),
        }
    }

    /// The node's key from `<data_dir>/journal.key`, made there (readable by the node's user
    /// only) and named `name` when the node has none yet.
    pub fn load_or_create_key(data_dir: &Path, name: &str) -> Result<NoteSigner> {
        let path = data_dir.join(KEY_FILE);
        let unreadable = |e: &dyn std::fmt::Display| {
            EngineError::Invalid(format!("journal key {}: {e}", path.display()))
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => NoteSigner::from_skey(text.trim()).map_err(|e| unreadable(&e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut seed = [0u8; 32];
                getrandom::fill(&mut seed).map_err(|e| unreadable(&e))?;
                let signer = NoteSigner::from_seed(name, &seed).map_err(|e| unreadable(&e))?;
                write_private(&path, &format!("{}\n", signer.skey()))
                    .map_err(|e| unreadable(&e))?;
                tracing::info!(key = %signer.vkey(), "journal key made");
                Ok(signer)
            }
            Err(e) => Err(unreadable(&e)),
        }
    }

    /// The public key checkpoints verify with (a signed note's `vkey` line).
    pub fn vkey(&self) -> String {
        self.signer.vkey()
    }

    /// Signs a checkpoint of the journal as it stands, unless the latest already covers it,
    /// and stores it when the newest stored one is an hour old.
    pub fn sign_checkpoint(&self) -> Result<Option<CheckpointRecord>> {
        let mut latest = self.latest.lock().unwrap_or_else(|e| e.into_inner());
        let size = self.store.journal_size()?;
        if latest.as_ref().is_some_and(|c| c.size == size) {
            return Ok(None);
        }
        let root = merkle::root(&StoredTree(self.store.as_ref()), size).map_err(tree_error)?;
        let checkpoint = Checkpoint::new(self.signer.name(), size, root)
            .map_err(|e| EngineError::Invalid(format!("checkpoint: {e}")))?;
        let note = self
            .signer
            .sign_checkpoint(&checkpoint)
            .map_err(|e| EngineError::Invalid(format!("checkpoint: {e}")))?;
        let record = CheckpointRecord {
            size,
            at_ms: self.clock.now().as_millisecond(),
            note,
        };
        let stored = self.store.latest_checkpoint()?;
        if stored.is_none_or(|c| record.at_ms - c.at_ms >= STORE_CHECKPOINT_EVERY_MS) {
            self.store.insert_checkpoint(&record)?;
        }
        self.signed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        *latest = Some(record.clone());
        Ok(Some(record))
    }

    /// The latest signed checkpoint, as C2SP writes it (one is signed if there is none yet).
    pub fn checkpoint(&self, who: &Principal) -> Result<String> {
        who.require(Resource::Audit, Access::Read)?;
        self.sign_checkpoint()?;
        let latest = self.latest.lock().unwrap_or_else(|e| e.into_inner());
        latest
            .as_ref()
            .map(|c| c.note.clone())
            .ok_or_else(|| EngineError::NotFound("no checkpoint has been signed".into()))
    }

    /// The journal's length, the newest checkpoint, checkpoints signed and the desk's lag.
    pub fn figures(&self) -> Result<JournalFigures> {
        let entries = self.store.journal_size()?;
        let checkpoint_size = self
            .latest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map_or(0, |c| c.size);
        let read = self.store.journal_cursor(crate::warnings::CONSUMER)?;
        Ok(JournalFigures {
            entries,
            checkpoint_size,
            checkpoints_signed: self.signed.load(std::sync::atomic::Ordering::Relaxed),
            warnings_lag: entries.saturating_sub(read),
        })
    }

    /// The audit path of leaf `index` in the tree of the first `size` entries.
    pub fn inclusion(&self, who: &Principal, index: u64, size: u64) -> Result<InclusionProof> {
        who.require(Resource::Audit, Access::Read)?;
        self.check_size("size", size)?;
        if index >= size {
            return Err(EngineError::record(
                "request",
                "index",
                format!("{index} is not below the tree size {size}"),
            ));
        }
        let tree = StoredTree(self.store.as_ref());
        let hashes = merkle::inclusion_proof(&tree, index, size).map_err(tree_error)?;
        let leaf_hash = tree.perfect(0, index)?;
        Ok(InclusionProof {
            leaf_index: index,
            tree_size: size,
            leaf_hash: BASE64.encode(leaf_hash),
            hashes: hashes.iter().map(|h| BASE64.encode(h)).collect(),
        })
    }

    /// The proof that the tree of `to` entries extends that of `from`.
    pub fn consistency(&self, who: &Principal, from: u64, to: u64) -> Result<ConsistencyProof> {
        who.require(Resource::Audit, Access::Read)?;
        self.check_size("to", to)?;
        if from == 0 || from > to {
            return Err(EngineError::record(
                "request",
                "from",
                format!("{from} is not between 1 and {to} (the empty tree commits to nothing)"),
            ));
        }
        let tree = StoredTree(self.store.as_ref());
        let hashes = merkle::consistency_proof(&tree, from, to).map_err(tree_error)?;
        Ok(ConsistencyProof {
            from,
            to,
            hashes: hashes.iter().map(|h| BASE64.encode(h)).collect(),
        })
    }

    /// Up to `limit` entries from index `from` on that lie in the caller's scope.
    pub fn entries(&self, who: &Principal, from: u64, limit: usize) -> Result<AuditEntries> {
        who.require(Resource::AuditEntries, Access::Read)?;
        let limit = crate::error::limit_within(limit, ENTRIES_MAX)?;
        let hidden: Vec<&str> = tocsin_core::change::KINDS
            .iter()
            .filter(|(_, resource)| who.require(*resource, Access::Read).is_err())
            .map(|(kind, _)| *kind)
            .collect();
        let JournalRead { entries, next } =
            self.store
                .journal_read_in(&who.filter, from, limit, &hidden)?;
        let entries = entries
            .into_iter()
            .map(|entry| {
                let event = tocsin_core::change::Event::from_leaf(&entry.leaf).map_err(|e| {
                    StoreError::Corrupt(format!("journal entry {}: {e}", entry.index))
                })?;
                Ok(AuditEntry {
                    index: entry.index,
                    leaf: BASE64.encode(&entry.leaf),
                    event: serde_json::to_value(&event).unwrap_or_default(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(AuditEntries { entries, next })
    }

    /// Refuses a tree size beyond the journal.
    fn check_size(&self, field: &str, size: u64) -> Result<()> {
        let stored = self.store.journal_size()?;
        if size > stored {
            return Err(EngineError::record(
                "request",
                field,
                format!("{size} is beyond the journal's {stored} entries"),
            ));
        }
        Ok(())
    }
}

/// A range error (checked before, so not expected) is the caller's; a stored subtree that
/// cannot be read is the store's.
fn tree_error(e: TreeError<StoreError>) -> EngineError {
    match e {
        TreeError::Range(range) => EngineError::Invalid(range.to_string()),
        TreeError::Source(store) => EngineError::Store(store),
    }
}

/// Writes a new file that only its owner can read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}
