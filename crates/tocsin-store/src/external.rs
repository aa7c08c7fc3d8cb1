//! Records of subscriptions to other agencies' alert feeds and of the external alerts they
//! bring in, with the regions each alert was placed on.

use crate::page::{Cursor, Paged};

/// A subscription to an Atom or RSS feed of CAP alerts, with the state of its polling.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionRecord {
    pub id: u64,
    pub url: String,
    pub name: String,
    /// Who added it (token id and name).
    pub added_by: String,
    pub added_ms: i64,
    /// The validators of the last feed read, sent back as `If-None-Match` / `If-Modified-Since`.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_polled_ms: Option<i64>,
    /// When the feed is due again (later after each failure: backoff).
    pub next_poll_ms: i64,
    /// Failures since the last successful poll.
    pub failures: u32,
    pub last_error: Option<String>,
}

/// How an external alert was placed on one of our regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedRegion {
    /// A current province (2 digits) or commune (5 digits).
    pub region: String,
    /// The current province the region lies in (itself for a province).
    pub province: String,
    /// `geocode`, `polygon` or `circle`.
    pub matched_by: String,
}

/// An alert another agency published, as received.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalAlertRecord {
    /// Assigned by the store (0 before it is stored).
    pub id: u64,
    pub subscription: u64,
    /// Where it was read: the alert's URL, or `<feed url>#<entry id>` for an embedded alert.
    pub source: String,
    /// `None` when the alert could not be read at all.
    pub sender: Option<String>,
    pub identifier: Option<String>,
    pub sent_ms: Option<i64>,
    pub status: String,
    pub msg_type: String,
    /// Of the first `info` block (empty when there is none).
    pub event: String,
    pub severity: String,
    pub urgency: String,
    pub certainty: String,
    pub headline: String,
    pub expires_ms: Option<i64>,
    /// The alert's bytes exactly as received (its signature can be checked again).
    pub cap_xml: Vec<u8>,
    /// Every finding of reading and validating it (JSON array).
    pub findings: String,
    /// The integrity of its XML signature (`unsigned`, `genuine`, or why not).
    pub signature: String,
    /// `placed`, `outside` (on no region of ours) or `invalid` (not placed).
    pub placement: String,
    pub received_ms: i64,
    pub regions: Vec<PlacedRegion>,
}

impl Paged for ExternalAlertRecord {
    const ARITY: usize = 2;
    fn cursor(&self) -> Cursor {
        Cursor::new(vec![self.received_ms, self.id as i64])
    }
}
