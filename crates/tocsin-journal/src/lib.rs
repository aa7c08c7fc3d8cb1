//! The cryptographic core of tocsin's verifiable audit journal.
//!
//! The journal is an append-only log whose entries are the leaves of an RFC 9162 Merkle tree
//! (`merkle`): anyone holding a tree head can check that an entry is in the log (inclusion) and
//! that a later tree extends an earlier one without rewriting it (consistency). Tree heads are
//! published as C2SP checkpoints inside Ed25519 signed notes (`note`), the format the
//! Certificate Transparency and Go checksum database ecosystems read.
//!
//! This crate owns the bytes — how leaves, nodes, checkpoints and signatures are encoded — and
//! nothing else: no IO, no threads, no wall clock. The stored log reaches it through the
//! `merkle::Subtrees` trait; the journal table, its typed events and the HTTP endpoints live in
//! the crates that use it.
//!
//! Expected cost (SHA-256 of 65 bytes is well under a microsecond on a current core): a root,
//! an inclusion proof or a consistency proof over a log of 10 million entries needs at most
//! about 2·log₂(n) ≈ 48 subtree look-ups and as many hashes; verifying a proof needs
//! log₂(n) + 1 hashes; appending an entry hashes one leaf plus one node per perfect subtree it
//! completes (two on average). Signing or verifying a checkpoint is one Ed25519 operation, tens
//! of microseconds.

pub mod merkle;
pub mod note;
