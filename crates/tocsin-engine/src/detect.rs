//! Detection in the running system: the streaming evaluator fed with every newly stored
//! observation, in commit order, turning level changes into stored detections.
//!
//! After a restart (or a catalogue change) the evaluator's windows are rebuilt by replaying the
//! stored history over the catalogue's horizon and the levels are resumed from the stored current
//! levels; the replay's level changes that came after a stored level (a store written before
//! observations and their detections were committed together, or any other gap) are returned to
//! be recorded, chained onto the stored levels — so a restart neither repeats nor loses a
//! detection, and each detection starts from the level the one before it reached.

use crate::outbreaks::{OutbreakChange, OutbreakTracker};
use std::collections::HashMap;
use tocsin_core::evaluate::{
    CompiledCatalog, Evaluator, LevelChange, RawThreshold, SeriesHandle, StationContext,
};
use tocsin_core::observation::Observation;
use tocsin_core::station::Station;
use tocsin_store::{Detection, Lead, RegionFilter, SeriesRow, Store};

/// The certainty of a level seen in observations.
pub const OBSERVED: &str = "observed";

/// The certainty of a level forecast from the trend (CAP "Likely").
pub const LIKELY: &str = "likely";

/// How far behind the newest sample a late observation still counts (seconds).
pub const LATENESS_S: i64 = 6 * 3600;

/// Where a station is, for the detections it raises.
#[derive(Debug, Clone)]
struct Place {
    id: String,
    commune: Option<String>,
    province: Option<String>,
}

impl Place {
    /// An observed level change of `rule_id` here, without lead time.
    fn detection(
        &self,
        (rule_id, hazard): (&str, &str),
        (from, to): (u8, u8),
        time_ms: i64,
        value: f64,
        status: &str,
    ) -> Detection {
        Detection {
            station: self.id.clone(),
            rule: rule_id.to_string(),
            hazard: hazard.to_string(),
            commune: self.commune.clone(),
            province: self.province.clone(),
            from_level: from,
            to_level: to,
            time_ms,
            value,
            status: status.to_string(),
            certainty: OBSERVED.to_string(),
            lead: None,
        }
    }
}

/// The evaluator with the registry mappings it needs.
pub struct Detector {
    evaluator: Evaluator,
    stations: HashMap<String, usize>,
    places: Vec<Place>,
    series: HashMap<i64, Option<SeriesHandle>>,
    changes: Vec<LevelChange>,
    outbreaks: OutbreakTracker,
    zones: crate::zones::ZoneCommunes,
}

impl Detector {
    pub fn new(catalog: CompiledCatalog) -> Detector {
        let outbreaks = OutbreakTracker::new(catalog.outbreaks.clone());
        Detector {
            evaluator: Evaluator::new(catalog, LATENESS_S),
            stations: HashMap::new(),
            places: Vec::new(),
            series: HashMap::new(),
            changes: Vec::new(),
            outbreaks,
            zones: Default::default(),
        }
    }

    /// Sets the communes of each catalogue zone (before `sync`).
    pub fn set_zones(&mut self, zones: crate::zones::ZoneCommunes) {
        self.zones = zones;
    }

    /// A detector with this one's catalogue and zones and nothing seen yet (to rebuild from the
    /// store when this one may be ahead of it).
    pub fn blank(&self) -> Detector {
        let mut blank = Detector::new(self.catalog().clone());
        blank.set_zones(self.zones.clone());
        blank
    }

    /// Rebuilds the evaluation state from `store`: registers its stations, replays the stored
    /// history over the catalogue's horizon (back from the newest observation, so replayed or
    /// historical data warms up too) — outbreak count series whole, then observed values, then
    /// every forecast issue still valid, oldest first — and resumes the stored levels. Returns
    /// the replay's level changes the store lacks ([`missing_changes`]), which the caller
    /// records; the detector already stands at their levels.
    pub fn warm_up(&mut self, store: &dyn Store) -> tocsin_store::Result<Vec<Detection>> {
        self.sync(
            &store.stations(&RegionFilter::all())?,
            &store.series_catalog()?,
        );
        let observed = |rows: Vec<(i64, i64, f64)>| -> Vec<Observation> {
            rows.into_iter()
                .map(|(series, time_ms, value)| Observation {
                    series,
                    time_ms,
                    issued_ms: 0,
                    value,
                })
                .collect()
        };
        self.observe_batch(&observed(
            store.observed_for_series(&self.outbreak_series())?,
        ));
        let from_ms = store.newest_observed_ms()?.unwrap_or(0) - self.horizon_ms();
        self.observe_batch(&observed(store.observed_since(from_ms)?));
        self.observe_batch(&store.forecast_since(from_ms)?);
        let replayed = self.take_detections();
        let stored = store.stored_levels()?;
        let missing = missing_changes(&stored, replayed);
        self.restore_levels(&stored);
        self.restore_levels(&missing);
        Ok(missing)
    }

