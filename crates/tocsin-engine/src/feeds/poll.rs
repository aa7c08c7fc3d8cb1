//! Polling the subscribed feeds: a conditional GET of each due feed, the alerts its entries
//! name fetched and stored once, and the backoff after a failure.

use crate::engine::Engine;
use crate::error::Result;
use std::time::Duration;
use tocsin_core::change::Actor;
use tocsin_store::{ExternalAlertRecord, SubscriptionRecord};

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
        let inserted = self.store().insert_external_alert(&alert, &Actor::Node);
        match inserted.map_err(|e| in_entry(e.to_string()))? {
            Some(id) => {
                alert.id = id;
                Ok(Some(alert))
            }
            None => Ok(None),
        }
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
}
