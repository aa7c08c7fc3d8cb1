//! The SQLite side of incidents: their roles, tasks, requests, assignments and timeline. A request
//! is planned by `tocsin_core::response::matching` on the stock read in the same transaction that
//! books it, so two requests never book the same stock.

use super::journal::IncidentJournal;
use super::page::{keyset, newest_first};
use super::resources::{
    corrupt, free_resources, json_list, parse_list, reserve, resources, upsert_resources,
};
use super::*;
use crate::page::Cursor;
use crate::{RegionFilter, Result};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params, params_from_iter};
use tocsin_core::response::matching::{Available, Need, Plan};
use tocsin_core::response::{Category, Tier};

impl ResponseStore for SqliteStore {
    fn upsert_resources(
        &self,
        resources: &[ResourceRecord],
        now_ms: i64,
        actor: &Actor,
    ) -> Result<()> {
        self.write_recorded(|tx, _, events| {
            upsert_resources(tx, resources, now_ms)?;
            for resource in resources {
                events.push(crate::events::resource_set(resource, now_ms, actor));
            }
            Ok(())
        })
    }

    fn resources(&self, filter: &RegionFilter) -> Result<Vec<ResourceRecord>> {
        self.read(|conn| resources(conn, filter))
    }

    fn update_incident(
        &self,
        update: &IncidentUpdate,
        planner: &dyn Fn(&[Available], &[Need]) -> Plan,
        actor: &Actor,
    ) -> Result<IncidentOutcome> {
        self.write_incidents(actor, |tx, journal| {
            update_incident(tx, update, planner, journal)
        })
    }

    fn stand_down(&self, warning: u64, now_ms: i64, by: &str, actor: &Actor) -> Result<Vec<u64>> {
        self.write_incidents(actor, |tx, journal| {
            stand_down(tx, warning, now_ms, by, journal)
        })
    }

    fn complete_task(
        &self,
        incident: u64,
        task: &str,
        now_ms: i64,
        by: &str,
        actor: &Actor,
    ) -> Result<bool> {
        self.write_incidents(actor, |tx, journal| {
            complete_task(tx, incident, task, now_ms, by, journal)
        })
    }

    fn set_incident_role(
        &self,
        incident: u64,
        role: &str,
        holder: &str,
        now_ms: i64,
        by: &str,
        actor: &Actor,
    ) -> Result<()> {
        self.write_incidents(actor, |tx, journal| {
            set_role(tx, incident, role, holder, now_ms, by)?;
            journal.record(tx, incident, now_ms, |hazard| {
                Ok(Change::IncidentRoleSet {
                    incident,
                    hazard,
                    role: role.to_string(),
                    holder: crate::events::seal(holder)?,
                })
            })
        })
    }

    fn add_timeline_entry(
        &self,
        incident: u64,
        entry: &TimelineEntry,
        actor: &Actor,
    ) -> Result<()> {
        self.write_incidents(actor, |tx, _| {
            add_entry(
                tx,
                incident,
                entry.time_ms,
                &entry.kind,
                &entry.text,
                &entry.by,
            )
        })
    }

    fn close_incident(
        &self,
        incident: u64,
        after_action: &str,
        now_ms: i64,
        by: &str,
        actor: &Actor,
    ) -> Result<bool> {
        self.write_incidents(actor, |tx, journal| {
            close_incident(tx, incident, after_action, now_ms, by, journal)
        })
    }

