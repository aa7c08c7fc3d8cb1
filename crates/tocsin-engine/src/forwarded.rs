//! Alerts a child tocsin node forwards to this one (the vertical data system: commune and
//! province nodes report up). The sending side is [`crate::channels::http::parent`].
//!
//! A forwarded alert is received like one read from a subscribed feed (`feeds/`): validated,
//! its signature checked, placed on our regions, and stored as an external alert once per
//! sender and identifier, so a retry of the same alert stores nothing new. It is recorded with
//! subscription [`FORWARDED`] and the sending token as its source. Unlike a feed, the sender is
//! there to be told: an alert that cannot be read at all is refused, not kept.

use crate::access::Principal;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use tocsin_core::access::{Access, Resource};
use tocsin_store::ExternalAlertRecord;

/// The subscription of external alerts forwarded by child nodes (no feed has id 0).
pub const FORWARDED: u64 = 0;
/// The largest alert accepted.
pub const MAX_FORWARDED_BYTES: usize = 5 * 1024 * 1024;

/// What became of a forwarded alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// False when the same sender and identifier were stored before (a retry).
    pub stored: bool,
    /// The alert as received (`id` 0 when it was stored before).
    pub alert: ExternalAlertRecord,
}

impl Engine {
    /// Receives one CAP alert forwarded by a child node; the token must be one that may send
    /// data in (ingest, operator or administrator).
    pub fn receive_forwarded(&self, who: &Principal, xml: &[u8]) -> Result<Received> {
        who.require(Resource::ExternalAlerts, Access::Write)?;
        if xml.len() > MAX_FORWARDED_BYTES {
            return Err(EngineError::Invalid(format!(
                "the alert is larger than {MAX_FORWARDED_BYTES} bytes"
            )));
        }
        if let Err(findings) = tocsin_cap::read(xml) {
            let findings: Vec<String> = findings.iter().take(5).map(|f| f.to_string()).collect();
            return Err(EngineError::Invalid(format!(
                "the alert cannot be read: {}",
                findings.join("; ")
            )));
        }
        let now = self.clock().now().as_millisecond();
        let source = format!("forwarded with token {}", who.token_id);
        let mut alert = self.external_alert(FORWARDED, source, xml.to_vec(), now)?;
        let stored = match self.store().insert_external_alert(&alert, &who.actor())? {
            Some(id) => {
                alert.id = id;
                true
            }
            None => false,
        };
        if stored {
            tracing::info!(sender = ?alert.sender, identifier = ?alert.identifier, placement = %alert.placement, "forwarded alert stored");
        }
        Ok(Received { stored, alert })
    }
}
