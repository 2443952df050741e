//! The sandbox flags `hqsync sandbox` and `hqsync dev` share (the command contract of the
//! vendor-layer issues), and their translation into the two sandboxes' configurations.

use std::net::SocketAddr;

use clap::Args;
use hqsync_sandbox::Seed;
use hqsync_sandbox::hubspot::HubspotSandboxConfig;
use hqsync_sandbox::quickbooks::QuickbooksSandboxConfig;

#[derive(Debug, Clone, Args)]
pub struct SandboxFlags {
    /// Data the sandboxes start with: `empty` (a new account) or `demo`.
    #[arg(long, default_value = "empty")]
    pub seed: Seed,
    /// Static bearer token both sandboxes accept (default: each sandbox's documented default).
    #[arg(long)]
    pub dev_token: Option<String>,
    /// Secret the HubSpot sandbox signs webhooks with (the app's client secret).
    #[arg(long)]
    pub hubspot_client_secret: Option<String>,
    /// HubSpot portal (hub) id of the sandbox account.
    #[arg(long)]
    pub portal_id: Option<u64>,
    /// Where the HubSpot sandbox POSTs its webhooks.
    #[arg(long)]
    pub hubspot_webhook_url: Option<String>,
    /// Verifier token the QuickBooks sandbox signs webhooks with.
    #[arg(long)]
    pub quickbooks_verifier_token: Option<String>,
    /// Realm (company) id of the QuickBooks sandbox company.
    #[arg(long)]
    pub realm_id: Option<String>,
    /// Where the QuickBooks sandbox POSTs its webhooks.
    #[arg(long)]
    pub quickbooks_webhook_url: Option<String>,
}

impl SandboxFlags {
    pub fn hubspot_config(&self) -> HubspotSandboxConfig {
        let mut config = HubspotSandboxConfig {
            seed: self.seed,
            ..HubspotSandboxConfig::default()
        };
        if let Some(token) = &self.dev_token {
            config.dev_token = token.clone();
        }
        if let Some(secret) = &self.hubspot_client_secret {
            config.client_secret = secret.clone();
        }
        if let Some(portal) = self.portal_id {
            config.portal_id = portal;
        }
        if let Some(url) = &self.hubspot_webhook_url {
            config.webhook_url = Some(url.clone());
        }
        config
    }

    pub fn quickbooks_config(&self) -> QuickbooksSandboxConfig {
        let mut config = QuickbooksSandboxConfig {
            seed: self.seed,
            ..QuickbooksSandboxConfig::default()
        };
        if let Some(token) = &self.dev_token {
            config.dev_token = token.clone();
        }
        if let Some(token) = &self.quickbooks_verifier_token {
            config.verifier_token = token.clone();
        }
        if let Some(realm) = &self.realm_id {
            config.realm_id = realm.clone();
        }
        if let Some(url) = &self.quickbooks_webhook_url {
            config.webhook_url = Some(url.clone());
        }
        config
    }
}

/// Binds a listener, with the address in the error so a busy port is obvious.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))
}
