//! Response in the running engine: a level-3 flood warning on a commune opens one incident with
//! the scenario's tasks and requests, filled on-site first and then from further away, with the
//! shortfall named; a rise to level 4 adds the level-4 tasks without repeating any; a cancel
//! closes the open tasks and releases the resources. And 100 concurrent requests against
//! limited stock never book more than there is.

use crate::detect::{engine_with_station, send, wait_for, yen_bai_gauge};
use std::collections::BTreeMap;
use std::sync::Arc;
use tocsin_core::clock::ManualClock;
use tocsin_core::response::matching::Need;
use tocsin_core::response::{Category, Tier};
use tocsin_core::station::AttributeValue;
use tocsin_engine::access::Principal;
use tocsin_engine::{Engine, EngineOptions};
use tocsin_store::{IncidentDetail, ResourceRecord};

/// The commune of the Yên Bái gauge, and its province.
const COMMUNE: &str = "04252";
const PROVINCE: &str = "15";

/// A synthetic resource: what it is, how many, and where (commune, province, tier, longitude).
pub(crate) fn resource(
    id: &str,
    (category, kind): (Category, &str),
    quantity: u64,
    (commune, province, tier, lon): (Option<&str>, &str, Tier, f64),
) -> ResourceRecord {
    ResourceRecord {
        id: id.into(),
        name: format!("{id} (synthetic)"),
        category,
        kind: kind.into(),
        unit: "unit".into(),
        quantity,
        assigned: 0,
        status: "available".into(),
        owner: "synthetic agency".into(),
        commune: commune.map(str::to_string),
        province: province.into(),
        tier,
        lon,
        lat: 21.7,
        readiness_minutes: 30,
        skills: Vec::new(),
    }
}

/// A gauge in a QĐ 18 area-4 river (levels up to 5 against BĐ1–3 and the historic peak), the
/// river flood released automatically, and a synthetic registry of resources: a few boats in the
/// commune, more in the province and a neighbouring one, life jackets in the national reserve,
/// no food rations anywhere.
fn flood_desk(dir: &std::path::Path, clock: Arc<ManualClock>) -> Engine {
    let mut options = EngineOptions::new(tocsin_engine::Durability::Normal);
    options.warnings.policy.group_window_ms = 0;
    let mut gauge = yen_bai_gauge();
    gauge
        .attributes
        .insert("station_area".into(), AttributeValue::Number(4.0));
    gauge
        .attributes
        .insert("historic".into(), AttributeValue::Number(40.0));
    let engine = engine_with_station(dir, &options, clock, gauge);
    let admin = Principal::local_admin();
    engine.set_auto_release(&admin, "river_flood", 5).unwrap();
    let neighbour = engine.province_neighbours().unwrap()[PROVINCE][0].clone();
    let neighbour_commune = engine.children(&admin, &neighbour, None).unwrap()[0]
        .code
        .clone();
    let resources = vec![
        resource(
            "boat-on-site",
            (Category::Materials, "boat"),
            2,
            (Some(COMMUNE), PROVINCE, Tier::Commune, 104.87),
        ),
        resource(
            "boat-near",
            (Category::Materials, "boat"),
            1,
            (Some("04273"), PROVINCE, Tier::Commune, 104.95),
        ),
        resource(
            "boat-far",
            (Category::Materials, "boat"),
            5,
            (Some("02647"), PROVINCE, Tier::Commune, 103.97),
        ),
        resource(
            "boat-neighbour",
            (Category::Materials, "boat"),
            10,
            (Some(&neighbour_commune), &neighbour, Tier::Province, 105.2),
        ),
        resource(
            "jackets-on-site",
            (Category::Materials, "life_jacket"),
            100,
            (Some(COMMUNE), PROVINCE, Tier::Commune, 104.87),
        ),
        resource(
            "jackets-reserve",
            (Category::Materials, "life_jacket"),
            2_000,
            (None, "01", Tier::National, 105.85),
        ),
        resource(
            "rescue-on-site",
            (Category::Forces, "rescue_personnel"),
            12,
            (Some(COMMUNE), PROVINCE, Tier::Commune, 104.87),
        ),
        resource(
            "rescue-province",
            (Category::Forces, "rescue_personnel"),
            40,
            (None, PROVINCE, Tier::Province, 104.9),
        ),
        resource(
            "post-on-site",
            (Category::Command, "command_post"),
            1,
            (Some(COMMUNE), PROVINCE, Tier::Commune, 104.87),
        ),
    ];
    engine.set_resources(&admin, &resources).unwrap();
    engine
}