    /// The series outbreak rules read (their whole history is needed to judge a period).
    pub fn outbreak_series(&self) -> Vec<i64> {
        self.outbreaks.series_ids()
    }

    pub fn catalog(&self) -> &CompiledCatalog {
        self.evaluator.catalog()
    }

    /// The level edges of a station's raw metrics (see [`Evaluator::raw_thresholds`]).
    pub fn raw_thresholds(&self, station: &str) -> Vec<RawThreshold> {
        self.stations
            .get(station)
            .map_or_else(Vec::new, |&index| self.evaluator.raw_thresholds(index))
    }

    /// The history needed to rebuild the evaluation state, in milliseconds.
    pub fn horizon_ms(&self) -> i64 {
        self.evaluator.horizon_s() * 1000
    }

    /// Registers new stations and series, and re-reads the attributes of known ones.
    pub fn sync(&mut self, stations: &[Station], series: &[SeriesRow]) {
        let provinces: HashMap<&str, Option<&str>> = series
            .iter()
            .map(|s| (s.station.as_str(), s.province.as_deref()))
            .collect();
        for station in stations {
            let province = provinces.get(station.id.as_str()).copied().flatten();
            let regions: Vec<String> = station
                .commune
                .iter()
                .cloned()
                .chain(province.map(str::to_string))
                .collect();
            let zones = station.commune.as_ref().map_or_else(Vec::new, |c| {
                self.zones
                    .iter()
                    .filter(|(_, communes)| communes.contains(c))
                    .map(|(id, _)| id.clone())
                    .collect()
            });
            let context = StationContext {
                domain: station.domain,
                attributes: station.attributes.clone(),
                regions,
                zones,
            };
            let place = Place {
                id: station.id.clone(),
                commune: station.commune.clone(),
                province: provinces
                    .get(station.id.as_str())
                    .copied()
                    .flatten()
                    .map(str::to_string),
            };
            match self.stations.get(&station.id) {
                Some(&index) => {
                    self.evaluator.update_station(index, context);
                    self.places[index] = place;
                }
                None => {
                    let index = self.evaluator.add_station(context);
                    self.stations.insert(station.id.clone(), index);
                    self.places.push(place);
                }
            }
        }
        for row in series {
            if self.series.contains_key(&row.series) {
                continue;
            }
            let station = self.stations.get(&row.station).copied();
            let handle = station.and_then(|s| self.evaluator.series(s, &row.metric));
            if let Some(station) = station {
                self.outbreaks.register(row.series, station, &row.metric);
            }
            self.series.insert(row.series, handle);
        }
    }

