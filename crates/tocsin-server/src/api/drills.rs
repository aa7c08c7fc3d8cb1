//! Drills on this node: an administrator sends a scenario (`POST /api/v1/drills?speed=60x`, the
//! TOML as the body) and it runs in an exercise space of its own on an accelerated clock; its
//! notices reach only the node's recipients marked as drill participants. `GET /api/v1/drills`
//! lists them, `GET /api/v1/drills/{id}` follows one and gives its scored report once finished,
//! `POST /api/v1/drills/{id}/cancel` stops a running one before its next step (it is then shown
//! as cancelled, with its report as far as it got, and the next drill may start), and
//! `DELETE /api/v1/drills/{id}` removes one that no longer runs with its exercise space.

use super::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Json, Path, Query, Text};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use tocsin_core::access::{Access, Resource};
use tocsin_engine::access::Principal;
use tocsin_engine::drill::Speed;
use tocsin_engine::drill::exercises::{Exercises, RunView};
use tocsin_engine::drill::scenario::Scenario;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/drills", get(list).post(start))
        .route("/api/v1/drills/{id}", get(one).delete(remove))
        .route("/api/v1/drills/{id}/cancel", post(cancel))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct StartQuery {
    /// `max`, or a factor such as `60x`.
    #[serde(default = "max_speed")]
    #[param(pattern = "^(max|[0-9]+x)$")]
    speed: String,
}

fn max_speed() -> String {
    "max".into()
}

pub(crate) fn exercises(state: &AppState) -> Result<&Arc<Exercises>, ApiError> {
    state.exercises.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "this node cannot run drills: it has no administrative files to build an exercise space from",
        )
    })
}

/// Drills belong to the whole node (one exercise space, every participant): they are seen by
/// readers of national scope only; others are told there is no such thing.
pub(crate) fn require_national_reader(who: &Principal) -> Result<(), ApiError> {
    Ok(who.require(Resource::Drills, Access::Read)?)
}

/// Starting, cancelling or deleting a drill: an administrator of national scope.
fn require_national_admin(who: &Principal) -> Result<(), ApiError> {
    Ok(who.require(Resource::Drills, Access::Write)?)
}

#[utoipa::path(
    post,
    path = "/api/v1/drills",
    operation_id = "drills_start",
    tag = "drills",
    summary = "Start a drill from a scenario (administrators)",
    params(StartQuery), request_body(content = String, description = "the scenario (TOML)", content_type = "text/plain"), responses((status = 202, description = "started", body = ref("#/components/schemas/DrillStarted")))
)]
async fn start(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Query(query): Query<StartQuery>,
    body: Text,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    require_national_admin(&who)?;
    let exercises = exercises(&state)?;
    let Some(speed) = Speed::parse(&query.speed) else {
        return Err(ApiError::bad_request(format!(
            "speed: {:?} is neither max nor a factor such as 60x",
            query.speed
        )));
    };
    let scenario =
        Scenario::parse("scenario", &body).map_err(|p| ApiError::invalid_scenario(&p))?;
    let participants = state.engine.drill_participants(&who)?;
    let id = exercises.start(scenario, speed, &query.speed, participants, &who.actor())?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "id": id, "status": "running", "href": format!("/api/v1/drills/{id}") })),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/drills",
    operation_id = "drills_list",
    tag = "drills",
    summary = "The node's drills",
    responses((status = 200, description = "OK", body = ref("#/components/schemas/Drills")))
)]
async fn list(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
) -> Result<Json<Value>, ApiError> {
    require_national_reader(&who)?;
    let runs: Vec<RunView> = exercises(&state)?.list();
    Ok(Json(json!({ "drills": runs })))
}

#[utoipa::path(
    get,
    path = "/api/v1/drills/{id}",
    operation_id = "drills_one",
    tag = "drills",
    summary = "One drill, with its report once finished",
    params(("id" = u64, Path, description = "the drill's id")), responses((status = 200, description = "OK", body = ref("#/components/schemas/Drill")))
)]
async fn one(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(id): Path<u64>,
) -> Result<Json<RunView>, ApiError> {
    require_national_reader(&who)?;
    exercises(&state)?
        .view(id)
        .map(Json)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no drill {id}")))
}

#[utoipa::path(
    post,
    path = "/api/v1/drills/{id}/cancel",
    operation_id = "drills_cancel",
    tag = "drills",
    summary = "Cancel a running drill",
    params(("id" = u64, Path, description = "the drill's id")), responses((status = 202, description = "cancelling", body = ref("#/components/schemas/Drill")))
)]
async fn cancel(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(id): Path<u64>,
) -> Result<(StatusCode, Json<RunView>), ApiError> {
    require_national_admin(&who)?;
    exercises(&state)?
        .cancel(id)?
        .map(|view| (StatusCode::ACCEPTED, Json(view)))
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no drill {id}")))
}

#[utoipa::path(
    delete,
    path = "/api/v1/drills/{id}",
    operation_id = "drills_remove",
    tag = "drills",
    summary = "Delete a drill that no longer runs",
    params(("id" = u64, Path, description = "the drill's id")), responses((status = 204, description = "deleted"))
)]
async fn remove(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Path(id): Path<u64>,
) -> Result<StatusCode, ApiError> {
    require_national_admin(&who)?;
    if exercises(&state)?.remove(id, &who.actor())? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no drill {id}"),
        ))
    }
}