fn incident(engine: &Engine) -> IncidentDetail {
    let admin = Principal::local_admin();
    let incidents = engine.incidents(&admin, None, 10).unwrap().items;
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    engine.incident(&admin, incidents[0].id).unwrap()
}

/// Quantity booked per resource (not released).
fn booked(detail: &IncidentDetail) -> BTreeMap<String, u64> {
    let mut found = BTreeMap::new();
    for a in detail
        .assignments
        .iter()
        .filter(|a| a.released_ms.is_none())
    {
        *found.entry(a.resource.clone()).or_default() += a.quantity;
    }
    found
}

#[test]
fn a_flood_warning_runs_its_scenarios_on_site_first_and_stands_down_on_cancel() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let engine = flood_desk(dir.path(), clock);
    let admin = Principal::local_admin();
    send(&engine, 0, &[31.5, 31.5, 31.5]);
    wait_for(&engine, 1);
    engine.tick_warnings().unwrap();

    let detail = incident(&engine);
    assert_eq!(detail.incident.level, 3);
    assert_eq!(detail.incident.area, PROVINCE);
    let tasks: Vec<&str> = detail.tasks.iter().map(|t| t.task.as_str()).collect();
    assert!(tasks.contains(&"command-post@04252"), "{tasks:?}");
    assert!(
        !tasks.iter().any(|t| t.starts_with("evacuate")),
        "no level-4 task yet: {tasks:?}"
    );
    let scenarios: Vec<&str> = detail
        .requests
        .iter()
        .map(|r| r.scenario.as_str())
        .collect();
    assert!(
        scenarios.contains(&"flood-commune-3@04252"),
        "{scenarios:?}"
    );

    let boats = booked(&detail);
    assert_eq!(
        boats.get("boat-on-site"),
        Some(&2),
        "on-site first: {boats:?}"
    );
    assert_eq!(
        boats.get("boat-near"),
        Some(&1),
        "then the nearest in the province: {boats:?}"
    );
    assert_eq!(boats.get("jackets-on-site"), Some(&100));
    assert!(
        boats.get("jackets-reserve").is_some_and(|q| *q >= 400),
        "the rest from the national reserve: {boats:?}"
    );
    assert_eq!(boats.get("rescue-on-site"), Some(&12));
    let sources: Vec<&str> = detail
        .assignments
        .iter()
        .map(|a| a.source.as_str())
        .collect();
    assert!(
        sources.contains(&"on_site") && sources.contains(&"national_reserve"),
        "{sources:?}"
    );
    let rations = detail
        .requests
        .iter()
        .find(|r| r.kind == "food_ration")
        .unwrap();
    assert_eq!(
        rations.shortfall, rations.quantity,
        "no rations anywhere: the whole need is short"
    );
    assert!(
        detail
            .timeline
            .iter()
            .any(|e| e.kind == "shortfall" && e.text.contains("food_ration"))
    );

    // The river rises to level 4: the level-4 tasks are added, none twice.
    send(&engine, 3, &[33.0]);
    wait_for(&engine, 3);
    engine.tick_warnings().unwrap();
    let risen = incident(&engine);
    assert!(risen.incident.level >= 4, "observed 4, perhaps forecast 5");
    let tasks: Vec<&str> = risen.tasks.iter().map(|t| t.task.as_str()).collect();
    assert!(tasks.contains(&"evacuate@04252"), "{tasks:?}");
    let unique: std::collections::BTreeSet<&str> = tasks.iter().copied().collect();
    assert_eq!(unique.len(), tasks.len(), "no task twice: {tasks:?}");
    assert_eq!(
        risen
            .tasks
            .iter()
            .filter(|t| t.task == "command-post@04252")
            .count(),
        1
    );

    // The warning is cancelled: open tasks closed, every resource released.
    let warning = risen.incident.warning.unwrap();
    let cancel = engine.cancel_warning(&admin, warning).unwrap();
    engine
        .release_warning(&admin, cancel.warning, cancel.number)
        .ok();
    engine.tick_warnings().unwrap();
    let ended = incident(&engine);
    assert!(
        ended.tasks.iter().all(|t| t.status != "open"),
        "{:#?}",
        ended.tasks
    );
    assert!(booked(&ended).is_empty(), "every assignment released");
    let free: u64 = engine
        .resources(&admin)
        .unwrap()
        .iter()
        .map(|r| r.assigned)
        .sum();
    assert_eq!(free, 0, "nothing is still assigned");
}

