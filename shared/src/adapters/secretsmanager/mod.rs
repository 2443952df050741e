//! The Secrets Manager `TokenVault`: the app secret and one secret per connection (named
//! `{prefix}{connection}`), cached per container for a short TTL, rewritten with
//! `PutSecretValue` and a content-derived client request token (safe to retry).

mod document;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::DisplayErrorContext;
use aws_sdk_secretsmanager::operation::create_secret::CreateSecretError;
use aws_sdk_secretsmanager::operation::delete_secret::DeleteSecretError;
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use chrono::Utc;
use sha2::{Digest, Sha256};

use self::document::{AppSecretDocument, ConnectionSecretDocument, app_secret_json};
use crate::model::{ConnectionId, Side};
use crate::ports::{AppCredentials, SideTokens, TokenVault, VaultError};
use crate::tokens::REFRESH_MARGIN;

/// How long a connection secret read is reused (a refresh by another container shows up
/// within this; tokens that are about to expire are always re-read).
pub const CONNECTION_CACHE_TTL: Duration = Duration::from_secs(60);
/// How long the app secret is reused (infra/DEPLOY.md: "a few minutes").
pub const APP_CACHE_TTL: Duration = Duration::from_secs(300);

/// Where the secrets are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretNames {
    /// ARN or name of the app secret (`APP_SECRET_ARN`).
    pub app_secret: String,
    /// Prefix of connection secrets (`CONNECTION_SECRET_PREFIX`, e.g. `hqsync/connection/`).
    pub connection_prefix: String,
}

impl SecretNames {
    pub fn connection_secret(&self, connection: &ConnectionId) -> String {
        format!("{}{connection}", self.connection_prefix)
    }
}

#[derive(Default)]
struct Cache {
    app: Option<(Instant, AppCredentials)>,
    connections: HashMap<ConnectionId, (Instant, Option<ConnectionSecretDocument>)>,
}

/// The vault on Secrets Manager; one per container (clones share the cache).
#[derive(Clone)]
pub struct SecretsManagerVault {
    client: Client,
    names: Arc<SecretNames>,
    cache: Arc<Mutex<Cache>>,
    connection_ttl: Duration,
    app_ttl: Duration,
}

impl SecretsManagerVault {
    pub fn new(client: Client, names: SecretNames) -> Self {
        SecretsManagerVault {
            client,
            names: Arc::new(names),
            cache: Arc::default(),
            connection_ttl: CONNECTION_CACHE_TTL,
            app_ttl: APP_CACHE_TTL,
        }
    }

    /// Overrides the cache lifetimes (tests; `Duration::ZERO` disables caching).
    pub fn with_cache_ttls(mut self, connection: Duration, app: Duration) -> Self {
        self.connection_ttl = connection;
        self.app_ttl = app;
        self
    }

