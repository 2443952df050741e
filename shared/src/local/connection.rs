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
