//! Regions with their history, successions and stations in SQLite.

use super::*;
use tocsin_core::region::succession::{self, Link, SuccessionGraph};

pub(super) const VALID_ON: &str =
    "(valid_from IS NULL OR valid_from <= ?2) AND (valid_to IS NULL OR ?2 < valid_to)";
pub(super) const REGION_COLUMNS: &str = "code, kind, name, name_en, division_type, parent_code, valid_from, valid_to, lon, lat, min_lon, min_lat, max_lon, max_lat, source";

fn region_from_row(row: &Row) -> rusqlite::Result<Region> {
    let parse_date = |text: Option<String>| text.and_then(|t| t.parse::<Date>().ok());
    let kind: String = row.get(1)?;
    let lon: Option<f64> = row.get(8)?;
    let lat: Option<f64> = row.get(9)?;
    let bbox = match (row.get(10)?, row.get(11)?, row.get(12)?, row.get(13)?) {
        (Some(min_lon), Some(min_lat), Some(max_lon), Some(max_lat)) => Some(BBox {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        }),
        _ => None,
    };
    Ok(Region {
        code: row.get(0)?,
        kind: RegionKind::parse(&kind).unwrap_or(RegionKind::Commune),
        name: row.get(2)?,
        name_en: row.get(3)?,
        division_type: row.get(4)?,
        parent: row.get(5)?,
        valid_from: parse_date(row.get(6)?),
        valid_to: parse_date(row.get(7)?),
        centroid: lon.zip(lat).map(|(lon, lat)| [lon, lat]),
        bbox,
        source: row.get(14)?,
    })
}

fn insert_region(tx: &rusqlite::Transaction, record: &RegionRecord) -> Result<i64> {
    let r = &record.region;
    let provinces = if record.provinces.is_empty() {
        String::new()
    } else {
        format!(",{},", record.provinces.join(","))
    };
    let key =
        tocsin_core::text::search_key(&format!("{} {} {}", r.name, r.division_type, r.name_en));
    tx.prepare_cached(
        "INSERT INTO regions (code, kind, name, name_en, division_type, parent_code, valid_from, valid_to, lon, lat, \
         min_lon, min_lat, max_lon, max_lat, boundary, source, search_key, provinces) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?
    .execute(params![
        r.code,
        r.kind.as_str(),
        r.name,
        r.name_en,
        r.division_type,
        r.parent,
        r.valid_from.map(date_text),
        r.valid_to.map(date_text),
        r.centroid.map(|c| c[0]),
        r.centroid.map(|c| c[1]),
        r.bbox.map(|b| b.min_lon),
        r.bbox.map(|b| b.min_lat),
        r.bbox.map(|b| b.max_lon),
        r.bbox.map(|b| b.max_lat),
        record.boundary,
        r.source,
        key,
        provinces,
    ])?;
    if let Some(boundary) = &record.boundary {
        super::journal::keep_content(tx, boundary.as_bytes())?;
    }
    Ok(tx.last_insert_rowid())
}

/// The uid of the unit `code` valid on `date`.
fn uid_on(conn: &Connection, code: &str, date: Date) -> Result<Option<i64>> {
    let sql = format!(
        "SELECT uid FROM regions WHERE code = ?1 AND {VALID_ON} ORDER BY valid_from DESC LIMIT 1"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![code, date_text(date)], |r| r.get(0))
        .optional()?)
}

fn insert_successions(tx: &rusqlite::Transaction, successions: &[SuccessionRecord]) -> Result<()> {
    for s in successions {
        let before =
            s.on.yesterday()
                .map_err(|e| StoreError::Conflict(e.to_string()))?;
        let from = uid_on(tx, &s.from, before)?.ok_or_else(|| {
            StoreError::NotFound(format!(
                "succession {} → {}: no unit {} on {before}",
                s.from, s.to, s.from
            ))
        })?;
        let to = uid_on(tx, &s.to, s.on)?.ok_or_else(|| {
            StoreError::NotFound(format!(
                "succession {} → {}: no unit {} on {}",
                s.from, s.to, s.to, s.on
            ))
        })?;
        tx.prepare_cached(
            "INSERT INTO successions (from_uid, to_uid, relation, on_date, note) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (from_uid, to_uid) DO UPDATE SET relation = CASE WHEN relation = 'partial' OR excluded.relation = 'partial' THEN 'partial' ELSE excluded.relation END",
        )?
        .execute(params![from, to, s.relation.as_str(), date_text(s.on), s.note])?;
    }
    Ok(())
}

