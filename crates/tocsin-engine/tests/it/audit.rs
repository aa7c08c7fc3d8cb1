//! The journal against the records it names, in the running engine: after a flood warning is
//! released, disseminated and acknowledged and an incident is noted, `audit::verify` passes;
//! a published alert altered, a delivery attempt changed or deleted, an acknowledgement removed
//! a timeline entry rewritten, a warning version, notification, ledger posting, token or
//! account changed or added, or a
//! silence set, lengthened or un-ended behind
//! the node's back (triggers dropped where they stand in the way) is named; so are an
//! incident's level, title, closing, command roles and ended tasks, a recipient's endpoints and
//! a stock minimum changed, added or removed, and a fund, warehouse, automatic release, feed
//! subscription, resource, station or unit of the registry changed, added or removed, and an alert received from another node changed or
//! deleted.

use crate::detect::{engine_with_station, yen_bai_gauge};
use crate::dispatch::{CLIMBING, Webhooks, recipients, release_flood};
use std::path::Path;
use std::sync::Arc;
use tocsin_core::Clock;
use tocsin_core::clock::ManualClock;
use tocsin_core::dispatch::Silence;
use tocsin_engine::EngineOptions;
use tocsin_engine::access::Principal;
use tocsin_engine::audit::verify::{VerifyError, verify};
use tocsin_engine::dispatch::read_policy;
use tocsin_engine::response::Report;
use tocsin_journal::note::NoteSigner;

/// A node whose journal names a released alert, an acknowledgement and timeline entries.
fn recorded_node(dir: &Path) {
    let receiver = Webhooks::start(0);
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let mut options = EngineOptions::new(tocsin_engine::Durability::Normal);
    options.dispatch.policy = read_policy(CLIMBING).unwrap();
    let engine = engine_with_station(dir, &options, clock.clone(), yen_bai_gauge());
    let admin = Principal::local_admin();
    engine
        .set_recipients(&admin, &recipients(&receiver))
        .unwrap();
    release_flood(&engine, &clock, &[30.2, 30.2, 30.3], 1);
    engine.run_dispatch().unwrap();
    let notification = engine.notifications(&admin, None, None, 10).unwrap().items[0].id;
    engine.acknowledge(&admin, notification).unwrap();
    let report = Report {
        hazard: "river_flood".into(),
        lat: 21.705,
        lon: 104.87,
        text: "Nước tràn qua cầu".into(),
        reporter: "Trạm y tế xã (synthetic)".into(),
        level: Some(3),
        attachments: Vec::new(),
    };
    let incident = engine.open_incident(&admin, &report).unwrap().incident;
    engine
        .add_incident_note(&admin, incident, "Đội cứu hộ đã đến hiện trường")
        .unwrap();
    engine
        .set_incident_role(
            &admin,
            incident,
            "commander",
            "Chủ tịch UBND xã (synthetic)",
        )
        .unwrap();
    let first_task = engine.incident(&admin, incident).unwrap().tasks[0]
        .task
        .clone();
    engine.complete_task(&admin, incident, &first_task).unwrap();
    let now = clock.now().as_millisecond();
    let silence = Silence {
        id: 0,
        matchers: Default::default(),
        recipient: None,
        starts_ms: now,
        ends_ms: now + 3_600_000,
        author: "Trực ban tỉnh".into(),
        reason: "Bảo trì cổng SMS".into(),
    };
    let kept = engine.add_silence(&admin, silence.clone()).unwrap();
    let ended = engine.add_silence(&admin, silence).unwrap();
    clock.set(jiff::Timestamp::from_millisecond(now + 300_000).unwrap());
    assert!(engine.expire_silence(&admin, ended).unwrap());
    assert_eq!((kept, ended), (1, 2));
    ledgers(&engine, &admin);
    let viewer = accounts(&engine, &admin);
    settings(&engine, &admin);
    readers_see_only_what_they_may_read(&engine, &viewer);
}

