//! The running sandbox's shared state: the company, tokens, limits, replayed `requestid`s,
//! runtime knobs and the webhook engine, plus helpers every route uses.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::config::{
    InactiveEventKind, QboLimits, QuickbooksSandboxConfig, RequestIdConflict, WebhookPayloadFormat,
};
use super::fault::{Fault, FaultResponse, throttle_xml};
use super::state::{Change, Company};
use super::tokens::TokenStore;
use super::webhooks::{EventStyle, event_for};
use crate::Seed;
use crate::common::{
    OAuthSwitches, RateDecision, RateWindow, SandboxClock, SandboxStore, WebhookDelivery,
};

/// Behaviour switches changeable at runtime (`GET`/`PUT /_sandbox/quickbooks`, camelCase).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Knobs {
    pub webhook_format: WebhookPayloadFormat,
    pub inactive_event: InactiveEventKind,
    pub void_event_operation: String,
    pub strict_refresh_rotation: bool,
    pub lowercase_duplicate_name_fault: bool,
    pub xml_throttle_body: bool,
    pub request_id_conflict: RequestIdConflict,
    pub limits: QboLimits,
    /// Requests in flight at once (0 = unlimited).
    pub max_in_flight: u32,
    /// Real milliseconds every API request takes while holding its in-flight slot (a slow
    /// QBO; unlike the shared fault latency, this counts toward `max_in_flight`).
    pub slow_response_ms: u64,
    /// Fault codes the next batch items answer with, one per item (`3001`, `5010`, `10000`,
    /// anything else as a 6000), for per-item fault tests (§8).
    pub batch_item_fail_next: VecDeque<String>,
}

/// A stored answer for a `requestid` (§1).
#[derive(Debug, Clone)]
pub struct Replay {
    pub body_hash: u64,
    pub status: StatusCode,
    pub body: Value,
}

/// The rate windows of §9 on the sandbox clock.
pub struct Limiter {
    pub per_second: RateWindow,
    pub per_minute: RateWindow,
    pub batch_per_minute: RateWindow,
}

impl Limiter {
    fn new(limits: QboLimits, clock: &SandboxClock) -> Self {
        Self {
            per_second: RateWindow::new(limits.per_second, Duration::from_secs(1), clock.clone()),
            per_minute: RateWindow::new(limits.per_minute, Duration::from_secs(60), clock.clone()),
            batch_per_minute: RateWindow::new(
                limits.batch_per_minute,
                Duration::from_secs(60),
                clock.clone(),
            ),
        }
    }
}

pub struct Shared {
    pub config: QuickbooksSandboxConfig,
    pub clock: SandboxClock,
    pub company: Mutex<Company>,
    pub replays: Mutex<HashMap<String, Replay>>,
    pub tokens: Mutex<TokenStore>,
    /// One-shot consent denial / token-endpoint failure (`/_sandbox/oauth`).
    pub oauth_switches: OAuthSwitches,
    pub knobs: Mutex<Knobs>,
    pub style: Arc<Mutex<EventStyle>>,
    pub limiter: Mutex<Limiter>,
    pub webhooks: WebhookDelivery,
    pub core_plus_reads: AtomicU64,
    pub throttled: AtomicU64,
    pub in_flight: AtomicU64,
}

/// Cheap-to-clone handle used as axum state.
#[derive(Clone)]
pub struct App(pub Arc<Shared>);

impl std::ops::Deref for App {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl App {
    /// Forgets every remembered `requestid` answer and says how many: a create sent again
    /// with the same `requestid` then creates anew, as once QBO no longer remembers it
    /// (docs/quickbooks.md §1: how long QBO keeps them is unverified).
    pub fn forget_request_ids(&self) -> usize {
        let mut replays = self.replays.lock().expect("replays lock");
        let count = replays.len();
        replays.clear();
        count
    }

