//! The SQLite backend: one writer connection (WAL mode, group commits driven by the engine)
//! and a pool of reader connections that never block the writer.

use crate::schema::MIGRATIONS;
use crate::*;
use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tocsin_core::change::{Actor, Change, Event};
use tocsin_core::geo::BBox;
use tocsin_core::region::RegionKind;
use tocsin_core::response::Tier;
use tocsin_core::response::ledger::Replenish;
use tocsin_core::response::matching::{Available, Need, Plan};
use tocsin_core::station::{AttributeValue, MetricSpec};

/// Milliseconds in one observation bucket (one hour).
const BUCKET_MS: i64 = 3_600_000;

/// When a commit counts as durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=FULL`: the WAL is fsynced at every commit; survives power loss.
    Full,
    /// `synchronous=NORMAL`: survives a crash of the process, not of the machine.
    Normal,
}

/// A store in one SQLite database file.
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Writer>,
    readers: Mutex<Vec<Connection>>,
}

struct Writer {
    conn: Connection,
    /// The `synchronous` setting of the store's durability, restored after a derived write.
    synchronous: &'static str,
    next_seq: i64,
    /// The index the next journal entry gets.
    next_entry: u64,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and runs pending migrations.
    pub fn open(path: &Path, durability: Durability) -> Result<SqliteStore> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        let sync = match durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", sync)?;
        conn.pragma_update(None, "cache_size", -65536)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        migrate(&conn)?;
        let next_seq: i64 = conn.query_row(
            "SELECT coalesce(max(last_seq), 0) + 1 FROM ingest_commits",
            [],
            |r| r.get(0),
        )?;
        let next_entry = crate::journal::size(&conn)?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            writer: Mutex::new(Writer {
                conn,
                synchronous: sync,
                next_seq,
                next_entry,
            }),
            readers: Mutex::new(Vec::new()),
        })
    }

    /// Runs `f` on a pooled read connection.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => {
                let conn = Connection::open_with_flags(
                    &self.path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                )?;
                conn.busy_timeout(std::time::Duration::from_secs(30))?;
                conn.pragma_update(None, "cache_size", -16384)?;
                conn
            }
        };
        let result = f(&conn);
        self.readers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(conn);
        result
    }

    /// Runs `f` inside one write transaction of state derived from the journal (a consumer's
    /// products and its cursor, together): committed without waiting for the disk, since a
    /// machine crash that loses it loses the cursor with it, and the consumer reads the same
    /// entries again and derives the same state. A crash of the process loses nothing (WAL).
    fn write_derived<T>(&self, f: impl FnOnce(&rusqlite::Transaction) -> Result<T>) -> Result<T> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let synchronous = writer.synchronous;
        writer.conn.pragma_update(None, "synchronous", "NORMAL")?;
        let written = (|| {
            let tx = writer.conn.transaction()?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })();
        writer
            .conn
            .pragma_update(None, "synchronous", synchronous)?;
        written
    }

    /// Runs `f` inside one write transaction.
    fn write<T>(&self, f: impl FnOnce(&rusqlite::Transaction, &mut i64) -> Result<T>) -> Result<T> {
        self.write_recorded(|tx, seq, _| f(tx, seq))
    }

    /// Runs `f` inside one write transaction and journals, as `actor`'s, every incident
    /// timeline entry it added.
    fn write_noting<T>(
        &self,
        actor: &Actor,
        f: impl FnOnce(&rusqlite::Transaction) -> Result<T>,
    ) -> Result<T> {
        self.write_recorded(|tx, _, events| {
            let before = crate::journal::last_timeline_entry(tx)?;
            let out = f(tx)?;
            events.extend(crate::journal::timeline_noted(tx, before, actor)?);
            Ok(out)
        })
    }

    /// Runs `f` inside one write transaction and appends the events it records to the journal
    /// in the same transaction: the change and its events are durable together or not at all.
    pub(crate) fn write_recorded<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction, &mut i64, &mut Vec<Event>) -> Result<T>,
    ) -> Result<T> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let Writer {
            conn,
            next_seq,
            next_entry,
            ..
        } = &mut *writer;
        let tx = conn.transaction()?;
        let mut seq = *next_seq;
        let mut events = Vec::new();
        let out = f(&tx, &mut seq, &mut events)?;
        let entries = crate::journal::append(&tx, *next_entry, &events)?;
        tx.commit()?;
        *next_seq = seq;
        *next_entry = entries;
        Ok(out)
    }
}

fn migrate(conn: &Connection) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

fn date_text(date: Date) -> String {
    date.to_string()
}

const TOKEN_COLUMNS: &str =
    "id, hash, name, role, scope_region, domains, stations, created_ms, revoked";

/// A token row, with its role, domains and stations still as stored.
fn token_of(r: &Row) -> rusqlite::Result<(TokenRecord, String, String, String)> {
    let token = TokenRecord {
        id: r.get(0)?,
        hash: r.get(1)?,
        name: r.get(2)?,
        role: Role::Viewer,
        scope_region: r.get(4)?,
        domains: Vec::new(),
        stations: Vec::new(),
        created_ms: r.get(7)?,
        revoked: r.get(8)?,
    };
    Ok((token, r.get(3)?, r.get(5)?, r.get(6)?))
}

fn finish_token(
    (mut token, role, domains, stations): (TokenRecord, String, String, String),
) -> Result<TokenRecord> {
    token.role = Role::parse(&role)
        .ok_or_else(|| StoreError::Corrupt(format!("token {}: role {role:?}", token.id)))?;
    token.domains = split_list(&domains).filter_map(Domain::parse).collect();
    token.stations = split_list(&stations).map(str::to_string).collect();
    Ok(token)
}

