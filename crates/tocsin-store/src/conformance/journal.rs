//! Conformance of the journal: stored changes are the leaves of an RFC 9162 tree.

use crate::traits::*;
use crate::*;
use tocsin_core::change::Change;
use tocsin_journal::merkle::{
    self, Hash, MemoryTree, Subtrees, inclusion_proof, root, verify_inclusion,
};

pub(crate) fn detection(station: &str, to_level: u8, time_ms: i64) -> Detection {
    Detection {
        station: station.into(),
        rule: "heavy_rain_24h".into(),
        hazard: "heavy_rain".into(),
        commune: Some("04252".into()),
        province: Some("15".into()),
        from_level: 0,
        to_level,
        time_ms,
        value: 120.5,
        status: "verified".into(),
        certainty: "observed".into(),
        lead: None,
    }
}

/// The store's journal seen as a tree.
struct Tree<'s>(&'s dyn Store);

impl Subtrees for Tree<'_> {
    type Error = StoreError;
    fn perfect(&self, level: u32, index: u64) -> Result<Hash> {
        self.0.journal_subtree(level, index)
    }
}

pub fn each_stored_level_change_is_a_leaf_of_the_tree_and_a_repeat_is_not(store: &dyn Store) {
    let changes: Vec<Detection> = (0..37).map(|i| detection(&format!("S{i}"), 1, i)).collect();
    store.record_detections(&changes[..20], 1000).unwrap();
    store.record_detections(&changes, 2000).unwrap();
    assert_eq!(
        store.journal_size().unwrap(),
        37,
        "the 20 repeated are not journaled again"
    );
    let entries = store.journal_entries(0, 100).unwrap();
    let mut model = MemoryTree::new();
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(entry.index, i as u64);
        model.push(&entry.leaf);
        let Change::LevelChanged { station, value, .. } = entry.event().unwrap().change else {
            panic!("{entry:?}");
        };
        assert_eq!((station, value.as_str()), (format!("S{i}"), "120.5"));
        assert_eq!(entry.region, "15");
    }
    let tree = Tree(store);
    for size in [1, 2, 3, 20, 32, 37] {
        assert_eq!(
            root(&tree, size).unwrap(),
            root(&model, size).unwrap(),
            "{size}"
        );
    }
    let stored_root = root(&tree, 37).unwrap();
    let proof = inclusion_proof(&tree, 25, 37).unwrap();
    let leaf = merkle::leaf_hash(&entries[25].leaf);
    verify_inclusion(&leaf, 25, 37, &proof, &stored_root).unwrap();
}

/// Stores one new observation of the rain series, journaled as one `observations_stored`.
fn store_one(store: &dyn Store, series: i64, time_ms: i64) {
    let observations = [tocsin_core::observation::Observation {
        series,
        time_ms,
        issued_ms: 0,
        value: 1.0,
    }];
    let batch = Batch {
        actor: &tocsin_core::change::Actor::Node,
        observations: &observations,
    };
    store.append(&[batch], 0).unwrap();
}

pub fn a_consumer_reads_its_kinds_in_order_and_its_cursor_moves_with_what_it_stored(
    store: &dyn Store,
) {
    let series = super::observations::rain_series(store);
    let base = store.journal_size().unwrap();
    let level = |i: i64| {
        store
            .record_detections(&[detection(&format!("S{i}"), 1, i)], 0)
            .unwrap()
    };
    store_one(store, series, 1);
    level(1);
    store_one(store, series, 2);
    level(3);
    level(4);
    let indexes = |read: &JournalRead| -> (Vec<u64>, u64) {
        (
            read.entries.iter().map(|e| e.index - base).collect(),
            read.next - base,
        )
    };
    let levels = [Change::LEVEL_CHANGED];
    let read = store.journal_read(base, &levels, 2).unwrap();
    assert_eq!(
        indexes(&read),
        (vec![1, 3], 4),
        "a full read stops after its last"
    );
    let read = store.journal_read(base + 4, &levels, 2).unwrap();
    assert_eq!(indexes(&read), (vec![4], 5));
    let read = store.journal_read(base + 5, &levels, 2).unwrap();
    assert_eq!(indexes(&read), (vec![], 5));
    let read = store
        .journal_read(base, &["observations_stored"], 10)
        .unwrap();
    assert_eq!(
        indexes(&read),
        (vec![0, 2], 5),
        "a short read ends at the end"
    );
    assert_eq!(store.journal_cursor("warnings").unwrap(), 0);
    store
        .record_consumed_warnings(&[], "warnings", base + 4)
        .unwrap();
    assert_eq!(store.journal_cursor("warnings").unwrap(), base + 4);
    assert_eq!(store.journal_cursor("federation").unwrap(), 0);
}

