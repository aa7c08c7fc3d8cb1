//! Audit endpoints: what an outside verifier needs to check the node's journal — the latest
//! signed checkpoint (C2SP `tlog-checkpoint`, as text), RFC 9162 inclusion and consistency
//! proofs, and the entries within the caller's scope.

use super::{AppState, blocking};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Json, Query};
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Deserialize;
use std::sync::Arc;
use tocsin_engine::audit::{AuditEntries, ConsistencyProof, InclusionProof};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/audit/checkpoint", get(checkpoint))
        .route("/api/v1/audit/proof/inclusion", get(inclusion))
        .route("/api/v1/audit/proof/consistency", get(consistency))
        .route("/api/v1/audit/entries", get(entries))
}

#[utoipa::path(
    get,
    path = "/api/v1/audit/checkpoint",
    operation_id = "audit_checkpoint",
    tag = "audit",
    summary = "The journal's latest signed checkpoint (C2SP tlog-checkpoint in a signed note)",
    responses((status = 200, description = "origin, tree size, base64 root, then the Ed25519 signature line", body = String, content_type = "text/plain"))
)]
async fn checkpoint(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
) -> Result<impl IntoResponse, ApiError> {
    let engine = state.engine.clone();
    let note = blocking(move || engine.audit().checkpoint(&who)).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct InclusionQuery {
    /// The leaf's index, from 0.
    index: u64,
    /// The tree size the proof is for (at most the journal's).
    size: u64,
}

#[utoipa::path(
    get,
    path = "/api/v1/audit/proof/inclusion",
    operation_id = "audit_inclusion",
    tag = "audit",
    summary = "The RFC 9162 audit path of one entry in a tree of a given size",
    params(InclusionQuery), responses((status = 200, description = "OK", body = ref("#/components/schemas/InclusionProof")))
)]
async fn inclusion(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Query(q): Query<InclusionQuery>,
) -> Result<Json<InclusionProof>, ApiError> {
    let engine = state.engine.clone();
    let proof = blocking(move || engine.audit().inclusion(&who, q.index, q.size)).await?;
    Ok(Json(proof))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ConsistencyQuery {
    /// The older tree size (at least 1).
    from: u64,
    /// The newer tree size (at most the journal's).
    to: u64,
}

#[utoipa::path(
    get,
    path = "/api/v1/audit/proof/consistency",
    operation_id = "audit_consistency",
    tag = "audit",
    summary = "The RFC 9162 proof that the tree of `to` entries extends that of `from`",
    params(ConsistencyQuery), responses((status = 200, description = "OK", body = ref("#/components/schemas/ConsistencyProof")))
)]
async fn consistency(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Query(q): Query<ConsistencyQuery>,
) -> Result<Json<ConsistencyProof>, ApiError> {
    let engine = state.engine.clone();
    let proof = blocking(move || engine.audit().consistency(&who, q.from, q.to)).await?;
    Ok(Json(proof))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct EntriesQuery {
    /// The first index to read (0 by default).
    from: Option<u64>,
    /// At most this many entries (100 by default, at most 1000).
    limit: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/api/v1/audit/entries",
    operation_id = "audit_entries",
    tag = "audit",
    summary = "Journal entries in index order, within the caller's scope",
    params(EntriesQuery), responses((status = 200, description = "the entries, and `next`: where the next page starts", body = ref("#/components/schemas/AuditEntries")))
)]
async fn entries(
    State(state): State<Arc<AppState>>,
    Auth(who): Auth,
    Query(q): Query<EntriesQuery>,
) -> Result<Json<AuditEntries>, ApiError> {
    let engine = state.engine.clone();
    let (from, limit) = (q.from.unwrap_or(0), q.limit.unwrap_or(100));
    let page = blocking(move || engine.audit().entries(&who, from, limit)).await?;
    Ok(Json(page))
}
