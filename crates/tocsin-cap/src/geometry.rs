//! CAP geometry: polygons (`"lat,lon lat,lon …"`, closed) and circles (`"lat,lon radius-km"`),
//! read and checked — coordinates in range, at least four points, closed (what CAP 1.2 requires)
//! — and looked at for edges that cross ([`self_crossing`]: CAP does not forbid it, real agencies
//! publish such polygons, so validation only warns), and written from region boundaries,
//! simplified to a bounded size and kept simple.

/// A point as (latitude, longitude) in degrees.
pub type Point = (f64, f64);

/// Why a polygon or circle is not valid CAP geometry.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct GeometryError(pub String);

fn fail<T>(message: impl Into<String>) -> Result<T, GeometryError> {
    Err(GeometryError(message.into()))
}

/// The points of a CAP polygon, checked as CAP 1.2 requires: coordinates in range, at least
/// four pairs, the last repeating the first. A polygon whose edges cross is read.
pub fn parse_polygon(text: &str) -> Result<Vec<Point>, GeometryError> {
    let points = text
        .split_whitespace()
        .map(parse_point)
        .collect::<Result<Vec<_>, _>>()?;
    if points.len() < 4 {
        return fail(format!(
            "a polygon needs at least 4 points (the first repeated last); it has {}",
            points.len()
        ));
    }
    if points.first() != points.last() {
        return fail("the polygon is not closed: the last point must repeat the first");
    }
    Ok(points)
}

/// The first two non-adjacent edges of a closed ring that cross, as "edge a crosses edge b";
/// repeated consecutive points are removed first, as real alerts carry them.
pub fn self_crossing(points: &[Point]) -> Option<String> {
    let mut distinct = points.to_vec();
    distinct.dedup();
    crossing_edges(&distinct).map(|(a, b)| format!("edge {a} crosses edge {b}"))
}

/// The centre and radius (km) of a CAP circle, checked.
pub fn parse_circle(text: &str) -> Result<(Point, f64), GeometryError> {
    let mut parts = text.split_whitespace();
    let (Some(centre), Some(radius), None) = (parts.next(), parts.next(), parts.next()) else {
        return fail(format!("{text:?} is not \"lat,lon radius\""));
    };
    let centre = parse_point(centre)?;
    match radius.parse::<f64>() {
        Ok(r) if r.is_finite() && r >= 0.0 => Ok((centre, r)),
        _ => fail(format!("radius {radius:?} is not a distance in km ≥ 0")),
    }
}

fn parse_point(text: &str) -> Result<Point, GeometryError> {
    let Some((lat, lon)) = text.split_once(',') else {
        return fail(format!("{text:?} is not a lat,lon pair"));
    };
    let number = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite());
    match (number(lat), number(lon)) {
        (Some(lat), Some(lon)) if lat.abs() <= 90.0 && lon.abs() <= 180.0 => Ok((lat, lon)),
        (Some(_), Some(_)) => fail(format!("{text:?} is outside latitude ±90 / longitude ±180")),
        _ => fail(format!("{text:?} is not a lat,lon pair of numbers")),
    }
}

/// The first two non-adjacent edges that cross (edge i joins point i and i+1); repeated
/// consecutive points are removed first, as real alerts carry them. Edges are bucketed in a grid
/// of about one cell per edge, so only edges sharing a cell are compared: near-linear for the
/// 40,000-point polygons real agencies publish.
fn crossing_edges(points: &[Point]) -> Option<(usize, usize)> {
    let edges = points.len().saturating_sub(1);
    let grid = Grid::around(points);
    let mut cells: std::collections::HashMap<(usize, usize), Vec<usize>> =
        std::collections::HashMap::new();
    for edge in 0..edges {
        for cell in grid.cells(points[edge], points[edge + 1]) {
            cells.entry(cell).or_default().push(edge);
        }
    }
    let mut found: Option<(usize, usize)> = None;
    for members in cells.values() {
        for (k, &i) in members.iter().enumerate() {
            for &j in &members[k + 1..] {
                let (i, j) = (i.min(j), i.max(j));
                let adjacent = j == i + 1 || (i == 0 && j == edges - 1);
                if !adjacent && segments_cross(points[i], points[i + 1], points[j], points[j + 1]) {
                    found = Some(found.map_or((i, j), |first| first.min((i, j))));
                }
            }
        }
    }
    found
}

/// A square grid over a polygon's bounding box.
struct Grid {
    origin: Point,
    cell: (f64, f64),
    size: usize,
}

