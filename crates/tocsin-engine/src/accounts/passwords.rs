//! Passwords: the length rules, Argon2id hashes as PHC strings, and a check that takes as long
//! for an unknown user as for a known one.

use super::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, PasswordCost, invalid, settings};
use crate::error::Result;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tocsin_store::UserRecord;

/// At least [`MIN_PASSWORD_CHARS`] characters, not the username.
pub(super) fn check_password(username: &str, password: &str) -> Result<()> {
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

fn argon2(cost: PasswordCost) -> Result<Argon2<'static>> {
    let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
        .map_err(|e| invalid(&format!("password hashing cost: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A new Argon2id hash of `password` with a random salt, as a PHC string.
pub(super) fn hash_password(password: &str, cost: PasswordCost) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| invalid(&format!("no randomness available: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| invalid(&format!("salt: {e}")))?;
    let hash = argon2(cost)?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| invalid(&format!("password: {e}")))?;
    Ok(hash.to_string())
}

/// Whether `password` is the user's; without a user the same work is done against nothing.
pub(super) fn password_matches(user: Option<&UserRecord>, password: &str) -> bool {
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
