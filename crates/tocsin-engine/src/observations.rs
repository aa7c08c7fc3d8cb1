//! Observations as the engine serves them: ingest through the writer thread, series, versions
//! and latest values within the caller's scope, and the scope filters every read narrows to.

use crate::access::Principal;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use crate::ingest::{IngestReport, WriteError, check_records};
use tocsin_core::access::{Access, Resource};
use tocsin_core::change::Actor;
use tocsin_core::observation::{ObservationInput, Rejection};
use tocsin_core::region::{NATION_CODE, RegionKind};
use tocsin_store::{
    Bucket, FilterRoot, LatestValue, ObservationVersion, RegionFilter, SeriesQuery,
};

impl Engine {
    /// Validates and durably stores records; resolves once the commit is durable.
    pub async fn ingest(
        &self,
        who: &Principal,
        inputs: Vec<std::result::Result<ObservationInput, Rejection>>,
        atomic: bool,
    ) -> Result<IngestReport> {
        who.require(Resource::Observations, Access::Write)?;
        let (valid, rejected) =
            check_records(inputs, &self.station_cache(), who, self.clock.as_ref());
        let mut report = IngestReport {
            rejected,
            ..Default::default()
        };
        if valid.is_empty() || (atomic && !report.rejected.is_empty()) {
            report.rolled_back = atomic && !report.rejected.is_empty();
            return Ok(report);
        }
        let outcome = self
            .writer
            .submit(who.actor(), valid)
            .await
            .map_err(|_| WriteError("the writer stopped before answering".into()))?
            .map_err(WriteError)?;
        report.accepted = outcome.stored + outcome.duplicates;
        report.duplicates = outcome.duplicates;
        Ok(report)
    }

    /// Waits until every observation accepted so far has been evaluated and its detections
    /// recorded (the writer handles its queue in order; an empty commit marks the place).
    pub async fn settle(&self) -> Result<()> {
        self.writer
            .submit(Actor::Node, Vec::new())
            .await
            .map_err(|_| WriteError("the writer stopped before answering".into()))?
            .map_err(WriteError)?;
        Ok(())
    }

    fn series_of(&self, who: &Principal, station: &str, metric: &str) -> Result<i64> {
        self.station(who, station)?;
        self.station_cache()
            .series_id(station, metric)
            .ok_or_else(|| {
                EngineError::NotFound(format!("station {station:?} has no metric {metric:?}"))
            })
    }

    /// Aggregates of one station's metric per step.
    pub fn series(
        &self,
        who: &Principal,
        station: &str,
        metric: &str,
        query: SeriesQuery,
    ) -> Result<Vec<Bucket>> {
        if query.step_ms <= 0 || query.to_ms <= query.from_ms {
            return Err(EngineError::Invalid(
                "from/to/step: need from < to and a positive step".into(),
            ));
        }
        if (query.to_ms - query.from_ms) / query.step_ms > 100_000 {
            return Err(EngineError::Invalid(
                "step: more than 100,000 steps; choose a larger step".into(),
            ));
        }
        if (query.to_ms - query.from_ms) > 400 * 86_400_000 {
            return Err(EngineError::Invalid(
                "from/to: at most 400 days per query".into(),
            ));
        }
        let series = self.series_of(who, station, metric)?;
        Ok(self
            .store
            .series_buckets(&SeriesQuery { series, ..query })?)
    }

    /// Every stored version of one observation (corrections).
    pub fn versions(
        &self,
        who: &Principal,
        station: &str,
        metric: &str,
        time_ms: i64,
    ) -> Result<Vec<ObservationVersion>> {
        let series = self.series_of(who, station, metric)?;
        Ok(self.store.versions(series, time_ms)?)
    }

    /// The newest value of each series, within the caller's scope and optionally one region.
    pub fn latest(&self, who: &Principal, region: Option<&str>) -> Result<Vec<LatestValue>> {
        who.require(Resource::Observations, Access::Read)?;
        let filter = self.narrowed(who, region)?;
        Ok(self.store.latest(&filter)?)
    }

    /// The caller's filter, narrowed to `region` when one is given (refused outside the scope).
    pub(crate) fn narrowed(&self, who: &Principal, region: Option<&str>) -> Result<RegionFilter> {
        let Some(code) = region else {
            return Ok(who.filter.clone());
        };
        let narrowed = RegionFilter {
            root: self.filter_root(code)?,
            domains: who.filter.domains.clone(),
        };
        if self.within(&who.filter, &narrowed) {
            Ok(narrowed)
        } else {
            Err(EngineError::NotFound(format!(
                "no region {code} within your scope"
            )))
        }
    }

    /// Whether `inner` lies within `outer`.
    pub(crate) fn within(&self, outer: &RegionFilter, inner: &RegionFilter) -> bool {
        match (&outer.root, &inner.root) {
            (FilterRoot::Nation, _) => true,
            (FilterRoot::Province(p), FilterRoot::Province(q)) => p == q,
            (FilterRoot::Province(p), FilterRoot::Commune { province, .. }) => p == province,
            (FilterRoot::Commune { commune: a, .. }, FilterRoot::Commune { commune: b, .. }) => {
                a == b
            }
            _ => false,
        }
    }

    /// The store filter rooted at the current region `code`.
    pub(crate) fn filter_root(&self, code: &str) -> Result<FilterRoot> {
        if code == NATION_CODE {
            return Ok(FilterRoot::Nation);
        }
        let region = self
            .store
            .region(code, self.today(), &RegionFilter::all())?
            .ok_or_else(|| EngineError::NotFound(format!("no current region {code}")))?;
        Ok(match region.kind {
            RegionKind::Nation => FilterRoot::Nation,
            RegionKind::Province => FilterRoot::Province(region.code),
            RegionKind::Commune => FilterRoot::Commune {
                commune: region.code,
                province: region.parent.unwrap_or_default(),
            },
            RegionKind::District => {
                return Err(EngineError::Invalid(format!(
                    "{code} is a pre-2025 district; scope to a current unit"
                )));
            }
        })
    }
}
