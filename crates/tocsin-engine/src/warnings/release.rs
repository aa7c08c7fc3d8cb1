//! Releasing a draft: its CAP alert composed with the registry's names and boundaries of its
//! places (or a circle around the station of a point hazard), signed when a key is set, and
//! stored with who released it.

use super::compose::{Composition, Place, compose};
use super::records::{closed_record, open_record};
use super::{VIETNAM, WarningDesk, lead_area, rule_text};
use crate::error::{EngineError, Result};
use tocsin_cap::CodeList;
use tocsin_cap::signature::sign;
use tocsin_core::change::Actor;
use tocsin_core::geo::GeoJsonGeometry;
use tocsin_core::warning::{AreaState, Draft, WarningBook};
use tocsin_store::{Publication, RegionFilter, StoreError, VersionRecord, VersionState};

impl WarningDesk {
    /// Releases a draft: composes its CAP alert, stores it with who released it, and moves the
    /// lifecycle on. Refused when the draft was superseded or already released.
    pub fn release(
        &self,
        warning: u64,
        number: u32,
        released_by: &str,
        actor: &Actor,
    ) -> Result<VersionRecord> {
        let mut book = self.lock();
        self.release_locked(&mut book, (warning, number), released_by, actor)
    }

    pub(super) fn release_locked(
        &self,
        book: &mut WarningBook,
        (warning, number): (u64, u32),
        released_by: &str,
        actor: &Actor,
    ) -> Result<VersionRecord> {
        let versions = self.store.warning_versions(warning)?;
        let Some(record) = versions.iter().find(|v| v.number == number) else {
            return Err(EngineError::NotFound(format!(
                "warning {warning} has no version {number}"
            )));
        };
        if record.state != VersionState::Draft {
            let state = record.state.as_str();
            return Err(EngineError::Conflict(format!(
                "version {number} of warning {warning} is {state}, not a draft awaiting release"
            )));
        }
        let now = self.clock.now().as_millisecond();
        let mut draft: Draft = serde_json::from_str(&record.draft)
            .map_err(|e| StoreError::Corrupt(format!("draft: {e}")))?;
        draft.expires_ms = now + self.settings.policy.validity_ms;
        let mut next = book.clone();
        next.publish(&draft)
            .map_err(|e| EngineError::Conflict(e.to_string()))?;
        let publication = self.publication(&draft, &versions, now, released_by)?;
        let state = next.warnings.values().find(|w| w.id == warning);
        let warning_record = state
            .map(open_record)
            .unwrap_or_else(|| closed_record(&draft));
        self.store
            .publish_version(&warning_record, number, &publication, actor)?;
        *book = next;
        Ok(VersionRecord {
            state: VersionState::Published,
            expires_ms: publication.expires_ms,
            publication: Some(publication),
            ..record.clone()
        })
    }