    pub fn names(&self) -> &SecretNames {
        &self.names
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        // The cache is only replaced whole, so a poisoned lock still holds usable data.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The secret's string, `None` when it does not exist.
    async fn read(&self, secret_id: &str) -> Result<Option<String>, VaultError> {
        match self
            .client
            .get_secret_value()
            .secret_id(secret_id)
            .send()
            .await
        {
            Ok(out) => Ok(out.secret_string),
            Err(err) => match err.into_service_error() {
                GetSecretValueError::ResourceNotFoundException(_) => Ok(None),
                other => Err(backend("GetSecretValue", secret_id, other)),
            },
        }
    }

    /// The connection's secret, from Secrets Manager (never the cache); caches the answer.
    async fn load_connection(
        &self,
        connection: &ConnectionId,
    ) -> Result<Option<ConnectionSecretDocument>, VaultError> {
        let name = self.names.connection_secret(connection);
        let document = match self.read(&name).await? {
            None => None,
            Some(text) => Some(serde_json::from_str(&text).map_err(|e| {
                // serde's message names the position and the expected shape, never the value.
                VaultError::Backend(format!("secret {name} is not a connection secret: {e}"))
            })?),
        };
        self.lock()
            .connections
            .insert(connection.clone(), (Instant::now(), document.clone()));
        Ok(document)
    }

    fn cached_connection(
        &self,
        connection: &ConnectionId,
    ) -> Option<Option<ConnectionSecretDocument>> {
        let cache = self.lock();
        let (at, document) = cache.connections.get(connection)?;
        (at.elapsed() < self.connection_ttl).then(|| document.clone())
    }

    /// Writes the whole connection document: `PutSecretValue` on an existing secret, else
    /// `CreateSecret` (local stacks; deployed stacks create connection secrets by hand). The
    /// client request token is derived from name and content, so a retried write of the same
    /// tokens is a no-op rather than a second version.
    async fn write_connection(
        &self,
        connection: &ConnectionId,
        document: &ConnectionSecretDocument,
        exists: bool,
    ) -> Result<(), VaultError> {
        let name = self.names.connection_secret(connection);
        let text = serde_json::to_string(document)
            .map_err(|e| VaultError::Backend(format!("cannot encode secret {name}: {e}")))?;
        let token = client_request_token(&name, &text);
        if exists {
            self.client
                .put_secret_value()
                .secret_id(&name)
                .secret_string(text)
                .client_request_token(token)
                .send()
                .await
                .map_err(|e| backend("PutSecretValue", &name, e))?;
        } else {
            let created = self
                .client
                .create_secret()
                .name(&name)
                .description(format!("HQSync connection {connection} tokens"))
                .secret_string(text.clone())
                .client_request_token(token.clone())
                .send()
                .await;
            match created {
                Ok(_) => {}
                Err(err) => match err.into_service_error() {
                    // Created meanwhile by someone else: write our version on top.
                    CreateSecretError::ResourceExistsException(_) => {
                        self.client
                            .put_secret_value()
                            .secret_id(&name)
                            .secret_string(text)
                            .client_request_token(token)
                            .send()
                            .await
                            .map_err(|e| backend("PutSecretValue", &name, e))?;
                    }
                    other => return Err(backend("CreateSecret", &name, other)),
                },
            }
        }
        self.lock()
            .connections
            .insert(connection.clone(), (Instant::now(), Some(document.clone())));
        Ok(())
    }

    /// Writes the app secret (local stacks, `hqsync dev --aws-endpoint`; a deployed stack's
    /// app secret is put by hand, infra/DEPLOY.md §5): creates it when absent.
    pub async fn put_app_credentials(&self, app: &AppCredentials) -> Result<(), VaultError> {
        let name = &self.names.app_secret;
        let text = app_secret_json(app);
        let token = client_request_token(name, &text);
        let created = self
            .client
            .create_secret()
            .name(name)
            .description("HQSync app credentials")
            .secret_string(text.clone())
            .client_request_token(token.clone())
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(err) => match err.into_service_error() {
                CreateSecretError::ResourceExistsException(_) => {
                    self.client
                        .put_secret_value()
                        .secret_id(name)
                        .secret_string(text)
                        .client_request_token(token)
                        .send()
                        .await
                        .map_err(|e| backend("PutSecretValue", name, e))?;
                }
                other => return Err(backend("CreateSecret", name, other)),
            },
        }
        self.lock().app = Some((Instant::now(), app.clone()));
        Ok(())
    }

    /// Forgets cached secrets (e.g. after the user replaced tokens by hand).
    pub fn clear_cache(&self) {
        *self.lock() = Cache::default();
    }
}

#[async_trait]
impl TokenVault for SecretsManagerVault {
    async fn tokens(
        &self,
        connection: &ConnectionId,
        side: Side,
    ) -> Result<Option<SideTokens>, VaultError> {
        let refresh_due = Utc::now()
            + chrono::Duration::from_std(REFRESH_MARGIN).unwrap_or(chrono::Duration::zero());
        if let Some(document) = self.cached_connection(connection) {
            let tokens = document.as_ref().and_then(|d| d.tokens(side));
            // Tokens about to expire are re-read: another container may have refreshed them,
            // and the refresher must see the stored state after taking its lease.
            if tokens
                .as_ref()
                .is_some_and(|t| t.access_expires_at > refresh_due)
            {
                return Ok(tokens);
            }
        }
        Ok(self
            .load_connection(connection)
            .await?
            .and_then(|d| d.tokens(side)))
    }

