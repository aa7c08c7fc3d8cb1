//! SQL of response: resources (a resource's `assigned` never exceeds its quantity — the table
//! refuses it), incidents with roles, tasks, requests, assignments and the timeline, and the
//! reserve and fund ledgers. Planning and the ledgers' rules are `tocsin_core::response`'s; this
//! module reads what they need and writes what they decide inside one transaction, so that two
//! requests never book the same stock and a refused posting leaves nothing behind.

use crate::page::{Cursor, Paged, keyset, newest_first};
use crate::{RegionFilter, Result, StoreError};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params, params_from_iter};
use std::collections::BTreeMap;
use tocsin_core::response::ledger::{
    self, FundBalances, FundLine, Replenish, StockBalances, StockLine,
};
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

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {value:?}"))
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

fn parse_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

const RESOURCE_COLUMNS: &str = "id, name, category, kind, unit, quantity, assigned, status, owner, commune, province, tier, lon, lat, readiness_minutes, skills";

fn resource_from_row(r: &Row) -> rusqlite::Result<Result<ResourceRecord>> {
    let (category, tier): (String, String) = (r.get(2)?, r.get(11)?);
    let (Some(category), Some(tier)) = (Category::parse(&category), Tier::parse(&tier)) else {
        return Ok(Err(corrupt(
            "resource category/tier",
            &format!("{category}/{tier}"),
        )));
    };
    Ok(Ok(ResourceRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        category,
        kind: r.get(3)?,
        unit: r.get(4)?,
        quantity: r.get::<_, i64>(5)? as u64,
        assigned: r.get::<_, i64>(6)? as u64,
        status: r.get(7)?,
        owner: r.get(8)?,
        commune: r.get(9)?,
        province: r.get(10)?,
        tier,
        lon: r.get(12)?,
        lat: r.get(13)?,
        readiness_minutes: r.get::<_, i64>(14)? as u32,
        skills: parse_list(&r.get::<_, String>(15)?),
    }))
}

/// Creates or replaces resources by id, keeping what is assigned; a quantity below what is
/// assigned is refused, naming the resource.
pub(crate) fn upsert_resources(
    tx: &Transaction,
    resources: &[ResourceRecord],
    now_ms: i64,
) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO resources (id, name, category, kind, unit, quantity, assigned, status, owner, commune, province, tier, lon, lat, readiness_minutes, skills, updated_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) \
         ON CONFLICT(id) DO UPDATE SET name = ?2, category = ?3, kind = ?4, unit = ?5, quantity = ?6, status = ?7, owner = ?8, \
         commune = ?9, province = ?10, tier = ?11, lon = ?12, lat = ?13, readiness_minutes = ?14, skills = ?15, updated_ms = ?16",
    )?;
    for r in resources {
        let written = stmt.execute(params![
            r.id,
            r.name,
            r.category.as_str(),
            r.kind,
            r.unit,
            r.quantity as i64,
            r.status,
            r.owner,
            r.commune,
            r.province,
            r.tier.as_str(),
            r.lon,
            r.lat,
            i64::from(r.readiness_minutes),
            json_list(&r.skills),
            now_ms
        ]);
        if let Err(rusqlite::Error::SqliteFailure(e, _)) = &written
            && e.code == rusqlite::ErrorCode::ConstraintViolation
        {
            return Err(StoreError::Conflict(format!(
                "resource {:?}: quantity: {} is less than what is assigned to incidents",
                r.id, r.quantity
            )));
        }
        written?;
    }
    Ok(())
}

