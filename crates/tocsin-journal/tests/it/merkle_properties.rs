//! Properties: the proofs the crate builds from stored subtrees are the RFC's PATH and PROOF
//! over all leaves, they verify, and one changed bit, index or size makes them fail.

use std::cell::Cell;

use proptest::prelude::*;
use tocsin_journal::merkle::{
    Hash, PerfectNode, Subtrees, completed_by_append, consistency_proof, inclusion_proof,
    leaf_hash, node_hash, root, verify_consistency, verify_inclusion,
};

use crate::support::{
    numbered_leaf_hashes, numbered_tree, reference_consistency, reference_path, reference_root,
};

#[test]
fn small_trees_match_the_rfc_definitions_exhaustively() {
    let tree = numbered_tree(70);
    let leaves = numbered_leaf_hashes(70);
    for size in 1..=70u64 {
        let prefix = &leaves[..size as usize];
        let tree_root = reference_root(prefix);
        assert_eq!(root(&tree, size), Ok(tree_root), "root {size}");
        for index in 0..size {
            let proof = inclusion_proof(&tree, index, size).unwrap();
            assert_eq!(
                proof,
                reference_path(index as usize, prefix),
                "path {index} {size}"
            );
            let leaf = &leaves[index as usize];
            assert_eq!(
                verify_inclusion(leaf, index, size, &proof, &tree_root),
                Ok(())
            );
        }
        for from in 1..=size {
            let proof = consistency_proof(&tree, from, size).unwrap();
            let expected = reference_consistency(from as usize, prefix);
            assert_eq!(proof, expected, "proof {from} {size}");
            let old_root = reference_root(&leaves[..from as usize]);
            let checked = verify_consistency(from, size, &old_root, &tree_root, &proof);
            assert_eq!(checked, Ok(()), "consistency {from} {size}");
        }
    }
}

#[test]
fn an_append_completes_the_subtrees_whose_width_divides_the_new_size() {
    let tree = numbered_tree(64);
    let leaves = numbered_leaf_hashes(66);
    let completed = completed_by_append(&tree, 63, leaves[63]).unwrap();
    let levels: Vec<_> = completed
        .iter()
        .map(|node| (node.level, node.index))
        .collect();
    assert_eq!(levels, [(1, 31), (2, 15), (3, 7), (4, 3), (5, 1), (6, 0)]);
    assert_eq!(
        completed.last().map(|node| node.hash),
        Some(reference_root(&leaves[..64]))
    );
    assert_eq!(completed_by_append(&tree, 64, leaves[64]), Ok(Vec::new()));
    let expected = PerfectNode {
        level: 1,
        index: 32,
        hash: node_hash(&leaves[64], &leaves[65]),
    };
    let mut grown = numbered_tree(65);
    assert_eq!(
        completed_by_append(&grown, 65, leaves[65]),
        Ok(vec![expected])
    );
    assert_eq!(grown.push_hash(leaves[65]), 65);
    assert_eq!(grown.perfect(1, 32), Ok(expected.hash));
}

/// A log of any size whose stored hashes are made up, counting the look-ups made of it.
struct CountingLog {
    reads: Cell<u64>,
}

impl Subtrees for CountingLog {
    type Error = std::convert::Infallible;

    fn perfect(&self, level: u32, index: u64) -> Result<Hash, Self::Error> {
        self.reads.set(self.reads.get() + 1);
        let mut name = level.to_be_bytes().to_vec();
        name.extend_from_slice(&index.to_be_bytes());
        Ok(leaf_hash(&name))
    }
}

#[test]
fn ten_million_entries_need_a_few_dozen_lookups_per_answer() {
    let log = CountingLog {
        reads: Cell::new(0),
    };
    let size = 10_000_000 - 1;
    let mut most = 0;
    let mut measure = |answer: &dyn Fn()| {
        log.reads.set(0);
        answer();
        most = most.max(log.reads.get());
    };
    measure(&|| drop(root(&log, size)));
    for index in [0, 1, size / 2, size - 2, size - 1] {
        measure(&|| drop(inclusion_proof(&log, index, size)));
    }
    for from in [1, 2, 4_194_303, 8_388_608, size - 1, size] {
        measure(&|| drop(consistency_proof(&log, from, size)));
    }
    // log₂(10⁷) ≈ 23.3: one hash per level on the path, one per set bit of the size.
    assert!(most <= 48, "{most} look-ups");
}

