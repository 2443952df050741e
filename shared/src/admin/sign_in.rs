//! `POST /api/session` (sign in with the admin password: session cookie + CSRF token) and
//! `DELETE /api/session`, with failed sign-ins slowed down per client and overall.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;

use super::context::AdminContext;
use super::error::ApiError;

/// The window failed sign-ins are counted in.
pub const LOGIN_WINDOW: Duration = Duration::minutes(15);
/// Failures of one client in a window after which it must wait for the window to end.
pub const MAX_FAILURES_PER_CLIENT: u32 = 5;
/// Failures of all clients together in a window after which everyone waits (a spread-out
/// guessing attack).
pub const MAX_FAILURES_OVERALL: u32 = 50;
/// The key that counts every client's failures together.
const OVERALL: &str = "*";

/// Where a request came from, put in the request's extensions by the runtime (the peer
/// address locally, API Gateway's `sourceIp` on AWS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub String);

#[derive(Deserialize)]
pub struct SignIn {
    password: String,
}

/// The client key of a request (`unknown` when the runtime did not say).
fn client_key(address: Option<&ClientAddress>) -> String {
    format!("client:{}", address.map_or("unknown", |a| a.0.as_str()))
}

pub async fn sign_in(
    State(ctx): State<AdminContext>,
    address: Option<axum::Extension<ClientAddress>>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let now = ctx.sync.clock.now();
    let client = client_key(address.as_ref().map(|a| &a.0));
    let store = ctx.admin_store.as_ref();
    let client_failures = store.failed_logins(&client, now, LOGIN_WINDOW).await?;
    let overall_failures = store.failed_logins(OVERALL, now, LOGIN_WINDOW).await?;
    if client_failures >= MAX_FAILURES_PER_CLIENT || overall_failures >= MAX_FAILURES_OVERALL {
        return Err(ApiError::TooManyAttempts {
            retry_after_secs: LOGIN_WINDOW.num_seconds() as u64,
        });
    }
    let form: SignIn = serde_json::from_slice(&body).map_err(|e| {
        ApiError::invalid_field(
            "password",
            format!("expected {{\"password\": \"...\"}}: {e}"),
        )
    })?;
    if !ctx.auth.password_matches(&form.password) {
        store
            .record_failed_login(&client, now, LOGIN_WINDOW)
            .await?;
        store
            .record_failed_login(OVERALL, now, LOGIN_WINDOW)
            .await?;
        return Err(ApiError::Unauthorized);
    }
    store.clear_failed_logins(&client).await?;
    let detail = format!("signed in from {}", client.trim_start_matches("client:"));
    let (session, cookie) = open_session(&ctx, detail).await;
    let mut headers = HeaderMap::new();
    if let Some(value) = cookie {
        headers.insert(header::SET_COOKIE, value);
    }
    Ok((
        StatusCode::OK,
        headers,
        Json(json!({
            "csrf_token": ctx.auth.csrf_token(&session),
            "expires_at": session.expires_at,
        })),
    )
        .into_response())
}

/// A new session for a sign-in that has been checked (`detail` says how, for the audit log),
/// and its `Set-Cookie` value: the one place a session starts.
pub async fn open_session(
    ctx: &AdminContext,
    detail: String,
) -> (super::Session, Option<HeaderValue>) {
    let (session, cookie) = ctx.auth.issue(ctx.sync.clock.now());
    super::audit::append(ctx, "session.sign_in", None, detail).await;
    let value = HeaderValue::from_str(&ctx.auth.set_cookie(Some(&cookie))).ok();
    (session, value)
}

pub async fn sign_out(State(ctx): State<AdminContext>) -> Response {
    let mut headers = HeaderMap::new();
    if let Ok(value) = ctx.auth.set_cookie(None).parse() {
        headers.insert(header::SET_COOKIE, value);
    }
    (StatusCode::NO_CONTENT, headers).into_response()
}
