//! The SQLite schema as an ordered list of migrations; `PRAGMA user_version` records how many
//! have run. A migration is never edited once released: changes are new entries.

pub const MIGRATIONS: &[&str] = &[
    // 1: registry, stations, observations, tokens.
    r#"
    CREATE TABLE regions (
        uid INTEGER PRIMARY KEY,
        code TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        name_en TEXT NOT NULL,
        division_type TEXT NOT NULL,
        parent_code TEXT,
        valid_from TEXT,
        valid_to TEXT,
        lon REAL, lat REAL,
        min_lon REAL, min_lat REAL, max_lon REAL, max_lat REAL,
        boundary TEXT,
        source TEXT NOT NULL,
        search_key TEXT NOT NULL,
        provinces TEXT NOT NULL
    );
    CREATE INDEX regions_code ON regions(code, valid_from);
    CREATE INDEX regions_parent ON regions(parent_code);
    CREATE TABLE successions (
        from_uid INTEGER NOT NULL REFERENCES regions(uid),
        to_uid INTEGER NOT NULL REFERENCES regions(uid),
        relation TEXT NOT NULL,
        on_date TEXT NOT NULL,
        note TEXT NOT NULL,
        PRIMARY KEY (from_uid, to_uid)
    ) WITHOUT ROWID;
    CREATE INDEX successions_to ON successions(to_uid);

    CREATE TABLE stations (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        domain TEXT NOT NULL,
        lat REAL NOT NULL,
        lon REAL NOT NULL,
        commune TEXT,
        province TEXT,
        attributes TEXT NOT NULL,
        retired TEXT
    );
    CREATE TABLE series (
        id INTEGER PRIMARY KEY,
        station TEXT NOT NULL REFERENCES stations(id),
        metric TEXT NOT NULL,
        unit TEXT NOT NULL,
        min REAL NOT NULL,
        max REAL NOT NULL,
        interval_s INTEGER NOT NULL,
        active INTEGER NOT NULL,
        UNIQUE (station, metric)
    );

    -- Observations are keyed by hour bucket first so that time-ordered ingest writes to the
    -- right edge of the tree (few pages per commit), and by series next so a series query
    -- seeks once per hour. The value is part of the key: the same record twice is one row,
    -- a different value for the same time is a second row (a correction; highest seq wins).
    CREATE TABLE observations (
        bucket INTEGER NOT NULL,
        series INTEGER NOT NULL,
        time_ms INTEGER NOT NULL,
        issued_ms INTEGER NOT NULL,
        value REAL NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (bucket, series, time_ms, issued_ms, value)
    ) WITHOUT ROWID;
    CREATE TABLE ingest_commits (
        first_seq INTEGER PRIMARY KEY,
        last_seq INTEGER NOT NULL,
        received_ms INTEGER NOT NULL,
        stored INTEGER NOT NULL,
        duplicates INTEGER NOT NULL
    );
    CREATE TABLE series_latest (
        series INTEGER PRIMARY KEY,
        time_ms INTEGER NOT NULL,
        value REAL NOT NULL
    );

    CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        scope_region TEXT NOT NULL,
        domains TEXT NOT NULL,
        stations TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        revoked INTEGER NOT NULL DEFAULT 0
    );
    "#,
    // 2: detections (rule level changes) and the current level of every rule at every station.
    r#"
    CREATE TABLE detections (
        id INTEGER PRIMARY KEY,
        station TEXT NOT NULL,
        rule TEXT NOT NULL,
        hazard TEXT NOT NULL,
        commune TEXT,
        province TEXT,
        from_level INTEGER NOT NULL,
        to_level INTEGER NOT NULL,
        time_ms INTEGER NOT NULL,
        value REAL NOT NULL,
        status TEXT NOT NULL,
        recorded_ms INTEGER NOT NULL,
        UNIQUE (station, rule, time_ms, to_level)
    );
    CREATE INDEX detections_time ON detections(time_ms);
    CREATE TABLE current_levels (
        station TEXT NOT NULL,
        rule TEXT NOT NULL,
        hazard TEXT NOT NULL,
        commune TEXT,
        province TEXT,
        level INTEGER NOT NULL,
        since_ms INTEGER NOT NULL,
        value REAL NOT NULL,
        status TEXT NOT NULL,
        PRIMARY KEY (station, rule)
    ) WITHOUT ROWID;
    "#,
    // 3: forecast detections (certainty "likely", with lead times) beside observed ones.
    r#"
    CREATE TABLE detections_v3 (
        id INTEGER PRIMARY KEY,
        station TEXT NOT NULL,
        rule TEXT NOT NULL,
        hazard TEXT NOT NULL,
        commune TEXT,
        province TEXT,
        from_level INTEGER NOT NULL,
        to_level INTEGER NOT NULL,
        time_ms INTEGER NOT NULL,
        value REAL NOT NULL,
        status TEXT NOT NULL,
        recorded_ms INTEGER NOT NULL,
        certainty TEXT NOT NULL,
        lead_s INTEGER,
        lead_earliest_s INTEGER,
        lead_latest_s INTEGER,
        UNIQUE (station, rule, certainty, time_ms, to_level)
    );
    INSERT INTO detections_v3 SELECT id, station, rule, hazard, commune, province, from_level, to_level, time_ms, value, status, recorded_ms, 'observed', NULL, NULL, NULL FROM detections;
    DROP TABLE detections;
    ALTER TABLE detections_v3 RENAME TO detections;
    CREATE INDEX detections_time ON detections(time_ms);
    CREATE TABLE current_levels_v3 (
        station TEXT NOT NULL,
        rule TEXT NOT NULL,
        certainty TEXT NOT NULL,
        hazard TEXT NOT NULL,
        commune TEXT,
        province TEXT,
        level INTEGER NOT NULL,
        since_ms INTEGER NOT NULL,
        value REAL NOT NULL,
        status TEXT NOT NULL,
        lead_s INTEGER,
        lead_earliest_s INTEGER,
        lead_latest_s INTEGER,
        PRIMARY KEY (station, rule, certainty)
    ) WITHOUT ROWID;
    INSERT INTO current_levels_v3 SELECT station, rule, 'observed', hazard, commune, province, level, since_ms, value, status, NULL, NULL, NULL FROM current_levels;
    DROP TABLE current_levels;
    ALTER TABLE current_levels_v3 RENAME TO current_levels;
    "#,
    // 4: warnings, their versions (published ones immutable) and automatic release.
    r#"
    CREATE TABLE warnings (
        id INTEGER PRIMARY KEY,
        hazard TEXT NOT NULL,
        province TEXT NOT NULL,
        open INTEGER NOT NULL,
        state TEXT NOT NULL
    );
    CREATE INDEX warnings_open ON warnings(open);
    CREATE TABLE warning_versions (
        warning INTEGER NOT NULL REFERENCES warnings(id),
        number INTEGER NOT NULL,
        hazard TEXT NOT NULL,
        province TEXT NOT NULL,
        action TEXT NOT NULL,
        level INTEGER NOT NULL,
        made_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        draft TEXT NOT NULL,
        state TEXT NOT NULL,
        identifier TEXT UNIQUE,
        sent_ms INTEGER,
        msg_type TEXT,
        cap_xml TEXT,
        released_by TEXT,
        released_ms INTEGER,
        PRIMARY KEY (warning, number)
    );
    CREATE INDEX warning_versions_state ON warning_versions(state, province, sent_ms);
    CREATE TRIGGER published_alerts_never_change BEFORE UPDATE ON warning_versions
        WHEN OLD.state = 'published'
        BEGIN SELECT RAISE(ABORT, 'a published alert never changes'); END;
    CREATE TRIGGER published_alerts_stay BEFORE DELETE ON warning_versions
        WHEN OLD.state = 'published'
        BEGIN SELECT RAISE(ABORT, 'a published alert is never deleted'); END;
    CREATE TABLE auto_release (
        hazard TEXT PRIMARY KEY,
        max_level INTEGER NOT NULL,
        set_by TEXT NOT NULL,
        set_ms INTEGER NOT NULL
    );
    "#,
    // 5: subscriptions to other agencies' alert feeds, and the external alerts they bring in,
    // each stored once per (sender, identifier), with the regions they were placed on.
    r#"
    CREATE TABLE subscriptions (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        added_by TEXT NOT NULL,
        added_ms INTEGER NOT NULL,
        etag TEXT,
        last_modified TEXT,
        last_polled_ms INTEGER,
        next_poll_ms INTEGER NOT NULL,
        failures INTEGER NOT NULL,
        last_error TEXT
    );
    CREATE TABLE external_alerts (
        id INTEGER PRIMARY KEY,
        subscription INTEGER NOT NULL,
        source TEXT NOT NULL,
        sender TEXT,
        identifier TEXT,
        sent_ms INTEGER,
        status TEXT NOT NULL,
        msg_type TEXT NOT NULL,
        event TEXT NOT NULL,
        severity TEXT NOT NULL,
        urgency TEXT NOT NULL,
        certainty TEXT NOT NULL,
        headline TEXT NOT NULL,
        expires_ms INTEGER,
        cap_xml BLOB NOT NULL,
        findings TEXT NOT NULL,
        signature TEXT NOT NULL,
        placement TEXT NOT NULL,
        received_ms INTEGER NOT NULL,
        UNIQUE (sender, identifier)
    );
    CREATE INDEX external_alerts_source ON external_alerts(source);
    CREATE INDEX external_alerts_received ON external_alerts(received_ms);
    CREATE TABLE external_alert_regions (
        alert INTEGER NOT NULL REFERENCES external_alerts(id),
        region TEXT NOT NULL,
        province TEXT NOT NULL,
        matched_by TEXT NOT NULL,
        PRIMARY KEY (alert, region)
    ) WITHOUT ROWID;
    CREATE INDEX external_alert_regions_province ON external_alert_regions(province, alert);
    CREATE INDEX external_alert_regions_region ON external_alert_regions(region, alert);
    "#,
    // 6: dissemination: recipients, silences, notifications, the delivery outbox and every
    // attempt, and the dispatcher's state.
    r#"
    CREATE TABLE recipients (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        sector TEXT NOT NULL,
        region TEXT NOT NULL,
        tier TEXT NOT NULL,
        exercises INTEGER NOT NULL,
        language TEXT NOT NULL,
        endpoints TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE silences (
        id INTEGER PRIMARY KEY,
        matchers TEXT NOT NULL,
        recipient TEXT,
        starts_ms INTEGER NOT NULL,
        ends_ms INTEGER NOT NULL,
        author TEXT NOT NULL,
        reason TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        expired_by TEXT,
        expired_ms INTEGER
    );
    CREATE TABLE notifications (
        id INTEGER PRIMARY KEY,
        recipient TEXT NOT NULL,
        warning INTEGER NOT NULL,
        version INTEGER NOT NULL,
        province TEXT NOT NULL,
        reason TEXT NOT NULL,
        suppressed TEXT,
        needs_ack INTEGER NOT NULL,
        created_ms INTEGER NOT NULL,
        ack_token TEXT NOT NULL UNIQUE,
        acked_by TEXT,
        acked_ms INTEGER
    );
    CREATE INDEX notifications_warning ON notifications(warning, version);
    CREATE INDEX notifications_province ON notifications(province, created_ms);
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        notification INTEGER NOT NULL REFERENCES notifications(id),
        endpoint TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_ms INTEGER,
        last_error TEXT,
        delivered_ms INTEGER
    );
    CREATE INDEX deliveries_due ON deliveries(state, next_attempt_ms);
    CREATE TABLE delivery_attempts (
        delivery INTEGER NOT NULL REFERENCES deliveries(id),
        attempt INTEGER NOT NULL,
        time_ms INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        error TEXT,
        PRIMARY KEY (delivery, attempt)
    );
    CREATE TABLE dispatch_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        state TEXT NOT NULL
    );
    "#,
    // 7: user accounts, their sign-in sessions (keyed by the hash of the secret) and the failed
    // sign-ins that lock a username out.
    r#"
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        display_name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        scope_region TEXT NOT NULL,
        domains TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        disabled INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user INTEGER NOT NULL REFERENCES users(id),
        created_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        csrf_token TEXT NOT NULL
    );
    CREATE INDEX sessions_user ON sessions(user);
    CREATE TABLE login_failures (
        username TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        locked_until_ms INTEGER
    );
    "#,
    // 8: response — the resources of the four on-site categories (assigned never above quantity),
    // incidents with their command roles, tasks (never twice per incident), requests and
    // assignments, the timeline, and the reserve and fund ledgers, whose entries never change.
    r#"
    CREATE TABLE resources (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        kind TEXT NOT NULL,
        unit TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity >= 0),
        assigned INTEGER NOT NULL DEFAULT 0 CHECK (assigned >= 0 AND assigned <= quantity),
        status TEXT NOT NULL,
        owner TEXT NOT NULL,
        commune TEXT,
        province TEXT NOT NULL,
        tier TEXT NOT NULL,
        lon REAL NOT NULL,
        lat REAL NOT NULL,
        readiness_minutes INTEGER NOT NULL,
        skills TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE INDEX resources_kind ON resources(category, kind);
    CREATE INDEX resources_province ON resources(province);
    CREATE TABLE incidents (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        hazard TEXT NOT NULL,
        area TEXT NOT NULL,
        province TEXT NOT NULL,
        tier TEXT NOT NULL,
        level INTEGER NOT NULL,
        warning INTEGER,
        exercise INTEGER NOT NULL,
        status TEXT NOT NULL,
        source TEXT NOT NULL,
        report TEXT,
        opened_ms INTEGER NOT NULL,
        opened_by TEXT NOT NULL,
        closed_ms INTEGER,
        closed_by TEXT,
        after_action TEXT,
        UNIQUE (warning, area)
    );
    CREATE INDEX incidents_province ON incidents(province, status);
    CREATE TABLE incident_roles (
        incident INTEGER NOT NULL REFERENCES incidents(id),
        role TEXT NOT NULL,
        holder TEXT NOT NULL,
        assigned_ms INTEGER NOT NULL,
        PRIMARY KEY (incident, role)
    );
    CREATE TABLE incident_tasks (
        incident INTEGER NOT NULL REFERENCES incidents(id),
        task TEXT NOT NULL,
        scenario TEXT NOT NULL,
        level INTEGER NOT NULL,
        title_vi TEXT NOT NULL,
        title_en TEXT NOT NULL,
        lead TEXT NOT NULL,
        supporting TEXT NOT NULL,
        depends_on TEXT NOT NULL,
        due_ms INTEGER NOT NULL,
        status TEXT NOT NULL,
        opened_ms INTEGER NOT NULL,
        ended_ms INTEGER,
        ended_by TEXT,
        PRIMARY KEY (incident, task)
    );
    CREATE TABLE incident_requests (
        id INTEGER PRIMARY KEY,
        incident INTEGER NOT NULL REFERENCES incidents(id),
        scenario TEXT NOT NULL,
        position INTEGER NOT NULL,
        category TEXT NOT NULL,
        kind TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        unit TEXT NOT NULL,
        shortfall INTEGER NOT NULL,
        created_ms INTEGER NOT NULL,
        UNIQUE (incident, scenario, position)
    );
    CREATE TABLE assignments (
        id INTEGER PRIMARY KEY,
        incident INTEGER NOT NULL REFERENCES incidents(id),
        request INTEGER NOT NULL REFERENCES incident_requests(id),
        resource TEXT NOT NULL REFERENCES resources(id),
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        source TEXT NOT NULL,
        distance_km REAL NOT NULL,
        assigned_ms INTEGER NOT NULL,
        released_ms INTEGER
    );
    CREATE INDEX assignments_incident ON assignments(incident);
    CREATE TABLE incident_timeline (
        id INTEGER PRIMARY KEY,
        incident INTEGER NOT NULL REFERENCES incidents(id),
        time_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        by TEXT NOT NULL
    );
    CREATE INDEX incident_timeline_incident ON incident_timeline(incident, id);
    CREATE TABLE stock_entries (
        id INTEGER PRIMARY KEY,
        posting INTEGER NOT NULL,
        warehouse TEXT NOT NULL,
        item TEXT NOT NULL,
        delta INTEGER NOT NULL CHECK (delta <> 0),
        kind TEXT NOT NULL,
        incident INTEGER,
        note TEXT NOT NULL,
        time_ms INTEGER NOT NULL,
        by TEXT NOT NULL
    );
    CREATE INDEX stock_entries_item ON stock_entries(warehouse, item);
    CREATE TABLE stock_minimums (
        warehouse TEXT NOT NULL,
        item TEXT NOT NULL,
        minimum INTEGER NOT NULL CHECK (minimum >= 0),
        PRIMARY KEY (warehouse, item)
    );
    CREATE TABLE funds (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        tier TEXT NOT NULL,
        region TEXT NOT NULL
    );
    CREATE TABLE fund_entries (
        id INTEGER PRIMARY KEY,
        posting INTEGER NOT NULL,
        account TEXT NOT NULL,
        amount INTEGER NOT NULL CHECK (amount <> 0),
        kind TEXT NOT NULL,
        memo TEXT NOT NULL,
        incident INTEGER,
        reverses INTEGER,
        time_ms INTEGER NOT NULL,
        by TEXT NOT NULL,
        approved_by TEXT
    );
    CREATE INDEX fund_entries_account ON fund_entries(account);
    CREATE INDEX fund_entries_posting ON fund_entries(posting);
    CREATE TRIGGER stock_entries_never_change BEFORE UPDATE ON stock_entries
        BEGIN SELECT RAISE(ABORT, 'stock entries never change; post a correction'); END;
    CREATE TRIGGER stock_entries_never_go BEFORE DELETE ON stock_entries
        BEGIN SELECT RAISE(ABORT, 'stock entries are never deleted'); END;
    CREATE TRIGGER fund_entries_never_change BEFORE UPDATE ON fund_entries
        BEGIN SELECT RAISE(ABORT, 'fund entries never change; post a reversal'); END;
    CREATE TRIGGER fund_entries_never_go BEFORE DELETE ON fund_entries
        BEGIN SELECT RAISE(ABORT, 'fund entries are never deleted'); END;
    "#,
    // 9: channels marked for exercises: a recipient's endpoints for exercise and test notices,
    // apart from those of actual ones.
    r#"
    ALTER TABLE recipients ADD COLUMN exercise_endpoints TEXT NOT NULL DEFAULT '[]';
    "#,
    // 10: warehouses belong to a region, as funds do: stock is posted only to a registered one,
    // by whoever's scope covers it. Warehouses already in the ledger are registered as national
    // (national scope only) until an administrator places them.
    r#"
    CREATE TABLE warehouses (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        tier TEXT NOT NULL,
        region TEXT NOT NULL
    );
    INSERT INTO warehouses (id, name, tier, region)
        SELECT DISTINCT warehouse, warehouse, 'national', 'VN' FROM stock_entries;
    "#,
    // 11: sign-in failures are throttled in memory per client (not per username, which let a
    // stranger lock an officer out); the table migration 7 kept them in is dropped.
    r#"
    DROP TABLE login_failures;
    "#,
    // 12: the journal — every change's event as a leaf of an RFC 9162 Merkle tree, the perfect
    // subtrees appends complete, personal values beside their leaves, signed checkpoints, and
    // each consumer's cursor. Entries, nodes and checkpoints never change and are never deleted.
    r#"
    CREATE TABLE journal (
        idx INTEGER PRIMARY KEY CHECK (idx >= 0),
        at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        region TEXT NOT NULL,
        leaf BLOB NOT NULL,
        leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32)
    );
    CREATE TABLE journal_nodes (
        level INTEGER NOT NULL CHECK (level >= 1),
        idx INTEGER NOT NULL,
        hash BLOB NOT NULL CHECK (length(hash) = 32),
        PRIMARY KEY (level, idx)
    ) WITHOUT ROWID;
    CREATE TABLE journal_personal (
        entry INTEGER NOT NULL REFERENCES journal(idx),
        position INTEGER NOT NULL,
        value TEXT NOT NULL,
        salt BLOB NOT NULL,
        PRIMARY KEY (entry, position)
    ) WITHOUT ROWID;
    CREATE TABLE checkpoints (
        size INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        note TEXT NOT NULL
    );
    CREATE TABLE journal_cursors (
        consumer TEXT PRIMARY KEY,
        next INTEGER NOT NULL
    );
    CREATE TRIGGER journal_never_changes BEFORE UPDATE ON journal
        BEGIN SELECT RAISE(ABORT, 'journal entries never change'); END;
    CREATE TRIGGER journal_never_goes BEFORE DELETE ON journal
        BEGIN SELECT RAISE(ABORT, 'journal entries are never deleted'); END;
    CREATE TRIGGER journal_nodes_never_change BEFORE UPDATE ON journal_nodes
        BEGIN SELECT RAISE(ABORT, 'journal nodes never change'); END;
    CREATE TRIGGER journal_nodes_never_go BEFORE DELETE ON journal_nodes
        BEGIN SELECT RAISE(ABORT, 'journal nodes are never deleted'); END;
    CREATE TRIGGER journal_personal_never_changes BEFORE UPDATE ON journal_personal
        BEGIN SELECT RAISE(ABORT, 'a personal value is erased, never changed'); END;
    CREATE TRIGGER checkpoints_never_change BEFORE UPDATE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'checkpoints never change'); END;
    CREATE TRIGGER checkpoints_never_go BEFORE DELETE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'checkpoints are never deleted'); END;
    "#,
    // 13: the warning desk reads level changes from the journal through its cursor; the
    // changes journaled before it did were already told to it directly.
    r#"
    INSERT OR IGNORE INTO journal_cursors (consumer, next)
        SELECT 'warnings', coalesce(max(idx) + 1, 0) FROM journal;
    "#,
    // 14: an entry's region is its province (or VN), and its hazard is kept beside it, so that
    // a read of the journal applies the caller's scope in its query. Entries written before
    // named a level change's commune as its region; they are read as national. Level changes
    // name their detection's id from now on: `journal_start` holds the first detection whose
    // journal entry names it, so `audit verify` checks every detection from there on.
    r#"
    ALTER TABLE journal ADD COLUMN hazard TEXT;
    DROP TRIGGER journal_never_changes;
    UPDATE journal SET hazard = json_extract(CAST(substr(leaf, 2) AS TEXT), '$.change.hazard');
    UPDATE journal SET region = 'VN' WHERE length(region) != 2;
    CREATE TRIGGER journal_never_changes BEFORE UPDATE ON journal
        BEGIN SELECT RAISE(ABORT, 'journal entries never change'); END;
    CREATE INDEX journal_by_region ON journal (region, idx);
    CREATE TABLE journal_start (
        record TEXT PRIMARY KEY,
        first_id INTEGER NOT NULL
    );
    INSERT INTO journal_start SELECT 'detections', coalesce(max(id), 0) + 1 FROM detections;
    "#,
    // 15: released alerts, acknowledgements and incident timelines are journaled from here on.
    r#"
    INSERT INTO journal_start SELECT 'warning_versions', coalesce(max(rowid), 0) + 1 FROM warning_versions;
    INSERT INTO journal_start SELECT 'notifications', coalesce(max(id), 0) + 1 FROM notifications;
    INSERT INTO journal_start SELECT 'incident_timeline', coalesce(max(id), 0) + 1 FROM incident_timeline;
    "#,
    // 16: delivery attempts and silences are journaled from here on.
    r#"
    INSERT INTO journal_start SELECT 'delivery_attempts', coalesce(max(rowid), 0) + 1 FROM delivery_attempts;
    INSERT INTO journal_start SELECT 'silences', coalesce(max(id), 0) + 1 FROM silences;
    "#,
    // 17: the versions the warning lifecycle makes and the notifications queued are journaled
    // from here on.
    r#"
    INSERT INTO journal_start SELECT 'version_drafts', coalesce(max(rowid), 0) + 1 FROM warning_versions;
    INSERT INTO journal_start SELECT 'notification_queue', coalesce(max(id), 0) + 1 FROM notifications;
    "#,
    // 18: stock and fund postings are journaled from here on.
    r#"
    INSERT INTO journal_start SELECT 'stock_postings', coalesce(max(posting), 0) + 1 FROM stock_entries;
    INSERT INTO journal_start SELECT 'fund_postings', coalesce(max(posting), 0) + 1 FROM fund_entries;
    "#,
    // 19: tokens issued and user accounts are journaled from here on.
    r#"
    INSERT INTO journal_start SELECT 'tokens', coalesce(max(rowid), 0) + 1 FROM tokens;
    INSERT INTO journal_start SELECT 'users', coalesce(max(id), 0) + 1 FROM users;
    "#,
    // 20: incidents (raised, their tasks ended, their resources released), recipients and stock
    // minimums are journaled from here on.
    r#"
    INSERT INTO journal_start SELECT 'incidents', coalesce(max(id), 0) + 1 FROM incidents;
    INSERT INTO journal_start SELECT 'recipients', coalesce(max(rowid), 0) + 1 FROM recipients;
    INSERT INTO journal_start SELECT 'stock_minimums', coalesce(max(rowid), 0) + 1 FROM stock_minimums;
    "#,
    // 21: funds, warehouses, automatic release, feed subscriptions, external alerts, resources,
    // stations and the registry are journaled from here on.
    r#"
    INSERT INTO journal_start SELECT 'funds', coalesce(max(rowid), 0) + 1 FROM funds;
    INSERT INTO journal_start SELECT 'warehouses', coalesce(max(rowid), 0) + 1 FROM warehouses;
    INSERT INTO journal_start SELECT 'auto_release', coalesce(max(rowid), 0) + 1 FROM auto_release;
    INSERT INTO journal_start SELECT 'subscriptions', coalesce(max(id), 0) + 1 FROM subscriptions;
    INSERT INTO journal_start SELECT 'external_alerts', coalesce(max(id), 0) + 1 FROM external_alerts;
    INSERT INTO journal_start SELECT 'resources', coalesce(max(rowid), 0) + 1 FROM resources;
    INSERT INTO journal_start SELECT 'stations', coalesce(max(rowid), 0) + 1 FROM stations;
    "#,
    // 22: the domain of the station a journal entry is about, kept beside it for scoped reads
    // (no entry named a station before).
    r#"
    ALTER TABLE journal ADD COLUMN domain TEXT;
    "#,
    // 23: what entries name only by digest (drafts, CAP alerts, stations' definitions, the
    // registry and its boundaries) is kept beside the journal from the entry after the last.
    r#"
    CREATE TABLE journal_content (
        sha256 TEXT PRIMARY KEY,
        bytes BLOB NOT NULL
    ) WITHOUT ROWID;
    CREATE TRIGGER journal_content_never_changes BEFORE UPDATE ON journal_content
        BEGIN SELECT RAISE(ABORT, 'journal content never changes'); END;
    CREATE TRIGGER journal_content_never_goes BEFORE DELETE ON journal_content
        BEGIN SELECT RAISE(ABORT, 'journal content is never deleted'); END;
    INSERT INTO journal_start SELECT 'journal_content', count(*) FROM journal;
    "#,
];