#[test]
fn a_large_tree_proves_every_sampled_leaf_and_size() {
    let size = (1 << 14) + 12_345;
    let tree = numbered_tree(size);
    let leaves = numbered_leaf_hashes(size);
    let tree_root = root(&tree, size).unwrap();
    for index in (0..size).step_by(997).chain([size - 1]) {
        let proof = inclusion_proof(&tree, index, size).unwrap();
        let leaf = &leaves[index as usize];
        assert_eq!(
            verify_inclusion(leaf, index, size, &proof, &tree_root),
            Ok(())
        );
    }
    for from in (1..size).step_by(1009).chain([1 << 14, size - 1]) {
        let old_root = root(&tree, from).unwrap();
        let proof = consistency_proof(&tree, from, size).unwrap();
        assert_eq!(
            verify_consistency(from, size, &old_root, &tree_root, &proof),
            Ok(())
        );
    }
}

fn flip_bit(hashes: &mut [Hash], bit: usize) {
    let bit = bit % (hashes.len() * 256);
    hashes[bit / 256][(bit % 256) / 8] ^= 1 << (bit % 8);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn every_inclusion_proof_verifies_and_any_change_fails(
        size in 1u64..3000,
        pick in any::<u64>(),
        other in any::<u64>(),
        bit in any::<usize>(),
    ) {
        let tree = numbered_tree(size);
        let leaves = numbered_leaf_hashes(size);
        let tree_root = root(&tree, size).unwrap();
        for index in 0..size {
            let proof = inclusion_proof(&tree, index, size).unwrap();
            let leaf = &leaves[index as usize];
            prop_assert_eq!(verify_inclusion(leaf, index, size, &proof, &tree_root), Ok(()));
        }
        let index = pick % size;
        let proof = inclusion_proof(&tree, index, size).unwrap();
        let leaf = leaves[index as usize];
        if !proof.is_empty() {
            let mut flipped = proof.clone();
            flip_bit(&mut flipped, bit);
            prop_assert!(verify_inclusion(&leaf, index, size, &flipped, &tree_root).is_err());
        }
        let mut flipped_leaf = [leaf];
        flip_bit(&mut flipped_leaf, bit);
        prop_assert!(verify_inclusion(&flipped_leaf[0], index, size, &proof, &tree_root).is_err());
        let mut flipped_root = [tree_root];
        flip_bit(&mut flipped_root, bit);
        prop_assert!(verify_inclusion(&leaf, index, size, &proof, &flipped_root[0]).is_err());
        let wrong_index = other % size;
        if wrong_index != index {
            prop_assert!(verify_inclusion(&leaf, wrong_index, size, &proof, &tree_root).is_err());
        }
        // Another size, against that size's root: the proof binds the leaf to its tree.
        let wrong_size = 1 + other % 3000;
        if wrong_size != size && index < wrong_size {
            let bigger = numbered_tree(wrong_size.max(size));
            let other_root = root(&bigger, wrong_size).unwrap();
            prop_assert!(verify_inclusion(&leaf, index, wrong_size, &proof, &other_root).is_err());
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_any_change_fails(
        size in 1u64..3000,
        pick in any::<u64>(),
        other in any::<u64>(),
        bit in any::<usize>(),
    ) {
        let tree = numbered_tree(size);
        let roots: Vec<Hash> = (0..=size).map(|n| root(&tree, n).unwrap()).collect();
        for from in 1..=size {
            let proof = consistency_proof(&tree, from, size).unwrap();
            let checked = verify_consistency(from, size, &roots[from as usize], &roots[size as usize], &proof);
            prop_assert_eq!(checked, Ok(()));
        }
        let from = 1 + pick % size;
        let proof = consistency_proof(&tree, from, size).unwrap();
        let (old, new) = (roots[from as usize], roots[size as usize]);
        if !proof.is_empty() {
            let mut flipped = proof.clone();
            flip_bit(&mut flipped, bit);
            prop_assert!(verify_consistency(from, size, &old, &new, &flipped).is_err());
        }
        let mut flipped_roots = [old, new];
        flip_bit(&mut flipped_roots, bit);
        let [bad_old, bad_new] = flipped_roots;
        prop_assert!(verify_consistency(from, size, &bad_old, &bad_new, &proof).is_err());
        let wrong_from = 1 + other % size;
        if wrong_from != from {
            let checked = verify_consistency(wrong_from, size, &roots[wrong_from as usize], &new, &proof);
            prop_assert!(checked.is_err());
        }
        let wrong_to = from + other % size;
        if wrong_to < size {
            let checked = verify_consistency(from, wrong_to, &old, &roots[wrong_to as usize], &proof);
            prop_assert!(checked.is_err());
        }
    }
}
