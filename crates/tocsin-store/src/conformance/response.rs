//! Conformance of response: incidents with their tasks, requests booked against the free
//! resources, and the reserve and fund ledgers posted all or nothing.

use crate::traits::*;
use crate::*;
use tocsin_core::change::Actor;
use tocsin_core::response::ledger::{FundLine, StockLine};
use tocsin_core::response::matching::{Allocation, Available, Need, Plan, Source};
use tocsin_core::response::{Category, Tier};

fn boats(quantity: u64) -> ResourceRecord {
    ResourceRecord {
        id: "R1".into(),
        name: "Xuồng cứu hộ".into(),
        category: Category::Materials,
        kind: "boat".into(),
        unit: "chiếc".into(),
        quantity,
        assigned: 0,
        status: "available".into(),
        owner: "synthetic".into(),
        commune: Some("00004".into()),
        province: "01".into(),
        tier: Tier::Province,
        lon: 105.8,
        lat: 21.0,
        readiness_minutes: 30,
        skills: Vec::new(),
    }
}

fn new_incident() -> NewIncident {
    NewIncident {
        title: "Ngập lụt".into(),
        hazard: "flood".into(),
        area: "00004".into(),
        province: "01".into(),
        tier: Tier::Province,
        level: 3,
        warning: None,
        exercise: false,
        source: "synthetic".into(),
        report: None,
        opened_ms: 1000,
        opened_by: "duty".into(),
    }
}

fn task(id: &str) -> TaskRecord {
    TaskRecord {
        task: id.into(),
        scenario: "flood".into(),
        level: 3,
        title_vi: format!("Việc {id}"),
        title_en: format!("Task {id}"),
        lead: "police".into(),
        supporting: Vec::new(),
        depends_on: Vec::new(),
        due_ms: 5000,
        status: "open".into(),
        opened_ms: 1000,
        ended_ms: None,
        ended_by: None,
    }
}

/// Books every need from the first free resource of its kind, as far as it goes.
fn first_free(available: &[Available], needs: &[Need]) -> Plan {
    let mut plan = Plan::default();
    for (need, wanted) in needs.iter().enumerate() {
        if let Some(free) = available
            .iter()
            .find(|a| a.kind == wanted.kind && a.free > 0)
        {
            plan.allocations.push(Allocation {
                need,
                resource: free.id.clone(),
                quantity: wanted.quantity.min(free.free),
                source: Source::OnSite,
                distance_km: 0.0,
            });
        }
    }
    plan
}

fn open_with_request(store: &dyn Store, quantity: u64) -> IncidentOutcome {
    let update = IncidentUpdate {
        existing: None,
        incident: new_incident(),
        tasks: vec![task("evacuate"), task("report")],
        requests: vec![NewRequest {
            scenario: "flood".into(),
            position: 0,
            need: Need {
                category: Category::Materials,
                kind: "boat".into(),
                quantity,
            },
            unit: "chiếc".into(),
        }],
        draw_from: vec!["01".into()],
    };
    store
        .update_incident(&update, &first_free, &Actor::User("duty".into()))
        .unwrap()
}

fn province(code: &str) -> RegionFilter {
    RegionFilter {
        root: FilterRoot::Province(code.into()),
        domains: Vec::new(),
    }
}