/// Every token, with whether its rowid is `first` or later (journaled since it was made).
pub(crate) fn tokens_since(conn: &Connection, first: i64) -> Result<Vec<(TokenRecord, bool)>> {
    let sql = format!("SELECT {TOKEN_COLUMNS}, rowid >= ?1 FROM tokens ORDER BY rowid");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([first], |r| Ok((token_of(r)?, r.get::<_, bool>(9)?)))?;
    rows.map(|row| {
        let (token, checked) = row?;
        Ok((finish_token(token)?, checked))
    })
    .collect()
}

const VALID_ON: &str =
    "(valid_from IS NULL OR valid_from <= ?2) AND (valid_to IS NULL OR ?2 < valid_to)";
const REGION_COLUMNS: &str = "code, kind, name, name_en, division_type, parent_code, valid_from, valid_to, lon, lat, min_lon, min_lat, max_lon, max_lat, source";

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
    ) -> Result<()> {
        self.write(|tx, _| {
            tx.execute_batch("DELETE FROM successions; DELETE FROM regions;")?;
            for record in regions {
                insert_region(tx, record)?;
            }
            insert_successions(tx, successions)
        })
    }

    fn record_region_change(
        &self,
        new_units: &[RegionRecord],
        successions: &[SuccessionRecord],
    ) -> Result<()> {
        self.write(|tx, _| {
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
            insert_successions(tx, successions)
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
            let mut found: Vec<(i64, Succession, Vec<Date>)> = Vec::new();
            let mut frontier = vec![(start, Succession::Renamed, Vec::new())];
            while let Some((uid, relation, changes)) = frontier.pop() {
                let region = region_by_uid(conn, uid)?;
                if region.valid_on(today) {
                    merge_found(&mut found, uid, relation, changes);
                    continue;
                }
                let next = next_units(conn, uid, &region)?;
                for (to, step, on) in next {
                    let mut chain = changes.clone();
                    chain.push(on);
                    frontier.push((to, combine(relation, step), chain));
                }
            }
            let visible = scope::regions(filter, 2);
            let sql = format!(
                "SELECT count(*) FROM regions WHERE uid = ?1 AND {}",
                visible.sql
            );
            let mut links = Vec::new();
            for (uid, relation, changes) in found {
                let shown: i64 =
                    conn.query_row(&sql, visible.after(&[&uid]).as_slice(), |r| r.get(0))?;
                if shown > 0 {
                    links.push(SuccessorLink {
                        region: region_by_uid(conn, uid)?,
                        relation,
                        changes,
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

    fn upsert_stations(&self, stations: &[Station], provinces: &[Option<String>]) -> Result<()> {
        self.write(|tx, _| {
            for (station, province) in stations.iter().zip(provinces) {
                upsert_station(tx, station, province.as_deref())?;
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

impl ObservationStore for SqliteStore {
    fn append(&self, batches: &[Batch], received_ms: i64) -> Result<Vec<AppendOutcome>> {
        self.write_recorded(|tx, seq, events| {
            insert_observations(tx, seq, batches, received_ms, events)
        })
    }

    fn append_and_detect(
        &self,
        batches: &[Batch],
        received_ms: i64,
        detect: &mut dyn FnMut(&[AppendOutcome]) -> Vec<Detection>,
    ) -> Result<(Vec<AppendOutcome>, Vec<Detection>)> {
        self.write_recorded(|tx, seq, events| {
            let outcomes = insert_observations(tx, seq, batches, received_ms, events)?;
            let detections = detect(&outcomes);
            insert_detections(tx, &detections, received_ms, &Actor::Node, events)?;
            Ok((outcomes, detections))
        })
    }

    fn series_buckets(&self, query: &SeriesQuery) -> Result<Vec<Bucket>> {
        self.read(|conn| {
            let buckets = bucket_list(query.from_ms, query.to_ms);
            let current = if query.forecast {
                "max(issued_ms * 1000000000000 + seq)"
            } else {
                "max(seq)"
            };
            let issued = if query.forecast { "issued_ms > 0" } else { "issued_ms = 0" };
            let sql = format!(
                "SELECT (time_ms - ?2) / ?4 AS step, count(*), avg(value), min(value), max(value), sum(value) FROM ( \
                   SELECT time_ms, value, {current} FROM observations \
                   WHERE bucket IN ({buckets}) AND series = ?1 AND {issued} AND time_ms >= ?2 AND time_ms < ?3 GROUP BY time_ms \
                 ) GROUP BY step ORDER BY step"
            );
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map(params![query.series, query.from_ms, query.to_ms, query.step_ms], |r| {
                let step: i64 = r.get(0)?;
                Ok(Bucket {
                    start_ms: query.from_ms + step * query.step_ms,
                    count: r.get::<_, i64>(1)? as u64,
                    mean: r.get(2)?,
                    min: r.get(3)?,
                    max: r.get(4)?,
                    sum: r.get(5)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn versions(&self, series: i64, time_ms: i64) -> Result<Vec<ObservationVersion>> {
        self.read(|conn| {
            let sql = "SELECT o.time_ms, o.issued_ms, o.value, o.seq, \
                         (SELECT received_ms FROM ingest_commits c WHERE c.first_seq <= o.seq ORDER BY c.first_seq DESC LIMIT 1) \
                       FROM observations o WHERE bucket = ?1 AND series = ?2 AND time_ms = ?3 ORDER BY issued_ms, seq";
            let mut stmt = conn.prepare_cached(sql)?;
            let rows = stmt.query_map(params![time_ms.div_euclid(BUCKET_MS), series, time_ms], |r| {
                Ok(ObservationVersion { time_ms: r.get(0)?, issued_ms: r.get(1)?, value: r.get(2)?, seq: r.get(3)?, received_ms: r.get(4)? })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn latest(&self, filter: &RegionFilter) -> Result<Vec<LatestValue>> {
        self.read(|conn| {
            let scope = scope::stations(filter, 1);
            let sql = format!(
                "SELECT x.station, x.metric, x.unit, s.commune, l.time_ms, l.value FROM series_latest l \
                 JOIN series x ON x.id = l.series JOIN stations s ON s.id = x.station WHERE {} ORDER BY x.station, x.metric",
                scope.sql
            );
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map(scope.after(&[]).as_slice(), |r| {
                Ok(LatestValue { station: r.get(0)?, metric: r.get(1)?, unit: r.get(2)?, commune: r.get(3)?, time_ms: r.get(4)?, value: r.get(5)? })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn observation_count(&self) -> Result<u64> {
        self.read(|conn| {
            Ok(
                conn.query_row("SELECT count(*) FROM observations", [], |r| {
                    r.get::<_, i64>(0)
                })? as u64,
            )
        })
    }

    fn observed_for_series(&self, series: &[i64]) -> Result<Vec<(i64, i64, f64)>> {
        if series.is_empty() {
            return Ok(Vec::new());
        }
        self.read(|conn| {
            let ids: Vec<String> = series.iter().map(i64::to_string).collect();
            let sql = format!(
                "SELECT series, time_ms, value, max(seq) FROM observations WHERE series IN ({}) AND issued_ms = 0 \
                 GROUP BY series, time_ms ORDER BY time_ms, series",
                ids.join(",")
            );
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn newest_observed_ms(&self) -> Result<Option<i64>> {
        self.read(|conn| {
            Ok(conn.query_row("SELECT max(time_ms) FROM series_latest", [], |r| r.get(0))?)
        })
    }

    fn observed_since(&self, from_ms: i64) -> Result<Vec<(i64, i64, f64)>> {
        self.read(|conn| {
            let sql = "SELECT series, time_ms, value, max(seq) FROM observations WHERE bucket >= ?1 AND time_ms >= ?2 AND issued_ms = 0 \
                       GROUP BY bucket, series, time_ms ORDER BY bucket, time_ms, series";
            let mut stmt = conn.prepare(sql)?;
            let rows = stmt.query_map(params![from_ms.div_euclid(BUCKET_MS), from_ms], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn forecast_since(&self, from_ms: i64) -> Result<Vec<Observation>> {
        self.read(|conn| {
            let sql = "SELECT series, time_ms, issued_ms, value, max(seq) FROM observations WHERE bucket >= ?1 AND time_ms >= ?2 AND issued_ms > 0 \
                       GROUP BY bucket, series, time_ms, issued_ms ORDER BY issued_ms, series, time_ms";
            let mut stmt = conn.prepare(sql)?;
            let rows = stmt.query_map(params![from_ms.div_euclid(BUCKET_MS), from_ms], |r| {
                Ok(Observation { series: r.get(0)?, time_ms: r.get(1)?, issued_ms: r.get(2)?, value: r.get(3)? })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

impl DetectionStore for SqliteStore {
    fn record_detections(&self, detections: &[Detection], recorded_ms: i64) -> Result<usize> {
        self.write_recorded(|tx, _, events| {
            insert_detections(tx, detections, recorded_ms, &Actor::Node, events)
        })
    }

    fn detections(
        &self,
        filter: &RegionFilter,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<Detection>> {
        self.read(|conn| {
            let scope = scope::stations(filter, 4);
            let sql = format!(
                "SELECT {DETECTION_COLUMNS} \
                 FROM detections d JOIN stations s ON s.id = d.station WHERE d.time_ms >= ?1 AND d.time_ms < ?2 AND {} \
                 ORDER BY d.time_ms DESC, d.id DESC LIMIT ?3",
                scope.sql
            );
            let mut stmt = conn.prepare(&sql)?;
            let limit = limit as i64;
            let rows = stmt.query_map(scope.after(&[&from_ms, &to_ms, &limit]).as_slice(), detection_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn detections_after(
        &self,
        filter: &RegionFilter,
        from_ms: i64,
        to_ms: i64,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<(i64, Detection)>> {
        self.read(|conn| {
            let scope = scope::stations(filter, 5);
            let sql = format!(
                "SELECT {DETECTION_COLUMNS}, d.id \
                 FROM detections d JOIN stations s ON s.id = d.station \
                 WHERE d.id > ?3 AND d.time_ms >= ?1 AND d.time_ms < ?2 AND {} \
                 ORDER BY d.id LIMIT ?4",
                scope.sql
            );
            let mut stmt = conn.prepare(&sql)?;
            let limit = limit as i64;
            let rows = stmt.query_map(
                scope
                    .after(&[&from_ms, &to_ms, &after_seq, &limit])
                    .as_slice(),
                |r| Ok((r.get(14)?, detection_from_row(r)?)),
            )?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn station_reports(&self) -> Result<Vec<StationReport>> {
        self.read(|conn| {
            let sql = "SELECT s.id, max(l.time_ms), max(x.interval_s), s.commune, s.province FROM series_latest l \
                       JOIN series x ON x.id = l.series JOIN stations s ON s.id = x.station \
                       WHERE x.active AND s.retired IS NULL GROUP BY s.id ORDER BY s.id";
            let mut stmt = conn.prepare(sql)?;
            let rows = stmt.query_map([], |r| {
                Ok(StationReport { station: r.get(0)?, last_ms: r.get(1)?, interval_s: r.get(2)?, commune: r.get(3)?, province: r.get(4)? })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn current_levels(&self, filter: &RegionFilter) -> Result<Vec<Detection>> {
        self.read(|conn| {
            let scope = scope::stations(filter, 1);
            let sql = format!(
                "SELECT d.station, d.rule, d.hazard, d.commune, d.province, 0, d.level, d.since_ms, d.value, d.status, \
                 d.certainty, d.lead_s, d.lead_earliest_s, d.lead_latest_s \
                 FROM current_levels d JOIN stations s ON s.id = d.station WHERE d.level > 0 AND {} ORDER BY d.level DESC, d.station, d.rule",
                scope.sql
            );
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map(scope.after(&[]).as_slice(), detection_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn stored_levels(&self) -> Result<Vec<Detection>> {
        self.read(|conn| {
            let sql = "SELECT station, rule, hazard, commune, province, 0, level, since_ms, value, status, \
                       certainty, lead_s, lead_earliest_s, lead_latest_s FROM current_levels ORDER BY station, rule, certainty";
            let mut stmt = conn.prepare(sql)?;
            let rows = stmt.query_map([], detection_from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

impl WarningStore for SqliteStore {
    fn record_lifecycle(
        &self,
        warnings: &[WarningRecord],
        versions: &[VersionRecord],
        actor: &Actor,
    ) -> Result<()> {
        self.write_recorded(|tx, _, events| {
            warnings
                .iter()
                .try_for_each(|w| crate::warnings::save_warning(tx, w))?;
            for version in versions {
                crate::warnings::insert_version(tx, version)?;
                events.push(crate::journal::version_drafted(version, actor));
            }
            Ok(())
        })
    }

    fn record_consumed_warnings(
        &self,
        warnings: &[WarningRecord],
        consumer: &str,
        next: u64,
    ) -> Result<()> {
        self.write_derived(|tx| {
            warnings
                .iter()
                .try_for_each(|w| crate::warnings::save_warning(tx, w))?;
            crate::journal::advance(tx, consumer, next)
        })
    }

    fn publish_version(
        &self,
        warning: &WarningRecord,
        number: u32,
        publication: &Publication,
        actor: &Actor,
    ) -> Result<()> {
        self.write_recorded(|tx, _, events| {
            crate::warnings::publish(tx, warning, number, publication)?;
            events.push(crate::journal::alert_released(
                warning,
                number,
                publication,
                actor,
            ));
            Ok(())
        })
    }

    fn open_warnings(&self) -> Result<Vec<WarningRecord>> {
        self.read(crate::warnings::open_warnings)
    }

    fn last_warning_id(&self) -> Result<u64> {
        self.read(crate::warnings::last_warning_id)
    }

    fn warning_versions(&self, warning: u64) -> Result<Vec<VersionRecord>> {
        self.read(|conn| crate::warnings::versions_of(conn, warning))
    }

    fn versions_in(
        &self,
        filter: &RegionFilter,
        states: &[VersionState],
        hazard: Option<&str>,
        before: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<VersionRecord>> {
        self.read(|conn| crate::warnings::versions_in(conn, filter, states, hazard, before, limit))
    }

    fn published_by_identifier(&self, identifier: &str) -> Result<Option<VersionRecord>> {
        self.read(|conn| crate::warnings::published_by_identifier(conn, identifier))
    }

    fn set_auto_release(
        &self,
        hazard: &str,
        max_level: u8,
        set_by: &str,
        set_ms: i64,
    ) -> Result<()> {
        self.write(|tx, _| crate::warnings::set_auto_release(tx, hazard, max_level, set_by, set_ms))
    }

    fn auto_release(&self) -> Result<Vec<(String, u8)>> {
        self.read(crate::warnings::auto_release)
    }
}

impl FeedStore for SqliteStore {
    fn add_subscription(
        &self,
        url: &str,
        name: &str,
        added_by: &str,
        added_ms: i64,
    ) -> Result<SubscriptionRecord> {
        self.write(|tx, _| crate::external::add_subscription(tx, url, name, added_by, added_ms))
    }

    fn subscriptions(&self) -> Result<Vec<SubscriptionRecord>> {
        self.read(crate::external::subscriptions)
    }

    fn remove_subscription(&self, id: u64) -> Result<bool> {
        self.write(|tx, _| crate::external::remove_subscription(tx, id))
    }

    fn record_poll(&self, subscription: &SubscriptionRecord) -> Result<()> {
        self.write(|tx, _| crate::external::record_poll(tx, subscription))
    }

    fn has_external_source(&self, source: &str) -> Result<bool> {
        self.read(|conn| crate::external::has_external_source(conn, source))
    }

    fn insert_external_alert(&self, alert: &ExternalAlertRecord) -> Result<Option<u64>> {
        self.write(|tx, _| crate::external::insert_external_alert(tx, alert))
    }

    fn external_alerts(
        &self,
        filter: &RegionFilter,
        before: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<ExternalAlertRecord>> {
        self.read(|conn| crate::external::external_alerts(conn, filter, before, limit))
    }
}

impl DispatchStore for SqliteStore {
    fn upsert_recipients(&self, recipients: &[RecipientRecord]) -> Result<()> {
        self.write(|tx, _| crate::dispatch::upsert_recipients(tx, recipients))
    }

    fn recipients(&self) -> Result<Vec<RecipientRecord>> {
        self.read(crate::dispatch::recipients)
    }

    fn insert_silence(&self, silence: &SilenceRecord, actor: &Actor) -> Result<u64> {
        self.write_recorded(|tx, _, events| {
            let id = crate::dispatch::insert_silence(tx, silence)?;
            events.push(crate::journal::silence_set(id, silence, actor)?);
            Ok(id)
        })
    }

    fn expire_silence(&self, id: u64, by: &str, at_ms: i64, actor: &Actor) -> Result<bool> {
        self.write_recorded(|tx, _, events| {
            let ended = crate::dispatch::expire_silence(tx, id, by, at_ms)?;
            if ended {
                let change = Change::SilenceEnded {
                    silence: id,
                    by: by.to_string(),
                };
                events.push(crate::journal::node_event(at_ms, change, actor));
            }
            Ok(ended)
        })
    }

    fn silences(&self) -> Result<Vec<SilenceRecord>> {
        self.read(crate::dispatch::silences)
    }

    fn record_notifications(&self, notifications: &[NewNotification], state: &str) -> Result<()> {
        self.write_recorded(|tx, _, events| {
            crate::dispatch::record_notifications(tx, notifications, state, events)
        })
    }

    fn save_dispatch_state(&self, state: &str) -> Result<()> {
        self.write(|tx, _| crate::dispatch::save_state(tx, state))
    }

    fn dispatch_state(&self) -> Result<Option<String>> {
        self.read(crate::dispatch::state)
    }

    fn due_deliveries(&self, now_ms: i64, limit: usize) -> Result<Vec<DueDelivery>> {
        self.read(|conn| crate::dispatch::due_deliveries(conn, now_ms, limit))
    }

    fn record_attempt(&self, delivery: u64, time_ms: i64, outcome: &AttemptOutcome) -> Result<()> {
        self.write_recorded(|tx, _, events| {
            crate::dispatch::record_attempt(tx, delivery, time_ms, outcome, events)
        })
    }

    fn acknowledge(
        &self,
        key: &AckKey,
        by: &str,
        at_ms: i64,
        actor: Option<&Actor>,
    ) -> Result<Option<(u64, u32)>> {
        self.write_recorded(|tx, _, events| {
            let acked = crate::dispatch::acknowledge(tx, key, by, at_ms)?;
            if let Some(id) = acked.first {
                events.push(crate::journal::acknowledged(tx, id, by, at_ms, actor)?);
            }
            Ok(acked.found)
        })
    }

    fn notifications(
        &self,
        filter: &RegionFilter,
        warning: Option<u64>,
        before: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<NotificationRecord>> {
        self.read(|conn| crate::dispatch::notifications(conn, filter, warning, before, limit))
    }

    fn notification(&self, id: u64) -> Result<Option<NotificationRecord>> {
        self.read(|conn| crate::dispatch::notification(conn, id))
    }
}

impl AccountStore for SqliteStore {
    fn insert_token(&self, token: &TokenRecord, actor: &Actor) -> Result<()> {
        self.write_recorded(|tx, _, events| {
            events.push(crate::journal::token_issued(token, actor));
            let domains: Vec<&str> = token.domains.iter().map(|d| d.as_str()).collect();
            tx.execute(
                "INSERT INTO tokens (id, hash, name, role, scope_region, domains, stations, created_ms, revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![token.id, token.hash, token.name, token.role.as_str(), token.scope_region, domains.join(","), token.stations.join(","), token.created_ms, token.revoked],
            )?;
            Ok(())
        })
    }

    fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>> {
        self.read(|conn| {
            let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = ?1");
            let row = conn
                .prepare_cached(&sql)?
                .query_row([hash], token_of)
                .optional()?;
            row.map(finish_token).transpose()
        })
    }

    fn insert_user(&self, user: &crate::UserRecord, actor: &Actor) -> Result<u64> {
        self.write_recorded(|tx, _, events| {
            let id = crate::accounts::insert_user(tx, user)?;
            events.push(crate::journal::user_added(id, user, actor)?);
            Ok(id)
        })
    }

    fn users(&self) -> Result<Vec<crate::UserRecord>> {
        self.read(crate::accounts::users)
    }

    fn user_by_name(&self, username: &str) -> Result<Option<crate::UserRecord>> {
        self.read(|conn| crate::accounts::user_by_name(conn, username))
    }

    fn set_user_disabled(
        &self,
        username: &str,
        disabled: bool,
        at_ms: i64,
        actor: &Actor,
    ) -> Result<bool> {
        self.write_recorded(|tx, _, events| {
            let user = crate::accounts::user_id(tx, username)?;
            let changed = crate::accounts::set_user_disabled(tx, username, disabled)?;
            if let Some(user) = user.filter(|_| changed) {
                let change = Change::UserDisabled { user, disabled };
                events.push(crate::journal::node_event(at_ms, change, actor));
            }
            Ok(changed)
        })
    }

    fn set_password_hash(
        &self,
        username: &str,
        hash: &str,
        at_ms: i64,
        actor: &Actor,
    ) -> Result<bool> {
        self.write_recorded(|tx, _, events| {
            let user = crate::accounts::user_id(tx, username)?;
            let changed = crate::accounts::set_password_hash(tx, username, hash)?;
            if let Some(user) = user.filter(|_| changed) {
                let password_sha256 = tocsin_core::change::sha256_hex(hash.as_bytes());
                let change = Change::PasswordChanged {
                    user,
                    password_sha256,
                };
                events.push(crate::journal::node_event(at_ms, change, actor));
            }
            Ok(changed)
        })
    }

    fn insert_session(&self, session: &crate::SessionRecord, actor: &Actor) -> Result<()> {
        self.write_recorded(|tx, _, events| {
            crate::accounts::insert_session(tx, session)?;
            let change = Change::SignedIn { user: session.user };
            events.push(crate::journal::node_event(
                session.created_ms,
                change,
                actor,
            ));
            Ok(())
        })
    }

    fn session(&self, id: &str) -> Result<Option<(crate::SessionRecord, crate::UserRecord)>> {
        self.read(|conn| crate::accounts::session(conn, id))
    }

    fn touch_session(&self, id: &str, at_ms: i64) -> Result<()> {
        self.write(|tx, _| crate::accounts::touch_session(tx, id, at_ms))
    }

    fn delete_session(&self, id: &str) -> Result<bool> {
        self.write(|tx, _| crate::accounts::delete_session(tx, id))
    }
}

impl ResponseStore for SqliteStore {
    fn upsert_resources(&self, resources: &[ResourceRecord], now_ms: i64) -> Result<()> {
        self.write(|tx, _| crate::response::upsert_resources(tx, resources, now_ms))
    }

    fn resources(&self, filter: &RegionFilter) -> Result<Vec<ResourceRecord>> {
        self.read(|conn| crate::response::resources(conn, filter))
    }

    fn update_incident(
        &self,
        update: &IncidentUpdate,
        planner: &dyn Fn(&[Available], &[Need]) -> Plan,
        actor: &Actor,
    ) -> Result<IncidentOutcome> {
        self.write_noting(actor, |tx| {
            crate::response::update_incident(tx, update, planner)
        })
    }

    fn stand_down(&self, warning: u64, now_ms: i64, by: &str, actor: &Actor) -> Result<Vec<u64>> {
        self.write_noting(actor, |tx| {
            crate::response::stand_down(tx, warning, now_ms, by)
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
        self.write_noting(actor, |tx| {
            crate::response::complete_task(tx, incident, task, now_ms, by)
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
        self.write_noting(actor, |tx| {
            crate::response::set_role(tx, incident, role, holder, now_ms, by)
        })
    }

    fn add_timeline_entry(
        &self,
        incident: u64,
        entry: &TimelineEntry,
        actor: &Actor,
    ) -> Result<()> {
        self.write_noting(actor, |tx| {
            crate::response::add_entry(
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
        self.write_noting(actor, |tx| {
            crate::response::close_incident(tx, incident, after_action, now_ms, by)
        })
    }

    fn incidents(
        &self,
        filter: &RegionFilter,
        before: Option<&Cursor>,
        limit: usize,
    ) -> Result<Vec<IncidentRecord>> {
        self.read(|conn| crate::response::incidents(conn, filter, before, limit))
    }

    fn incident(&self, id: u64) -> Result<Option<IncidentDetail>> {
        self.read(|conn| crate::response::incident(conn, id))
    }
}

impl LedgerStore for SqliteStore {
    fn post_stock(
        &self,
        posting: &StockPosting,
        region: &str,
        actor: &Actor,
    ) -> Result<(u64, Vec<Replenish>)> {
        self.write_recorded(|tx, _, events| {
            let (id, short) = crate::response::post_stock(tx, posting)?;
            events.push(crate::journal::stock_posted(id, posting, region, actor)?);
            Ok((id, short))
        })
    }

    fn set_stock_minimum(&self, warehouse: &str, item: &str, minimum: u64) -> Result<()> {
        self.write(|tx, _| crate::response::set_stock_minimum(tx, warehouse, item, minimum))
    }

    fn stock_balances(&self) -> Result<Vec<(String, String, i64, u64)>> {
        self.read(crate::response::stock_balances)
    }

    fn post_funds(&self, posting: &FundPosting, region: &str, actor: &Actor) -> Result<u64> {
        self.write_recorded(|tx, _, events| {
            let id = crate::response::post_funds(tx, posting)?;
            events.push(crate::journal::funds_posted(id, posting, region, actor)?);
            Ok(id)
        })
    }

    fn fund_postings(&self, posting: u64) -> Result<Vec<(u64, FundPosting)>> {
        self.read(|conn| crate::response::fund_postings(conn, posting))
    }

    fn fund_balances(&self) -> Result<BTreeMap<String, i64>> {
        self.read(crate::response::fund_balances)
    }

    fn fund_balance_under(&self, account: &str) -> Result<i64> {
        self.read(|conn| crate::response::fund_balance_under(conn, account))
    }

    fn upsert_fund(&self, id: &str, name: &str, tier: Tier, region: &str) -> Result<()> {
        use crate::response::{Holders, upsert_holder};
        self.write(|tx, _| upsert_holder(tx, Holders::Funds, id, name, tier, region))
    }

    fn funds(&self) -> Result<Vec<(String, String, String, String)>> {
        self.read(|conn| crate::response::holders(conn, crate::response::Holders::Funds))
    }

    fn upsert_warehouse(&self, id: &str, name: &str, tier: Tier, region: &str) -> Result<()> {
        use crate::response::{Holders, upsert_holder};
        self.write(|tx, _| upsert_holder(tx, Holders::Warehouses, id, name, tier, region))
    }

    fn warehouses(&self) -> Result<Vec<(String, String, String, String)>> {
        self.read(|conn| crate::response::holders(conn, crate::response::Holders::Warehouses))
    }
}

impl MaintenanceStore for SqliteStore {
    fn backup_to(&self, path: &Path) -> Result<()> {
        if path.exists() {
            return Err(StoreError::Conflict(format!(
                "{} already exists; choose a new file",
                path.display()
            )));
        }
        self.read(|conn| {
            conn.execute("VACUUM INTO ?1", [path.to_string_lossy()])?;
            Ok(())
        })
    }

    fn schema_version(&self) -> Result<i64> {
        self.read(|conn| Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?))
    }
}

impl JournalStore for SqliteStore {
    fn journal_size(&self) -> Result<u64> {
        self.read(crate::journal::size)
    }

    fn journal_entries(&self, from: u64, limit: usize) -> Result<Vec<JournalEntry>> {
        self.read(|conn| crate::journal::entries(conn, from, limit))
    }

    fn journal_read(&self, from: u64, kinds: &[&str], limit: usize) -> Result<JournalRead> {
        self.read(|conn| crate::journal::read_kinds(conn, from, kinds, limit))
    }

    fn journal_cursor(&self, consumer: &str) -> Result<u64> {
        self.read(|conn| crate::journal::cursor(conn, consumer))
    }

    fn journal_read_in(
        &self,
        filter: &RegionFilter,
        from: u64,
        limit: usize,
        with_accounts: bool,
    ) -> Result<JournalRead> {
        self.read(|conn| crate::journal::read_in(conn, filter, (from, limit), with_accounts))
    }

    fn journaled_records(&self) -> Result<JournaledRecords> {
        self.read(crate::journal::journaled_records)
    }

    fn journal_subtree(&self, level: u32, index: u64) -> Result<[u8; 32]> {
        self.read(|conn| crate::journal::perfect(conn, level, index))
    }

    fn insert_checkpoint(&self, checkpoint: &CheckpointRecord) -> Result<()> {
        self.write(|tx, _| crate::journal::insert_checkpoint(tx, checkpoint))
    }

    fn checkpoints(&self) -> Result<Vec<CheckpointRecord>> {
        self.read(crate::journal::checkpoints)
    }

    fn latest_checkpoint(&self) -> Result<Option<CheckpointRecord>> {
        self.read(crate::journal::latest_checkpoint)
    }
}

/// The date used for a new unit without a start date when checking for clashes.
const REFORM_FALLBACK: Date = tocsin_core::region::REFORM_2025;

fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn combine(a: Succession, b: Succession) -> Succession {
    if a == Succession::Partial || b == Succession::Partial {
        Succession::Partial
    } else if a == Succession::Whole || b == Succession::Whole {
        Succession::Whole
    } else {
        Succession::Renamed
    }
}

fn merge_found(
    found: &mut Vec<(i64, Succession, Vec<Date>)>,
    uid: i64,
    relation: Succession,
    changes: Vec<Date>,
) {
    match found.iter_mut().find(|(u, _, _)| *u == uid) {
        Some(existing) => {
            existing.1 = if existing.1 == relation {
                relation
            } else {
                Succession::Partial
            }
        }
        None => found.push((uid, relation, changes)),
    }
}

/// The units a retired unit passed into: its own succession links, or, for a unit abolished
/// without links of its own (a district), those of the children it had on its last day.
fn next_units(
    conn: &Connection,
    uid: i64,
    region: &Region,
) -> Result<Vec<(i64, Succession, Date)>> {
    let mut stmt = conn
        .prepare_cached("SELECT to_uid, relation, on_date FROM successions WHERE from_uid = ?1")?;
    let rows = stmt.query_map([uid], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut next = Vec::new();
    for row in rows {
        let (to, relation, on) = row?;
        let on: Date = on
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("succession date {on:?}")))?;
        next.push((
            to,
            Succession::parse(&relation).unwrap_or(Succession::Partial),
            on,
        ));
    }
    let last_day = region.valid_to.and_then(|d| d.yesterday().ok());
    if let (true, Some(last_day)) = (next.is_empty(), last_day) {
        let sql = format!("SELECT uid FROM regions WHERE parent_code = ?1 AND {VALID_ON}");
        let mut stmt = conn.prepare_cached(&sql)?;
        let children: Vec<i64> = stmt
            .query_map(params![region.code, date_text(last_day)], |r| {
                r.get::<_, i64>(0)
            })?
            .collect::<rusqlite::Result<_>>()?;
        for child in children {
            let child_region = region_by_uid(conn, child)?;
            let links = next_units(conn, child, &child_region)?;
            next.extend(
                links
                    .into_iter()
                    .map(|(to, _, on)| (to, Succession::Partial, on)),
            );
        }
    }
    Ok(next)
}

/// Inline list of the hour buckets overlapping `[from, to)`.
fn bucket_list(from_ms: i64, to_ms: i64) -> String {
    let first = from_ms.div_euclid(BUCKET_MS);
    let last = (to_ms - 1).div_euclid(BUCKET_MS).max(first);
    (first..=last)
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Moves `series_latest` forward with the newest observed time of each series in the batch.
/// Inserts batches of observations (exact duplicates skipped) with their commit record; one
/// outcome per batch.
fn insert_observations(
    tx: &rusqlite::Transaction,
    seq: &mut i64,
    batches: &[Batch],
    received_ms: i64,
    events: &mut Vec<Event>,
) -> Result<Vec<AppendOutcome>> {
    let first_seq = *seq;
    let mut outcomes = Vec::with_capacity(batches.len());
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO observations (bucket, series, time_ms, issued_ms, value, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for Batch {
            actor,
            observations: batch,
        } in batches
        {
            let mut outcome = AppendOutcome {
                first_seq: *seq,
                fresh: Vec::with_capacity(batch.len()),
                ..Default::default()
            };
            for o in batch.iter() {
                let changed = insert.execute(params![
                    o.time_ms.div_euclid(BUCKET_MS),
                    o.series,
                    o.time_ms,
                    o.issued_ms,
                    o.value,
                    *seq
                ])?;
                if changed == 1 {
                    outcome.stored += 1;
                    *seq += 1;
                } else {
                    outcome.duplicates += 1;
                }
                outcome.fresh.push(changed == 1);
            }
            update_latest(tx, batch)?;
            if outcome.stored > 0 {
                events.push(Event {
                    at_ms: received_ms,
                    actor: (*actor).clone(),
                    region: NATION.into(),
                    change: Change::ObservationsStored {
                        first_seq: outcome.first_seq,
                        stored: outcome.stored,
                        duplicates: outcome.duplicates,
                    },
                });
            }
            outcomes.push(outcome);
        }
    }
    let stored: u64 = outcomes.iter().map(|o| o.stored).sum();
    let duplicates: u64 = outcomes.iter().map(|o| o.duplicates).sum();
    if stored > 0 {
        tx.prepare_cached("INSERT INTO ingest_commits (first_seq, last_seq, received_ms, stored, duplicates) VALUES (?1, ?2, ?3, ?4, ?5)")?
            .execute(params![first_seq, *seq - 1, received_ms, stored as i64, duplicates as i64])?;
    }
    Ok(outcomes)
}

/// Inserts detections (a repeated one is ignored) and moves the current levels; how many were new.
fn insert_detections(
    tx: &rusqlite::Transaction,
    detections: &[Detection],
    recorded_ms: i64,
    actor: &Actor,
    events: &mut Vec<Event>,
) -> Result<usize> {
    let mut new = 0;
    for d in detections {
        let (lead_s, earliest_s, latest_s) = (
            d.lead.map(|l| l.expected_s),
            d.lead.map(|l| l.earliest_s),
            d.lead.and_then(|l| l.latest_s),
        );
        let stored = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO detections (station, rule, hazard, commune, province, from_level, to_level, time_ms, value, status, \
                 recorded_ms, certainty, lead_s, lead_earliest_s, lead_latest_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?
            .execute(params![
                d.station, d.rule, d.hazard, d.commune, d.province, d.from_level, d.to_level, d.time_ms, d.value, d.status, recorded_ms, d.certainty,
                lead_s, earliest_s, latest_s
            ])?;
        if stored == 1 {
            new += 1;
            let id = tx.last_insert_rowid();
            events.push(crate::journal::level_changed(d, id, recorded_ms, actor));
        }
        tx.prepare_cached(
            "INSERT INTO current_levels (station, rule, certainty, hazard, commune, province, level, since_ms, value, status, lead_s, lead_earliest_s, lead_latest_s) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
             ON CONFLICT (station, rule, certainty) DO UPDATE SET level = excluded.level, since_ms = excluded.since_ms, value = excluded.value, \
             commune = excluded.commune, province = excluded.province, status = excluded.status, lead_s = excluded.lead_s, \
             lead_earliest_s = excluded.lead_earliest_s, lead_latest_s = excluded.lead_latest_s WHERE excluded.since_ms >= current_levels.since_ms",
        )?
        .execute(params![d.station, d.rule, d.certainty, d.hazard, d.commune, d.province, d.to_level, d.time_ms, d.value, d.status, lead_s, earliest_s, latest_s])?;
    }
    Ok(new)
}

fn update_latest(tx: &rusqlite::Transaction, observations: &[Observation]) -> Result<()> {
    let mut newest: std::collections::HashMap<i64, (i64, f64)> = std::collections::HashMap::new();
    for o in observations.iter().filter(|o| o.issued_ms == 0) {
        let entry = newest.entry(o.series).or_insert((o.time_ms, o.value));
        if o.time_ms >= entry.0 {
            *entry = (o.time_ms, o.value);
        }
    }
    let mut upsert = tx.prepare_cached(
        "INSERT INTO series_latest (series, time_ms, value) VALUES (?1, ?2, ?3) \
         ON CONFLICT (series) DO UPDATE SET time_ms = excluded.time_ms, value = excluded.value WHERE excluded.time_ms >= series_latest.time_ms",
    )?;
    for (series, (time_ms, value)) in newest {
        upsert.execute(params![series, time_ms, value])?;
    }
    Ok(())
}

/// The columns [`detection_from_row`] reads, in its order.
pub(crate) const DETECTION_COLUMNS: &str = "d.station, d.rule, d.hazard, d.commune, d.province, d.from_level, \
    d.to_level, d.time_ms, d.value, d.status, d.certainty, d.lead_s, d.lead_earliest_s, d.lead_latest_s";

pub(crate) fn detection_from_row(r: &Row) -> rusqlite::Result<Detection> {
    Ok(Detection {
        station: r.get(0)?,
        rule: r.get(1)?,
        hazard: r.get(2)?,
        commune: r.get(3)?,
        province: r.get(4)?,
        from_level: r.get(5)?,
        to_level: r.get(6)?,
        time_ms: r.get(7)?,
        value: r.get(8)?,
        status: r.get(9)?,
        certainty: r.get(10)?,
        lead: r.get::<_, Option<i64>>(11)?.map(|expected_s| Lead {
            expected_s,
            earliest_s: r
                .get::<_, Option<i64>>(12)
                .ok()
                .flatten()
                .unwrap_or(expected_s),
            latest_s: r.get(13).ok().flatten(),
        }),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_derived_write_leaves_the_store_s_durability_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("db"), Durability::Full).unwrap();
        let synchronous = |store: &SqliteStore| -> i64 {
            let writer = store.writer.lock().unwrap();
            writer
                .conn
                .pragma_query_value(None, "synchronous", |r| r.get(0))
                .unwrap()
        };
        assert_eq!(synchronous(&store), 2, "FULL");
        store.record_consumed_warnings(&[], "warnings", 0).unwrap();
        assert_eq!(synchronous(&store), 2, "FULL again after the derived write");
        assert_eq!(store.journal_cursor("warnings").unwrap(), 0);
        let refused = store.write_derived(|tx| -> Result<()> {
            tx.execute_batch("INSERT INTO no_such_table VALUES (1)")?;
            Ok(())
        });
        assert!(refused.is_err());
        assert_eq!(synchronous(&store), 2, "FULL again after a failed one");
    }
}
