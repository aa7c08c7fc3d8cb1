//! The region registry as the engine serves it: importing it, recording changes, and every
//! read of regions (by code, children, successors, search, locating a point, boundaries)
//! within the caller's scope.

use crate::access::Principal;
use crate::engine::Engine;
use crate::error::{EngineError, Result, SEARCH_MAX, limit_within};
use crate::registry::changes::RegionChange;
use crate::registry::import::{ImportReport, read_official_files};
use jiff::civil::Date;
use std::path::Path;
use tocsin_core::access::{Access, Resource};
use tocsin_core::change::Actor;
use tocsin_core::region::{Region, RegionKind};
use tocsin_store::{RegionFilter, SuccessorLink};

impl Engine {
    /// Replaces the registry with the official files in `dir` plus `changes` (the node's own
    /// setup, journaled as the node's).
    pub fn import_regions(&self, dir: &Path, changes: &[RegionChange]) -> Result<ImportReport> {
        let import =
            read_official_files(dir, changes).map_err(|e| EngineError::Invalid(e.to_string()))?;
        let now = self.clock.now().as_millisecond();
        self.store
            .import_regions(&import.regions, &import.successions, now, &Actor::Node)?;
        self.reload_boundaries()?;
        self.replace_catalog((*self.catalog()).clone())?;
        Ok(import.report)
    }

    /// Whether the registry has any current province.
    pub fn has_regions(&self) -> Result<bool> {
        Ok(self
            .store
            .count_regions(RegionKind::Province, self.today())?
            > 0)
    }

    /// Records a change after import (a recode, rename or new type). Returns `false` when the
    /// registry already has it, so a changes file can be applied again safely.
    pub fn record_region_change(&self, change: &RegionChange) -> Result<bool> {
        let before = change
            .on
            .yesterday()
            .map_err(|e| EngineError::Invalid(e.to_string()))?;
        let all = RegionFilter::all();
        let successor_code = change.code.as_deref().unwrap_or(&change.from);
        let existing = self.store.region(successor_code, change.on, &all)?;
        if existing.is_some_and(|r| r.valid_from == Some(change.on)) {
            return Ok(false);
        }
        let old = self
            .store
            .region(&change.from, before, &all)?
            .ok_or_else(|| EngineError::NotFound(format!("no unit {} on {before}", change.from)))?;
        let boundary = self.store.boundary(&change.from, before, &all)?;
        let provinces = match old.kind {
            RegionKind::Province => vec![old.code.clone()],
            _ => old.parent.iter().cloned().collect(),
        };
        let record = tocsin_store::RegionRecord {
            region: old,
            boundary,
            provinces,
        };
        let new = crate::registry::changes::successor_of(&record, change);
        let link = crate::registry::changes::link_of(change);
        let now = self.clock.now().as_millisecond();
        self.store
            .record_region_change(&[new], &[link], now, &Actor::Node)?;
        self.reload_boundaries()?;
        Ok(true)
    }

    fn date_or_today(&self, at: Option<Date>) -> Date {
        at.unwrap_or_else(|| self.today())
    }

    /// The unit `code` valid on `at` (today by default).
    pub fn region(&self, who: &Principal, code: &str, at: Option<Date>) -> Result<Region> {
        who.require(Resource::Registry, Access::Read)?;
        let at = self.date_or_today(at);
        self.store.region(code, at, &who.filter)?.ok_or_else(|| {
            EngineError::NotFound(format!("no region {code} on {at} within your scope"))
        })
    }

    /// The names of `code` and its province as of the registry date (today, or the drill's
    /// fixed date): what every text the system writes calls the place.
    pub fn place_name(&self, code: &str) -> Result<crate::registry::names::PlaceName> {
        let name =
            crate::registry::names::place_name_or_code(self.store.as_ref(), code, self.today())?;
        Ok(name)
    }

    /// The parent chain of `region`, nearest first.
    pub fn ancestors(&self, who: &Principal, region: &Region) -> Result<Vec<Region>> {
        let at = region
            .valid_to
            .and_then(|d| d.yesterday().ok())
            .unwrap_or_else(|| self.today());
        let mut chain = Vec::new();
        let mut parent = region.parent.clone();
        while let Some(code) = parent {
            let Some(up) = self.store.region(&code, at, &who.filter)? else {
                break;
            };
            parent = up.parent.clone();
            chain.push(up);
        }
        Ok(chain)
    }

    pub fn children(&self, who: &Principal, code: &str, at: Option<Date>) -> Result<Vec<Region>> {
        let region = self.region(who, code, at)?;
        let on = region
            .valid_to
            .and_then(|d| d.yesterday().ok())
            .unwrap_or_else(|| self.date_or_today(at));
        Ok(self.store.children(code, at.unwrap_or(on), &who.filter)?)
    }

    pub fn successors(
        &self,
        who: &Principal,
        code: &str,
        at: Option<Date>,
    ) -> Result<Vec<SuccessorLink>> {
        who.require(Resource::Registry, Access::Read)?;
        let at = self.date_or_today(at);
        if self.store.region(code, at, &RegionFilter::all())?.is_none() {
            return Err(EngineError::NotFound(format!("no region {code} on {at}")));
        }
        Ok(self.store.successors(code, at, self.today(), &who.filter)?)
    }

    /// Units whose name matches `query`, ignoring case and tone marks.
    pub fn search_regions(
        &self,
        who: &Principal,
        query: &str,
        at: Option<Date>,
        limit: usize,
    ) -> Result<Vec<Region>> {
        who.require(Resource::Registry, Access::Read)?;
        let key = tocsin_core::text::search_key(query);
        if key.is_empty() {
            return Err(EngineError::Invalid(
                "q: give at least one letter or digit to search for".into(),
            ));
        }
        Ok(self
            .store
            .search_regions(&key, at, limit_within(limit, SEARCH_MAX)?, &who.filter)?)
    }

    /// The current commune containing the point.
    pub fn locate(&self, who: &Principal, lat: f64, lon: f64) -> Result<Region> {
        who.require(Resource::Registry, Access::Read)?;
        if !(lat.is_finite()
            && lon.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon))
        {
            return Err(EngineError::Invalid(format!(
                "lat/lon: ({lat}, {lon}) is not a point on Earth"
            )));
        }
        let index = self.commune_index();
        let code = index
            .locate([lon, lat])
            .ok_or_else(|| EngineError::NotFound(format!("no commune contains ({lat}, {lon})")))?;
        self.region(who, code, None)
    }

    /// The boundary of `code` as GeoJSON geometry text.
    pub fn boundary(&self, who: &Principal, code: &str, at: Option<Date>) -> Result<String> {
        who.require(Resource::Registry, Access::Read)?;
        let at = self.date_or_today(at);
        self.store
            .boundary(code, at, &who.filter)?
            .ok_or_else(|| EngineError::NotFound(format!("no boundary for {code} on {at}")))
    }

    /// Whether the current commune `code` contains the point (for checking the boundary data).
    pub fn commune_contains(&self, code: &str, lat: f64, lon: f64) -> Option<bool> {
        self.commune_index().contains(code, [lon, lat])
    }
}
