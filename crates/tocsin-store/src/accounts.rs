//! User accounts and sign-in sessions as stored (a password only as its PHC hash, a session only
//! by the SHA-256 of its secret).

use tocsin_core::access::Role;
use tocsin_core::station::Domain;

/// A user account as stored. `username` is kept in lower case; it is unique.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub id: u64,
    pub username: String,
    pub display_name: String,
    /// Argon2id hash in PHC string format (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).
    pub password_hash: String,
    pub role: Role,
    pub scope_region: String,
    pub domains: Vec<Domain>,
    pub created_ms: i64,
    pub disabled: bool,
}

/// A sign-in session as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    /// SHA-256 of the session secret, hex.
    pub id: String,
    /// The user's id.
    pub user: u64,
    pub created_ms: i64,
    /// The absolute end of the session.
    pub expires_ms: i64,
    pub last_seen_ms: i64,
    pub csrf_token: String,
}
