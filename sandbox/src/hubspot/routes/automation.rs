//! Custom workflow action callbacks (docs/hubspot.md §6.3): `POST .../callbacks/{id}/complete`
//! (204) in the v4 and date-based forms; completions are kept for tests to inspect.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;

use super::body;
use crate::hubspot::app::SharedHub;
use crate::hubspot::errors::ApiError;

pub fn router() -> Router<SharedHub> {
    Router::new()
        .route(
            "/automation/v4/actions/callbacks/{callback_id}/complete",
            post(complete),
        )
        .route(
            "/automation/actions/callbacks/2026-03/{callback_id}/complete",
            post(complete),
        )
}

/// The spec's `CallbackCompletionRequest` requires `outputFields` (and `typedOutputs`, §6.3);
/// the sandbox requires `outputFields.hs_execution_state` too. Wording UNVERIFIED.
async fn complete(
    State(hub): State<SharedHub>,
    Path(callback_id): Path<String>,
    bytes: Bytes,
) -> Response {
    let value: Value = match body(&bytes) {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let state = value
        .pointer("/outputFields/hs_execution_state")
        .and_then(Value::as_str);
    if state.is_none() {
        return ApiError::bad_request("outputFields.hs_execution_state is required")
            .into_response();
    }
    hub.action_callbacks
        .lock()
        .expect("callbacks lock")
        .push((callback_id, value));
    StatusCode::NO_CONTENT.into_response()
}
