//! Field-by-field comparison of the access records with their entries: tokens as issued, and
//! user accounts as made and as the entries after them changed them.

use super::fields::{first_differing, kept_matches};
use super::records::{Journaled, Named};
use std::collections::BTreeMap;
use tocsin_core::change::{Change, Event, sha256_hex};

/// The names of domains, as an account's event lists them.
fn domain_names(domains: &[tocsin_core::station::Domain]) -> Vec<String> {
    domains.iter().map(|d| d.as_str().to_string()).collect()
}

/// The first field in which a token differs from the one issued (a revoked one was revoked
/// outside the node: there is no revocation to journal yet).
pub(super) fn differing_token(
    event: &Event,
    token: &tocsin_store::TokenRecord,
) -> Option<&'static str> {
    let Change::TokenIssued {
        name,
        role,
        scope_region,
        domains,
        stations,
        hash_sha256,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    first_differing(&[
        ("name", *name == token.name),
        ("role", role == token.role.as_str()),
        ("scope", *scope_region == token.scope_region),
        ("domains", *domains == domain_names(&token.domains)),
        ("stations", *stations == token.stations),
        (
            "secret's hash",
            *hash_sha256 == sha256_hex(token.hash.as_bytes()),
        ),
        ("revocation", !token.revoked),
    ])
}

/// What the journal says of a user since it was made: whether it was last disabled, and the
/// digest of the last password given.
pub(super) struct LaterState {
    disabled: Option<bool>,
    password_sha256: Option<String>,
}

impl LaterState {
    pub(super) fn of(journaled: &BTreeMap<Named, Journaled>, user: u64) -> LaterState {
        let change = |named| journaled.get(&named).map(|j| &j.event.change);
        LaterState {
            disabled: match change(Named::UserDisabled(user)) {
                Some(Change::UserDisabled { disabled, .. }) => Some(*disabled),
                _ => None,
            },
            password_sha256: match change(Named::Password(user)) {
                Some(Change::PasswordChanged {
                    password_sha256, ..
                }) => Some(password_sha256.clone()),
                _ => None,
            },
        }
    }
}

/// The first field in which a user account differs from the one made, or from what the
/// entries after it made of it (disabled, a new password).
pub(super) fn differing_user(
    event: &Event,
    user: &tocsin_store::UserRecord,
    later: &LaterState,
) -> Option<&'static str> {
    let Change::UserAdded {
        username,
        display_name,
        role,
        scope_region,
        domains,
        password_sha256,
        ..
    } = &event.change
    else {
        return Some("kind");
    };
    let password = later.password_sha256.as_ref().unwrap_or(password_sha256);
    first_differing(&[
        ("username", kept_matches(username, &user.username)),
        (
            "display name",
            kept_matches(display_name, &user.display_name),
        ),
        ("role", role == user.role.as_str()),
        ("scope", *scope_region == user.scope_region),
        ("domains", *domains == domain_names(&user.domains)),
        (
            "disabling",
            later.disabled.unwrap_or(false) == user.disabled,
        ),
        (
            "password",
            *password == sha256_hex(user.password_hash.as_bytes()),
        ),
    ])
}
