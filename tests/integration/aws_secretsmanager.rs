//! The Secrets Manager token vault and the lease-guarded token refresh against moto (secrets)
//! and moto's DynamoDB (leases, connection status): documented secret shapes, caching,
//! idempotent writes, one refresh across containers, invalid_grant, store-before-use.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use hqsync::adapters::secretsmanager::SecretsManagerVault;
use hqsync::model::{Connection, ConnectionId, ConnectionSettings, Side};
use hqsync::observability::{MetricName, Metrics};
use hqsync::ports::{
    AppCredentials, ConnectionRecord, ConnectionStatus, SideTokens, Store, SystemClock, TokenVault,
    VaultError,
};
use hqsync::tokens::{OAuthRefresh, RefreshError, RefreshFailure, TokenRefresher};
use secrecy::{ExposeSecret, SecretString};

use super::aws_moto::moto;

const APP_SECRET: &str = r#"{"hubspot": {"app_id": "1234567", "client_id": "hs-client",
    "client_secret": "hs-app-secret"}, "quickbooks": {"client_id": "qb-client",
    "client_secret": "qb-app-secret", "webhook_verifier_token": "qb-verifier"}}"#;

fn tokens(access: &str, refresh: &str, expires_in: chrono::Duration) -> SideTokens {
    SideTokens {
        access_token: SecretString::from(access.to_owned()),
        refresh_token: SecretString::from(refresh.to_owned()),
        access_expires_at: Utc::now() + expires_in,
        refresh_expires_at: Some(Utc::now() + chrono::Duration::days(100)),
    }
}

fn conn() -> ConnectionId {
    ConnectionId::new("acme").unwrap()
}

