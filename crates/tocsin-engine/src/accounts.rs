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

use crate::access::{Principal, hash_secret};
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::RwLock;
use tocsin_core::access::{Role, Scope};
use tocsin_core::change::Actor;
use tocsin_store::{FilterRoot, RegionFilter, SessionRecord, StoreError, UserRecord};

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
    /// Creates a user account (a national administrator).
    pub fn create_user(
        &self,
        who: &Principal,
        username: &str,
        display_name: &str,
        password: &str,
        role: Role,
        scope: Scope,
    ) -> Result<User> {
        require_user_admin(who)?;
        let username = check_username(username)?;
        check_password(&username, password)?;
        check_role_and_scope(role, &scope)?;
        self.scope_root(&scope.region)?;
        let display_name = display_name.trim();
        if display_name.chars().count() > 200 {
            return Err(invalid("name: at most 200 characters"));
        }
        let mut record = UserRecord {
            id: 0,
            display_name: if display_name.is_empty() {
                username.clone()
            } else {
                display_name.into()
            },
            username,
            password_hash: hash_password(password, settings().password_cost)?,
            role,
            scope_region: scope.region,
            domains: scope.domains,
            created_ms: self.session_clock().now().as_millisecond(),
            disabled: false,
        };
        record.id = match self.store().insert_user(&record, &who.actor()) {
            Err(StoreError::Conflict(why)) => return Err(EngineError::Conflict(why)),
            other => other?,
        };
        Ok(User::from(&record))
    }

    /// Every user account (a national administrator).
    pub fn users(&self, who: &Principal) -> Result<Vec<User>> {
        require_user_admin(who)?;
        Ok(self.store().users()?.iter().map(User::from).collect())
    }

    /// Disables an account and ends its sessions (a national administrator).
    pub fn disable_user(&self, who: &Principal, username: &str) -> Result<()> {
        require_user_admin(who)?;
        let now = self.session_clock().now().as_millisecond();
        if self
            .store()
            .set_user_disabled(username.trim(), true, now, &who.actor())?
        {
            Ok(())
        } else {
            Err(no_user(username))
        }
    }

    /// Sets a new password (a national administrator): the user's sessions end.
    pub fn set_password(&self, who: &Principal, username: &str, password: &str) -> Result<()> {
        require_user_admin(who)?;
        let username = check_username(username)?;
        check_password(&username, password)?;
        let hash = hash_password(password, settings().password_cost)?;
        let now = self.session_clock().now().as_millisecond();
        if self
            .store()
            .set_password_hash(&username, &hash, now, &who.actor())?
        {
            Ok(())
        } else {
            Err(no_user(&username))
        }
    }

    /// Signs a user in from the node itself ([`LOCAL_CLIENT`]); see [`Engine::sign_in_from`].
    pub fn sign_in(
        &self,
        username: &str,
        password: &str,
    ) -> std::result::Result<SignedIn, SignInError> {
        self.sign_in_from(LOCAL_CLIENT, username, password)
    }

    /// Signs a user in with their password and opens a session; `client` is who asks (the
    /// peer address), whose failures slow it down.
    pub fn sign_in_from(
        &self,
        client: &str,
        username: &str,
        password: &str,
    ) -> std::result::Result<SignedIn, SignInError> {
        let now = self.session_clock().now().as_millisecond();
        let key = username.trim().to_lowercase();
        self.sign_ins()
            .check(client, &key, now)
            .map_err(|wait_ms| SignInError::Throttled { wait_ms })?;
        let user = match check_username(username) {
            Ok(username) => self.store().user_by_name(&username)?,
            Err(_) => None,
        };
        if !password_matches(user.as_ref(), password) {
            self.sign_ins().failed(client, &key, now);
            return Err(SignInError::Refused);
        }
        let user = user.ok_or(SignInError::Refused)?;
        if user.disabled {
            return Err(SignInError::Disabled(user.username));
        }
        self.sign_ins().succeeded(client, &key);
        Ok(self.open_session(&user, now)?)
    }

    /// The live session a secret stands for; an ended one is removed and gives `None`.
    pub fn session(&self, secret: &str) -> Result<Option<Session>> {
        let id = hash_secret(secret);
        let Some((record, user)) = self.store().session(&id)? else {
            return Ok(None);
        };
        let now = self.session_clock().now().as_millisecond();
        let idle_end = record.last_seen_ms + IDLE_MS;
        if user.disabled || now >= record.expires_ms || now >= idle_end {
            self.store().delete_session(&id)?;
            return Ok(None);
        }
        let mut expires_ms = idle_end.min(record.expires_ms);
        if now - record.last_seen_ms >= TOUCH_EVERY_MS {
            self.store().touch_session(&id, now)?;
            expires_ms = (now + IDLE_MS).min(record.expires_ms);
        }
        Ok(Some(Session {
            csrf_token: record.csrf_token,
            expires_ms,
            principal: self.user_principal(&user)?,
            user: User::from(&user),
        }))
    }

    /// Ends the session a secret stands for; false when there was none.
    pub fn sign_out(&self, secret: &str) -> Result<bool> {
        Ok(self.store().delete_session(&hash_secret(secret))?)
    }

    fn open_session(&self, user: &UserRecord, now: i64) -> Result<SignedIn> {
        let secret = format!("{SESSION_PREFIX}{}", random_hex()?);
        let record = SessionRecord {
            id: hash_secret(&secret),
            user: user.id,
            created_ms: now,
            expires_ms: now + ABSOLUTE_MS,
            last_seen_ms: now,
            csrf_token: random_hex()?,
        };
        let actor = Actor::User(user.username.clone());
        self.store().insert_session(&record, &actor)?;
        let session = Session {
            csrf_token: record.csrf_token,
            expires_ms: now + IDLE_MS,
            principal: self.user_principal(user)?,
            user: User::from(user),
        };
        Ok(SignedIn { secret, session })
    }

    /// The principal a user acts as: their role, and their scope as a store filter.
    fn user_principal(&self, user: &UserRecord) -> Result<Principal> {
        let root = self.scope_root(&user.scope_region)?;
        Ok(Principal {
            token_id: format!("user:{}", user.username),
            role: user.role,
            scope: User::from(user).scope,
            filter: RegionFilter {
                root,
                domains: user.domains.clone(),
            },
        })
    }

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

