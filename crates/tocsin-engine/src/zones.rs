//! Resolving catalogue zones — lists of pre-2025 provinces, as QĐ 18 names them — to the current
//! communes that took those provinces over, through the registry's history.

use std::collections::{HashMap, HashSet};
use tocsin_core::catalog::ZoneDef;
use tocsin_core::region::{REFORM_2025, RegionKind};
use tocsin_core::text::search_key;
use tocsin_store::{RegionFilter, Store, StoreError};

/// Zone id → current commune codes.
pub type ZoneCommunes = HashMap<String, HashSet<String>>;

/// The communes of every zone, and the zone entries no pre-2025 province matched.
pub fn resolve(
    store: &dyn Store,
    zones: &[ZoneDef],
    today: jiff::civil::Date,
) -> Result<(ZoneCommunes, Vec<String>), StoreError> {
    if zones.is_empty() {
        return Ok((ZoneCommunes::new(), Vec::new()));
    }
    let last_day = REFORM_2025.yesterday().unwrap_or(REFORM_2025);
    let old_provinces = store.children(
        tocsin_core::region::NATION_CODE,
        last_day,
        &RegionFilter::all(),
    )?;
    let by_key: HashMap<String, String> = old_provinces
        .iter()
        .filter(|r| r.kind == RegionKind::Province)
        .flat_map(|r| {
            [
                (r.code.clone(), r.code.clone()),
                (search_key(&r.name), r.code.clone()),
            ]
        })
        .collect();
    let mut communes_of: HashMap<String, HashSet<String>> = HashMap::new();
    for (commune, province) in store.predecessor_provinces(today)? {
        communes_of.entry(province).or_default().insert(commune);
    }
    let mut resolved = ZoneCommunes::new();
    let mut unmatched = Vec::new();
    for zone in zones {
        let communes = resolved.entry(zone.id.clone()).or_default();
        for name in &zone.old_provinces {
            match by_key
                .get(name.as_str())
                .or_else(|| by_key.get(&search_key(name)))
            {
                Some(code) => communes.extend(communes_of.get(code).into_iter().flatten().cloned()),
                None => unmatched.push(format!("zone {}: no pre-2025 province {name:?}", zone.id)),
            }
        }
    }
    Ok((resolved, unmatched))
}