pub fn an_incident_books_free_resources_and_its_last_task_releases_them(store: &dyn Store) {
    store
        .upsert_resources(&[boats(3)], 0, &Actor::Node)
        .unwrap();
    let set = store.journal_entries(0, 1).unwrap()[0].event().unwrap();
    assert_eq!(set.region, "01");
    assert!(
        matches!(&set.change, tocsin_core::change::Change::ResourceSet { resource, quantity: 3, lon, .. } if resource == "R1" && lon == "105.8"),
        "{set:?}"
    );
    let outcome = open_with_request(store, 2);
    assert!(outcome.opened);
    assert_eq!((outcome.tasks_added, outcome.requests_added), (2, 1));
    let booked = |store: &dyn Store| store.resources(&province("01")).unwrap()[0].assigned;
    assert_eq!(booked(store), 2);
    let second = open_with_request(store, 2);
    assert_eq!(
        second.plan.allocations[0].quantity, 1,
        "only what is still free is booked"
    );
    assert_eq!(booked(store), 3);
    let id = outcome.incident;
    let by = Actor::User("duty".into());
    assert!(
        store
            .complete_task(id, "evacuate", 2000, "duty", &by)
            .unwrap()
    );
    assert!(
        !store
            .complete_task(id, "evacuate", 2000, "duty", &by)
            .unwrap(),
        "not open any more"
    );
    assert_eq!(booked(store), 3);
    assert!(
        store
            .complete_task(id, "report", 3000, "duty", &by)
            .unwrap()
    );
    assert_eq!(booked(store), 1, "the first incident's boats are back");
    let detail = store.incident(id).unwrap().unwrap();
    assert!(detail.tasks.iter().all(|t| t.status != "open"));
    assert!(detail.assignments.iter().all(|a| a.released_ms.is_some()));
    assert!(detail.timeline.iter().any(|e| e.kind == "opened"));
    store
        .set_incident_role(id, "commander", "Trần Văn B", 3500, "duty", &by)
        .unwrap();
    assert!(store.close_incident(id, "{}", 4000, "duty", &by).unwrap());
    assert!(!store.close_incident(id, "{}", 4000, "duty", &by).unwrap());
    let listed = store.incidents(&province("01"), None, 10).unwrap();
    assert_eq!(
        listed.iter().map(|i| i.id).collect::<Vec<_>>(),
        [second.incident, id]
    );
    assert!(
        store
            .incidents(&province("02"), None, 10)
            .unwrap()
            .is_empty()
    );
}

/// The journaled changes to incident `id`, as (kind, change).
fn incident_changes(store: &dyn Store, id: u64) -> Vec<tocsin_core::change::Change> {
    use tocsin_core::change::Change;
    let entries = store.journal_entries(0, 1000).unwrap();
    entries
        .iter()
        .map(|e| e.event().unwrap().change)
        .filter(|change| match change {
            Change::IncidentOpened { incident, .. }
            | Change::ResourceBooked { incident, .. }
            | Change::IncidentRaised { incident, .. }
            | Change::TasksEnded { incident, .. }
            | Change::ResourcesReleased { incident, .. }
            | Change::IncidentRoleSet { incident, .. }
            | Change::IncidentClosed { incident, .. } => *incident == id,
            _ => false,
        })
        .collect()
}

pub fn every_change_to_an_incident_is_journaled_in_its_order(store: &dyn Store) {
    use tocsin_core::change::Change;
    store
        .upsert_resources(&[boats(3)], 0, &Actor::Node)
        .unwrap();
    let id = open_with_request(store, 2).incident;
    let by = Actor::User("duty".into());
    let raise = |level: u8| IncidentUpdate {
        existing: Some(id),
        incident: NewIncident {
            level,
            opened_ms: 1500,
            ..new_incident()
        },
        tasks: Vec::new(),
        requests: Vec::new(),
        draw_from: Vec::new(),
    };
    store.update_incident(&raise(4), &first_free, &by).unwrap();
    store.update_incident(&raise(2), &first_free, &by).unwrap();
    assert_eq!(store.incident(id).unwrap().unwrap().incident.level, 4);
    store
        .complete_task(id, "evacuate", 2000, "duty", &by)
        .unwrap();
    store
        .set_incident_role(id, "commander", "Trần Văn B", 2500, "duty", &by)
        .unwrap();
    store.close_incident(id, "{}", 4000, "duty", &by).unwrap();
    let changes = incident_changes(store, id);
    let kinds: Vec<&str> = changes.iter().map(Change::kind).collect();
    assert_eq!(
        kinds,
        [
            "incident_opened",
            "resource_booked",
            "incident_raised",
            "tasks_ended",
            "incident_role_set",
            "tasks_ended",
            "resources_released",
            "incident_closed"
        ],
        "a raise to a lower level changes nothing and is not journaled"
    );
    let assignment = store.incident(id).unwrap().unwrap().assignments[0].id;
    assert!(matches!(
        &changes[2],
        Change::IncidentRaised { level: 4, .. }
    ));
    assert!(
        matches!(&changes[3], Change::TasksEnded { tasks, status, .. } if tasks == &["evacuate"] && status == "done")
    );
    assert!(
        matches!(&changes[5], Change::TasksEnded { tasks, status, .. } if tasks == &["report"] && status == "closed")
    );
    assert!(
        matches!(&changes[6], Change::ResourcesReleased { assignments, .. } if assignments == &[assignment])
    );
}

