//! The RFC 6962 reference tree of Certificate Transparency: eight leaves, their perfect
//! subtrees, the roots of sizes 0 to 8, and inclusion and consistency proofs.
//!
//! Source of the vectors: github.com/transparency-dev/merkle — `testonly/constants.go`
//! (LeafInputs, NodeHashes, RootHashes) at 417fb0c314750d94e53942e9f92e79b6d35915db, and the
//! `inclusionProofs` and `consistencyProofs` tables of `proof/verify_test.go` at
//! 022f84cb1f2655a4399874cfa190c3f1d60b32a8 (their leaf numbers are 1-based; the indexes here
//! are 0-based). They descend from the certificate-transparency project's RFC 6962 tests.

use tocsin_journal::merkle::{
    EMPTY_ROOT, MemoryTree, NotInTree, ProofError, RangeError, Subtrees, TreeError,
    consistency_proof, inclusion_proof, leaf_hash, root, verify_consistency, verify_inclusion,
};

use crate::support::{hex_bytes, hex_hash};

const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// Roots by size, from 1.
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// Perfect subtree hashes by level, then index.
const PERFECT: [&[&str]; 4] = [
    &[
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    &[
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    &[
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    &["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
];

/// (leaf index, tree size, proof).
const INCLUSION: [(u64, u64, &[&str]); 5] = [
    (0, 1, &[]),
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        3,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

/// (old size, new size, proof).
const CONSISTENCY: [(u64, u64, &[&str]); 5] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

fn reference_tree() -> MemoryTree {
    let mut tree = MemoryTree::new();
    for leaf in LEAVES {
        tree.push(&hex_bytes(leaf));
    }
    tree
}

fn hashes(hex: &[&str]) -> Vec<tocsin_journal::merkle::Hash> {
    hex.iter().map(|h| hex_hash(h)).collect()
}

fn root_of(size: u64) -> tocsin_journal::merkle::Hash {
    hex_hash(ROOTS[size as usize - 1])
}

#[test]
fn empty_root_is_sha256_of_nothing() {
    assert_eq!(
        EMPTY_ROOT,
        hex_hash("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
    assert_eq!(root(&MemoryTree::new(), 0), Ok(EMPTY_ROOT));
}

#[test]
fn leaf_hashes_and_perfect_subtrees_match_the_reference_tree() {
    let tree = reference_tree();
    for (i, leaf) in LEAVES.iter().enumerate() {
        assert_eq!(
            leaf_hash(&hex_bytes(leaf)),
            hex_hash(PERFECT[0][i]),
            "leaf {i}"
        );
    }
    for (level, expected) in PERFECT.iter().enumerate() {
        for (index, hash) in expected.iter().enumerate() {
            let stored = tree.perfect(level as u32, index as u64);
            assert_eq!(stored, Ok(hex_hash(hash)), "level {level} index {index}");
        }
    }
}

#[test]
fn roots_of_every_size_match_the_reference_tree() {
    let tree = reference_tree();
    for size in 1..=8 {
        assert_eq!(root(&tree, size), Ok(root_of(size)), "size {size}");
    }
}

#[test]
fn inclusion_proofs_match_and_verify() {
    let tree = reference_tree();
    for (index, size, proof) in INCLUSION {
        let expected = hashes(proof);
        assert_eq!(inclusion_proof(&tree, index, size), Ok(expected.clone()));
        let leaf = leaf_hash(&hex_bytes(LEAVES[index as usize]));
        let checked = verify_inclusion(&leaf, index, size, &expected, &root_of(size));
        assert_eq!(checked, Ok(()), "leaf {index} in {size}");
    }
}

#[test]
fn consistency_proofs_match_and_verify() {
    let tree = reference_tree();
    for (from, to, proof) in CONSISTENCY {
        let expected = hashes(proof);
        assert_eq!(consistency_proof(&tree, from, to), Ok(expected.clone()));
        let checked = verify_consistency(from, to, &root_of(from), &root_of(to), &expected);
        assert_eq!(checked, Ok(()), "{from} to {to}");
    }
}

#[test]
fn vectors_with_one_change_fail() {
    let (index, size, proof) = INCLUSION[2];
    let proof = hashes(proof);
    let leaf = leaf_hash(&hex_bytes(LEAVES[index as usize]));
    let root = root_of(size);
    let mut flipped = proof.clone();
    flipped[1][7] ^= 0x10;
    let cases = [
        (
            verify_inclusion(&leaf, index, size, &flipped, &root),
            ProofError::RootMismatch,
        ),
        (
            verify_inclusion(&leaf, index + 1, size, &proof, &root),
            ProofError::RootMismatch,
        ),
        (
            verify_inclusion(&leaf, index, size * 2, &proof, &root),
            ProofError::WrongProofLength {
                expected: 4,
                actual: 3,
            },
        ),
        (
            verify_inclusion(&leaf, index, size, &proof[..2], &root),
            ProofError::WrongProofLength {
                expected: 3,
                actual: 2,
            },
        ),
        (
            verify_inclusion(&leaf, index, size, &proof, &root_of(7)),
            ProofError::RootMismatch,
        ),
    ];
    for (n, (outcome, expected)) in cases.into_iter().enumerate() {
        assert_eq!(outcome, Err(expected), "case {n}");
    }
}

#[test]
fn consistency_vectors_with_one_change_fail() {
    let (from, to, proof) = CONSISTENCY[2];
    let proof = hashes(proof);
    let (old, new) = (root_of(from), root_of(to));
    let mut flipped = proof.clone();
    flipped[0][0] ^= 1;
    let cases = [
        (
            verify_consistency(from, to, &old, &new, &flipped),
            ProofError::OldRootMismatch,
        ),
        (
            verify_consistency(from, to, &new, &old, &proof),
            ProofError::OldRootMismatch,
        ),
        (
            verify_consistency(from, to, &old, &old, &proof),
            ProofError::RootMismatch,
        ),
        (
            verify_consistency(from, to, &old, &new, &proof[1..]),
            ProofError::WrongProofLength {
                expected: 3,
                actual: 2,
            },
        ),
        (
            verify_consistency(from, from, &old, &new, &[]),
            ProofError::RootMismatch,
        ),
        (
            verify_consistency(from, from, &old, &old, &proof),
            ProofError::WrongProofLength {
                expected: 0,
                actual: 3,
            },
        ),
        (
            verify_consistency(to, from, &new, &old, &proof),
            ProofError::Range(RangeError::FromAfterTo { from: to, to: from }),
        ),
        (
            verify_consistency(0, to, &EMPTY_ROOT, &new, &[]),
            ProofError::Range(RangeError::FromEmptyTree),
        ),
        (
            verify_consistency(0, 0, &EMPTY_ROOT, &EMPTY_ROOT, &[]),
            ProofError::Range(RangeError::FromEmptyTree),
        ),
    ];
    for (n, (outcome, expected)) in cases.into_iter().enumerate() {
        assert_eq!(outcome, Err(expected), "case {n}");
    }
}

#[test]
fn sizes_beyond_the_tree_are_errors_not_panics() {
    let tree = reference_tree();
    fn beyond<T>(result: Result<T, TreeError<NotInTree>>) -> bool {
        matches!(result, Err(TreeError::Source(_)))
    }
    assert!(beyond(root(&tree, 9)));
    assert!(beyond(root(&tree, u64::MAX)));
    assert!(beyond(inclusion_proof(&tree, 3, 9)));
    assert!(beyond(inclusion_proof(&tree, u64::MAX - 1, u64::MAX)));
    assert!(beyond(consistency_proof(&tree, 3, u64::MAX)));
    assert!(beyond(consistency_proof(&tree, u64::MAX - 1, u64::MAX)));
    let out_of_range = RangeError::IndexOutOfRange { index: 8, size: 8 };
    assert_eq!(inclusion_proof(&tree, 8, 8), Err(out_of_range.into()));
    let empty = RangeError::IndexOutOfRange { index: 0, size: 0 };
    assert_eq!(inclusion_proof(&tree, 0, 0), Err(empty.into()));
    assert_eq!(
        consistency_proof(&tree, 0, 8),
        Err(RangeError::FromEmptyTree.into())
    );
    assert_eq!(consistency_proof(&tree, 8, 8), Ok(Vec::new()));
    let backwards = RangeError::FromAfterTo { from: 8, to: 7 };
    assert_eq!(consistency_proof(&tree, 8, 7), Err(backwards.into()));
}

#[test]
fn verifiers_take_extreme_sizes_without_panicking() {
    let leaf = leaf_hash(b"x");
    let long_proof = vec![leaf; 130];
    for (index, size) in [
        (0, u64::MAX),
        (u64::MAX - 1, u64::MAX),
        (1 << 63, u64::MAX),
        (0, 1),
    ] {
        for len in [0, 1, 63, 64, 65, 128, 130] {
            let outcome = verify_inclusion(&leaf, index, size, &long_proof[..len], &leaf);
            assert!(
                size == 1 && len == 0 || outcome.is_err(),
                "{index} {size} {len}"
            );
        }
    }
    for (from, to) in [
        (1, u64::MAX),
        (u64::MAX - 1, u64::MAX),
        (1 << 63, u64::MAX),
        (u64::MAX, u64::MAX),
    ] {
        for len in [0, 1, 63, 64, 65, 128, 130] {
            let outcome = verify_consistency(from, to, &leaf, &EMPTY_ROOT, &long_proof[..len]);
            assert!(outcome.is_err(), "{from} {to} {len}");
        }
    }
    let index_beyond = RangeError::IndexOutOfRange {
        index: u64::MAX,
        size: u64::MAX,
    };
    assert_eq!(
        verify_inclusion(&leaf, u64::MAX, u64::MAX, &[], &leaf),
        Err(index_beyond.into())
    );
}
