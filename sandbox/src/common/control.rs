//! The `/_sandbox/` control API both sandboxes expose: reset, seed, stats, faults, clock and
//! webhook settings. Vendor data stays behind the [`SandboxStore`] trait each sandbox implements.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use secrecy::SecretString;
use serde_json::{Value, json};

use super::clock::{ClockSettings, SandboxClock};
use super::faults::{FaultConfig, FaultInjector};
use super::stats::RequestStats;
use super::webhook_delivery::{DeliveryConfig, WebhookDelivery};
use crate::Seed;

/// The vendor side of the control API.
pub trait SandboxStore: Send + Sync + 'static {
    /// Replaces all vendor data with what `seed` holds.
    fn reset(&self, seed: Seed);
    /// Extra JSON for `GET /_sandbox/stats` under `"store"` (e.g. record counts per type).
    fn stats_extra(&self) -> Value {
        Value::Null
    }
}

/// Everything the control API acts on; build it once per sandbox.
#[derive(Clone)]
pub struct ControlPlane {
    pub clock: SandboxClock,
    pub faults: FaultInjector,
    pub stats: RequestStats,
    /// `None` for a sandbox without webhooks (then `/_sandbox/webhooks` answers 404).
    pub webhooks: Option<WebhookDelivery>,
    pub store: Arc<dyn SandboxStore>,
    /// What `POST /_sandbox/reset` seeds when the body names no seed.
    pub default_seed: Seed,
}

/// The control routes, to be merged into the sandbox router *outside* the fault layer:
///
/// | Route | Body | Effect |
/// |---|---|---|
/// | `POST /_sandbox/reset` | optional `{"seed":"empty"\|"demo"}` | data back to the seed; stats, faults, webhook queue and counters cleared |
/// | `POST /_sandbox/seed` | `{"seed":"empty"\|"demo"}` | data replaced by the seed; nothing else changes |
/// | `GET /_sandbox/stats` | | `{"ready":true,"total","routes":[{method,path,count,byStatus}],"faultsInjected","webhooks","store"}` |
/// | `DELETE /_sandbox/stats` | | request counts zeroed |
/// | `GET`/`PUT`/`DELETE /_sandbox/faults` | [`FaultConfig`] | read / replace / clear (injected counts stay until reset) |
/// | `GET`/`PUT /_sandbox/clock` | `{"timeScale"?,"offsetMs"?,"advanceMs"?}` | read (adds `nowMs`) / change |
/// | `GET`/`PUT /_sandbox/webhooks` | partial [`DeliveryConfig`] plus `"secret"` | read (adds `counters`) / merge |
///
/// Bad bodies get 400 `{"status":"error","message":...}`.
pub fn control_router(plane: ControlPlane) -> Router {
    Router::new()
        .route("/_sandbox/reset", post(reset))
        .route("/_sandbox/seed", post(seed))
        .route("/_sandbox/stats", get(stats).delete(clear_stats))
        .route(
            "/_sandbox/faults",
            get(faults).put(set_faults).delete(clear_faults),
        )
        .route("/_sandbox/clock", get(clock).put(set_clock))
        .route("/_sandbox/webhooks", get(webhooks).put(set_webhooks))
        .with_state(plane)
}

/// A control-API error response (400 unless given).
fn bad_request(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"status": "error", "message": message.into()})),
    )
        .into_response()
}

/// Parses an optional JSON body (empty means `{}`).
fn body_json(body: &Bytes) -> Result<Value, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))
}

fn seed_from(body: &Value, default: Option<Seed>) -> Result<Seed, String> {
    match body.get("seed") {
        Some(Value::String(s)) => s.parse(),
        Some(other) => Err(format!("seed must be \"empty\" or \"demo\", got {other}")),
        None => {
            default.ok_or_else(|| "missing \"seed\": expected \"empty\" or \"demo\"".to_owned())
        }
    }
}

fn seed_name(seed: Seed) -> &'static str {
    match seed {
        Seed::Empty => "empty",
        Seed::Demo => "demo",
    }
}

async fn reset(State(plane): State<ControlPlane>, body: Bytes) -> Response {
    let seed = match body_json(&body).and_then(|b| seed_from(&b, Some(plane.default_seed))) {
        Ok(seed) => seed,
        Err(message) => return bad_request(message),
    };
    if let Some(w) = &plane.webhooks {
        w.clear();
    }
    plane.store.reset(seed);
    plane.stats.clear();
    plane.faults.reset();
    // The reset itself may have queued nothing, but clear again in case the store emits events.
    if let Some(w) = &plane.webhooks {
        w.clear();
    }
    axum::Json(json!({"ok": true, "seed": seed_name(seed)})).into_response()
}

