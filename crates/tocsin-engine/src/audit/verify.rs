//! `tocsin audit verify`: recomputes the journal's Merkle tree from its stored entries and
//! checks everything the journal can prove about the node's history, stopping at the first
//! thing that does not match:
//!
//! - every entry is there (indexes from 0 without a gap), its stored leaf hash is the hash of
//!   its leaf, its leaf reads as an event of the kind its row says, and every perfect subtree
//!   the store keeps is the hash of the leaves below it (an entry changed in place, with or
//!   without its hash, is named by the first subtree over it);
//! - every checkpoint, stored or given, is signed by the node's key, lies within the journal
//!   (a journal shorter than a checkpoint was truncated), has the root of the entries it covers,
//!   and is consistent with the one before it;
//! - the records the journal names are as it says: every detection from `journal_start` on has
//!   its entry with the same fields, and every entry's detection is stored.

use super::StoredTree;
use std::collections::BTreeMap;
use tocsin_core::change::{Change, Event};
use tocsin_journal::merkle::{self, Frontier, Hash, Subtrees};
use tocsin_journal::note::{Checkpoint, NoteVerifier};
use tocsin_store::{Detection, NATION, Store, StoreError};

/// Entries read from the store at once.
const BATCH: usize = 10_000;

/// What a passing verification covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entries: u64,
    pub root: Hash,
    pub checkpoints: usize,
    pub detections: usize,
}

/// The first thing that does not match, or why the check could not run.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("journal entry {index}: {reason}")]
    Entry { index: u64, reason: String },
    #[error("checkpoint {label}: {reason}")]
    Checkpoint { label: String, reason: String },
    #[error("detection {id}: {reason}")]
    Detection { id: i64, reason: String },
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
    let detections = check_detections(store, journaled)?;
    Ok(Verified {
        entries: size,
        root: frontier.root(),
        checkpoints: heads.len(),
        detections,
    })
}

/// The stored and given checkpoints, each signature checked, smallest tree first.
fn signed_heads(
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

/// A journaled level change: the entry and what it says of its detection.
struct Journaled {
    index: u64,
    event: Event,
}

/// Streams every entry through a [`Frontier`], checking each entry, each stored subtree and
/// each checkpoint's root as the tree reaches its size; returns the frontier and the level
/// changes by the detection they name.
fn recompute(
    store: &dyn Store,
    heads: &[Head],
) -> Result<(Frontier, BTreeMap<i64, Journaled>), VerifyError> {
    let tree = StoredTree(store);
    let mut frontier = Frontier::new();
    let mut journaled = BTreeMap::new();
    let mut heads = heads.iter().peekable();
    check_roots(&frontier, &mut heads)?;
    loop {
        let batch = store.journal_entries(frontier.size(), BATCH)?;
        if batch.is_empty() {
            return Ok((frontier, journaled));
        }
        for entry in batch {
            let index = frontier.size();
            let fail = |reason: String| VerifyError::Entry { index, reason };
            if entry.index != index {
                return Err(fail("missing: the next stored entry is a later one".into()));
            }
            if entry.leaf_hash != merkle::leaf_hash(&entry.leaf) {
                return Err(fail("its stored hash is not the hash of its leaf".into()));
            }
            let event = Event::from_leaf(&entry.leaf).map_err(fail)?;
            if entry.kind != event.change.kind() {
                return Err(fail(format!(
                    "its row says {}, its leaf {}",
                    entry.kind,
                    event.change.kind()
                )));
            }
            for node in frontier.push(&entry.leaf) {
                if tree.perfect(node.level, node.index)? != node.hash {
                    let width = 1u64 << node.level;
                    let first = node.index * width;
                    return Err(VerifyError::Entry {
                        index: first,
                        reason: format!(
                            "the stored hash over entries {first}..{} is not the hash of their leaves: one of them was changed",
                            first + width - 1
                        ),
                    });
                }
            }
            if let Change::LevelChanged { detection, .. } = event.change
                && detection > 0
            {
                journaled.insert(detection, Journaled { index, event });
            }
            check_roots(&frontier, &mut heads)?;
        }
    }
}

/// Checks the root of every checkpoint of the frontier's size.
fn check_roots<'h>(
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
fn check_consistency(store: &dyn Store, heads: &[Head]) -> Result<(), VerifyError> {
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

/// Every detection from the journal's start on against the entry that names it.
fn check_detections(
    store: &dyn Store,
    mut journaled: BTreeMap<i64, Journaled>,
) -> Result<usize, VerifyError> {
    let stored = store.journaled_detections()?;
    let count = stored.len();
    for (id, detection) in stored {
        let Some(entry) = journaled.remove(&id) else {
            return Err(VerifyError::Detection {
                id,
                reason: "no journal entry names it: it was written outside the node".into(),
            });
        };
        if let Some(field) = differing_field(&entry.event, &detection) {
            return Err(VerifyError::Detection {
                id,
                reason: format!(
                    "its {field} is not what journal entry {} says: it was changed",
                    entry.index
                ),
            });
        }
    }
    if let Some((id, entry)) = journaled.into_iter().next() {
        return Err(VerifyError::Entry {
            index: entry.index,
            reason: format!("its detection {id} is not stored: it was deleted"),
        });
    }
    Ok(count)
}

/// The first field in which a stored detection differs from its journaled level change.
fn differing_field(event: &Event, d: &Detection) -> Option<&'static str> {
    let Change::LevelChanged {
        station,
        rule,
        hazard,
        commune,
        from,
        to,
        time_ms,
        value,
        certainty,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    let province = d.province.as_deref().unwrap_or(NATION);
    [
        ("station", *station == d.station),
        ("rule", *rule == d.rule),
        ("hazard", *hazard == d.hazard),
        ("commune", *commune == d.commune),
        ("province", event.region == province),
        ("from level", *from == d.from_level),
        ("level", *to == d.to_level),
        ("time", *time_ms == d.time_ms),
        ("value", *value == d.value.to_string()),
        ("certainty", *certainty == d.certainty),
    ]
    .into_iter()
    .find(|(_, same)| !same)
    .map(|(field, _)| field)
}
