//! Detections as the engine serves them: pages of level changes within the caller's scope,
//! and the situation of a region rolled up from its active levels.

use crate::access::Principal;
use crate::engine::Engine;
use crate::error::{DETECTION_PAGE_MAX, EngineError, Result, limit_within};
use crate::situation::Situation;
use tocsin_core::access::{Access, Resource};
use tocsin_store::{Detection, RegionFilter};

/// A page of detections, each with its sequence number, and whether more follow.
#[derive(Debug, Clone)]
pub struct DetectionPage {
    pub detections: Vec<(i64, Detection)>,
    pub more: bool,
}

/// The rule id (and hazard) of data-gap detections.
pub const DATA_GAP: &str = "data_gap";

/// How many reporting intervals a station may miss before it counts as silent.
pub const GAP_INTERVALS: i64 = 3;

impl Engine {
    /// Detections in `[from, to)` within the caller's scope (or `region` of it), newest first.
    pub fn detections(
        &self,
        who: &Principal,
        region: Option<&str>,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Detection>> {
        who.require(Resource::Detections, Access::Read)?;
        let filter = self.narrowed(who, region)?;
        Ok(self
            .store
            .detections(&filter, from_ms, to_ms, limit_within(limit, 10_000)?)?)
    }

    /// One page of the detections in `[from, to)` within the caller's scope (or `region` of it):
    /// those stored after the sequence number `after`, in sequence order, at most `limit`
    /// (1..=[`DETECTION_PAGE_MAX`]); `more` says whether a next page follows the last one's.
    pub fn detection_page(
        &self,
        who: &Principal,
        region: Option<&str>,
        (from_ms, to_ms): (i64, i64),
        after: i64,
        limit: usize,
    ) -> Result<DetectionPage> {
        who.require(Resource::Detections, Access::Read)?;
        if !(1..=DETECTION_PAGE_MAX).contains(&limit) {
            return Err(EngineError::Invalid(format!(
                "limit: {limit} is outside 1..={DETECTION_PAGE_MAX}"
            )));
        }
        let filter = self.narrowed(who, region)?;
        let mut detections =
            self.store
                .detections_after(&filter, from_ms, to_ms, after, limit + 1)?;
        let more = detections.len() > limit;
        detections.truncate(limit);
        Ok(DetectionPage { detections, more })
    }

    /// The situation in `region` (the caller's scope root by default): every rule at level 1 or
    /// more, the highest level, and the communes at each level.
    /// A hazard's Vietnamese and English names from the catalogue (its code when undeclared).
    pub fn hazard_names(&self, hazard: &str) -> (String, String) {
        let catalog = self.catalog();
        let (vi, en) = catalog.hazard_names(hazard).unwrap_or((hazard, hazard));
        (vi.to_string(), en.to_string())
    }

    pub fn situation(&self, who: &Principal, region: Option<&str>) -> Result<Situation> {
        who.require(Resource::Detections, Access::Read)?;
        let code = region.unwrap_or(&who.scope.region).to_string();
        let root = self.filter_root(&code)?;
        let filter = RegionFilter {
            root,
            domains: who.filter.domains.clone(),
        };
        if !self.within(&who.filter, &filter) {
            return Err(EngineError::NotFound(format!(
                "no region {code} within your scope"
            )));
        }
        let active = self.store.current_levels(&filter)?;
        let lives_at_risk = self
            .detector
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .catalog()
            .rules
            .iter()
            .filter(|r| r.lives_at_risk)
            .map(|r| r.id.clone())
            .collect();
        Ok(Situation::of(code, active, &lives_at_risk))
    }
}
