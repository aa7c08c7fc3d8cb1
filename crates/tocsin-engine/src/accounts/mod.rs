//! User accounts and sign-in sessions for the operations dashboard, beside API tokens.
//!
//! Passwords are hashed with Argon2id (PHC strings; the cost is kept in each hash, so a change
//! of [`PasswordCost`] applies to new hashes and old ones still verify). The default cost is
//! OWASP's first recommendation, m = 19,456 KiB, t = 2, p = 1. A sign-in for an unknown
//! username hashes the password all the same, so its timing does not tell whether the account
//! exists. Failed sign-ins slow the client that made them (`throttle.rs`: per client, per client
//! and username, and over all clients, with doubling delays): an account is never locked, so a
//! stranger typing an officer's name cannot keep the officer out.
//!
//! A session is a random secret (stored only as its SHA-256) with a CSRF token; it ends after
//! [`IDLE_MS`] without use (sliding, refreshed at most once a minute) and at the latest
//! [`ABSOLUTE_MS`] after sign-in, when its user is disabled, or when their password changes.
//! The principal of a session acts as `user:<username>`, which is what audits record. Time
//! comes from the engine's session clock (its own clock unless a drill replaces it). This module
//! knows nothing of HTTP or cookies.

mod passwords;
mod sessions;
mod users;

use crate::access::Principal;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use std::sync::RwLock;
use tocsin_core::access::{Role, Scope};
use tocsin_store::{FilterRoot, StoreError, UserRecord};

/// The client a sign-in is attributed to when it comes from the node itself (the command line,
/// in-process callers) rather than over the network.
pub const LOCAL_CLIENT: &str = "local";
/// A session unused this long ends: 12 hours.
pub const IDLE_MS: i64 = 12 * 3600 * 1000;
/// A session ends this long after sign-in whatever its use: 7 days.
pub const ABSOLUTE_MS: i64 = 7 * 24 * 3600 * 1000;
/// A session's last use is written at most this often.
const TOUCH_EVERY_MS: i64 = 60 * 1000;
/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest password accepted, in bytes (hashing a huge input is wasted work).
const MAX_PASSWORD_BYTES: usize = 1024;
/// Prefix of session secrets (API tokens start with `tcs_`).
const SESSION_PREFIX: &str = "tss_";

/// The Argon2id cost of new password hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over the memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl PasswordCost {
    /// OWASP's first recommendation for Argon2id: 19 MiB, 2 passes, 1 lane.
    pub const OWASP: PasswordCost = PasswordCost {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };
    /// The cheapest cost Argon2 allows (8 KiB, 1 pass), so test suites stay fast. Never for
    /// real accounts.
    pub const TESTS: PasswordCost = PasswordCost {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };
}

/// How sign-in behaves in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountSettings {
    /// The cost of new password hashes.
    pub password_cost: PasswordCost,
    /// Whether the node is reached over https only, so session secrets must never travel over
    /// plain HTTP (the server marks its cookie `Secure`). Off by default: closed networks
    /// often speak plain HTTP inside.
    pub https_only: bool,
}

impl AccountSettings {
    pub const DEFAULT: AccountSettings = AccountSettings {
        password_cost: PasswordCost::OWASP,
        https_only: false,
    };
}

static SETTINGS: RwLock<AccountSettings> = RwLock::new(AccountSettings::DEFAULT);

/// Sets how sign-in behaves for the whole process (at start, or once in a test binary).
pub fn configure(settings: AccountSettings) {
    *SETTINGS.write().unwrap_or_else(|e| e.into_inner()) = settings;
}

/// How sign-in behaves now.
pub fn settings() -> AccountSettings {
    *SETTINGS.read().unwrap_or_else(|e| e.into_inner())
}

/// A user account as callers see it (never the password hash).
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub scope: Scope,
    pub created_ms: i64,
    pub disabled: bool,
}

impl From<&UserRecord> for User {
    fn from(record: &UserRecord) -> User {
        User {
            username: record.username.clone(),
            display_name: record.display_name.clone(),
            role: record.role,
            scope: Scope {
                region: record.scope_region.clone(),
                domains: record.domains.clone(),
                stations: Vec::new(),
            },
            created_ms: record.created_ms,
            disabled: record.disabled,
        }
    }
}

/// A live session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// What state-changing requests carried by the session must also send.
    pub csrf_token: String,
    /// When the session ends if unused (the earlier of idle and absolute end).
    pub expires_ms: i64,
    pub user: User,
    pub principal: Principal,
}

/// A new session and its secret, shown once (the store keeps only its hash).
#[derive(Debug, Clone, PartialEq)]
pub struct SignedIn {
    pub secret: String,
    pub session: Session,
}

/// Why a sign-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Wrong username or password; which one is not said.
    #[error("wrong username or password")]
    Refused,
    /// Too many failed sign-ins from this client (or everywhere): wait before the next try.
    #[error(
        "too many failed sign-ins from this client; try again in {} s",
        retry_after_seconds(*wait_ms)
    )]
    Throttled { wait_ms: i64 },
    #[error("username: the account {0:?} is disabled")]
    Disabled(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<StoreError> for SignInError {
    fn from(error: StoreError) -> SignInError {
        SignInError::Engine(error.into())
    }
}

impl Engine {
    /// The store filter rooted at the current unit `code`.
    fn scope_root(&self, code: &str) -> Result<FilterRoot> {
        self.filter_root(code)
            .map_err(|e| invalid(&format!("scope: {e}")))
    }
}

/// Whole seconds to wait for `wait_ms`, rounded up (what `Retry-After` says).
pub fn retry_after_seconds(wait_ms: i64) -> i64 {
    (wait_ms + 999) / 1000
}

fn invalid(message: &str) -> EngineError {
    EngineError::Invalid(message.to_string())
}
