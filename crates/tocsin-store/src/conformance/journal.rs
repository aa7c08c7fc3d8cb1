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
