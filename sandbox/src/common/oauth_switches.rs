//! One-shot OAuth failure switches both sandboxes share: deny the next consent, fail the next
//! token request; set over `GET`/`PUT /_sandbox/oauth` or in-process.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The switches; each fires once and then turns itself off.
#[derive(Debug, Clone, Default)]
pub struct OAuthSwitches {
    inner: Arc<Flags>,
}

#[derive(Debug, Default)]
struct Flags {
    deny_next_consent: AtomicBool,
    fail_next_token_request: AtomicBool,
}

/// Body of `GET`/`PUT /_sandbox/oauth` (camelCase; a PUT may name either field).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthSwitchState {
    /// The next authorize request redirects with `error=access_denied` instead of a code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny_next_consent: Option<bool>,
    /// The next token-endpoint request answers a 400 `invalid_request`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_next_token_request: Option<bool>,
}

impl OAuthSwitches {
    /// Makes the next consent a denial.
    pub fn deny_next_consent(&self, on: bool) {
        self.inner.deny_next_consent.store(on, Ordering::SeqCst);
    }

    /// Makes the next token request fail.
    pub fn fail_next_token_request(&self, on: bool) {
        self.inner
            .fail_next_token_request
            .store(on, Ordering::SeqCst);
    }

    /// True once after [`Self::deny_next_consent`]`(true)`.
    pub fn take_denial(&self) -> bool {
        self.inner.deny_next_consent.swap(false, Ordering::SeqCst)
    }

    /// True once after [`Self::fail_next_token_request`]`(true)`.
    pub fn take_token_failure(&self) -> bool {
        self.inner
            .fail_next_token_request
            .swap(false, Ordering::SeqCst)
    }

    /// Both switches off (control-API reset).
    pub fn clear(&self) {
        self.deny_next_consent(false);
        self.fail_next_token_request(false);
    }

    fn state(&self) -> OAuthSwitchState {
        OAuthSwitchState {
            deny_next_consent: Some(self.inner.deny_next_consent.load(Ordering::SeqCst)),
            fail_next_token_request: Some(
                self.inner.fail_next_token_request.load(Ordering::SeqCst),
            ),
        }
    }
}

/// `GET /_sandbox/oauth` (both switches) and `PUT /_sandbox/oauth` (set the ones named).
pub fn switches_router(switches: OAuthSwitches) -> Router {
    Router::new()
        .route("/_sandbox/oauth", get(read).put(change))
        .with_state(switches)
}

async fn read(State(switches): State<OAuthSwitches>) -> Response {
    axum::Json(switches.state()).into_response()
}

async fn change(State(switches): State<OAuthSwitches>, body: Bytes) -> Response {
    let Ok(patch) = serde_json::from_slice::<OAuthSwitchState>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({
                "status": "error",
                "message": "expected {\"denyNextConsent\"?: bool, \"failNextTokenRequest\"?: bool}",
            })),
        )
            .into_response();
    };
    if let Some(on) = patch.deny_next_consent {
        switches.deny_next_consent(on);
    }
    if let Some(on) = patch.fail_next_token_request {
        switches.fail_next_token_request(on);
    }
    axum::Json(switches.state()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_switch_fires_once() {
        let s = OAuthSwitches::default();
        assert!(!s.take_denial());
        s.deny_next_consent(true);
        assert!(s.take_denial());
        assert!(!s.take_denial());
        s.fail_next_token_request(true);
        assert!(!s.take_denial());
        assert!(s.take_token_failure());
        assert!(!s.take_token_failure());
    }
}