/// The kinds of the journal's entries `who` reads.
fn kinds_read_by(engine: &tocsin_engine::Engine, who: &Principal) -> Vec<String> {
    let page = engine.audit().entries(who, 0, 1000).unwrap();
    let kinds = page
        .entries
        .iter()
        .map(|e| e.event["change"]["kind"].as_str().unwrap());
    kinds.map(str::to_string).collect()
}

/// A province's viewer reads the journal's entries of its province, but none of the changes to
/// what viewers may not read: recipients, ledgers and their holders, subscriptions, accounts.
fn readers_see_only_what_they_may_read(engine: &tocsin_engine::Engine, viewer: &Principal) {
    let hidden = [
        "recipient_set",
        "funds_posted",
        "stock_posted",
        "stock_minimum_set",
        "holder_set",
        "token_issued",
        "user_added",
        "signed_in",
    ];
    let everything = kinds_read_by(engine, &Principal::local_admin());
    for kind in hidden {
        assert!(
            everything.iter().any(|k| k == kind),
            "{kind}: {everything:?}"
        );
    }
    let seen = kinds_read_by(engine, viewer);
    assert!(seen.iter().any(|k| k == "level_changed"), "{seen:?}");
    assert!(seen.iter().any(|k| k == "incident_opened"), "{seen:?}");
    for kind in hidden {
        assert!(
            !seen.iter().any(|k| k == kind),
            "a viewer reads {kind}: {seen:?}"
        );
    }
}

/// Automatic release, feed subscriptions (two removed, the last one's id given again) and a
/// resource (synthetic holder).
fn settings(engine: &tocsin_engine::Engine, admin: &Principal) {
    use tocsin_core::response::{Category, Tier};
    engine.set_auto_release(admin, "river_flood", 2).unwrap();
    engine.set_auto_release(admin, "heavy_rain", 1).unwrap();
    engine.set_auto_release(admin, "heavy_rain", 0).unwrap();
    let kept = engine
        .add_subscription(
            admin,
            "http://feed.example.org/cap?key=synthetic",
            "Nguồn A",
        )
        .unwrap();
    let removed = engine
        .add_subscription(admin, "http://other.example.org/cap", "Nguồn B")
        .unwrap();
    let last = engine
        .add_subscription(admin, "http://last.example.org/cap", "Nguồn C")
        .unwrap();
    engine.remove_subscription(admin, last.id).unwrap();
    let again = engine
        .add_subscription(admin, "http://again.example.org/cap", "Nguồn D")
        .unwrap();
    engine.remove_subscription(admin, removed.id).unwrap();
    assert_eq!((kept.id, removed.id, last.id), (1, 2, 3));
    assert_eq!(
        again.id, 3,
        "the store gives the last id again after its removal"
    );
    let boats = crate::response::resource(
        "boats-15",
        (Category::Materials, "boat"),
        4,
        (None, "15", Tier::Province, 104.9),
    );
    engine.set_resources(admin, &[boats]).unwrap();
    let received = engine
        .receive_forwarded(admin, FORWARDED.as_bytes())
        .unwrap();
    assert_eq!(received.alert.id, 1);
}

/// An alert a province node forwards, placed on Yên Bái by geocode.
const FORWARDED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>yenbai.tocsin.w7.v1</identifier>
  <sender>canhbao@yenbai.tocsin.test</sender>
  <sent>2026-11-22T09:00:00+07:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>vi-VN</language>
    <category>Met</category>
    <event>Lũ</event>
    <urgency>Expected</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <headline>Lũ trên sông Thao</headline>
    <area><areaDesc>Yên Bái</areaDesc><geocode><valueName>VN-DVHC</valueName><value>15</value></geocode></area>
  </info>
</alert>"#;

/// A viewer's token and a user account that signs in, is given a new password and is
/// disabled; returns the viewer.
fn accounts(engine: &tocsin_engine::Engine, admin: &Principal) -> Principal {
    use tocsin_core::access::{Role, Scope};
    let viewer = Scope {
        region: "15".into(),
        ..Scope::nation()
    };
    let (secret, _) = engine
        .create_token("Sở NN&PTNT Lào Cai", Role::Viewer, viewer.clone())
        .unwrap();
    let password = "một mật khẩu đủ dài 2026";
    engine
        .create_user(
            admin,
            "lan",
            "Nguyễn Thị Lan",
            password,
            Role::Operator,
            viewer,
        )
        .unwrap();
    engine.sign_in("lan", password).unwrap();
    engine
        .set_password(admin, "lan", "mật khẩu mới cũng đủ dài 2026")
        .unwrap();
    engine.disable_user(admin, "lan").unwrap();
    engine.authenticate(&secret).unwrap().unwrap()
}

