//! The situation of a region: the active levels of its stations rolled up — the highest level,
//! how many communes stand at each level, and the highest level of each province and commune.

use std::collections::BTreeMap;
use tocsin_store::Detection;

/// A region's roll-up of active levels.
#[derive(Debug, Clone, PartialEq)]
pub struct Situation {
    pub region: String,
    /// The highest level of any rule at any station in the region (0 when calm).
    pub max_level: u8,
    /// For levels 1 to 5, how many communes have that as their highest level.
    pub communes_per_level: [usize; 5],
    /// Highest level per province (for the nation) and per commune.
    pub provinces: BTreeMap<String, u8>,
    pub communes: BTreeMap<String, u8>,
    /// Every active rule level, highest first (data gaps excluded).
    pub active: Vec<Detection>,
    /// Stations that stopped reporting: silence is shown, never taken for calm.
    pub silent_stations: Vec<Detection>,
}

impl Situation {
    /// Rolls up `active` levels (all at level 1 or more) of the region `code`.
    pub fn of(region: String, levels: Vec<Detection>) -> Situation {
        let (silent_stations, active): (Vec<Detection>, Vec<Detection>) = levels
            .into_iter()
            .partition(|d| d.rule == crate::engine::DATA_GAP);
        let mut provinces: BTreeMap<String, u8> = BTreeMap::new();
        let mut communes: BTreeMap<String, u8> = BTreeMap::new();
        for d in &active {
            if let Some(p) = &d.province {
                raise(&mut provinces, p, d.to_level);
            }
            if let Some(c) = &d.commune {
                raise(&mut communes, c, d.to_level);
            }
        }
        let mut communes_per_level = [0; 5];
        for level in communes.values() {
            communes_per_level[usize::from(level.clamp(&1, &5) - 1)] += 1;
        }
        let max_level = active.iter().map(|d| d.to_level).max().unwrap_or(0);
        Situation {
            region,
            max_level,
            communes_per_level,
            provinces,
            communes,
            active,
            silent_stations,
        }
    }
}

fn raise(levels: &mut BTreeMap<String, u8>, code: &str, level: u8) {
    let entry = levels.entry(code.to_string()).or_insert(0);
    *entry = (*entry).max(level);
}
