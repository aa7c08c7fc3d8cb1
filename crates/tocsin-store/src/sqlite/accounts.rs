//! The SQLite side of tokens and user accounts: users (with their password hash as a PHC string),
//! sign-in sessions (keyed by the SHA-256 of their secret, never the secret itself) and the failed
//! sign-ins that lock a username out for a while. Policy (how many failures, how long sessions
//! live) is the engine's; this module only stores and reads.

use super::*;
use crate::{Result, StoreError};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use tocsin_core::access::Role;
use tocsin_core::station::Domain;

/// A token row, with its role, domains and stations still as stored.
fn token_of(r: &Row) -> rusqlite::Result<(TokenRecord, String, String, String)> {
    let token = TokenRecord {
        id: r.get(0)?,
        hash: r.get(1)?,
        name: r.get(2)?,
        role: Role::Viewer,
        scope_region: r.get(4)?,
        domains: Vec::new(),
        stations: Vec::new(),
        created_ms: r.get(7)?,
        revoked: r.get(8)?,
    };
    Ok((token, r.get(3)?, r.get(5)?, r.get(6)?))
}

fn finish_token(
    (mut token, role, domains, stations): (TokenRecord, String, String, String),
) -> Result<TokenRecord> {
    token.role = Role::parse(&role)
        .ok_or_else(|| StoreError::Corrupt(format!("token {}: role {role:?}", token.id)))?;
    token.domains = split_list(&domains).filter_map(Domain::parse).collect();
    token.stations = split_list(&stations).map(str::to_string).collect();
    Ok(token)
}

/// Every token, with whether its rowid is `first` or later (journaled since it was made).
pub(crate) fn tokens_since(conn: &Connection, first: i64) -> Result<Vec<(TokenRecord, bool)>> {
    let sql = format!("SELECT {TOKEN_COLUMNS}, rowid >= ?1 FROM tokens ORDER BY rowid");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([first], |r| Ok((token_of(r)?, r.get::<_, bool>(9)?)))?;
    rows.map(|row| {
        let (token, checked) = row?;
        Ok((finish_token(token)?, checked))
    })
    .collect()
}

impl AccountStore for SqliteStore {
    fn insert_token(&self, token: &TokenRecord, actor: &Actor) -> Result<()> {
        self.write_recorded(|tx, _, events| {
            events.push(crate::events::token_issued(token, actor));
            let domains: Vec<&str> = token.domains.iter().map(|d| d.as_str()).collect();
            tx.execute(
                "INSERT INTO tokens (id, hash, name, role, scope_region, domains, stations, created_ms, revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![token.id, token.hash, token.name, token.role.as_str(), token.scope_region, domains.join(","), token.stations.join(","), token.created_ms, token.revoked],
            )?;
            Ok(())
        })
    }

    fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>> {
        self.read(|conn| {
            let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = ?1");
            let row = conn
                .prepare_cached(&sql)?
                .query_row([hash], token_of)
                .optional()?;
            row.map(finish_token).transpose()
        })
    }

    fn insert_user(&self, user: &crate::UserRecord, actor: &Actor) -> Result<u64> {
        self.write_recorded(|tx, _, events| {
            let id = insert_user(tx, user)?;
            events.push(crate::events::user_added(id, user, actor)?);
            Ok(id)
        })
    }

    fn users(&self) -> Result<Vec<crate::UserRecord>> {
        self.read(users)
    }

    fn user_by_name(&self, username: &str) -> Result<Option<crate::UserRecord>> {
        self.read(|conn| user_by_name(conn, username))
    }

    fn set_user_disabled(
        &self,
        username: &str,
        disabled: bool,
        at_ms: i64,
        actor: &Actor,
    ) -> Result<bool> {
        self.write_recorded(|tx, _, events| {
            let user = user_id(tx, username)?;
            let changed = set_user_disabled(tx, username, disabled)?;
            if let Some(user) = user.filter(|_| changed) {
                let change = Change::UserDisabled { user, disabled };
                events.push(crate::events::node_event(at_ms, change, actor));
            }
            Ok(changed)
        })
    }

