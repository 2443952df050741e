//! `HubspotSandbox`: builds the router (API routes behind auth, rate limits and faults; the
//! OAuth endpoints; the `/_sandbox/` control API) and serves it on a listener.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use secrecy::SecretString;

use super::app::{Hub, SharedHub};
use super::auth::require_bearer;
use super::config::HubspotSandboxConfig;
use super::errors::ApiError;
use super::portal_settings;
use super::rate_limit::{correlation, limit};
use super::routes;
use super::scopes::require_scopes;
use super::webhook_events::HubspotWebhookFormat;
use crate::common::{
    ControlPlane, DeliveryConfig, FaultInjector, RequestStats, SandboxClock, SandboxStore,
    ServerHandle, WebhookDelivery, control_router, serve, switches_router,
};

/// docs/hubspot.md §5.4: 10 concurrent deliveries per account, 5 s timeout per request.
const WEBHOOK_CONCURRENCY: usize = 10;
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5);

/// A running HubSpot sandbox.
#[derive(Debug)]
pub struct HubspotSandbox {
    hub: SharedHub,
    server: ServerHandle,
}

impl HubspotSandbox {
    /// Seeds the portal, starts webhook delivery and serves on `listener` until [`Self::shutdown`].
    pub async fn start(
        listener: tokio::net::TcpListener,
        config: HubspotSandboxConfig,
    ) -> anyhow::Result<Self> {
        let clock = SandboxClock::with_scale(config.time_scale);
        let webhooks = WebhookDelivery::start(
            clock.clone(),
            Arc::new(HubspotWebhookFormat),
            DeliveryConfig {
                target_url: config.webhook_url.clone(),
                max_batch: config.webhook_max_batch,
                delay_ms: config.webhook_delay.as_millis() as u64,
                retry_schedule_ms: config
                    .webhook_retry_schedule
                    .iter()
                    .map(|d| d.as_millis() as u64)
                    .collect(),
                timeout_ms: WEBHOOK_TIMEOUT.as_millis() as u64,
                ..DeliveryConfig::default()
            },
            SecretString::from(config.client_secret.clone()),
            WEBHOOK_CONCURRENCY,
            config.rng_seed,
        );
        let seed = config.seed;
        let hub = Arc::new(Hub::new(config, clock.clone(), webhooks.clone()));
        hub.reset(seed);

        let faults = FaultInjector::new(Arc::new(|status| {
            ApiError::injected(status).into_response()
        }));
        let stats = RequestStats::default();
        let api = routes::api_router(hub.clone())
            .layer(from_fn_with_state(
                faults.clone(),
                FaultInjector::middleware,
            ))
            .layer(from_fn_with_state(hub.clone(), limit))
            .layer(from_fn(require_scopes))
            .layer(from_fn_with_state(hub.clone(), require_bearer));
        let app = api
            .merge(routes::oauth::router(hub.clone()).layer(from_fn_with_state(
                faults.clone(),
                FaultInjector::middleware,
            )))
            .fallback(|| async {
                // UNVERIFIED: HubSpot's body for unknown paths.
                (
                    StatusCode::NOT_FOUND,
                    ApiError::not_found("No route matches this path").into_response(),
                )
            })
            .layer(from_fn_with_state(stats.clone(), RequestStats::middleware));
        let control = control_router(ControlPlane {
            clock,
            faults,
            stats,
            webhooks: Some(webhooks),
            store: hub.clone(),
            default_seed: seed,
        });
        let router: Router = app
            .merge(control)
            .merge(portal_settings::router(hub.clone()))
            .merge(switches_router(hub.oauth_switches.clone()))
            .layer(from_fn(correlation));
        let server = serve(listener, router)?;
        Ok(Self { hub, server })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The configuration it was started with.
    pub fn config(&self) -> &HubspotSandboxConfig {
        &self.hub.config
    }

    /// The webhook delivery engine (counters, `wait_idle`) for in-process tests.
    pub fn webhooks(&self) -> &WebhookDelivery {
        &self.hub.webhooks
    }

    /// The sandbox clock (advance it to expire tokens or pass rate windows).
    pub fn clock(&self) -> &SandboxClock {
        &self.hub.clock
    }

    /// Whether the portal can record payments (docs/hubspot.md §2.9); see
    /// Whether contact merges give the result a new id
    /// ([`HubspotSandboxConfig::merge_new_ids`], docs/hubspot.md §2.11).
    pub fn set_merge_new_ids(&self, on: bool) {
        self.hub.set_merge_new_ids(on);
    }

    /// [`HubspotSandboxConfig::payment_processing`].
    pub fn payment_processing(&self) -> bool {
        self.hub.payment_processing()
    }

    /// Turns the portal's payment processing (HubSpot payments / Stripe) on or off.
    pub fn set_payment_processing(&self, on: bool) {
        self.hub.set_payment_processing(on);
    }

    /// Workflow action callbacks completed so far: `(callbackId, request body)`.
    pub fn action_callbacks(&self) -> Vec<(String, serde_json::Value)> {
        self.hub
            .action_callbacks
            .lock()
            .expect("callbacks lock")
            .clone()
    }

    /// The next `GET /oauth/authorize` redirects with `error=access_denied`.
    pub fn deny_next_consent(&self) {
        self.hub.oauth_switches.deny_next_consent(true);
    }

    /// The next token-endpoint request answers 400 `invalid_request`.
    pub fn fail_next_token_request(&self) {
        self.hub.oauth_switches.fail_next_token_request(true);
    }

    /// Stops serving, waits for in-flight requests, and stops webhook delivery.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
        self.hub.webhooks.stop();
    }
}
