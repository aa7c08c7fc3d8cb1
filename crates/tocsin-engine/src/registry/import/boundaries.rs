//! The boundary files and the commune centroid table: each unit's geometry, English name, box
//! and representative point.

use super::{CENTROIDS, ImportError, fail};
use std::collections::HashMap;
use std::path::Path;
use tocsin_core::geo::{Area, BBox, GeoJsonGeometry, LonLat};

/// A boundary read from a GeoJSON file: its geometry text, English name and box.
pub(super) struct Shape {
    pub(super) geometry: String,
    pub(super) name_en: String,
    pub(super) bbox: Option<BBox>,
    pub(super) centroid: Option<LonLat>,
}

pub(super) fn read_shapes(path: &Path, file: &str) -> Result<HashMap<String, Shape>, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|e| fail(file, e))?;
    let collection: serde_json::Value = serde_json::from_str(&text).map_err(|e| fail(file, e))?;
    let features = collection["features"]
        .as_array()
        .ok_or_else(|| fail(file, "no features array"))?;
    let mut shapes = HashMap::new();
    for (i, feature) in features.iter().enumerate() {
        let code = feature["id"]
            .as_str()
            .or(feature["properties"]["code"].as_str())
            .ok_or_else(|| fail(file, format!("feature {i}: no code")))?;
        let geometry: GeoJsonGeometry = serde_json::from_value(feature["geometry"].clone())
            .map_err(|e| fail(file, format!("feature {code}: {e}")))?;
        let area = Area::from_geojson(&geometry)
            .map_err(|e| fail(file, format!("feature {code}: {e}")))?;
        let shape = Shape {
            geometry: serde_json::to_string(&geometry).map_err(|e| fail(file, e))?,
            name_en: feature["properties"]["nameEn"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            bbox: area.bbox(),
            centroid: largest_ring_centroid(&area),
        };
        shapes.insert(code.to_string(), shape);
    }
    Ok(shapes)
}

/// The area-weighted centroid of the largest outer ring (for provinces, whose files carry none).
fn largest_ring_centroid(area: &Area) -> Option<LonLat> {
    let ring_stats = |ring: &Vec<LonLat>| {
        let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
        for pair in ring.windows(2) {
            let cross = pair[0][0] * pair[1][1] - pair[1][0] * pair[0][1];
            a += cross;
            cx += (pair[0][0] + pair[1][0]) * cross;
            cy += (pair[0][1] + pair[1][1]) * cross;
        }
        (a / 2.0, cx, cy)
    };
    let (a, cx, cy) = area
        .polygons
        .iter()
        .filter_map(|rings| rings.first())
        .map(ring_stats)
        .max_by(|x, y| x.0.abs().total_cmp(&y.0.abs()))?;
    (a != 0.0).then(|| [cx / (6.0 * a), cy / (6.0 * a)])
}

/// Centroid, box and English names of each current commune.
pub(super) struct CommuneFacts {
    pub(super) name_en: String,
    pub(super) centroid: LonLat,
    pub(super) bbox: BBox,
}

pub(super) fn read_centroids(path: &Path) -> Result<HashMap<String, CommuneFacts>, ImportError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| fail(CENTROIDS, e))?;
    let mut facts = HashMap::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| fail(CENTROIDS, e))?;
        let number = |col: usize| -> Result<f64, ImportError> {
            row.get(col).and_then(|v| v.parse().ok()).ok_or_else(|| {
                fail(
                    CENTROIDS,
                    format!("row {}: column {col} is not a number", i + 2),
                )
            })
        };
        let code = row.get(0).unwrap_or_default().to_string();
        facts.insert(
            code,
            CommuneFacts {
                name_en: row.get(3).unwrap_or_default().to_string(),
                centroid: [number(8)?, number(9)?],
                bbox: BBox {
                    min_lon: number(10)?,
                    min_lat: number(11)?,
                    max_lon: number(12)?,
                    max_lat: number(13)?,
                },
            },
        );
    }
    Ok(facts)
}
