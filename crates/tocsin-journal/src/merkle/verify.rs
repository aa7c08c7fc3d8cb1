//! Proof verification, RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), step by step.
//!
//! A proof is checked in two parts: its length must be the one the sizes determine (so a
//! truncated or padded proof is named as such, and no loop runs longer than 128 steps), and
//! then the RFC algorithm recomputes the root(s) from it. Both verifiers are total: any sizes,
//! indexes and proofs give `Ok` or a [`ProofError`], never a panic.

use super::{Hash, RangeError, check_consistency_sizes, node_hash};

/// Why a proof does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error(transparent)]
    Range(#[from] RangeError),
    #[error("the proof has {actual} hashes; these sizes need {expected}")]
    WrongProofLength { expected: usize, actual: usize },
    /// The RFC algorithm ran off either end of the path. The length check comes first, so this
    /// would mean it disagrees with the algorithm (the property tests say it does not); the
    /// steps are kept as the RFC writes them.
    #[error("the proof's hashes do not fit the tree sizes")]
    PathMisfit,
    #[error("the proof does not lead to the old root")]
    OldRootMismatch,
    #[error("the proof does not lead to the root")]
    RootMismatch,
}

/// Checks that `leaf_hash` is leaf `index` of the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(RangeError::IndexOutOfRange { index, size }.into());
    }
    check_length(inclusion_proof_length(index, size), proof)?;
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if s_n == 0 {
            return Err(ProofError::PathMisfit);
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                (f_n, s_n) = shift_until_odd_or_zero(f_n, s_n);
            }
        } else {
            r = node_hash(&r, p);
        }
        (f_n, s_n) = (f_n >> 1, s_n >> 1);
    }
    if s_n != 0 {
        return Err(ProofError::PathMisfit);
    }
    if r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `to` leaves with root `new_root` extends the tree of `from` leaves
/// with root `old_root`. Equal sizes need an empty proof and equal roots; `from == 0` is refused.
pub fn verify_consistency(
    from: u64,
    to: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    check_consistency_sizes(from, to)?;
    if from == to {
        check_length(0, proof)?;
        return match old_root == new_root {
            true => Ok(()),
            false => Err(ProofError::RootMismatch),
        };
    }
    check_length(consistency_proof_length(from, to), proof)?;
    // Step 2: when the old tree is a perfect subtree of the new one, its root starts the path.
    let prefix = from.is_power_of_two().then_some(old_root);
    let mut path = prefix.into_iter().chain(proof);
    let first = path.next().ok_or(ProofError::PathMisfit)?;
    let (mut f_n, mut s_n) = (from - 1, to - 1);
    while f_n & 1 == 1 {
        (f_n, s_n) = (f_n >> 1, s_n >> 1);
    }
    let (mut f_r, mut s_r) = (*first, *first);
    for c in path {
        if s_n == 0 {
            return Err(ProofError::PathMisfit);
        }
        if f_n & 1 == 1 || f_n == s_n {
            f_r = node_hash(c, &f_r);
            s_r = node_hash(c, &s_r);
            if f_n & 1 == 0 {
                (f_n, s_n) = shift_until_odd_or_zero(f_n, s_n);
            }
        } else {
            s_r = node_hash(&s_r, c);
        }
        (f_n, s_n) = (f_n >> 1, s_n >> 1);
    }
    if s_n != 0 {
        return Err(ProofError::PathMisfit);
    }
    if f_r != *old_root {
        return Err(ProofError::OldRootMismatch);
    }
    if s_r != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The number of hashes in the inclusion proof of leaf `index < size`: one per level below the
/// node where the paths to `index` and to the last leaf part (`inner`), plus one per perfect
/// left subtree above it on the right border (`border`).
fn inclusion_proof_length(index: u64, size: u64) -> usize {
    let inner = bit_length(index ^ (size - 1));
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner + border) as usize
}

/// The number of hashes in the consistency proof for `0 < from < to`: the inclusion path of
/// the old tree's last perfect subtree (of `2^trailing_zeros(from)` leaves), plus that subtree's
/// own hash unless it is the whole old tree, whose root the verifier already holds.
fn consistency_proof_length(from: u64, to: u64) -> usize {
    let last_old = from - 1;
    let inner = bit_length(last_old ^ (to - 1));
    let border = last_old.checked_shr(inner).unwrap_or(0).count_ones();
    let below_subtree = from.trailing_zeros();
    let own_hash = u32::from(!from.is_power_of_two());
    (inner.saturating_sub(below_subtree) + border + own_hash) as usize
}

fn bit_length(n: u64) -> u32 {
    u64::BITS - n.leading_zeros()
}

fn shift_until_odd_or_zero(mut f_n: u64, mut s_n: u64) -> (u64, u64) {
    while f_n != 0 && f_n & 1 == 0 {
        (f_n, s_n) = (f_n >> 1, s_n >> 1);
    }
    (f_n, s_n)
}

fn check_length(expected: usize, proof: &[Hash]) -> Result<(), ProofError> {
    match proof.len() == expected {
        true => Ok(()),
        false => Err(ProofError::WrongProofLength {
            expected,
            actual: proof.len(),
        }),
    }
}
