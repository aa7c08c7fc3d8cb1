//! Which provinces border which, from their boundaries: the vertices of every province are put
//! in a grid of cells about 1 km wide; two provinces whose vertices share a cell or touch
//! neighbouring cells border each other. Linear in the number of vertices.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use tocsin_core::geo::GeoJsonGeometry;

/// Cell size in degrees (about 1.1 km).
const CELL: f64 = 0.01;

/// Province code → the codes of the provinces bordering it.
pub type Neighbours = BTreeMap<String, Vec<String>>;

/// Neighbours of every province in `boundaries` (code, GeoJSON geometry).
pub fn neighbours(boundaries: &[(String, String)]) -> Neighbours {
    let mut cells: HashMap<(i64, i64), BTreeSet<usize>> = HashMap::new();
    for (index, (_, geometry)) in boundaries.iter().enumerate() {
        let Ok(geometry) = serde_json::from_str::<GeoJsonGeometry>(geometry) else {
            continue;
        };
        for ring in geometry.into_outer_rings() {
            for [lon, lat] in ring {
                let cell = ((lon / CELL).floor() as i64, (lat / CELL).floor() as i64);
                cells.entry(cell).or_default().insert(index);
            }
        }
    }
    let mut pairs: BTreeSet<(usize, usize)> = BTreeSet::new();
    for (&(x, y), here) in &cells {
        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1), (1, -1)] {
            let Some(there) = cells.get(&(x + dx, y + dy)) else {
                continue;
            };
            for &a in here {
                for &b in there.iter().filter(|&&b| b != a) {
                    pairs.insert((a.min(b), a.max(b)));
                }
            }
        }
    }
    let mut found: Neighbours = boundaries
        .iter()
        .map(|(code, _)| (code.clone(), Vec::new()))
        .collect();
    for (a, b) in pairs {
        let (a, b) = (&boundaries[a].0, &boundaries[b].0);
        found.entry(a.clone()).or_default().push(b.clone());
        found.entry(b.clone()).or_default().push(a.clone());
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(lon: f64, lat: f64) -> String {
        let ring: Vec<[f64; 2]> = vec![
            [lon, lat],
            [lon + 1.0, lat],
            [lon + 1.0, lat + 1.0],
            [lon, lat + 1.0],
            [lon, lat],
        ];
        serde_json::json!({"type": "Polygon", "coordinates": [ring]}).to_string()
    }

    #[test]
    fn shared_edges_make_neighbours_and_distance_does_not() {
        let boundaries = vec![
            ("A".to_string(), square(100.0, 20.0)),
            ("B".to_string(), square(101.0, 20.0)),
            ("C".to_string(), square(103.0, 20.0)),
        ];
        let found = neighbours(&boundaries);
        assert_eq!(found["A"], vec!["B".to_string()]);
        assert_eq!(found["B"], vec!["A".to_string()]);
        assert!(found["C"].is_empty());
    }
}