pub(crate) fn resources(conn: &Connection, filter: &RegionFilter) -> Result<Vec<ResourceRecord>> {
    let province = filter.root.province();
    let sql = format!(
        "SELECT {RESOURCE_COLUMNS} FROM resources WHERE ?1 IS NULL OR province = ?1 OR tier = 'national' ORDER BY id"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([province], resource_from_row)?;
    rows.map(|row| row?).collect()
}

/// The free resources of the kinds `needs` ask for, in `provinces` or the national reserves.
fn free_resources(
    tx: &Transaction,
    needs: &[Need],
    provinces: &[String],
) -> Result<Vec<Available>> {
    let places = vec!["?"; provinces.len()].join(",");
    let sql = format!(
        "SELECT id, category, kind, commune, province, tier, lon, lat, quantity - assigned FROM resources \
         WHERE category = ? AND kind = ? AND status = 'available' AND assigned < quantity \
         AND (tier = 'national' OR province IN ({places}))"
    );
    let mut stmt = tx.prepare_cached(&sql)?;
    let mut seen = std::collections::BTreeSet::new();
    let mut found = Vec::new();
    for need in needs {
        if !seen.insert((need.category, need.kind.as_str())) {
            continue;
        }
        let category = need.category.as_str();
        let mut values: Vec<&dyn rusqlite::ToSql> = vec![&category, &need.kind];
        values.extend(provinces.iter().map(|p| p as &dyn rusqlite::ToSql));
        let rows = stmt.query_map(values.as_slice(), |r| {
            let tier: String = r.get(5)?;
            Ok((
                tier,
                Available {
                    id: r.get(0)?,
                    category: need.category,
                    kind: r.get(2)?,
                    commune: r.get(3)?,
                    province: r.get(4)?,
                    tier: Tier::National,
                    location: [r.get(6)?, r.get(7)?],
                    free: r.get::<_, i64>(8)?.max(0) as u64,
                },
            ))
        })?;
        for row in rows {
            let (tier, mut available) = row?;
            available.tier = Tier::parse(&tier).ok_or_else(|| corrupt("resource tier", &tier))?;
            found.push(available);
        }
    }
    Ok(found)
}

/// Opens the incident (or finds the one of its warning and area), adds the tasks and requests it
/// does not have yet, and reserves resources for the new requests by `planner`'s plan.
pub(crate) fn update_incident(
    tx: &Transaction,
    update: &IncidentUpdate,
    planner: &dyn Fn(&[Available], &[Need]) -> Plan,
) -> Result<IncidentOutcome> {
    let new = &update.incident;
    let existing: Option<u64> = match (update.existing, new.warning) {
        (Some(id), _) => Some(id),
        (None, Some(warning)) => tx
            .query_row(
                "SELECT id FROM incidents WHERE warning = ?1 AND area = ?2",
                params![warning as i64, new.area],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .map(|id| id as u64),
        (None, None) => None,
    };
    let (incident, opened) = match existing {
        Some(id) => {
            tx.execute(
                "UPDATE incidents SET level = max(level, ?2) WHERE id = ?1",
                params![id as i64, new.level],
            )?;
            (id, false)
        }
        None => {
            tx.execute(
                "INSERT INTO incidents (title, hazard, area, province, tier, level, warning, exercise, status, source, report, opened_ms, opened_by) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'open', ?9, ?10, ?11, ?12)",
                params![new.title, new.hazard, new.area, new.province, new.tier.as_str(), new.level,
                    new.warning.map(|w| w as i64), new.exercise, new.source, new.report, new.opened_ms, new.opened_by],
            )?;
            let id = tx.last_insert_rowid() as u64;
            add_entry(tx, id, new.opened_ms, "opened", &new.title, &new.opened_by)?;
            (id, true)
        }
    };
    let tasks_added = add_tasks(tx, incident, &update.tasks)?;
    let added = add_requests(tx, incident, &update.requests, new.opened_ms)?;
    let needs: Vec<Need> = added.iter().map(|(_, r)| r.need.clone()).collect();
    let plan = if needs.is_empty() {
        Plan::default()
    } else {
        let free = free_resources(tx, &needs, &update.draw_from)?;
        let plan = planner(&free, &needs);
        let requests: Vec<u64> = added.iter().map(|(id, _)| *id).collect();
        reserve(
            tx,
            incident,
            &requests,
            &plan,
            new.opened_ms,
            &new.opened_by,
        )?;
        plan
    };
    Ok(IncidentOutcome {
        incident,
        opened,
        tasks_added,
        requests_added: added.len(),
        plan,
    })
}

fn add_tasks(tx: &Transaction, incident: u64, tasks: &[TaskRecord]) -> Result<usize> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO incident_tasks (incident, task, scenario, level, title_vi, title_en, lead, supporting, depends_on, due_ms, status, opened_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'open', ?11)",
    )?;
    let mut added = 0;
    for t in tasks {
        let inserted = stmt.execute(params![
            incident as i64,
            t.task,
            t.scenario,
            t.level,
            t.title_vi,
            t.title_en,
            t.lead,
            json_list(&t.supporting),
            json_list(&t.depends_on),
            t.due_ms,
            t.opened_ms
        ])?;
        if inserted == 1 {
            add_entry(
                tx,
                incident,
                t.opened_ms,
                "task",
                &format!("{}: {}", t.task, t.title_en),
                "scenario",
            )?;
            added += 1;
        }
    }
    Ok(added)
}

