//! Intuit's OAuth 2.0 endpoints on the sandbox host (docs/quickbooks.md §2.1-§2.7): the consent
//! page (approves at once for the sandbox realm, or denies when switched to), the token endpoint
//! (Basic client auth, single-use codes, rotation per §2.5) and revoke.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};
use url::Url;

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

/// Intuit's consent-page failure: shown to the user, no redirect.
fn consent_failure(reason: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(format!(
            "<!doctype html><title>QuickBooks sandbox</title><h1>Something went wrong</h1><p>{reason}</p>"
        )),
    )
        .into_response()
}

/// `GET /connect/oauth2?client_id&response_type=code&scope&redirect_uri&state` (§2.3): consent
/// at once for the sandbox realm, 302 to `redirect_uri?code&state&realmId`; when the denial
/// switch is on, `redirect_uri?error=access_denied&state`.
pub async fn authorize(State(app): State<App>, RawQuery(raw): RawQuery) -> Response {
    let q: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let get = |name: &str| {
        q.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    if get("client_id") != app.config.client_id {
        return consent_failure("invalid_client: unknown client_id");
    }
    if get("response_type") != "code" {
        return consent_failure("unsupported_response_type: response_type must be code");
    }
    let redirect_uri = get("redirect_uri").to_owned();
    let Ok(mut target) = Url::parse(&redirect_uri) else {
        return consent_failure("invalid_request: redirect_uri is not a URL");
    };
    let state = get("state").to_owned();
    if !get("scope")
        .split(' ')
        .any(|s| s == "com.intuit.quickbooks.accounting")
    {
        target
            .query_pairs_mut()
            .append_pair("error", "invalid_scope")
            .append_pair("state", &state);
        return found(target);
    }
    if app.oauth_switches.take_denial() {
        target
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("state", &state);
        return found(target);
    }
    let code = app
        .tokens
        .lock()
        .expect("tokens lock")
        .consent_code(&redirect_uri, app.now_ms());
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &state)
        .append_pair("realmId", &app.config.realm_id);
    found(target)
}

fn found(target: Url) -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, target.as_str().to_owned())],
    )
        .into_response()
}

/// `POST /v2/oauth2/tokens/revoke` (§2.6): Basic client auth, JSON `{"token": ...}` naming a
/// refresh or access token; 200, and both halves of its pair stop working. UNVERIFIED:
/// Intuit's answer for a token it does not know (the sandbox answers 400 `invalid_grant`).
pub async fn revoke(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    if !client_ok(&app, &headers) {
        return json_response(StatusCode::UNAUTHORIZED, json!({"error": "invalid_client"}));
    }
    let Some(token) = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("token")?.as_str().map(str::to_owned))
    else {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid_request", "error_description": "expected {\"token\": ...}"}),
        );
    };
    if app.tokens.lock().expect("tokens lock").revoke(&token) {
        json_response(StatusCode::OK, json!({}))
    } else {
        json_response(
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid_grant", "error_description": "Token invalid"}),
        )
    }
}

pub async fn bearer(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    if app.oauth_switches.take_token_failure() {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid_request", "error_description": "the token endpoint refused the request (sandbox switch)"}),
        );
    }
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
        "authorization_code" => {
            tokens.exchange_code(field("code"), field("redirect_uri"), now, include_hard)
        }
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