#[cfg(test)]
mod tests {
    use crate::traits::*;
    use crate::{Durability, SqliteStore};

    #[test]
    fn a_new_store_has_every_migration_and_no_unused_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let store = SqliteStore::open(&path, Durability::Full).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            super::MIGRATIONS.len() as i64
        );
        drop(store);
        let conn = rusqlite::Connection::open(&path).unwrap();
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'login_failures'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(tables, 0);
    }

    /// A store written by migration 12 (level changes journaled with their commune as region,
    /// told to the warning desk directly) upgrades to what reads the journal by scope and cursor.
    #[test]
    fn a_journal_of_migration_12_keeps_its_entries_and_gains_hazards_and_a_desk_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let conn = rusqlite::Connection::open(&path).unwrap();
        for (index, sql) in super::MIGRATIONS[..12].iter().enumerate() {
            conn.execute_batch(sql).unwrap();
            conn.pragma_update(None, "user_version", index as i64 + 1)
                .unwrap();
        }
        let leaf = br#"{"change":{"kind":"level_changed","hazard":"heavy_rain"}}"#;
        let leaf = [&[1u8][..], leaf].concat();
        conn.execute(
            "INSERT INTO journal (idx, at_ms, kind, region, leaf, leaf_hash) VALUES (0, 0, 'level_changed', '04252', ?1, zeroblob(32))",
            [leaf],
        )
        .unwrap();
        drop(conn);
        let store = SqliteStore::open(&path, Durability::Full).unwrap();
        assert_eq!(store.journal_cursor("warnings").unwrap(), 1);
        drop(store);
        let conn = rusqlite::Connection::open(&path).unwrap();
        let (region, hazard): (String, String) = conn
            .query_row("SELECT region, hazard FROM journal", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((region.as_str(), hazard.as_str()), ("VN", "heavy_rain"));
        let refused = conn.execute("UPDATE journal SET region = '01'", []);
        assert!(refused.is_err(), "the trigger is back");
    }
}