/// Inserts the requests the incident does not have yet; returns them with their ids.
fn add_requests<'a>(
    tx: &Transaction,
    incident: u64,
    requests: &'a [NewRequest],
    now_ms: i64,
) -> Result<Vec<(u64, &'a NewRequest)>> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO incident_requests (incident, scenario, position, category, kind, quantity, unit, shortfall, created_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8)",
    )?;
    let mut added = Vec::new();
    for r in requests {
        let inserted = stmt.execute(params![
            incident as i64,
            r.scenario,
            r.position,
            r.need.category.as_str(),
            r.need.kind,
            r.need.quantity as i64,
            r.unit,
            now_ms
        ])?;
        if inserted == 1 {
            added.push((tx.last_insert_rowid() as u64, r));
        }
    }
    Ok(added)
}

/// Books the plan's allocations; a resource whose free quantity changed under the plan refuses
/// the whole transaction (the caller plans again).
fn reserve(
    tx: &Transaction,
    incident: u64,
    requests: &[u64],
    plan: &Plan,
    now_ms: i64,
    by: &str,
) -> Result<()> {
    let mut book = tx.prepare_cached(
        "UPDATE resources SET assigned = assigned + ?2 WHERE id = ?1 AND status = 'available' AND quantity - assigned >= ?2",
    )?;
    let mut record = tx.prepare_cached(
        "INSERT INTO assignments (incident, request, resource, quantity, source, distance_km, assigned_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for a in &plan.allocations {
        if book.execute(params![a.resource, a.quantity as i64])? != 1 {
            return Err(StoreError::Conflict(format!(
                "resource {:?}: fewer than {} free; plan again",
                a.resource, a.quantity
            )));
        }
        record.execute(params![
            incident as i64,
            requests[a.need] as i64,
            a.resource,
            a.quantity as i64,
            a.source.as_str(),
            a.distance_km,
            now_ms
        ])?;
        let text = format!(
            "{} × {} ({}, {:.0} km)",
            a.quantity,
            a.resource,
            a.source.as_str(),
            a.distance_km
        );
        add_entry(tx, incident, now_ms, "assigned", &text, by)?;
    }
    for s in &plan.shortfalls {
        tx.execute(
            "UPDATE incident_requests SET shortfall = ?2 WHERE id = ?1",
            params![requests[s.need] as i64, s.missing as i64],
        )?;
        let text = format!("{}: {} of {} missing", s.kind, s.missing, s.wanted);
        add_entry(tx, incident, now_ms, "shortfall", &text, by)?;
    }
    Ok(())
}

pub(crate) fn add_entry(
    tx: &Transaction,
    incident: u64,
    time_ms: i64,
    kind: &str,
    text: &str,
    by: &str,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO incident_timeline (incident, time_ms, kind, text, by) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![incident as i64, time_ms, kind, text, by])?;
    Ok(())
}

