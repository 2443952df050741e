//! Both sandboxes of a `dev` or `demo` run, started with their webhooks pointed at the local
//! webhook server, and the vendor endpoints (base URLs, ids, dev tokens, secrets) they offer.

use hqsync::local::webhook_server::{HUBSPOT_WEBHOOK_PATH, QUICKBOOKS_WEBHOOK_PATH};
use hqsync::local::{EndpointError, LocalSandboxAccounts, VendorEndpoints};
use hqsync_sandbox::hubspot::{HubspotSandbox, HubspotSandboxConfig};
use hqsync_sandbox::quickbooks::{QuickbooksSandbox, QuickbooksSandboxConfig};
use secrecy::SecretString;
use tokio::net::TcpListener;

pub struct SandboxPair {
    pub hubspot: HubspotSandbox,
    pub quickbooks: QuickbooksSandbox,
}

/// Points each sandbox's webhooks at `webhook_base` (unless already set by a flag).
pub fn aim_webhooks(
    webhook_base: &str,
    hubspot: &mut HubspotSandboxConfig,
    quickbooks: &mut QuickbooksSandboxConfig,
) {
    let base = webhook_base.trim_end_matches('/');
    hubspot
        .webhook_url
        .get_or_insert_with(|| format!("{base}{HUBSPOT_WEBHOOK_PATH}"));
    quickbooks
        .webhook_url
        .get_or_insert_with(|| format!("{base}{QUICKBOOKS_WEBHOOK_PATH}"));
}

impl SandboxPair {
    pub async fn start(
        hubspot_listener: TcpListener,
        hubspot: HubspotSandboxConfig,
        quickbooks_listener: TcpListener,
        quickbooks: QuickbooksSandboxConfig,
    ) -> anyhow::Result<Self> {
        let hubspot = HubspotSandbox::start(hubspot_listener, hubspot).await?;
        let quickbooks = QuickbooksSandbox::start(quickbooks_listener, quickbooks).await?;
        Ok(SandboxPair {
            hubspot,
            quickbooks,
        })
    }

    /// The accounts the sandboxes serve, with their dev tokens and webhook secrets.
    pub fn endpoints(&self) -> Result<VendorEndpoints, EndpointError> {
        let hs = self.hubspot.config();
        let qb = self.quickbooks.config();
        VendorEndpoints::local(LocalSandboxAccounts {
            hubspot_base_url: self.hubspot.base_url(),
            portal_id: hs.portal_id.to_string(),
            hubspot_token: SecretString::from(hs.dev_token.clone()),
            hubspot_client_secret: SecretString::from(hs.client_secret.clone()),
            quickbooks_base_url: self.quickbooks.base_url(),
            realm_id: qb.realm_id.clone(),
            quickbooks_token: SecretString::from(qb.dev_token.clone()),
            quickbooks_verifier_token: SecretString::from(qb.verifier_token.clone()),
        })
    }

    pub async fn shutdown(self) {
        self.hubspot.shutdown().await;
        self.quickbooks.shutdown().await;
    }
}
