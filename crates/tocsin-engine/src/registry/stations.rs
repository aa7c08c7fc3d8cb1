//! Stations as the engine serves them: created, replaced and retired within the caller's
//! scope, placed in their communes, and read back with their thresholds.

use crate::access::Principal;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use tocsin_core::access::{Access, Resource};
use tocsin_core::region::RegionKind;
use tocsin_core::station::{Station, StationError};
use tocsin_store::{FilterRoot, RegionFilter};

impl Engine {
    /// Creates or replaces stations, all or none: each is validated, placed in its commune, and
    /// checked against the caller's scope.
    pub fn upsert_stations(&self, who: &Principal, mut stations: Vec<Station>) -> Result<usize> {
        who.require(Resource::Stations, Access::Write)?;
        let index = self.commune_index();
        let today = self.today();
        let all = RegionFilter::all();
        let mut errors: Vec<StationError> =
            crate::batch::repeated_ids(stations.iter().map(|s| s.id.as_str()))
                .into_iter()
                .map(|(id, reason)| StationError {
                    station: id.to_string(),
                    field: "id".into(),
                    reason,
                })
                .collect();
        let mut provinces = Vec::with_capacity(stations.len());
        for station in &mut stations {
            let problem = |field: &str, reason: String| StationError {
                station: station.id.clone(),
                field: field.into(),
                reason,
            };
            if let Err(e) = station.validate() {
                errors.push(e);
                provinces.push(None);
                continue;
            }
            if let Some(reason) = tocsin_core::station::outside_vietnam(station.lat, station.lon) {
                errors.push(problem("lat", reason));
                provinces.push(None);
                continue;
            }
            let commune = match station.commune.clone() {
                Some(code) => Some(code),
                None => index.locate([station.lon, station.lat]).map(str::to_string),
            };
            let province = match &commune {
                Some(code) => match self.store.region(code, today, &all)? {
                    Some(r) if r.kind == RegionKind::Commune => r.parent,
                    _ => {
                        errors.push(problem(
                            "commune",
                            format!("{code:?} is not a current commune"),
                        ));
                        None
                    }
                },
                None => None,
            };
            station.commune = commune;
            let inside = match &who.filter.root {
                FilterRoot::Nation => true,
                FilterRoot::Province(p) => province.as_deref() == Some(p),
                FilterRoot::Commune { commune, .. } => station.commune.as_deref() == Some(commune),
            };
            if !inside || !who.scope.allows_domain(station.domain) {
                errors.push(problem(
                    "lat",
                    "the station lies outside this token's scope".into(),
                ));
            }
            provinces.push(province);
        }
        if !errors.is_empty() {
            return Err(EngineError::InvalidStations(errors));
        }
        let now = self.clock.now().as_millisecond();
        self.store
            .upsert_stations(&stations, &provinces, now, &who.actor())?;
        self.reload_stations()?;
        Ok(stations.len())
    }

    pub fn station(&self, who: &Principal, id: &str) -> Result<Station> {
        who.require(Resource::Stations, Access::Read)?;
        self.store
            .station(id, &who.filter)?
            .ok_or_else(|| EngineError::NotFound(format!("no station {id:?} within your scope")))
    }

    /// The level edges a station's raw values are judged against, for its charts.
    pub fn station_thresholds(
        &self,
        who: &Principal,
        id: &str,
    ) -> Result<Vec<tocsin_core::evaluate::RawThreshold>> {
        self.station(who, id)?;
        let detector = self.detector.lock().unwrap_or_else(|e| e.into_inner());
        Ok(detector.raw_thresholds(id))
    }

    pub fn stations(&self, who: &Principal) -> Result<Vec<Station>> {
        who.require(Resource::Stations, Access::Read)?;
        Ok(self.store.stations(&who.filter)?)
    }

    /// Retires a station: it stops accepting observations; its history stays.
    pub fn retire_station(&self, who: &Principal, id: &str) -> Result<Station> {
        let mut station = self.station(who, id)?;
        station.retired = Some(self.clock.now().to_string());
        self.upsert_stations(who, vec![station.clone()])?;
        Ok(station)
    }
}
