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
    /// Intuit's default key pair: production's, and every environment's that has no pair of
    /// its own (the app secret's flat `quickbooks.client_id/client_secret`, docs/aws.md §8).
    pub quickbooks_client_id: Option<String>,
    pub quickbooks_client_secret: Option<SecretString>,
    /// Intuit's development key pair, for connections whose environment is `sandbox`, when
    /// the app secret has one (`quickbooks.sandbox`).
    pub quickbooks_sandbox: Option<QuickbooksKeys>,
    pub quickbooks_webhook_verifier: Option<SecretString>,
    /// Accept HubSpot's v1/v2 signatures (no timestamp, replayable) where v3 is absent, for an
    /// app that still sends only those: the app secret's `hubspot.legacy_signatures`
    /// (docs/hubspot.md §5.5). Off by default. Not secret.
    pub hubspot_legacy_signatures: bool,
}

/// One Intuit key pair (an app has one per environment: development and production).
#[derive(Clone)]
pub struct QuickbooksKeys {
    pub client_id: String,
    pub client_secret: SecretString,
}

/// The QBO environment whose companies use Intuit's development keys.
pub const QUICKBOOKS_SANDBOX_ENVIRONMENT: &str = "sandbox";

impl AppCredentials {
    /// The Intuit key pair for connections of `environment` ("production", "sandbox", or
    /// "local"): `sandbox` takes its own pair when there is one; everything else, and a
    /// sandbox without its own pair, takes the default pair.
    pub fn quickbooks_keys(&self, environment: &str) -> Option<QuickbooksKeys> {
        if environment == QUICKBOOKS_SANDBOX_ENVIRONMENT
            && let Some(keys) = &self.quickbooks_sandbox
        {
            return Some(keys.clone());
        }
        match (&self.quickbooks_client_id, &self.quickbooks_client_secret) {
            (Some(client_id), Some(client_secret)) => Some(QuickbooksKeys {
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
            }),
            _ => None,
        }
    }

    /// These credentials with `environment`'s Intuit pair as the default pair: what code
    /// that reads the default pair (the token refresh) gets for a connection of `environment`.
    pub fn for_environment(&self, environment: &str) -> AppCredentials {
        let keys = self.quickbooks_keys(environment);
        AppCredentials {
            quickbooks_client_id: keys.as_ref().map(|k| k.client_id.clone()),
            quickbooks_client_secret: keys.map(|k| k.client_secret),
            ..self.clone()
        }
    }
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
                "quickbooks_sandbox_client_id",
                &self.quickbooks_sandbox.as_ref().map(|k| &k.client_id),
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

    /// Forgets both sides' tokens of `connection` (a disconnect, a deleted connection, or a
    /// connect flow that did not complete). Deleting absent tokens is not an error.
    async fn delete_tokens(&self, connection: &ConnectionId) -> Result<(), VaultError>;

    async fn app_credentials(&self) -> Result<AppCredentials, VaultError>;
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn keys(id: &str, secret: &str) -> QuickbooksKeys {
        QuickbooksKeys {
            client_id: id.into(),
            client_secret: SecretString::from(secret.to_owned()),
        }
    }

    #[test]
    fn each_environment_gets_its_intuit_pair_and_the_default_fills_in() {
        let mut app = AppCredentials {
            quickbooks_client_id: Some("prod-id".into()),
            quickbooks_client_secret: Some(SecretString::from("prod-secret")),
            ..AppCredentials::default()
        };
        let id = |app: &AppCredentials, env: &str| app.quickbooks_keys(env).map(|k| k.client_id);
        assert_eq!(id(&app, "production").as_deref(), Some("prod-id"));
        assert_eq!(
            id(&app, "sandbox").as_deref(),
            Some("prod-id"),
            "no pair of its own"
        );
        app.quickbooks_sandbox = Some(keys("dev-id", "dev-secret"));
        assert_eq!(id(&app, "sandbox").as_deref(), Some("dev-id"));
        assert_eq!(id(&app, "production").as_deref(), Some("prod-id"));
        assert_eq!(id(&app, "local").as_deref(), Some("prod-id"));
        let sandbox = app.for_environment("sandbox");
        assert_eq!(sandbox.quickbooks_client_id.as_deref(), Some("dev-id"));
        assert_eq!(
            sandbox
                .quickbooks_client_secret
                .as_ref()
                .map(|s| s.expose_secret()),
            Some("dev-secret")
        );
        let debug = format!("{app:?}");
        assert!(debug.contains("dev-id"), "{debug}");
        assert!(!debug.contains("dev-secret") && !debug.contains("prod-secret"));
        assert!(
            AppCredentials::default()
                .quickbooks_keys("sandbox")
                .is_none()
        );
    }
}
