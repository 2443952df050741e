//! `hqsync dev --no-connection` in-process for browser tests: both sandboxes (webhooks aimed at
//! the runtime), the SQLite runtime with its worker and poller, and the console and admin API.
//!
//! ```ignore
//! let dev = DevStack::start(Seed::Demo, Duration::from_secs(1)).await;
//! browser.goto(&dev.url("/")).await;          // sign in with ADMIN_PASSWORD
//! dev.shutdown().await;
//! ```

use std::sync::Arc;
use std::time::Duration;

use hqsync::admin::AdminAuth;
use hqsync::local::webhook_server::{HUBSPOT_WEBHOOK_PATH, QUICKBOOKS_WEBHOOK_PATH};
use hqsync::local::{
    LocalRuntime, LocalSandboxAccounts, PipelineOptions, StateLocation, VendorApps, VendorEndpoints,
};
use hqsync::ports::SystemClock;
use hqsync_sandbox::Seed;
use hqsync_sandbox::hubspot::{HubspotSandbox, HubspotSandboxConfig};
use hqsync_sandbox::quickbooks::{QuickbooksSandbox, QuickbooksSandboxConfig};
use secrecy::SecretString;

use crate::admin_server::{ADMIN_PASSWORD, SignedIn, sign_in_at};
use crate::hubspot::start_hubspot_sandbox;
use crate::quickbooks::start_quickbooks_sandbox;

/// The runtime `hqsync dev --no-connection --admin-password ADMIN_PASSWORD` starts, on
/// ephemeral loopback ports, its state in a fresh SQLite directory removed at shutdown.
pub struct DevStack {
    pub hubspot: HubspotSandbox,
    pub quickbooks: QuickbooksSandbox,
    pub runtime: LocalRuntime,
    /// `http://127.0.0.1:PORT`: the console at `/`, the admin API, the webhooks.
    pub base_url: String,
    dir: std::path::PathBuf,
}

impl DevStack {
    /// Both sandboxes holding `seed`, no connection, the pipeline running with polls
    /// `poll_interval` apart (a long one leaves webhooks and admin actions as the only signals).
    pub async fn start(seed: Seed, poll_interval: Duration) -> DevStack {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port for the runtime");
        let base_url = format!("http://{}", listener.local_addr().expect("local address"));
        let hubspot = start_hubspot_sandbox(HubspotSandboxConfig {
            search_index_delay: Duration::ZERO,
            webhook_url: Some(format!("{base_url}{HUBSPOT_WEBHOOK_PATH}")),
            seed,
            ..HubspotSandboxConfig::default()
        })
        .await;
        let quickbooks = start_quickbooks_sandbox(QuickbooksSandboxConfig {
            webhook_url: Some(format!("{base_url}{QUICKBOOKS_WEBHOOK_PATH}")),
            seed,
            ..QuickbooksSandboxConfig::default()
        })
        .await;
        let dir = std::env::temp_dir().join(format!("hqsync-dev-stack-{}", uuid::Uuid::new_v4()));
        let hs = hubspot.config();
        let qb = quickbooks.config();
        let endpoints = VendorEndpoints::local(LocalSandboxAccounts {
            hubspot_base_url: hubspot.base_url(),
            portal_id: hs.portal_id.to_string(),
            hubspot_token: SecretString::from(hs.dev_token.clone()),
            hubspot_client_secret: SecretString::from(hs.client_secret.clone()),
            quickbooks_base_url: quickbooks.base_url(),
            realm_id: qb.realm_id.clone(),
            quickbooks_token: SecretString::from(qb.dev_token.clone()),
            quickbooks_verifier_token: SecretString::from(qb.verifier_token.clone()),
        })
        .expect("sandbox endpoints");
        let vendors = VendorApps::of(&endpoints).with_oauth_clients(
            hs.client_id.clone(),
            qb.client_id.clone(),
            SecretString::from(qb.client_secret.clone()),
        );
        let mut runtime = LocalRuntime::open(
            vendors,
            &StateLocation::Sqlite { dir: dir.clone() },
            Arc::new(SystemClock),
        )
        .expect("open the runtime");
        let auth = Arc::new(AdminAuth::new(
            SecretString::from(ADMIN_PASSWORD.to_owned()),
            AdminAuth::random_signing_key(),
        ));
        runtime
            .serve(listener, base_url.clone(), Some(auth))
            .expect("serve the console");
        runtime.start_pipeline(PipelineOptions {
            idle_wait: Duration::from_millis(20),
            poll_interval: Some(poll_interval),
            ..PipelineOptions::default()
        });
        if let Some(server) = runtime.server() {
            server.set_ready();
        }
        DevStack {
            hubspot,
            quickbooks,
            runtime,
            base_url,
            dir,
        }
    }

    /// `{base_url}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// An admin API session (cookie and CSRF token) beside the browser's.
    pub async fn signed_in(&self) -> SignedIn {
        sign_in_at(&self.base_url).await
    }

    pub async fn shutdown(self) {
        self.runtime.shutdown().await;
        self.hubspot.shutdown().await;
        self.quickbooks.shutdown().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