    fn set_password_hash(
        &self,
        username: &str,
        hash: &str,
        at_ms: i64,
        actor: &Actor,
    ) -> Result<bool> {
        self.write_recorded(|tx, _, events| {
            let user = user_id(tx, username)?;
            let changed = set_password_hash(tx, username, hash)?;
            if let Some(user) = user.filter(|_| changed) {
                let password_sha256 = tocsin_core::change::sha256_hex(hash.as_bytes());
                let change = Change::PasswordChanged {
                    user,
                    password_sha256,
                };
                events.push(crate::events::node_event(at_ms, change, actor));
            }
            Ok(changed)
        })
    }

    fn insert_session(&self, session: &crate::SessionRecord, actor: &Actor) -> Result<()> {
        self.write_recorded(|tx, _, events| {
            insert_session(tx, session)?;
            let change = Change::SignedIn { user: session.user };
            events.push(crate::events::node_event(session.created_ms, change, actor));
            Ok(())
        })
    }

    fn session(&self, id: &str) -> Result<Option<(crate::SessionRecord, crate::UserRecord)>> {
        self.read(|conn| session(conn, id))
    }

    fn touch_session(&self, id: &str, at_ms: i64) -> Result<()> {
        self.write(|tx, _| touch_session(tx, id, at_ms))
    }

    fn delete_session(&self, id: &str) -> Result<bool> {
        self.write(|tx, _| delete_session(tx, id))
    }
}

const USER_COLUMNS: &str =
    "id, username, display_name, password_hash, role, scope_region, domains, created_ms, disabled";

fn user_of(row: &Row) -> rusqlite::Result<(UserRecord, String, String)> {
    let role: String = row.get(4)?;
    let domains: String = row.get(6)?;
    let user = UserRecord {
        id: row.get::<_, i64>(0)? as u64,
        username: row.get(1)?,
        display_name: row.get(2)?,
        password_hash: row.get(3)?,
        role: Role::Viewer,
        scope_region: row.get(5)?,
        domains: Vec::new(),
        created_ms: row.get(7)?,
        disabled: row.get(8)?,
    };
    Ok((user, role, domains))
}

fn finish_user((mut user, role, domains): (UserRecord, String, String)) -> Result<UserRecord> {
    user.role = Role::parse(&role)
        .ok_or_else(|| StoreError::Corrupt(format!("user {}: role {role:?}", user.username)))?;
    user.domains = domains
        .split(',')
        .filter(|d| !d.is_empty())
        .filter_map(Domain::parse)
        .collect();
    Ok(user)
}

/// Inserts a user and returns its id; a username already taken (in any case) is a conflict.
pub fn insert_user(tx: &Transaction, user: &UserRecord) -> Result<u64> {
    let taken: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1 COLLATE NOCASE)",
        [&user.username],
        |r| r.get(0),
    )?;
    if taken {
        return Err(StoreError::Conflict(format!(
            "username: {:?} is already taken",
            user.username
        )));
    }
    let domains: Vec<&str> = user.domains.iter().map(|d| d.as_str()).collect();
    tx.execute(
        "INSERT INTO users (username, display_name, password_hash, role, scope_region, domains, created_ms, disabled) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            user.username,
            user.display_name,
            user.password_hash,
            user.role.as_str(),
            user.scope_region,
            domains.join(","),
            user.created_ms,
            user.disabled
        ],
    )?;
    Ok(tx.last_insert_rowid() as u64)
}

/// Every user, by username.
pub fn users(conn: &Connection) -> Result<Vec<UserRecord>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username");
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map([], user_of)?;
    rows.map(|row| finish_user(row?)).collect()
}

