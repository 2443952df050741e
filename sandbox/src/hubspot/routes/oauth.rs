//! The OAuth token endpoint (docs/hubspot.md §1.2, §1.3): `refresh_token` (and
//! `client_credentials`) grants mint access tokens that expire on the sandbox clock.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::hubspot::app::SharedHub;

/// Token endpoints: the supported `2026-03` one and the v1/v3 forms (same behaviour here).
pub fn router(hub: SharedHub) -> Router {
    Router::new()
        .route("/oauth/2026-03/token", post(token))
        .route("/oauth/v3/token", post(token))
        .route("/oauth/v1/token", post(token))
        .with_state(hub)
}

#[derive(Debug, Default, Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    refresh_token: Option<String>,
}

/// docs/hubspot.md §1.3: OAuth errors carry RFC 6749 fields plus the legacy ones.
fn oauth_error(error: &str, status: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({
            "error": error,
            "error_description": message,
            "status": status,
            "message": message,
        })),
    )
        .into_response()
}

async fn token(State(hub): State<SharedHub>, bytes: Bytes) -> Response {
    let form: TokenForm = match serde_urlencoded::from_bytes(&bytes) {
        Ok(f) => f,
        Err(e) => {
            return oauth_error(
                "invalid_request",
                "BAD_REQUEST",
                &format!("invalid form body: {e}"),
            );
        }
    };
    // UNVERIFIED: HubSpot's exact error/status codes for a wrong client; the shape is §1.3's.
    if form.client_id.as_deref() != Some(hub.config.client_id.as_str()) {
        return oauth_error(
            "invalid_client",
            "BAD_CLIENT_ID",
            "missing or unknown client id",
        );
    }
    if form.client_secret.as_deref() != Some(hub.config.client_secret.as_str()) {
        return oauth_error(
            "invalid_client",
            "BAD_CLIENT_SECRET",
            "missing or wrong client secret",
        );
    }
    let refresh_token = match form.grant_type.as_deref() {
        Some("refresh_token") => match form.refresh_token {
            Some(t) if hub.refresh_token_valid(&t) => Some(t),
            _ => {
                return oauth_error(
                    "invalid_grant",
                    "BAD_REFRESH_TOKEN",
                    "refresh token is invalid, expired or revoked",
                );
            }
        },
        Some("client_credentials") => None,
        other => {
            return oauth_error(
                "unsupported_grant_type",
                "BAD_GRANT_TYPE",
                &format!("unsupported grant_type {}", other.unwrap_or("(none)")),
            );
        }
    };
    let (access_token, expires_in) = hub.mint_access_token();
    // docs/hubspot.md §1.2 AccessTokenResponse. UNVERIFIED: refresh-token rotation; the sandbox
    // returns the same refresh token.
    let mut body = json!({
        "token_type": "bearer",
        "access_token": access_token,
        "expires_in": expires_in,
        "hub_id": hub.config.portal_id,
        "scopes": ["oauth", "crm.objects.contacts.read", "crm.objects.contacts.write"],
        "token_use": "access_token",
        "user_id": 1,
    });
    if let Some(t) = refresh_token {
        body["refresh_token"] = t.into();
    }
    Json(body).into_response()
}
