//! Response endpoints: the resource registry (JSON or CSV), incidents (opened from a report,
//! their roles, tasks, requests, notes, closure with the after-action report, situation
//! reports), the reserves' stock ledger and the prevention and response funds.

use super::{AppState, blocking, paging};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Bytes, Json, Path, Query};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use tocsin_core::clock::timestamp_text;
use tocsin_core::response::matching::Need;
use tocsin_core::response::{Category, Tier};
use tocsin_engine::response::ledgers::Movement;
use tocsin_engine::response::{Report, resources};
use tocsin_engine::{IncidentDetail, IncidentOutcome, IncidentRecord, ResourceRecord};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/resources", get(list_resources).put(set_resources))
        .route("/api/v1/incidents", get(incidents).post(open_incident))
        .route("/api/v1/incidents/{id}", get(incident))
        .route("/api/v1/incidents/{id}/requests", post(request_resources))
        .route(
            "/api/v1/incidents/{id}/tasks/{task}/done",
            post(complete_task),
        )
        .route("/api/v1/incidents/{id}/roles/{role}", put(set_role))
        .route("/api/v1/incidents/{id}/notes", post(add_note))
        .route("/api/v1/incidents/{id}/close", post(close))
        .route("/api/v1/incidents/{id}/sitrep", get(sitrep))
        .route("/api/v1/reserves", get(reserves))
        .route("/api/v1/reserves/movements", post(move_stock))
        .route("/api/v1/reserves/minimums", put(set_minimum))
        .route("/api/v1/reserves/warehouses", post(create_warehouse))
        .route("/api/v1/funds", get(funds).post(create_fund))
        .route("/api/v1/funds/{id}/contributions", post(contribute))
        .route("/api/v1/funds/{id}/disbursements", post(disburse))
        .route("/api/v1/funds/postings/{posting}/reversal", post(reverse))
}

fn body_of<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("{what}: {e}")))
}

fn resource_json(r: &ResourceRecord) -> Value {
    json!({
        "id": r.id, "name": r.name, "category": r.category.as_str(), "kind": r.kind, "unit": r.unit,
        "quantity": r.quantity, "assigned": r.assigned, "status": r.status, "owner": r.owner,
        "commune": r.commune, "province": r.province, "tier": r.tier.as_str(), "lat": r.lat, "lon": r.lon,
        "readiness_minutes": r.readiness_minutes, "skills": r.skills,
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/resources",
    operation_id = "response_list_resources",
    tag = "response",
    summary = "The resource registry",
    responses((status = 200, description = "OK", body = ref("#/components/schemas/Resources")))
)]
async fn list_resources(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
) -> Result<Json<Value>, ApiError> {
    let engine = state.engine.clone();
    let found = blocking(move || engine.resources(&who)).await?;
    Ok(Json(found.iter().map(resource_json).collect()))
}

/// Creates or replaces resources: `text/csv` or a JSON array with the same columns.
#[utoipa::path(
    put,
    path = "/api/v1/resources",
    operation_id = "response_set_resources",
    tag = "response",
    summary = "Create or replace resources (CSV or JSON)",
    request_body(content((Vec<Object> = "application/json"), (String = "text/csv"))), responses((status = 200, description = "OK", body = ref("#/components/schemas/ResourceCount")))
)]
async fn set_resources(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/csv"));
    let parsed = if csv {
        resources::parse_csv(&body)
    } else {
        resources::parse_json(&body)
    };
    let records = parsed.map_err(|refused| match refused {
        resources::Refused::Unreadable(reason) => ApiError::bad_request(reason),
        resources::Refused::Records(errors) => ApiError::invalid_records(&errors),
    })?;
    let engine = state.engine.clone();
    let count = blocking(move || engine.set_resources(&who, &records)).await?;
    Ok(Json(json!({ "resources": count })))
}

