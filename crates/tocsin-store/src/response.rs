//! Records of response: resources, incidents with their tasks, requests, assignments and
//! timeline, and postings to the reserve and fund ledgers.

use crate::page::{Cursor, Paged};
use tocsin_core::response::ledger::{FundLine, StockLine};
use tocsin_core::response::matching::{Available, Need, Plan};
use tocsin_core::response::{Category, Tier};

/// A resource of the registry.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceRecord {
    pub id: String,
    pub name: String,
    pub category: Category,
    pub kind: String,
    pub unit: String,
    pub quantity: u64,
    /// How much is assigned to incidents now.
    pub assigned: u64,
    /// `available` or `out_of_service`.
    pub status: String,
    pub owner: String,
    pub commune: Option<String>,
    pub province: String,
    pub tier: Tier,
    pub lon: f64,
    pub lat: f64,
    pub readiness_minutes: u32,
    pub skills: Vec<String>,
}

impl ResourceRecord {
    /// The resource as matching sees it.
    pub fn available(&self) -> Available {
        let free = if self.status == "available" {
            self.quantity.saturating_sub(self.assigned)
        } else {
            0
        };
        Available {
            id: self.id.clone(),
            category: self.category,
            kind: self.kind.clone(),
            commune: self.commune.clone(),
            province: self.province.clone(),
            tier: self.tier,
            location: [self.lon, self.lat],
            free,
        }
    }
}

/// An incident to open, or the one of its warning and area to extend.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIncident {
    pub title: String,
    pub hazard: String,
    /// The commune or province it is for.
    pub area: String,
    pub province: String,
    pub tier: Tier,
    pub level: u8,
    pub warning: Option<u64>,
    pub exercise: bool,
    /// `scenario` or `report`.
    pub source: String,
    /// A report's text, location and attachments (JSON), when opened from one.
    pub report: Option<String>,
    pub opened_ms: i64,
    pub opened_by: String,
}

/// A stored incident.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRecord {
    pub id: u64,
    pub title: String,
    pub hazard: String,
    pub area: String,
    pub province: String,
    pub tier: Tier,
    pub level: u8,
    pub warning: Option<u64>,
    pub exercise: bool,
    /// `open` or `closed`.
    pub status: String,
    pub source: String,
    pub report: Option<String>,
    pub opened_ms: i64,
    pub opened_by: String,
    pub closed_ms: Option<i64>,
    pub closed_by: Option<String>,
    pub after_action: Option<String>,
}

/// A task of an incident.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRecord {
    pub task: String,
    pub scenario: String,
    pub level: u8,
    pub title_vi: String,
    pub title_en: String,
    pub lead: String,
    pub supporting: Vec<String>,
    pub depends_on: Vec<String>,
    pub due_ms: i64,
    /// `open`, `done` or `closed` (no longer needed).
    pub status: String,
    pub opened_ms: i64,
    pub ended_ms: Option<i64>,
    pub ended_by: Option<String>,
}

/// A request of an incident: what a scenario (or a person) asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    pub id: u64,
    pub scenario: String,
    pub position: u32,
    pub category: Category,
    pub kind: String,
    pub quantity: u64,
    pub unit: String,
    /// What could not be found when it was planned.
    pub shortfall: u64,
    pub created_ms: i64,
}

/// A request to add: `(scenario, position)` identifies it within the incident.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRequest {
    pub scenario: String,
    pub position: u32,
    pub need: Need,
    pub unit: String,
}

/// Resources assigned to an incident.
#[derive(Debug, Clone, PartialEq)]
pub struct AssignmentRecord {
    pub id: u64,
    pub request: u64,
    pub resource: String,
    pub quantity: u64,
    pub source: String,
    pub distance_km: f64,
    pub assigned_ms: i64,
    pub released_ms: Option<i64>,
}

/// An incident with everything that belongs to it.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentDetail {
    pub incident: IncidentRecord,
    /// (role, holder).
    pub roles: Vec<(String, String)>,
    pub tasks: Vec<TaskRecord>,
    pub requests: Vec<RequestRecord>,
    pub assignments: Vec<AssignmentRecord>,
    pub timeline: Vec<TimelineEntry>,
}

/// One line of an incident's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    pub time_ms: i64,
    pub kind: String,
    pub text: String,
    pub by: String,
}

/// What to do to an incident in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentUpdate {
    /// The incident to extend; `None` to find it by warning and area, or open it.
    pub existing: Option<u64>,
    pub incident: NewIncident,
    pub tasks: Vec<TaskRecord>,
    pub requests: Vec<NewRequest>,
    /// The provinces new requests may draw from (the national reserves always).
    pub draw_from: Vec<String>,
}

/// What one transaction did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IncidentOutcome {
    pub incident: u64,
    pub opened: bool,
    pub tasks_added: usize,
    pub requests_added: usize,
    /// The plan for the new requests (need indexes are positions in the new requests).
    pub plan: Plan,
}

/// A stock posting: its lines (see `ledger::post_stock`), what kind of movement, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct StockPosting {
    pub lines: Vec<StockLine>,
    /// `receipt`, `issue`, `transfer` or `write_off`.
    pub kind: String,
    pub incident: Option<u64>,
    pub note: String,
    pub time_ms: i64,
    pub by: String,
}

/// A fund posting: balanced lines, what it is and who approved it.
#[derive(Debug, Clone, PartialEq)]
pub struct FundPosting {
    pub lines: Vec<FundLine>,
    /// `contribution`, `disbursement` or `reversal`.
    pub kind: String,
    pub memo: String,
    pub incident: Option<u64>,
    pub reverses: Option<u64>,
    pub time_ms: i64,
    pub by: String,
    pub approved_by: Option<String>,
}

impl Paged for IncidentRecord {
    const ARITY: usize = 1;
    fn cursor(&self) -> Cursor {
        Cursor::new(vec![self.id as i64])
    }
}