fn no_user(username: &str) -> EngineError {
    EngineError::NotFound(format!("username: no account {:?}", username.trim()))
}

/// Accounts are managed by administrators whose scope is the whole nation.
fn require_user_admin(who: &Principal) -> Result<()> {
    if who.role == Role::Admin && who.filter.root == FilterRoot::Nation {
        Ok(())
    } else {
        Err(EngineError::Forbidden(
            "user accounts are managed by national administrators".into(),
        ))
    }
}

/// The username in lower case: 1 to 64 of `a–z`, digits, `.`, `_`, `-`.
fn check_username(username: &str) -> Result<String> {
    let username = username.trim().to_lowercase();
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c);
    if username.is_empty() || username.len() > 64 || !username.chars().all(allowed) {
        return Err(invalid(
            "username: use 1 to 64 letters a-z, digits, '.', '_' or '-'",
        ));
    }
    Ok(username)
}

/// At least [`MIN_PASSWORD_CHARS`] characters, not the username.
fn check_password(username: &str, password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(invalid(&format!(
            "password: must be at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(invalid(&format!(
            "password: must be at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    if password.trim().to_lowercase() == username {
        return Err(invalid("password: must not be the username"));
    }
    Ok(())
}

fn check_role_and_scope(role: Role, scope: &Scope) -> Result<()> {
    if role == Role::Ingest {
        return Err(invalid(
            "role: ingest is for stations and gateways (use a token); users are viewer, operator or admin",
        ));
    }
    if !scope.stations.is_empty() {
        return Err(invalid(
            "scope: users are scoped by region and domains, not stations",
        ));
    }
    Ok(())
}

fn argon2(cost: PasswordCost) -> Result<Argon2<'static>> {
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
        .map_err(|e| invalid(&format!("password hashing cost: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A new Argon2id hash of `password` with a random salt, as a PHC string.
fn hash_password(password: &str, cost: PasswordCost) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| invalid(&format!("no randomness available: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| invalid(&format!("salt: {e}")))?;
    let hash = argon2(cost)?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| invalid(&format!("password: {e}")))?;
    Ok(hash.to_string())
}

/// Whether `password` is the user's; without a user the same work is done against nothing.
fn password_matches(user: Option<&UserRecord>, password: &str) -> bool {
    let Some(user) = user else {
        burn_hash(password);
        return false;
    };
    let Ok(parsed) = PasswordHash::new(&user.password_hash) else {
        tracing::error!(user = %user.username, "stored password hash is unreadable");
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// Hashes `password` at the current cost and forgets it, so that a refusal takes as long as
/// a real check.
fn burn_hash(password: &str) {
    let cost = settings().password_cost;
    let salt = SaltString::encode_b64(b"tocsin-no-user!!");
    if let (Ok(argon2), Ok(salt)) = (argon2(cost), salt) {
        let _ = argon2.hash_password(password.as_bytes(), &salt);
    }
}

/// 256 random bits, hex.
fn random_hex() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| invalid(&format!("no randomness available: {e}")))?;
    Ok(hex::encode(bytes))
}