/// The user with this username (any case).
pub fn user_by_name(conn: &Connection, username: &str) -> Result<Option<UserRecord>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1 COLLATE NOCASE");
    let row = conn
        .prepare_cached(&sql)?
        .query_row([username], user_of)
        .optional()?;
    row.map(finish_user).transpose()
}

/// The id of the user with this username (any case).
pub(crate) fn user_id(tx: &Transaction, username: &str) -> Result<Option<u64>> {
    let id: Option<i64> = tx
        .query_row(
            "SELECT id FROM users WHERE username = ?1 COLLATE NOCASE",
            [username],
            |r| r.get(0),
        )
        .optional()?;
    Ok(id.map(|id| id as u64))
}

/// Marks a user disabled (or enabled again) and ends their sessions; false when unknown.
pub fn set_user_disabled(tx: &Transaction, username: &str, disabled: bool) -> Result<bool> {
    let changed = tx.execute(
        "UPDATE users SET disabled = ?2 WHERE username = ?1 COLLATE NOCASE",
        params![username, disabled],
    )?;
    end_sessions_of(tx, username)?;
    Ok(changed > 0)
}

/// Replaces a user's password hash and ends their sessions; false when unknown.
pub fn set_password_hash(tx: &Transaction, username: &str, hash: &str) -> Result<bool> {
    let changed = tx.execute(
        "UPDATE users SET password_hash = ?2 WHERE username = ?1 COLLATE NOCASE",
        params![username, hash],
    )?;
    end_sessions_of(tx, username)?;
    Ok(changed > 0)
}

fn end_sessions_of(tx: &Transaction, username: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM sessions WHERE user IN (SELECT id FROM users WHERE username = ?1 COLLATE NOCASE)",
        [username],
    )?;
    Ok(())
}

/// Stores a new session, dropping the sessions whose absolute end has passed.
pub fn insert_session(tx: &Transaction, session: &SessionRecord) -> Result<()> {
    tx.execute(
        "DELETE FROM sessions WHERE expires_ms <= ?1",
        [session.created_ms],
    )?;
    tx.execute(
        "INSERT INTO sessions (id, user, created_ms, expires_ms, last_seen_ms, csrf_token) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            session.id,
            session.user as i64,
            session.created_ms,
            session.expires_ms,
            session.last_seen_ms,
            session.csrf_token
        ],
    )?;
    Ok(())
}

/// The session with this id and its user.
pub fn session(conn: &Connection, id: &str) -> Result<Option<(SessionRecord, UserRecord)>> {
    let sql = "SELECT s.id, s.user, s.created_ms, s.expires_ms, s.last_seen_ms, s.csrf_token, u.username FROM sessions s JOIN users u ON u.id = s.user WHERE s.id = ?1";
    let row = conn
        .prepare_cached(sql)?
        .query_row([id], |r| {
            let session = SessionRecord {
                id: r.get(0)?,
                user: r.get::<_, i64>(1)? as u64,
                created_ms: r.get(2)?,
                expires_ms: r.get(3)?,
                last_seen_ms: r.get(4)?,
                csrf_token: r.get(5)?,
            };
            Ok((session, r.get::<_, String>(6)?))
        })
        .optional()?;
    let Some((session, username)) = row else {
        return Ok(None);
    };
    let user = user_by_name(conn, &username)?
        .ok_or_else(|| StoreError::Corrupt(format!("session of a missing user {username:?}")))?;
    Ok(Some((session, user)))
}

/// Records that the session was used at `at_ms`.
pub fn touch_session(tx: &Transaction, id: &str, at_ms: i64) -> Result<()> {
    tx.execute(
        "UPDATE sessions SET last_seen_ms = ?2 WHERE id = ?1",
        params![id, at_ms],
    )?;
    Ok(())
}

/// Ends a session; false when there was none.
pub fn delete_session(tx: &Transaction, id: &str) -> Result<bool> {
    Ok(tx.execute("DELETE FROM sessions WHERE id = ?1", [id])? > 0)
}
