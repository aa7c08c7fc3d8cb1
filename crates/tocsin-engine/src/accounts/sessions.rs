//! Signing in and sessions: a sign-in checked against the client's throttle and the password,
//! the session opened with its secret and CSRF token, read back while live, and ended.

use super::passwords::password_matches;
use super::users::check_username;
use super::{
    ABSOLUTE_MS, IDLE_MS, LOCAL_CLIENT, SESSION_PREFIX, Session, SignInError, SignedIn,
    TOUCH_EVERY_MS, User, invalid,
};
use crate::access::{Principal, hash_secret};
use crate::engine::Engine;
use crate::error::Result;
use tocsin_core::change::Actor;
use tocsin_store::{RegionFilter, SessionRecord, UserRecord};

impl Engine {
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
}

/// 256 random bits, hex.
fn random_hex() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| invalid(&format!("no randomness available: {e}")))?;
    Ok(hex::encode(bytes))
}
