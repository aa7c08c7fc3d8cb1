//! RFC 9162 (formerly RFC 6962) Merkle tree hashing, proofs and their verification.
//!
//! # Encoding
//!
//! Every hash is SHA-256, 32 bytes:
//!
//! - a leaf: `SHA-256(0x00 ‖ leaf bytes)` ([`leaf_hash`]);
//! - an interior node: `SHA-256(0x01 ‖ left hash ‖ right hash)` ([`node_hash`]);
//! - the empty tree: `SHA-256("")` = `e3b0c442…b855` ([`EMPTY_ROOT`]).
//!
//! The tree over `n > 1` leaves splits at `k`, the largest power of two below `n`: the left
//! subtree holds leaves `[0, k)`, the right one `[k, n)`, recursively (RFC 9162 §2.1.1). So the
//! left subtree of every node is *perfect* (2^h leaves) and *aligned* (it starts at a multiple
//! of 2^h), and every node of any tree size is a right-folded chain of such perfect subtrees,
//! one per set bit of its width.
//!
//! # What the stored log must provide
//!
//! A stored log implements [`Subtrees`]: the hash of the perfect subtree `(level, index)`,
//! covering leaves `[index·2^level, (index+1)·2^level)`; level 0 holds the leaf hashes. Appending
//! leaf `i` completes one perfect subtree at each level `k ≥ 1` for which `2^k` divides `i + 1`;
//! [`completed_by_append`] computes them so the store can write them with the leaf. Roots and
//! proofs for any size up to the log's size then read O(log n) stored hashes — never all leaves.
//!
//! Proofs are lists of hashes ordered from the leaf (or the old tree) upwards, exactly the
//! `PATH` of §2.1.3.1 and the `PROOF` of §2.1.4.1; the verifiers follow §2.1.3.2 and §2.1.4.2
//! step by step. Nothing here panics on any input: bad sizes and indexes are typed errors.

mod frontier;
mod memory;
mod verify;

pub use frontier::Frontier;
pub use memory::{MemoryTree, NotInTree};
pub use verify::{ProofError, verify_consistency, verify_inclusion};

use sha2::{Digest, Sha256};

/// A SHA-256 hash: a leaf, a node or a root.
pub type Hash = [u8; 32];

/// The root of the empty tree: SHA-256 of no bytes.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

const LEAF_PREFIX: u8 = 0x00;
const NODE_PREFIX: u8 = 0x01;

/// The hash of a leaf: SHA-256(0x00 ‖ leaf).
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    Sha256::new()
        .chain_update([LEAF_PREFIX])
        .chain_update(leaf)
        .finalize()
        .into()
}

/// The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new()
        .chain_update([NODE_PREFIX])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// A stored log, seen through the hashes of its perfect, aligned subtrees.
pub trait Subtrees {
    /// Why a hash could not be read (missing, or the store failed).
    type Error;

    /// The hash of leaves `[index·2^level, (index+1)·2^level)`; level 0 is the leaf hashes.
    fn perfect(&self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// A size or index that no proof can be made or checked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("leaf index {index} is not below the tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("the old tree size {from} is larger than the new tree size {to}")]
    FromAfterTo { from: u64, to: u64 },
    #[error(
        "there is no consistency proof from the empty tree: it is a prefix of every tree and \
         commits to nothing"
    )]
    FromEmptyTree,
}

/// Why a root or a proof could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError<E> {
    #[error(transparent)]
    Range(#[from] RangeError),
    #[error("reading a stored subtree hash: {0}")]
    Source(E),
}

/// A perfect subtree newly completed by an append, for the store to persist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerfectNode {
    pub level: u32,
    pub index: u64,
    pub hash: Hash,
}

/// The perfect subtrees at levels 1 and up that appending `leaf_hash` at `index` completes,
/// lowest level first. Reads from `src` only the left siblings, all complete before the append.
pub fn completed_by_append<S: Subtrees>(
    src: &S,
    index: u64,
    leaf_hash: Hash,
) -> Result<Vec<PerfectNode>, S::Error> {
    let levels = index.trailing_ones();
    let mut completed = Vec::with_capacity(levels as usize);
    let mut hash = leaf_hash;
    for below in 0..levels {
        let left = src.perfect(below, (index >> below) ^ 1)?;
        hash = node_hash(&left, &hash);
        completed.push(PerfectNode {
            level: below + 1,
            index: index >> (below + 1),
            hash,
        });
    }
    Ok(completed)
}

