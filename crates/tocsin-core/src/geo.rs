//! Plane geometry on longitude/latitude: bounding boxes and point-in-polygon for region
//! boundaries (GeoJSON Polygon and MultiPolygon rings).

use serde::{Deserialize, Serialize};

/// A point as (longitude, latitude) in degrees, the GeoJSON order.
pub type LonLat = [f64; 2];

/// Great-circle distance in km between two lon/lat points.
pub fn distance_km(a: LonLat, b: LonLat) -> f64 {
    const EARTH_RADIUS_KM: f64 = 6371.0;
    let (lat1, lat2) = (a[1].to_radians(), b[1].to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b[0] - a[0]).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().asin()
}

/// An axis-aligned box in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl BBox {
    /// The smallest box holding every point of `rings`, or `None` when there is no point.
    pub fn around<'a>(rings: impl IntoIterator<Item = &'a Vec<LonLat>>) -> Option<BBox> {
        let mut points = rings.into_iter().flatten().peekable();
        let first = **points.peek()?;
        let start = BBox {
            min_lon: first[0],
            min_lat: first[1],
            max_lon: first[0],
            max_lat: first[1],
        };
        Some(points.fold(start, |b, p| BBox {
            min_lon: b.min_lon.min(p[0]),
            min_lat: b.min_lat.min(p[1]),
            max_lon: b.max_lon.max(p[0]),
            max_lat: b.max_lat.max(p[1]),
        }))
    }

    /// Whether `point` lies inside or on the edge of the box.
    pub fn contains(&self, point: LonLat) -> bool {
        (self.min_lon..=self.max_lon).contains(&point[0])
            && (self.min_lat..=self.max_lat).contains(&point[1])
    }
}

/// A polygon area made of one or more polygons, each an outer ring followed by its holes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Area {
    pub polygons: Vec<Vec<Vec<LonLat>>>,
}

impl Area {
    /// Reads a GeoJSON geometry of type Polygon or MultiPolygon.
    pub fn from_geojson(geometry: &GeoJsonGeometry) -> Result<Area, String> {
        match geometry {
            GeoJsonGeometry::Polygon { coordinates } => Ok(Area {
                polygons: vec![coordinates.clone()],
            }),
            GeoJsonGeometry::MultiPolygon { coordinates } => Ok(Area {
                polygons: coordinates.clone(),
            }),
        }
    }

    /// Whether `point` is inside the area (even-odd rule per polygon, holes excluded).
    pub fn contains(&self, point: LonLat) -> bool {
        self.polygons.iter().any(|rings| {
            let mut rings = rings.iter();
            let inside_outer = rings
                .next()
                .is_some_and(|outer| ring_contains(outer, point));
            inside_outer && !rings.any(|hole| ring_contains(hole, point))
        })
    }

    /// The bounding box of all outer rings.
    pub fn bbox(&self) -> Option<BBox> {
        BBox::around(self.polygons.iter().filter_map(|rings| rings.first()))
    }
}

/// The GeoJSON geometries a region boundary may have.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum GeoJsonGeometry {
    Polygon { coordinates: Vec<Vec<LonLat>> },
    MultiPolygon { coordinates: Vec<Vec<Vec<LonLat>>> },
}

impl GeoJsonGeometry {
    /// The outer ring of each polygon (holes left out).
    pub fn into_outer_rings(self) -> Vec<Vec<LonLat>> {
        match self {
            GeoJsonGeometry::Polygon { coordinates } => coordinates.into_iter().take(1).collect(),
            GeoJsonGeometry::MultiPolygon { coordinates } => coordinates
                .into_iter()
                .filter_map(|p| p.into_iter().next())
                .collect(),
        }
    }
}

/// Ray casting: whether `point` is inside the closed `ring`.
fn ring_contains(ring: &[LonLat], point: LonLat) -> bool {
    let [x, y] = point;
    let mut inside = false;
    let mut previous = match ring.last() {
        Some(p) => *p,
        None => return false,
    };
    for &current in ring {
        let ([x1, y1], [x2, y2]) = (previous, current);
        if (y1 > y) != (y2 > y) && x < (x2 - x1) * (y - y1) / (y2 - y1) + x1 {
            inside = !inside;
        }
        previous = current;
    }
    inside
}

/// A plane point (x, y) for simplification: (longitude, latitude) or (latitude, longitude).
pub type Point = (f64, f64);

/// Douglas–Peucker on a closed ring of (x, y) points: keeps the first point and the one
/// farthest from it as anchors, so the ring never collapses to a line; points closer than
/// `tolerance` to the simplified outline are dropped.
pub fn simplify_ring(ring: &[Point], tolerance: f64) -> Vec<Point> {
    let far = (1..ring.len())
        .max_by(|&a, &b| distance2(ring[0], ring[a]).total_cmp(&distance2(ring[0], ring[b])))
        .unwrap_or(0);
    let mut keep = vec![false; ring.len()];
    keep[0] = true;
    keep[far] = true;
    keep[ring.len() - 1] = true;
    mark(ring, 0, far, tolerance, &mut keep);
    mark(ring, far, ring.len() - 1, tolerance, &mut keep);
    ring.iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(p, _)| *p)
        .collect()
}

fn mark(ring: &[Point], first: usize, last: usize, tolerance: f64, keep: &mut [bool]) {
    let mut stack = vec![(first, last)];
    while let Some((a, b)) = stack.pop() {
        let farthest = (a + 1..b)
            .map(|i| (i, segment_distance(ring[i], ring[a], ring[b])))
            .max_by(|x, y| x.1.total_cmp(&y.1));
        if let Some((i, _)) = farthest.filter(|(_, d)| *d > tolerance) {
            keep[i] = true;
            stack.push((a, i));
            stack.push((i, b));
        }
    }
}

fn distance2(a: Point, b: Point) -> f64 {
    (a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)
}

fn segment_distance(p: Point, a: Point, b: Point) -> f64 {
    let length2 = distance2(a, b);
    if length2 == 0.0 {
        return distance2(p, a).sqrt();
    }
    let t = (((p.0 - a.0) * (b.0 - a.0) + (p.1 - a.1) * (b.1 - a.1)) / length2).clamp(0.0, 1.0);
    distance2(p, (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square_with_hole() -> Area {
        let outer = vec![
            [0.0, 0.0],
            [10.0, 0.0],
            [10.0, 10.0],
            [0.0, 10.0],
            [0.0, 0.0],
        ];
        let hole = vec![[4.0, 4.0], [6.0, 4.0], [6.0, 6.0], [4.0, 6.0], [4.0, 4.0]];
        Area {
            polygons: vec![vec![outer, hole]],
        }
    }

    #[test]
    fn point_in_polygon() {
        let area = square_with_hole();
        for (point, expected) in [
            ([1.0, 1.0], true),
            ([5.0, 5.0], false),
            ([11.0, 5.0], false),
            ([9.9, 0.1], true),
        ] {
            assert_eq!(area.contains(point), expected, "{point:?}");
        }
        let bbox = area.bbox().unwrap();
        assert_eq!((bbox.min_lon, bbox.max_lat), (0.0, 10.0));
    }
}
