//! Conformance of warnings, their versions and publications.

use crate::traits::*;
use crate::{Publication, RegionFilter, StoreError, VersionRecord, VersionState, WarningRecord};
use tocsin_core::change::Actor;

pub(crate) fn warning(open: bool) -> WarningRecord {
    WarningRecord {
        id: 7,
        hazard: "river_flood".into(),
        province: "15".into(),
        open,
        state: "{}".into(),
    }
}

pub(crate) fn version(number: u32) -> VersionRecord {
    VersionRecord {
        warning: 7,
        number,
        hazard: "river_flood".into(),
        province: "15".into(),
        action: "raised".into(),
        level: 3,
        made_ms: i64::from(number) * 1000,
        expires_ms: 99_000,
        draft: "{}".into(),
        state: VersionState::Draft,
        publication: None,
    }
}

pub(crate) fn publication(identifier: &str) -> Publication {
    Publication {
        identifier: identifier.into(),
        sent_ms: 5000,
        expires_ms: 50_000,
        msg_type: "Alert".into(),
        cap_xml: "<alert/>".into(),
        released_by: "t1 (duty officer)".into(),
        released_ms: 5000,
    }
}

pub fn drafts_are_superseded_and_published_alerts_never_change(store: &dyn Store) {
    store
        .record_lifecycle(&[warning(true)], &[version(1)], &Actor::Node)
        .unwrap();
    store
        .record_lifecycle(&[warning(true)], &[version(2)], &Actor::Node)
        .unwrap();
    let refused = store
        .publish_version(
            &warning(true),
            1,
            &publication("a.1"),
            &tocsin_core::change::Actor::Node,
        )
        .unwrap_err();
    assert!(matches!(refused, StoreError::Conflict(_)), "{refused}");
    store
        .publish_version(
            &warning(true),
            2,
            &publication("a.2"),
            &tocsin_core::change::Actor::Node,
        )
        .unwrap();
    let again = store
        .publish_version(
            &warning(true),
            2,
            &publication("a.2bis"),
            &tocsin_core::change::Actor::Node,
        )
        .unwrap_err();
    assert!(matches!(again, StoreError::Conflict(_)));
    let states: Vec<VersionState> = store
        .warning_versions(7)
        .unwrap()
        .iter()
        .map(|v| v.state)
        .collect();
    assert_eq!(states, [VersionState::Superseded, VersionState::Published]);
    assert_eq!(
        store
            .published_by_identifier("a.2")
            .unwrap()
            .unwrap()
            .number,
        2
    );
    assert_eq!(store.last_warning_id().unwrap(), 7);
    let listed = store
        .versions_in(
            &RegionFilter::all(),
            &[VersionState::Published],
            None,
            None,
            10,
        )
        .unwrap();
    assert_eq!(listed.len(), 1);
    let of_hazard = |hazard| {
        let found = store.versions_in(
            &RegionFilter::all(),
            &[VersionState::Published],
            Some(hazard),
            None,
            10,
        );
        found.unwrap().len()
    };
    assert_eq!((of_hazard("river_flood"), of_hazard("storm")), (1, 0));
    store
        .record_lifecycle(&[warning(false)], &[], &Actor::Node)
        .unwrap();
    assert!(store.open_warnings().unwrap().is_empty());
}

pub fn versions_page_newest_first_without_a_gap_or_a_repeat(store: &dyn Store) {
    // Five warnings of two versions each, all drafted at the same two instants: the
    // warning and version numbers break the ties.
    for id in 1..=5u64 {
        let mut w = warning(true);
        w.id = id;
        let versions: Vec<VersionRecord> = (1..=2)
            .map(|n| VersionRecord {
                warning: id,
                made_ms: 1000,
                ..version(n)
            })
            .collect();
        store
            .record_lifecycle(&[w], &versions, &Actor::Node)
            .unwrap();
    }
    let drafts = [VersionState::Draft, VersionState::Superseded];
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let rows = store
            .versions_in(&RegionFilter::all(), &drafts, None, before.as_ref(), 3 + 1)
            .unwrap();
        let page = crate::Page::cut(rows, 3);
        seen.extend(page.items.iter().map(|v| (v.warning, v.number)));
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    let expected: Vec<(u64, u32)> = (1..=5).rev().flat_map(|w| [(w, 2), (w, 1)]).collect();
    assert_eq!(seen, expected);
}

pub fn auto_release_is_set_and_cleared_per_hazard(store: &dyn Store) {
    let admin = tocsin_core::change::Actor::User("admin".into());
    let set = |hazard: &str, level: u8, at_ms: i64| {
        store
            .set_auto_release(hazard, level, "admin", at_ms, &admin)
            .unwrap()
    };
    set("heavy_rain", 2, 1);
    set("heavy_rain", 3, 2);
    set("heat", 1, 2);
    assert_eq!(
        store.auto_release().unwrap(),
        vec![("heat".into(), 1), ("heavy_rain".into(), 3)]
    );
    set("heat", 0, 3);
    assert_eq!(
        store.auto_release().unwrap(),
        vec![("heavy_rain".into(), 3)]
    );
    let entries = store.journal_entries(0, 10).unwrap();
    let set: Vec<(Option<String>, i64)> = entries
        .iter()
        .map(|e| (e.event().unwrap().hazard().map(str::to_owned), e.at_ms))
        .collect();
    let heat = || Some("heat".to_string());
    let rain = || Some("heavy_rain".to_string());
    assert_eq!(set, [(rain(), 1), (rain(), 2), (heat(), 2), (heat(), 3)]);
}
