//! The injected clock: the single way time enters core and engine logic.

use jiff::Timestamp;

/// A time in milliseconds since the epoch as RFC 3339 in UTC (`2024-09-09T06:00:00Z`), as the
/// API and reports write times; empty for a time out of range.
pub fn timestamp_text(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// A source of the current time. Production uses the system clock (in the engine); tests and
/// drills use a manual clock so that replays are deterministic.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// A clock that is set by hand; it starts at a given instant and moves only when told to.
#[derive(Debug)]
pub struct ManualClock {
    now_ms: std::sync::atomic::AtomicI64,
}

impl ManualClock {
    /// A clock standing still at `start`.
    pub fn new(start: Timestamp) -> Self {
        Self {
            now_ms: std::sync::atomic::AtomicI64::new(start.as_millisecond()),
        }
    }

    /// Moves the clock to `to`.
    pub fn set(&self, to: Timestamp) {
        self.now_ms
            .store(to.as_millisecond(), std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        let ms = self.now_ms.load(std::sync::atomic::Ordering::SeqCst);
        Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}
