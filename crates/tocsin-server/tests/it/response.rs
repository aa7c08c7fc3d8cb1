//! Response over HTTP: a released flood warning opens its incident with the scenario's tasks and
//! requests; resources are set as CSV (a bad line is named, nothing stored) within scope;
//! requests, tasks, roles, notes, the situation report and closure with the after-action
//! report; the reserves refuse to go negative; fund postings are balanced, approved and reversed
//! once. A Hà Nội token sees none of Lào Cai's incidents.

use crate::warnings::{GAUGE_CSV, flood};
use crate::{Fixture, send_to};
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use tocsin_core::Clock;
use tocsin_core::clock::ManualClock;
use tocsin_engine::access::Principal;

const RESOURCES: &str = "id,name,category,kind,unit,quantity,status,owner,commune,province,tier,lat,lon,readiness_minutes,skills\n\
    LC-BOAT-1,Xuồng cứu hộ (synthetic),materials,boat,boat,3,available,Ban CHQS phường,04252,15,commune,21.705,104.87,20,\n\
    LC-RESCUE,Đội cứu hộ tỉnh (synthetic),forces,rescue_personnel,person,200,available,Bộ CHQS tỉnh,,15,province,21.72,104.9,60,swimming;first aid\n";

struct Response {
    fixture: Fixture,
}