pub fn a_stock_posting_that_would_overdraw_changes_nothing(store: &dyn Store) {
    let keeper = Actor::User("keeper".into());
    store
        .upsert_warehouse("W1", "Kho 1", Tier::Province, "01", 800, &keeper)
        .unwrap();
    store
        .set_stock_minimum("W1", "rice_kg", 50, 900, &keeper)
        .unwrap();
    let journaled = store.journal_entries(0, 10).unwrap();
    let minimum = journaled
        .iter()
        .find(|e| e.kind == "stock_minimum_set")
        .unwrap();
    assert_eq!(journaled[0].kind, "holder_set");
    assert_eq!(
        (minimum.region.as_str(), minimum.at_ms),
        ("01", 900),
        "the warehouse's region"
    );
    let posting = |delta: i64| StockPosting {
        lines: vec![StockLine {
            warehouse: "W1".into(),
            item: "rice_kg".into(),
            delta,
        }],
        kind: if delta > 0 { "receipt" } else { "issue" }.into(),
        incident: None,
        note: String::new(),
        time_ms: 1000,
        by: "keeper".into(),
    };
    let by = Actor::User("keeper".into());
    let (_, short) = store.post_stock(&posting(100), "01", &by).unwrap();
    assert!(short.is_empty());
    let (_, short) = store.post_stock(&posting(-60), "01", &by).unwrap();
    assert_eq!(short.len(), 1, "40 left is under the minimum of 50");
    assert!(store.post_stock(&posting(-41), "01", &by).is_err());
    assert_eq!(
        store.stock_balances().unwrap(),
        [("W1".into(), "rice_kg".into(), 40, 50)]
    );
}

pub fn a_fund_posting_balances_or_is_refused(store: &dyn Store) {
    store
        .upsert_fund("F1", "Quỹ 1", Tier::Province, "01", 0, &Actor::Node)
        .unwrap();
    let posting = |lines: Vec<(&str, i64)>| FundPosting {
        lines: lines
            .into_iter()
            .map(|(account, amount)| FundLine {
                account: account.into(),
                amount,
            })
            .collect(),
        kind: "transfer".into(),
        memo: String::new(),
        incident: None,
        reverses: None,
        time_ms: 1000,
        by: "treasurer".into(),
        approved_by: None,
    };
    let by = Actor::User("treasurer".into());
    let first = store
        .post_funds(
            &posting(vec![("fund:F1", 1000), ("budget:01", -1000)]),
            "01",
            &by,
        )
        .unwrap();
    assert!(
        store
            .post_funds(
                &posting(vec![("fund:F1", 10), ("budget:01", -5)]),
                "01",
                &by
            )
            .is_err()
    );
    assert!(
        store
            .post_funds(
                &posting(vec![("fund:F1", -2000), ("spent:01", 2000)]),
                "01",
                &by
            )
            .is_err()
    );
    assert_eq!(store.fund_balance_under("fund:F1").unwrap(), 1000);
    assert_eq!(store.fund_postings(first).unwrap().len(), 1);
    assert_eq!(
        store.fund_postings(0).unwrap().len(),
        1,
        "refused postings leave nothing"
    );
}
