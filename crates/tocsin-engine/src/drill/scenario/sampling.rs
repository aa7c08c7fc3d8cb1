//! Playing a scenario: the observations its series and fields send in a span of time, the
//! stations its fields add, and the values interpolated along series and tracks.

use super::{FieldDef, Sample, Scenario};
use tocsin_core::station::Station;

impl FieldDef {
    /// The field's station in a commune.
    pub fn station_id(&self, commune: &str) -> String {
        format!("{}-{commune}", self.id)
    }

    /// The value at a point and time: zero outside the track's span.
    pub fn value_at(&self, point: [f64; 2], t: i64) -> f64 {
        let Some(centre) = track_at(&self.track, t) else {
            return 0.0;
        };
        let d = tocsin_core::geo::distance_km(point, centre) / self.radius_km;
        let value = self.peak * (-0.5 * d * d).exp();
        if value < 0.05 {
            0.0
        } else {
            (value * 10.0).round() / 10.0
        }
    }
}

/// The centre of a track at `t`, if `t` is within it.
fn track_at(track: &[(jiff::Timestamp, f64, f64)], t: i64) -> Option<[f64; 2]> {
    track.windows(2).find_map(|pair| {
        let (a, b) = (pair[0].0.as_millisecond(), pair[1].0.as_millisecond());
        (a..=b).contains(&t).then(|| {
            let f = (t - a) as f64 / (b - a).max(1) as f64;
            [
                pair[0].1 + f * (pair[1].1 - pair[0].1),
                pair[0].2 + f * (pair[1].2 - pair[0].2),
            ]
        })
    })
}

impl Scenario {
    /// The observations with a time in `(from_ms, to_ms]`, silenced stations left out.
    pub fn samples(&self, from_ms: i64, to_ms: i64) -> Vec<Sample> {
        let mut out = Vec::new();
        for (series, every) in self.file.series.iter().zip(&self.every_ms) {
            let first = series.points[0].0.as_millisecond();
            let last = series.points[series.points.len() - 1].0.as_millisecond();
            // The first sampling time after `from_ms`.
            let mut t = if from_ms < first {
                first
            } else {
                first + ((from_ms - first) / every + 1) * every
            };
            while t <= to_ms.min(last) {
                if !self.silenced(&series.station, t) {
                    out.push((
                        series.station.clone(),
                        series.metric.clone(),
                        t,
                        value_at(&series.points, t),
                    ));
                }
                t += every;
            }
        }
        out
    }

    /// The stations of the fields, one per commune of `places` (per field: the places of its
    /// provinces, or all of them).
    pub fn field_stations(&self, places: &[(String, String, [f64; 2])]) -> Vec<Station> {
        let mut stations = Vec::new();
        for (f, every) in self.file.field.iter().zip(&self.field_every_ms) {
            let csv: String = std::iter::once(
                "id,name,domain,lat,lon,commune,metrics,attributes".to_string(),
            )
            .chain(self.field_places(f, places).map(|(code, [lon, lat])| {
                format!(
                    "{},{} {code} (synthetic),hydromet,{lat},{lon},{code},{}:{}:0:100000:{},{}",
                    f.station_id(code),
                    f.id,
                    f.metric,
                    f.unit,
                    every / 1000,
                    f.attributes
                )
            }))
            .collect::<Vec<_>>()
            .join("\n");
            stations.extend(crate::stations::parse_csv(csv.as_bytes()).unwrap_or_default());
        }
        stations
    }

    fn field_places<'a>(
        &self,
        f: &'a FieldDef,
        places: &'a [(String, String, [f64; 2])],
    ) -> impl Iterator<Item = (&'a String, [f64; 2])> + 'a {
        places
            .iter()
            .filter(move |(_, province, _)| {
                f.provinces.is_empty() || f.provinces.contains(province)
            })
            .map(|(code, _, point)| (code, *point))
    }

    /// The field observations with a time in `(from_ms, to_ms]` at `places` (commune, province,
    /// centroid).
    pub fn field_samples(
        &self,
        from_ms: i64,
        to_ms: i64,
        places: &[(String, String, [f64; 2])],
    ) -> Vec<Sample> {
        let mut out = Vec::new();
        for (f, every) in self.file.field.iter().zip(&self.field_every_ms) {
            let first = f.track[0].0.as_millisecond();
            let last = f.track[f.track.len() - 1].0.as_millisecond();
            let mut t = if from_ms < first {
                first
            } else {
                first + ((from_ms - first) / every + 1) * every
            };
            while t <= to_ms.min(last) {
                for (code, point) in self.field_places(f, places) {
                    out.push((
                        f.station_id(code),
                        f.metric.clone(),
                        t,
                        f.value_at(point, t),
                    ));
                }
                t += every;
            }
        }
        out
    }

    fn silenced(&self, station: &str, t: i64) -> bool {
        self.file.silence.iter().any(|s| {
            s.station == station && s.from.as_millisecond() <= t && t < s.to.as_millisecond()
        })
    }
}

/// The value of a piecewise-linear series at `t` (inside its span).
fn value_at(points: &[(jiff::Timestamp, f64)], t: i64) -> f64 {
    for pair in points.windows(2) {
        let (a, b) = (pair[0].0.as_millisecond(), pair[1].0.as_millisecond());
        if (a..=b).contains(&t) {
            let f = (t - a) as f64 / (b - a) as f64;
            return ((pair[0].1 + f * (pair[1].1 - pair[0].1)) * 100.0).round() / 100.0;
        }
    }
    points.last().map_or(0.0, |p| p.1)
}