/// The root of the tree of the first `size` leaves (RFC 9162 §2.1.1 MTH).
pub fn root<S: Subtrees>(src: &S, size: u64) -> Result<Hash, TreeError<S::Error>> {
    if size == 0 {
        return Ok(EMPTY_ROOT);
    }
    node(src, 0, size).map_err(TreeError::Source)
}

/// The inclusion proof of leaf `index` in the tree of the first `size` leaves
/// (RFC 9162 §2.1.3.1 PATH), from the leaf's sibling up to the root's child.
pub fn inclusion_proof<S: Subtrees>(
    src: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, TreeError<S::Error>> {
    if index >= size {
        return Err(RangeError::IndexOutOfRange { index, size }.into());
    }
    let mut path = Vec::new();
    let (mut start, mut end) = (0, size);
    while end - start > 1 {
        let split = start + largest_power_of_two_below(end - start);
        if index < split {
            path.push(node(src, split, end));
            end = split;
        } else {
            path.push(perfect(src, start, split));
            start = split;
        }
    }
    collect_upwards(path)
}

/// The consistency proof from the tree of the first `from` leaves to that of the first `to`
/// (RFC 9162 §2.1.4.1 PROOF). Empty when `from == to`; `from == 0` is refused.
pub fn consistency_proof<S: Subtrees>(
    src: &S,
    from: u64,
    to: u64,
) -> Result<Vec<Hash>, TreeError<S::Error>> {
    check_consistency_sizes(from, to)?;
    let mut path = Vec::new();
    // SUBPROOF(m, D[start:end], old_is_whole_subtree), unrolled.
    let (mut start, mut end, mut old_in_node) = (0, to, from);
    let mut old_is_whole_subtree = true;
    while old_in_node < end - start {
        let width = largest_power_of_two_below(end - start);
        let split = start + width;
        if old_in_node <= width {
            path.push(node(src, split, end));
            end = split;
        } else {
            path.push(perfect(src, start, split));
            start = split;
            old_in_node -= width;
            old_is_whole_subtree = false;
        }
    }
    if !old_is_whole_subtree {
        path.push(node(src, start, end));
    }
    collect_upwards(path)
}

/// The sizes a consistency proof exists for: `0 < from ≤ to`.
fn check_consistency_sizes(from: u64, to: u64) -> Result<(), RangeError> {
    if from > to {
        return Err(RangeError::FromAfterTo { from, to });
    }
    if from == 0 {
        return Err(RangeError::FromEmptyTree);
    }
    Ok(())
}

/// Hashes gathered from the root downwards, returned from the bottom up as proofs list them.
fn collect_upwards<E>(path: Vec<Result<Hash, E>>) -> Result<Vec<Hash>, TreeError<E>> {
    let mut hashes = path
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(TreeError::Source)?;
    hashes.reverse();
    Ok(hashes)
}

/// The hash of the tree node over leaves `[start, end)`, `start < end`, as a node of an RFC
/// tree: `start` is a multiple of the largest power of two not above `end - start`, which holds
/// for every node of every tree size. Its perfect pieces, widest first, are folded from the right.
fn node<S: Subtrees>(src: &S, start: u64, end: u64) -> Result<Hash, S::Error> {
    let mut pieces = Vec::with_capacity(64);
    let mut piece_start = start;
    while piece_start < end {
        let width = 1u64 << (u64::BITS - 1 - (end - piece_start).leading_zeros());
        pieces.push(perfect(src, piece_start, piece_start + width)?);
        piece_start += width;
    }
    let mut pieces = pieces.into_iter().rev();
    let last = pieces.next().unwrap_or(EMPTY_ROOT);
    Ok(pieces.fold(last, |right, left| node_hash(&left, &right)))
}

/// The perfect subtree over `[start, end)`, whose width is a power of two dividing `start`.
fn perfect<S: Subtrees>(src: &S, start: u64, end: u64) -> Result<Hash, S::Error> {
    let level = (end - start).trailing_zeros();
    src.perfect(level, start >> level)
}

/// The largest power of two strictly below `n`, for `n ≥ 2`.
fn largest_power_of_two_below(n: u64) -> u64 {
    1 << (u64::BITS - 1 - (n - 1).leading_zeros())
}