/// A provincial fund with a contribution and a warehouse with a receipt (synthetic holders).
fn ledgers(engine: &tocsin_engine::Engine, admin: &Principal) {
    use tocsin_core::response::Tier;
    engine
        .create_fund(
            admin,
            "fund-15",
            "Quỹ tỉnh (synthetic)",
            Tier::Province,
            "15",
        )
        .unwrap();
    engine
        .contribute(
            admin,
            "fund-15",
            "state_budget",
            50_000_000,
            "Phân bổ của Nguyễn Văn A",
        )
        .unwrap();
    engine
        .create_warehouse(
            admin,
            "kho-15",
            "Kho tỉnh (synthetic)",
            Tier::Province,
            "15",
        )
        .unwrap();
    let receipt = tocsin_engine::response::ledgers::Movement {
        kind: "receipt".into(),
        warehouse: "kho-15".into(),
        item: "life_jacket".into(),
        quantity: 200,
        to: None,
        incident: None,
        note: "Nhập kho đợt 1".into(),
    };
    engine.move_stock(admin, &receipt).unwrap();
    engine
        .set_stock_minimum(admin, "kho-15", "life_jacket", 150)
        .unwrap();
}

fn verify_dir(dir: &Path) -> Result<tocsin_engine::audit::verify::Verified, VerifyError> {
    let key = std::fs::read_to_string(dir.join(tocsin_engine::audit::KEY_FILE)).unwrap();
    let key = NoteSigner::from_skey(key.trim()).unwrap().verifier();
    let store =
        tocsin_store::SqliteStore::open(&dir.join("tocsin.db"), tocsin_store::Durability::Normal)
            .unwrap();
    verify(&store, &key, &[])
}

/// `verify` of a copy of `dir` after `sql`, as a message.
fn after_edit(dir: &Path, sql: &str) -> String {
    let copy = tempfile::tempdir().unwrap();
    for file in std::fs::read_dir(dir).unwrap() {
        let file = file.unwrap().path();
        if file.is_file() {
            std::fs::copy(&file, copy.path().join(file.file_name().unwrap())).unwrap();
        }
    }
    let conn = rusqlite::Connection::open(copy.path().join("tocsin.db")).unwrap();
    conn.execute_batch(sql).unwrap();
    drop(conn);
    match verify_dir(copy.path()) {
        Ok(verified) => panic!("{sql}: not reported ({verified:?})"),
        Err(e) => e.to_string(),
    }
}

/// That `verify` of a copy of `dir` after `sql` says `what`.
fn reported(dir: &Path, sql: &str, what: &str) {
    let said = after_edit(dir, sql);
    assert!(said.contains(what), "{sql}: {said}");
}