/// Releases the incident's assignments that are still held; returns how many.
fn release_assignments(tx: &Transaction, incident: u64, now_ms: i64, by: &str) -> Result<usize> {
    let held: Vec<(i64, String, i64)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT id, resource, quantity FROM assignments WHERE incident = ?1 AND released_ms IS NULL",
        )?;
        let rows = stmt.query_map([incident as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (id, resource, quantity) in &held {
        tx.execute(
            "UPDATE resources SET assigned = assigned - ?2 WHERE id = ?1",
            params![resource, quantity],
        )?;
        tx.execute(
            "UPDATE assignments SET released_ms = ?2 WHERE id = ?1",
            params![id, now_ms],
        )?;
    }
    if !held.is_empty() {
        add_entry(
            tx,
            incident,
            now_ms,
            "released",
            &format!("{} assignment(s) released", held.len()),
            by,
        )?;
    }
    Ok(held.len())
}

/// Ends the open tasks of an incident as `status` (`done` or `closed`); returns how many.
fn end_open_tasks(
    tx: &Transaction,
    incident: u64,
    status: &str,
    now_ms: i64,
    by: &str,
) -> Result<usize> {
    let ended = tx.execute(
        "UPDATE incident_tasks SET status = ?2, ended_ms = ?3, ended_by = ?4 WHERE incident = ?1 AND status = 'open'",
        params![incident as i64, status, now_ms, by],
    )?;
    if ended > 0 {
        add_entry(
            tx,
            incident,
            now_ms,
            "tasks",
            &format!("{ended} open task(s) {status}"),
            by,
        )?;
    }
    Ok(ended)
}

/// Marks a task done; when it was the last open task, the incident's resources are released.
pub(crate) fn complete_task(
    tx: &Transaction,
    incident: u64,
    task: &str,
    now_ms: i64,
    by: &str,
) -> Result<bool> {
    let done = tx.execute(
        "UPDATE incident_tasks SET status = 'done', ended_ms = ?3, ended_by = ?4 WHERE incident = ?1 AND task = ?2 AND status = 'open'",
        params![incident as i64, task, now_ms, by],
    )?;
    if done == 0 {
        return Ok(false);
    }
    add_entry(tx, incident, now_ms, "task_done", task, by)?;
    let open: i64 = tx.query_row(
        "SELECT count(*) FROM incident_tasks WHERE incident = ?1 AND status = 'open'",
        [incident as i64],
        |r| r.get(0),
    )?;
    if open == 0 {
        release_assignments(tx, incident, now_ms, by)?;
    }
    Ok(true)
}

fn incidents_of_warning(tx: &Transaction, warning: u64) -> Result<Vec<u64>> {
    let mut stmt =
        tx.prepare_cached("SELECT id FROM incidents WHERE warning = ?1 AND status = 'open'")?;
    let rows = stmt.query_map([warning as i64], |r| r.get::<_, i64>(0))?;
    Ok(rows
        .map(|r| r.map(|id| id as u64))
        .collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn set_role(
    tx: &Transaction,
    incident: u64,
    role: &str,
    holder: &str,
    now_ms: i64,
    by: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO incident_roles (incident, role, holder, assigned_ms) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT(incident, role) DO UPDATE SET holder = ?3, assigned_ms = ?4",
        params![incident as i64, role, holder, now_ms],
    )?;
    add_entry(
        tx,
        incident,
        now_ms,
        "role",
        &format!("{role}: {holder}"),
        by,
    )
}

pub(crate) fn close_incident(
    tx: &Transaction,
    incident: u64,
    after_action: &str,
    now_ms: i64,
    by: &str,
) -> Result<bool> {
    let closed = tx.execute(
        "UPDATE incidents SET status = 'closed', closed_ms = ?2, closed_by = ?3, after_action = ?4 WHERE id = ?1 AND status = 'open'",
        params![incident as i64, now_ms, by, after_action],
    )?;
    if closed == 1 {
        end_open_tasks(tx, incident, "closed", now_ms, by)?;
        release_assignments(tx, incident, now_ms, by)?;
        add_entry(
            tx,
            incident,
            now_ms,
            "closed",
            "after-action report filed",
            by,
        )?;
    }
    Ok(closed == 1)
}

const INCIDENT_COLUMNS: &str = "id, title, hazard, area, province, tier, level, warning, exercise, status, source, report, opened_ms, opened_by, closed_ms, closed_by, after_action";

fn incident_from_row(r: &Row) -> rusqlite::Result<Result<IncidentRecord>> {
    let tier: String = r.get(5)?;
    let Some(tier) = Tier::parse(&tier) else {
        return Ok(Err(corrupt("incident tier", &tier)));
    };
    Ok(Ok(IncidentRecord {
        id: r.get::<_, i64>(0)? as u64,
        title: r.get(1)?,
        hazard: r.get(2)?,
        area: r.get(3)?,
        province: r.get(4)?,
        tier,
        level: r.get(6)?,
        warning: r.get::<_, Option<i64>>(7)?.map(|w| w as u64),
        exercise: r.get(8)?,
        status: r.get(9)?,
        source: r.get(10)?,
        report: r.get(11)?,
        opened_ms: r.get(12)?,
        opened_by: r.get(13)?,
        closed_ms: r.get(14)?,
        closed_by: r.get(15)?,
        after_action: r.get(16)?,
    }))
}

pub(crate) fn incidents(
    conn: &Connection,
    filter: &RegionFilter,
    before: Option<&Cursor>,
    limit: usize,
) -> Result<Vec<IncidentRecord>> {
    let hazards = crate::scope::hazards(filter, "hazard", 3);
    let (after, cursor) = keyset(before, &INCIDENT_ORDER, 3 + hazards.len());
    let sql = format!(
        "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE (?1 IS NULL OR province = ?1) AND {} AND {after} \
         ORDER BY {} LIMIT ?2",
        hazards.sql,
        newest_first(&INCIDENT_ORDER),
    );
    let mut args = vec![
        Value::from(filter.root.province().map(str::to_owned)),
        Value::Integer(limit as i64),
    ];
    hazards.append_to(&mut args);
    args.extend(cursor);
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), incident_from_row)?;
    rows.map(|row| row?).collect()
}

