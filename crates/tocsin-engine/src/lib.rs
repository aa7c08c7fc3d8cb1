//! The running tocsin system, without HTTP: the registry (regions with history, stations), the
//! ingest pipeline with durable group commits, queries, and access control.
//!
//! The engine owns behaviour; the store owns persistence; the server owns HTTP. The wall clock is
//! read only through the injected [`Clock`](tocsin_core::Clock) (see [`clock::SystemClock`]).

pub mod access;
pub mod accounts;
pub mod audit;
pub mod backtest;
pub mod batch;
pub mod catalog;
pub mod channels;
pub mod clock;
pub mod csv_header;
pub mod detect;
mod detections;
pub mod dispatch;
mod dissemination;
pub mod drill;
pub mod engine;
mod error;
pub mod events;
pub mod feeds;
pub mod forwarded;
pub mod ingest;
pub mod map;
mod observations;
pub mod outbreaks;
pub mod registry;
pub mod response;
pub mod situation;
pub mod stations;
pub mod throttle;
mod tokens;
pub mod warnings;
pub mod zones;

pub use engine::{Engine, EngineError, EngineOptions};
pub use events::{Event, Events};
pub use tocsin_store::{
    Batch, Cursor, Detection, Durability, FilterRoot, IncidentDetail, IncidentOutcome,
    IncidentRecord, NotificationRecord, Page, Paged, Publication, ResourceRecord, SeriesQuery,
    SilenceRecord, StoreError, VersionRecord, VersionState,
};