#[test]
fn edits_of_alerts_acknowledgements_and_timelines_are_named() {
    let dir = tempfile::tempdir().unwrap();
    recorded_node(dir.path());
    let verified = verify_dir(dir.path()).unwrap();
    assert!(verified.records >= 4, "{verified:?}");
    let store = tocsin_store::SqliteStore::open(
        &dir.path().join("tocsin.db"),
        tocsin_store::Durability::Normal,
    )
    .unwrap();
    let regions: Vec<(String, String)> =
        tocsin_store::JournalStore::journal_entries(&store, 0, 1000)
            .unwrap()
            .into_iter()
            .filter(|e| e.kind.ends_with("_posted"))
            .map(|e| (e.kind, e.region))
            .collect();
    assert_eq!(
        regions,
        [
            ("funds_posted".into(), "15".into()),
            ("stock_posted".into(), "15".into())
        ],
        "a provincial holder's postings belong to its province"
    );
    let accounts: Vec<&str> = tocsin_core::change::KINDS
        .iter()
        .filter(|(_, resource)| *resource == tocsin_core::access::Resource::Users)
        .map(|(kind, _)| *kind)
        .collect();
    let kinds = |hidden: &[&str]| -> Vec<String> {
        let all = tocsin_store::RegionFilter::all();
        let read = tocsin_store::JournalStore::journal_read_in(&store, &all, 0, 1000, hidden);
        let mut kinds: Vec<String> = read.unwrap().entries.into_iter().map(|e| e.kind).collect();
        kinds.retain(|k| accounts.contains(&k.as_str()));
        kinds
    };
    assert_eq!(
        kinds(&[]),
        [
            "token_issued",
            "user_added",
            "signed_in",
            "password_changed",
            "user_disabled"
        ]
    );
    assert!(
        kinds(&accounts).is_empty(),
        "accounts are shown only to those who may read them"
    );
    drop(store);

    let said = after_edit(
        dir.path(),
        "DROP TRIGGER published_alerts_never_change;
         UPDATE warning_versions SET cap_xml = replace(cap_xml, 'cấp 1', 'cấp 3') WHERE state = 'published';",
    );
    assert!(
        said.contains("alert of warning 1 version 1: its CAP XML is not what journal entry"),
        "{said}"
    );

    let said = after_edit(
        dir.path(),
        "UPDATE delivery_attempts SET outcome = 'failed'",
    );
    assert!(
        said.contains("attempt 1 of delivery 1: its outcome is not what journal entry"),
        "{said}"
    );
    let said = after_edit(dir.path(), "DELETE FROM delivery_attempts");
    assert!(
        said.contains("attempt 1 of delivery 1 is not stored: it was deleted"),
        "{said}"
    );

    let said = after_edit(
        dir.path(),
        "UPDATE notifications SET acked_by = NULL, acked_ms = NULL",
    );
    assert!(
        said.contains("acknowledgement of notification 1 is not stored: it was deleted"),
        "{said}"
    );

    let said = after_edit(
        dir.path(),
        "UPDATE incident_timeline SET text = 'Không có gì xảy ra' WHERE kind = 'note'",
    );
    assert!(
        said.contains("its text is not what journal entry"),
        "{said}"
    );

    let said = after_edit(dir.path(), "UPDATE tokens SET role = 'admin'");
    assert!(
        said.starts_with("token ") && said.contains(": its role is not what journal entry"),
        "{said}"
    );
    let said = after_edit(
        dir.path(),
        "UPDATE users SET role = 'admin', scope_region = 'VN'",
    );
    assert!(
        said.contains("user 1: its role is not what journal entry"),
        "{said}"
    );
    let said = after_edit(
        dir.path(),
        "UPDATE users SET password_hash = '$argon2id$forged'",
    );
    assert!(
        said.contains("user 1: its password is not what journal entry"),
        "{said}"
    );
    let said = after_edit(dir.path(), "UPDATE users SET disabled = 0");
    assert!(
        said.contains("user 1: its disabling is not what journal entry"),
        "{said}"
    );
    let said = after_edit(
        dir.path(),
        "INSERT INTO tokens (id, hash, name, role, scope_region, domains, stations, created_ms)
         VALUES ('tk-added', 'x', 'added later', 'admin', 'VN', '', '', 0)",
    );
    assert!(
        said.contains("token tk-added: no journal entry names it"),
        "{said}"
    );

    let said = after_edit(
        dir.path(),
        "DROP TRIGGER stock_entries_never_change; UPDATE stock_entries SET delta = 2000",
    );
    assert!(
        said.contains("stock posting 1: its set of lines is not what journal entry"),
        "{said}"
    );
    let said = after_edit(
        dir.path(),
        "DROP TRIGGER fund_entries_never_change; UPDATE fund_entries SET memo = 'Chi cho ai đó'",
    );
    assert!(
        said.contains("fund posting 1: its memo is not what journal entry"),
        "{said}"
    );
    let said = after_edit(
        dir.path(),
        "INSERT INTO fund_entries (posting, account, amount, kind, memo, time_ms, by)
         SELECT posting + 1, account, amount, kind, memo, time_ms, by FROM fund_entries",
    );
    assert!(
        said.contains("fund posting 2: no journal entry names it"),
        "{said}"
    );

    let said = after_edit(
        dir.path(),
        "DROP TRIGGER published_alerts_never_change;
         UPDATE warning_versions SET level = level + 1 WHERE warning = 1 AND number = 1;",
    );
    assert!(
        said.contains("version 1 of warning 1: its level is not what journal entry"),
        "{said}"
    );
    let said = after_edit(
        dir.path(),
        "UPDATE notifications SET recipient = 'ubnd-khac'",
    );
    assert!(
        said.contains("notification 1: its recipient is not what journal entry"),
        "{said}"
    );
    let said = after_edit(
        dir.path(),
        "INSERT INTO notifications (recipient, warning, version, province, reason, needs_ack, created_ms, ack_token)
         SELECT recipient, warning, version, province, reason, needs_ack, created_ms, 'x' FROM notifications LIMIT 1",
    );
    assert!(
        said.starts_with("notification ")
            && said.contains("no journal entry names it: it was written outside the node"),
        "{said}"
    );

    let said = after_edit(
        dir.path(),
        "UPDATE silences SET ends_ms = ends_ms + 86400000 WHERE id = 1",
    );
    assert!(
        said.contains("silence 1: its end is not what journal entry"),
        "{said}"
    );
    let said = after_edit(
        dir.path(),
        "UPDATE silences SET expired_by = NULL, expired_ms = NULL WHERE id = 2",
    );
    assert!(
        said.contains("silence 2: its end is not what journal entry"),
        "{said}"
    );
    let said = after_edit(
        dir.path(),
        "INSERT INTO silences (matchers, starts_ms, ends_ms, author, reason, created_ms)
         SELECT matchers, starts_ms, ends_ms + 1, author, reason, created_ms FROM silences LIMIT 1",
    );
    assert!(
        said.contains("silence 3: no journal entry names it"),
        "{said}"
    );

    let said = after_edit(
        dir.path(),
        "INSERT INTO incident_timeline (incident, time_ms, kind, text, by)
         SELECT incident, time_ms, 'note', 'added later', by FROM incident_timeline LIMIT 1",
    );
    assert!(
        said.contains("no journal entry names it: it was written outside the node"),
        "{said}"
    );
}

