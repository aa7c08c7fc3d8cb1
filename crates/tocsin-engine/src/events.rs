//! What dashboards and streams follow live: level changes as the detector raises them, released
//! warning versions and notifications. Each event names its province, so a subscriber sees only
//! the events of its scope. Nobody listening is not an error; a slow listener skips events it
//! lagged behind on (it re-reads the situation).

use tokio::sync::broadcast;

/// One event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `detection`, `warning` or `notification`.
    pub kind: &'static str,
    /// The province it concerns (for scopes); empty for the whole node.
    pub province: String,
    /// The domain behind it (from its hazard), for domain scopes; `None` where none is.
    pub domain: Option<tocsin_core::station::Domain>,
    /// The event as JSON.
    pub json: String,
}

/// The sending side, shared by the writer (detections) and the engine (warnings,
/// notifications).
#[derive(Clone)]
pub struct Events(broadcast::Sender<Event>);

impl Default for Events {
    fn default() -> Self {
        Events(broadcast::channel(1024).0)
    }
}

impl Events {
    /// Sends `json` as an event of `kind` about `province` and, where one is behind it,
    /// `hazard` (a hazard no domain knows counts as `other`).
    pub fn publish(
        &self,
        kind: &'static str,
        province: String,
        hazard: Option<&str>,
        json: String,
    ) {
        let domain = hazard.map(|h| {
            tocsin_core::hazard::domain_of(h).unwrap_or(tocsin_core::station::Domain::Other)
        });
        let _ = self.0.send(Event {
            kind,
            province,
            domain,
            json,
        });
    }

    /// Follows the events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.0.subscribe()
    }
}