impl Grid {
    fn around(points: &[Point]) -> Grid {
        let fold = |pick: fn(&Point) -> f64| {
            points
                .iter()
                .map(pick)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                })
        };
        let ((lat_lo, lat_hi), (lon_lo, lon_hi)) = (fold(|p| p.0), fold(|p| p.1));
        let size = ((points.len() as f64).sqrt().ceil() as usize).max(1);
        let span = |lo: f64, hi: f64| ((hi - lo) / size as f64).max(f64::MIN_POSITIVE);
        Grid {
            origin: (lat_lo, lon_lo),
            cell: (span(lat_lo, lat_hi), span(lon_lo, lon_hi)),
            size,
        }
    }

    fn index(&self, value: f64, origin: f64, cell: f64) -> usize {
        (((value - origin) / cell) as usize).min(self.size - 1)
    }

    /// The cells a segment's bounding box covers.
    fn cells(&self, a: Point, b: Point) -> impl Iterator<Item = (usize, usize)> + use<> {
        let rows = self.index(a.0.min(b.0), self.origin.0, self.cell.0)
            ..=self.index(a.0.max(b.0), self.origin.0, self.cell.0);
        let columns = self.index(a.1.min(b.1), self.origin.1, self.cell.1)
            ..=self.index(a.1.max(b.1), self.origin.1, self.cell.1);
        rows.flat_map(move |row| columns.clone().map(move |column| (row, column)))
    }
}

fn segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool {
    let (d1, d2) = (orientation(c, d, a), orientation(c, d, b));
    let (d3, d4) = (orientation(a, b, c), orientation(a, b, d));
    if d1 * d2 < 0.0 && d3 * d4 < 0.0 {
        return true;
    }
    (d1 == 0.0 && on_segment(c, d, a))
        || (d2 == 0.0 && on_segment(c, d, b))
        || (d3 == 0.0 && on_segment(a, b, c))
        || (d4 == 0.0 && on_segment(a, b, d))
}

fn orientation(p: Point, q: Point, r: Point) -> f64 {
    (q.0 - p.0) * (r.1 - p.1) - (q.1 - p.1) * (r.0 - p.0)
}

fn on_segment(p: Point, q: Point, r: Point) -> bool {
    r.0 >= p.0.min(q.0) && r.0 <= p.0.max(q.0) && r.1 >= p.1.min(q.1) && r.1 <= p.1.max(q.1)
}

/// Most points a written polygon has.
pub const MAX_POLYGON_POINTS: usize = 100;
/// Most polygons written for one area; smaller islands are covered by the area's geocode.
pub const MAX_AREA_POLYGONS: usize = 5;

/// CAP polygons for a boundary given as outer rings of (longitude, latitude) points: the largest
/// rings, each simplified (Douglas–Peucker) to at most [`MAX_POLYGON_POINTS`] points, closed and
/// never self-intersecting (the convex hull when no simplification is simple).
pub fn boundary_polygons(rings: &[Vec<[f64; 2]>]) -> Vec<String> {
    let mut rings: Vec<Vec<Point>> = rings
        .iter()
        .map(|ring| {
            ring.iter()
                .map(|&[lon, lat]| (round(lat), round(lon)))
                .collect::<Vec<_>>()
        })
        .filter(|ring| ring.len() >= 4)
        .collect();
    rings.sort_by(|a, b| ring_area(b).total_cmp(&ring_area(a)));
    let largest = rings.first().map(|r| ring_area(r)).unwrap_or(0.0);
    rings
        .iter()
        .take(MAX_AREA_POLYGONS)
        .filter(|ring| ring_area(ring) >= largest * 0.01)
        .map(|ring| polygon_text(&simple_polygon(ring)))
        .collect()
}

fn round(degrees: f64) -> f64 {
    (degrees * 1e5).round() / 1e5
}

