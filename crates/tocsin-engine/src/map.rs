//! Commune shapes for the dashboard map, compact: each commune's outer rings simplified
//! (Douglas–Peucker), coordinates as integers of a fraction of a degree, each ring
//! delta-encoded — the first point absolute, then differences. The overview of the whole
//! country (about 1 km detail) comes first; a province's detail (about 200 m) is fetched when it
//! is opened. Shapes are computed once per province and detail and kept until the registry
//! changes; a caller sees only the provinces in their scope.

use crate::access::Principal;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use tocsin_core::geo::{GeoJsonGeometry, simplify_ring};
use tocsin_core::region::{NATION_CODE, Region, RegionKind};
use tocsin_store::RegionFilter;

/// How much detail shapes keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Detail {
    /// The whole country at a glance: about 1 km, coordinates in 1/1,000 degree.
    Overview,
    /// One province: about 200 m, coordinates in 1/10,000 degree.
    Province,
}

impl Detail {
    /// Coordinates are integers of 1/scale degree.
    pub fn scale(self) -> f64 {
        match self {
            Detail::Overview => 1_000.0,
            Detail::Province => 10_000.0,
        }
    }

    /// Simplification tolerance, in degrees.
    pub fn tolerance(self) -> f64 {
        match self {
            Detail::Overview => 0.01,
            Detail::Province => 0.002,
        }
    }
}

/// One province with its outline and its communes' shapes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProvinceShapes {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// The province's own boundary, encoded as the communes' rings.
    pub outline: Vec<Vec<i64>>,
    pub communes: Vec<CommuneShape>,
}

/// One commune: its rings as `[lon0, lat0, dlon1, dlat1, …]` in 1/scale degree. The overview
/// leaves the names out (they come with the province's detail).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommuneShape {
    pub code: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name_en: String,
    pub rings: Vec<Vec<i64>>,
}

/// Shapes computed so far, by province code and detail.
pub type ShapeCache = std::sync::RwLock<HashMap<(String, Detail), Arc<ProvinceShapes>>>;

impl Engine {
    /// The shapes of one province, or of every province in `who`'s scope.
    pub fn map_shapes(
        &self,
        who: &Principal,
        province: Option<&str>,
        detail: Detail,
    ) -> Result<Vec<Arc<ProvinceShapes>>> {
        let provinces = self.children(who, NATION_CODE, None)?;
        let chosen: Vec<&Region> = provinces
            .iter()
            .filter(|p| {
                who.filter.root.shows_province(&p.code) && province.is_none_or(|c| c == p.code)
            })
            .collect();
        if let Some(code) = province.filter(|_| chosen.is_empty()) {
            return Err(EngineError::NotFound(format!(
                "no province {code} within your scope"
            )));
        }
        chosen
            .into_iter()
            .map(|p| self.province_shapes(p, detail))
            .collect()
    }

    fn province_shapes(&self, province: &Region, detail: Detail) -> Result<Arc<ProvinceShapes>> {
        let key = (province.code.clone(), detail);
        if let Some(found) = self
            .shape_cache()
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(found.clone());
        }
        let today = self.today();
        let all = RegionFilter::all();
        let communes = self.store().children(&province.code, today, &all)?;
        let boundaries: HashMap<String, String> = self
            .store()
            .boundaries(RegionKind::Commune, today)?
            .into_iter()
            .collect();
        let outline = self
            .store()
            .boundaries(RegionKind::Province, today)?
            .into_iter()
            .find(|(code, _)| *code == province.code)
            .map_or_else(Vec::new, |(_, boundary)| encode_boundary(&boundary, detail));
        let shapes = Arc::new(ProvinceShapes {
            code: province.code.clone(),
            name: province.name.clone(),
            name_en: province.name_en.clone(),
            outline,
            communes: communes
                .iter()
                .map(|c| commune_shape(c, boundaries.get(&c.code), detail))
                .collect(),
        });
        self.shape_cache()
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, shapes.clone());
        Ok(shapes)
    }
}

/// The outer rings of a GeoJSON boundary, encoded.
fn encode_boundary(boundary: &str, detail: Detail) -> Vec<Vec<i64>> {
    serde_json::from_str::<GeoJsonGeometry>(boundary)
        .map(GeoJsonGeometry::into_outer_rings)
        .unwrap_or_default()
        .iter()
        .filter_map(|ring| encode(ring, detail))
        .collect()
}

fn commune_shape(commune: &Region, boundary: Option<&String>, detail: Detail) -> CommuneShape {
    let named = detail == Detail::Province;
    CommuneShape {
        code: commune.code.clone(),
        name: if named {
            commune.name.clone()
        } else {
            String::new()
        },
        name_en: if named {
            commune.name_en.clone()
        } else {
            String::new()
        },
        rings: boundary.map_or_else(Vec::new, |b| encode_boundary(b, detail)),
    }
}

/// A ring simplified and delta-encoded; a small ring is simplified less (down to 1/64 of the
/// tolerance) so that every commune stays drawable. `None` when even then fewer than four
/// distinct points are left.
fn encode(ring: &[[f64; 2]], detail: Detail) -> Option<Vec<i64>> {
    let points: Vec<(f64, f64)> = ring.iter().map(|&[lon, lat]| (lon, lat)).collect();
    let scale = detail.scale();
    let quantised = (0..7).map(|halvings| {
        let simplified = simplify_ring(&points, detail.tolerance() / f64::from(1 << halvings));
        let mut quantised: Vec<(i64, i64)> = simplified
            .iter()
            .map(|&(lon, lat)| ((lon * scale).round() as i64, (lat * scale).round() as i64))
            .collect();
        quantised.dedup();
        quantised
    });
    let quantised = quantised.into_iter().find(|q| q.len() >= 4)?;
    let mut out = Vec::with_capacity(quantised.len() * 2);
    let mut previous = (0, 0);
    for (x, y) in quantised {
        out.push(x - previous.0);
        out.push(y - previous.1);
        previous = (x, y);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rings_are_simplified_quantised_and_delta_encoded() {
        let ring: Vec<[f64; 2]> = (0..=400)
            .map(|i| {
                let angle = std::f64::consts::TAU * (i % 400) as f64 / 400.0;
                [105.8 + 0.05 * angle.cos(), 21.0 + 0.05 * angle.sin()]
            })
            .collect();
        let encoded = encode(&ring, Detail::Province).unwrap();
        assert!(encoded.len() < 120, "{} numbers", encoded.len());
        assert_eq!((encoded[0], encoded[1]), (1_058_500, 210_000));
        let (mut x, mut y) = (0, 0);
        for pair in encoded.chunks(2) {
            x += pair[0];
            y += pair[1];
        }
        assert_eq!(
            (x, y),
            (1_058_500, 210_000),
            "the ring closes where it began"
        );
        assert_eq!(encode(&ring[..3], Detail::Province), None);
        let overview = encode(&ring, Detail::Overview).unwrap();
        assert!(overview.len() < encoded.len());
        assert_eq!((overview[0], overview[1]), (105_850, 21_000));
    }
}