#[test]
fn concurrent_requests_never_book_more_than_there_is() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let engine = Arc::new(flood_desk(dir.path(), clock));
    let admin = Principal::local_admin();
    send(&engine, 0, &[31.5, 31.5, 31.5]);
    wait_for(&engine, 1);
    engine.tick_warnings().unwrap();
    let id = incident(&engine).incident.id;
    let pumps = ResourceRecord {
        quantity: 37,
        ..resource(
            "pumps",
            (Category::Materials, "pump"),
            37,
            (Some(COMMUNE), PROVINCE, Tier::Commune, 104.87),
        )
    };
    engine.set_resources(&admin, &[pumps]).unwrap();
    let threads: Vec<_> = (0..100)
        .map(|_| {
            let engine = engine.clone();
            std::thread::spawn(move || {
                let need = Need {
                    category: Category::Materials,
                    kind: "pump".into(),
                    quantity: 1,
                };
                engine.request_resources(&Principal::local_admin(), id, &[(need, "pump".into())])
            })
        })
        .collect();
    let mut granted = 0;
    for thread in threads {
        let outcome = thread.join().unwrap().unwrap();
        granted += outcome
            .plan
            .allocations
            .iter()
            .map(|a| a.quantity)
            .sum::<u64>();
    }
    assert_eq!(granted, 37, "exactly the stock, never more");
    let pumps = engine
        .resources(&admin)
        .unwrap()
        .into_iter()
        .find(|r| r.id == "pumps")
        .unwrap();
    assert_eq!(pumps.assigned, 37);
    let short = incident(&engine)
        .requests
        .iter()
        .filter(|r| r.kind == "pump" && r.shortfall == 1)
        .count();
    assert_eq!(short, 63, "every request that got nothing says so");
}

#[test]
fn an_after_action_report_costs_the_incidents_disbursements_net_of_reversals() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
    let options = EngineOptions::new(tocsin_engine::Durability::Normal);
    let engine = engine_with_station(dir.path(), &options, clock, yen_bai_gauge());
    let admin = Principal::local_admin();
    let report = |text: &str| tocsin_engine::response::Report {
        hazard: "flash_flood".into(),
        lat: 21.705,
        lon: 104.87,
        text: text.into(),
        reporter: "commune (synthetic)".into(),
        level: Some(1),
        attachments: Vec::new(),
    };
    let first = engine
        .open_incident(&admin, &report("a slide"))
        .unwrap()
        .incident;
    let other = engine
        .open_incident(&admin, &report("another slide"))
        .unwrap()
        .incident;
    let task = engine.incident(&admin, first).unwrap().tasks[0]
        .task
        .clone();
    engine
        .create_fund(
            &admin,
            "fund-15",
            "Lào Cai fund (synthetic)",
            Tier::Province,
            PROVINCE,
        )
        .unwrap();
    engine
        .contribute(&admin, "fund-15", "state_budget", 100_000_000, "allocation")
        .unwrap();
    let fuel = engine
        .disburse(&admin, "fund-15", first, None, 10_000_000, "fuel")
        .unwrap();
    engine
        .disburse(
            &admin,
            "fund-15",
            first,
            Some(&task),
            5_000_000,
            "spotters' allowance",
        )
        .unwrap();
    engine
        .disburse(
            &admin,
            "fund-15",
            other,
            None,
            7_000_000,
            "another incident's food",
        )
        .unwrap();
    engine
        .reverse_posting(&admin, fuel, "posted twice")
        .unwrap();
    let after = engine.close_incident(&admin, first, "cleared").unwrap();
    assert_eq!(after.costs_vnd, 5_000_000, "{after:#?}");
}
