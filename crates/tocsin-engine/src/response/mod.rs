//! Response coordination in the running system. When a warning version is released, the
//! framework scenarios for its hazard fire for each commune at its level (and for the province
//! at the warning's level): the first opens the incident of that warning and area, a rise adds
//! the next level's tasks and requests — never the same twice — and the new requests are filled
//! by the four on-site principle and booked in the same transaction. When the warning ends
//! (cancelled, all-clear, withdrawn, expired), open tasks are closed and resources released.
//! Incidents are also opened by hand from a report. Resources, the reserve ledger and the
//! funds are in `resources.rs` and `ledgers.rs`; scenarios fire in `firing.rs`, and incidents
//! are worked in `incidents.rs`.

mod firing;
mod incidents;
pub mod ledgers;
pub mod neighbours;
mod personal;
pub mod playbooks;
pub mod resources;
mod sitrep;

use crate::engine::Engine;
use crate::error::{EngineError, Result};
use neighbours::Neighbours;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use tocsin_core::change::Actor;
use tocsin_core::region::{Region, RegionKind};
use tocsin_core::response::matching::{Need, Place, Registry};
use tocsin_core::response::playbook::Playbooks;
use tocsin_store::{IncidentOutcome, IncidentUpdate, RegionFilter};

/// What the response desk keeps: the scenarios in use and the provinces' neighbours.
#[derive(Default)]
pub struct ResponseState {
    playbooks: RwLock<Arc<Playbooks>>,
    neighbours: RwLock<Option<Arc<Neighbours>>>,
    manual_requests: std::sync::atomic::AtomicU64,
}

impl ResponseState {
    pub fn new(playbooks: Playbooks) -> ResponseState {
        ResponseState {
            playbooks: RwLock::new(Arc::new(playbooks)),
            ..Default::default()
        }
    }

    /// Drops the provinces' neighbours, computed again from the boundaries when next needed
    /// (after the registry changed, or when it was read before the import).
    pub(crate) fn forget_neighbours(&self) {
        *self.neighbours.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// A report from an agency or a citizen that opens an incident.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub hazard: String,
    pub lat: f64,
    pub lon: f64,
    pub text: String,
    /// Who reports: an agency's name or a citizen's contact.
    pub reporter: String,
    /// The level the reporter judges (1–5); scenarios fire at it when given.
    #[serde(default)]
    pub level: Option<u8>,
    /// Names or links of attached photos and documents.
    #[serde(default)]
    pub attachments: Vec<String>,
}

/// The after-action report of a closed incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AfterAction {
    pub summary: String,
    pub opened: String,
    pub closed: String,
    pub duration_hours: f64,
    pub tasks_done: usize,
    pub tasks_closed_unfinished: usize,
    pub tasks_overdue: usize,
    /// Kind → quantity assigned over the incident.
    pub resources_used: BTreeMap<String, u64>,
    /// Kind → quantity that could not be found.
    pub shortfalls: BTreeMap<String, u64>,
    /// Disbursed to the incident, net of reversals, in đồng.
    pub costs_vnd: i64,
}

impl Engine {
    /// The framework scenarios in use.
    pub fn playbooks(&self) -> Arc<Playbooks> {
        self.response_state()
            .playbooks
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Province code → bordering provinces, computed once from the registry's boundaries.
    pub fn province_neighbours(&self) -> Result<Arc<Neighbours>> {
        let state = self.response_state();
        if let Some(found) = state
            .neighbours
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Ok(found);
        }
        let boundaries = self
            .store()
            .boundaries(RegionKind::Province, self.today())?;
        let found = Arc::new(neighbours::neighbours(&boundaries));
        *state.neighbours.write().unwrap_or_else(|e| e.into_inner()) = Some(found.clone());
        Ok(found)
    }

    /// Writes an incident update, filling new requests from `region` outwards: its province,
    /// the neighbouring provinces and the national reserves.
    fn book(
        &self,
        mut update: IncidentUpdate,
        region: &Region,
        actor: &Actor,
    ) -> Result<IncidentOutcome> {
        let neighbours = self.province_neighbours()?;
        let province = update.incident.province.clone();
        let place = Place {
            commune: region.code.clone(),
            province: province.clone(),
            location: region.centroid.unwrap_or_default(),
            neighbours: neighbours.get(&province).cloned().unwrap_or_default(),
        };
        update.draw_from = std::iter::once(province)
            .chain(place.neighbours.iter().cloned())
            .collect();
        let planner = |free: &[_], needs: &[Need]| Registry::new(free).plan(&place, needs);
        Ok(self.store().update_incident(&update, &planner, actor)?)
    }

    fn current_region(&self, code: &str) -> Result<Region> {
        self.store()
            .region(code, self.today(), &RegionFilter::all())?
            .ok_or_else(|| EngineError::NotFound(format!("no current region {code}")))
    }

    /// The Vietnamese name of a hazard (not of any one rule of it).
    fn hazard_name(&self, hazard: &str) -> String {
        self.catalog()
            .hazard_names(hazard)
            .map_or_else(|| hazard.to_string(), |(vi, _)| vi.to_string())
    }

    /// The Vietnamese name of the rule that raised a warning.
    fn rule_name(&self, rule: &str) -> String {
        self.catalog()
            .rule_names(rule)
            .map_or_else(|| rule.to_string(), |(vi, _)| vi.to_string())
    }

    /// `tỉnh Lào Cai`, `xã Phúc Khánh, Lào Cai`: a place as titles name it, by the registry's
    /// names on the registry date.
    fn titled_place(&self, code: &str) -> Result<String> {
        let name = self.place_name(code)?;
        Ok(format!("{} {}", name.division_type, name.full_vi())
            .trim()
            .to_string())
    }
}

/// The largest quantity the store keeps (an SQLite integer); a larger one would wrap around.
pub const MAX_QUANTITY: u64 = i64::MAX as u64;

/// Refuses a quantity the store cannot keep: the reason, for the field that carries it.
pub(crate) fn storable(quantity: u64) -> std::result::Result<u64, String> {
    if quantity > MAX_QUANTITY {
        return Err(format!(
            "{quantity} is more than the largest quantity kept ({MAX_QUANTITY})"
        ));
    }
    Ok(quantity)
}
