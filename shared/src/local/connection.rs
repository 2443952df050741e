//! The one connection of a local runtime: its record (portal ⇄ realm, settings, environment) and
//! the vendor tokens seeded into the vault for it from the configuration.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, params};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::endpoints::VendorEndpoints;
use crate::adapters::sqlite::SqliteDb;
use crate::model::{Connection, ConnectionId, ConnectionSettings, Side};
use crate::ports::{ConnectionRecord, ConnectionStatus, SideTokens, TokenVault, VaultError};

/// The id of the connection `hqsync dev`, `demo` and `sync` create.
pub const LOCAL_CONNECTION_ID: &str = "local";

/// How long a token without a refresh token is taken to last: it does not expire (a HubSpot
/// private-app token, a sandbox dev token), so it is never due for refresh.
const STATIC_TOKEN_LIFETIME: Duration = Duration::days(100 * 365);

/// The connection record for `endpoints` with `settings`, active.
pub fn local_connection(
    id: ConnectionId,
    endpoints: &VendorEndpoints,
    settings: ConnectionSettings,
) -> ConnectionRecord {
    ConnectionRecord {
        connection: Connection {
            id,
            hubspot_portal_id: endpoints.hubspot.portal_id.clone(),
            qbo_realm_id: endpoints.quickbooks.realm_id.clone(),
            settings,
        },
        environment: endpoints.quickbooks.environment_name().to_owned(),
        status: ConnectionStatus::Active,
    }
}

/// Which configured refresh token each side was last seeded from, as a SHA-256 fingerprint
/// (never the token), in the state database's `meta` table. A restart with the same
/// configuration then keeps the vault's rotated refresh token (QBO's configured one is dead
/// after the first refresh), while a new token in the configuration (a reconnect) replaces it.
/// Without a database (in-memory state) every run seeds afresh, as its vault is new too.
#[derive(Clone)]
pub struct SeedLedger {
    db: Option<SqliteDb>,
}

impl SeedLedger {
    pub fn sqlite(db: SqliteDb) -> Self {
        SeedLedger { db: Some(db) }
    }

    pub fn in_memory() -> Self {
        SeedLedger { db: None }
    }

    fn key(connection: &ConnectionId, side: Side) -> String {
        format!("token-seed/{connection}/{}", side.as_str())
    }

    async fn get(
        &self,
        connection: &ConnectionId,
        side: Side,
    ) -> Result<Option<String>, VaultError> {
        let Some(db) = &self.db else {
            return Ok(None);
        };
        let key = Self::key(connection, side);
        db.run(move |conn| {
            Ok(conn
                .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                    r.get(0)
                })
                .optional()?)
        })
        .await
    }

    async fn set(
        &self,
        connection: &ConnectionId,
        side: Side,
        fingerprint: String,
    ) -> Result<(), VaultError> {
        let Some(db) = &self.db else {
            return Ok(());
        };
        let key = Self::key(connection, side);
        db.run(move |conn| {
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                params![key, fingerprint],
            )?;
            Ok(())
        })
        .await
    }
}

fn fingerprint(token: &SecretString) -> String {
    hex::encode(Sha256::digest(token.expose_secret().as_bytes()))
}

