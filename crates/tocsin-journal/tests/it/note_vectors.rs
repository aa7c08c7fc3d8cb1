//! Signed notes and checkpoints: Go's published note vectors, round trips and tampering.
//!
//! Source of the vectors: golang.org/x/mod, `sumdb/note/note_test.go` (TestNewVerifier,
//! TestNewSigner, TestSign, TestOpen) at github.com/golang/mod
//! fe2ec04f7c3c3aa6fad97631aafcff6e49e2d1db. Ed25519 is deterministic, so signing the same
//! text with the same key must give the published bytes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use tocsin_journal::merkle::EMPTY_ROOT;
use tocsin_journal::note::{
    Checkpoint, CheckpointError, KeyError, NoteError, NoteSigner, NoteVerifier,
};

const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const PETER_SIGNATURE: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIGNATURE: &str = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

fn peter() -> NoteSigner {
    NoteSigner::from_skey(PETER_SKEY).unwrap()
}

#[test]
fn signing_the_go_text_gives_the_published_note() {
    let signer = peter();
    assert_eq!(signer.name(), "PeterNeumann");
    assert_eq!(signer.key_id(), 0xc74f20a3);
    assert_eq!(signer.vkey(), PETER_VKEY);
    assert_eq!(signer.skey(), PETER_SKEY);
    assert_eq!(signer.sign(TEXT), Ok(format!("{TEXT}\n{PETER_SIGNATURE}")));
}

#[test]
fn the_published_note_verifies_and_other_signers_are_listed() {
    let verifier = NoteVerifier::from_vkey(PETER_VKEY).unwrap();
    assert_eq!(verifier.name(), "PeterNeumann");
    assert_eq!(verifier.key_id(), 0xc74f20a3);
    let note = format!("{TEXT}\n{PETER_SIGNATURE}{ENOCH_SIGNATURE}");
    let opened = verifier.verify(&note).unwrap();
    assert_eq!(opened.text, TEXT);
    assert_eq!(opened.other_signers, ["EnochRoot"]);

    let enoch = NoteVerifier::from_vkey(ENOCH_VKEY).unwrap();
    assert_eq!(
        enoch.verify(&note).map(|n| n.other_signers),
        Ok(vec!["PeterNeumann"])
    );
    let only_peter = format!("{TEXT}\n{PETER_SIGNATURE}");
    let unsigned = NoteError::NoKnownSignature {
        name: "EnochRoot".into(),
        key_id: 0xaf0cfe78,
    };
    assert_eq!(enoch.verify(&only_peter), Err(unsigned));
}

#[test]
fn every_mangled_key_is_refused() {
    // Every proper substring and every single-byte change of the published keys.
    for (key, parse) in [
        (
            PETER_VKEY,
            (|k: &str| NoteVerifier::from_vkey(k).is_ok()) as fn(&str) -> bool,
        ),
        (PETER_SKEY, |k: &str| NoteSigner::from_skey(k).is_ok()),
    ] {
        let bytes = key.as_bytes();
        for start in 0..bytes.len() {
            for end in start + 1..=bytes.len() {
                let part = &key[start..end];
                assert!(part == key || !parse(part), "{part:?}");
            }
        }
        for i in 0..bytes.len() {
            let mut changed = bytes.to_vec();
            changed[i] = changed[i].wrapping_add(1);
            if let Ok(changed) = String::from_utf8(changed) {
                assert!(!parse(&changed), "{changed:?}");
            }
        }
    }
}

