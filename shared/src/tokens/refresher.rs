//! Refreshing expiring OAuth tokens safely across containers (docs/architecture.md §7): under a per-connection
//! lease, re-read the stored tokens, refresh once, store the rotated refresh token before the
//! new access token is handed out; `invalid_grant` marks the connection "reconnect required".

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};

use crate::model::{ConnectionId, Side};
use crate::observability::Metrics;
use crate::ports::{
    AppCredentials, Clock, ConnectionStatus, SideTokens, Store, StoreError, TokenVault, VaultError,
};

/// Tokens expiring within this margin are refreshed before use.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);
/// How long a refresh lease is held at most (a refresh call takes well under a second).
pub const REFRESH_LEASE_TTL: Duration = Duration::from_secs(30);
/// How long to wait for another container's refresh before giving up on this attempt.
const WAIT_FOR_OTHER_REFRESH: Duration = Duration::from_secs(5);
const WAIT_STEP: Duration = Duration::from_millis(250);
/// Attempts at storing refreshed tokens (the write is idempotent, see the vault).
const STORE_ATTEMPTS: usize = 3;

/// Why a vendor's token endpoint did not give new tokens.
#[derive(Debug, thiserror::Error)]
pub enum RefreshFailure {
    /// The refresh token is expired, revoked or rotated away: only the user can fix it.
    #[error("the refresh token was rejected (invalid_grant)")]
    InvalidGrant,
    /// Worth trying again later (network, 5xx, 429).
    #[error("temporary failure refreshing tokens: {0}")]
    Transient(String),
    #[error("refreshing tokens failed: {0}")]
    Other(String),
}

/// One vendor's OAuth refresh ([`super::VendorOAuth`] on the real token endpoints; fakes in tests).
#[async_trait]
pub trait OAuthRefresh: Send + Sync {
    async fn refresh(
        &self,
        side: Side,
        refresh_token: &SecretString,
        app: &AppCredentials,
    ) -> Result<SideTokens, RefreshFailure>;
}

/// Why [`TokenRefresher::tokens`] could not give usable tokens.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("connection {connection} has no {side} tokens")]
    Missing {
        connection: ConnectionId,
        side: Side,
    },
    /// The vendor rejected the refresh token; the connection was marked reconnect-required.
    #[error("connection {connection} must be reconnected to {side}")]
    ReconnectRequired {
        connection: ConnectionId,
        side: Side,
    },
    /// The vendor refused an access token that has no refresh token to renew it with (a
    /// static token from the config file): a new token is needed.
    #[error(
        "connection {connection} has a refused {side} access token and no refresh token to renew it"
    )]
    NotRenewable {
        connection: ConnectionId,
        side: Side,
    },
    /// Another container is refreshing and did not finish in time: retry the job later.
    #[error("another worker is refreshing the {side} tokens of {connection}")]
    Busy {
        connection: ConnectionId,
        side: Side,
    },
    #[error(transparent)]
    Vendor(RefreshFailure),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn missing(connection: &ConnectionId, side: Side) -> RefreshError {
    RefreshError::Missing {
        connection: connection.clone(),
        side,
    }
}

/// Hands out unexpired tokens, refreshing them at most once across all containers.
pub struct TokenRefresher {
    vault: Arc<dyn TokenVault>,
    store: Arc<dyn Store>,
    oauth: Arc<dyn OAuthRefresh>,
    clock: Arc<dyn Clock>,
    metrics: Metrics,
    /// Identifies this container as lease holder.
    holder: String,
    /// Serialises refreshes inside this process: the lease is held per container (the same
    /// holder re-takes it), so without this two tasks (the local worker and poller, a batch's
    /// concurrent jobs) would both refresh, and QBO's second refresh would present the token
    /// the first one just rotated away (invalid_grant).
    in_process: tokio::sync::Mutex<()>,
}

impl TokenRefresher {
    pub fn new(
        vault: Arc<dyn TokenVault>,
        store: Arc<dyn Store>,
        oauth: Arc<dyn OAuthRefresh>,
        clock: Arc<dyn Clock>,
        metrics: Metrics,
    ) -> Self {
        TokenRefresher {
            vault,
            store,
            oauth,
            clock,
            metrics,
            holder: uuid::Uuid::new_v4().to_string(),
            in_process: tokio::sync::Mutex::new(()),
        }
    }

    fn is_fresh(&self, tokens: &SideTokens) -> bool {
        let margin = chrono::Duration::from_std(REFRESH_MARGIN).unwrap_or(chrono::Duration::zero());
        tokens.access_expires_at > self.clock.now() + margin
    }

