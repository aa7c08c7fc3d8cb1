//! The right edge of a growing tree: one perfect subtree per set bit of its size, so that the
//! root of every size is known while leaves stream past, in O(log n) memory. A verifier that
//! recomputes a whole log from its leaves uses it instead of holding every hash.

use super::{EMPTY_ROOT, Hash, PerfectNode, leaf_hash, node_hash};

/// The perfect subtrees covering the leaves appended so far, largest (leftmost) first.
#[derive(Debug, Clone, Default)]
pub struct Frontier {
    size: u64,
    /// `(level, hash)` of each subtree, strictly decreasing levels.
    subtrees: Vec<(u32, Hash)>,
}

impl Frontier {
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of leaves appended.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf's bytes; returns the perfect subtrees at levels 1 and up the append
    /// completed, lowest level first (those a stored log must hold).
    pub fn push(&mut self, leaf: &[u8]) -> Vec<PerfectNode> {
        let index = self.size;
        let mut hash = leaf_hash(leaf);
        let mut level = 0;
        let mut completed = Vec::new();
        while let Some(&(left_level, left)) = self.subtrees.last() {
            if left_level != level {
                break;
            }
            self.subtrees.pop();
            hash = node_hash(&left, &hash);
            level += 1;
            completed.push(PerfectNode {
                level,
                index: index >> level,
                hash,
            });
        }
        self.subtrees.push((level, hash));
        self.size += 1;
        completed
    }

    /// The root of the leaves appended so far (RFC 9162 MTH): the subtrees folded from the right.
    pub fn root(&self) -> Hash {
        let mut subtrees = self.subtrees.iter().rev();
        let Some(&(_, mut root)) = subtrees.next() else {
            return EMPTY_ROOT;
        };
        for (_, left) in subtrees {
            root = node_hash(left, &root);
        }
        root
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{MemoryTree, Subtrees, root};

    #[test]
    fn every_root_and_completed_subtree_is_the_memory_tree_s() {
        let mut frontier = Frontier::new();
        let mut model = MemoryTree::new();
        assert_eq!(frontier.root(), EMPTY_ROOT);
        for i in 0u32..300 {
            let leaf = i.to_be_bytes();
            let completed = frontier.push(&leaf);
            model.push(&leaf);
            assert_eq!(frontier.size(), model.size());
            assert_eq!(frontier.root(), root(&model, model.size()).unwrap(), "{i}");
            for node in completed {
                assert_eq!(model.perfect(node.level, node.index), Ok(node.hash));
            }
        }
    }
}
