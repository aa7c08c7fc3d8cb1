//! The checkpoints a verification holds the journal to: each signed by the node's key, each
//! root that of the entries it covers, each consistent with the one before it.

use super::{Head, VerifyError};
use crate::audit::StoredTree;
use tocsin_journal::merkle::{self, Frontier};
use tocsin_journal::note::NoteVerifier;
use tocsin_store::Store;

/// The stored and given checkpoints, each signature checked, smallest tree first.
pub(super) fn signed_heads(
    store: &dyn Store,
    key: &NoteVerifier,
    outside: &[(String, String)],
) -> Result<Vec<Head>, VerifyError> {
    let stored = store
        .checkpoints()?
        .into_iter()
        .map(|c| (format!("of size {} (stored)", c.size), c.note));
    let mut heads = Vec::new();
    for (label, note) in stored.chain(outside.iter().cloned()) {
        let checkpoint = key
            .verify_checkpoint(&note)
            .map_err(|e| VerifyError::Checkpoint {
                label: label.clone(),
                reason: e.to_string(),
            })?;
        if checkpoint.origin != key.name() {
            return Err(VerifyError::Checkpoint {
                label,
                reason: format!("its origin {:?} is not {:?}", checkpoint.origin, key.name()),
            });
        }
        heads.push(Head { label, checkpoint });
    }
    heads.sort_by_key(|h| h.checkpoint.size);
    Ok(heads)
}

/// Checks the root of every checkpoint of the frontier's size.
pub(super) fn check_roots<'h>(
    frontier: &Frontier,
    heads: &mut std::iter::Peekable<impl Iterator<Item = &'h Head>>,
) -> Result<(), VerifyError> {
    while let Some(head) = heads.next_if(|h| h.checkpoint.size == frontier.size()) {
        if head.checkpoint.root != frontier.root() {
            return Err(VerifyError::Checkpoint {
                label: head.label.clone(),
                reason: format!(
                    "its root is not the root of the first {} entries: the journal's history was rewritten",
                    head.checkpoint.size
                ),
            });
        }
    }
    Ok(())
}

/// Each checkpoint is consistent with the one before it, by a proof read from the stored tree.
pub(super) fn check_consistency(store: &dyn Store, heads: &[Head]) -> Result<(), VerifyError> {
    let tree = StoredTree(store);
    for pair in heads.windows(2) {
        let (old, new) = (&pair[0].checkpoint, &pair[1].checkpoint);
        if old.size == 0 {
            continue;
        }
        let inconsistent = |reason: String| VerifyError::Checkpoint {
            label: pair[1].label.clone(),
            reason: format!("not consistent with {}: {reason}", pair[0].label),
        };
        let proof = merkle::consistency_proof(&tree, old.size, new.size)
            .map_err(|e| inconsistent(e.to_string()))?;
        merkle::verify_consistency(old.size, new.size, &old.root, &new.root, &proof)
            .map_err(|e| inconsistent(e.to_string()))?;
    }
    Ok(())
}