impl Response {
    async fn call(
        &self,
        method: &str,
        uri: &str,
        token: &str,
        kind: &str,
        body: impl Into<String>,
    ) -> (StatusCode, Value) {
        let (status, _, text) = send_to(
            &self.fixture.state,
            method,
            uri,
            Some(token),
            kind,
            body.into(),
        )
        .await;
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn admin(&self, method: &str, uri: &str, body: Value) -> (StatusCode, Value) {
        let token = self.fixture.admin.clone();
        self.call(method, uri, &token, "application/json", body.to_string())
            .await
    }
}

async fn flooded() -> Response {
    let fixture = tokio::task::spawn_blocking(|| {
        let clock = Arc::new(ManualClock::new("2026-11-22T03:00:00Z".parse().unwrap()));
        let fixture = Fixture::build(clock.clone(), GAUGE_CSV);
        let engine = &fixture.state.engine;
        let resources =
            tocsin_engine::response::resources::parse_csv(RESOURCES.as_bytes()).unwrap();
        engine
            .set_resources(&Principal::local_admin(), &resources)
            .unwrap();
        flood(engine);
        clock.set(clock.now() + jiff::SignedDuration::from_mins(5));
        let draft = engine.tick_warnings().unwrap().remove(0);
        engine
            .release_warning(&Principal::local_admin(), draft.warning, draft.number)
            .unwrap();
        fixture
    })
    .await
    .unwrap();
    Response { fixture }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_warning_opens_an_incident_that_is_run_and_closed_over_http() {
    let r = flooded().await;
    let (status, list) = r.admin("GET", "/api/v1/incidents", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let id = list[0]["id"].as_u64().unwrap();
    let hanoi = r.fixture.hanoi.clone();
    let (_, theirs) = r.call("GET", "/api/v1/incidents", &hanoi, "", "").await;
    assert_eq!(theirs, json!([]), "Hà Nội sees none of Lào Cai's incidents");
    let (status, _) = r
        .call("GET", &format!("/api/v1/incidents/{id}"), &hanoi, "", "")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, detail) = r
        .admin("GET", &format!("/api/v1/incidents/{id}"), Value::Null)
        .await;
    let tasks: Vec<&str> = detail["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["task"].as_str().unwrap())
        .collect();
    assert!(tasks.contains(&"command-post@04252"), "{tasks:?}");
    let boats = detail["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["resource"] == "LC-BOAT-1")
        .unwrap();
    assert_eq!(
        (boats["quantity"].as_u64(), boats["source"].as_str()),
        (Some(3), Some("on_site"))
    );
    let short = detail["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["kind"] == "boat")
        .unwrap();
    assert_eq!(short["shortfall"], 1, "4 boats asked, 3 found: {short}");

    let uri = format!("/api/v1/incidents/{id}/requests");
    let (status, outcome) = r.admin("POST", &uri, json!([{"category": "forces", "kind": "rescue_personnel", "quantity": 5, "unit": "person"}])).await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(
        outcome["allocations"][0]["resource"], "LC-RESCUE",
        "{outcome}"
    );
    let (status, _) = r
        .admin(
            "POST",
            &uri,
            json!([{"category": "boats", "kind": "boat", "quantity": 1}]),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, _) = r
        .admin(
            "PUT",
            &format!("/api/v1/incidents/{id}/roles/commander"),
            json!({"holder": "Chủ tịch UBND phường Yên Bái"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = r
        .admin(
            "PUT",
            &format!("/api/v1/incidents/{id}/roles/mayor"),
            json!({"holder": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = r
        .admin(
            "POST",
            &format!("/api/v1/incidents/{id}/tasks/command-post@04252/done"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = r
        .admin(
            "POST",
            &format!("/api/v1/incidents/{id}/tasks/command-post@04252/done"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a task is done once");
    let (status, _) = r
        .admin(
            "POST",
            &format!("/api/v1/incidents/{id}/notes"),
            json!({"text": "Nước rút chậm"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, sitrep) = r
        .admin(
            "GET",
            &format!("/api/v1/incidents/{id}/sitrep?lang=en"),
            Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let sitrep = sitrep.as_str().unwrap();
    assert!(
        sitrep.contains("SITUATION REPORT") && sitrep.contains("commander: Chủ tịch"),
        "{sitrep}"
    );

    let (_, detail) = r
        .admin("GET", &format!("/api/v1/incidents/{id}"), Value::Null)
        .await;
    let rescuers: u64 = detail["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["resource"] == "LC-RESCUE")
        .map(|a| a["quantity"].as_u64().unwrap())
        .sum();
    let (status, report) = r
        .admin(
            "POST",
            &format!("/api/v1/incidents/{id}/close"),
            json!({"summary": "Lũ rút, không thiệt hại về người"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["tasks_done"], 1);
    assert_eq!(
        report["resources_used"]["rescue_personnel"], rescuers,
        "the scenarios' and the 5 asked: {report}"
    );
    let boats_short: u64 = detail["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["kind"] == "boat")
        .map(|q| q["shortfall"].as_u64().unwrap())
        .sum();
    assert_eq!(report["shortfalls"]["boat"], boats_short);
    let (_, resources) = r.admin("GET", "/api/v1/resources", Value::Null).await;
    assert!(
        resources
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["assigned"] == 0),
        "closing released everything: {resources}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resources_are_checked_whole_and_kept_within_scope() {
    let r = flooded().await;
    let bad = RESOURCES.replace(",materials,", ",boats,");
    let token = r.fixture.admin.clone();
    let (status, body) = r
        .call("PUT", "/api/v1/resources", &token, "text/csv", bad)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (&body["details"][0]["record"], &body["details"][0]["field"]),
        (&json!("line 2"), &json!("category")),
        "{body}"
    );
    let hanoi = r.fixture.hanoi.clone();
    let (status, body) = r
        .call("PUT", "/api/v1/resources", &hanoi, "text/csv", RESOURCES)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let shrink = RESOURCES.replace(",boat,3,", ",boat,1,");
    let (status, body) = r
        .call("PUT", "/api/v1/resources", &token, "text/csv", shrink)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "3 boats are assigned: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserves_never_go_negative_and_funds_balance() {
    let r = flooded().await;
    let (_, list) = r.admin("GET", "/api/v1/incidents", Value::Null).await;
    let incident = list[0]["id"].as_u64().unwrap();
    let unknown =
        json!({"kind": "receipt", "warehouse": "KHO-15", "item": "life_jacket", "quantity": 500});
    let (status, body) = r.admin("POST", "/api/v1/reserves/movements", unknown).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not registered yet: {body}");
    let warehouse = json!({"id": "KHO-15", "name": "Kho dự trữ tỉnh Lào Cai", "tier": "province", "region": "15"});
    assert_eq!(
        r.admin("POST", "/api/v1/reserves/warehouses", warehouse)
            .await
            .0,
        StatusCode::OK
    );
    let receipt =
        json!({"kind": "receipt", "warehouse": "KHO-15", "item": "life_jacket", "quantity": 500});
    assert_eq!(
        r.admin("POST", "/api/v1/reserves/movements", receipt)
            .await
            .0,
        StatusCode::OK
    );
    let minimum = json!({"warehouse": "KHO-15", "item": "life_jacket", "minimum": 300});
    assert_eq!(
        r.admin("PUT", "/api/v1/reserves/minimums", minimum).await.0,
        StatusCode::OK
    );
    let too_much = json!({"kind": "issue", "warehouse": "KHO-15", "item": "life_jacket", "quantity": 600, "incident": incident});
    let (status, body) = r
        .admin("POST", "/api/v1/reserves/movements", too_much)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        body["error"].as_str().unwrap().contains("holds 500"),
        "{body}"
    );
    let issue = json!({"kind": "issue", "warehouse": "KHO-15", "item": "life_jacket", "quantity": 250, "incident": incident});
    let (_, moved) = r.admin("POST", "/api/v1/reserves/movements", issue).await;
    assert_eq!(
        moved["replenish"][0]["balance"], 250,
        "below the minimum of 300: {moved}"
    );
    let (_, balances) = r.admin("GET", "/api/v1/reserves", Value::Null).await;
    assert_eq!(balances[0]["below_minimum"], true);

    let fund = json!({"id": "pccc-15", "name": "Quỹ phòng, chống thiên tai tỉnh Lào Cai", "tier": "province", "region": "15"});
    assert_eq!(
        r.admin("POST", "/api/v1/funds", fund).await.0,
        StatusCode::OK
    );
    let gift =
        json!({"source": "social", "amount_vnd": 500_000_000, "memo": "Ủng hộ của doanh nghiệp"});
    assert_eq!(
        r.admin("POST", "/api/v1/funds/pccc-15/contributions", gift)
            .await
            .0,
        StatusCode::OK
    );
    let pay = json!({"incident": incident, "amount_vnd": 120_000_000, "memo": "Thuê xuồng"});
    let (_, paid) = r
        .admin("POST", "/api/v1/funds/pccc-15/disbursements", pay)
        .await;
    let posting = paid["posting"].as_u64().unwrap();
    let overdraw = json!({"incident": incident, "amount_vnd": 900_000_000, "memo": "quá số dư"});
    assert_eq!(
        r.admin("POST", "/api/v1/funds/pccc-15/disbursements", overdraw)
            .await
            .0,
        StatusCode::CONFLICT
    );
    let hanoi = r.fixture.hanoi.clone();
    let theirs = json!({"incident": incident, "amount_vnd": 1, "memo": "x"}).to_string();
    let (status, _) = r
        .call(
            "POST",
            "/api/v1/funds/pccc-15/disbursements",
            &hanoi,
            "application/json",
            theirs,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "Hà Nội cannot pay for a Lào Cai incident"
    );
    let uri = format!("/api/v1/funds/postings/{posting}/reversal");
    assert_eq!(
        r.admin("POST", &uri, json!({"memo": "nhầm hóa đơn"}))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        r.admin("POST", &uri, json!({"memo": "lần hai"})).await.0,
        StatusCode::CONFLICT
    );
    let (_, report) = r.admin("GET", "/api/v1/funds", Value::Null).await;
    assert_eq!(report["balances"]["fund:pccc-15"], 500_000_000);
    assert_eq!(
        report["balances"][format!("disbursement:incident:{incident}")],
        0
    );
    let total: i64 = report["balances"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .sum();
    assert_eq!(total, 0, "double entry: every posting balances");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn funds_and_warehouses_are_written_and_read_within_their_region() {
    let r = flooded().await;
    let holders = [
        (
            "/api/v1/funds",
            json!({"id": "pccc-15", "name": "Quỹ Lào Cai", "tier": "province", "region": "15"}),
        ),
        (
            "/api/v1/funds",
            json!({"id": "pccc-vn", "name": "Quỹ trung ương", "tier": "national", "region": "VN"}),
        ),
        (
            "/api/v1/reserves/warehouses",
            json!({"id": "kho-15", "name": "Kho Lào Cai", "tier": "province", "region": "15"}),
        ),
        (
            "/api/v1/reserves/warehouses",
            json!({"id": "kho-vn", "name": "Kho quốc gia", "tier": "national", "region": "VN"}),
        ),
    ];
    for (uri, body) in holders {
        assert_eq!(r.admin("POST", uri, body).await.0, StatusCode::OK);
    }
    let admin_01 = r
        .fixture
        .state
        .engine
        .create_token(
            "admin of 01",
            tocsin_core::access::Role::Admin,
            tocsin_core::access::Scope {
                region: "01".into(),
                domains: Vec::new(),
                stations: Vec::new(),
            },
        )
        .unwrap()
        .0;
    let hanoi = r.fixture.hanoi.clone();
    let gift = json!({"source": "social", "amount_vnd": 1000, "memo": "x"});
    let receipt = |warehouse: &str| json!({"kind": "receipt", "warehouse": warehouse, "item": "rice", "quantity": 1});
    let refused = [
        (&hanoi, "/api/v1/funds/pccc-15/contributions", gift.clone()),
        (&hanoi, "/api/v1/funds/pccc-vn/contributions", gift.clone()),
        (
            &admin_01,
            "/api/v1/funds/pccc-vn/contributions",
            gift.clone(),
        ),
        (&hanoi, "/api/v1/reserves/movements", receipt("kho-15")),
        (&admin_01, "/api/v1/reserves/movements", receipt("kho-vn")),
        (
            &admin_01,
            "/api/v1/funds",
            json!({"id": "f-vn", "name": "n", "tier": "national", "region": "VN"}),
        ),
        (
            &admin_01,
            "/api/v1/funds",
            json!({"id": "f-79", "name": "n", "tier": "province", "region": "79"}),
        ),
        (
            &admin_01,
            "/api/v1/reserves/warehouses",
            json!({"id": "k-vn", "name": "n", "tier": "national", "region": "VN"}),
        ),
    ];
    for (token, uri, body) in refused {
        let (status, answer) = r
            .call("POST", uri, token, "application/json", body.to_string())
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "POST {uri} {body}: {answer}");
    }
    let own = json!({"id": "pccc-01", "name": "Quỹ Hà Nội", "tier": "province", "region": "01"});
    let (status, answer) = r
        .call(
            "POST",
            "/api/v1/funds",
            &admin_01,
            "application/json",
            own.to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, answer) = r
        .call(
            "POST",
            "/api/v1/funds/pccc-01/contributions",
            &hanoi,
            "application/json",
            gift.to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (_, report) = r.call("GET", "/api/v1/funds", &hanoi, "", "").await;
    let funds = report.to_string();
    assert!(
        funds.contains("pccc-01") && !funds.contains("pccc-15") && !funds.contains("pccc-vn"),
        "{funds}"
    );
    assert!(
        !report["balances"].to_string().contains("contribution:"),
        "the sources' totals are national: {funds}"
    );
    assert_eq!(
        r.admin("POST", "/api/v1/reserves/movements", receipt("kho-15"))
            .await
            .0,
        StatusCode::OK
    );
    let (_, stock) = r.call("GET", "/api/v1/reserves", &hanoi, "", "").await;
    assert_eq!(stock, json!([]), "Lào Cai's stock is not Hà Nội's to read");
    let (status, _) = r
        .call(
            "POST",
            "/api/v1/reserves/movements",
            &hanoi,
            "application/json",
            receipt("no-such").to_string(),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "stock goes only to a registered warehouse"
    );
}
