//! Helpers shared by the tests: hex, trees of numbered leaves, and the RFC 9162 definitions
//! written as the RFC states them (recursive, over all leaves), to compare the crate against.

use tocsin_journal::merkle::{Hash, MemoryTree, leaf_hash, node_hash};

pub fn hex_hash(text: &str) -> Hash {
    let bytes = hex_bytes(text);
    bytes.try_into().expect("a 32-byte hash in hex")
}

pub fn hex_bytes(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The bytes of leaf `i` in the numbered trees: distinct for every index.
pub fn numbered_leaf(i: u64) -> Vec<u8> {
    format!("entry {i}").into_bytes()
}

pub fn numbered_tree(size: u64) -> MemoryTree {
    let mut tree = MemoryTree::new();
    for i in 0..size {
        tree.push(&numbered_leaf(i));
    }
    tree
}

pub fn numbered_leaf_hashes(size: u64) -> Vec<Hash> {
    (0..size).map(|i| leaf_hash(&numbered_leaf(i))).collect()
}

/// The largest power of two strictly below `n ≥ 2`.
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]), RFC 9162 §2.1.1, over leaf hashes.
pub fn reference_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => tocsin_journal::merkle::EMPTY_ROOT,
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
        }
    }
}

/// PATH(m, D[n]), RFC 9162 §2.1.3.1.
pub fn reference_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = split(n);
    let (mut path, sibling) = match m < k {
        true => (
            reference_path(m, &leaves[..k]),
            reference_root(&leaves[k..]),
        ),
        false => (
            reference_path(m - k, &leaves[k..]),
            reference_root(&leaves[..k]),
        ),
    };
    path.push(sibling);
    path
}

/// PROOF(m, D[n]) = SUBPROOF(m, D[n], true), RFC 9162 §2.1.4.1.
pub fn reference_consistency(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    reference_subproof(m, leaves, true)
}

fn reference_subproof(m: usize, leaves: &[Hash], whole: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return match whole {
            true => Vec::new(),
            false => vec![reference_root(leaves)],
        };
    }
    let k = split(n);
    let (mut proof, last) = match m <= k {
        true => (
            reference_subproof(m, &leaves[..k], whole),
            reference_root(&leaves[k..]),
        ),
        false => (
            reference_subproof(m - k, &leaves[k..], false),
            reference_root(&leaves[..k]),
        ),
    };
    proof.push(last);
    proof
}