fn region_by_uid(conn: &Connection, uid: i64) -> Result<Region> {
    let sql = format!("SELECT {REGION_COLUMNS} FROM regions WHERE uid = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([uid], region_from_row)?)
}

impl RegistryStore for SqliteStore {
    fn import_regions(
        &self,
        regions: &[RegionRecord],
        successions: &[SuccessionRecord],
        at_ms: i64,
        actor: &Actor,
    ) -> Result<()> {
        self.write_recorded(|tx, _, events| {
            tx.execute_batch("DELETE FROM successions; DELETE FROM regions;")?;
            for record in regions {
                insert_region(tx, record)?;
            }
            insert_successions(tx, successions)?;
            let change = Change::RegistryImported {
                units: regions.len() as u64,
                successions: successions.len() as u64,
                registry_sha256: keep_registry(tx)?,
            };
            events.push(crate::events::node_event(at_ms, change, actor));
            Ok(())
        })
    }

    fn record_region_change(
        &self,
        new_units: &[RegionRecord],
        successions: &[SuccessionRecord],
        at_ms: i64,
        actor: &Actor,
    ) -> Result<()> {
        self.write_recorded(|tx, _, events| {
            let mut retired: Vec<String> = successions.iter().map(|s| s.from.clone()).collect();
            retired.sort_unstable();
            retired.dedup();
            for s in successions {
                let before =
                    s.on.yesterday()
                        .map_err(|e| StoreError::Conflict(e.to_string()))?;
                let from = uid_on(tx, &s.from, before)?.ok_or_else(|| {
                    StoreError::NotFound(format!("no unit {} on {before}", s.from))
                })?;
                tx.execute(
                    "UPDATE regions SET valid_to = ?2 WHERE uid = ?1 AND valid_to IS NULL",
                    params![from, date_text(s.on)],
                )?;
            }
            for record in new_units {
                if uid_on(
                    tx,
                    &record.region.code,
                    record.region.valid_from.unwrap_or(REFORM_FALLBACK),
                )?
                .is_some()
                {
                    return Err(StoreError::Conflict(format!(
                        "unit {} already exists on its start date",
                        record.region.code
                    )));
                }
                insert_region(tx, record)?;
            }
            insert_successions(tx, successions)?;
            let change = Change::RegionChanged {
                units: new_units.iter().map(|r| r.region.code.clone()).collect(),
                retired,
                registry_sha256: keep_registry(tx)?,
            };
            events.push(crate::events::node_event(at_ms, change, actor));
            Ok(())
        })
    }

    fn count_regions(&self, kind: RegionKind, at: Date) -> Result<u64> {
        self.read(|conn| {
            let sql = format!("SELECT count(*) FROM regions WHERE kind = ?1 AND {VALID_ON}");
            Ok(conn.query_row(&sql, params![kind.as_str(), date_text(at)], |r| r.get(0))?)
        })
    }

    fn region(&self, code: &str, at: Date, filter: &RegionFilter) -> Result<Option<Region>> {
        self.read(|conn| {
            let scope = scope::regions(filter, 3);
            let sql = format!("SELECT {REGION_COLUMNS} FROM regions WHERE code = ?1 AND {VALID_ON} AND {} LIMIT 1", scope.sql);
            let at = date_text(at);
            Ok(conn.prepare_cached(&sql)?.query_row(scope.after(&[&code, &at]).as_slice(), region_from_row).optional()?)
        })
    }

    fn children(&self, code: &str, at: Date, filter: &RegionFilter) -> Result<Vec<Region>> {
        self.read(|conn| {
            let scope = scope::regions(filter, 3);
            let sql = format!(
                "SELECT {REGION_COLUMNS} FROM regions WHERE parent_code = ?1 AND {VALID_ON} AND {} ORDER BY code",
                scope.sql
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let at = date_text(at);
            let rows = stmt.query_map(scope.after(&[&code, &at]).as_slice(), region_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn successors(
        &self,
        code: &str,
        at: Date,
        today: Date,
        filter: &RegionFilter,
    ) -> Result<Vec<SuccessorLink>> {
        self.read(|conn| {
            let Some(start) = uid_on(conn, code, at)? else {
                return Ok(Vec::new());
            };
            let found = succession::successors(&Stored(conn), start, today)?;
            let visible = scope::regions(filter, 2);
            let sql = format!(
                "SELECT count(*) FROM regions WHERE uid = ?1 AND {}",
                visible.sql
            );
            let mut links = Vec::new();
            for reached in found {
                let shown: i64 =
                    conn.query_row(&sql, visible.after(&[&reached.unit]).as_slice(), |r| {
                        r.get(0)
                    })?;
                if shown > 0 {
                    links.push(SuccessorLink {
                        region: region_by_uid(conn, reached.unit)?,
                        relation: reached.relation,
                        changes: reached.changes,
                    });
                }
            }
            links.sort_by(|a, b| a.region.code.cmp(&b.region.code));
            Ok(links)
        })
    }

    fn search_regions(
        &self,
        key: &str,
        at: Option<Date>,
        limit: usize,
        filter: &RegionFilter,
    ) -> Result<Vec<Region>> {
        self.read(|conn| {
            let scope = scope::regions(filter, 4);
            let validity = match at {
                Some(_) => VALID_ON.to_string(),
                None => "(?2 IS NULL)".to_string(),
            };
            let sql = format!(
                "SELECT {REGION_COLUMNS} FROM regions WHERE instr(search_key, ?1) > 0 AND {validity} AND {} \
                 ORDER BY (valid_to IS NOT NULL), (search_key = ?1) DESC, (substr(search_key, 1, length(?1)) = ?1) DESC, \
                 CASE kind WHEN 'nation' THEN 0 WHEN 'province' THEN 1 WHEN 'district' THEN 2 ELSE 3 END, length(search_key), code LIMIT ?3",
                scope.sql
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let (at, limit) = (at.map(date_text), limit as i64);
            let rows = stmt.query_map(scope.after(&[&key, &at, &limit]).as_slice(), region_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn boundary(&self, code: &str, at: Date, filter: &RegionFilter) -> Result<Option<String>> {
        self.read(|conn| {
            let scope = scope::regions(filter, 3);
            let sql = format!(
                "SELECT boundary FROM regions WHERE code = ?1 AND {VALID_ON} AND {} LIMIT 1",
                scope.sql
            );
            let at = date_text(at);
            Ok(conn
                .prepare_cached(&sql)?
                .query_row(scope.after(&[&code, &at]).as_slice(), |r| r.get(0))
                .optional()?
                .flatten())
        })
    }

    fn boundaries(&self, kind: RegionKind, at: Date) -> Result<Vec<(String, String)>> {
        self.read(|conn| {
            let sql = format!("SELECT code, boundary FROM regions WHERE kind = ?1 AND {VALID_ON} AND boundary IS NOT NULL ORDER BY code");
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map(params![kind.as_str(), date_text(at)], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn predecessor_provinces(&self, today: Date) -> Result<Vec<(String, String)>> {
        self.read(|conn| {
            // Units retired by the 2025 reform: a commune's province is its district's parent; an
            // island district's is its own parent.
            let reform = "SELECT n.uid, CASE o.kind WHEN 'commune' THEN d.parent_code ELSE o.parent_code END \
                          FROM successions s JOIN regions o ON o.uid = s.from_uid JOIN regions n ON n.uid = s.to_uid \
                          LEFT JOIN regions d ON o.kind = 'commune' AND d.kind = 'district' AND d.code = o.parent_code AND d.valid_to = o.valid_to \
                          WHERE n.kind = 'commune' AND o.kind IN ('commune', 'district') AND o.valid_to = ?1";
            let mut stmt = conn.prepare(reform)?;
            let mut provinces: std::collections::HashMap<i64, std::collections::BTreeSet<String>> = std::collections::HashMap::new();
            for row in stmt.query_map([date_text(tocsin_core::region::REFORM_2025)], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?)))? {
                let (uid, province) = row?;
                provinces.entry(uid).or_default().extend(province);
            }
            // Later changes pass the provinces on from commune to commune, in date order.
            let later = "SELECT s.from_uid, s.to_uid FROM successions s JOIN regions o ON o.uid = s.from_uid JOIN regions n ON n.uid = s.to_uid \
                         WHERE o.kind = 'commune' AND n.kind = 'commune' AND s.on_date > ?1 ORDER BY s.on_date";
            let mut stmt = conn.prepare(later)?;
            for row in stmt.query_map([date_text(tocsin_core::region::REFORM_2025)], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
                let (from, to) = row?;
                let inherited = provinces.get(&from).cloned().unwrap_or_default();
                provinces.entry(to).or_default().extend(inherited);
            }
            let current = format!("SELECT uid, code FROM regions WHERE kind = 'commune' AND {}", VALID_ON.replace("?2", "?1"));
            let mut stmt = conn.prepare(&current)?;
            let mut pairs = Vec::new();
            for row in stmt.query_map([date_text(today)], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
                let (uid, code) = row?;
                pairs.extend(provinces.get(&uid).into_iter().flatten().map(|p| (code.clone(), p.clone())));
            }
            Ok(pairs)
        })
    }

    fn upsert_stations(
        &self,
        stations: &[Station],
        provinces: &[Option<String>],
        at_ms: i64,
        actor: &Actor,
    ) -> Result<()> {
        self.write_recorded(|tx, _, events| {
            for (station, province) in stations.iter().zip(provinces) {
                upsert_station(tx, station, province.as_deref())?;
                let stored = stored_station(tx, &station.id)?;
                let definition = crate::events::station_definition(&stored);
                super::journal::keep_content(tx, definition.as_bytes())?;
                events.push(crate::events::station_set(
                    &stored,
                    province.as_deref(),
                    at_ms,
                    actor,
                ));
            }
            Ok(())
        })
    }

    fn station(&self, id: &str, filter: &RegionFilter) -> Result<Option<Station>> {
        self.read(|conn| {
            let scope = scope::stations(filter, 2);
            let sql = format!("{STATION_SELECT} WHERE s.id = ?1 AND {}", scope.sql);
            let station = conn
                .prepare_cached(&sql)?
                .query_row(scope.after(&[&id]).as_slice(), station_from_row)
                .optional()?;
            station.map(|s| with_metrics(conn, s)).transpose()
        })
    }

    fn stations(&self, filter: &RegionFilter) -> Result<Vec<Station>> {
        self.read(|conn| {
            let scope = scope::stations(filter, 1);
            let sql = format!("{STATION_SELECT} WHERE {} ORDER BY s.id", scope.sql);
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map(scope.after(&[]).as_slice(), station_from_row)?;
            let stations = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            stations
                .into_iter()
                .map(|s| with_metrics(conn, s))
                .collect()
        })
    }

    fn series_catalog(&self) -> Result<Vec<SeriesRow>> {
        self.read(|conn| {
            let sql = "SELECT x.id, x.station, x.metric, x.unit, x.min, x.max, x.active AND s.retired IS NULL, s.province, s.domain \
                       FROM series x JOIN stations s ON s.id = x.station";
            let mut stmt = conn.prepare(sql)?;
            let rows = stmt.query_map([], |r| {
                let domain: String = r.get(8)?;
                Ok(SeriesRow {
                    series: r.get(0)?,
                    station: r.get(1)?,
                    metric: r.get(2)?,
                    unit: r.get(3)?,
                    min: r.get(4)?,
                    max: r.get(5)?,
                    station_active: r.get(6)?,
                    province: r.get(7)?,
                    domain: Domain::parse(&domain).unwrap_or(Domain::Other),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

/// The date used for a new unit without a start date when checking for clashes.
const REFORM_FALLBACK: Date = tocsin_core::region::REFORM_2025;

/// The registry's units and links as the succession walk reads them, by uid.
struct Stored<'c>(&'c Connection);

impl SuccessionGraph for Stored<'_> {
    type Unit = i64;
    type Error = StoreError;

    fn unit(&self, uid: i64) -> Result<Region> {
        region_by_uid(self.0, uid)
    }

    fn links(&self, uid: i64) -> Result<Vec<Link<i64>>> {
        let mut stmt = self.0.prepare_cached(
            "SELECT to_uid, relation, on_date FROM successions WHERE from_uid = ?1",
        )?;
        let rows = stmt.query_map([uid], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (to, relation, on) = row?;
            let on: Date = on
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("succession date {on:?}")))?;
            let relation = Succession::parse(&relation)
                .ok_or_else(|| StoreError::Corrupt(format!("succession relation {relation:?}")))?;
            Ok(Link { to, relation, on })
        })
        .collect()
    }

    fn children_on(&self, code: &str, day: Date) -> Result<Vec<i64>> {
        let sql = format!("SELECT uid FROM regions WHERE parent_code = ?1 AND {VALID_ON}");
        let mut stmt = self.0.prepare_cached(&sql)?;
        let children = stmt
            .query_map(params![code, date_text(day)], |r| r.get::<_, i64>(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(children)
    }
}

const STATION_SELECT: &str = "SELECT s.id, s.name, s.domain, s.lat, s.lon, s.commune, s.attributes, s.retired FROM stations s";

fn station_from_row(row: &Row) -> rusqlite::Result<Station> {
    let domain: String = row.get(2)?;
    let attributes: String = row.get(6)?;
    Ok(Station {
        id: row.get(0)?,
        name: row.get(1)?,
        domain: Domain::parse(&domain).unwrap_or(Domain::Other),
        lat: row.get(3)?,
        lon: row.get(4)?,
        commune: row.get(5)?,
        metrics: Vec::new(),
        attributes: serde_json::from_str::<std::collections::BTreeMap<String, AttributeValue>>(
            &attributes,
        )
        .unwrap_or_default(),
        retired: row.get(7)?,
    })
}

fn with_metrics(conn: &Connection, mut station: Station) -> Result<Station> {
    let mut stmt = conn.prepare_cached("SELECT metric, unit, min, max, interval_s FROM series WHERE station = ?1 AND active ORDER BY id")?;
    let rows = stmt.query_map([&station.id], |r| {
        Ok(MetricSpec {
            name: r.get(0)?,
            unit: r.get(1)?,
            min: r.get(2)?,
            max: r.get(3)?,
            interval_s: r.get(4)?,
        })
    })?;
    station.metrics = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(station)
}

fn upsert_station(
    tx: &rusqlite::Transaction,
    station: &Station,
    province: Option<&str>,
) -> Result<()> {
    let attributes = serde_json::to_string(&station.attributes)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    tx.prepare_cached(
        "INSERT INTO stations (id, name, domain, lat, lon, commune, province, attributes, retired) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, domain = excluded.domain, lat = excluded.lat, lon = excluded.lon, \
         commune = excluded.commune, province = excluded.province, attributes = excluded.attributes, retired = excluded.retired",
    )?
    .execute(params![station.id, station.name, station.domain.as_str(), station.lat, station.lon, station.commune, province, attributes, station.retired])?;
    tx.prepare_cached("UPDATE series SET active = 0 WHERE station = ?1")?
        .execute([&station.id])?;
    for m in &station.metrics {
        tx.prepare_cached(
            "INSERT INTO series (station, metric, unit, min, max, interval_s, active) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1) \
             ON CONFLICT (station, metric) DO UPDATE SET unit = excluded.unit, min = excluded.min, max = excluded.max, \
             interval_s = excluded.interval_s, active = 1",
        )?
        .execute(params![station.id, m.name, m.unit, m.min, m.max, m.interval_s])?;
    }
    Ok(())
}

/// A station as stored, with its active metrics.
pub(super) fn stored_station(conn: &Connection, id: &str) -> Result<Station> {
    let station = conn
        .prepare_cached(&format!("{STATION_SELECT} WHERE s.id = ?1"))?
        .query_row([id], station_from_row)?;
    with_metrics(conn, station)
}

/// Every station as stored with its province, by id.
pub(super) fn stored_stations(conn: &Connection) -> Result<Vec<(Station, Option<String>)>> {
    let ids: Vec<(String, Option<String>)> = {
        let mut stmt = conn.prepare("SELECT id, province FROM stations ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    ids.into_iter()
        .map(|(id, province)| Ok((stored_station(conn, &id)?, province)))
        .collect()
}

/// Keeps the registry's lines beside the journal; returns their digest.
fn keep_registry(tx: &rusqlite::Transaction) -> Result<String> {
    let lines = registry_lines(tx)?;
    super::journal::keep_content(tx, lines.as_bytes())?;
    Ok(tocsin_core::change::sha256_hex(lines.as_bytes()))
}

/// The registry's digest: the hex SHA-256 of its lines ([`registry_lines`]).
pub(crate) fn registry_digest(conn: &Connection) -> Result<String> {
    Ok(tocsin_core::change::sha256_hex(
        registry_lines(conn)?.as_bytes(),
    ))
}

/// The registry as lines ([`crate::digest::lines_text`]): first every unit, by code, start then
/// end of validity (none first), kind and name, as `["unit", code, kind, name, name_en, division_type, parent,
/// valid_from, valid_to, provinces, source, hex SHA-256 of its boundary]` (`null` for what it
/// does not have; provinces as stored, `,01,02,`), then every succession, by the codes and
/// starts of its units, as `["succession", from, from's valid_from, to, to's valid_from,
/// relation, on, note]`. Centres and bounding boxes are left out: they are made from the
/// boundary.
pub(crate) fn registry_lines(conn: &Connection) -> Result<String> {
    let mut lines = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT code, kind, name, name_en, division_type, parent_code, valid_from, valid_to, provinces, source, boundary \
         FROM regions ORDER BY code, valid_from IS NOT NULL, valid_from, valid_to IS NOT NULL, valid_to, kind, name, uid",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let mut line = vec![serde_json::Value::from("unit")];
        for i in 0..10 {
            line.push(r.get::<_, Option<String>>(i)?.into());
        }
        let boundary: Option<String> = r.get(10)?;
        line.push(
            boundary
                .map(|b| tocsin_core::change::sha256_hex(b.as_bytes()))
                .into(),
        );
        lines.push(serde_json::Value::Array(line));
    }
    let mut stmt = conn.prepare(
        "SELECT f.code, f.valid_from, t.code, t.valid_from, s.relation, s.on_date, s.note \
         FROM successions s JOIN regions f ON f.uid = s.from_uid JOIN regions t ON t.uid = s.to_uid \
         ORDER BY f.code, f.valid_from IS NOT NULL, f.valid_from, t.code, t.valid_from IS NOT NULL, t.valid_from, s.on_date, s.relation",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let mut line = vec![serde_json::Value::from("succession")];
        for i in 0..7 {
            line.push(r.get::<_, Option<String>>(i)?.into());
        }
        lines.push(serde_json::Value::Array(line));
    }
    Ok(crate::digest::lines_text(lines))
}

/// The province a unit of the registry lies in, for the journal's `region`: a province's own
/// code, the province of a current commune (the first, should it lie in several), or the whole
/// node's for the nation and for a code the registry does not know now.
pub(crate) fn province_of(conn: &Connection, code: &str) -> Result<String> {
    if code.len() == 2 {
        return Ok(code.to_string());
    }
    let provinces: Option<String> = conn
        .prepare_cached(
            "SELECT provinces FROM regions WHERE code = ?1 AND valid_to IS NULL ORDER BY valid_from DESC LIMIT 1",
        )?
        .query_row([code], |r| r.get(0))
        .optional()?;
    let first = provinces
        .as_deref()
        .and_then(|p| p.split(',').find(|p| !p.is_empty()))
        .map(str::to_string);
    Ok(first.unwrap_or_else(|| NATION.into()))
}
