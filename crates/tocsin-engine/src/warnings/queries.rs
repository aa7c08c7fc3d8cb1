//! Warnings as the engine serves them: versions and histories within the caller's scope,
//! release and withdrawal by the officers of the warning's province, automatic release, the
//! published alerts and their verification, data gaps and backtests.

use crate::access::{Place, Principal};
use crate::detect::Detector;
use crate::detections::{DATA_GAP, GAP_INTERVALS};
use crate::engine::Engine;
use crate::error::{EngineError, Result, page_limit};
use crate::warnings::WarningSettings;
use tocsin_core::access::{Access, Resource};
use tocsin_core::evaluate::CompiledCatalog;
use tocsin_store::{Cursor, Page};
use tocsin_store::{Detection, FilterRoot, RegionFilter, VersionRecord, VersionState};

/// Which warning versions a list shows: their states, and optionally one province and one
/// hazard (applied in the store's query, so a page is never cut before it is narrowed).
#[derive(Debug, Clone, Copy)]
pub struct VersionQuery<'a> {
    pub states: &'a [VersionState],
    pub province: Option<&'a str>,
    pub hazard: Option<&'a str>,
}

impl<'a> VersionQuery<'a> {
    /// Every version in `states`.
    pub fn states(states: &'a [VersionState]) -> VersionQuery<'a> {
        VersionQuery {
            states,
            province: None,
            hazard: None,
        }
    }
}

/// `filter` narrowed to `province`; `None` when the province lies outside it. Unlike
/// `Engine::narrowed`, a commune's principal keeps its province: warnings are province-wide.
fn narrowed_to_province(filter: &RegionFilter, province: Option<&str>) -> Option<RegionFilter> {
    let Some(province) = province else {
        return Some(filter.clone());
    };
    match filter.root.province() {
        None => Some(RegionFilter {
            root: tocsin_store::FilterRoot::Province(province.to_string()),
            domains: filter.domains.clone(),
        }),
        Some(own) => (own == province).then(|| filter.clone()),
    }
}

impl Engine {
    /// Warning versions in `states` of the provinces `who` sees, newest first.
    pub fn warning_versions(
        &self,
        who: &Principal,
        query: &VersionQuery,
        before: Option<&Cursor>,
        limit: usize,
    ) -> Result<Page<VersionRecord>> {
        who.require(Resource::Warnings, Access::Read)?;
        let limit = page_limit(limit)?;
        let Some(filter) = narrowed_to_province(&who.filter, query.province) else {
            return Ok(Page::cut(Vec::new(), limit));
        };
        let rows =
            self.store
                .versions_in(&filter, query.states, query.hazard, before, limit + 1)?;
        Ok(Page::cut(rows, limit))
    }

    /// Every version of one warning, oldest first.
    pub fn warning_history(&self, who: &Principal, warning: u64) -> Result<Vec<VersionRecord>> {
        let versions = self.store.warning_versions(warning)?;
        self.require_warning(who, Access::Read, warning, versions.first())?;
        Ok(versions)
    }

    /// The warnings rule for one warning (`first` its first version): its province and hazard
    /// in the caller's scope.
    fn require_warning(
        &self,
        who: &Principal,
        access: Access,
        warning: u64,
        first: Option<&VersionRecord>,
    ) -> Result<()> {
        who.require(Resource::Warnings, access)?;
        let what = format!("warning {warning}");
        let Some(first) = first else {
            return Err(EngineError::NotFound(format!("no {what}")));
        };
        let place = Place::hazard(&first.province, &first.hazard);
        who.require_in(Resource::Warnings, access, &what, &place)
    }

    /// Releases a draft for the public, recording who approved it.
    pub fn release_warning(
        &self,
        who: &Principal,
        warning: u64,
        number: u32,
    ) -> Result<VersionRecord> {
        self.require_warning_officer(who, warning)?;
        let released = self.warnings.release(
            warning,
            number,
            &format!("token {}", who.token_id),
            &who.actor(),
        )?;
        self.disseminate(&released)?;
        Ok(released)
    }

