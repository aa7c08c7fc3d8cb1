//! The command line: config checking reports every problem; backups are consistent copies.

use crate::{prepared_data, tocsin, tocsin_ok};

#[test]
fn config_check_lists_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tocsin.toml");
    std::fs::write(
        &path,
        "listen = \"nowhere\"\nlisetn = \"127.0.0.1:1\"\ndurability = \"maybe\"\ncolour = 1\n",
    )
    .unwrap();
    let output = tocsin(&["config", "check", "--config", path.to_str().unwrap()]);
    assert!(!output.status.success());
    let errors = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "unknown key `lisetn`",
        "unknown key `colour`",
        "listen: \"nowhere\" is not an address",
        "durability: \"maybe\" is neither",
    ] {
        assert!(
            errors.contains(expected),
            "{expected:?} missing from:\n{errors}"
        );
    }
    std::fs::write(
        &path,
        "listen = \"127.0.0.1:9000\"\ndurability = \"full\"\n",
    )
    .unwrap();
    assert!(
        tocsin_ok(&["config", "check", "--config", path.to_str().unwrap()]).ends_with(": ok\n")
    );
}

#[test]
fn token_create_prints_the_secret_last_and_backup_copies_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let token = prepared_data(dir.path());
    assert!(token.starts_with("tcs_") && token.len() == 68, "{token}");
    let data = dir.path().join("data");
    let backup = dir.path().join("backup.db");
    tocsin_ok(&[
        "backup",
        "--to",
        backup.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ]);
    let copy = dir.path().join("restored");
    std::fs::create_dir(&copy).unwrap();
    std::fs::copy(&backup, copy.join("tocsin.db")).unwrap();
    let clock = std::sync::Arc::new(tocsin_engine::clock::SystemClock);
    let options = tocsin_engine::EngineOptions::new(tocsin_engine::Durability::Full);
    let restored = tocsin_engine::Engine::open(&copy, &options, clock).unwrap();
    assert_eq!(
        restored
            .stations(&tocsin_engine::access::Principal::local_admin())
            .unwrap()
            .len(),
        2
    );
    let again = tocsin(&[
        "backup",
        "--to",
        backup.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(!again.status.success(), "a backup never overwrites a file");
}

#[test]
fn config_check_names_catalogue_problems() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let bad = "[[metric]]\nname = \"rain_mm\"\nunit = \"mm\"\n[[indicator]]\nid = \"r\"\nmetric = \"rain_mm\"\naggregate = \"sum\"\nwindow = \"24h\"\n\
               [[hazard]]\nid = \"heavy_rain\"\nname_vi = \"Mưa lớn\"\nname_en = \"Heavy rain\"\n\
               [[rule]]\nid = \"rain\"\nhazard = \"heavy_rain\"\nname_vi = \"x\"\nname_en = \"x\"\nindicator = \"r\"\nsource = \"x\"\nstatus = \"memory\"\n\
               cap = { category = \"Met\", event_vi = \"x\", event_en = \"x\", headline_vi = \"x\", headline_en = \"x\", instruction_vi = \"x\", instruction_en = \"x\" }\n\
               level = [ { level = 2, min = 100 }, { level = 1, min = 150 } ]\n";
    std::fs::write(rules.join("rain.toml"), bad).unwrap();
    let output = tocsin(&["config", "check", "--catalog", rules.to_str().unwrap()]);
    assert!(!output.status.success());
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(
        errors.contains(
            "rain.toml: rule rain: level[0]: level 2 starts at 100 below level 1 (level[1]) at 150"
        ),
        "{errors}"
    );
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog/rules");
    assert!(
        tocsin_ok(&["config", "check", "--catalog", shipped.to_str().unwrap()]).ends_with(": ok\n")
    );
}

#[test]
fn recipients_are_imported_from_json_and_bad_files_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("recipients.json");
    std::fs::write(
        &file,
        r#"[{"id": "ubnd-04252", "name": "UBND phường Yên Bái (synthetic)", "sector": "standing", "region": "04252", "tier": "commune",
             "endpoints": [{"channel": "webhook", "url": "http://127.0.0.1:9/hook", "body": "json"}]}]"#,
    )
    .unwrap();
    let args = [
        "import",
        "recipients",
        "--file",
        file.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ];
    assert_eq!(tocsin_ok(&args), "imported 1 recipients\n");
    std::fs::write(
        &file,
        r#"[{"id": "x", "name": "x", "sector": "standing", "region": "01", "tier": "district"}]"#,
    )
    .unwrap();
    let output = tocsin(&args);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("unknown variant `district`"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
