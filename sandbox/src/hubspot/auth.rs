//! Bearer-token checking for the API routes (docs/hubspot.md §1.3, §1.5): the static dev token
//! or an unexpired token from the sandbox's OAuth endpoint; also who the caller is and which
//! scopes the token carries (for `scopes::require_scopes`).

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::app::SharedHub;
use super::errors::ApiError;
use super::store::Actor;

/// Sandbox-only request header: `user:<id>` makes a write look like a person editing in the
/// HubSpot UI (`changeSource` CRM_UI), so sync tests can tell their own echoes from user edits.
pub const ACTOR_HEADER: &str = "x-hqsync-sandbox-actor";

/// Middleware: 401 (fixture `error-401-invalid-authentication.json`) unless the bearer token
/// is accepted; puts the request's [`Actor`] into its extensions.
pub async fn require_bearer(
    State(hub): State<SharedHub>,
    mut req: Request,
    next: Next,
) -> Response {
    let token = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(scopes) = token.and_then(|t| hub.bearer_scopes(t)) else {
        return ApiError::unauthorized().into_response();
    };
    req.extensions_mut().insert(scopes);
    let actor = req
        .headers()
        .get(ACTOR_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("user:"))
        .and_then(|id| id.parse::<u64>().ok())
        .map_or_else(|| Actor::app(hub.config.app_id), Actor::user);
    req.extensions_mut().insert(actor);
    next.run(req).await
}