/// The order of incident lists: newest opened first.
const INCIDENT_ORDER: [&str; 1] = ["id"];

impl Paged for IncidentRecord {
    const ARITY: usize = 1;
    fn cursor(&self) -> Cursor {
        Cursor::new(vec![self.id as i64])
    }
}

pub(crate) fn incident(conn: &Connection, id: u64) -> Result<Option<IncidentDetail>> {
    let sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = ?1");
    let Some(incident) = conn
        .query_row(&sql, [id as i64], incident_from_row)
        .optional()?
        .transpose()?
    else {
        return Ok(None);
    };
    Ok(Some(IncidentDetail {
        incident,
        roles: roles(conn, id)?,
        tasks: tasks(conn, id)?,
        requests: requests(conn, id)?,
        assignments: assignments(conn, id)?,
        timeline: timeline(conn, id)?,
    }))
}

/// Stands down the open incidents of a warning: open tasks closed, resources released.
pub(crate) fn stand_down(
    tx: &Transaction,
    warning: u64,
    now_ms: i64,
    by: &str,
) -> Result<Vec<u64>> {
    let incidents = incidents_of_warning(tx, warning)?;
    for &incident in &incidents {
        end_open_tasks(tx, incident, "closed", now_ms, by)?;
        release_assignments(tx, incident, now_ms, by)?;
        add_entry(tx, incident, now_ms, "stood_down", "the warning ended", by)?;
    }
    Ok(incidents)
}