pub fn a_scoped_read_returns_only_the_province_s_entries_of_its_domains(store: &dyn Store) {
    use tocsin_core::station::Domain;
    let at = |province: Option<&str>, hazard: &str, station: &str| {
        let mut d = detection(station, 1, 0);
        d.province = province.map(str::to_string);
        d.hazard = hazard.into();
        d
    };
    let base = store.journal_size().unwrap();
    let changes = [
        at(Some("01"), "heavy_rain", "S1"),
        at(Some("79"), "heavy_rain", "S2"),
        at(None, "heavy_rain", "S3"),
        at(Some("01"), "dengue", "S4"),
    ];
    assert_eq!(store.record_detections(&changes, 0).unwrap(), 4);
    use super::registry::station;
    let stations = [
        station("H1", Domain::Health),
        station("W1", Domain::Hydromet),
    ];
    let provinces = [Some("01".to_string()), Some("01".to_string())];
    let node = tocsin_core::change::Actor::Node;
    store
        .upsert_stations(&stations, &provinces, 0, &node)
        .unwrap();
    let read = |root: FilterRoot, domains: Vec<Domain>| {
        let filter = RegionFilter { root, domains };
        let read = store.journal_read_in(&filter, base, 10, &[]).unwrap();
        let indexes: Vec<u64> = read.entries.iter().map(|e| e.index - base).collect();
        (indexes, read.next - base)
    };
    assert_eq!(
        read(FilterRoot::Nation, vec![]),
        (vec![0, 1, 2, 3, 4, 5], 6)
    );
    let hanoi = || FilterRoot::Province("01".into());
    assert_eq!(read(hanoi(), vec![]), (vec![0, 3, 4, 5], 6));
    assert_eq!(
        read(hanoi(), vec![Domain::Hydromet]),
        (vec![0, 5], 6),
        "a station's entry is read within its domain"
    );
    let commune = FilterRoot::Commune {
        commune: "00004".into(),
        province: "01".into(),
    };
    assert_eq!(read(commune, vec![]), (vec![], 6));
    let unhidden = store
        .journal_read_in(&RegionFilter::all(), base, 10, &["station_set"])
        .unwrap();
    let kinds: Vec<&str> = unhidden.entries.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["level_changed"; 4], "a hidden kind is never read");
    let filter = RegionFilter {
        root: hanoi(),
        domains: vec![],
    };
    let first = store.journal_read_in(&filter, base, 1, &[]).unwrap();
    assert_eq!(
        first.next,
        base + 1,
        "a full page goes on after its last entry"
    );
}

pub fn only_a_change_kept_outside_the_database_is_journaled_on_its_own(store: &dyn Store) {
    use tocsin_core::change::{Actor, Event};
    let event = |change: Change| Event {
        at_ms: 5,
        actor: Actor::Node,
        region: NATION.into(),
        change,
    };
    store
        .journal_outside(&event(Change::DrillRemoved { drill: 3 }))
        .unwrap();
    let forged = event(Change::SilenceEnded {
        silence: 1,
        by: "x".into(),
    });
    assert!(matches!(
        store.journal_outside(&forged),
        Err(StoreError::Conflict(_))
    ));
    let kinds: Vec<String> = store
        .journal_entries(0, 10)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["drill_removed"]);
}

pub fn what_an_entry_names_by_digest_is_kept_beside_the_journal(store: &dyn Store) {
    use tocsin_core::change::{Actor, sha256_hex};
    let station = super::registry::station("K1", tocsin_core::station::Domain::Hydromet);
    let from = store.journal_size().unwrap();
    assert!(store.content_kept_from().unwrap() <= from);
    store
        .upsert_stations(
            std::slice::from_ref(&station),
            &[Some("01".into())],
            0,
            &Actor::Node,
        )
        .unwrap();
    let event = store.journal_entries(from, 1).unwrap()[0].event().unwrap();
    let [digest] = event.contents()[..] else {
        panic!("{event:?}");
    };
    let kept = store.journal_content(digest).unwrap().unwrap();
    assert_eq!(sha256_hex(&kept), digest);
    let read: tocsin_core::station::Station = serde_json::from_slice(&kept).unwrap();
    assert_eq!(read, station, "the definition as stored, whole");
    assert_eq!(store.journal_content(&"0".repeat(64)).unwrap(), None);
}
