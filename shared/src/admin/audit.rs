//! The audit log of the admin API: `append`, the one place every admin write records itself
//! (actor, stable action name, ids and counts only), and `GET /api/audit?limit=N&connection=`.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::context::AdminContext;
use super::error::ApiError;
use crate::model::ConnectionId;
use crate::ports::AuditEntry;

/// Who every change made through the admin API is recorded as (the password session).
pub const ADMIN_ACTOR: &str = "admin";
/// Entries answered when `limit` is not given, and at most.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

/// Appends one entry by the signed-in admin, after the change it describes has happened: a
/// failure to write it is logged, not answered (the change stands). `action` is a stable
/// dotted name (`settings.update`, `object.delete`, `record.resync`, `dead_letters.redrive`,
/// ...); `detail` holds ids and counts only, never a token, password or secret.
pub async fn append(
    ctx: &AdminContext,
    action: &str,
    connection: Option<&ConnectionId>,
    detail: impl Into<String>,
) {
    let entry = AuditEntry {
        at: ctx.sync.clock.now(),
        actor: ADMIN_ACTOR.into(),
        action: action.into(),
        connection: connection.cloned(),
        detail: detail.into(),
    };
    if let Err(error) = ctx.admin_store.append_audit(&entry).await {
        tracing::error!(%error, action, "could not append to the admin audit log");
    }
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    limit: Option<usize>,
    connection: Option<String>,
}

/// The newest entries first, at most `limit` (default 100, at most 1000); with `connection`,
/// only that connection's (among the newest 1000).
pub async fn list(
    State(ctx): State<AdminContext>,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT);
    let connection = match query.connection.as_deref().filter(|c| !c.is_empty()) {
        Some(raw) => Some(
            ConnectionId::new(raw)
                .map_err(|e| ApiError::invalid_field("connection", e.to_string()))?,
        ),
        None => None,
    };
    let entries = match &connection {
        None => ctx.admin_store.recent_audit(limit).await?,
        Some(id) => ctx
            .admin_store
            .recent_audit(MAX_LIMIT)
            .await?
            .into_iter()
            .filter(|e| e.connection.as_ref() == Some(id))
            .take(limit)
            .collect(),
    };
    Ok(Json(entries))
}

/// `GET /audit`, relative to `/api` (mounted behind the session layer).
pub fn routes() -> Router<AdminContext> {
    Router::new().route("/audit", get(list))
}
