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

/// What an access rule is about: one rule per resource and kind of access, in [`rule`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    /// Regions, their history, boundaries and the map shapes.
    Registry,
    Stations,
    /// Observations, series, latest values and their versions.
    Observations,
    /// Detections, the situation and the rule catalogue in use.
    Detections,
    /// Reloading the rule catalogue.
    Catalog,
    /// Warnings and their versions (release and cancel are writes).
    Warnings,
    /// Which hazards are released without approval.
    AutoRelease,
    /// Who is told (endpoints carry secrets, which are never read back).
    Recipients,
    Silences,
    /// The notification record; acknowledgement is a write.
    Notifications,
    /// Incidents, their tasks, requests, notes, roles, sitreps and closure.
    Incidents,
    /// The response resource registry.
    Resources,
    /// The reserves' warehouses, stock and movements.
    Reserves,
    /// The prevention and response funds and their postings.
    Funds,
    /// Funds and warehouses themselves: which exist, of which level and region.
    LedgerHolders,
    /// The feeds of other agencies this node polls.
    Subscriptions,
    /// Alerts from outside: brought by the feeds, or forwarded by child nodes (a write: the
    /// child sends them in).
    ExternalAlerts,
    /// Drills on this node (one exercise space for the whole node).
    Drills,
    /// Accounts and tokens.
    Users,
    /// The server's Prometheus metrics (no scoped data).
    Metrics,
    /// The journal's signed checkpoints and proofs: hashes only, nothing of a region.
    Audit,
    /// The journal's entries, each read within the scope of its province and hazard.
    AuditEntries,
}

/// Reading or changing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    Read,
    Write,
}

/// How far a granted access reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Records inside the principal's scope: its region subtree and, for records behind which a
    /// domain lies (stations, hazards), its domains.
    Scope,
    /// Only principals of national scope (the whole node).
    National,
    /// Any principal with the role; the data carries nothing of a region.
    Node,
}

/// Which roles may access a resource, and how far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub roles: &'static [Role],
    pub reach: Reach,
}

const INGESTERS: &[Role] = &[Role::Ingest, Role::Operator, Role::Admin];
const READERS: &[Role] = &[Role::Viewer, Role::Operator, Role::Admin];
const OPERATORS: &[Role] = &[Role::Operator, Role::Admin];
const ADMINS: &[Role] = &[Role::Admin];
const ANY: &[Role] = &[Role::Ingest, Role::Viewer, Role::Operator, Role::Admin];

/// The one access table: who may read or write each resource, and how far. Every engine call
/// checks its resource's rule where the data is read; the server refuses a role the rule does
/// not name before it reads a body. `docs/ARCHITECTURE.md` prints this table (a test keeps the
/// two equal).
pub fn rule(resource: Resource, access: Access) -> Rule {
    use Access::{Read, Write};
    use Reach::{National, Node, Scope};
    use Resource::*;
    let (roles, reach) = match (resource, access) {
        (Registry | Stations | Observations | Detections, Read) => (READERS, Scope),
        (Registry, Write) => (ADMINS, National),
        (Stations, Write) => (OPERATORS, Scope),
        (Observations, Write) => (INGESTERS, Scope),
        (Detections | Metrics, Write) => (&[][..], Node),
        (Catalog, Write) => (ADMINS, National),
        (Catalog, Read) => (READERS, Node),
        (Warnings, Read) => (READERS, Scope),
        (Warnings, Write) => (OPERATORS, Scope),
        (AutoRelease, Read) => (READERS, Node),
        (AutoRelease, Write) => (OPERATORS, National),
        (Recipients, Read) => (OPERATORS, Scope),
        (Recipients, Write) => (OPERATORS, National),
        (Silences, Read) => (READERS, Scope),
        (Silences, Write) => (OPERATORS, National),
        (Notifications, Read) => (READERS, Scope),
        (Notifications, Write) => (OPERATORS, Scope),
        (Incidents | Resources, Read) => (READERS, Scope),
        (Incidents | Resources, Write) => (OPERATORS, Scope),
        (Reserves | Funds | LedgerHolders, Read) => (OPERATORS, Scope),
        (Reserves | Funds, Write) => (OPERATORS, Scope),
        (LedgerHolders, Write) => (ADMINS, Scope),
        (Subscriptions, Read) => (OPERATORS, Node),
        (Subscriptions, Write) => (OPERATORS, National),
        (ExternalAlerts, Read) => (READERS, Scope),
        (ExternalAlerts, Write) => (INGESTERS, Node),
        (Drills, Read) => (READERS, National),
        (Drills, Write) => (ADMINS, National),
        (Users, Read | Write) => (ADMINS, National),
        (Metrics, Read) => (ANY, Node),
        (Audit, Read) => (READERS, Node),
        (AuditEntries, Read) => (READERS, Scope),
        (Audit | AuditEntries, Write) => (&[][..], Node),
    };
    Rule { roles, reach }
}

/// Every resource, in the order the access table lists them.
pub const RESOURCES: [Resource; 22] = [
    Resource::Registry,
    Resource::Stations,
    Resource::Observations,
    Resource::Detections,
    Resource::Catalog,
    Resource::Warnings,
    Resource::AutoRelease,
    Resource::Recipients,
    Resource::Silences,
    Resource::Notifications,
    Resource::Incidents,
    Resource::Resources,
    Resource::Reserves,
    Resource::Funds,
    Resource::LedgerHolders,
    Resource::Subscriptions,
    Resource::ExternalAlerts,
    Resource::Drills,
    Resource::Users,
    Resource::Metrics,
    Resource::Audit,
    Resource::AuditEntries,
];

impl Rule {
    /// Whether `role` is one the rule names.
    pub fn admits(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// The access table as Markdown, one row per resource: the roles that may read and write, and
/// how far (`scope`: the caller's regions and domains; `national`: national scope only; `node`:
/// nothing regional in it).
pub fn table_markdown() -> String {
    let cell = |rule: Rule| {
        if rule.roles.is_empty() {
            return "—".to_string();
        }
        let roles: Vec<&str> = rule.roles.iter().map(|r| r.as_str()).collect();
        let reach = match rule.reach {
            Reach::Scope => "scope",
            Reach::National => "national",
            Reach::Node => "node",
        };
        format!("{} ({reach})", roles.join(", "))
    };
    let mut out = String::from("| resource | read | write |\n|---|---|---|\n");
    for resource in RESOURCES {
        out.push_str(&format!(
            "| {resource:?} | {} | {} |\n",
            cell(rule(resource, Access::Read)),
            cell(rule(resource, Access::Write))
        ));
    }
    out
}
