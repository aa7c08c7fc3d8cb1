//! Managing user accounts: creating them, listing, disabling and setting a new password, by
//! national administrators only; usernames, roles and scopes checked.

use super::passwords::{check_password, hash_password};
use super::{User, invalid, settings};
use crate::access::Principal;
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use tocsin_core::access::{Role, Scope};
use tocsin_store::{FilterRoot, StoreError, UserRecord};

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
pub(super) fn check_username(username: &str) -> Result<String> {
    let username = username.trim().to_lowercase();
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c);
    if username.is_empty() || username.len() > 64 || !username.chars().all(allowed) {
        return Err(invalid(
            "username: use 1 to 64 letters a-z, digits, '.', '_' or '-'",
        ));
    }
    Ok(username)
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
