//! Fault injection for the vendor API routes: error rates per status code, deterministic
//! "fail the next N requests", added latency and hangs, changeable at runtime.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// The fault settings; the body of `GET`/`PUT /_sandbox/faults` (camelCase JSON).
/// All rates are probabilities in `0.0..=1.0`, checked per request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FaultConfig {
    /// Status code -> probability of answering with that status (vendor error body) instead
    /// of handling the request. Keys are status codes as strings in JSON, e.g. `{"503": 0.1}`.
    pub error_rates: BTreeMap<u16, f64>,
    /// The next requests fail with these statuses, one per request, in order (deterministic).
    pub fail_next: VecDeque<u16>,
    /// Real milliseconds added before every request is handled.
    pub latency_ms: u64,
    /// Probability that a request hangs for `hang_ms` (real time) and then gets a 504,
    /// standing in for a timeout.
    pub hang_rate: f64,
    /// How long a hang lasts, real milliseconds (0 means 30 000).
    pub hang_ms: u64,
}

/// Builds the vendor's error response for an injected status code (HubSpot and QBO error
/// bodies differ, so each sandbox passes its own).
pub type FaultResponder = Arc<dyn Fn(StatusCode) -> Response + Send + Sync>;

/// Shared, runtime-configurable fault state plus the vendor's error responder.
/// Apply with [`FaultInjector::middleware`] as a layer on the API router only (not on `/_sandbox`).
#[derive(Clone)]
pub struct FaultInjector {
    config: Arc<Mutex<FaultConfig>>,
    responder: FaultResponder,
    injected: Arc<Mutex<BTreeMap<u16, u64>>>,
}

impl std::fmt::Debug for FaultInjector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultInjector")
            .field("config", &self.config())
            .finish_non_exhaustive()
    }
}

/// What the fault layer decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Pass,
    Fail(u16),
    Hang,
}

impl FaultInjector {
    /// No faults; `responder` builds the vendor error body for injected statuses.
    pub fn new(responder: FaultResponder) -> Self {
        Self {
            config: Arc::new(Mutex::new(FaultConfig::default())),
            responder,
            injected: Arc::new(Mutex::new(BTreeMap::new())),
        }
    }

    /// The current settings.
    pub fn config(&self) -> FaultConfig {
        self.config.lock().expect("faults lock").clone()
    }

    /// Replaces the settings (rates are clamped to `0..=1`).
    pub fn set(&self, mut config: FaultConfig) {
        for rate in config.error_rates.values_mut() {
            *rate = rate.clamp(0.0, 1.0);
        }
        config.hang_rate = config.hang_rate.clamp(0.0, 1.0);
        *self.config.lock().expect("faults lock") = config;
    }

    /// Removes all faults (the injected counts are kept).
    pub fn clear(&self) {
        self.set(FaultConfig::default());
    }

    /// Removes all faults and forgets the injected counts.
    pub fn reset(&self) {
        self.clear();
        self.injected.lock().expect("faults lock").clear();
    }

    /// How many responses were injected per status code (504 includes hangs).
    pub fn injected_counts(&self) -> BTreeMap<u16, u64> {
        self.injected.lock().expect("faults lock").clone()
    }

    fn decide(&self) -> (Decision, u64) {
        let mut cfg = self.config.lock().expect("faults lock");
        let latency = cfg.latency_ms;
        if let Some(status) = cfg.fail_next.pop_front() {
            return (Decision::Fail(status), latency);
        }
        let mut rng = rand::rng();
        if cfg.hang_rate > 0.0 && rng.random::<f64>() < cfg.hang_rate {
            let hang = if cfg.hang_ms == 0 {
                30_000
            } else {
                cfg.hang_ms
            };
            return (Decision::Hang, latency + hang);
        }
        for (status, rate) in &cfg.error_rates {
            if *rate > 0.0 && rng.random::<f64>() < *rate {
                return (Decision::Fail(*status), latency);
            }
        }
        (Decision::Pass, latency)
    }

    fn count(&self, status: u16) {
        *self
            .injected
            .lock()
            .expect("faults lock")
            .entry(status)
            .or_default() += 1;
    }

    /// Axum middleware: `router.layer(axum::middleware::from_fn_with_state(faults, FaultInjector::middleware))`.
    /// Requests under `/_sandbox/` always pass.
    pub async fn middleware(
        State(faults): State<FaultInjector>,
        req: Request,
        next: Next,
    ) -> Response {
        if req.uri().path().starts_with("/_sandbox/") {
            return next.run(req).await;
        }
        let (decision, delay_ms) = faults.decide();
        if delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        }
        match decision {
            Decision::Pass => next.run(req).await,
            Decision::Fail(status) => {
                faults.count(status);
                let code =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                (faults.responder)(code)
            }
            Decision::Hang => {
                faults.count(504);
                (faults.responder)(StatusCode::GATEWAY_TIMEOUT)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;

    fn injector() -> FaultInjector {
        FaultInjector::new(Arc::new(|s: StatusCode| s.into_response()))
    }

    #[test]
    fn fail_next_is_consumed_in_order_then_rates_apply() {
        let f = injector();
        f.set(FaultConfig {
            fail_next: [503, 429].into(),
            error_rates: [(500, 1.0)].into(),
            ..Default::default()
        });
        assert_eq!(f.decide().0, Decision::Fail(503));
        assert_eq!(f.decide().0, Decision::Fail(429));
        assert_eq!(f.decide().0, Decision::Fail(500));
        f.clear();
        assert_eq!(f.decide().0, Decision::Pass);
    }

    #[test]
    fn rates_are_clamped() {
        let f = injector();
        f.set(FaultConfig {
            error_rates: [(502, 7.0)].into(),
            hang_rate: -1.0,
            ..Default::default()
        });
        let cfg = f.config();
        assert_eq!(cfg.error_rates[&502], 1.0);
        assert_eq!(cfg.hang_rate, 0.0);
    }
}