    pub fn new(
        config: QuickbooksSandboxConfig,
        clock: SandboxClock,
        webhooks: WebhookDelivery,
        style: Arc<Mutex<EventStyle>>,
    ) -> Self {
        let company = Company::new(
            &config.realm_id,
            config.company_utc_offset_minutes,
            config.seed,
            clock.now_ms(),
        );
        let knobs = Knobs {
            webhook_format: config.webhook_format,
            inactive_event: config.inactive_event,
            void_event_operation: config.void_event_operation.clone(),
            strict_refresh_rotation: config.strict_refresh_rotation,
            lowercase_duplicate_name_fault: config.lowercase_duplicate_name_fault,
            xml_throttle_body: config.xml_throttle_body,
            request_id_conflict: config.request_id_conflict,
            limits: config.limits,
            max_in_flight: config.max_in_flight,
            slow_response_ms: 0,
            batch_item_fail_next: VecDeque::new(),
        };
        let limiter = Limiter::new(config.limits, &clock);
        App(Arc::new(Shared {
            config,
            clock,
            company: Mutex::new(company),
            replays: Mutex::new(HashMap::new()),
            tokens: Mutex::new(TokenStore::default()),
            oauth_switches: OAuthSwitches::default(),
            knobs: Mutex::new(knobs),
            style,
            limiter: Mutex::new(limiter),
            webhooks,
            core_plus_reads: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
        }))
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn knobs(&self) -> Knobs {
        self.knobs.lock().expect("knobs lock").clone()
    }

    /// Replaces the knobs, rebuilding rate windows and event style when they change.
    pub fn set_knobs(&self, knobs: Knobs) {
        let mut current = self.knobs.lock().expect("knobs lock");
        if current.limits != knobs.limits {
            *self.limiter.lock().expect("limiter lock") = Limiter::new(knobs.limits, &self.clock);
        }
        *self.style.lock().expect("style lock") = EventStyle {
            format: knobs.webhook_format,
            inactive_event: knobs.inactive_event,
            void_operation: knobs.void_event_operation.clone(),
        };
        *current = knobs;
    }

    /// Response `time` text in the company offset (§1).
    pub fn time_text(&self) -> String {
        let now = self.now_ms();
        self.company
            .lock()
            .expect("company lock")
            .response_time(now)
    }

    /// A fault as a response (with the lowercase 6240 variant when switched on, §10.1).
    pub fn fault(&self, fault: Fault) -> Response {
        let knobs = self.knobs();
        if fault.code() == "3001" && knobs.xml_throttle_body {
            return (
                fault.status,
                [("content-type", "application/xml")],
                throttle_xml(&self.time_text()),
            )
                .into_response();
        }
        let fault = if fault.code() == "6240" && knobs.lowercase_duplicate_name_fault {
            fault.lowercased()
        } else {
            fault
        };
        FaultResponse {
            fault,
            time_text: self.time_text(),
            time_ms: self.now_ms(),
        }
        .into_response()
    }

    /// `{"<Entity>": {...}, "time": ...}` (§1 response wrapper).
    pub fn wrapped(&self, key: &str, value: Value) -> Value {
        json!({ key: value, "time": self.time_text() })
    }

    /// Counts a metered ("CorePlus") read (§9); over the configured cap reads answer 429.
    pub fn count_read(&self) -> Result<(), Fault> {
        let cap = self.knobs().limits.core_plus_reads;
        let used = self.core_plus_reads.fetch_add(1, Ordering::Relaxed) + 1;
        if cap > 0 && used > cap {
            self.throttled.fetch_add(1, Ordering::Relaxed);
            return Err(Fault::throttled());
        }
        Ok(())
    }

    /// Checks the §9 rate windows for one API request (`batch` also counts the batch window).
    pub fn check_limits(&self, batch: bool) -> Result<(), Fault> {
        let limiter = self.limiter.lock().expect("limiter lock");
        let mut windows = vec![&limiter.per_second, &limiter.per_minute];
        if batch {
            windows.push(&limiter.batch_per_minute);
        }
        for w in windows {
            if let RateDecision::Limited { .. } = w.check() {
                self.throttled.fetch_add(1, Ordering::Relaxed);
                return Err(Fault::throttled());
            }
        }
        Ok(())
    }

    /// Queues webhook events for changes (§11: on every change).
    pub fn emit(&self, changes: Vec<Change>) {
        if changes.is_empty() {
            return;
        }
        let style = self.style.lock().expect("style lock").clone();
        let events: Vec<Value> = changes
            .iter()
            .map(|c| {
                let time = chrono::DateTime::from_timestamp_millis(c.at_ms)
                    .unwrap_or_default()
                    .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                    .to_string();
                event_for(c, &self.config.realm_id, &style, &time)
            })
            .collect();
        self.webhooks.enqueue_all(events);
    }

    /// Runs `f` on the company, then emits what changed.
    pub fn with_company<T>(&self, f: impl FnOnce(&mut Company, i64) -> T) -> T {
        let now = self.now_ms();
        let (out, changes) = {
            let mut company = self.company.lock().expect("company lock");
            let out = f(&mut company, now);
            (out, company.drain_changes())
        };
        self.emit(changes);
        out
    }
}

/// A JSON response with a status.
pub fn json_response(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

impl SandboxStore for App {
    fn reset(&self, seed: Seed) {
        let now = self.now_ms();
        let mut company = self.company.lock().expect("company lock");
        *company = Company::new(
            &self.config.realm_id,
            self.config.company_utc_offset_minutes,
            seed,
            now,
        );
        self.forget_request_ids();
        self.core_plus_reads.store(0, Ordering::Relaxed);
        self.throttled.store(0, Ordering::Relaxed);
        self.oauth_switches.clear();
    }

    fn stats_extra(&self) -> Value {
        let counts = self.company.lock().expect("company lock").counts();
        json!({
            "realmId": self.config.realm_id,
            "entities": counts,
            "corePlusReads": self.core_plus_reads.load(Ordering::Relaxed),
            "throttled": self.throttled.load(Ordering::Relaxed),
            "tokenRefreshes": self.tokens.lock().expect("tokens lock").refreshes,
        })
    }
}
