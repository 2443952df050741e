//! `POST /api/connections/{id}/preview`: today's dry run of the initial sync (it writes
//! nothing anywhere), answered as its report: per kind counts and examples, mirrored counts.

use axum::Json;
use axum::extract::{Path, State};

use super::connection::connection_of;
use crate::admin::{AdminContext, ApiError};
use crate::engine::sync::initial_sync::{
    InitialSyncError, InitialSyncOptions, InitialSyncReport, initial_sync,
};

pub async fn preview(
    State(ctx): State<AdminContext>,
    Path(id): Path<String>,
) -> Result<Json<InitialSyncReport>, ApiError> {
    let connection = connection_of(&ctx, &id).await?;
    let options = InitialSyncOptions {
        dry_run: true,
        ..InitialSyncOptions::default()
    };
    let report = initial_sync(&ctx.sync.sync_ports(), connection.id(), &options, &|_| {})
        .await
        .map_err(initial_sync_error)?;
    Ok(Json(report))
}

/// An initial sync's failure as the admin API answers it.
pub fn initial_sync_error(error: InitialSyncError) -> ApiError {
    match error {
        InitialSyncError::UnknownConnection(id) => {
            ApiError::NotFound(format!("no connection {id}"))
        }
        InitialSyncError::Settings(message) => ApiError::invalid_field("settings", message),
        InitialSyncError::Store(error) => ApiError::Store(error),
        other => ApiError::Unavailable(other.to_string()),
    }
}
