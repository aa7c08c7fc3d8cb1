//! Access control vocabulary: roles, and the scope (a region subtree, a set of domains and,
//! for ingest tokens, a set of stations) that bounds what a token may see or write.

use crate::station::Domain;
use serde::{Deserialize, Serialize};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sends observations only (for stations and gateways).
    Ingest,
    /// Reads within its scope.
    Viewer,
    /// Reads, sends observations and manages stations within its scope.
    Operator,
    /// Everything, including tokens.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Ingest => "ingest",
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        [Role::Ingest, Role::Viewer, Role::Operator, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == text)
    }

    /// Whether the role may read registry and observation data.
    pub fn can_read(self) -> bool {
        self >= Role::Viewer
    }

    /// Whether the role may send observations.
    pub fn can_ingest(self) -> bool {
        self != Role::Viewer
    }

    /// Whether the role may create, change or retire stations.
    pub fn can_manage_stations(self) -> bool {
        self >= Role::Operator
    }

    /// Whether the role may release, cancel and set automatic release of warnings.
    pub fn can_release_warnings(self) -> bool {
        self >= Role::Operator
    }
}

/// The part of the world a token is limited to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// The root of the region subtree (`VN` for the whole nation).
    pub region: String,
    /// The domains the token may see; empty means all.
    pub domains: Vec<Domain>,
    /// For ingest: the stations the token may send for; empty means any in the region subtree.
    pub stations: Vec<String>,
}

impl Scope {
    /// The whole nation, every domain and station.
    pub fn nation() -> Scope {
        Scope {
            region: crate::region::NATION_CODE.into(),
            domains: Vec::new(),
            stations: Vec::new(),
        }
    }

    /// Whether the scope admits `domain`.
    pub fn allows_domain(&self, domain: Domain) -> bool {
        self.domains.is_empty() || self.domains.contains(&domain)
    }

    /// Whether the scope admits sending for `station`.
    pub fn allows_station(&self, station: &str) -> bool {
        self.stations.is_empty() || self.stations.iter().any(|s| s == station)
    }
}