fn incident_json(i: &IncidentRecord) -> Value {
    json!({
        "id": i.id, "title": i.title, "hazard": i.hazard, "area": i.area, "province": i.province,
        "tier": i.tier.as_str(), "level": i.level, "warning": i.warning, "exercise": i.exercise,
        "status": i.status, "source": i.source,
        "report": i.report.as_deref().and_then(|r| serde_json::from_str::<Value>(r).ok()),
        "opened": timestamp_text(i.opened_ms), "opened_by": i.opened_by,
        "closed": i.closed_ms.map(timestamp_text), "closed_by": i.closed_by,
        "after_action": i.after_action.as_deref().and_then(|r| serde_json::from_str::<Value>(r).ok()),
    })
}

fn detail_json(d: &IncidentDetail) -> Value {
    let mut out = incident_json(&d.incident);
    out["roles"] = d
        .roles
        .iter()
        .map(|(role, holder)| json!({"role": role, "holder": holder}))
        .collect();
    out["tasks"] = d.tasks.iter().map(|t| json!({
        "task": t.task, "scenario": t.scenario, "level": t.level, "title_vi": t.title_vi, "title_en": t.title_en,
        "lead": t.lead, "supporting": t.supporting, "depends_on": t.depends_on, "due": timestamp_text(t.due_ms),
        "status": t.status, "opened": timestamp_text(t.opened_ms), "ended": t.ended_ms.map(timestamp_text), "ended_by": t.ended_by,
    })).collect();
    out["requests"] = d.requests.iter().map(|r| json!({
        "id": r.id, "scenario": r.scenario, "category": r.category.as_str(), "kind": r.kind,
        "quantity": r.quantity, "unit": r.unit, "shortfall": r.shortfall, "created": timestamp_text(r.created_ms),
    })).collect();
    out["assignments"] = d.assignments.iter().map(|a| json!({
        "request": a.request, "resource": a.resource, "quantity": a.quantity, "source": a.source,
        "distance_km": a.distance_km, "assigned": timestamp_text(a.assigned_ms), "released": a.released_ms.map(timestamp_text),
    })).collect();
    out["timeline"] = d
        .timeline
        .iter()
        .map(|e| {
            json!({
                "time": timestamp_text(e.time_ms), "kind": e.kind, "text": e.text, "by": e.by,
            })
        })
        .collect();
    out
}

fn outcome_json(o: &IncidentOutcome) -> Value {
    json!({
        "incident": o.incident, "opened": o.opened, "tasks_added": o.tasks_added, "requests_added": o.requests_added,
        "allocations": o.plan.allocations.iter().map(|a| json!({
            "resource": a.resource, "quantity": a.quantity, "source": a.source.as_str(), "distance_km": a.distance_km,
        })).collect::<Vec<_>>(),
        "shortfalls": o.plan.shortfalls.iter().map(|s| json!({"kind": s.kind, "wanted": s.wanted, "missing": s.missing})).collect::<Vec<_>>(),
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Limit {
    /// Where the page starts: the `before=` of the previous page's `Link: rel="next"`.
    before: Option<String>,
    /// Rows per page, 1..=1000 (default 200).
    limit: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/api/v1/incidents",
    operation_id = "response_incidents",
    tag = "response",
    summary = "Incidents in the caller's scope",
    params(Limit), responses((status = 200, description = "OK", body = ref("#/components/schemas/Incidents"), headers(("Link" = String, description = "`<…&before=CURSOR>; rel=\"next\"` when the list was cut at `limit`"), ("X-More" = String, description = "`true` when the list was cut at `limit`"))))
)]
async fn incidents(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    uri: Uri,
    Query(q): Query<Limit>,
) -> Result<Response, ApiError> {
    let before = paging::before::<IncidentRecord>(q.before.as_deref())?;
    let engine = state.engine.clone();
    let page =
        blocking(move || engine.incidents(&who, before.as_ref(), q.limit.unwrap_or(200))).await?;
    let answer = Json(page.items.iter().map(incident_json).collect::<Value>()).into_response();
    Ok(paging::with_next(answer, &uri, &page))
}

#[utoipa::path(
    post,
    path = "/api/v1/incidents",
    operation_id = "response_open_incident",
    tag = "response",
    summary = "Open an incident from a report",
    request_body(content = ref("#/components/schemas/IncidentReport"), content_type = "application/json"), responses((status = 200, description = "OK", body = ref("#/components/schemas/Outcome")))
)]
async fn open_incident(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let report: Report = body_of(&body, "report")?;
    let engine = state.engine.clone();
    let outcome = blocking(move || engine.open_incident(&who, &report)).await?;
    Ok(Json(outcome_json(&outcome)))
}

