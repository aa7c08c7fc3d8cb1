//! The audit facade: the node's journal key, the signed checkpoints of its journal, and what an
//! outside verifier reads — the latest checkpoint, inclusion and consistency proofs (hashes
//! only, for every reader) and the entries within the caller's scope. [`verify`] recomputes the
//! whole tree from the stored entries and checks the records the journal names against it.

pub mod verify;

use crate::access::Principal;
use crate::engine::{EngineError, Result};
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

/// Signs the journal's checkpoints and answers verifiers.
pub struct Audit {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    signer: NoteSigner,
    /// Held while a checkpoint is signed, so two signers never race for one size.
    signing: Mutex<()>,
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
            signing: Mutex::new(()),
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

    /// Signs a checkpoint of the journal as it stands, unless the latest already covers it.
    pub fn sign_checkpoint(&self) -> Result<Option<CheckpointRecord>> {
        let _signing = self.signing.lock().unwrap_or_else(|e| e.into_inner());
        let size = self.store.journal_size()?;
        let latest = self.store.latest_checkpoint()?;
        if latest.is_some_and(|c| c.size == size) {
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
        self.store.insert_checkpoint(&record)?;
        Ok(Some(record))
    }

    /// The latest signed checkpoint, as C2SP writes it (one is signed if there is none yet).
    pub fn checkpoint(&self, who: &Principal) -> Result<String> {
        who.require(Resource::Audit, Access::Read)?;
        if let Some(latest) = self.store.latest_checkpoint()? {
            return Ok(latest.note);
        }
        self.sign_checkpoint()?;
        let latest = self.store.latest_checkpoint()?;
        latest
            .map(|c| c.note)
            .ok_or_else(|| EngineError::NotFound("no checkpoint has been signed".into()))
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
        let limit = limit.clamp(1, ENTRIES_MAX);
        let JournalRead { entries, next } = self.store.journal_read_in(&who.filter, from, limit)?;
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
