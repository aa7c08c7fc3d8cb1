//! Recomputing the journal's Merkle tree from its stored entries: each entry's hash and kind,
//! each stored subtree, and each checkpoint's root as the tree reaches its size.

use super::checkpoints::check_roots;
use super::records::{Journaled, Named};
use super::{BATCH, Head, VerifyError};
use crate::audit::StoredTree;
use std::collections::BTreeMap;
use tocsin_core::change::Change;
use tocsin_journal::merkle::{self, Frontier, Subtrees};
use tocsin_store::Store;

/// Streams every entry through a [`Frontier`], checking each entry, each stored subtree and
/// each checkpoint's root as the tree reaches its size; returns the frontier and the entries
/// by the record they name.
pub(super) fn recompute(
    store: &dyn Store,
    heads: &[Head],
) -> Result<(Frontier, BTreeMap<Named, Journaled>), VerifyError> {
    let tree = StoredTree(store);
    let content_from = store.content_kept_from()?;
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
            // With the personal values still kept, to hold the records against them.
            let event = entry.event().map_err(fail)?;
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
            if index >= content_from {
                check_contents(store, &event)
                    .map_err(|reason| VerifyError::Entry { index, reason })?;
            }
            for named in Named::of(&event.change) {
                let event = event.clone();
                journaled.insert(named, Journaled { index, event });
            }
            check_roots(&frontier, &mut heads)?;
        }
    }
}

/// Whether every content `event` names by digest is kept beside the journal as it was, and,
/// for the registry, every boundary its lines name.
fn check_contents(store: &dyn Store, event: &tocsin_core::change::Event) -> Result<(), String> {
    for digest in event.contents() {
        let kept = kept_content(store, digest)?;
        if matches!(
            event.change,
            Change::RegistryImported { .. } | Change::RegionChanged { .. }
        ) {
            for boundary in boundaries_named(&kept) {
                kept_content(store, &boundary)?;
            }
        }
    }
    Ok(())
}

/// The content kept under `digest`, if it is there as it was.
fn kept_content(store: &dyn Store, digest: &str) -> Result<Vec<u8>, String> {
    match store.journal_content(digest).map_err(|e| e.to_string())? {
        None => Err(format!("its content {digest} is not kept: it was deleted")),
        Some(bytes) if tocsin_core::change::sha256_hex(&bytes) != digest => {
            Err(format!("its content {digest} was changed"))
        }
        Some(bytes) => Ok(bytes),
    }
}

/// The digests of the boundaries the registry's lines name: the last field of each unit's line.
fn boundaries_named(lines: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(lines);
    text.lines()
        .filter_map(|line| serde_json::from_str::<Vec<serde_json::Value>>(line).ok())
        .filter(|fields| fields.first().and_then(|f| f.as_str()) == Some("unit"))
        .filter_map(|fields| fields.last().and_then(|f| f.as_str()).map(str::to_string))
        .collect()
}
