//! The system clock: the one place the wall clock is read.

use jiff::Timestamp;
use tocsin_core::Clock;

/// Reads the operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}
