//! Starting and stopping the QuickBooks sandbox: wires the company, the shared clock, fault,
//! stats and webhook machinery, the QBO routes and the `/_sandbox/` control API.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::middleware;
use secrecy::SecretString;
use tokio::net::TcpListener;

use super::app::App;
use super::config::QuickbooksSandboxConfig;
use super::routes;
use super::webhooks::{EventStyle, QboWebhookFormat, RETRY_SCHEDULE_SECONDS};
use crate::common::{
    ClockSettings, ControlPlane, DeliveryConfig, FaultInjector, RequestStats, SandboxClock,
    ServerHandle, WebhookDelivery, control_router, serve, switches_router,
};

/// A running QuickBooks Online sandbox.
pub struct QuickbooksSandbox {
    config: QuickbooksSandboxConfig,
    server: ServerHandle,
    app: App,
}

impl std::fmt::Debug for QuickbooksSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuickbooksSandbox")
            .field("base_url", &self.base_url())
            .field("config", &self.config)
            .finish()
    }
}

/// The delivery settings of §11.4/§11.5 for `config`.
fn delivery_config(config: &QuickbooksSandboxConfig) -> DeliveryConfig {
    DeliveryConfig {
        target_url: config.webhook_url.clone(),
        max_batch: config.webhook_max_batch.clamp(1, 100),
        delay_ms: config.webhook_delay_ms,
        duplicate_rate: config.webhook_duplicate_rate,
        reorder_rate: config.webhook_reorder_rate,
        drop_rate: config.webhook_drop_rate,
        retry_schedule_ms: RETRY_SCHEDULE_SECONDS.iter().map(|s| s * 1000).collect(),
        // §11.5: the endpoint must answer within 3 seconds.
        timeout_ms: 3_000,
    }
}

impl QuickbooksSandbox {
    /// Serves the sandbox on `listener` (in a background task) until [`Self::shutdown`].
    pub async fn start(
        listener: TcpListener,
        config: QuickbooksSandboxConfig,
    ) -> anyhow::Result<Self> {
        let clock = SandboxClock::new(ClockSettings {
            time_scale: config.time_scale,
            offset_ms: 0,
        });
        let style = Arc::new(Mutex::new(EventStyle {
            format: config.webhook_format,
            inactive_event: config.inactive_event,
            void_operation: config.void_event_operation.clone(),
        }));
        // §11.5: later events wait while one delivery is failing, so one batch in flight.
        let webhooks = WebhookDelivery::start(
            clock.clone(),
            Arc::new(QboWebhookFormat {
                style: style.clone(),
            }),
            delivery_config(&config),
            SecretString::from(config.verifier_token.clone()),
            1,
            config.rng_seed,
        );
        let app = App::new(config.clone(), clock.clone(), webhooks.clone(), style);
        let responder_app = app.clone();
        let faults = FaultInjector::new(Arc::new(move |status| {
            responder_app.fault(routes::injected_fault(status))
        }));
        let stats = RequestStats::default();
        let plane = ControlPlane {
            clock,
            faults: faults.clone(),
            stats: stats.clone(),
            webhooks: Some(webhooks),
            store: Arc::new(app.clone()),
            default_seed: config.seed,
        };
        let router = routes::api_router(app.clone())
            .layer(middleware::from_fn_with_state(
                faults,
                FaultInjector::middleware,
            ))
            .layer(middleware::from_fn_with_state(
                stats,
                RequestStats::middleware,
            ))
            .merge(control_router(plane))
            .merge(switches_router(app.oauth_switches.clone()))
            .layer(middleware::from_fn(routes::intuit_tid));
        let server = serve(listener, router)?;
        Ok(Self {
            config,
            server,
            app,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The configuration it was started with.
    pub fn config(&self) -> &QuickbooksSandboxConfig {
        &self.config
    }

    /// Waits (real time) until queued webhooks are sent or `timeout` passes; `false` on timeout.
    pub async fn wait_webhooks_idle(&self, timeout: Duration) -> bool {
        self.app.webhooks.wait_idle(timeout).await
    }

    /// Merges customer `from` into `into` as the QBO UI does (docs/quickbooks.md §4.8), with
    /// its webhook; the same as `POST /_sandbox/quickbooks/merge`.
    pub fn merge_customers(&self, from: &str, into: &str) -> Result<serde_json::Value, String> {
        self.app
            .with_company(|c, now| c.merge_customers(from, into, now))
            .map_err(|fault| fault.fault_object().to_string())
    }

    /// Forgets every remembered `requestid`, as QBO does after its (undocumented) memory
    /// window: a repeated create after this makes a second record (docs/quickbooks.md §1).
    pub fn forget_request_ids(&self) {
        self.app.forget_request_ids();
    }

    /// The next `GET /connect/oauth2` redirects with `error=access_denied`.
    pub fn deny_next_consent(&self) {
        self.app.oauth_switches.deny_next_consent(true);
    }

    /// The next token-endpoint request answers 400 `invalid_request`.
    pub fn fail_next_token_request(&self) {
        self.app.oauth_switches.fail_next_token_request(true);
    }

    /// Stops webhook delivery and the server (in-flight requests finish).
    pub async fn shutdown(self) {
        self.app.webhooks.stop();
        self.server.shutdown().await;
    }
}
