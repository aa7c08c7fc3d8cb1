//! `tocsin audit verify`: recomputes the journal's Merkle tree from its stored entries and
//! checks everything the journal can prove about the node's history, stopping at the first
//! thing that does not match:
//!
//! - every entry is there (indexes from 0 without a gap), its stored leaf hash is the hash of
//!   its leaf, its leaf reads as an event of the kind its row says, what it names only by digest
//!   is kept beside the journal with that digest (from the first entry contents were kept for), and every perfect subtree
//!   the store keeps is the hash of the leaves below it (an entry changed in place, with or
//!   without its hash, is named by the first subtree over it);
//! - every checkpoint, stored or given, is signed by the node's key, lies within the journal
//!   (a journal shorter than a checkpoint was truncated), has the root of the entries it covers,
//!   and is consistent with the one before it;
//! - the records the journal names are as it says — detections, released alerts (their CAP XML
//!   by its SHA-256), acknowledgements and incident timeline entries (their personal values
//!   against the kept salted digests), delivery attempts, silences set and ended, the versions
//!   the warning lifecycle made (their drafts by SHA-256), the notifications queued, and
//!   every stock and fund posting with its lines; recipients (their endpoints against the kept
//!   digests), stock minimums, funds, warehouses, automatic release and resources as last set;
//!   feed subscriptions as added (and gone once removed) and the alerts they brought in;
//!   stations (their whole definition by SHA-256) and the registry of units and successions
//!   (by the digest the last import or change left); and incidents as opened, raised and closed with
//!   their bookings, releases, ended tasks and command roles: each record an entry names is
//!   stored with the same fields, and each made since its kind is journaled (`journal_start`) is
//!   named by an entry.

mod accounts;
mod checkpoints;
mod fields;
mod incidents;
mod records;
mod settings;
mod tree;

use checkpoints::{check_consistency, signed_heads};
use records::check_records;
use tocsin_journal::merkle::Hash;
use tocsin_journal::note::{Checkpoint, NoteVerifier};
use tocsin_store::{Store, StoreError};
use tree::recompute;

/// Entries read from the store at once.
const BATCH: usize = 10_000;

/// What a passing verification covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entries: u64,
    pub root: Hash,
    pub checkpoints: usize,
    /// Records held against the entries that name them.
    pub records: usize,
}

/// The first thing that does not match, or why the check could not run.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("journal entry {index}: {reason}")]
    Entry { index: u64, reason: String },
    #[error("checkpoint {label}: {reason}")]
    Checkpoint { label: String, reason: String },
    #[error("{what}: {reason}")]
    Record { what: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A checkpoint to check, by where it came from.
struct Head {
    label: String,
    checkpoint: Checkpoint,
}

/// Verifies the journal of `store` with the node's `key`; `outside` are checkpoints kept
/// elsewhere (a witness's copy, one saved earlier), as signed notes with their labels.
pub fn verify(
    store: &dyn Store,
    key: &NoteVerifier,
    outside: &[(String, String)],
) -> Result<Verified, VerifyError> {
    let heads = signed_heads(store, key, outside)?;
    let size = store.journal_size()?;
    if let Some(head) = heads.iter().find(|h| h.checkpoint.size > size) {
        return Err(VerifyError::Checkpoint {
            label: head.label.clone(),
            reason: format!(
                "it covers {} entries, the journal holds {size}: entries were removed from its end",
                head.checkpoint.size
            ),
        });
    }
    let (frontier, journaled) = recompute(store, &heads)?;
    if frontier.size() != size {
        return Err(VerifyError::Entry {
            index: frontier.size(),
            reason: format!("missing: the journal says it holds {size} entries"),
        });
    }
    check_consistency(store, &heads)?;
    let records = check_records(store, journaled)?;
    Ok(Verified {
        entries: size,
        root: frontier.root(),
        checkpoints: heads.len(),
        records,
    })
}
