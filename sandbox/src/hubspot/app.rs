//! The running portal shared by all handlers: config, clock, store, tokens, rate windows and
//! webhook emission; also the control API's reset/seed hooks for this sandbox.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};

use super::config::HubspotSandboxConfig;
use super::demo_seed::seed_demo;
use super::errors::ApiError;
use super::object_types::ObjectKind;
use super::store::{Actor, Store, WriteCtx};
use super::webhook_events::EventBuilder;
use crate::Seed;
use crate::common::{RateWindow, SandboxClock, SandboxStore, WebhookDelivery};

/// Everything a request handler needs.
pub struct Hub {
    pub config: HubspotSandboxConfig,
    pub clock: SandboxClock,
    store: Mutex<Store>,
    pub events: EventBuilder,
    pub webhooks: WebhookDelivery,
    /// Access tokens minted by the OAuth endpoint -> expiry (sandbox epoch ms).
    tokens: Mutex<HashMap<String, i64>>,
    /// docs/hubspot.md §9.1: 110 per 10 s per installing account.
    pub burst: RateWindow,
    /// docs/hubspot.md §2.4/§9.1: search 5 per second per account.
    pub search_rate: RateWindow,
    /// Completed workflow action callbacks `(callbackId, body)` (docs/hubspot.md §6.3).
    pub action_callbacks: Mutex<Vec<(String, Value)>>,
    /// docs/hubspot.md §2.9: HubSpot payments or Stripe set up (starts as configured).
    payment_processing: AtomicBool,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Hub {
    pub fn new(
        config: HubspotSandboxConfig,
        clock: SandboxClock,
        webhooks: WebhookDelivery,
    ) -> Self {
        let store = Store::new(
            config.portal_id,
            config.search_index_delay.as_millis() as i64,
        );
        Self {
            events: EventBuilder::new(config.portal_id, config.app_id),
            burst: RateWindow::new(config.burst_limit, config.burst_window, clock.clone()),
            search_rate: RateWindow::new(
                config.search_per_second,
                Duration::from_secs(1),
                clock.clone(),
            ),
            store: Mutex::new(store),
            tokens: Mutex::new(HashMap::new()),
            action_callbacks: Mutex::new(Vec::new()),
            payment_processing: AtomicBool::new(config.payment_processing),
            webhooks,
            clock,
            config,
        }
    }

    /// Read access to the store.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().expect("store lock")
    }

    /// Runs a write and sends webhooks for the changes it made (after releasing the lock).
    pub fn write<R>(&self, actor: Actor, f: impl FnOnce(&mut Store, &mut WriteCtx) -> R) -> R {
        let mut ctx = WriteCtx::new(self.clock.now_ms(), actor);
        let result = {
            let mut store = self.store();
            f(&mut store, &mut ctx)
        };
        let events: Vec<Value> = ctx
            .changes
            .iter()
            .flat_map(|c| self.events.events(c))
            .collect();
        if !events.is_empty() {
            self.webhooks.enqueue_all(events);
        }
        result
    }

    /// Whether the portal can record payments (docs/hubspot.md §2.9).
    pub fn payment_processing(&self) -> bool {
        self.payment_processing.load(Ordering::SeqCst)
    }

    /// Turns the portal's payment processing on or off (control API, in-process tests).
    pub fn set_payment_processing(&self, on: bool) {
        self.payment_processing.store(on, Ordering::SeqCst);
    }

    /// Refuses creating records of a type the portal is not set up for: `commerce_payments`
    /// without payment processing (docs/hubspot.md §2.9).
    pub fn check_create_allowed(&self, kind: ObjectKind) -> Result<(), ApiError> {
        if kind == ObjectKind::CommercePayment && !self.payment_processing() {
            return Err(ApiError::payments_not_set_up());
        }
        Ok(())
    }

    /// Mints an access token valid for the configured TTL; returns (token, expires_in seconds).
    pub fn mint_access_token(&self) -> (String, u64) {
        let token = format!("sandbox-at-{}", uuid::Uuid::new_v4());
        let ttl = self.config.access_token_ttl;
        let expires_at = self.clock.now_ms() + ttl.as_millis() as i64;
        self.tokens
            .lock()
            .expect("tokens lock")
            .insert(token.clone(), expires_at);
        (token, ttl.as_secs())
    }

    /// Whether a refresh token is accepted (the configured one; it never expires, docs/hubspot.md §1.3).
    pub fn refresh_token_valid(&self, token: &str) -> bool {
        token == self.config.refresh_token
    }

    /// Whether a bearer token is accepted now: the dev token always, minted tokens until they
    /// expire (docs/hubspot.md §1.3).
    pub fn bearer_valid(&self, token: &str) -> bool {
        if token == self.config.dev_token {
            return true;
        }
        let now = self.clock.now_ms();
        self.tokens
            .lock()
            .expect("tokens lock")
            .get(token)
            .is_some_and(|exp| *exp > now)
    }
}

impl SandboxStore for Hub {
    fn reset(&self, seed: Seed) {
        let mut fresh = Store::new(
            self.config.portal_id,
            self.config.search_index_delay.as_millis() as i64,
        );
        if seed == Seed::Demo {
            let mut ctx = WriteCtx::new(self.clock.now_ms(), Actor::user(1));
            seed_demo(&mut fresh, &mut ctx);
            // Seeded data is there from the start: indexed, no webhooks.
            let now = self.clock.now_ms();
            for kind in super::object_types::ObjectKind::ALL {
                for r in fresh.records_mut(kind) {
                    r.reindex(now, 0);
                }
            }
        }
        *self.store() = fresh;
        self.burst.clear();
        self.search_rate.clear();
    }

    fn stats_extra(&self) -> Value {
        json!({
            "portalId": self.config.portal_id,
            "appId": self.config.app_id,
            "records": self.store().counts(),
        })
    }
}

/// The shared handle handlers get as state.
pub type SharedHub = Arc<Hub>;