    /// Feeds a batch of stored observations station by station, each station's in their given
    /// order. A station's levels depend only on its own observations, in their order, so the
    /// outcome is that of the given order; but each station's state stays in the cache while its
    /// observations are applied, instead of being fetched from memory again for each one —
    /// several times faster when a batch holds more than one reading per station (hourly uploads,
    /// a backfill after an outage, the rebuild at start).
    pub fn observe_batch<'a>(&mut self, observations: impl IntoIterator<Item = &'a Observation>) {
        let mut by_station: Vec<(usize, &Observation)> = observations
            .into_iter()
            .map(|o| (self.station_key(o), o))
            .collect();
        // A stable sort: each station's observations keep their order.
        by_station.sort_by_key(|(station, _)| *station);
        for (_, observation) in by_station {
            self.observe(observation);
        }
    }

    /// The evaluator's station of an observation's series (series it does not evaluate last).
    fn station_key(&self, observation: &Observation) -> usize {
        match self.series.get(&observation.series) {
            Some(Some(handle)) => self.evaluator.station_of(*handle),
            _ => usize::MAX,
        }
    }

    /// Feeds one stored observation: an observed value to the windows and outbreak series of its
    /// metric, a forecast value to the forecast indicators.
    pub fn observe(&mut self, observation: &Observation) {
        let observed = observation.issued_ms == 0;
        if observed {
            self.outbreaks.observe(observation);
        }
        let Some(Some(handle)) = self.series.get(&observation.series).copied() else {
            return;
        };
        let time_s = observation.time_ms.div_euclid(1000);
        if observed {
            self.evaluator
                .observe(handle, time_s, observation.value, &mut self.changes);
        } else {
            let issued_s = observation.issued_ms.div_euclid(1000);
            self.evaluator.observe_forecast(
                handle,
                issued_s,
                time_s,
                observation.value,
                &mut self.changes,
            );
        }
    }

    /// Drops the level changes seen so far (after a replay that only rebuilds state).
    pub fn forget_changes(&mut self) {
        self.changes.clear();
        self.outbreaks.take_changes();
    }

    /// The level changes since the last call, as detections to store.
    pub fn take_detections(&mut self) -> Vec<Detection> {
        let catalog = self.evaluator.catalog();
        let detections = self
            .changes
            .iter()
            .map(|c| {
                let rule = &catalog.rules[c.rule];
                let place = &self.places[c.station];
                let band_status = rule
                    .bands
                    .iter()
                    .find(|b| b.level == c.to)
                    .map_or(rule.status, |b| b.status);
                let status = format!("{band_status:?}").to_lowercase();
                let mut detection = place.detection(
                    (&rule.id, &rule.hazard),
                    (c.from, c.to),
                    c.time_s * 1000,
                    c.value,
                    &status,
                );
                if let Some(forecast) = c.forecast {
                    detection.certainty = LIKELY.to_string();
                    detection.lead = forecast.crossing.map(|x| Lead {
                        expected_s: x.lead_s,
                        earliest_s: x.earliest_s,
                        latest_s: x.latest_s,
                    });
                }
                detection
            })
            .collect::<Vec<_>>();
        self.changes.clear();
        let outbreak_detections = self
            .outbreaks
            .take_changes()
            .into_iter()
            .map(|c| self.outbreak_detection(&c));
        detections.into_iter().chain(outbreak_detections).collect()
    }

    fn outbreak_detection(&self, change: &OutbreakChange) -> Detection {
        let rule = &self.outbreaks.rules[change.rule];
        let status = rule.status.as_str().to_string();
        self.places[change.station].detection(
            (&rule.id, &rule.hazard),
            (change.from, change.to),
            change.time_ms,
            change.count,
            &status,
        )
    }

    /// Resumes stored current levels, those back at 0 too (so a level the replay holds but the
    /// store saw fall is not left standing), later entries over earlier ones.
    pub fn restore_levels(&mut self, levels: &[Detection]) {
        for level in levels.iter().filter(|l| l.certainty == OBSERVED) {
            if let Some(&station) = self.stations.get(&level.station) {
                self.outbreaks
                    .set_level(station, &level.rule, level.to_level);
            }
            let (Some(&station), Some(rule)) = (
                self.stations.get(&level.station),
                self.evaluator.catalog().rule_index(&level.rule),
            ) else {
                continue;
            };
            self.evaluator.set_level(
                station,
                rule,
                level.to_level,
                level.time_ms.div_euclid(1000),
            );
        }
    }
}

/// The level changes of a replay that the store lacks, chained onto the stored levels: per
/// station, rule and certainty, only the changes after the time of the stored level (earlier ones
/// are what the stored level already says, or what a replay from an empty state gets differently
/// than the live evaluation did, e.g. inside a band's hysteresis), each starting from the level
/// before it — the stored one for the first; a change that then changes nothing is dropped.
pub fn missing_changes(stored: &[Detection], replayed: Vec<Detection>) -> Vec<Detection> {
    let key = |d: &Detection| (d.station.clone(), d.rule.clone(), d.certainty.clone());
    let mut levels: HashMap<(String, String, String), (u8, i64)> = stored
        .iter()
        .map(|d| (key(d), (d.to_level, d.time_ms)))
        .collect();
    replayed
        .into_iter()
        .filter_map(|mut change| {
            let (level, since_ms) = levels.entry(key(&change)).or_insert((0, i64::MIN));
            if change.time_ms <= *since_ms || change.to_level == *level {
                return None;
            }
            change.from_level = std::mem::replace(level, change.to_level);
            Some(change)
        })
        .collect()
}

/// A detection as JSON, as the API and the live stream show it.
pub fn detection_json(d: &Detection) -> serde_json::Value {
    let time = tocsin_core::clock::timestamp_text(d.time_ms);
    let lead = d.lead.map(|l| {
        serde_json::json!({"expected_seconds": l.expected_s, "earliest_seconds": l.earliest_s, "latest_seconds": l.latest_s})
    });
    serde_json::json!({
        "station": d.station, "rule": d.rule, "hazard": d.hazard, "commune": d.commune,
        "province": d.province, "from_level": d.from_level, "level": d.to_level, "time": time,
        "value": d.value, "status": d.status, "certainty": d.certainty, "lead": lead,
    })
}

#[cfg(test)]
mod tests;