#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}",
    operation_id = "response_incident",
    tag = "response",
    summary = "One incident with its roles, tasks, requests and notes",
    params(("id" = u64, Path, description = "the incident's id")), responses((status = 200, description = "OK", body = ref("#/components/schemas/Incident")))
)]
async fn incident(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(id): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    let engine = state.engine.clone();
    let found = blocking(move || engine.incident(&who, id)).await?;
    Ok(Json(detail_json(&found)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RequestBody {
    #[schema(value_type = String)]
    category: Category,
    kind: String,
    quantity: u64,
    #[serde(default)]
    unit: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/requests",
    operation_id = "response_request_resources",
    tag = "response",
    summary = "Request resources for an incident",
    params(("id" = u64, Path, description = "the incident's id")), request_body(content = Vec<RequestBody>, content_type = "application/json"), responses((status = 200, description = "OK", body = ref("#/components/schemas/Outcome")))
)]
async fn request_resources(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(id): Path<u64>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let asked: Vec<RequestBody> = body_of(
        &body,
        "requests (a JSON array of {category, kind, quantity, unit})",
    )?;
    let needs: Vec<(Need, String)> = asked
        .into_iter()
        .map(|r| {
            (
                Need {
                    category: r.category,
                    kind: r.kind,
                    quantity: r.quantity,
                },
                r.unit,
            )
        })
        .collect();
    let engine = state.engine.clone();
    let outcome = blocking(move || engine.request_resources(&who, id, &needs)).await?;
    Ok(Json(outcome_json(&outcome)))
}

#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/tasks/{task}/done",
    operation_id = "response_complete_task",
    tag = "response",
    summary = "Mark a task done",
    params(("id" = u64, Path, description = "the incident's id"), ("task" = String, Path, description = "the task")), responses((status = 200, description = "OK", body = ref("#/components/schemas/Done")))
)]
async fn complete_task(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path((id, task)): Path<(u64, String)>,
) -> Result<Json<Value>, ApiError> {
    let engine = state.engine.clone();
    blocking(move || engine.complete_task(&who, id, &task)).await?;
    Ok(Json(json!({"done": true})))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Holder {
    holder: String,
}

#[utoipa::path(
    put,
    path = "/api/v1/incidents/{id}/roles/{role}",
    operation_id = "response_set_role",
    tag = "response",
    summary = "Give an incident role to someone",
    params(("id" = u64, Path, description = "the incident's id"), ("role" = String, Path, description = "the role")), request_body(content = Holder, content_type = "application/json"), responses((status = 200, description = "OK", body = ref("#/components/schemas/Outcome")))
)]
async fn set_role(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path((id, role)): Path<(u64, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let holder: Holder = body_of(&body, "role holder ({\"holder\": …})")?;
    let engine = state.engine.clone();
    blocking(move || engine.set_incident_role(&who, id, &role, &holder.holder)).await?;
    Ok(Json(json!({"assigned": true})))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Text {
    text: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/notes",
    operation_id = "response_add_note",
    tag = "response",
    summary = "Add a note to an incident's log",
    params(("id" = u64, Path, description = "the incident's id")), request_body(content = Text, content_type = "application/json"), responses((status = 200, description = "OK", body = ref("#/components/schemas/Outcome")))
)]
async fn add_note(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(id): Path<u64>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let note: Text = body_of(&body, "note ({\"text\": …})")?;
    let engine = state.engine.clone();
    blocking(move || engine.add_incident_note(&who, id, &note.text)).await?;
    Ok(Json(json!({"noted": true})))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Summary {
    summary: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/incidents/{id}/close",
    operation_id = "response_close",
    tag = "response",
    summary = "Close an incident with its after-action summary",
    params(("id" = u64, Path, description = "the incident's id")), request_body(content = Summary, content_type = "application/json"), responses((status = 200, description = "OK", body = ref("#/components/schemas/Outcome")))
)]
async fn close(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(id): Path<u64>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let summary: Summary = body_of(&body, "closure ({\"summary\": …})")?;
    let engine = state.engine.clone();
    let report = blocking(move || engine.close_incident(&who, id, &summary.summary)).await?;
    Ok(Json(serde_json::to_value(report).unwrap_or_default()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Lang {
    lang: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}/sitrep",
    operation_id = "response_sitrep",
    tag = "response",
    summary = "A situation report of an incident",
    params(("id" = u64, Path, description = "the incident's id"), Lang), responses((status = 200, description = "the report as text", body = String, content_type = "text/plain"))
)]
async fn sitrep(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(id): Path<u64>,
    Query(q): Query<Lang>,
) -> Result<Response, ApiError> {
    let english = q.lang.as_deref() == Some("en");
    let engine = state.engine.clone();
    let text = blocking(move || engine.situation_report(&who, id, english)).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/reserves",
    operation_id = "response_reserves",
    tag = "response",
    summary = "Stock balances of the reserves",
    responses((status = 200, description = "OK", body = ref("#/components/schemas/Stock")))
)]
async fn reserves(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
) -> Result<Json<Value>, ApiError> {
    let engine = state.engine.clone();
    let balances = blocking(move || engine.stock_balances(&who)).await?;
    Ok(Json(balances.iter().map(|(warehouse, item, balance, minimum)| json!({
        "warehouse": warehouse, "item": item, "balance": balance, "minimum": minimum, "below_minimum": *balance < *minimum as i64,
    })).collect()))
}

#[utoipa::path(
    post,
    path = "/api/v1/reserves/movements",
    operation_id = "response_move_stock",
    tag = "response",
    summary = "Post a stock movement",
    request_body(content = ref("#/components/schemas/Movement"), content_type = "application/json"), responses((status = 200, description = "OK", body = ref("#/components/schemas/Moved")))
)]
async fn move_stock(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let movement: Movement = body_of(&body, "movement")?;
    let engine = state.engine.clone();
    let (posting, replenish) = blocking(move || engine.move_stock(&who, &movement)).await?;
    Ok(Json(json!({
        "posting": posting,
        "replenish": replenish.iter().map(|r| json!({"warehouse": r.warehouse, "item": r.item, "balance": r.balance, "minimum": r.minimum})).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Minimum {
    warehouse: String,
    item: String,
    minimum: u64,
}

#[utoipa::path(
    put,
    path = "/api/v1/reserves/minimums",
    operation_id = "response_set_minimum",
    tag = "response",
    summary = "Set a warehouse's minimum of an item",
    request_body(content = Minimum, content_type = "application/json"), responses((status = 200, description = "OK", body = ref("#/components/schemas/Done")))
)]
async fn set_minimum(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let m: Minimum = body_of(&body, "minimum")?;
    let engine = state.engine.clone();
    blocking(move || engine.set_stock_minimum(&who, &m.warehouse, &m.item, m.minimum)).await?;
    Ok(Json(json!({"set": true})))
}

#[utoipa::path(
    get,
    path = "/api/v1/funds",
    operation_id = "response_funds",
    tag = "response",
    summary = "The funds' balances and postings",
    responses((status = 200, description = "OK", body = ref("#/components/schemas/Funds")))
)]
async fn funds(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
) -> Result<Json<Value>, ApiError> {
    let engine = state.engine.clone();
    let (entries, balances) = blocking(move || engine.fund_report(&who)).await?;
    Ok(Json(json!({
        "balances": balances,
        "postings": entries.iter().map(|(id, p)| json!({
            "posting": id, "kind": p.kind, "memo": p.memo, "incident": p.incident, "reverses": p.reverses,
            "time": timestamp_text(p.time_ms), "by": p.by, "approved_by": p.approved_by,
            "lines": p.lines.iter().map(|l| json!({"account": l.account, "amount_vnd": l.amount})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewHolder {
    id: String,
    name: String,
    #[schema(value_type = String)]
    tier: Tier,
    region: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/reserves/warehouses",
    operation_id = "response_create_warehouse",
    tag = "response",
    summary = "Register a reserve warehouse of a level and region",
    request_body(content = NewHolder, content_type = "application/json"), responses((status = 200, description = "OK", body = ref("#/components/schemas/Done")))
)]
async fn create_warehouse(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let w: NewHolder = body_of(&body, "warehouse")?;
    let engine = state.engine.clone();
    blocking(move || engine.create_warehouse(&who, &w.id, &w.name, w.tier, &w.region)).await?;
    Ok(Json(json!({"created": true})))
}

#[utoipa::path(
    post,
    path = "/api/v1/funds",
    operation_id = "response_create_fund",
    tag = "response",
    summary = "Create a fund",
    request_body(content = NewHolder, content_type = "application/json"), responses((status = 200, description = "OK", body = ref("#/components/schemas/Done")))
)]
async fn create_fund(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let fund: NewHolder = body_of(&body, "fund")?;
    let engine = state.engine.clone();
    blocking(move || engine.create_fund(&who, &fund.id, &fund.name, fund.tier, &fund.region))
        .await?;
    Ok(Json(json!({"created": true})))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Contribution {
    source: String,
    amount_vnd: i64,
    memo: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/funds/{id}/contributions",
    operation_id = "response_contribute",
    tag = "response",
    summary = "Contribute to a fund",
    params(("id" = String, Path, description = "the fund's id")), request_body(content = Contribution, content_type = "application/json"), responses((status = 200, description = "OK", body = ref("#/components/schemas/Posting")))
)]
async fn contribute(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(fund): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let c: Contribution = body_of(&body, "contribution")?;
    let engine = state.engine.clone();
    let posting =
        blocking(move || engine.contribute(&who, &fund, &c.source, c.amount_vnd, &c.memo)).await?;
    Ok(Json(json!({"posting": posting})))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Disbursement {
    incident: u64,
    #[serde(default)]
    task: Option<String>,
    amount_vnd: i64,
    memo: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/funds/{id}/disbursements",
    operation_id = "response_disburse",
    tag = "response",
    summary = "Disburse from a fund to an incident",
    params(("id" = String, Path, description = "the fund's id")), request_body(content = Disbursement, content_type = "application/json"), responses((status = 200, description = "OK", body = ref("#/components/schemas/Posting")))
)]
async fn disburse(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(fund): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let d: Disbursement = body_of(&body, "disbursement")?;
    let engine = state.engine.clone();
    let posting = blocking(move || {
        engine.disburse(
            &who,
            &fund,
            d.incident,
            d.task.as_deref(),
            d.amount_vnd,
            &d.memo,
        )
    })
    .await?;
    Ok(Json(json!({"posting": posting})))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Memo {
    memo: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/funds/postings/{posting}/reversal",
    operation_id = "response_reverse",
    tag = "response",
    summary = "Reverse a posting",
    params(("posting" = u64, Path, description = "the posting's number")), request_body(content = Memo, content_type = "application/json"), responses((status = 200, description = "OK", body = ref("#/components/schemas/Posting")))
)]
async fn reverse(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(posting): Path<u64>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let m: Memo = body_of(&body, "reversal ({\"memo\": …})")?;
    let engine = state.engine.clone();
    let reversal = blocking(move || engine.reverse_posting(&who, posting, &m.memo)).await?;
    Ok(Json(json!({"posting": reversal})))
}