fn tasks(conn: &Connection, incident: u64) -> Result<Vec<TaskRecord>> {
    let mut stmt = conn.prepare(
        "SELECT task, scenario, level, title_vi, title_en, lead, supporting, depends_on, due_ms, status, opened_ms, ended_ms, ended_by \
         FROM incident_tasks WHERE incident = ?1 ORDER BY level, opened_ms, task",
    )?;
    let rows = stmt.query_map([incident as i64], |r| {
        Ok(TaskRecord {
            task: r.get(0)?,
            scenario: r.get(1)?,
            level: r.get(2)?,
            title_vi: r.get(3)?,
            title_en: r.get(4)?,
            lead: r.get(5)?,
            supporting: parse_list(&r.get::<_, String>(6)?),
            depends_on: parse_list(&r.get::<_, String>(7)?),
            due_ms: r.get(8)?,
            status: r.get(9)?,
            opened_ms: r.get(10)?,
            ended_ms: r.get(11)?,
            ended_by: r.get(12)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn request_from_row(r: &Row) -> rusqlite::Result<Result<RequestRecord>> {
    let category: String = r.get(3)?;
    let Some(category) = Category::parse(&category) else {
        return Ok(Err(corrupt("request category", &category)));
    };
    Ok(Ok(RequestRecord {
        id: r.get::<_, i64>(0)? as u64,
        scenario: r.get(1)?,
        position: r.get(2)?,
        category,
        kind: r.get(4)?,
        quantity: r.get::<_, i64>(5)? as u64,
        unit: r.get(6)?,
        shortfall: r.get::<_, i64>(7)? as u64,
        created_ms: r.get(8)?,
    }))
}

fn requests(conn: &Connection, incident: u64) -> Result<Vec<RequestRecord>> {
    let mut stmt = conn.prepare(
        "SELECT id, scenario, position, category, kind, quantity, unit, shortfall, created_ms FROM incident_requests WHERE incident = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([incident as i64], request_from_row)?;
    rows.map(|row| row?).collect()
}

fn assignments(conn: &Connection, incident: u64) -> Result<Vec<AssignmentRecord>> {
    let mut stmt = conn.prepare(
        "SELECT id, request, resource, quantity, source, distance_km, assigned_ms, released_ms FROM assignments WHERE incident = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([incident as i64], |r| {
        Ok(AssignmentRecord {
            id: r.get::<_, i64>(0)? as u64,
            request: r.get::<_, i64>(1)? as u64,
            resource: r.get(2)?,
            quantity: r.get::<_, i64>(3)? as u64,
            source: r.get(4)?,
            distance_km: r.get(5)?,
            assigned_ms: r.get(6)?,
            released_ms: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn timeline(conn: &Connection, incident: u64) -> Result<Vec<TimelineEntry>> {
    let mut stmt = conn.prepare(
        "SELECT time_ms, kind, text, by FROM incident_timeline WHERE incident = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([incident as i64], |r| {
        Ok(TimelineEntry {
            time_ms: r.get(0)?,
            kind: r.get(1)?,
            text: r.get(2)?,
            by: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn roles(conn: &Connection, incident: u64) -> Result<Vec<(String, String)>> {
    let mut stmt =
        conn.prepare("SELECT role, holder FROM incident_roles WHERE incident = ?1 ORDER BY role")?;
    let rows = stmt.query_map([incident as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---------------------------------------------------------------- ledgers

fn next_posting(tx: &Transaction, table: &str) -> Result<i64> {
    let sql = format!("SELECT coalesce(max(posting), 0) + 1 FROM {table}");
    Ok(tx.query_row(&sql, [], |r| r.get(0))?)
}

/// Posts stock lines all or nothing; returns the balances that fell below their minimum.
pub(crate) fn post_stock(
    tx: &Transaction,
    posting: &StockPosting,
) -> Result<(u64, Vec<Replenish>)> {
    let mut balances = StockBalances::new();
    let mut minimums = StockBalances::new();
    for line in &posting.lines {
        let key = (line.warehouse.clone(), line.item.clone());
        let balance: i64 = tx.query_row(
            "SELECT coalesce(sum(delta), 0) FROM stock_entries WHERE warehouse = ?1 AND item = ?2",
            params![line.warehouse, line.item],
            |r| r.get(0),
        )?;
        let minimum: Option<i64> = tx
            .query_row(
                "SELECT minimum FROM stock_minimums WHERE warehouse = ?1 AND item = ?2",
                params![line.warehouse, line.item],
                |r| r.get(0),
            )
            .optional()?;
        balances.insert(key.clone(), balance);
        minimums.insert(key, minimum.unwrap_or(0));
    }
    let replenish = ledger::post_stock(&mut balances, &minimums, &posting.lines)
        .map_err(|e| StoreError::Conflict(format!("stock {e}")))?;
    let id = next_posting(tx, "stock_entries")?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO stock_entries (posting, warehouse, item, delta, kind, incident, note, time_ms, by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for line in &posting.lines {
        stmt.execute(params![
            id,
            line.warehouse,
            line.item,
            line.delta,
            posting.kind,
            posting.incident.map(|i| i as i64),
            posting.note,
            posting.time_ms,
            posting.by
        ])?;
    }
    Ok((id as u64, replenish))
}

pub(crate) fn set_stock_minimum(
    tx: &Transaction,
    warehouse: &str,
    item: &str,
    minimum: u64,
) -> Result<()> {
    tx.execute(
        "INSERT INTO stock_minimums (warehouse, item, minimum) VALUES (?1, ?2, ?3) \
         ON CONFLICT(warehouse, item) DO UPDATE SET minimum = ?3",
        params![warehouse, item, minimum as i64],
    )?;
    Ok(())
}

/// Balances per warehouse and item, with each item's minimum.
pub(crate) fn stock_balances(conn: &Connection) -> Result<Vec<(String, String, i64, u64)>> {
    let mut stmt = conn.prepare(
        "SELECT b.warehouse, b.item, b.balance, coalesce(m.minimum, 0) FROM \
         (SELECT warehouse, item, sum(delta) AS balance FROM stock_entries GROUP BY warehouse, item) b \
         LEFT JOIN stock_minimums m ON m.warehouse = b.warehouse AND m.item = b.item ORDER BY b.warehouse, b.item",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)? as u64))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Rows of (posting, line, the posting's other fields) in posting order, gathered into
/// postings with their lines.
fn gather<L, P>(
    rows: impl Iterator<Item = rusqlite::Result<(u64, L, P)>>,
    lines_of: fn(&mut P) -> &mut Vec<L>,
) -> Result<Vec<(u64, P)>> {
    let mut postings: Vec<(u64, P)> = Vec::new();
    for row in rows {
        let (id, line, mut posting) = row?;
        match postings.last_mut() {
            Some((last, found)) if *last == id => lines_of(found).push(line),
            _ => {
                lines_of(&mut posting).push(line);
                postings.push((id, posting));
            }
        }
    }
    Ok(postings)
}

/// Every stock posting with its lines, in order.
pub(crate) fn stock_postings(conn: &Connection) -> Result<Vec<(u64, StockPosting)>> {
    let mut stmt = conn.prepare(
        "SELECT posting, warehouse, item, delta, kind, incident, note, time_ms, by \
         FROM stock_entries ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        let line = StockLine {
            warehouse: r.get(1)?,
            item: r.get(2)?,
            delta: r.get(3)?,
        };
        let posting = StockPosting {
            lines: Vec::new(),
            kind: r.get(4)?,
            incident: r.get::<_, Option<i64>>(5)?.map(|i| i as u64),
            note: r.get(6)?,
            time_ms: r.get(7)?,
            by: r.get(8)?,
        };
        Ok((r.get::<_, i64>(0)? as u64, line, posting))
    })?;
    gather(rows, |p: &mut StockPosting| &mut p.lines)
}

/// Posts a balanced fund transaction; a reversal of a posting already reversed is refused.
pub(crate) fn post_funds(tx: &Transaction, posting: &FundPosting) -> Result<u64> {
    if let Some(reversed) = posting.reverses {
        let already: i64 = tx.query_row(
            "SELECT count(*) FROM fund_entries WHERE reverses = ?1",
            [reversed as i64],
            |r| r.get(0),
        )?;
        if already > 0 {
            return Err(StoreError::Conflict(format!(
                "posting {reversed} is already reversed"
            )));
        }
    }
    let mut balances = FundBalances::new();
    for line in &posting.lines {
        let balance: i64 = tx.query_row(
            "SELECT coalesce(sum(amount), 0) FROM fund_entries WHERE account = ?1",
            [&line.account],
            |r| r.get(0),
        )?;
        balances.insert(line.account.clone(), balance);
    }
    ledger::post_funds(&mut balances, &posting.lines)
        .map_err(|e| StoreError::Conflict(format!("fund posting {e}")))?;
    let id = next_posting(tx, "fund_entries")?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO fund_entries (posting, account, amount, kind, memo, incident, reverses, time_ms, by, approved_by) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for line in &posting.lines {
        stmt.execute(params![
            id,
            line.account,
            line.amount,
            posting.kind,
            posting.memo,
            posting.incident.map(|i| i as i64),
            posting.reverses.map(|r| r as i64),
            posting.time_ms,
            posting.by,
            posting.approved_by
        ])?;
    }
    Ok(id as u64)
}

/// Fund postings with their lines, in order: one posting, or all of them for posting 0.
pub(crate) fn fund_postings(conn: &Connection, posting: u64) -> Result<Vec<(u64, FundPosting)>> {
    let mut stmt = conn.prepare(
        "SELECT posting, account, amount, kind, memo, incident, reverses, time_ms, by, approved_by \
         FROM fund_entries WHERE ?1 = 0 OR posting = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([posting as i64], |r| {
        let line = FundLine {
            account: r.get(1)?,
            amount: r.get(2)?,
        };
        let posting = FundPosting {
            lines: Vec::new(),
            kind: r.get(3)?,
            memo: r.get(4)?,
            incident: r.get::<_, Option<i64>>(5)?.map(|i| i as u64),
            reverses: r.get::<_, Option<i64>>(6)?.map(|i| i as u64),
            time_ms: r.get(7)?,
            by: r.get(8)?,
            approved_by: r.get(9)?,
        };
        Ok((r.get::<_, i64>(0)? as u64, line, posting))
    })?;
    gather(rows, |p: &mut FundPosting| &mut p.lines)
}

pub(crate) fn fund_balances(conn: &Connection) -> Result<BTreeMap<String, i64>> {
    let mut stmt = conn.prepare(
        "SELECT account, sum(amount) FROM fund_entries GROUP BY account ORDER BY account",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The sum of the entries of `account` and the accounts under it: `account:` up to (not
/// including) `account;`, the character after `:`, a range the account index answers.
pub(crate) fn fund_balance_under(conn: &Connection, account: &str) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COALESCE(sum(amount), 0) FROM fund_entries \
         WHERE account = ?1 OR (account >= ?1 || ':' AND account < ?1 || ';')",
        [account],
        |r| r.get(0),
    )?)
}

/// The tables of what holds ledger entries and belongs to a region: funds and warehouses.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Holders {
    Funds,
    Warehouses,
}

impl Holders {
    fn table(self) -> &'static str {
        match self {
            Holders::Funds => "funds",
            Holders::Warehouses => "warehouses",
        }
    }
}

/// Creates or renames a fund or warehouse of an administrative level and region.
pub(crate) fn upsert_holder(
    tx: &Transaction,
    holders: Holders,
    id: &str,
    name: &str,
    tier: Tier,
    region: &str,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO {} (id, name, tier, region) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT(id) DO UPDATE SET name = ?2, tier = ?3, region = ?4",
        holders.table()
    );
    tx.execute(&sql, params![id, name, tier.as_str(), region])?;
    Ok(())
}

/// Funds or warehouses: (id, name, tier, region).
pub(crate) fn holders(
    conn: &Connection,
    holders: Holders,
) -> Result<Vec<(String, String, String, String)>> {
    let sql = format!(
        "SELECT id, name, tier, region FROM {} ORDER BY id",
        holders.table()
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
