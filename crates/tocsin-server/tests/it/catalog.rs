//! Catalogue reload: a bad catalogue is refused with every problem named and the one in use
//! stays; a good one replaces it. The rules in use are listed with their sources and status.

use crate::{fixture, send};
use axum::http::StatusCode;
use std::path::PathBuf;
use tocsin_server::{AppState, reload_catalog};

fn state_reading(dir: PathBuf) -> AppState {
    AppState {
        engine: fixture().state.engine.clone(),
        metrics: Default::default(),
        limits: tocsin_server::Limits::default(),
        catalog_dir: Some(dir),
        exercises: None,
    }
}

#[test]
fn a_bad_reload_keeps_the_catalogue_in_use() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.toml"),
        "[[indicator]]\nid = \"x\"\nmetric = \"nowhere\"\naggregate = \"sum\"\nwindow = \"1h\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("typo.toml"), "[[rule]]\nidd = 1\n").unwrap();
    let problems = reload_catalog(&state_reading(dir.path().to_path_buf())).unwrap_err();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].contains("typo.toml: line 2: idd: unknown field `idd`, expected one of `id`"),
        "{problems:?}"
    );
    assert!(
        problems[1].contains("broken.toml: indicator x: metric: unknown metric \"nowhere\""),
        "{problems:?}"
    );
    assert_eq!(
        fixture().state.engine.catalog().rules.len(),
        14,
        "the catalogue in use stays"
    );

    let shipped = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../catalog/rules");
    assert_eq!(reload_catalog(&state_reading(shipped)), Ok(14));
}

#[tokio::test]
async fn rules_are_listed_with_source_and_status() {
    let (status, body) = send("GET", "/api/v1/catalog", Some(&fixture().admin), "", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains(r#""id":"heavy_rain_24h""#)
            && body.contains(r#""source":"QĐ 18/2021/QĐ-TTg Art. 44""#),
        "{body}"
    );
    assert!(
        body.contains(
            r#""level":1,"max":"200","min":"100","severity":"Minor","status":"verified""#
        ),
        "{body}"
    );
    let (status, _) = send(
        "POST",
        "/api/v1/catalog/reload",
        Some(&fixture().hanoi),
        "",
        "",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