#[test]
fn edits_of_incidents_recipients_and_stock_minimums_are_named() {
    let dir = tempfile::tempdir().unwrap();
    recorded_node(dir.path());
    verify_dir(dir.path()).unwrap();
    reported(
        dir.path(),
        "UPDATE incidents SET level = level + 1",
        "incident 1: its level is not what journal entry",
    );
    reported(
        dir.path(),
        "UPDATE incidents SET title = 'Không có gì'",
        "incident 1: its title is not what journal entry",
    );
    reported(
        dir.path(),
        "UPDATE incidents SET status = 'closed', closed_ms = 1, after_action = '{}'",
        "closing of incident 1: no journal entry names it",
    );
    reported(
        dir.path(),
        "UPDATE incident_roles SET holder = 'Ai đó'",
        "role commander of incident 2: its holder is not what journal entry",
    );
    reported(
        dir.path(),
        "INSERT INTO incident_roles (incident, role, holder, assigned_ms) VALUES (2, 'safety', 'Ai đó', 1)",
        "role safety of incident 2: no journal entry names it",
    );
    reported(
        dir.path(),
        "UPDATE incident_tasks SET status = 'open', ended_ms = NULL, ended_by = NULL WHERE status = 'done'",
        "of incident 2 is not stored: it was deleted",
    );
    reported(
        dir.path(),
        "UPDATE incident_tasks SET status = 'done', ended_ms = 1 WHERE status = 'open'",
        "end of task",
    );
    reported(
        dir.path(),
        "UPDATE incident_tasks SET status = 'done', ended_ms = 1 WHERE status = 'open'",
        "no journal entry names it: it was written outside the node",
    );
    reported(
        dir.path(),
        "UPDATE recipients SET endpoints = '[]'",
        "its endpoints is not what journal entry",
    );
    reported(
        dir.path(),
        "DELETE FROM recipients",
        "is not stored: it was deleted",
    );
    reported(
        dir.path(),
        "UPDATE stock_minimums SET minimum = 0",
        "minimum of life_jacket in warehouse kho-15: its minimum is not what journal entry",
    );
    reported(
        dir.path(),
        "INSERT INTO stock_minimums (warehouse, item, minimum) VALUES ('kho-15', 'rice_kg', 5)",
        "minimum of rice_kg in warehouse kho-15: no journal entry names it",
    );
}

