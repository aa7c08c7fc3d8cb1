//! API tokens and the principal a request acts as: token creation (secrets shown once, stored
//! hashed), authentication, and the checks that keep every request inside its scope.

use crate::error::EngineError;
use crate::ingest::SeriesCache;
use sha2::{Digest, Sha256};
use tocsin_core::access::{Access, Reach, Resource, Role, Scope, rule};
use tocsin_core::change::Actor;
use tocsin_core::observation::Rejection;
use tocsin_core::station::Domain;
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

    /// Who this principal is in the journal: the node itself for local commands, a user by
    /// name, or a token by its public id.
    pub fn actor(&self) -> Actor {
        match self.token_id.strip_prefix("user:") {
            Some(username) => Actor::User(username.to_string()),
            None if self.token_id == "local" => Actor::Node,
            None => Actor::Token(self.token_id.clone()),
        }
    }

    /// Whether the principal's scope is the whole nation.
    pub fn is_national(&self) -> bool {
        self.filter.root == FilterRoot::Nation
    }

    /// Checks the access table's rule for `resource`: the principal's role is one it names,
    /// and a national rule is met only with national scope. Records are checked with
    /// [`Principal::require_in`].
    pub fn require(&self, resource: Resource, access: Access) -> Result<(), EngineError> {
        let rule = rule(resource, access);
        let doing = match access {
            Access::Read => "read",
            Access::Write => "changed",
        };
        if !rule.admits(self.role) {
            let roles: Vec<&str> = rule.roles.iter().map(|r| r.as_str()).collect();
            return Err(EngineError::Forbidden(format!(
                "{resource:?} are {doing} by {} tokens only, not {}",
                roles.join(" or "),
                self.role.as_str()
            )));
        }
        if rule.reach == Reach::National && !self.is_national() {
            let why = format!("{resource:?} are {doing} at national scope only");
            return Err(match access {
                Access::Read => EngineError::NotFound(why),
                Access::Write => EngineError::Forbidden(why),
            });
        }
        Ok(())
    }

    /// Whether a record at `place` lies in the principal's scope: its province (a national
    /// record, `province: None`, only for national scope) and its domain.
    pub fn sees(&self, place: &Place) -> bool {
        let region = match (&self.filter.root, place.province) {
            (FilterRoot::Nation, _) => true,
            (_, None) => false,
            (root, Some(province)) => root.shows_province(province),
        };
        region && place.domain.is_none_or(|d| self.scope.allows_domain(d))
    }

    /// Whether a live event is one the principal may read.
    pub fn sees_event(&self, event: &crate::events::Event) -> bool {
        self.role.can_read()
            && self.sees(&Place {
                domain: event.domain,
                ..Place::region(&event.province)
            })
    }

    /// Whether the principal may change records at `place`: as [`Principal::sees`], but a
    /// commune's principal changes nothing province-wide.
    fn covers(&self, place: &Place) -> bool {
        let region = match (&self.filter.root, place.province) {
            (FilterRoot::Nation, _) => true,
            (FilterRoot::Province(p), Some(province)) => p == province,
            _ => false,
        };
        region && place.domain.is_none_or(|d| self.scope.allows_domain(d))
    }

    /// Checks the rule for `resource` and that the record at `place` is in scope. A record
    /// outside the scope is not found for a reader (its existence is not told) and forbidden
    /// for a writer.
    pub fn require_in(
        &self,
        resource: Resource,
        access: Access,
        what: &str,
        place: &Place,
    ) -> Result<(), EngineError> {
        self.require(resource, access)?;
        let inside = match access {
            Access::Read => self.sees(place),
            Access::Write => self.covers(place),
        };
        if inside {
            Ok(())
        } else if access == Access::Write {
            Err(EngineError::Forbidden(format!(
                "{what} is outside what this token may change"
            )))
        } else {
            Err(EngineError::NotFound(format!(
                "no {what} within your scope"
            )))
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

/// Where a record lies, for the scope checks: its province (`None` for a national record) and
/// the domain behind it (`None` where no station or sector is behind it, e.g. a fund).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place<'a> {
    pub province: Option<&'a str>,
    pub domain: Option<Domain>,
}

impl<'a> Place<'a> {
    /// A record of a region: `VN` (or empty) is national, a province code its province.
    pub fn region(province: &'a str) -> Place<'a> {
        let national = province.is_empty() || province == tocsin_core::region::NATION_CODE;
        Place {
            province: (!national).then_some(province),
            domain: None,
        }
    }

    /// A record about `hazard` in `province`; a hazard no domain knows counts as `other`.
    pub fn hazard(province: &'a str, hazard: &str) -> Place<'a> {
        Place {
            domain: Some(tocsin_core::hazard::domain_of(hazard).unwrap_or(Domain::Other)),
            ..Place::region(province)
        }
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
