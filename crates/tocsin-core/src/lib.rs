//! Domain types and pure logic of tocsin.
//!
//! This crate owns the vocabulary every other crate speaks: regions and their history, stations
//! and the metrics they measure, observations and their validation, units, access scopes, and the
//! `Clock` through which time enters the system. It performs no IO, starts no threads and never
//! reads the wall clock: callers pass time in, so the same inputs always give the same results.

pub mod access;
pub mod catalog;
pub mod change;
pub mod clock;
pub mod curve;
pub mod dispatch;
pub mod evaluate;
pub mod geo;
pub mod hazard;
pub mod observation;
pub mod outbreak;
pub mod periods;
pub mod region;
pub mod response;
pub mod secrets;
pub mod station;
pub mod text;
pub mod trend;
pub mod units;
pub mod warning;
pub mod window;

pub use clock::Clock;