    fn publication(
        &self,
        draft: &Draft,
        versions: &[VersionRecord],
        now: i64,
        released_by: &str,
    ) -> Result<Publication> {
        let published: Vec<&VersionRecord> = versions
            .iter()
            .filter(|v| v.state == VersionState::Published)
            .collect();
        let references = published
            .iter()
            .filter_map(|v| v.publication.as_ref())
            .map(|p| {
                format!(
                    "{},{},{}",
                    self.settings.sender,
                    p.identifier,
                    cap_time(p.sent_ms)
                )
            });
        let shown = match draft.areas.is_empty() {
            true => published
                .last()
                .and_then(|v| serde_json::from_str::<Draft>(&v.draft).ok())
                .map(|d| d.areas)
                .unwrap_or_default(),
            false => draft.areas.clone(),
        };
        let catalog = self.catalog();
        let lead = lead_area(&shown).cloned();
        let rule = lead
            .as_ref()
            .and_then(|a| rule_text(&catalog, &a.rule))
            .ok_or_else(|| {
                EngineError::Invalid(format!(
                    "the catalogue no longer has a warning text for hazard {}",
                    draft.hazard
                ))
            })?;
        let date = self.registry_date.unwrap_or_else(|| {
            VIETNAM
                .to_datetime(jiff::Timestamp::from_millisecond(now).unwrap_or_default())
                .date()
        });
        let radius = rule.cap.radius_km;
        let places = shown
            .iter()
            .map(|(code, state)| self.area_place(code, state, radius, date))
            .collect::<Result<Vec<Place>>>()?;
        let composition = Composition {
            draft,
            identifier: format!(
                "{}.w{}.v{}",
                self.settings.sender, draft.warning, draft.number
            ),
            sender: self.settings.sender.clone(),
            sent: cap_time(now),
            expires: cap_time(draft.expires_ms),
            status: self.settings.status,
            references: references.collect(),
            rule,
            province: self.place(&draft.province, date)?,
            places,
            lead,
        };
        let alert = compose(&composition);
        let xml = tocsin_cap::to_xml(&alert);
        let cap_xml = match &self.settings.signing_key {
            Some(key) => sign(&xml, key)
                .map_err(|e| EngineError::Invalid(format!("the alert could not be signed: {e}")))?,
            None => xml,
        };
        Ok(Publication {
            identifier: alert.identifier.clone(),
            sent_ms: now,
            expires_ms: draft.expires_ms,
            msg_type: alert.msg_type.as_str().into(),
            cap_xml,
            released_by: released_by.into(),
            released_ms: now,
        })
    }

    /// The place of one area, with the name of the station that gives its level: for a point
    /// hazard (a rule with a radius) a circle around that station, else the area's boundary.
    fn area_place(
        &self,
        code: &str,
        state: &AreaState,
        radius_km: Option<f64>,
        date: jiff::civil::Date,
    ) -> Result<Place> {
        let mut place = self.place(code, date)?;
        let Some(station) = self.store.station(&state.station, &RegionFilter::all())? else {
            return Ok(place);
        };
        place.station = station.name.clone();
        if let Some(radius) = radius_km {
            place.polygons.clear();
            place.circle = Some(format!("{:.5},{:.5} {radius}", station.lat, station.lon));
        }
        Ok(place)
    }

    /// The registry's names and boundary of `code` on `date` (the code itself when unknown).
    fn place(&self, code: &str, date: jiff::civil::Date) -> Result<Place> {
        let all = RegionFilter::all();
        let region = self.store.region(code, date, &all)?;
        let boundary = self.store.boundary(code, date, &all)?;
        let rings: Vec<Vec<[f64; 2]>> = boundary
            .and_then(|text| serde_json::from_str::<GeoJsonGeometry>(&text).ok())
            .map(GeoJsonGeometry::into_outer_rings)
            .unwrap_or_default();
        let polygons = tocsin_cap::geometry::boundary_polygons(&rings);
        let circle = match (&region, polygons.is_empty()) {
            (Some(r), true) => r
                .centroid
                .map(|[lon, lat]| format!("{lat:.5},{lon:.5} {}", radius_km(r))),
            _ => None,
        };
        let name = crate::registry::names::place_name_or_code(self.store.as_ref(), code, date)?;
        Ok(Place {
            name,
            station: String::new(),
            polygons,
            circle,
        })
    }
}

/// The CAP `sent`/`expires` form of a time, in Vietnam's offset.
pub fn cap_time(ms: i64) -> String {
    let timestamp = jiff::Timestamp::from_millisecond(ms).unwrap_or_default();
    VIETNAM
        .to_datetime(timestamp)
        .strftime("%Y-%m-%dT%H:%M:%S+07:00")
        .to_string()
}

/// Half the diagonal of a region's bounding box, in km (at least 1).
fn radius_km(region: &tocsin_core::region::Region) -> String {
    let Some(b) = region.bbox else {
        return "5".into();
    };
    let lat_km = (b.max_lat - b.min_lat) * 111.0;
    let lon_km = (b.max_lon - b.min_lon) * 111.0 * b.min_lat.to_radians().cos();
    format!("{:.1}", (lat_km.hypot(lon_km) / 2.0).max(1.0))
}
