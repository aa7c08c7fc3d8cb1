//! The SQLite side of resources: the registry's rows (a resource's `assigned` never exceeds its
//! quantity — the table refuses it), what is free to plan with, and the bookings a plan makes.

use super::incidents::add_entry;
use super::*;
use crate::{RegionFilter, Result, StoreError};
use rusqlite::{Connection, Row, Transaction, params};
use tocsin_core::response::matching::{Available, Need, Plan};
use tocsin_core::response::{Category, Tier};

pub(super) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {value:?}"))
}

pub(super) fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

pub(super) fn parse_list(text: &str) -> Vec<String> {
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
pub(super) fn upsert_resources(
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

pub(super) fn resources(conn: &Connection, filter: &RegionFilter) -> Result<Vec<ResourceRecord>> {
    let province = filter.root.province();
    let sql = format!(
        "SELECT {RESOURCE_COLUMNS} FROM resources WHERE ?1 IS NULL OR province = ?1 OR tier = 'national' ORDER BY id"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([province], resource_from_row)?;
    rows.map(|row| row?).collect()
}

/// The free resources of the kinds `needs` ask for, in `provinces` or the national reserves.
pub(super) fn free_resources(
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

/// Books the plan's allocations; a resource whose free quantity changed under the plan refuses
/// the whole transaction (the caller plans again).
pub(super) fn reserve(
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