    /// Withdraws a warning: its Cancel version waits for release like any other.
    pub fn cancel_warning(&self, who: &Principal, warning: u64) -> Result<VersionRecord> {
        self.require_warning_officer(who, warning)?;
        self.warnings.cancel(warning, &who.actor())
    }

    /// Refuses a hazard that no rule of the catalogue, framework scenario or sector of the
    /// dispatch policy names, for `record` (what the request calls the record carrying it).
    pub fn check_hazard(&self, record: &str, hazard: &str) -> Result<()> {
        let mut hazards: Vec<String> = self
            .catalog()
            .rules
            .iter()
            .map(|r| r.hazard.clone())
            .collect();
        hazards.extend(self.playbooks().scenarios.iter().map(|s| s.hazard.clone()));
        hazards.extend(self.dispatch.policy().sectors.keys().cloned());
        hazards.sort();
        hazards.dedup();
        if hazards.iter().any(|h| h == hazard) {
            return Ok(());
        }
        Err(EngineError::record(
            record,
            "hazard",
            format!(
                "{hazard:?} is not a hazard of the catalogue ({})",
                hazards.join(", ")
            ),
        ))
    }

    /// Marks a hazard's levels up to `max_level` for release without approval (0 clears it).
    pub fn set_auto_release(&self, who: &Principal, hazard: &str, max_level: u8) -> Result<()> {
        who.require(Resource::AutoRelease, Access::Write)?;
        if max_level > 5 {
            return Err(EngineError::Invalid(format!(
                "max_level {max_level}: QĐ 18 levels are 1 to 5 (0 clears)"
            )));
        }
        self.check_hazard("auto-release", hazard)?;
        let now = self.clock.now().as_millisecond();
        Ok(self.store.set_auto_release(
            hazard,
            max_level,
            &format!("token {}", who.token_id),
            now,
            &who.actor(),
        )?)
    }

    /// The hazards released without approval, with their highest level.
    pub fn auto_release(&self, who: &Principal) -> Result<Vec<(String, u8)>> {
        who.require(Resource::AutoRelease, Access::Read)?;
        Ok(self.store.auto_release()?)
    }

    /// A published alert by its CAP identifier (public alerts are public: no scope applies).
    pub fn published_alert(&self, identifier: &str) -> Result<VersionRecord> {
        self.store
            .published_by_identifier(identifier)?
            .ok_or_else(|| EngineError::NotFound(format!("no published alert {identifier}")))
    }

    /// The alerts in force now — the newest published version of each warning that has not
    /// ended or expired — of one province (or all) and one hazard (or all), newest first.
    pub fn current_alerts(
        &self,
        province: Option<&str>,
        hazard: Option<&str>,
    ) -> Result<Vec<VersionRecord>> {
        let root = province.map_or(FilterRoot::Nation, |p| FilterRoot::Province(p.to_string()));
        let filter = RegionFilter {
            root,
            domains: Vec::new(),
        };
        let now = self.clock.now().as_millisecond();
        let published =
            self.store
                .versions_in(&filter, &[VersionState::Published], None, None, 10_000)?;
        let mut seen = std::collections::HashSet::new();
        let newest = published.into_iter().filter(|v| seen.insert(v.warning));
        let ended = ["all-clear", "cancelled"];
        Ok(newest
            .filter(|v| !ended.contains(&v.action.as_str()) && v.expires_ms > now)
            .filter(|v| hazard.is_none_or(|h| v.hazard == h))
            .collect())
    }

    /// The published versions of the warning that the alert `identifier` belongs to, oldest
    /// first (public).
    pub fn alert_history(&self, identifier: &str) -> Result<Vec<VersionRecord>> {
        let alert = self.published_alert(identifier)?;
        let versions = self.store.warning_versions(alert.warning)?;
        Ok(versions
            .into_iter()
            .filter(|v| v.state == VersionState::Published)
            .collect())
    }

