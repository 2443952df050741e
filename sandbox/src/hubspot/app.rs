//! The running portal shared by all handlers: config, clock, store, tokens, rate windows and
//! webhook emission; also the control API's reset/seed hooks for this sandbox.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Value, json};

use super::config::HubspotSandboxConfig;
use super::demo_seed::seed_demo;
use super::errors::ApiError;
use super::oauth_grants::{Granted, Grants};
use super::object_types::ObjectKind;
use super::store::{Actor, Store, WriteCtx};
use super::webhook_events::EventBuilder;
use crate::Seed;
use crate::common::{OAuthSwitches, RateWindow, SandboxClock, SandboxStore, WebhookDelivery};

/// Everything a request handler needs.
pub struct Hub {
    pub config: HubspotSandboxConfig,
    pub clock: SandboxClock,
    store: Mutex<Store>,
    pub events: EventBuilder,
    pub webhooks: WebhookDelivery,
    /// Codes, refresh and access tokens handed out by the OAuth endpoints, with their scopes.
    grants: Mutex<Grants>,
    /// One-shot consent denial / token-endpoint failure (`/_sandbox/oauth`).
    pub oauth_switches: OAuthSwitches,
    /// docs/hubspot.md §9.1: 110 per 10 s per installing account.
    pub burst: RateWindow,
    /// docs/hubspot.md §2.4/§9.1: search 5 per second per account.
    pub search_rate: RateWindow,
    /// Completed workflow action callbacks `(callbackId, body)` (docs/hubspot.md §6.3).
    pub action_callbacks: Mutex<Vec<(String, Value)>>,
    /// docs/hubspot.md §2.9: HubSpot payments or Stripe set up (starts as configured).
    payment_processing: AtomicBool,
    /// docs/hubspot.md §2.11: whether a contact merge creates a new record with a new id.
    merge_new_ids: AtomicBool,
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
            grants: Mutex::new(Grants::new(&config.refresh_token)),
            oauth_switches: OAuthSwitches::default(),
            action_callbacks: Mutex::new(Vec::new()),
            payment_processing: AtomicBool::new(config.payment_processing),
            merge_new_ids: AtomicBool::new(config.merge_new_ids),
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

    /// Whether a merge gives its result a new id (docs/hubspot.md §2.11).
    pub fn merge_new_ids(&self) -> bool {
        self.merge_new_ids.load(Ordering::SeqCst)
    }

    /// Switches between merges that keep the primary's id and merges that make a new record.
    pub fn set_merge_new_ids(&self, on: bool) {
        self.merge_new_ids.store(on, Ordering::SeqCst);
    }

    /// Refuses creating records of a type the portal is not set up for: `commerce_payments`
    /// without payment processing (docs/hubspot.md §2.9).
    pub fn check_create_allowed(&self, kind: ObjectKind) -> Result<(), ApiError> {
        if kind == ObjectKind::CommercePayment && !self.payment_processing() {
            return Err(ApiError::payments_not_set_up());
        }
        Ok(())
    }

    /// The OAuth ledger (codes, refresh and access tokens).
    pub fn grants(&self) -> MutexGuard<'_, Grants> {
        self.grants.lock().expect("grants lock")
    }

    /// Mints an access token with `scopes`, valid for the configured TTL; returns
    /// (token, expires_in seconds).
    pub fn mint_access_token(&self, scopes: Granted) -> (String, u64) {
        let ttl = self.config.access_token_ttl;
        let expires_at = self.clock.now_ms() + ttl.as_millis() as i64;
        (self.grants().mint_access(scopes, expires_at), ttl.as_secs())
    }

    /// The scopes of a bearer token accepted now: the dev token has every scope; minted tokens
    /// theirs until they expire (docs/hubspot.md §1.3). `None` = refused.
    pub fn bearer_scopes(&self, token: &str) -> Option<Granted> {
        if token == self.config.dev_token {
            return Some(Granted::All);
        }
        self.grants()
            .access(token, self.clock.now_ms())
            .map(|(scopes, _)| scopes)
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
        self.oauth_switches.clear();
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
