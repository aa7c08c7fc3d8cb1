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

use crate::access::Principal;
use crate::engine::Engine;
use crate::error::{EngineError, Result, page_limit};
use crate::{Cursor, Page};
use std::collections::BTreeMap;
use std::time::Duration;
use tocsin_cap::geometry::{parse_circle, parse_polygon};
use tocsin_cap::{Alert, Area, CodeList, Finding};
use tocsin_core::access::{Access, Resource};
use tocsin_core::geo::{self, LonLat, distance_km};
use tocsin_core::region::{NATION_CODE, Region, RegionKind};
use tocsin_store::{FilterRoot, RegionFilter, StoreError};

pub use tocsin_store::{ExternalAlertRecord, PlacedRegion, SubscriptionRecord};

/// How long after a complete poll a feed is due again.
pub const POLL_INTERVAL_MS: i64 = 60_000;
/// The backoff after a failure is this times 2^failures…
pub const BACKOFF_BASE_MS: i64 = 60_000;
/// …and never longer than this.
pub const BACKOFF_MAX_MS: i64 = 3_600_000;
/// The largest feed and the largest alert read.
const MAX_FEED_BYTES: u64 = 10 * 1024 * 1024;
const MAX_ALERT_BYTES: u64 = 5 * 1024 * 1024;
/// The longest one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// A box around Vietnam's territory, islands included (lon/lat): geometry wholly outside it
/// cannot be ours, and a geocode on such an area is another country's code.
const TERRITORY: geo::BBox = geo::BBox {
    min_lon: 102.0,
    min_lat: 6.0,
    max_lon: 118.0,
    max_lat: 23.5,
};