    fn incidents(
        &self,
        filter: &RegionFilter,
        before: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<IncidentRecord>> {
        self.read(|conn| incidents(conn, filter, before, limit))
    }

    fn incident(&self, id: u64) -> Result<Option<IncidentDetail>> {
        self.read(|conn| incident(conn, id))
    }
}

/// Opens the incident (or finds the one of its warning and area), adds the tasks and requests it
/// does not have yet, and reserves resources for the new requests by `planner`'s plan.
pub(crate) fn update_incident(
    tx: &Transaction,
    update: &IncidentUpdate,
    planner: &dyn Fn(&[Available], &[Need]) -> Plan,
    journal: &mut IncidentJournal,
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
            let raised = tx.execute(
                "UPDATE incidents SET level = ?2 WHERE id = ?1 AND level < ?2",
                params![id as i64, new.level],
            )?;
            if raised == 1 {
                journal.record(tx, id, new.opened_ms, |hazard| {
                    Ok(Change::IncidentRaised {
                        incident: id,
                        hazard,
                        level: new.level,
                    })
                })?;
            }
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

pub(super) fn add_entry(
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
fn release_assignments(
    tx: &Transaction,
    incident: u64,
    now_ms: i64,
    by: &str,
    journal: &mut IncidentJournal,
) -> Result<usize> {
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
        journal.record(tx, incident, now_ms, |hazard| {
            Ok(Change::ResourcesReleased {
                incident,
                hazard,
                assignments: held.iter().map(|(id, ..)| *id as u64).collect(),
            })
        })?;
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
    journal: &mut IncidentJournal,
) -> Result<usize> {
    let tasks: Vec<String> = {
        let mut stmt = tx.prepare_cached(
            "UPDATE incident_tasks SET status = ?2, ended_ms = ?3, ended_by = ?4 \
             WHERE incident = ?1 AND status = 'open' RETURNING task",
        )?;
        let rows = stmt.query_map(params![incident as i64, status, now_ms, by], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let ended = tasks.len();
    if ended > 0 {
        journal_tasks_ended(tx, incident, tasks, status, now_ms, journal)?;
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
    journal: &mut IncidentJournal,
) -> Result<bool> {
    let done = tx.execute(
        "UPDATE incident_tasks SET status = 'done', ended_ms = ?3, ended_by = ?4 WHERE incident = ?1 AND task = ?2 AND status = 'open'",
        params![incident as i64, task, now_ms, by],
    )?;
    if done == 0 {
        return Ok(false);
    }
    add_entry(tx, incident, now_ms, "task_done", task, by)?;
    let done = vec![task.to_string()];
    journal_tasks_ended(tx, incident, done, "done", now_ms, journal)?;
    let open: i64 = tx.query_row(
        "SELECT count(*) FROM incident_tasks WHERE incident = ?1 AND status = 'open'",
        [incident as i64],
        |r| r.get(0),
    )?;
    if open == 0 {
        release_assignments(tx, incident, now_ms, by, journal)?;
    }
    Ok(true)
}

fn journal_tasks_ended(
    tx: &Transaction,
    incident: u64,
    tasks: Vec<String>,
    status: &str,
    now_ms: i64,
    journal: &mut IncidentJournal,
) -> Result<()> {
    journal.record(tx, incident, now_ms, |hazard| {
        Ok(Change::TasksEnded {
            incident,
            hazard,
            tasks,
            status: status.to_string(),
        })
    })
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
    journal: &mut IncidentJournal,
) -> Result<bool> {
    let closed = tx.execute(
        "UPDATE incidents SET status = 'closed', closed_ms = ?2, closed_by = ?3, after_action = ?4 WHERE id = ?1 AND status = 'open'",
        params![incident as i64, now_ms, by, after_action],
    )?;
    if closed == 1 {
        end_open_tasks(tx, incident, "closed", now_ms, by, journal)?;
        release_assignments(tx, incident, now_ms, by, journal)?;
        add_entry(
            tx,
            incident,
            now_ms,
            "closed",
            "after-action report filed",
            by,
        )?;
        journal.record(tx, incident, now_ms, |hazard| {
            Ok(Change::IncidentClosed {
                incident,
                hazard,
                after_action_sha256: tocsin_core::change::sha256_hex(after_action.as_bytes()),
            })
        })?;
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
    let hazards = super::scope::hazards(filter, "hazard", 3);
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

/// Every incident with everything that belongs to it, by id.
pub(crate) fn all_incidents(conn: &Connection) -> Result<Vec<IncidentDetail>> {
    let ids: Vec<i64> = {
        let mut stmt = conn.prepare("SELECT id FROM incidents ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut all = Vec::with_capacity(ids.len());
    for id in ids {
        all.extend(incident(conn, id as u64)?);
    }
    Ok(all)
}

/// The order of incident lists: newest opened first.
const INCIDENT_ORDER: [&str; 1] = ["id"];

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
    journal: &mut IncidentJournal,
) -> Result<Vec<u64>> {
    let incidents = incidents_of_warning(tx, warning)?;
    for &incident in &incidents {
        end_open_tasks(tx, incident, "closed", now_ms, by, journal)?;
        release_assignments(tx, incident, now_ms, by, journal)?;
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
