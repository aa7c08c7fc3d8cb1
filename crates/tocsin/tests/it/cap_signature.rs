//! `tocsin cap sign` and `tocsin cap verify`: a signed alert verifies as genuine and trusted
//! with a trust directory, untrusted without, and tampering is named. Keys are made with
//! `openssl`; without it the tests skip (or fail under `TOCSIN_REQUIRE_SERVICES=1`).

use crate::{tocsin, tocsin_ok};
use std::path::Path;
use std::process::Command;

const ALERT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>VN-TEST-1</identifier>
  <sender>alerts@example.gov.vn</sender>
  <sent>2025-09-28T07:00:00+07:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info><category>Met</category><event>Lũ quét</event><urgency>Immediate</urgency><severity>Severe</severity><certainty>Likely</certainty></info>
</alert>
"#;

/// Makes `key.pem` and `cert.pem` (ECDSA P-256, self-signed) in `dir`; false when openssl is
/// missing.
fn make_key(dir: &Path) -> bool {
    let args = [
        "req",
        "-x509",
        "-nodes",
        "-days",
        "3650",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-keyout",
        "key.pem",
        "-out",
        "cert.pem",
        "-subj",
        "/CN=CLI test",
    ];
    match Command::new("openssl").args(args).current_dir(dir).output() {
        Ok(out) if out.status.success() => true,
        _ => {
            let required = std::env::var("TOCSIN_REQUIRE_SERVICES").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "openssl is required (TOCSIN_REQUIRE_SERVICES=1) but missing"
            );
            eprintln!("skipped: openssl is not installed");
            false
        }
    }
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_string()
}

#[test]
fn sign_then_verify_with_and_without_trust() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    if !make_key(d) {
        return;
    }
    // Sent now: the fresh certificate is valid from the moment it was made.
    let now = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string();
    std::fs::write(
        d.join("alert.xml"),
        ALERT.replace("2025-09-28T07:00:00+07:00", &now),
    )
    .unwrap();
    let signed = tocsin_ok(&[
        "cap",
        "sign",
        "--key",
        &path(d, "key.pem"),
        "--cert",
        &path(d, "cert.pem"),
        &path(d, "alert.xml"),
    ]);
    assert!(signed.contains("<X509Certificate>"), "{signed}");
    std::fs::write(d.join("signed.xml"), &signed).unwrap();
    std::fs::write(d.join("tampered.xml"), signed.replace("Severe", "Minor")).unwrap();

    let trust = d.join("trust");
    std::fs::create_dir(&trust).unwrap();
    std::fs::copy(d.join("cert.pem"), trust.join("test.pem")).unwrap();
    let toml = "[[sender]]\nsender = \"alerts@example.gov.vn\"\ncertificates = [\"test.pem\"]\n";
    std::fs::write(trust.join("trust.toml"), toml).unwrap();

    let signed_path = path(d, "signed.xml");
    let out = tocsin_ok(&[
        "cap",
        "verify",
        "--trust",
        trust.to_str().unwrap(),
        &signed_path,
    ]);
    let expected = format!(
        "{signed_path}: genuine and trusted: signed by CN=CLI test, trusted for sender alerts@example.gov.vn\n"
    );
    assert_eq!(out, expected);

    let output = tocsin(&["cap", "verify", &signed_path]);
    assert!(!output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let expected = format!(
        "{signed_path}: genuine but untrusted: no certificates are trusted for sender alerts@example.gov.vn\n"
    );
    assert_eq!(stdout, expected);

    let tampered = path(d, "tampered.xml");
    let output = tocsin(&[
        "cap",
        "verify",
        "--trust",
        trust.to_str().unwrap(),
        &signed_path,
        &tampered,
    ]);
    assert!(!output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(
        lines[1],
        format!("{tampered}: not genuine: digest mismatch: the signed content was changed")
    );
}

#[test]
fn verify_names_untrusted_and_unsigned_alerts() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/cap");
    let ipaws = shared.join("real/oasiscap__fixtures_ipaws-5e6dd964023f1930ef638846__fea2458e.xml");
    let unsigned = shared.join("real/oasiscap__fixtures_v1dot2_appendix_adot1__d836c661.xml");
    let (ipaws, unsigned) = (ipaws.to_str().unwrap(), unsigned.to_str().unwrap());
    let output = tocsin(&["cap", "verify", ipaws, unsigned]);
    assert!(!output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "{ipaws}: genuine but untrusted: no certificates are trusted for sender 309104501346800"
        )
    );
    assert_eq!(lines[1], format!("{unsigned}: unsigned"));
}