fn polygon_text(points: &[Point]) -> String {
    points
        .iter()
        .map(|(lat, lon)| format!("{lat},{lon}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The ring simplified until it fits and stays simple.
fn simple_polygon(ring: &[Point]) -> Vec<Point> {
    let mut closed = ring.to_vec();
    closed.dedup();
    if closed.first() != closed.last() {
        closed.push(closed[0]);
    }
    let extent = closed.iter().fold(0.0_f64, |m, p| {
        m.max((p.0 - closed[0].0).abs())
            .max((p.1 - closed[0].1).abs())
    });
    let mut tolerance = extent / 10_000.0;
    for _ in 0..24 {
        let simplified = tocsin_core::geo::simplify_ring(&closed, tolerance);
        let simple = parse_polygon(&polygon_text(&simplified))
            .is_ok_and(|points| self_crossing(&points).is_none());
        if simplified.len() <= MAX_POLYGON_POINTS && simple {
            return simplified;
        }
        tolerance *= 2.0;
    }
    convex_hull(&closed)
}

/// Twice the absolute area of a ring (shoelace), for ranking rings by size.
fn ring_area(ring: &[Point]) -> f64 {
    ring.windows(2)
        .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
        .sum::<f64>()
        .abs()
}

/// The convex hull (monotone chain), closed.
fn convex_hull(points: &[Point]) -> Vec<Point> {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    sorted.dedup();
    let half = |points: &mut dyn Iterator<Item = Point>| {
        let mut hull: Vec<Point> = Vec::new();
        for p in points {
            while hull.len() >= 2
                && orientation(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0
            {
                hull.pop();
            }
            hull.push(p);
        }
        hull.pop();
        hull
    };
    let mut hull = half(&mut sorted.iter().copied());
    hull.extend(half(&mut sorted.iter().rev().copied()));
    hull.push(hull[0]);
    hull
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polygons_must_be_closed_and_long_enough_and_may_cross() {
        assert!(parse_polygon("0,0 0,1 1,1 1,0 0,0").is_ok());
        assert!(
            parse_polygon("0,0 0,1 0,0")
                .unwrap_err()
                .0
                .contains("at least 4")
        );
        assert!(
            parse_polygon("0,0 0,1 1,1 1,0")
                .unwrap_err()
                .0
                .contains("not closed")
        );
        let bowtie = parse_polygon("0,0 1,1 1,0 0,1 0,0").unwrap();
        assert_eq!(
            self_crossing(&bowtie).as_deref(),
            Some("edge 0 crosses edge 2")
        );
        assert!(
            parse_polygon("0,0 0,1 91,1 0,0")
                .unwrap_err()
                .0
                .contains("outside")
        );
    }

    #[test]
    fn large_polygons_are_checked_for_crossings() {
        let ring = |n: usize| -> Vec<Point> {
            let step = std::f64::consts::TAU / n as f64;
            (0..=n)
                .map(|i| ((i % n) as f64 * step).sin_cos())
                .map(|(s, c)| (10.0 + s, 100.0 + c))
                .collect()
        };
        let text = |points: &[Point]| {
            points
                .iter()
                .map(|(a, b)| format!("{a},{b}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let read = |points: &[Point]| parse_polygon(&text(points)).unwrap();
        assert_eq!(self_crossing(&read(&ring(5000))), None);
        let mut twisted = ring(5000);
        twisted.swap(1200, 3700);
        assert!(self_crossing(&read(&twisted)).is_some());
    }

    #[test]
    fn boundaries_become_bounded_simple_cap_polygons() {
        let wiggly: Vec<[f64; 2]> = (0..=2000)
            .map(|i| {
                let angle = std::f64::consts::TAU * (i % 2000) as f64 / 2000.0;
                let radius = 0.1 + 0.01 * (angle * 40.0).sin();
                [105.8 + radius * angle.cos(), 21.0 + radius * angle.sin()]
            })
            .collect();
        let islet: Vec<[f64; 2]> = vec![
            [106.5, 21.5],
            [106.5001, 21.5],
            [106.5001, 21.5001],
            [106.5, 21.5],
        ];
        let polygons = boundary_polygons(&[islet, wiggly]);
        assert_eq!(
            polygons.len(),
            1,
            "the islet is below 1 % of the largest ring"
        );
        let points = parse_polygon(&polygons[0]).unwrap();
        assert!(
            (4..=MAX_POLYGON_POINTS).contains(&points.len()),
            "{} points",
            points.len()
        );
        assert!(
            points
                .iter()
                .all(|(lat, lon)| (20.8..21.2).contains(lat) && (105.6..106.0).contains(lon))
        );
    }

    #[test]
    fn convex_hull_is_closed_and_simple() {
        let hull = convex_hull(&[
            (0.0, 0.0),
            (1.0, 0.0),
            (0.5, 0.2),
            (1.0, 1.0),
            (0.0, 1.0),
            (0.0, 0.0),
        ]);
        assert_eq!(hull.len(), 5);
        assert!(parse_polygon(&polygon_text(&hull)).is_ok());
    }

    #[test]
    fn circles_have_a_centre_and_a_radius() {
        assert_eq!(
            parse_circle("21.03,105.85 10").unwrap(),
            ((21.03, 105.85), 10.0)
        );
        assert!(parse_circle("21.03,105.85").is_err());
        assert!(parse_circle("21.03,105.85 -1").is_err());
    }
}