/// The answer to a conditional GET.
enum Fetched {
    NotModified,
    Body {
        bytes: Vec<u8>,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

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
        match self.store().add_subscription(url, name.trim(), &by, now) {
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
        if self.store().remove_subscription(id)? {
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

    /// Polls every due subscription; returns the external alerts newly stored.
    pub fn poll_feeds(&self) -> Result<Vec<ExternalAlertRecord>> {
        let now = self.clock().now().as_millisecond();
        let agent = agent();
        let mut stored = Vec::new();
        for subscription in self.store().subscriptions()? {
            if subscription.next_poll_ms <= now {
                stored.extend(self.poll_subscription(&agent, subscription, now)?);
            }
        }
        Ok(stored)
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

    fn poll_subscription(
        &self,
        agent: &ureq::Agent,
        mut subscription: SubscriptionRecord,
        now: i64,
    ) -> Result<Vec<ExternalAlertRecord>> {
        subscription.last_polled_ms = Some(now);
        let outcome = self.read_feed(agent, &subscription, now);
        let stored = match outcome {
            Ok((stored, validators)) => {
                if let Some((etag, last_modified)) = validators {
                    (subscription.etag, subscription.last_modified) = (etag, last_modified);
                }
                subscription.failures = 0;
                subscription.last_error = None;
                subscription.next_poll_ms = now + POLL_INTERVAL_MS;
                stored
            }
            Err(Failure { stored, error }) => {
                subscription.failures = subscription.failures.saturating_add(1);
                subscription.last_error = Some(error);
                subscription.next_poll_ms = now + backoff_ms(subscription.failures);
                stored
            }
        };
        if let Some(error) = &subscription.last_error {
            tracing::warn!(subscription = subscription.id, url = %crate::channels::without_credentials(&subscription.url), %error, failures = subscription.failures, "feed poll failed");
        }
        self.store().record_poll(&subscription)?;
        Ok(stored)
    }

    /// Fetches and reads one feed and the alerts it names; on success the alerts stored and the
    /// new validators (`None` when the feed was not modified).
    fn read_feed(
        &self,
        agent: &ureq::Agent,
        subscription: &SubscriptionRecord,
        now: i64,
    ) -> std::result::Result<(Vec<ExternalAlertRecord>, Option<Validators>), Failure> {
        let fetched = fetch(agent, subscription, MAX_FEED_BYTES).map_err(Failure::new)?;
        let Fetched::Body {
            bytes,
            etag,
            last_modified,
        } = fetched
        else {
            return Ok((Vec::new(), None));
        };
        let feed = tocsin_cap::feed_in::read(&bytes).map_err(|e| Failure::new(e.to_string()))?;
        for skipped in &feed.skipped {
            tracing::info!(url = %crate::channels::without_credentials(&subscription.url), %skipped, "feed entry skipped");
        }
        let mut stored = Vec::new();
        let mut errors = Vec::new();
        for entry in &feed.entries {
            match self.receive_entry(agent, subscription, entry, now) {
                Ok(Some(alert)) => stored.push(alert),
                Ok(None) => {}
                Err(error) => errors.push(error),
            }
        }
        if errors.is_empty() {
            Ok((stored, Some((etag, last_modified))))
        } else {
            Err(Failure {
                stored,
                error: errors.join("; "),
            })
        }
    }

    /// Stores the alert an entry names, unless it is stored already; an error names the entry.
    fn receive_entry(
        &self,
        agent: &ureq::Agent,
        subscription: &SubscriptionRecord,
        entry: &tocsin_cap::feed_in::Entry,
        now: i64,
    ) -> std::result::Result<Option<ExternalAlertRecord>, String> {
        let in_entry = |e: String| format!("entry {:?}: {e}", entry.id);
        let source = match &entry.alert_link {
            Some(link) => resolve(&subscription.url, link),
            None => format!("{}#{}", subscription.url, entry.id),
        };
        let known = self.store().has_external_source(&source);
        if known.map_err(|e| in_entry(e.to_string()))? {
            return Ok(None);
        }
        let bytes = match (&entry.alert_link, &entry.embedded_alert) {
            (Some(_), _) => get_alert(agent, &source).map_err(in_entry)?,
            (None, Some(embedded)) => embedded.clone().into_bytes(),
            (None, None) => return Ok(None),
        };
        let mut alert = self
            .external_alert(subscription.id, source, bytes, now)
            .map_err(|e| in_entry(e.to_string()))?;
        let inserted = self.store().insert_external_alert(&alert);
        match inserted.map_err(|e| in_entry(e.to_string()))? {
            Some(id) => {
                alert.id = id;
                Ok(Some(alert))
            }
            None => Ok(None),
        }
    }

    /// An alert as received: read, validated, its signature checked, placed when valid.
    pub(crate) fn external_alert(
        &self,
        subscription: u64,
        source: String,
        bytes: Vec<u8>,
        now: i64,
    ) -> Result<ExternalAlertRecord> {
        let signature = tocsin_cap::signature::verify(&bytes).integrity.to_string();
        let mut record = ExternalAlertRecord {
            id: 0,
            subscription,
            source,
            sender: None,
            identifier: None,
            sent_ms: None,
            status: String::new(),
            msg_type: String::new(),
            event: String::new(),
            severity: String::new(),
            urgency: String::new(),
            certainty: String::new(),
            headline: String::new(),
            expires_ms: None,
            cap_xml: Vec::new(),
            findings: String::new(),
            signature,
            placement: "invalid".into(),
            received_ms: now,
            regions: Vec::new(),
        };
        let findings = match tocsin_cap::read(&bytes) {
            Err(findings) => findings,
            Ok(read) => {
                let mut findings = read.warnings;
                findings.extend(tocsin_cap::validate(&read.alert));
                describe(&mut record, &read.alert);
                if !findings.iter().any(Finding::is_error) {
                    record.regions = self.place(&read.alert)?;
                    record.placement = if record.regions.is_empty() {
                        "outside"
                    } else {
                        "placed"
                    }
                    .into();
                }
                findings
            }
        };
        record.findings = serde_json::to_string(&findings).unwrap_or_else(|_| "[]".into());
        record.cap_xml = bytes;
        Ok(record)
    }

    /// The current regions the alert's areas lie on, each once (the first way it matched).
    fn place(&self, alert: &Alert) -> Result<Vec<PlacedRegion>> {
        let mut placed = BTreeMap::new();
        let mut communes = None;
        for area in alert.info.iter().flat_map(|i| &i.area) {
            let by_code = self.place_by_geocode(area)?;
            let found = if by_code.is_empty() {
                let communes = match &mut communes {
                    Some(c) => c,
                    None => communes.insert(self.current_communes()?),
                };
                self.place_by_geometry(area, communes)
            } else {
                by_code
            };
            for region in found {
                placed.entry(region.region.clone()).or_insert(region);
            }
        }
        Ok(placed.into_values().collect())
    }

    /// Regions named by a geocode value that is one of our current codes (unless the area's
    /// geometry lies wholly outside our territory, which makes the code another country's).
    fn place_by_geocode(&self, area: &Area) -> Result<Vec<PlacedRegion>> {
        if has_geometry(area) && !touches_territory(area) {
            return Ok(Vec::new());
        }
        let today = self.today();
        let mut found = Vec::new();
        for code in area.geocode.iter().map(|g| g.value.trim()) {
            let Some(region) = self.store().region(code, today, &RegionFilter::all())? else {
                continue;
            };
            if let Some(province) = province_of(&region) {
                found.push(placed(region.code, province, "geocode"));
            }
        }
        Ok(found)
    }

    /// Communes placed by the area's polygons and circles; unreadable geometry places nothing
    /// (validation reports it).
    fn place_by_geometry(&self, area: &Area, communes: &[Commune]) -> Vec<PlacedRegion> {
        if !touches_territory(area) {
            return Vec::new();
        }
        let mut found = Vec::new();
        for polygon in area.polygon.iter().filter_map(|p| parse_polygon(p).ok()) {
            let ring: Vec<LonLat> = polygon.iter().map(|&(lat, lon)| [lon, lat]).collect();
            let shape = geo::Area {
                polygons: vec![vec![ring]],
            };
            let inside = communes.iter().filter(|c| shape.contains(c.point));
            let mut hits: Vec<PlacedRegion> = inside.map(|c| c.placed("polygon")).collect();
            if hits.is_empty() {
                hits.extend(self.commune_at(middle(&polygon), communes, "polygon"));
            }
            found.extend(hits);
        }
        for ((lat, lon), radius_km) in area.circle.iter().filter_map(|c| parse_circle(c).ok()) {
            let near = communes
                .iter()
                .filter(|c| distance_km([lon, lat], c.point) <= radius_km);
            found.extend(near.map(|c| c.placed("circle")));
            found.extend(self.commune_at((lat, lon), communes, "circle"));
        }
        found
    }

    /// The current commune containing the point, if any.
    fn commune_at(
        &self,
        (lat, lon): (f64, f64),
        communes: &[Commune],
        how: &str,
    ) -> Option<PlacedRegion> {
        let region = self.locate(&Principal::local_admin(), lat, lon).ok()?;
        communes
            .iter()
            .find(|c| c.code == region.code)
            .map(|c| c.placed(how))
    }

    /// Every current commune with its representative point and province.
    fn current_communes(&self) -> Result<Vec<Commune>> {
        let today = self.today();
        let all = RegionFilter::all();
        let mut communes = Vec::new();
        for province in self.store().children(NATION_CODE, today, &all)? {
            for commune in self.store().children(&province.code, today, &all)? {
                if let Some(point) = commune.centroid {
                    communes.push(Commune {
                        code: commune.code,
                        province: province.code.clone(),
                        point,
                    });
                }
            }
        }
        Ok(communes)
    }
}

/// A current commune, as placement needs it.
struct Commune {
    code: String,
    province: String,
    point: LonLat,
}

impl Commune {
    fn placed(&self, how: &str) -> PlacedRegion {
        placed(self.code.clone(), self.province.clone(), how)
    }
}

fn placed(region: String, province: String, how: &str) -> PlacedRegion {
    PlacedRegion {
        region,
        province,
        matched_by: how.into(),
    }
}

/// `(ETag, Last-Modified)` of a feed read.
type Validators = (Option<String>, Option<String>);

/// A poll that failed, with the alerts stored before it did.
struct Failure {
    stored: Vec<ExternalAlertRecord>,
    error: String,
}

impl Failure {
    fn new(error: String) -> Failure {
        Failure {
            stored: Vec::new(),
            error,
        }
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

/// `2^failures` minutes, at most an hour.
pub fn backoff_ms(failures: u32) -> i64 {
    BACKOFF_BASE_MS
        .saturating_mul(1_i64 << failures.min(20))
        .min(BACKOFF_MAX_MS)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(REQUEST_TIMEOUT))
        .http_status_as_error(false)
        .max_redirects(5)
        .user_agent("tocsin (CAP feed subscriber)")
        .build()
        .into()
}

/// A conditional GET of the subscription's feed.
fn fetch(
    agent: &ureq::Agent,
    subscription: &SubscriptionRecord,
    limit: u64,
) -> std::result::Result<Fetched, String> {
    let url = &subscription.url;
    let mut request = agent.get(url);
    if let Some(etag) = &subscription.etag {
        request = request.header("If-None-Match", etag);
    }
    if let Some(modified) = &subscription.last_modified {
        request = request.header("If-Modified-Since", modified);
    }
    let mut response = request.call().map_err(|e| format!("feed {url}: {e}"))?;
    let status = response.status().as_u16();
    match status {
        304 => Ok(Fetched::NotModified),
        200 => {
            let header = |name: &str| {
                let value = response.headers().get(name)?.to_str().ok()?;
                Some(value.to_string())
            };
            let (etag, last_modified) = (header("etag"), header("last-modified"));
            let bytes = response
                .body_mut()
                .with_config()
                .limit(limit)
                .read_to_vec()
                .map_err(|e| format!("feed {url}: reading the body: {e}"))?;
            Ok(Fetched::Body {
                bytes,
                etag,
                last_modified,
            })
        }
        other => Err(format!("feed {url}: HTTP status {other}")),
    }
}

/// The bytes of one alert.
fn get_alert(agent: &ureq::Agent, url: &str) -> std::result::Result<Vec<u8>, String> {
    let mut response = agent
        .get(url)
        .call()
        .map_err(|e| format!("alert {url}: {e}"))?;
    match response.status().as_u16() {
        200 => response
            .body_mut()
            .with_config()
            .limit(MAX_ALERT_BYTES)
            .read_to_vec()
            .map_err(|e| format!("alert {url}: reading the body: {e}")),
        other => Err(format!("alert {url}: HTTP status {other}")),
    }
}

/// `link` made absolute against the feed's URL (`/path`, `path` or an absolute URL).
fn resolve(feed_url: &str, link: &str) -> String {
    if link.contains("://") {
        return link.to_string();
    }
    let Some((scheme, rest)) = feed_url.split_once("://") else {
        return link.to_string();
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    if let Some(path) = link.strip_prefix('/') {
        return format!("{scheme}://{authority}/{path}");
    }
    let base = feed_url.split(['?', '#']).next().unwrap_or(feed_url);
    match base.rsplit_once('/') {
        Some((dir, _)) if dir.len() > scheme.len() + 3 => format!("{dir}/{link}"),
        _ => format!("{scheme}://{authority}/{link}"),
    }
}

/// Copies the alert's facts (those of its first `info`) into the record.
fn describe(record: &mut ExternalAlertRecord, alert: &Alert) {
    record.sender = Some(alert.sender.clone());
    record.identifier = Some(alert.identifier.clone());
    record.sent_ms = timestamp_ms(&alert.sent);
    record.status = alert.status.as_str().into();
    record.msg_type = alert.msg_type.as_str().into();
    if let Some(info) = alert.info.first() {
        record.event = info.event.clone();
        record.severity = info.severity.as_str().into();
        record.urgency = info.urgency.as_str().into();
        record.certainty = info.certainty.as_str().into();
        record.headline = info.headline.clone().unwrap_or_default();
        record.expires_ms = info.expires.as_deref().and_then(timestamp_ms);
    }
}

fn timestamp_ms(text: &str) -> Option<i64> {
    text.trim()
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

/// The current province a region lies in (itself for a province); `None` for other kinds.
fn province_of(region: &Region) -> Option<String> {
    match region.kind {
        RegionKind::Province => Some(region.code.clone()),
        RegionKind::Commune => region.parent.clone(),
        _ => None,
    }
}

fn has_geometry(area: &Area) -> bool {
    !area.polygon.is_empty() || !area.circle.is_empty()
}

/// Whether any polygon point or circle centre of the area lies in the box around our territory.
fn touches_territory(area: &Area) -> bool {
    let polygon_points = area
        .polygon
        .iter()
        .filter_map(|p| parse_polygon(p).ok())
        .flatten();
    let centres = area
        .circle
        .iter()
        .filter_map(|c| parse_circle(c).ok())
        .map(|(centre, _)| centre);
    polygon_points
        .chain(centres)
        .any(|(lat, lon)| TERRITORY.contains([lon, lat]))
}

/// The mean of a polygon's distinct points.
fn middle(polygon: &[(f64, f64)]) -> (f64, f64) {
    let points = &polygon[..polygon.len().saturating_sub(1).max(1)];
    let n = points.len() as f64;
    let (lat, lon) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (lat, lon)| (a + lat, b + lon));
    (lat / n, lon / n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let minutes: Vec<i64> = [1, 2, 3, 5, 6, 7, 40]
            .map(|f| backoff_ms(f) / 60_000)
            .to_vec();
        assert_eq!(minutes, [2, 4, 8, 32, 60, 60, 60]);
    }

    #[test]
    fn links_resolve_against_the_feed() {
        let feed = "http://hub.example:8080/feeds/vn/rss.xml?x=1";
        for (link, expected) in [
            ("http://other.example/a.xml", "http://other.example/a.xml"),
            ("/alerts/a.xml", "http://hub.example:8080/alerts/a.xml"),
            ("a.xml", "http://hub.example:8080/feeds/vn/a.xml"),
        ] {
            assert_eq!(resolve(feed, link), expected, "{link}");
        }
        assert_eq!(
            resolve("http://hub.example", "a.xml"),
            "http://hub.example/a.xml"
        );
    }

    #[test]
    fn distances_on_the_sphere() {
        let hanoi = [105.8342, 21.0278];
        let hai_phong = [106.6881, 20.8449];
        let km = distance_km(hanoi, hai_phong);
        assert!((km - 91.0).abs() < 3.0, "{km}");
    }
}
