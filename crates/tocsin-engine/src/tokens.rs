//! API tokens: created with their secret shown once, and turned back into a principal.

use crate::access::{Principal, hash_secret, new_secret, principal_of};
use crate::engine::Engine;
use crate::error::{EngineError, Result};
use tocsin_core::access::{Role, Scope};
use tocsin_core::change::Actor;
use tocsin_core::region::NATION_CODE;
use tocsin_core::station::Domain;
use tocsin_store::{FilterRoot, TokenRecord};

impl Engine {
    /// Creates a token and returns its secret (shown once) and record.
    pub fn create_token(
        &self,
        name: &str,
        role: Role,
        scope: Scope,
    ) -> Result<(String, TokenRecord)> {
        if scope.region != NATION_CODE {
            self.filter_root(&scope.region)?;
        }
        let (secret, id) = new_secret()
            .map_err(|e| EngineError::Invalid(format!("no randomness available: {e}")))?;
        let record = TokenRecord {
            id,
            hash: hash_secret(&secret),
            name: name.to_string(),
            role,
            scope_region: scope.region,
            domains: scope.domains,
            stations: scope.stations,
            created_ms: self.clock.now().as_millisecond(),
            revoked: false,
        };
        // Tokens are issued on the node itself (its command line, or a test's setup).
        self.store.insert_token(&record, &Actor::Node)?;
        Ok((secret, record))
    }

    /// The principal a secret stands for, if it is a live token.
    pub fn authenticate(&self, secret: &str) -> Result<Option<Principal>> {
        let Some(token) = self.store.token_by_hash(&hash_secret(secret))? else {
            return Ok(None);
        };
        if token.revoked {
            return Ok(None);
        }
        let root = match token.scope_region.as_str() {
            NATION_CODE => FilterRoot::Nation,
            code => self.filter_root(code)?,
        };
        Ok(Some(principal_of(&token, root)))
    }

    /// Parses a domain list such as `hydromet,air`.
    pub fn parse_domains(text: &str) -> Result<Vec<Domain>> {
        text.split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| {
                Domain::parse(d)
                    .ok_or_else(|| EngineError::Invalid(format!("unknown domain {d:?}")))
            })
            .collect()
    }
}
