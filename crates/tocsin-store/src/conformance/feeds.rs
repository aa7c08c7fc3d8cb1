//! Conformance of feed subscriptions and the external alerts they bring in.

use crate::traits::*;
use crate::*;

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
    let added = store
        .add_subscription("http://feed.example/atom", "Example", "token t1", 5)
        .unwrap();
    assert_eq!((added.next_poll_ms, added.failures), (5, 0));
    let again = store.add_subscription("http://feed.example/atom", "Again", "token t1", 6);
    assert!(matches!(again, Err(StoreError::Conflict(_))));
    let mut polled = added.clone();
    polled.etag = Some("\"v1\"".into());
    polled.failures = 2;
    polled.next_poll_ms = 99;
    polled.last_error = Some("feed: 500".into());
    store.record_poll(&polled).unwrap();
    assert_eq!(store.subscriptions().unwrap(), vec![polled]);
    assert!(store.remove_subscription(added.id).unwrap());
    assert!(!store.remove_subscription(added.id).unwrap());
}

pub fn an_alert_is_stored_once_and_shown_by_the_regions_it_was_placed_on(store: &dyn Store) {
    let hanoi = alert("a1", &[("00004", "01"), ("00008", "01")]);
    assert!(store.insert_external_alert(&hanoi).unwrap().is_some());
    assert_eq!(store.insert_external_alert(&hanoi).unwrap(), None);
    assert!(store.has_external_source(&hanoi.source).unwrap());
    store
        .insert_external_alert(&alert("a2", &[("15", "15")]))
        .unwrap();
    store.insert_external_alert(&alert("a3", &[])).unwrap();
    let mut unreadable = alert("x", &[]);
    (unreadable.sender, unreadable.identifier) = (None, None);
    unreadable.placement = "invalid".into();
    store.insert_external_alert(&unreadable).unwrap();

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
