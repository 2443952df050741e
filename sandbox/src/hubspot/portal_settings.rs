//! The portal's account settings the sandbox lets tests switch at runtime, served at
//! `GET`/`PUT /_sandbox/hubspot/portal` next to the shared `/_sandbox/` control API.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::app::SharedHub;

/// `GET` answers `{"paymentProcessing": bool, "mergeNewIds": bool}`; `PUT` takes the same (fields optional) and
/// answers the settings after the change. Bad bodies get 400 `{"status":"error","message"}`
/// like the rest of the control API.
pub fn router(hub: SharedHub) -> Router {
    Router::new()
        .route("/_sandbox/hubspot/portal", get(read).put(change))
        .with_state(hub)
}

fn settings(hub: &SharedHub) -> Value {
    json!({"paymentProcessing": hub.payment_processing(), "mergeNewIds": hub.merge_new_ids()})
}

async fn read(State(hub): State<SharedHub>) -> Response {
    Json(settings(&hub)).into_response()
}

async fn change(State(hub): State<SharedHub>, body: Bytes) -> Response {
    let bad = |message: &str| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"status": "error", "message": message})),
        )
            .into_response()
    };
    let Ok(Value::Object(patch)) = serde_json::from_slice::<Value>(&body) else {
        return bad("expected a JSON object such as {\"paymentProcessing\": true}");
    };
    for (key, value) in patch {
        match (key.as_str(), value) {
            ("paymentProcessing", Value::Bool(on)) => hub.set_payment_processing(on),
            ("paymentProcessing", _) => return bad("paymentProcessing must be true or false"),
            // docs/hubspot.md §2.11: merges that give the result a new id.
            ("mergeNewIds", Value::Bool(on)) => hub.set_merge_new_ids(on),
            ("mergeNewIds", _) => return bad("mergeNewIds must be true or false"),
            (other, _) => return bad(&format!("unknown portal setting {other}")),
        }
    }
    Json(settings(&hub)).into_response()
}
