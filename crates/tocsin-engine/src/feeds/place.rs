//! Placing an external alert on our current regions: by a geocode that is one of our codes, or
//! by its polygons and circles over the communes' representative points.

use crate::access::Principal;
use crate::engine::Engine;
use crate::error::Result;
use std::collections::BTreeMap;
use tocsin_cap::geometry::{parse_circle, parse_polygon};
use tocsin_cap::{Alert, Area};
use tocsin_core::geo::{self, LonLat, distance_km};
use tocsin_core::region::{NATION_CODE, Region, RegionKind};
use tocsin_store::{PlacedRegion, RegionFilter};

/// A box around Vietnam's territory, islands included (lon/lat): geometry wholly outside it
/// cannot be ours, and a geocode on such an area is another country's code.
const TERRITORY: geo::BBox = geo::BBox {
    min_lon: 102.0,
    min_lat: 6.0,
    max_lon: 118.0,
    max_lat: 23.5,
};

impl Engine {
    /// The current regions the alert's areas lie on, each once (the first way it matched).
    pub(super) fn place(&self, alert: &Alert) -> Result<Vec<PlacedRegion>> {
        let mut placed = BTreeMap::new();
        let mut communes = None;
        for area in alert.info.iter().flat_map(|i| &i.area) {
            let by_code = self.place_by_geocode(area)?;
            let found = if by_code.is_empty() {
                let communes = match &mut communes {
                    Some(c) => c,
                    None => communes.insert(self.current_communes()?),
                };
                self.place_by_geometry(area, communes)
            } else {
                by_code
            };
            for region in found {
                placed.entry(region.region.clone()).or_insert(region);
            }
        }
        Ok(placed.into_values().collect())
    }

    /// Regions named by a geocode value that is one of our current codes (unless the area's
    /// geometry lies wholly outside our territory, which makes the code another country's).
    fn place_by_geocode(&self, area: &Area) -> Result<Vec<PlacedRegion>> {
        if has_geometry(area) && !touches_territory(area) {
            return Ok(Vec::new());
        }
        let today = self.today();
        let mut found = Vec::new();
        for code in area.geocode.iter().map(|g| g.value.trim()) {
            let Some(region) = self.store().region(code, today, &RegionFilter::all())? else {
                continue;
            };
            if let Some(province) = province_of(&region) {
                found.push(placed(region.code, province, "geocode"));
            }
        }
        Ok(found)
    }

    /// Communes placed by the area's polygons and circles; unreadable geometry places nothing
    /// (validation reports it).
    fn place_by_geometry(&self, area: &Area, communes: &[Commune]) -> Vec<PlacedRegion> {
        if !touches_territory(area) {
            return Vec::new();
        }
        let mut found = Vec::new();
        for polygon in area.polygon.iter().filter_map(|p| parse_polygon(p).ok()) {
            let ring: Vec<LonLat> = polygon.iter().map(|&(lat, lon)| [lon, lat]).collect();
            let shape = geo::Area {
                polygons: vec![vec![ring]],
            };
            let inside = communes.iter().filter(|c| shape.contains(c.point));
            let mut hits: Vec<PlacedRegion> = inside.map(|c| c.placed("polygon")).collect();
            if hits.is_empty() {
                hits.extend(self.commune_at(middle(&polygon), communes, "polygon"));
            }
            found.extend(hits);
        }
        for ((lat, lon), radius_km) in area.circle.iter().filter_map(|c| parse_circle(c).ok()) {
            let near = communes
                .iter()
                .filter(|c| distance_km([lon, lat], c.point) <= radius_km);
            found.extend(near.map(|c| c.placed("circle")));
            found.extend(self.commune_at((lat, lon), communes, "circle"));
        }
        found
    }

    /// The current commune containing the point, if any.
    fn commune_at(
        &self,
        (lat, lon): (f64, f64),
        communes: &[Commune],
        how: &str,
    ) -> Option<PlacedRegion> {
        let region = self.locate(&Principal::local_admin(), lat, lon).ok()?;
        communes
            .iter()
            .find(|c| c.code == region.code)
            .map(|c| c.placed(how))
    }

    /// Every current commune with its representative point and province.
    fn current_communes(&self) -> Result<Vec<Commune>> {
        let today = self.today();
        let all = RegionFilter::all();
        let mut communes = Vec::new();
        for province in self.store().children(NATION_CODE, today, &all)? {
            for commune in self.store().children(&province.code, today, &all)? {
                if let Some(point) = commune.centroid {
                    communes.push(Commune {
                        code: commune.code,
                        province: province.code.clone(),
                        point,
                    });
                }
            }
        }
        Ok(communes)
    }
}

/// A current commune, as placement needs it.
struct Commune {
    code: String,
    province: String,
    point: LonLat,
}

impl Commune {
    fn placed(&self, how: &str) -> PlacedRegion {
        placed(self.code.clone(), self.province.clone(), how)
    }
}

fn placed(region: String, province: String, how: &str) -> PlacedRegion {
    PlacedRegion {
        region,
        province,
        matched_by: how.into(),
    }
}

/// The current province a region lies in (itself for a province); `None` for other kinds.
fn province_of(region: &Region) -> Option<String> {
    match region.kind {
        RegionKind::Province => Some(region.code.clone()),
        RegionKind::Commune => region.parent.clone(),
        _ => None,
    }
}

fn has_geometry(area: &Area) -> bool {
    !area.polygon.is_empty() || !area.circle.is_empty()
}

/// Whether any polygon point or circle centre of the area lies in the box around our territory.
fn touches_territory(area: &Area) -> bool {
    let polygon_points = area
        .polygon
        .iter()
        .filter_map(|p| parse_polygon(p).ok())
        .flatten();
    let centres = area
        .circle
        .iter()
        .filter_map(|c| parse_circle(c).ok())
        .map(|(centre, _)| centre);
    polygon_points
        .chain(centres)
        .any(|(lat, lon)| TERRITORY.contains([lon, lat]))
}

/// The mean of a polygon's distinct points.
fn middle(polygon: &[(f64, f64)]) -> (f64, f64) {
    let points = &polygon[..polygon.len().saturating_sub(1).max(1)];
    let n = points.len() as f64;
    let (lat, lon) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (lat, lon)| (a + lat, b + lon));
    (lat / n, lon / n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_on_the_sphere() {
        let hanoi = [105.8342, 21.0278];
        let hai_phong = [106.6881, 20.8449];
        let km = distance_km(hanoi, hai_phong);
        assert!((km - 91.0).abs() < 3.0, "{km}");
    }
}
