//! Cross-checks with `crates/tocsin/tests/audit_verifier.py`, a verifier written in Python from
//! the specifications alone: its self-test of the published vectors, then a tree, proofs and
//! checkpoints made here that it must accept, and tampered copies it must refuse.
//!
//! Needs `python3` with the `cryptography` package; without them the tests say so and pass,
//! and under `TOCSIN_REQUIRE_SERVICES=1` they fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::json;
use tocsin_journal::merkle::{
    Hash, MemoryTree, consistency_proof, inclusion_proof, leaf_hash, root,
};
use tocsin_journal::note::{Checkpoint, NoteSigner};

const ORIGIN: &str = "tocsin.example/journal";
const SIZE: u64 = 1000;
const PREVIOUS_SIZE: u64 = 600;
const SAMPLES: [u64; 8] = [0, 1, 255, 256, 511, 512, 998, 999];

fn verifier_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tocsin/tests/audit_verifier.py")
}

/// Whether python3 with `cryptography` is here; panics if it is required and missing.
fn python_available() -> bool {
    let probe = Command::new("python3")
        .args(["-c", "import cryptography"])
        .output();
    if probe.is_ok_and(|out| out.status.success()) {
        return true;
    }
    let required = std::env::var("TOCSIN_REQUIRE_SERVICES").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "python3 with the cryptography package is required (TOCSIN_REQUIRE_SERVICES=1) but missing"
    );
    eprintln!("skipped: python3 with the cryptography package is not installed");
    false
}

fn run_verifier(args: &[&str]) -> Output {
    Command::new("python3")
        .arg(verifier_script())
        .args(args)
        .output()
        .expect("python3 runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_python_verifier_passes_its_selftest() {
    if !python_available() {
        return;
    }
    let out = run_verifier(&["selftest"]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).starts_with("OK: selftest"));
}

/// The leaf bytes of entry `i`: stand-ins for the journal's encoded events.
fn leaf_bytes(i: u64) -> Vec<u8> {
    format!("{{\"seq\":{i},\"kind\":\"observation.stored\"}}").into_bytes()
}

fn b64_all(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|h| BASE64.encode(h)).collect()
}

/// A change to the node's answers that the verifier must catch.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Tamper {
    None,
    EntryLeaf,
    InclusionHash,
    ConsistencyHash,
    CheckpointSigner,
}

struct Answers {
    dir: tempfile::TempDir,
    vkey: String,
}

impl Answers {
    fn path(&self) -> &str {
        self.dir.path().to_str().expect("a UTF-8 temporary path")
    }

    fn previous(&self) -> String {
        format!("{}/previous", self.path())
    }
}

fn write(dir: &Path, name: &str, contents: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// The answers a node of `SIZE` entries gives, as files, with one change if asked.
fn node_answers(tamper: Tamper) -> Answers {
    let mut tree = MemoryTree::new();
    for i in 0..SIZE {
        tree.push(&leaf_bytes(i));
    }
    let signer = NoteSigner::from_seed(ORIGIN, &[7; 32]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let checkpoint_note = |size| {
        let checkpoint = Checkpoint::new(ORIGIN, size, root(&tree, size).unwrap()).unwrap();
        signer.sign_checkpoint(&checkpoint).unwrap()
    };
    write(d, "previous", &checkpoint_note(PREVIOUS_SIZE));
    let note = match tamper {
        Tamper::CheckpointSigner => {
            let impostor = NoteSigner::from_seed(ORIGIN, &[8; 32]).unwrap();
            let checkpoint = Checkpoint::new(ORIGIN, SIZE, root(&tree, SIZE).unwrap()).unwrap();
            claim_key_id(
                &impostor.sign_checkpoint(&checkpoint).unwrap(),
                signer.key_id(),
            )
        }
        _ => checkpoint_note(SIZE),
    };
    write(d, "checkpoint", &note);
    for index in SAMPLES {
        let mut leaf = leaf_bytes(index);
        if tamper == Tamper::EntryLeaf && index == 511 {
            leaf[2] = b'S';
        }
        let entry = json!({"entries": [{
            "index": index,
            "leaf": BASE64.encode(&leaf),
            "event": {"seq": index, "kind": "observation.stored"},
        }]});
        write(d, &format!("entries/{index}.json"), &entry.to_string());
        let mut proof = inclusion_proof(&tree, index, SIZE).unwrap();
        if tamper == Tamper::InclusionHash && index == 998 {
            proof[3][31] ^= 0x80;
        }
        let answer = json!({
            "leaf_index": index,
            "tree_size": SIZE,
            "leaf_hash": BASE64.encode(leaf_hash(&leaf_bytes(index))),
            "hashes": b64_all(&proof),
        });
        write(
            d,
            &format!("inclusion/{index}-{SIZE}.json"),
            &answer.to_string(),
        );
    }
    let mut proof = consistency_proof(&tree, PREVIOUS_SIZE, SIZE).unwrap();
    if tamper == Tamper::ConsistencyHash {
        proof[0][0] ^= 1;
    }
    let answer = json!({"from": PREVIOUS_SIZE, "to": SIZE, "hashes": b64_all(&proof)});
    write(
        d,
        &format!("consistency/{PREVIOUS_SIZE}-{SIZE}.json"),
        &answer.to_string(),
    );
    Answers {
        dir,
        vkey: signer.vkey(),
    }
}

/// The note with its signature claiming `key_id`, so that a verifier of that key checks it.
fn claim_key_id(note: &str, key_id: u32) -> String {
    let (text, line) = note.rsplit_once("\n\n").unwrap();
    let (name, signature) = line.trim_end().rsplit_once(' ').unwrap();
    let mut signature = BASE64.decode(signature).unwrap();
    signature[..4].copy_from_slice(&key_id.to_be_bytes());
    format!("{text}\n\n{name} {}\n", BASE64.encode(signature))
}

fn verify(answers: &Answers) -> Output {
    let previous = answers.previous();
    run_verifier(&[
        "verify",
        answers.path(),
        &answers.vkey,
        "--previous",
        &previous,
    ])
}

#[test]
fn the_python_verifier_accepts_a_tree_built_here() {
    if !python_available() {
        return;
    }
    let answers = node_answers(Tamper::None);
    let out = verify(&answers);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let expected = format!(
        "OK: {ORIGIN} at {SIZE} entries, {} entries proven, extends the previous checkpoint\n",
        SAMPLES.len()
    );
    assert_eq!(text(&out.stdout), expected);
}

#[test]
fn the_python_verifier_refuses_each_tampered_answer() {
    if !python_available() {
        return;
    }
    let cases = [
        (
            Tamper::EntryLeaf,
            "FAIL: entry 511: the node's leaf hash is not the hash of the entry's leaf bytes\n",
        ),
        (
            Tamper::InclusionHash,
            "FAIL: entry 998: inclusion proof of leaf 998 in 1000 does not lead to the root\n",
        ),
        (
            Tamper::ConsistencyHash,
            "FAIL: consistency proof from 600 to 1000 does not lead to the old root\n",
        ),
        (
            Tamper::CheckpointSigner,
            "FAIL: the signature of tocsin.example/journal does not verify\n",
        ),
    ];
    for (tamper, expected) in cases {
        let out = verify(&node_answers(tamper));
        assert_eq!(
            out.status.code(),
            Some(1),
            "{tamper:?}: {}",
            text(&out.stdout)
        );
        assert_eq!(text(&out.stderr), expected, "{tamper:?}");
    }
}