async fn raw_secret(client: &aws_sdk_secretsmanager::Client, name: &str) -> serde_json::Value {
    let text = client
        .get_secret_value()
        .secret_id(name)
        .send()
        .await
        .unwrap()
        .secret_string
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn secrets_vault_writes_the_documented_shape_and_keeps_the_other_side() {
    let Some(moto) =
        moto("secrets_vault_writes_the_documented_shape_and_keeps_the_other_side").await
    else {
        return;
    };
    let vault = moto.fresh_vault(APP_SECRET).await;
    let c = conn();
    assert!(vault.tokens(&c, Side::Quickbooks).await.unwrap().is_none());

    let qbo = tokens("qb-access-1", "qb-refresh-1", chrono::Duration::hours(1));
    vault
        .store_tokens(&c, Side::Quickbooks, qbo.clone())
        .await
        .unwrap();
    let hubspot = tokens("hs-access-1", "hs-refresh-1", chrono::Duration::minutes(30));
    vault
        .store_tokens(&c, Side::Hubspot, hubspot.clone())
        .await
        .unwrap();

    let name = vault.names().connection_secret(&c);
    let raw = raw_secret(&moto.secrets, &name).await;
    assert_eq!(raw["quickbooks"]["refresh_token"], "qb-refresh-1");
    assert_eq!(raw["hubspot"]["access_token"], "hs-access-1");
    assert!(raw["quickbooks"]["expires_at"].is_string());
    assert!(raw["quickbooks"]["refresh_expires_at"].is_string());

    // A second container reads what the first wrote.
    let other = SecretsManagerVault::new(moto.secrets.clone(), vault.names().clone());
    let read = other.tokens(&c, Side::Quickbooks).await.unwrap().unwrap();
    assert_eq!(read.refresh_token.expose_secret(), "qb-refresh-1");
    assert_eq!(read.access_expires_at, qbo.access_expires_at);
    let read = other.tokens(&c, Side::Hubspot).await.unwrap().unwrap();
    assert_eq!(read.access_token.expose_secret(), "hs-access-1");

    let app = other.app_credentials().await.unwrap();
    assert_eq!(app.hubspot_client_id.as_deref(), Some("hs-client"));
    assert_eq!(
        app.quickbooks_webhook_verifier
            .as_ref()
            .map(|s| s.expose_secret()),
        Some("qb-verifier")
    );
    let shown = format!("{app:?} {read:?}");
    for secret in [
        "hs-app-secret",
        "qb-app-secret",
        "qb-verifier",
        "hs-access-1",
    ] {
        assert!(!shown.contains(secret), "{secret} leaked into Debug output");
    }
}

#[tokio::test]
async fn secrets_vault_caches_good_tokens_but_rereads_expiring_ones() {
    let Some(moto) = moto("secrets_vault_caches_good_tokens_but_rereads_expiring_ones").await
    else {
        return;
    };
    let vault = moto.fresh_vault(APP_SECRET).await;
    let c = conn();
    let name = vault.names().connection_secret(&c);
    let writer = SecretsManagerVault::new(moto.secrets.clone(), vault.names().clone());
    writer
        .store_tokens(
            &c,
            Side::Hubspot,
            tokens("good", "r", chrono::Duration::hours(1)),
        )
        .await
        .unwrap();
    assert_eq!(
        vault
            .tokens(&c, Side::Hubspot)
            .await
            .unwrap()
            .unwrap()
            .access_token
            .expose_secret(),
        "good"
    );
    // Replaced behind the cache's back: the cached, still-good token is served.
    moto.secrets
        .put_secret_value()
        .secret_id(&name)
        .secret_string(
            serde_json::json!({"hubspot": {"access_token": "expiring", "refresh_token": "r",
                "expires_at": (Utc::now() + chrono::Duration::minutes(1)).to_rfc3339()}})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let cached = vault.tokens(&c, Side::Hubspot).await.unwrap().unwrap();
    assert_eq!(cached.access_token.expose_secret(), "good");

    // A vault whose cache holds an expiring token goes back to Secrets Manager every time.
    let fresh_view = SecretsManagerVault::new(moto.secrets.clone(), vault.names().clone());
    let expiring = fresh_view.tokens(&c, Side::Hubspot).await.unwrap().unwrap();
    assert_eq!(expiring.access_token.expose_secret(), "expiring");
    moto.secrets
        .put_secret_value()
        .secret_id(&name)
        .secret_string(
            serde_json::json!({"hubspot": {"access_token": "renewed", "refresh_token": "r2",
                "expires_at": (Utc::now() + chrono::Duration::hours(1)).to_rfc3339()}})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let renewed = fresh_view.tokens(&c, Side::Hubspot).await.unwrap().unwrap();
    assert_eq!(renewed.access_token.expose_secret(), "renewed");
}

#[tokio::test]
async fn secrets_vault_rewrites_are_idempotent_and_a_missing_app_secret_is_explained() {
    let Some(moto) =
        moto("secrets_vault_rewrites_are_idempotent_and_a_missing_app_secret_is_explained").await
    else {
        return;
    };
    let vault = moto.fresh_vault(APP_SECRET).await;
    let c = conn();
    let same = tokens("a", "r", chrono::Duration::hours(1));
    vault
        .store_tokens(&c, Side::Quickbooks, same.clone())
        .await
        .unwrap();
    vault
        .store_tokens(&c, Side::Quickbooks, same.clone())
        .await
        .unwrap();
    let versions = moto
        .secrets
        .list_secret_version_ids()
        .secret_id(vault.names().connection_secret(&c))
        .send()
        .await
        .unwrap()
        .versions
        .unwrap_or_default();
    assert_eq!(
        versions.len(),
        1,
        "writing the same tokens again must not add a version"
    );

    // The stack creates the app secret without a value; until the user puts it, say so.
    let names = moto.fresh_secret_names();
    let no_app = SecretsManagerVault::new(moto.secrets.clone(), names.clone());
    match no_app.app_credentials().await {
        Err(VaultError::Backend(message)) => {
            assert!(message.contains(&names.app_secret), "{message}");
            assert!(message.contains("DEPLOY.md"), "{message}");
        }
        other => panic!("expected a backend error, got {other:?}"),
    }
}

/// A vendor token endpoint that counts calls, takes a moment, and answers `answer`.
struct FakeOAuth {
    calls: AtomicUsize,
    invalid_grant: bool,
}

#[async_trait]
impl OAuthRefresh for FakeOAuth {
    async fn refresh(
        &self,
        side: Side,
        refresh_token: &SecretString,
        app: &AppCredentials,
    ) -> Result<SideTokens, RefreshFailure> {
        assert_eq!(side, Side::Quickbooks);
        assert_eq!(app.quickbooks_client_id.as_deref(), Some("qb-client"));
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(Duration::from_millis(300)).await;
        if self.invalid_grant {
            return Err(RefreshFailure::InvalidGrant);
        }
        assert_eq!(refresh_token.expose_secret(), "old-refresh");
        Ok(tokens(
            &format!("new-access-{n}"),
            &format!("new-refresh-{n}"),
            chrono::Duration::hours(1),
        ))
    }
}

async fn seeded(
    moto: &super::aws_moto::Moto,
) -> (SecretsManagerVault, Arc<dyn Store>, ConnectionId) {
    let vault = moto.fresh_vault(APP_SECRET).await;
    let store: Arc<dyn Store> = Arc::new(moto.fresh_store().await);
    let c = conn();
    store
        .put_connection(&ConnectionRecord {
            connection: Connection {
                id: c.clone(),
                hubspot_portal_id: "111".into(),
                qbo_realm_id: "222".into(),
                settings: ConnectionSettings::default(),
            },
            environment: "sandbox".into(),
            status: ConnectionStatus::Active,
        })
        .await
        .unwrap();
    vault
        .store_tokens(
            &c,
            Side::Quickbooks,
            tokens("old-access", "old-refresh", chrono::Duration::seconds(30)),
        )
        .await
        .unwrap();
    (vault, store, c)
}

#[tokio::test]
async fn token_refresh_happens_once_across_containers_and_is_stored_before_use() {
    let Some(moto) =
        moto("token_refresh_happens_once_across_containers_and_is_stored_before_use").await
    else {
        return;
    };
    let (vault, store, c) = seeded(&moto).await;
    let oauth = Arc::new(FakeOAuth {
        calls: AtomicUsize::new(0),
        invalid_grant: false,
    });
    // Three containers: each its own vault (cache) and refresher, sharing table and secrets.
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let container_vault = SecretsManagerVault::new(moto.secrets.clone(), vault.names().clone());
        let refresher = TokenRefresher::new(
            Arc::new(container_vault),
            store.clone(),
            oauth.clone(),
            Arc::new(SystemClock),
            Metrics::new(),
        );
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            refresher.tokens(&c, Side::Quickbooks).await
        }));
    }
    let mut access = Vec::new();
    for task in tasks {
        let got = task.await.unwrap().expect("fresh tokens");
        access.push(got.access_token.expose_secret().to_owned());
    }
    assert_eq!(oauth.calls.load(Ordering::SeqCst), 1, "one refresh in all");
    assert!(access.iter().all(|a| a == "new-access-1"), "{access:?}");
    let raw = raw_secret(&moto.secrets, &vault.names().connection_secret(&c)).await;
    assert_eq!(raw["quickbooks"]["refresh_token"], "new-refresh-1");
    assert_eq!(raw["quickbooks"]["access_token"], "new-access-1");

    // Fresh tokens are handed out without calling the vendor.
    let refresher = TokenRefresher::new(
        Arc::new(vault),
        store,
        oauth.clone(),
        Arc::new(SystemClock),
        Metrics::new(),
    );
    refresher.tokens(&c, Side::Quickbooks).await.unwrap();
    assert_eq!(oauth.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn token_refresh_invalid_grant_marks_the_connection_and_emits_the_alarm_metric() {
    let Some(moto) =
        moto("token_refresh_invalid_grant_marks_the_connection_and_emits_the_alarm_metric").await
    else {
        return;
    };
    let (vault, store, c) = seeded(&moto).await;
    let metrics = Metrics::new();
    let refresher = TokenRefresher::new(
        Arc::new(vault),
        store.clone(),
        Arc::new(FakeOAuth {
            calls: AtomicUsize::new(0),
            invalid_grant: true,
        }),
        Arc::new(SystemClock),
        metrics.clone(),
    );
    match refresher.tokens(&c, Side::Quickbooks).await {
        Err(RefreshError::ReconnectRequired { side, .. }) => assert_eq!(side, Side::Quickbooks),
        other => panic!("expected ReconnectRequired, got {other:?}"),
    }
    let record = store.get_connection(&c).await.unwrap().unwrap();
    assert_eq!(record.status, ConnectionStatus::ReconnectRequired);
    assert_eq!(
        metrics.count(MetricName::ReconnectRequired, &[("Vendor", "quickbooks")]),
        1.0
    );
}

/// A vault whose writes fail: the refreshed tokens must not be handed out.
struct UnwritableVault(SecretsManagerVault);

#[async_trait]
impl TokenVault for UnwritableVault {
    async fn tokens(
        &self,
        connection: &ConnectionId,
        side: Side,
    ) -> Result<Option<SideTokens>, VaultError> {
        self.0.tokens(connection, side).await
    }

    async fn store_tokens(
        &self,
        _connection: &ConnectionId,
        _side: Side,
        _tokens: SideTokens,
    ) -> Result<(), VaultError> {
        Err(VaultError::Backend("PutSecretValue denied".into()))
    }

    async fn delete_tokens(&self, connection: &ConnectionId) -> Result<(), VaultError> {
        self.0.delete_tokens(connection).await
    }

    async fn app_credentials(&self) -> Result<AppCredentials, VaultError> {
        self.0.app_credentials().await
    }
}

#[tokio::test]
async fn token_refresh_that_cannot_be_stored_is_not_used() {
    let Some(moto) = moto("token_refresh_that_cannot_be_stored_is_not_used").await else {
        return;
    };
    let (vault, store, c) = seeded(&moto).await;
    let refresher = TokenRefresher::new(
        Arc::new(UnwritableVault(vault)),
        store,
        Arc::new(FakeOAuth {
            calls: AtomicUsize::new(0),
            invalid_grant: false,
        }),
        Arc::new(SystemClock),
        Metrics::new(),
    );
    match refresher.tokens(&c, Side::Quickbooks).await {
        Err(RefreshError::Vault(VaultError::Backend(message))) => {
            assert!(message.contains("denied"), "{message}");
        }
        other => panic!("expected the storage failure, got {other:?}"),
    }
}

#[tokio::test]
async fn secrets_vault_creates_and_replaces_a_local_app_secret() {
    let Some(moto) = moto("secrets_vault_creates_and_replaces_a_local_app_secret").await else {
        return;
    };
    let names = moto.fresh_secret_names();
    let vault = SecretsManagerVault::new(moto.secrets.clone(), names.clone());
    let mut app = AppCredentials {
        hubspot_app_id: Some("77".into()),
        hubspot_client_id: Some("hs-1".into()),
        hubspot_client_secret: Some(SecretString::from("hs-secret-1")),
        quickbooks_client_id: Some("qb-1".into()),
        quickbooks_client_secret: Some(SecretString::from("qb-secret-1")),
        quickbooks_sandbox: None,
        quickbooks_webhook_verifier: None,
        hubspot_legacy_signatures: false,
    };
    vault.put_app_credentials(&app).await.unwrap();
    app.quickbooks_webhook_verifier = Some(SecretString::from("verifier-2"));
    vault.put_app_credentials(&app).await.unwrap();

    let raw = raw_secret(&moto.secrets, &names.app_secret).await;
    assert_eq!(raw["hubspot"]["app_id"], "77");
    let reader = SecretsManagerVault::new(moto.secrets.clone(), names);
    let read = reader.app_credentials().await.unwrap();
    assert_eq!(read.hubspot_app_id.as_deref(), Some("77"));
    assert_eq!(read.hubspot_client_id.as_deref(), Some("hs-1"));
    assert_eq!(
        read.quickbooks_webhook_verifier
            .as_ref()
            .map(|s| s.expose_secret()),
        Some("verifier-2")
    );
}

#[tokio::test]
async fn secrets_vault_deletes_a_connections_tokens_and_can_store_them_anew() {
    let Some(moto) =
        moto("secrets_vault_deletes_a_connections_tokens_and_can_store_them_anew").await
    else {
        return;
    };
    let vault = moto.fresh_vault(APP_SECRET).await;
    let c = conn();
    let hour = chrono::Duration::hours(1);
    vault
        .store_tokens(&c, Side::Hubspot, tokens("hs-a", "hs-r", hour))
        .await
        .unwrap();
    vault
        .store_tokens(&c, Side::Quickbooks, tokens("qb-a", "qb-r", hour))
        .await
        .unwrap();
    vault.delete_tokens(&c).await.unwrap();
    assert!(vault.tokens(&c, Side::Hubspot).await.unwrap().is_none());
    let reader = SecretsManagerVault::new(moto.secrets.clone(), vault.names().clone());
    assert!(reader.tokens(&c, Side::Quickbooks).await.unwrap().is_none());
    vault
        .delete_tokens(&c)
        .await
        .expect("deleting absent tokens");
    // A reconnect under the same id creates the secret again at once.
    vault
        .store_tokens(&c, Side::Hubspot, tokens("hs-a2", "hs-r2", hour))
        .await
        .unwrap();
    let again = SecretsManagerVault::new(moto.secrets.clone(), vault.names().clone());
    let stored = again.tokens(&c, Side::Hubspot).await.unwrap().unwrap();
    assert_eq!(stored.access_token.expose_secret(), "hs-a2");
    assert!(again.tokens(&c, Side::Quickbooks).await.unwrap().is_none());
}
