//! `POST|GET /api/connections/{id}/initial-sync`: starts the initial sync fanned out on the bulk
//! lane (202 with its progress; 409 with the running one) and reads the latest run's progress.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::connection::connection_of;
use crate::admin::audit;
use crate::admin::{AdminContext, ApiError};
use crate::engine::jobs::backfill::{
    RunProgress, StartError, initial_sync_progress, start_initial_sync,
};

pub async fn start(
    State(ctx): State<AdminContext>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let connection = connection_of(&ctx, &id).await?;
    match start_initial_sync(&ctx.sync, connection.id()).await {
        Ok(progress) => {
            let kinds: Vec<String> = progress.kinds.iter().map(|k| k.kind.to_string()).collect();
            audit::append(
                &ctx,
                "initial_sync.start",
                Some(connection.id()),
                format!(
                    "started initial sync {} of {}",
                    progress.run_id,
                    kinds.join(", ")
                ),
            )
            .await;
            Ok((StatusCode::ACCEPTED, Json(progress)).into_response())
        }
        Err(StartError::AlreadyRunning(progress)) => Ok(conflict(&progress)),
        Err(error) => Err(start_error(error)),
    }
}

pub async fn progress(
    State(ctx): State<AdminContext>,
    Path(id): Path<String>,
) -> Result<Json<RunProgress>, ApiError> {
    let connection = connection_of(&ctx, &id).await?;
    initial_sync_progress(&ctx.sync, connection.id())
        .await
        .map_err(start_error)?
        .map(Json)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "no initial sync has run on {}; POST to this path starts one",
                connection.id()
            ))
        })
}

/// 409 with the running run's progress and `error` saying so.
fn conflict(progress: &RunProgress) -> Response {
    let mut body = serde_json::to_value(progress).unwrap_or_default();
    body["error"] = format!(
        "initial sync {} is still running; GET this path follows it",
        progress.run_id
    )
    .into();
    (StatusCode::CONFLICT, Json(body)).into_response()
}

fn start_error(error: StartError) -> ApiError {
    match error {
        StartError::UnknownConnection(id) => ApiError::NotFound(format!("no connection {id}")),
        StartError::NotStartable { .. } | StartError::Raced(_) => {
            ApiError::Conflict(error.to_string())
        }
        StartError::NothingEnabled(_) | StartError::Settings(_) => {
            ApiError::invalid_field("settings", error.to_string())
        }
        StartError::Prepare(error) => ApiError::Unavailable(error.to_string()),
        StartError::Store(error) => ApiError::Store(error),
        StartError::Queue(error) => ApiError::Queue(error),
        StartError::AlreadyRunning(progress) => {
            ApiError::Conflict(format!("initial sync {} is still running", progress.run_id))
        }
    }
}