#[test]
fn keys_are_refused_with_a_reason() {
    let cases = [
        ("PeterNeumann+c74f20a3", KeyError::MissingPart),
        (
            "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            KeyError::BadKeyId,
        ),
        (
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            KeyError::KeyIdMismatch,
        ),
        (
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            KeyError::BadName,
        ),
        (
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
            KeyError::BadBase64,
        ),
        (
            "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            KeyError::NotEd25519,
        ),
        // Go's wrong-length key: its last character has trailing bits set, not canonical base64.
        (
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
            KeyError::BadBase64,
        ),
    ];
    let short_key = format!("PeterNeumann+c74f20a3+{}", BASE64.encode([1; 32]));
    for (vkey, expected) in cases {
        assert_eq!(NoteVerifier::from_vkey(vkey), Err(expected), "{vkey}");
    }
    assert_eq!(
        NoteVerifier::from_vkey(&short_key),
        Err(KeyError::NotEd25519)
    );
    assert_eq!(
        NoteSigner::from_skey(PETER_VKEY).map(|_| ()),
        Err(KeyError::NotSignerKey)
    );
    assert_eq!(
        NoteSigner::from_seed("a+b", &[7; 32]).map(|_| ()),
        Err(KeyError::BadName)
    );
}

#[test]
fn a_seed_round_trips_through_its_keys() {
    let signer = NoteSigner::from_seed("tocsin.example/journal", &[42; 32]).unwrap();
    let again = NoteSigner::from_skey(&signer.skey()).unwrap();
    assert_eq!(again.vkey(), signer.vkey());
    assert_eq!(
        NoteVerifier::from_vkey(&signer.vkey()),
        Ok(signer.verifier())
    );
    let note = signer.sign("hello\n").unwrap();
    assert_eq!(again.sign("hello\n"), Ok(note.clone()));
    assert_eq!(
        signer.verifier().verify(&note).map(|n| n.text),
        Ok("hello\n")
    );
    assert!(!format!("{signer:?}").contains(&signer.skey()[12..]));
}

#[test]
fn tampered_notes_are_refused() {
    let signer = peter();
    let verifier = signer.verifier();
    let note = signer.sign(TEXT).unwrap();
    let bad_signature = NoteError::BadSignature {
        name: "PeterNeumann".into(),
        key_id: 0xc74f20a3,
    };
    let not_signed = NoteError::NoKnownSignature {
        name: "PeterNeumann".into(),
        key_id: 0xc74f20a3,
    };
    let signature_at = note.find("x08go").unwrap();
    let cases = [
        (note.replacen("think", "thinK", 1), bad_signature.clone()),
        (swap_char(&note, signature_at + 10, 'A'), bad_signature),
        (
            note.replacen("— PeterNeumann", "— PeterNeuman", 1),
            not_signed.clone(),
        ),
        (note.replacen("x08go", "x08gp", 1), not_signed),
        (
            note.trim_end_matches('\n').to_string(),
            NoteError::SignaturesUnterminated,
        ),
        (TEXT.to_string(), NoteError::NoSignatureBlock),
        (note.replacen("\n\n", "\n", 1), NoteError::NoSignatureBlock),
        (
            note.replacen("— ", "-- ", 1),
            NoteError::MalformedSignature { line: 1 },
        ),
        (
            note.replacen("problem,", "problem,\r", 1),
            NoteError::ControlCharacter,
        ),
        (
            format!("{note}— PeterNeumann\n"),
            NoteError::MalformedSignature { line: 2 },
        ),
        (
            format!("{note}{}", "— x AAAAAAA=\n".repeat(100)),
            NoteError::TooManySignatures,
        ),
    ];
    for (tampered, expected) in cases {
        assert_eq!(verifier.verify(&tampered), Err(expected), "{tampered:?}");
    }
    assert_eq!(
        signer.sign("no final newline"),
        Err(NoteError::TextUnterminated)
    );
    assert_eq!(signer.sign(""), Err(NoteError::TextUnterminated));
    assert_eq!(signer.sign("tab\there\n"), Err(NoteError::ControlCharacter));
}

fn swap_char(text: &str, at: usize, with: char) -> String {
    let mut changed = text.to_string();
    let old = if &text[at..=at] == "A" { 'B' } else { with };
    changed.replace_range(at..=at, &old.to_string());
    changed
}

fn root_a() -> [u8; 32] {
    let mut root = EMPTY_ROOT;
    root[0] = 0xa0;
    root
}