    async fn store_tokens(
        &self,
        connection: &ConnectionId,
        side: Side,
        tokens: SideTokens,
    ) -> Result<(), VaultError> {
        // Read-modify-write of the whole document; the other side's tokens are kept. Callers
        // hold the connection's refresh lease for `side`, and sides are refreshed under
        // separate leases, so re-read right before writing to keep the other side's latest.
        let current = self.load_connection(connection).await?;
        let exists = current.is_some();
        let mut document = current.unwrap_or_default();
        document.set_tokens(side, &tokens);
        self.write_connection(connection, &document, exists).await
    }

    async fn delete_tokens(&self, connection: &ConnectionId) -> Result<(), VaultError> {
        let name = self.names.connection_secret(connection);
        // Without the recovery window: a reconnect of the same id creates the secret anew at
        // once, which a secret scheduled for deletion would refuse.
        let deleted = self
            .client
            .delete_secret()
            .secret_id(&name)
            .force_delete_without_recovery(true)
            .send()
            .await;
        match deleted {
            Ok(_) => {}
            Err(err) => match err.into_service_error() {
                DeleteSecretError::ResourceNotFoundException(_) => {}
                other => return Err(backend("DeleteSecret", &name, other)),
            },
        }
        self.lock()
            .connections
            .insert(connection.clone(), (Instant::now(), None));
        Ok(())
    }

    async fn app_credentials(&self) -> Result<AppCredentials, VaultError> {
        if let Some((at, app)) = &self.lock().app
            && at.elapsed() < self.app_ttl
        {
            return Ok(app.clone());
        }
        let name = &self.names.app_secret;
        let text = self.read(name).await?.ok_or_else(|| {
            VaultError::Backend(format!(
                "the app secret {name} has no value yet (infra/DEPLOY.md §5)"
            ))
        })?;
        let app = serde_json::from_str::<AppSecretDocument>(&text)
            .map_err(|e| VaultError::Backend(format!("secret {name} is not an app secret: {e}")))?
            .into_credentials();
        self.lock().app = Some((Instant::now(), app.clone()));
        Ok(app)
    }
}

/// A deterministic `ClientRequestToken` (32-64 characters) for writing `text` to `name`.
fn client_request_token(name: &str, text: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(name.as_bytes());
    hash.update([0]);
    hash.update(text.as_bytes());
    hex::encode(&hash.finalize()[..24])
}

fn backend<E: std::error::Error + 'static>(operation: &str, name: &str, err: E) -> VaultError {
    VaultError::Backend(format!(
        "Secrets Manager {operation} on {name}: {}",
        DisplayErrorContext(err)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_tokens_are_deterministic_per_content_and_within_the_api_limits() {
        let a = client_request_token("hqsync/connection/acme", "{\"x\":1}");
        assert_eq!(
            a,
            client_request_token("hqsync/connection/acme", "{\"x\":1}")
        );
        assert_ne!(
            a,
            client_request_token("hqsync/connection/acme", "{\"x\":2}")
        );
        assert_ne!(
            a,
            client_request_token("hqsync/connection/acmf", "{\"x\":1}")
        );
        assert!((32..=64).contains(&a.len()));
    }

    #[test]
    fn connection_secrets_are_named_by_prefix_and_id() {
        let names = SecretNames {
            app_secret: "arn:app".into(),
            connection_prefix: "hqsync/connection/".into(),
        };
        assert_eq!(
            names.connection_secret(&ConnectionId::new("acme").unwrap()),
            "hqsync/connection/acme"
        );
    }
}
