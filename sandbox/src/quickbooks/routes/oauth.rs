//! The OAuth 2.0 token endpoint on the sandbox host (docs/quickbooks.md §2.4): Basic client
//! auth, `authorization_code` and `refresh_token` grants, rotation per §2.5.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine;
use serde_json::json;

use crate::quickbooks::app::{App, json_response};

/// §2.4 opt-in header for `x_refresh_token_hard_expires_in`.
pub const HARD_EXPIRY_HEADER: &str = "x-include-refresh-token-hard-expires-in";

fn client_ok(app: &App, headers: &HeaderMap) -> bool {
    let Some(encoded) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let expected = format!("{}:{}", app.config.client_id, app.config.client_secret);
    decoded == expected.as_bytes()
}

pub async fn bearer(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    if !client_ok(&app, &headers) {
        return json_response(StatusCode::UNAUTHORIZED, json!({"error": "invalid_client"}));
    }
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let include_hard = headers
        .get(HARD_EXPIRY_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let strict = app.knobs().strict_refresh_rotation;
    let now = app.now_ms();
    let mut tokens = app.tokens.lock().expect("tokens lock");
    let result = match field("grant_type") {
        "refresh_token" => tokens.refresh(field("refresh_token"), now, strict, include_hard),
        "authorization_code" => tokens.exchange_code(field("code"), now, include_hard),
        _ => {
            return json_response(
                StatusCode::BAD_REQUEST,
                json!({"error": "unsupported_grant_type"}),
            );
        }
    };
    match result {
        Ok(body) => json_response(StatusCode::OK, body),
        Err(e) => json_response(StatusCode::BAD_REQUEST, e.body()),
    }
}