/// Puts both sides' tokens of `endpoints` in `vault` for `connection`; returns the sides whose
/// refresh token was seeded afresh from the configuration.
///
/// A side without a refresh token gets its access token as never expiring. A side with one is
/// stored as due for refresh at once (how old the configured access token is, is unknown) —
/// unless `ledger` shows this same refresh token was seeded before and the vault still holds
/// that side's tokens: those are its rotated successors and are kept.
pub async fn seed_tokens(
    vault: &dyn TokenVault,
    ledger: &SeedLedger,
    connection: &ConnectionId,
    endpoints: &VendorEndpoints,
    now: DateTime<Utc>,
) -> Result<Vec<Side>, VaultError> {
    let mut seeded = Vec::new();
    for side in Side::BOTH {
        let (access_token, refresh_token) = match side {
            Side::Hubspot => (
                &endpoints.hubspot.access_token,
                &endpoints.hubspot.refresh_token,
            ),
            Side::Quickbooks => (
                &endpoints.quickbooks.access_token,
                &endpoints.quickbooks.refresh_token,
            ),
        };
        let Some(refresh_token) = refresh_token.clone().filter(|_| endpoints.refreshes(side))
        else {
            let tokens = SideTokens {
                access_token: access_token.clone(),
                refresh_token: SecretString::from(String::new()),
                access_expires_at: now + STATIC_TOKEN_LIFETIME,
                refresh_expires_at: None,
            };
            vault.store_tokens(connection, side, tokens).await?;
            continue;
        };
        let print = fingerprint(&refresh_token);
        if ledger.get(connection, side).await?.as_deref() == Some(print.as_str())
            && vault.tokens(connection, side).await?.is_some()
        {
            continue;
        }
        let tokens = SideTokens {
            access_token: access_token.clone(),
            refresh_token,
            access_expires_at: now,
            refresh_expires_at: None,
        };
        vault.store_tokens(connection, side, tokens).await?;
        ledger.set(connection, side, print).await?;
        seeded.push(side);
    }
    Ok(seeded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::sqlite::SqliteTokenVault;
    use crate::local::endpoints::LocalSandboxAccounts;
    use crate::ports::AppCredentials;

    fn endpoints(qbo_refresh: &str) -> VendorEndpoints {
        let secret = |s: &str| SecretString::from(s.to_owned());
        VendorEndpoints::local(LocalSandboxAccounts {
            hubspot_base_url: "http://127.0.0.1:1".into(),
            portal_id: "1".into(),
            hubspot_token: secret("hs-static"),
            hubspot_client_secret: secret("hs-secret"),
            quickbooks_base_url: "http://127.0.0.1:2".into(),
            realm_id: "2".into(),
            quickbooks_token: secret(""),
            quickbooks_verifier_token: secret("verifier"),
        })
        .unwrap()
        .with_quickbooks_refresh(secret(qbo_refresh), "client", secret("client-secret"))
    }

    async fn refresh_token(vault: &dyn TokenVault, c: &ConnectionId) -> String {
        let tokens = vault.tokens(c, Side::Quickbooks).await.unwrap().unwrap();
        tokens.refresh_token.expose_secret().to_owned()
    }

    #[tokio::test]
    async fn a_rotated_refresh_token_survives_reseeding_until_the_configuration_changes() {
        let db = SqliteDb::open_in_memory().unwrap();
        let vault = SqliteTokenVault::new(db.clone(), AppCredentials::default());
        let ledger = SeedLedger::sqlite(db);
        let c = ConnectionId::new("local").unwrap();
        let now = Utc::now();

        let seeded = seed_tokens(&vault, &ledger, &c, &endpoints("r0"), now)
            .await
            .unwrap();
        assert_eq!(seeded, vec![Side::Quickbooks]);
        let qbo = vault.tokens(&c, Side::Quickbooks).await.unwrap().unwrap();
        assert_eq!(qbo.access_expires_at, now, "due for refresh at once");
        let hubspot = vault.tokens(&c, Side::Hubspot).await.unwrap().unwrap();
        assert!(hubspot.access_expires_at > now + Duration::days(365));
        assert!(hubspot.refresh_token.expose_secret().is_empty());

        // The runtime refreshed: QBO rotated r0 into r1.
        vault
            .store_tokens(
                &c,
                Side::Quickbooks,
                SideTokens {
                    refresh_token: SecretString::from("r1".to_owned()),
                    ..qbo
                },
            )
            .await
            .unwrap();
        let again = seed_tokens(&vault, &ledger, &c, &endpoints("r0"), now)
            .await
            .unwrap();
        assert!(again.is_empty());
        assert_eq!(refresh_token(&vault, &c).await, "r1");

        // A reconnect: the configuration brings r2, which replaces r1.
        let reconnected = seed_tokens(&vault, &ledger, &c, &endpoints("r2"), now)
            .await
            .unwrap();
        assert_eq!(reconnected, vec![Side::Quickbooks]);
        assert_eq!(refresh_token(&vault, &c).await, "r2");
    }

    #[tokio::test]
    async fn without_a_database_every_run_seeds_from_the_configuration() {
        let vault = crate::adapters::memory::MemoryTokenVault::new(AppCredentials::default());
        let c = ConnectionId::new("local").unwrap();
        let ledger = SeedLedger::in_memory();
        for _ in 0..2 {
            let seeded = seed_tokens(&vault, &ledger, &c, &endpoints("r0"), Utc::now())
                .await
                .unwrap();
            assert_eq!(seeded, vec![Side::Quickbooks]);
        }
        assert_eq!(refresh_token(&vault, &c).await, "r0");
    }
}