#[test]
fn edits_of_holders_automatic_release_subscriptions_resources_stations_and_the_registry_are_named()
{
    let dir = tempfile::tempdir().unwrap();
    recorded_node(dir.path());
    verify_dir(dir.path()).unwrap();
    reported(
        dir.path(),
        "UPDATE funds SET region = '01'",
        "fund fund-15: its region is not what journal entry",
    );
    reported(
        dir.path(),
        "DELETE FROM warehouses",
        "its warehouse kho-15 is not stored: it was deleted",
    );
    reported(
        dir.path(),
        "UPDATE auto_release SET max_level = 5",
        "automatic release of river_flood: its highest level is not what journal entry",
    );
    reported(
        dir.path(),
        "INSERT INTO auto_release (hazard, max_level, set_by, set_ms) VALUES ('heavy_rain', 3, 'x', 1)",
        "automatic release of heavy_rain: its highest level is not what journal entry",
    );
    reported(
        dir.path(),
        "UPDATE subscriptions SET url = 'http://evil.example.org/cap' WHERE id = 1",
        "subscription 1: its address is not what journal entry",
    );
    reported(
        dir.path(),
        "INSERT INTO subscriptions (id, url, name, added_by, added_ms, next_poll_ms, failures)
         VALUES (2, 'http://other.example.org/cap', 'Nguồn B', 'x', 1, 1, 0)",
        "subscription 2: its removal is not what journal entry",
    );
    reported(
        dir.path(),
        "DELETE FROM subscriptions WHERE id = 3",
        "its subscription 3 is not stored: it was deleted",
    );
    reported(
        dir.path(),
        "INSERT INTO subscriptions (id, url, name, added_by, added_ms, next_poll_ms, failures)
         VALUES (4, 'http://third.example.org/cap', 'C', 'x', 1, 1, 0)",
        "subscription 4: no journal entry names it",
    );
    reported(
        dir.path(),
        "UPDATE external_alerts SET placement = 'outside'",
        "external alert 1: its placement is not what journal entry",
    );
    reported(
        dir.path(),
        "DELETE FROM external_alert_regions; DELETE FROM external_alerts",
        "its external alert 1 is not stored: it was deleted",
    );
    reported(
        dir.path(),
        "DROP TRIGGER journal_content_never_goes; DELETE FROM journal_content",
        "is not kept: it was deleted",
    );
    reported(
        dir.path(),
        "DROP TRIGGER journal_content_never_changes; UPDATE journal_content SET bytes = x'00'",
        "was changed",
    );
    reported(
        dir.path(),
        "DROP TRIGGER journal_content_never_goes;
         DELETE FROM journal_content WHERE sha256 IN (SELECT sha256 FROM journal_content
             WHERE bytes LIKE '{\"type\"%' LIMIT 1)",
        "is not kept: it was deleted",
    );
    reported(
        dir.path(),
        "UPDATE stations SET lat = lat + 0.5",
        "its definition is not what journal entry",
    );
    reported(
        dir.path(),
        "UPDATE series SET max = 1",
        "its definition is not what journal entry",
    );
    reported(
        dir.path(),
        "UPDATE regions SET name = 'Không tên' WHERE code = '15'",
        "the registry of units: its units and successions is not what journal entry",
    );
    reported(
        dir.path(),
        "UPDATE resources SET quantity = 40",
        "resource boats-15: its quantity is not what journal entry",
    );
    reported(
        dir.path(),
        "DELETE FROM resources",
        "its resource boats-15 is not stored: it was deleted",
    );
}
