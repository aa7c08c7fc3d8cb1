//! Point-in-polygon lookup of the current commune (or province) containing a point.

use tocsin_core::geo::{Area, BBox, GeoJsonGeometry, LonLat};

/// The current units of one level with their boundaries, held in memory for fast lookup.
#[derive(Debug, Default)]
pub struct LocateIndex {
    units: Vec<(String, BBox, Area)>,
}

impl LocateIndex {
    /// Builds the index from `(code, GeoJSON geometry)` pairs; unreadable boundaries are returned
    /// as problems rather than dropped silently.
    pub fn build(boundaries: Vec<(String, String)>) -> (LocateIndex, Vec<String>) {
        let mut units = Vec::with_capacity(boundaries.len());
        let mut problems = Vec::new();
        for (code, text) in boundaries {
            let area = serde_json::from_str::<GeoJsonGeometry>(&text)
                .map_err(|e| e.to_string())
                .and_then(|g| Area::from_geojson(&g));
            match area {
                Ok(area) => match area.bbox() {
                    Some(bbox) => units.push((code, bbox, area)),
                    None => problems.push(format!("{code}: empty boundary")),
                },
                Err(e) => problems.push(format!("{code}: unreadable boundary: {e}")),
            }
        }
        (LocateIndex { units }, problems)
    }

    /// The code of the unit containing `point`, if any.
    pub fn locate(&self, point: LonLat) -> Option<&str> {
        self.units
            .iter()
            .find(|(_, bbox, area)| bbox.contains(point) && area.contains(point))
            .map(|(code, _, _)| code.as_str())
    }

    /// Whether `point` lies inside the unit `code`.
    pub fn contains(&self, code: &str, point: LonLat) -> Option<bool> {
        self.units
            .iter()
            .find(|(c, _, _)| c == code)
            .map(|(_, _, area)| area.contains(point))
    }
}
