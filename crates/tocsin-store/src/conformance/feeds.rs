//! Conformance of feed subscriptions and the external alerts they bring in.

use crate::traits::*;
use crate::*;
use tocsin_core::change::{Actor, Change};

/// The kinds and regions of the journal's entries.
fn journaled(store: &dyn Store) -> Vec<(String, String)> {
    let entries = store.journal_entries(0, 100).unwrap();
    entries.into_iter().map(|e| (e.kind, e.region)).collect()
}

pub(crate) fn alert(identifier: &str, regions: &[(&str, &str)]) -> ExternalAlertRecord {
    ExternalAlertRecord {
        id: 0,
        subscription: 1,
        source: format!("http://feed.example/{identifier}.xml"),
        sender: Some("met@example.org".into()),
        identifier: Some(identifier.into()),
        sent_ms: Some(1000),
        status: "Actual".into(),
        msg_type: "Alert".into(),
        event: "Rain".into(),
        severity: "Severe".into(),
        urgency: "Expected".into(),
        certainty: "Likely".into(),
        headline: "Heavy rain".into(),
        expires_ms: None,
        cap_xml: b"<alert/>".to_vec(),
        findings: "[]".into(),
        signature: "unsigned".into(),
        placement: if regions.is_empty() {
            "outside"
        } else {
            "placed"
        }
        .into(),
        received_ms: 2000,
        regions: regions
            .iter()
            .map(|(region, province)| PlacedRegion {
                region: region.to_string(),
                province: province.to_string(),
                matched_by: "polygon".into(),
            })
            .collect(),
    }
}

pub(crate) fn filter(root: FilterRoot) -> RegionFilter {
    RegionFilter {
        root,
        domains: Vec::new(),
    }
}

/// The identifiers `root` shows, newest first.
pub(crate) fn shown(store: &dyn Store, root: FilterRoot) -> Vec<String> {
    let alerts = store.external_alerts(&filter(root), None, 100).unwrap();
    alerts.into_iter().filter_map(|a| a.identifier).collect()
}

pub fn subscriptions_are_added_once_polled_and_removed(store: &dyn Store) {
    let by = Actor::Token("t1".into());
    let url = "http://reader:s3cr3t@feed.example/atom";
    let added = store
        .add_subscription(url, "Example", "token t1", 5, &by)
        .unwrap();
    assert_eq!((added.next_poll_ms, added.failures), (5, 0));
    let again = store.add_subscription(url, "Again", "token t1", 6, &by);
    assert!(matches!(again, Err(StoreError::Conflict(_))));
    let mut polled = added.clone();
    polled.etag = Some("\"v1\"".into());
    polled.failures = 2;
    polled.next_poll_ms = 99;
    polled.last_error = Some("feed: 500".into());
    store.record_poll(&polled).unwrap();
    assert_eq!(store.subscriptions().unwrap(), vec![polled]);
    assert!(store.remove_subscription(added.id, 7, &by).unwrap());
    assert!(!store.remove_subscription(added.id, 8, &by).unwrap());
    assert_eq!(
        journaled(store),
        [
            ("subscription_added".into(), NATION.into()),
            ("subscription_removed".into(), NATION.into())
        ],
        "a refused subscription and a second removal change nothing"
    );
    let entry = &store.journal_entries(0, 1).unwrap()[0];
    assert!(
        !String::from_utf8_lossy(&entry.leaf).contains("s3cr3t"),
        "a feed's address enters the leaf sealed"
    );
    let Change::SubscriptionAdded { url: sealed, .. } = entry.event().unwrap().change else {
        panic!("{entry:?}");
    };
    assert_eq!(
        sealed.kept.map(|k| k.value).as_deref(),
        Some("http://set@feed.example/atom"),
        "kept beside the leaf without its credentials"
    );
}

pub fn an_alert_is_stored_once_and_shown_by_the_regions_it_was_placed_on(store: &dyn Store) {
    let hanoi = alert("a1", &[("00004", "01"), ("00008", "01")]);
    let poller = Actor::Node;
    assert!(
        store
            .insert_external_alert(&hanoi, &poller)
            .unwrap()
            .is_some()
    );
    assert_eq!(store.insert_external_alert(&hanoi, &poller).unwrap(), None);
    assert!(store.has_external_source(&hanoi.source).unwrap());
    store
        .insert_external_alert(&alert("a2", &[("15", "15")]), &poller)
        .unwrap();
    store
        .insert_external_alert(&alert("a3", &[]), &poller)
        .unwrap();
    let mut unreadable = alert("x", &[]);
    (unreadable.sender, unreadable.identifier) = (None, None);
    unreadable.placement = "invalid".into();
    store.insert_external_alert(&unreadable, &poller).unwrap();
    let regions: Vec<String> = journaled(store).into_iter().map(|(_, r)| r).collect();
    assert_eq!(
        regions,
        ["01", "15", NATION, NATION],
        "each alert stored once, in the one province it was placed on or the whole node's"
    );

    assert_eq!(
        store
            .external_alerts(&RegionFilter::all(), None, 100)
            .unwrap()
            .len(),
        4
    );
    assert_eq!(shown(store, FilterRoot::Province("01".into())), ["a1"]);
    assert_eq!(shown(store, FilterRoot::Province("15".into())), ["a2"]);
    let commune = |c: &str, p: &str| FilterRoot::Commune {
        commune: c.into(),
        province: p.into(),
    };
    assert_eq!(shown(store, commune("00008", "01")), ["a1"]);
    assert_eq!(shown(store, commune("00011", "01")), Vec::<String>::new());
    assert_eq!(shown(store, commune("04000", "15")), ["a2"]);
    let listed = store
        .external_alerts(&filter(FilterRoot::Province("01".into())), None, 10)
        .unwrap();
    assert_eq!(listed[0].regions, hanoi.regions);
}