#[test]
fn a_checkpoint_body_has_three_lines_then_its_extensions() {
    let mut checkpoint = Checkpoint::new("tocsin.example/journal", 1234, root_a()).unwrap();
    let body = "tocsin.example/journal\n1234\noLDEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n";
    assert_eq!(checkpoint.body(), body);
    assert_eq!(Checkpoint::parse(body), Ok(checkpoint.clone()));
    checkpoint.extensions.push("— not a signature".into());
    let extended = format!("{body}— not a signature\n");
    assert_eq!(checkpoint.body(), extended);
    assert_eq!(Checkpoint::parse(&extended), Ok(checkpoint));
}

#[test]
fn checkpoint_bodies_are_read_strictly() {
    let root = "oLDEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    let bad_size = |s: &str| CheckpointError::BadSize(s.to_string());
    let cases = [
        (String::new(), CheckpointError::Unterminated),
        (format!("o\n5\n{root}"), CheckpointError::Unterminated),
        ("o\n".to_string(), CheckpointError::MissingLine("size")),
        ("o\n5\n".to_string(), CheckpointError::MissingLine("root")),
        (format!("\n5\n{root}\n"), CheckpointError::BadOrigin),
        (format!("o\r\n5\n{root}\n"), CheckpointError::BadOrigin),
        (format!("o\n05\n{root}\n"), bad_size("05")),
        (format!("o\n+5\n{root}\n"), bad_size("+5")),
        (format!("o\n-5\n{root}\n"), bad_size("-5")),
        (format!("o\n5 \n{root}\n"), bad_size("5 ")),
        (format!("o\n0x5\n{root}\n"), bad_size("0x5")),
        (format!("o\n\n{root}\n"), bad_size("")),
        (
            format!("o\n18446744073709551616\n{root}\n"),
            bad_size("18446744073709551616"),
        ),
        ("o\n5\nAAAA\n".to_string(), CheckpointError::BadRoot),
        (format!("o\n5\n{}\n", &root[..43]), CheckpointError::BadRoot),
        (
            format!("o\n5\n{}\n", root.replace('=', "")),
            CheckpointError::BadRoot,
        ),
        (
            format!("o\n5\n{}\n", root.replace('+', "-")),
            CheckpointError::BadRoot,
        ),
        (
            format!("o\n5\n{root}\n\n"),
            CheckpointError::BadExtension { line: 4 },
        ),
        (
            format!("o\n5\n{root}\next\n\tx\n"),
            CheckpointError::BadExtension { line: 5 },
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(Checkpoint::parse(&body), Err(expected), "{body:?}");
    }
    let zero = Checkpoint::parse(&format!("o\n0\n{root}\n")).unwrap();
    assert_eq!(zero.size, 0);
    let largest = Checkpoint::parse(&format!("o\n18446744073709551615\n{root}\n")).unwrap();
    assert_eq!(largest.size, u64::MAX);
}

#[test]
fn a_signed_checkpoint_round_trips_and_refuses_bad_fields() {
    let signer = NoteSigner::from_seed("tocsin.example/journal", &[9; 32]).unwrap();
    let checkpoint = Checkpoint::new(signer.name(), 0, EMPTY_ROOT).unwrap();
    let note = signer.sign_checkpoint(&checkpoint).unwrap();
    assert_eq!(
        signer.verifier().verify_checkpoint(&note),
        Ok(checkpoint.clone())
    );

    let mut bad = checkpoint.clone();
    bad.origin = "two\nlines".into();
    assert_eq!(
        signer.sign_checkpoint(&bad),
        Err(CheckpointError::BadOrigin.into())
    );
    let mut bad = checkpoint;
    bad.extensions = vec!["fine".into(), "split\nline".into()];
    let bad_extension = CheckpointError::BadExtension { line: 5 };
    assert_eq!(signer.sign_checkpoint(&bad), Err(bad_extension.into()));
    assert_eq!(
        Checkpoint::new("", 1, EMPTY_ROOT),
        Err(CheckpointError::BadOrigin)
    );

    let not_a_checkpoint = signer.sign("just text\n").unwrap();
    let missing = NoteError::Checkpoint(CheckpointError::MissingLine("size"));
    assert_eq!(
        signer.verifier().verify_checkpoint(&not_a_checkpoint),
        Err(missing)
    );
}
