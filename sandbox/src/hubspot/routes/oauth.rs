//! The OAuth endpoints (docs/hubspot.md §1.1-§1.3, §1.6): the install page `GET /oauth/authorize`
//! (approves at once for the sandbox portal, or denies when switched to), the token endpoint's
//! `authorization_code`, `refresh_token` and `client_credentials` grants, introspection and
//! refresh-token revoke (the date-based forms and the legacy v1 ones).

use std::collections::BTreeSet;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::hubspot::app::SharedHub;
use crate::hubspot::oauth_grants::{GrantRefusal, Granted};
use crate::hubspot::routes::QueryParams;
use crate::hubspot::scopes::KNOWN_SCOPES;

/// The install page, the token endpoints (the supported `2026-03` one and the v1/v3 forms,
/// same behaviour here), introspection and revoke.
pub fn router(hub: SharedHub) -> Router {
    Router::new()
        .route("/oauth/authorize", get(authorize))
        .route("/oauth/2026-03/token", post(token))
        .route("/oauth/v3/token", post(token))
        .route("/oauth/v1/token", post(token))
        .route("/oauth/2026-03/token/introspect", post(introspect))
        .route("/oauth/v3/token/introspect", post(introspect))
        .route("/oauth/2026-03/token/revoke", post(revoke))
        .route("/oauth/v3/token/revoke", post(revoke))
        .route("/oauth/v1/access-tokens/{token}", get(access_token_v1))
        .route("/oauth/v1/refresh-tokens/{token}", delete(revoke_v1))
        .with_state(hub)
}

#[derive(Debug, Default, Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    refresh_token: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    token: Option<String>,
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

/// HubSpot's install-page failure ("Couldn't complete the connection", docs/hubspot.md §1.6):
/// shown to the user, no redirect.
fn install_failure(reason: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(format!(
            "<!doctype html><title>HubSpot sandbox</title><h1>Couldn't complete the connection</h1><p>{reason}</p>"
        )),
    )
        .into_response()
}

