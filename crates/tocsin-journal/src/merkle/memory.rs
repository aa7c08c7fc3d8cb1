//! An in-memory log keeping every perfect subtree hash: the model a stored log follows.
//!
//! `levels[k][i]` is the hash of perfect subtree `(k, i)`; level 0 is the leaf hashes. An
//! append writes the leaf hash and the subtrees [`completed_by_append`] returns — exactly what
//! a store persists per entry — so `perfect` is one vector index. Memory: 32 bytes per leaf
//! plus as much again for the levels above (64 MB at 10 M entries, 32 B × 2n).

use super::{Hash, PerfectNode, Subtrees, completed_by_append, leaf_hash};

/// A Merkle log held in memory, for tests and as the model of a stored one.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

/// A subtree the tree does not hold (yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no complete subtree at level {level}, index {index}")]
pub struct NotInTree {
    pub level: u32,
    pub index: u64,
}

impl MemoryTree {
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// Appends a leaf's bytes; returns its index.
    pub fn push(&mut self, leaf: &[u8]) -> u64 {
        self.push_hash(leaf_hash(leaf))
    }

    /// Appends a leaf by its hash; returns its index.
    pub fn push_hash(&mut self, hash: Hash) -> u64 {
        let index = self.size();
        // Invariant: the left siblings of a new leaf are complete before it, so all are held.
        let completed = completed_by_append(self, index, hash)
            .expect("the left siblings of the next leaf are complete");
        self.store(PerfectNode {
            level: 0,
            index,
            hash,
        });
        for node in completed {
            self.store(node);
        }
        index
    }

    fn store(&mut self, node: PerfectNode) {
        let level = node.level as usize;
        if self.levels.len() <= level {
            self.levels.resize_with(level + 1, Vec::new);
        }
        self.levels[level].push(node.hash);
    }
}

impl Subtrees for MemoryTree {
    type Error = NotInTree;

    fn perfect(&self, level: u32, index: u64) -> Result<Hash, NotInTree> {
        let hash = usize::try_from(level)
            .ok()
            .and_then(|level| self.levels.get(level))
            .zip(usize::try_from(index).ok())
            .and_then(|(hashes, index)| hashes.get(index));
        hash.copied().ok_or(NotInTree { level, index })
    }
}