    /// Tokens for `side` of `connection` whose access token is good for at least
    /// [`REFRESH_MARGIN`], refreshing them if needed.
    pub async fn tokens(
        &self,
        connection: &ConnectionId,
        side: Side,
    ) -> Result<SideTokens, RefreshError> {
        let Some(current) = self.vault.tokens(connection, side).await? else {
            return Err(self.no_tokens(connection, side).await);
        };
        if self.is_fresh(&current) {
            return Ok(current);
        }
        self.refresh_unless(connection, side, &|tokens| self.is_fresh(tokens))
            .await
    }

    /// Tokens to use instead of the access token `rejected`, which the vendor refused (401)
    /// before its stored expiry (revoked, or expired early): the stored ones if another caller
    /// already replaced it, else refreshed now under the same lease as [`Self::tokens`]. A
    /// refresh token the vendor rejects marks the connection reconnect-required
    /// (docs/architecture.md §7). Tokens without a refresh token (static ones) cannot be
    /// renewed: [`RefreshError::NotRenewable`].
    pub async fn renew_rejected(
        &self,
        connection: &ConnectionId,
        side: Side,
        rejected: &SecretString,
    ) -> Result<SideTokens, RefreshError> {
        let replaced =
            |tokens: &SideTokens| tokens.access_token.expose_secret() != rejected.expose_secret();
        let Some(current) = self.vault.tokens(connection, side).await? else {
            return Err(self.no_tokens(connection, side).await);
        };
        if replaced(&current) {
            return Ok(current);
        }
        if current.refresh_token.expose_secret().is_empty() {
            return Err(RefreshError::NotRenewable {
                connection: connection.clone(),
                side,
            });
        }
        tracing::warn!(connection = %connection, %side, "the vendor refused an unexpired access token; refreshing once");
        self.refresh_unless(connection, side, &replaced).await
    }

    /// Refreshes the tokens of `side` once across containers, unless (re-read under the
    /// process lock, while waiting for another holder, and under the lease) they are `usable`.
    async fn refresh_unless(
        &self,
        connection: &ConnectionId,
        side: Side,
        usable: &(dyn Fn(&SideTokens) -> bool + Send + Sync),
    ) -> Result<SideTokens, RefreshError> {
        // Refreshes are rare and short; one at a time per process keeps this simple.
        let _one_at_a_time = self.in_process.lock().await;
        if let Some(tokens) = self.vault.tokens(connection, side).await?
            && usable(&tokens)
        {
            return Ok(tokens);
        }
        let lease = format!("token-refresh-{side}");
        let mut waited = Duration::ZERO;
        loop {
            let taken = self
                .store
                .acquire_lease(
                    connection,
                    &lease,
                    &self.holder,
                    REFRESH_LEASE_TTL,
                    self.clock.now(),
                )
                .await?;
            if taken.is_some() {
                break;
            }
            // Someone else is refreshing: wait for their result rather than refreshing twice
            // (a second QBO refresh would rotate away the token they are about to store).
            if waited >= WAIT_FOR_OTHER_REFRESH {
                return Err(RefreshError::Busy {
                    connection: connection.clone(),
                    side,
                });
            }
            tokio::time::sleep(WAIT_STEP).await;
            waited += WAIT_STEP;
            if let Some(tokens) = self.vault.tokens(connection, side).await?
                && usable(&tokens)
            {
                return Ok(tokens);
            }
        }
        let result = self.refresh_under_lease(connection, side, usable).await;
        if let Err(err) = self
            .store
            .release_lease(connection, &lease, &self.holder)
            .await
        {
            // The lease expires by itself; the tokens are what matter.
            tracing::warn!(connection = %connection, %side, error = %err, "could not release the token refresh lease");
        }
        result
    }

