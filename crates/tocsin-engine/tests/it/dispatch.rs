//! Dissemination in the running engine: a released warning reaches its recipients' webhooks
//! (the receiver of `receiver.rs`) exactly once by idempotency key through failures and a
//! restart, every attempt recorded; an
//! unacknowledged commune warning climbs to the province and then the nation on time.

use crate::detect::{engine_with_station, send, wait_for, yen_bai_gauge};
use crate::receiver::{Receiver, SECRET, receiver};
use std::sync::{Arc, Mutex};
use tocsin_core::Clock;
use tocsin_core::clock::ManualClock;
use tocsin_core::dispatch::{Recipient, Tier};
use tocsin_engine::access::Principal;
use tocsin_engine::channels::{Endpoint, WebhookBody};
use tocsin_engine::dispatch::{RecipientEntry, read_policy};
use tocsin_engine::{Engine, EngineOptions};

/// A receiver and its base URL.
pub(crate) struct Webhooks {
    url: String,
    state: Arc<Mutex<Receiver>>,
}

impl Webhooks {
    /// A receiver that answers 503 to the first `failures` requests.
    pub(crate) fn start(failures: usize) -> Webhooks {
        let (url, state) = receiver(&vec![(503, "busy"); failures]);
        Webhooks { url, state }
    }

    fn delivered(&self, path: &str) -> Vec<String> {
        self.state.lock().unwrap().delivered(path)
    }
}

fn recipient(id: &str, sector: &str, region: &str, tier: Tier, url: &str) -> RecipientEntry {
    RecipientEntry {
        recipient: Recipient {
            id: id.into(),
            name: id.into(),
            sector: sector.into(),
            region: region.into(),
            tier,
            exercises: false,
        },
        language: "vi".into(),
        endpoints: vec![Endpoint::Webhook {
            url: url.into(),
            secret: Some(SECRET.into()),
            body: WebhookBody::Json,
        }],
        exercise_endpoints: Vec::new(),
    }
}

pub(crate) fn recipients(receiver: &Webhooks) -> Vec<RecipientEntry> {
    vec![
        recipient(
            "ubnd-04252",
            "standing",
            "04252",
            Tier::Commune,
            &format!("{}/commune", receiver.url),
        ),
        recipient(
            "ca-15",
            "standing",
            "15",
            Tier::Province,
            &format!("{}/province", receiver.url),
        ),
        recipient(
            "centre",
            "standing",
            "VN",
            Tier::National,
            &format!("{}/national", receiver.url),
        ),
    ]
}

fn advance_s(clock: &ManualClock, seconds: i64) {
    clock.set(clock.now() + jiff::SignedDuration::from_secs(seconds));
}

/// A released river flood warning in commune 04252 (Lào Cai) at `levels`' last level.
pub(crate) fn release_flood(engine: &Engine, clock: &ManualClock, levels: &[f64], observed: usize) {
    send(engine, 0, levels);
    wait_for(engine, observed);
    advance_s(clock, 300);
    let draft = engine.tick_warnings().unwrap().remove(0);
    engine
        .release_warning(&Principal::local_admin(), draft.warning, draft.number)
        .unwrap();
}

#[test]
fn each_recipient_gets_its_webhook_exactly_once_through_failures_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Webhooks::start(2);
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let options = EngineOptions::new(tocsin_engine::Durability::Normal);
    let engine = engine_with_station(dir.path(), &options, clock.clone(), yen_bai_gauge());
    engine
        .set_recipients(&Principal::local_admin(), &recipients(&receiver))
        .unwrap();
    release_flood(&engine, &clock, &[29.0, 30.2, 31.5, 32.4, 33.2, 33.98], 3);
    let made = engine.run_dispatch().unwrap();
    assert_eq!(
        made.len(),
        1,
        "the commune hears at once; the others wait their group"
    );
    drop(engine);
    let engine = Engine::open(dir.path(), &options, clock.clone()).unwrap();
    for _ in 0..40 {
        advance_s(&clock, 5);
        engine.run_dispatch().unwrap();
    }
    for path in ["/commune", "/province", "/national"] {
        assert_eq!(receiver.delivered(path).len(), 1, "{path}");
    }
    let record = engine
        .notifications(&Principal::local_admin(), None, None, 10)
        .unwrap()
        .items;
    let commune = record.iter().find(|n| n.recipient == "ubnd-04252").unwrap();
    let outcomes: Vec<&str> = commune.deliveries[0]
        .attempts
        .iter()
        .map(|a| a.outcome.as_str())
        .collect();
    assert_eq!(outcomes, ["failed", "failed", "delivered"]);
    let state = receiver.state.lock().unwrap();
    let commune_requests = state.requests.iter().filter(|r| r.path == "/commune");
    let keys: Vec<&String> = commune_requests
        .filter_map(|r| r.headers.get("idempotency-key"))
        .collect();
    assert_eq!(keys.len(), 3, "two refused, one accepted");
    assert_eq!(
        state.bad_signatures, 0,
        "every attempt is signed with the recipient's secret"
    );
    assert!(
        keys.iter().all(|k| *k == keys[0]),
        "every retry carries the same key: {keys:?}"
    );
}