    /// Whether an alert's signature is genuine and from a sender it is trusted for (public).
    pub fn verify_alert(&self, xml: &[u8]) -> tocsin_cap::signature::Verdict {
        self.warnings.settings().trust.verdict(xml)
    }

    pub fn warning_settings(&self) -> &WarningSettings {
        self.warnings.settings()
    }

    fn require_warning_officer(&self, who: &Principal, warning: u64) -> Result<()> {
        let versions = self.store.warning_versions(warning)?;
        self.require_warning(who, Access::Write, warning, versions.first())
    }

    /// Raises a data-gap detection for every station silent for longer than
    /// [`GAP_INTERVALS`] times its longest reporting interval, and clears it when the station
    /// reports again. Returns the detections recorded. Stations that never reported are not
    /// judged (they may not have started).
    pub fn check_data_gaps(&self) -> Result<Vec<Detection>> {
        let now_ms = self.clock.now().as_millisecond();
        let open: std::collections::HashSet<String> = self
            .store
            .current_levels(&RegionFilter::all())?
            .into_iter()
            .filter(|d| d.rule == DATA_GAP)
            .map(|d| d.station)
            .collect();
        let mut changes = Vec::new();
        for report in self.store.station_reports()? {
            let allowed_ms = report.interval_s * 1000 * GAP_INTERVALS;
            let silent = now_ms - report.last_ms > allowed_ms;
            let was_open = open.contains(&report.station);
            if silent != was_open {
                let time_ms = if silent {
                    report.last_ms + allowed_ms
                } else {
                    report.last_ms
                };
                changes.push(Detection {
                    station: report.station,
                    rule: DATA_GAP.into(),
                    hazard: DATA_GAP.into(),
                    commune: report.commune,
                    province: report.province,
                    from_level: u8::from(was_open),
                    to_level: u8::from(silent),
                    time_ms,
                    value: ((now_ms - report.last_ms) / 1000) as f64,
                    status: "verified".into(),
                    certainty: crate::detect::OBSERVED.into(),
                    lead: None,
                });
            }
        }
        if !changes.is_empty() {
            self.store.record_detections(&changes, now_ms)?;
        }
        Ok(changes)
    }

    /// Replays the stored history of `[from, to)` through `catalog` (the one in use by default)
    /// and scores its rules against `truth`.
    pub fn backtest(
        &self,
        catalog: Option<CompiledCatalog>,
        from_ms: i64,
        to_ms: i64,
        truth: &[crate::backtest::TruthEvent],
    ) -> Result<Vec<crate::backtest::RuleScore>> {
        let catalog = catalog.unwrap_or_else(|| (*self.catalog()).clone());
        let horizon_ms = Detector::new(catalog.clone()).horizon_ms();
        let mut observations = self.store.observed_since(from_ms - horizon_ms)?;
        observations.retain(|&(_, time_ms, _)| time_ms < to_ms);
        let stations = self.store.stations(&RegionFilter::all())?;
        Ok(crate::backtest::run(
            catalog,
            &stations,
            &self.store.series_catalog()?,
            &observations,
            from_ms,
            truth,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tocsin_store::FilterRoot;

    #[test]
    fn a_list_narrowed_to_a_province_stays_within_the_caller_s_scope() {
        let hanoi = RegionFilter {
            root: FilterRoot::Province("01".into()),
            domains: vec![tocsin_core::station::Domain::Health],
        };
        assert_eq!(
            narrowed_to_province(&hanoi, Some("01")),
            Some(hanoi.clone())
        );
        assert_eq!(
            narrowed_to_province(&hanoi, Some("79")),
            None,
            "another province: nothing"
        );
        assert_eq!(narrowed_to_province(&hanoi, None), Some(hanoi.clone()));
        let national = narrowed_to_province(&RegionFilter::all(), Some("79")).unwrap();
        assert_eq!(national.root, FilterRoot::Province("79".into()));
    }
}
