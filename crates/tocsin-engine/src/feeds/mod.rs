//! Subscriptions to other agencies' and countries' CAP feeds (Atom 1.0 or RSS 2.0), and the
//! external alerts they bring in, placed on our regions.
//!
//! [`Engine::poll_feeds`] polls each due feed with a conditional GET (`If-None-Match`,
//! `If-Modified-Since`): 304 changes nothing; 200 reads the entries and fetches each alert not
//! stored yet, reads, validates and checks its signature, places it and stores it once per
//! sender and identifier. A failure (network, HTTP status, unreadable feed, an alert that cannot
//! be fetched) is recorded on the subscription with exponential backoff, and the feed's
//! validators are kept only after a complete poll, so nothing is skipped on the next one.
//!
//! Placement: a geocode whose value is one of our current region codes (any `valueName`)
//! places the alert on that region; an area without one is placed by geometry — on every
//! current commune whose representative point lies inside a polygon (or, when none does, the
//! commune holding the polygon's middle) or within a circle (and the commune holding its
//! centre). A valid alert placed nowhere is kept as `outside`; an invalid one is kept with its
//! findings as `invalid` and placed nowhere. Time comes from the engine's clock. This module
//! makes outgoing HTTP requests only (plain HTTP through `ureq`, no TLS provider); it serves none.

mod alert;
mod place;
mod poll;

use crate::access::Principal;
use crate::engine::Engine;
use crate::error::{EngineError, Result, page_limit};
use crate::{Cursor, Page};
use tocsin_core::access::{Access, Resource};
use tocsin_core::region::RegionKind;
use tocsin_store::{FilterRoot, RegionFilter, StoreError};

pub use tocsin_store::{ExternalAlertRecord, PlacedRegion, SubscriptionRecord};

impl Engine {
    /// Subscribes to a feed (a national operator or administrator); it is polled at once.
    pub fn add_subscription(
        &self,
        who: &Principal,
        url: &str,
        name: &str,
    ) -> Result<SubscriptionRecord> {
        who.require(Resource::Subscriptions, Access::Write)?;
        let url = url.trim();
        check_url(url)?;
        let now = self.clock().now().as_millisecond();
        let by = format!("token {}", who.token_id);
        match self
            .store()
            .add_subscription(url, name.trim(), &by, now, &who.actor())
        {
            Err(StoreError::Conflict(why)) => Err(EngineError::Conflict(why)),
            other => Ok(other?),
        }
    }

    /// Every subscription with the state of its polling (an operator or administrator).
    pub fn subscriptions(&self, who: &Principal) -> Result<Vec<SubscriptionRecord>> {
        who.require(Resource::Subscriptions, Access::Read)?;
        Ok(self.store().subscriptions()?)
    }

    /// Ends a subscription (a national operator or administrator); its alerts stay.
    pub fn remove_subscription(&self, who: &Principal, id: u64) -> Result<()> {
        who.require(Resource::Subscriptions, Access::Write)?;
        let now = self.clock().now().as_millisecond();
        if self.store().remove_subscription(id, now, &who.actor())? {
            Ok(())
        } else {
            Err(EngineError::NotFound(format!("no subscription {id}")))
        }
    }

    /// External alerts placed in `who`'s scope (or in `region` within it), newest first; a
    /// national scope also sees those outside our territory and invalid ones.
    pub fn external_alerts(
        &self,
        who: &Principal,
        region: Option<&str>,
        before: Option<&Cursor>,
        limit: usize,
    ) -> Result<Page<ExternalAlertRecord>> {
        who.require(Resource::ExternalAlerts, Access::Read)?;
        let limit = page_limit(limit)?;
        let filter = match region {
            Some(code) => self.filter_for(who, code)?,
            None => who.filter.clone(),
        };
        let rows = self.store().external_alerts(&filter, before, limit + 1)?;
        Ok(Page::cut(rows, limit))
    }

    /// The filter of one region inside `who`'s scope (a commune scope stays as it is).
    fn filter_for(&self, who: &Principal, code: &str) -> Result<RegionFilter> {
        let region = self.region(who, code, None)?;
        let root = match (&who.filter.root, region.kind, region.parent) {
            (FilterRoot::Commune { .. }, _, _) => who.filter.root.clone(),
            (_, RegionKind::Nation, _) => who.filter.root.clone(),
            (_, RegionKind::Province, _) => FilterRoot::Province(region.code),
            (_, RegionKind::Commune, Some(province)) => FilterRoot::Commune {
                commune: region.code,
                province,
            },
            _ => {
                return Err(EngineError::Invalid(format!(
                    "region: {code} is not a current province or commune"
                )));
            }
        };
        Ok(RegionFilter {
            root,
            domains: Vec::new(),
        })
    }
}

fn check_url(url: &str) -> Result<()> {
    let parsed: ureq::http::Uri = url
        .parse()
        .map_err(|e| EngineError::Invalid(format!("url: {url:?} is not a URL: {e}")))?;
    match (parsed.scheme_str(), parsed.host()) {
        (Some("http"), Some(_)) => Ok(()),
        (Some("https"), _) => Err(EngineError::Invalid(format!(
            "url: {url} is https, which this build does not fetch (no TLS on the closed network); \
             subscribe through a plain-HTTP relay"
        ))),
        _ => Err(EngineError::Invalid(format!(
            "url: {url:?} must be an absolute http:// URL"
        ))),
    }
}
