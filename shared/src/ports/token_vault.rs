//! The `TokenVault` port: each connection's OAuth tokens for both sides and the app
//! credentials, always as `SecretString` (never printed, never in Debug output or errors).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::model::{ConnectionId, Side};

/// One side's tokens. `Debug` shows only the expiry.
#[derive(Clone)]
pub struct SideTokens {
    pub access_token: SecretString,
    pub refresh_token: SecretString,
    pub access_expires_at: DateTime<Utc>,
    /// QBO refresh tokens expire (and rotate); HubSpot's do not.
    pub refresh_expires_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for SideTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SideTokens")
            .field("access_token", &"[REDACTED]")
            .field("refresh_token", &"[REDACTED]")
            .field("access_expires_at", &self.access_expires_at)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .finish()
    }
}

/// The app's own credentials (one app secret per deployment). Fields a deployment does not
/// use are `None`.
#[derive(Clone, Default)]
pub struct AppCredentials {
    /// Our HubSpot app's id: webhook events it caused (`changeSource` INTEGRATION with this
    /// `sourceId`) are our own writes echoing back and are dropped (docs/hubspot.md §11 item 4).
    /// Not secret.
    pub hubspot_app_id: Option<String>,
    pub hubspot_client_id: Option<String>,
    pub hubspot_client_secret: Option<SecretString>,
    pub quickbooks_client_id: Option<String>,
    pub quickbooks_client_secret: Option<SecretString>,
    pub quickbooks_webhook_verifier: Option<SecretString>,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |s: &Option<SecretString>| if s.is_some() { "[REDACTED]" } else { "none" };
        f.debug_struct("AppCredentials")
            .field("hubspot_app_id", &self.hubspot_app_id)
            .field("hubspot_client_id", &self.hubspot_client_id)
            .field("hubspot_client_secret", &shown(&self.hubspot_client_secret))
            .field("quickbooks_client_id", &self.quickbooks_client_id)
            .field(
                "quickbooks_client_secret",
                &shown(&self.quickbooks_client_secret),
            )
            .field(
                "quickbooks_webhook_verifier",
                &shown(&self.quickbooks_webhook_verifier),
            )
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no {side:?} tokens stored for connection {connection}")]
    Missing { connection: String, side: Side },
    #[error("token vault backend failed: {0}")]
    Backend(String),
}

/// Where tokens live: Secrets Manager on AWS; SQLite (seeded from config/env) or memory locally.
#[async_trait]
pub trait TokenVault: Send + Sync {
    /// The stored tokens of one side, `None` when the connection has none for that side.
    async fn tokens(
        &self,
        connection: &ConnectionId,
        side: Side,
    ) -> Result<Option<SideTokens>, VaultError>;

    /// Stores refreshed tokens (store the rotated refresh token before using the new access
    /// token, docs/architecture.md §7).
    async fn store_tokens(
        &self,
        connection: &ConnectionId,
        side: Side,
        tokens: SideTokens,
    ) -> Result<(), VaultError>;

    async fn app_credentials(&self) -> Result<AppCredentials, VaultError>;
}
