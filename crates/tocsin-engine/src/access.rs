//! API tokens and the principal a request acts as: token creation (secrets shown once, stored
//! hashed), authentication, and the checks that keep every request inside its scope.

use crate::ingest::SeriesCache;
use sha2::{Digest, Sha256};
use tocsin_core::access::{Role, Scope};
use tocsin_core::observation::Rejection;
use tocsin_store::{FilterRoot, RegionFilter, TokenRecord};

/// Prefix of every token secret, so leaked tokens are easy to recognise and scan for.
pub const TOKEN_PREFIX: &str = "tcs_";

/// Who a request acts as.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub token_id: String,
    pub role: Role,
    pub scope: Scope,
    /// The scope as a store filter.
    pub filter: RegionFilter,
}

impl Principal {
    /// A principal with every right over everything (local CLI commands).
    pub fn local_admin() -> Principal {
        Principal {
            token_id: "local".into(),
            role: Role::Admin,
            scope: Scope::nation(),
            filter: RegionFilter::all(),
        }
    }

    /// Whether this principal may send observations for `station`.
    pub fn check_ingest(&self, station: &str, cache: &SeriesCache) -> Result<(), Rejection> {
        let outside = || {
            Rejection::new(
                "station",
                format!("station {station:?} is outside this token's scope"),
            )
        };
        if !self.role.can_ingest() || !self.scope.allows_station(station) {
            return Err(outside());
        }
        let entry = cache.station(station).ok_or_else(outside)?;
        if !self.scope.allows_domain(entry.domain) {
            return Err(outside());
        }
        let inside = match &self.filter.root {
            FilterRoot::Nation => true,
            FilterRoot::Province(p) => entry.province.as_deref() == Some(p),
            FilterRoot::Commune { province, .. } => entry.province.as_deref() == Some(province),
        };
        if inside { Ok(()) } else { Err(outside()) }
    }
}

/// SHA-256 of a token secret, hex. Secrets are 256 random bits, so a fast hash is enough.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new random secret and its public id.
pub fn new_secret() -> Result<(String, String), getrandom::Error> {
    let mut bytes = [0u8; 40];
    getrandom::fill(&mut bytes)?;
    Ok((
        format!("{TOKEN_PREFIX}{}", hex::encode(&bytes[..32])),
        hex::encode(&bytes[32..]),
    ))
}

/// The principal a stored token grants, given the store filter its region resolves to.
pub fn principal_of(token: &TokenRecord, filter_root: FilterRoot) -> Principal {
    let scope = Scope {
        region: token.scope_region.clone(),
        domains: token.domains.clone(),
        stations: token.stations.clone(),
    };
    let filter = RegionFilter {
        root: filter_root,
        domains: token.domains.clone(),
    };
    Principal {
        token_id: token.id.clone(),
        role: token.role,
        scope,
        filter,
    }
}