pub(crate) const CLIMBING: &str = r#"
ack_min_level = 1
ack_timeout_s = { commune = 900, province = 900 }

[[route]]
name = "commune"
recipients = { tier = "commune", within = "area" }
"#;

#[test]
fn an_unacknowledged_commune_warning_reaches_the_province_then_the_nation_on_time() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Webhooks::start(0);
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let mut options = EngineOptions::new(tocsin_engine::Durability::Normal);
    options.dispatch.policy = read_policy(CLIMBING).unwrap();
    let engine = engine_with_station(dir.path(), &options, clock.clone(), yen_bai_gauge());
    engine
        .set_recipients(&Principal::local_admin(), &recipients(&receiver))
        .unwrap();
    release_flood(&engine, &clock, &[30.2, 30.2, 30.3], 1);
    engine.run_dispatch().unwrap();
    assert_eq!(receiver.delivered("/commune").len(), 1);
    advance_s(&clock, 14 * 60);
    engine.run_dispatch().unwrap();
    assert!(
        receiver.delivered("/province").is_empty(),
        "not before 15 minutes"
    );
    advance_s(&clock, 60);
    engine.run_dispatch().unwrap();
    assert_eq!(
        receiver.delivered("/province").len(),
        1,
        "15 minutes without acknowledgement"
    );
    advance_s(&clock, 15 * 60);
    engine.run_dispatch().unwrap();
    assert_eq!(receiver.delivered("/national").len(), 1);
    let record = engine
        .notifications(&Principal::local_admin(), None, None, 10)
        .unwrap()
        .items;
    let national = record.iter().find(|n| n.recipient == "centre").unwrap();
    assert!(
        national.reason.contains("escalation") && national.reason.contains("province"),
        "{}",
        national.reason
    );
}

#[test]
fn an_acknowledgement_stops_the_climb() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Webhooks::start(0);
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let mut options = EngineOptions::new(tocsin_engine::Durability::Normal);
    options.dispatch.policy = read_policy(CLIMBING).unwrap();
    let engine = engine_with_station(dir.path(), &options, clock.clone(), yen_bai_gauge());
    engine
        .set_recipients(&Principal::local_admin(), &recipients(&receiver))
        .unwrap();
    release_flood(&engine, &clock, &[30.2, 30.2, 30.3], 1);
    engine.run_dispatch().unwrap();
    let record = engine
        .notifications(&Principal::local_admin(), None, None, 10)
        .unwrap()
        .items;
    engine
        .acknowledge(&Principal::local_admin(), record[0].id)
        .unwrap();
    advance_s(&clock, 60 * 60);
    engine.run_dispatch().unwrap();
    assert!(receiver.delivered("/province").is_empty());
    let record = engine
        .notifications(&Principal::local_admin(), None, None, 10)
        .unwrap()
        .items;
    assert_eq!(record[0].acked_by.as_deref(), Some("token local"));
}

const AT_ONCE: &str = r#"
[[route]]
name = "commune"
recipients = { tier = "commune", within = "area" }
"#;

#[test]
fn the_worker_releases_and_delivers_as_soon_as_a_threshold_is_crossed() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Webhooks::start(0);
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let mut options = EngineOptions::new(tocsin_engine::Durability::Normal);
    options.dispatch.policy = read_policy(AT_ONCE).unwrap();
    options.warnings.policy.group_window_ms = 0;
    let engine = Arc::new(engine_with_station(
        dir.path(),
        &options,
        clock.clone(),
        yen_bai_gauge(),
    ));
    engine
        .set_recipients(&Principal::local_admin(), &recipients(&receiver))
        .unwrap();
    engine
        .set_auto_release(&Principal::local_admin(), "river_flood", 5)
        .unwrap();
    engine.start_worker();
    send(&engine, 0, &[29.0, 30.2]);
    for _ in 0..500 {
        if !receiver.delivered("/commune").is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(
        receiver.delivered("/commune").len(),
        1,
        "released and delivered without any tick from outside"
    );
}

#[test]
fn channels_marked_for_exercises_need_a_drill_participant() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let engine = crate::detect::open(dir.path(), clock);
    let admin = Principal::local_admin();
    let mut idle = recipient(
        "ubnd-04252",
        "standing",
        "04252",
        Tier::Commune,
        "http://127.0.0.1:9/a",
    );
    idle.exercise_endpoints = idle.endpoints.clone();
    let good = recipient(
        "ca-15",
        "standing",
        "15",
        Tier::Province,
        "http://127.0.0.1:9/b",
    );
    let error = engine
        .set_recipients(&admin, &[good, idle.clone()])
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("recipient ubnd-04252: exercise_endpoints: only a drill participant"),
        "{error}"
    );
    assert!(
        engine.recipients(&admin).unwrap().is_empty(),
        "nothing was stored"
    );
    idle.recipient.exercises = true;
    engine.set_recipients(&admin, &[idle]).unwrap();
    let stored = engine.recipients(&admin).unwrap();
    assert_eq!(
        stored[0].exercise_endpoints.len(),
        1,
        "kept across the store"
    );
}