fn scope_list(raw: Option<&str>) -> Vec<String> {
    raw.unwrap_or("")
        .split([' ', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn redirect(mut target: Url, pairs: &[(&str, &str)]) -> Response {
    {
        let mut query = target.query_pairs_mut();
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
    }
    (
        StatusCode::FOUND,
        [(header::LOCATION, target.as_str().to_owned())],
    )
        .into_response()
}

/// `GET /oauth/authorize?client_id&redirect_uri&scope&optional_scope&state`: the consent is
/// given at once for the sandbox portal: 302 to `redirect_uri?code=...&state=...`. The
/// required scopes must all be known; optional ones the sandbox does not know are left out.
async fn authorize(State(hub): State<SharedHub>, RawQuery(raw): RawQuery) -> Response {
    let q = QueryParams::parse(raw.as_deref());
    if q.get("client_id") != Some(hub.config.client_id.as_str()) {
        return install_failure(
            "An invalid app client_id was provided. Please contact the app developer.",
        );
    }
    let Some(redirect_uri) = q.get("redirect_uri").map(str::to_owned) else {
        return install_failure("No redirect URL was provided. Please contact the app developer.");
    };
    let Ok(target) = Url::parse(&redirect_uri) else {
        return install_failure("The redirect URL is not a URL. Please contact the app developer.");
    };
    let required = scope_list(q.get("scope"));
    if required.is_empty() {
        return install_failure("No scopes were provided. Please contact the app developer.");
    }
    if let Some(unknown) = required
        .iter()
        .find(|s| !KNOWN_SCOPES.contains(&s.as_str()))
    {
        return install_failure(&format!(
            "An invalid scope name was provided ({unknown}). Please contact the app developer."
        ));
    }
    let state = q.get("state").unwrap_or("").to_owned();
    if hub.oauth_switches.take_denial() {
        return redirect(
            target,
            &[
                ("error", "access_denied"),
                ("error_description", "The user declined to install the app."),
                ("state", &state),
            ],
        );
    }
    let mut granted: BTreeSet<String> = required.into_iter().collect();
    granted.extend(
        scope_list(q.get("optional_scope"))
            .into_iter()
            .filter(|s| KNOWN_SCOPES.contains(&s.as_str())),
    );
    let expires = hub.clock.now_ms() + hub.config.code_ttl.as_millis() as i64;
    let code = hub
        .grants()
        .issue_code(&hub.config.client_id, &redirect_uri, granted, expires);
    redirect(target, &[("code", &code), ("state", &state)])
}

/// A refused OAuth request: the RFC 6749 `error`, the legacy `status` and the message.
struct Refusal(&'static str, &'static str, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        oauth_error(self.0, self.1, &self.2)
    }
}

/// The client must be the sandbox app (UNVERIFIED: HubSpot's exact codes for a wrong client;
/// the shape is §1.3's).
fn check_client(hub: &SharedHub, form: &TokenForm) -> Result<(), Refusal> {
    if form.client_id.as_deref() != Some(hub.config.client_id.as_str()) {
        return Err(Refusal(
            "invalid_client",
            "BAD_CLIENT_ID",
            "missing or unknown client id".into(),
        ));
    }
    if form.client_secret.as_deref() != Some(hub.config.client_secret.as_str()) {
        return Err(Refusal(
            "invalid_client",
            "BAD_CLIENT_SECRET",
            "missing or wrong client secret".into(),
        ));
    }
    Ok(())
}

fn parse_form(bytes: &Bytes) -> Result<TokenForm, Refusal> {
    serde_urlencoded::from_bytes(bytes).map_err(|e| {
        Refusal(
            "invalid_request",
            "BAD_REQUEST",
            format!("invalid form body: {e}"),
        )
    })
}

async fn token(State(hub): State<SharedHub>, bytes: Bytes) -> Response {
    let form = match parse_form(&bytes) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    if hub.oauth_switches.take_token_failure() {
        return oauth_error(
            "invalid_request",
            "BAD_REQUEST",
            "the token endpoint refused the request (sandbox switch)",
        );
    }
    if let Err(r) = check_client(&hub, &form) {
        return r.into_response();
    }
    let (refresh_token, scopes) = match form.grant_type.as_deref() {
        Some("refresh_token") => {
            let token = form.refresh_token.unwrap_or_default();
            match hub.grants().refresh_scopes(&token) {
                Ok(scopes) => (Some(token), scopes),
                Err(_) => {
                    return oauth_error(
                        "invalid_grant",
                        "BAD_REFRESH_TOKEN",
                        "refresh token is invalid, expired or revoked",
                    );
                }
            }
        }
        Some("authorization_code") => {
            let redeemed = hub.grants().redeem_code(
                form.code.as_deref().unwrap_or(""),
                &hub.config.client_id,
                form.redirect_uri.as_deref().unwrap_or(""),
                hub.clock.now_ms(),
            );
            match redeemed {
                Ok((token, scopes)) => (Some(token), scopes),
                Err(GrantRefusal::BadCode | GrantRefusal::BadRefreshToken) => {
                    // UNVERIFIED: HubSpot's legacy `status` for a bad code.
                    return oauth_error(
                        "invalid_grant",
                        "BAD_AUTH_CODE",
                        "auth code is invalid, expired or already used",
                    );
                }
            }
        }
        Some("client_credentials") => (None, Granted::All),
        other => {
            return oauth_error(
                "unsupported_grant_type",
                "BAD_GRANT_TYPE",
                &format!("unsupported grant_type {}", other.unwrap_or("(none)")),
            );
        }
    };
    let listed = scopes.list(KNOWN_SCOPES);
    let (access_token, expires_in) = hub.mint_access_token(scopes);
    // docs/hubspot.md §1.2 AccessTokenResponse. UNVERIFIED: refresh-token rotation; the sandbox
    // returns the same refresh token.
    let mut body = json!({
        "token_type": "bearer",
        "access_token": access_token,
        "expires_in": expires_in,
        "hub_id": hub.config.portal_id,
        "scopes": listed,
        "token_use": "access_token",
        "user_id": 1,
    });
    if let Some(t) = refresh_token {
        body["refresh_token"] = t.into();
    }
    Json(body).into_response()
}

/// What introspection says about an access token (docs/hubspot.md §1.6).
fn access_token_body(hub: &SharedHub, token: &str) -> serde_json::Value {
    let now = hub.clock.now_ms();
    let live = if token == hub.config.dev_token {
        Some((
            Granted::All,
            now + hub.config.access_token_ttl.as_millis() as i64,
        ))
    } else {
        hub.grants().access(token, now)
    };
    match live {
        Some((scopes, expires_ms)) => json!({
            "active": true,
            "token_use": "access_token",
            "token_type": "bearer",
            "hub_id": hub.config.portal_id,
            "app_id": hub.config.app_id,
            "client_id": hub.config.client_id,
            "user": "sandbox-user@example.com",
            "user_id": 1,
            "hub_domain": format!("sandbox-{}.example.com", hub.config.portal_id),
            "scopes": scopes.list(KNOWN_SCOPES),
            "expires_in": (expires_ms - now).max(0) / 1000,
        }),
        None => json!({"active": false}),
    }
}

/// `POST /oauth/2026-03/token/introspect` (form: client id/secret, `token`): an access token's
/// portal, scopes and remaining life; `{"active": false}` for anything else.
async fn introspect(State(hub): State<SharedHub>, bytes: Bytes) -> Response {
    let form = match parse_form(&bytes) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    if let Err(r) = check_client(&hub, &form) {
        return r.into_response();
    }
    Json(access_token_body(&hub, form.token.as_deref().unwrap_or(""))).into_response()
}

/// `POST /oauth/2026-03/token/revoke` (form: client id/secret, `token`): the refresh token
/// stops working; 200 with an empty body. UNVERIFIED: HubSpot's status for an unknown token.
async fn revoke(State(hub): State<SharedHub>, bytes: Bytes) -> Response {
    let form = match parse_form(&bytes) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    if let Err(r) = check_client(&hub, &form) {
        return r.into_response();
    }
    let token = form.token.unwrap_or_default();
    if !hub.grants().revoke_refresh(&token) {
        return oauth_error(
            "invalid_grant",
            "BAD_REFRESH_TOKEN",
            "refresh token is invalid, expired or revoked",
        );
    }
    StatusCode::OK.into_response()
}

/// Legacy `GET /oauth/v1/access-tokens/{token}` (removed 2027-02-16): the same facts as
/// introspection, 404 for a dead token.
async fn access_token_v1(State(hub): State<SharedHub>, Path(token): Path<String>) -> Response {
    let body = access_token_body(&hub, &token);
    if body["active"] != json!(true) {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"status": "error", "message": "access token not found or expired"})),
        )
            .into_response();
    }
    Json(body).into_response()
}

/// Legacy `DELETE /oauth/v1/refresh-tokens/{token}`: 204, then the token fails.
async fn revoke_v1(State(hub): State<SharedHub>, Path(token): Path<String>) -> Response {
    if hub.grants().revoke_refresh(&token) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            Json(json!({"status": "error", "message": "refresh token not found"})),
        )
            .into_response()
    }
}
