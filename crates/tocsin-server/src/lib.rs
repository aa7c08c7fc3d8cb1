//! The tocsin HTTP server (axum): routes, authentication, request bodies and JSON answers.
//!
//! This is the only crate that knows HTTP and JSON bodies. Handlers translate between HTTP and
//! engine calls; they hold no business logic. Every endpoint needs a bearer token or a session
//! cookie (with its CSRF token for changes) except the health checks, sign-in, and the public
//! alerts, feeds and verification. The operations dashboard (`dashboard`) is served from the same
//! router, with every asset embedded. [`serve`] serves the router within the node's [`Limits`]
//! (timeouts, connections, body sizes); every answer carries the security headers of `layers`.

mod api;
mod auth;
mod dashboard;
pub mod drill_report;
mod error;
pub(crate) mod extract;
mod heavy;
mod layers;
pub mod metrics;
pub mod records;
mod serve;

pub use api::{AppState, reload_catalog, router, rules};
pub use error::ApiError;
pub use serve::{Limits, open_files_shortfall, serve};
