//! Observations, their series and the detections derived from them in SQLite.

use super::*;

/// Milliseconds in one observation bucket (one hour).
const BUCKET_MS: i64 = 3_600_000;

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

/// Inline list of the hour buckets overlapping `[from, to)`.
fn bucket_list(from_ms: i64, to_ms: i64) -> String {
    let first = from_ms.div_euclid(BUCKET_MS);
    let last = (to_ms - 1).div_euclid(BUCKET_MS).max(first);
    (first..=last)
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

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
            events.push(crate::events::level_changed(d, id, recorded_ms, actor));
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

/// Moves `series_latest` forward with the newest observed time of each series in the batch.
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
pub(super) const DETECTION_COLUMNS: &str = "d.station, d.rule, d.hazard, d.commune, d.province, d.from_level, \
    d.to_level, d.time_ms, d.value, d.status, d.certainty, d.lead_s, d.lead_earliest_s, d.lead_latest_s";

pub(super) fn detection_from_row(r: &Row) -> rusqlite::Result<Detection> {
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