    async fn refresh_under_lease(
        &self,
        connection: &ConnectionId,
        side: Side,
        usable: &(dyn Fn(&SideTokens) -> bool + Send + Sync),
    ) -> Result<SideTokens, RefreshError> {
        // Re-read after taking the lease: a refresh that finished meanwhile wins.
        let current = self
            .vault
            .tokens(connection, side)
            .await?
            .ok_or_else(|| missing(connection, side))?;
        if usable(&current) {
            return Ok(current);
        }
        let app = self.app_credentials_for(connection, side).await?;
        let fresh = match self.oauth.refresh(side, &current.refresh_token, &app).await {
            Ok(fresh) => fresh,
            Err(RefreshFailure::InvalidGrant) => {
                self.mark_reconnect_required(connection, side).await?;
                return Err(RefreshError::ReconnectRequired {
                    connection: connection.clone(),
                    side,
                });
            }
            Err(other) => return Err(RefreshError::Vendor(other)),
        };
        // Store before use: QBO has already rotated the refresh token, and the new one exists
        // only in `fresh` until this write succeeds.
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self
                .vault
                .store_tokens(connection, side, fresh.clone())
                .await
            {
                Ok(()) => break,
                Err(err) if attempt < STORE_ATTEMPTS => {
                    tracing::warn!(connection = %connection, %side, attempt, error = %err, "storing refreshed tokens failed; retrying");
                    tokio::time::sleep(WAIT_STEP * attempt as u32).await;
                }
                Err(err) => return Err(err.into()),
            }
        }
        tracing::info!(connection = %connection, %side, expires_at = %fresh.access_expires_at, "refreshed tokens");
        Ok(fresh)
    }

    /// The app credentials with the Intuit key pair of the connection's environment (a
    /// sandbox company's tokens refresh only with the development keys); a connection without
    /// a record yet uses the default pair.
    async fn app_credentials_for(
        &self,
        connection: &ConnectionId,
        side: Side,
    ) -> Result<AppCredentials, RefreshError> {
        let app = self.vault.app_credentials().await?;
        if side == Side::Hubspot {
            return Ok(app);
        }
        Ok(match self.store.get_connection(connection).await? {
            Some(record) => app.for_environment(&record.environment),
            None => app,
        })
    }

    async fn mark_reconnect_required(
        &self,
        connection: &ConnectionId,
        side: Side,
    ) -> Result<(), RefreshError> {
        self.metrics.reconnect_required(side);
        tracing::error!(connection = %connection, %side, status = "reconnect-required", "the vendor rejected the refresh token; the connection is paused until reconnected");
        if let Some(mut record) = self.store.get_connection(connection).await? {
            record.status = ConnectionStatus::ReconnectRequired;
            self.store.put_connection(&record).await?;
        }
        Ok(())
    }

    /// An active connection whose tokens are gone (its token secret deleted or emptied by
    /// hand) cannot sync until it is connected again: it is marked reconnect-required like a
    /// rejected refresh token, so its status, the reconnect-required gauge and its alarm say so
    /// (docs/architecture.md §7). A connection not yet (or no longer) active is left as it is:
    /// connecting stores the tokens before it activates, disconnecting changes the status first.
    async fn no_tokens(&self, connection: &ConnectionId, side: Side) -> RefreshError {
        match self.store.get_connection(connection).await {
            Ok(Some(mut record)) if record.status == ConnectionStatus::Active => {
                self.metrics.reconnect_required(side);
                tracing::error!(connection = %connection, %side, status = "reconnect-required", "no tokens are stored for this connection (its token secret is missing or empty); the connection is paused until reconnected");
                record.status = ConnectionStatus::ReconnectRequired;
                if let Err(error) = self.store.put_connection(&record).await {
                    return error.into();
                }
            }
            Ok(_) => {}
            Err(error) => return error.into(),
        }
        missing(connection, side)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::adapters::memory::{MemoryStore, MemoryTokenVault};
    use crate::ports::SystemClock;

    /// A token endpoint with strict rotation (like QBO): each refresh token works once.
    struct StrictRotation {
        live: Mutex<String>,
        calls: Mutex<usize>,
    }

    #[async_trait]
    impl OAuthRefresh for StrictRotation {
        async fn refresh(
            &self,
            _side: Side,
            refresh_token: &SecretString,
            _app: &AppCredentials,
        ) -> Result<SideTokens, RefreshFailure> {
            // Slow enough for the other task to arrive while this refresh is in flight.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let mut live = self.live.lock().unwrap();
            if refresh_token.expose_secret() != live.as_str() {
                return Err(RefreshFailure::InvalidGrant);
            }
            let mut calls = self.calls.lock().unwrap();
            *calls += 1;
            *live = format!("r{calls}");
            Ok(SideTokens {
                access_token: SecretString::from(format!("a{calls}")),
                refresh_token: SecretString::from(live.clone()),
                access_expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
                refresh_expires_at: None,
            })
        }
    }

    /// Records which Intuit client id each refresh was signed with.
    #[derive(Default)]
    struct ClientIds(Mutex<Vec<Option<String>>>);

    #[async_trait]
    impl OAuthRefresh for ClientIds {
        async fn refresh(
            &self,
            _side: Side,
            _refresh_token: &SecretString,
            app: &AppCredentials,
        ) -> Result<SideTokens, RefreshFailure> {
            self.0
                .lock()
                .unwrap()
                .push(app.quickbooks_client_id.clone());
            Ok(SideTokens {
                access_token: SecretString::from("fresh".to_owned()),
                refresh_token: SecretString::from("rotated".to_owned()),
                access_expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
                refresh_expires_at: None,
            })
        }
    }

    #[tokio::test]
    async fn each_connection_refreshes_with_the_key_pair_of_its_environment() {
        use crate::model::{Connection, ConnectionSettings};
        use crate::ports::{ConnectionRecord, Connections, QuickbooksKeys};
        let app = AppCredentials {
            quickbooks_client_id: Some("prod-id".into()),
            quickbooks_client_secret: Some(SecretString::from("prod-secret".to_owned())),
            quickbooks_sandbox: Some(QuickbooksKeys {
                client_id: "dev-id".into(),
                client_secret: SecretString::from("dev-secret".to_owned()),
            }),
            ..AppCredentials::default()
        };
        let vault = Arc::new(MemoryTokenVault::new(app));
        let store = Arc::new(MemoryStore::new());
        let stale = || SideTokens {
            access_token: SecretString::from("old".to_owned()),
            refresh_token: SecretString::from("r0".to_owned()),
            access_expires_at: chrono::Utc::now(),
            refresh_expires_at: None,
        };
        for (id, environment) in [("sandboxed", "sandbox"), ("live", "production")] {
            let connection = ConnectionId::new(id).unwrap();
            store
                .put_connection(&ConnectionRecord {
                    connection: Connection {
                        id: connection.clone(),
                        hubspot_portal_id: "1".into(),
                        qbo_realm_id: id.into(),
                        settings: ConnectionSettings::default(),
                    },
                    environment: environment.into(),
                    status: ConnectionStatus::Active,
                })
                .await
                .unwrap();
            vault
                .store_tokens(&connection, Side::Quickbooks, stale())
                .await
                .unwrap();
        }
        let oauth = Arc::new(ClientIds::default());
        let refresher = TokenRefresher::new(
            vault,
            store,
            oauth.clone(),
            Arc::new(SystemClock),
            Metrics::new(),
        );
        for id in ["sandboxed", "live"] {
            refresher
                .tokens(&ConnectionId::new(id).unwrap(), Side::Quickbooks)
                .await
                .unwrap();
        }
        assert_eq!(
            *oauth.0.lock().unwrap(),
            vec![Some("dev-id".to_owned()), Some("prod-id".to_owned())]
        );
    }

    #[tokio::test]
    async fn concurrent_callers_in_one_process_refresh_once() {
        let vault = Arc::new(MemoryTokenVault::new(AppCredentials::default()));
        let connection = ConnectionId::new("acme").unwrap();
        vault
            .store_tokens(
                &connection,
                Side::Quickbooks,
                SideTokens {
                    access_token: SecretString::from("a0".to_owned()),
                    refresh_token: SecretString::from("r0".to_owned()),
                    access_expires_at: chrono::Utc::now(),
                    refresh_expires_at: None,
                },
            )
            .await
            .unwrap();
        let oauth = Arc::new(StrictRotation {
            live: Mutex::new("r0".into()),
            calls: Mutex::new(0),
        });
        let refresher = TokenRefresher::new(
            vault.clone(),
            Arc::new(MemoryStore::new()),
            oauth.clone(),
            Arc::new(SystemClock),
            Metrics::new(),
        );
        let (a, b) = tokio::join!(
            refresher.tokens(&connection, Side::Quickbooks),
            refresher.tokens(&connection, Side::Quickbooks)
        );
        assert_eq!(a.unwrap().access_token.expose_secret(), "a1");
        assert_eq!(b.unwrap().access_token.expose_secret(), "a1");
        assert_eq!(*oauth.calls.lock().unwrap(), 1);
        let stored = vault
            .tokens(&connection, Side::Quickbooks)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.refresh_token.expose_secret(), "r1");
    }

    use crate::ports::Connections;

    fn unexpired(access: &str, refresh: &str) -> SideTokens {
        SideTokens {
            access_token: SecretString::from(access.to_owned()),
            refresh_token: SecretString::from(refresh.to_owned()),
            access_expires_at: chrono::Utc::now() + chrono::Duration::minutes(50),
            refresh_expires_at: None,
        }
    }

    async fn refresher_with(
        tokens: SideTokens,
        live_refresh: &str,
    ) -> (TokenRefresher, Arc<StrictRotation>, ConnectionId) {
        let vault = Arc::new(MemoryTokenVault::new(AppCredentials::default()));
        let connection = ConnectionId::new("acme").unwrap();
        vault
            .store_tokens(&connection, Side::Quickbooks, tokens)
            .await
            .unwrap();
        let oauth = Arc::new(StrictRotation {
            live: Mutex::new(live_refresh.into()),
            calls: Mutex::new(0),
        });
        let store = Arc::new(MemoryStore::new());
        store
            .put_connection(&crate::ports::ConnectionRecord {
                connection: crate::model::Connection {
                    id: connection.clone(),
                    hubspot_portal_id: "1".into(),
                    qbo_realm_id: "2".into(),
                    settings: crate::model::ConnectionSettings::default(),
                },
                environment: "sandbox".into(),
                status: ConnectionStatus::Active,
            })
            .await
            .unwrap();
        let refresher = TokenRefresher::new(
            vault,
            store,
            oauth.clone(),
            Arc::new(SystemClock),
            Metrics::new(),
        );
        (refresher, oauth, connection)
    }

    #[tokio::test]
    async fn a_refused_unexpired_token_is_refreshed_once_for_every_caller_that_saw_it() {
        let (refresher, oauth, connection) = refresher_with(unexpired("a0", "r0"), "r0").await;
        let refused = SecretString::from("a0".to_owned());
        let (a, b) = tokio::join!(
            refresher.renew_rejected(&connection, Side::Quickbooks, &refused),
            refresher.renew_rejected(&connection, Side::Quickbooks, &refused)
        );
        assert_eq!(a.unwrap().access_token.expose_secret(), "a1");
        assert_eq!(b.unwrap().access_token.expose_secret(), "a1");
        assert_eq!(*oauth.calls.lock().unwrap(), 1, "one refresh for both");
        // The plain path still sees the stored (unexpired) token: no refresh.
        let again = refresher
            .tokens(&connection, Side::Quickbooks)
            .await
            .unwrap();
        assert_eq!(again.access_token.expose_secret(), "a1");
        assert_eq!(*oauth.calls.lock().unwrap(), 1);
    }

    #[tokio::test]
    async fn a_refused_token_whose_refresh_token_is_dead_marks_the_connection() {
        let (refresher, _, connection) = refresher_with(unexpired("a0", "r0"), "elsewhere").await;
        let refused = SecretString::from("a0".to_owned());
        let error = refresher
            .renew_rejected(&connection, Side::Quickbooks, &refused)
            .await
            .unwrap_err();
        assert!(matches!(error, RefreshError::ReconnectRequired { .. }));
        let record = refresher.store.get_connection(&connection).await.unwrap();
        assert_eq!(record.unwrap().status, ConnectionStatus::ReconnectRequired);
    }

    #[tokio::test]
    async fn a_refused_static_token_is_not_renewable() {
        let (refresher, oauth, connection) = refresher_with(unexpired("a0", ""), "").await;
        let refused = SecretString::from("a0".to_owned());
        let error = refresher
            .renew_rejected(&connection, Side::Quickbooks, &refused)
            .await
            .unwrap_err();
        assert!(matches!(error, RefreshError::NotRenewable { .. }));
        assert_eq!(*oauth.calls.lock().unwrap(), 0);
    }

    #[tokio::test]
    async fn an_active_connection_without_tokens_is_marked_reconnect_required() {
        let (refresher, oauth, connection) = refresher_with(unexpired("a0", "r0"), "r0").await;
        // The QBO side has tokens; the HubSpot side never had (its secret emptied by hand).
        let error = refresher
            .tokens(&connection, Side::Hubspot)
            .await
            .unwrap_err();
        assert!(matches!(error, RefreshError::Missing { .. }), "{error}");
        let record = refresher.store.get_connection(&connection).await.unwrap();
        assert_eq!(record.unwrap().status, ConnectionStatus::ReconnectRequired);
        assert_eq!(*oauth.calls.lock().unwrap(), 0);
        assert_eq!(
            refresher.metrics.count(
                crate::observability::MetricName::ReconnectRequired,
                &[("Vendor", "hubspot")]
            ),
            1.0
        );
    }

    #[tokio::test]
    async fn a_connection_not_yet_active_is_left_alone_when_its_tokens_are_missing() {
        let (refresher, _, connection) = refresher_with(unexpired("a0", "r0"), "r0").await;
        let mut record = refresher
            .store
            .get_connection(&connection)
            .await
            .unwrap()
            .unwrap();
        record.status = ConnectionStatus::Disconnected;
        refresher.store.put_connection(&record).await.unwrap();
        let error = refresher
            .tokens(&connection, Side::Hubspot)
            .await
            .unwrap_err();
        assert!(matches!(error, RefreshError::Missing { .. }), "{error}");
        let record = refresher.store.get_connection(&connection).await.unwrap();
        assert_eq!(record.unwrap().status, ConnectionStatus::Disconnected);
    }
}