async fn seed(State(plane): State<ControlPlane>, body: Bytes) -> Response {
    let seed = match body_json(&body).and_then(|b| seed_from(&b, None)) {
        Ok(seed) => seed,
        Err(message) => return bad_request(message),
    };
    plane.store.reset(seed);
    axum::Json(json!({"ok": true, "seed": seed_name(seed)})).into_response()
}

async fn stats(State(plane): State<ControlPlane>) -> Response {
    let snapshot = plane.stats.snapshot();
    axum::Json(json!({
        "ready": true,
        "total": snapshot.total,
        "routes": snapshot.routes,
        "faultsInjected": plane.faults.injected_counts(),
        "webhooks": plane.webhooks.as_ref().map(WebhookDelivery::counters),
        "store": plane.store.stats_extra(),
    }))
    .into_response()
}

async fn clear_stats(State(plane): State<ControlPlane>) -> Response {
    plane.stats.clear();
    StatusCode::NO_CONTENT.into_response()
}

async fn faults(State(plane): State<ControlPlane>) -> Response {
    axum::Json(plane.faults.config()).into_response()
}

async fn set_faults(State(plane): State<ControlPlane>, body: Bytes) -> Response {
    match serde_json::from_slice::<FaultConfig>(&body) {
        Ok(cfg) => {
            plane.faults.set(cfg);
            axum::Json(plane.faults.config()).into_response()
        }
        Err(e) => bad_request(format!("invalid fault config: {e}")),
    }
}

async fn clear_faults(State(plane): State<ControlPlane>) -> Response {
    plane.faults.clear();
    StatusCode::NO_CONTENT.into_response()
}

fn clock_json(clock: &SandboxClock) -> Value {
    let s = clock.settings();
    json!({"nowMs": clock.now_ms(), "timeScale": s.time_scale, "offsetMs": s.offset_ms})
}

async fn clock(State(plane): State<ControlPlane>) -> Response {
    axum::Json(clock_json(&plane.clock)).into_response()
}

async fn set_clock(State(plane): State<ControlPlane>, body: Bytes) -> Response {
    let body = match body_json(&body) {
        Ok(b) => b,
        Err(message) => return bad_request(message),
    };
    let mut settings = plane.clock.settings();
    if let Some(v) = body.get("timeScale") {
        match v.as_f64() {
            Some(scale) if scale.is_finite() && scale > 0.0 => settings.time_scale = scale,
            _ => return bad_request("timeScale must be a positive number"),
        }
    }
    if let Some(v) = body.get("offsetMs") {
        match v.as_i64() {
            Some(o) => settings.offset_ms = o,
            None => return bad_request("offsetMs must be an integer"),
        }
    }
    let advance = match body.get("advanceMs").map(Value::as_i64) {
        None => 0,
        Some(Some(ms)) => ms,
        Some(None) => return bad_request("advanceMs must be an integer"),
    };
    plane.clock.set(ClockSettings {
        time_scale: settings.time_scale,
        offset_ms: settings.offset_ms + advance,
    });
    axum::Json(clock_json(&plane.clock)).into_response()
}

fn webhooks_json(w: &WebhookDelivery) -> Value {
    let mut v = serde_json::to_value(w.config()).unwrap_or_default();
    v["counters"] = serde_json::to_value(w.counters()).unwrap_or_default();
    v
}

async fn webhooks(State(plane): State<ControlPlane>) -> Response {
    match &plane.webhooks {
        Some(w) => axum::Json(webhooks_json(w)).into_response(),
        None => (StatusCode::NOT_FOUND, "this sandbox sends no webhooks").into_response(),
    }
}

async fn set_webhooks(State(plane): State<ControlPlane>, body: Bytes) -> Response {
    let Some(w) = &plane.webhooks else {
        return (StatusCode::NOT_FOUND, "this sandbox sends no webhooks").into_response();
    };
    let patch = match body_json(&body) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return bad_request("expected a JSON object"),
        Err(message) => return bad_request(message),
    };
    let mut merged = serde_json::to_value(w.config()).unwrap_or_default();
    let mut secret = None;
    for (key, value) in patch {
        match (key.as_str(), value) {
            ("secret", Value::String(s)) => secret = Some(s),
            ("secret", _) => return bad_request("secret must be a string"),
            ("counters", _) => {}
            (_, value) => merged[key] = value,
        }
    }
    let config: DeliveryConfig = match serde_json::from_value(merged) {
        Ok(c) => c,
        Err(e) => return bad_request(format!("invalid webhook settings: {e}")),
    };
    if let Some(url) = &config.target_url
        && url::Url::parse(url).is_err()
    {
        return bad_request(format!("targetUrl is not a URL: {url}"));
    }
    w.set_config(config);
    if let Some(s) = secret {
        w.set_secret(SecretString::from(s));
    }
    axum::Json(webhooks_json(w)).into_response()
}
