//! The local `TokenVault` on SQLite: tokens seeded from config/env and refreshed tokens kept
//! between runs (the file is owner-only); app credentials come from the caller's config.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use secrecy::{ExposeSecret, SecretString};

use super::db::{SqliteDb, SqliteError, from_json, to_json};
use crate::model::{ConnectionId, Side};
use crate::ports::{AppCredentials, SideTokens, TokenVault, VaultError};

impl From<SqliteError> for VaultError {
    fn from(error: SqliteError) -> Self {
        VaultError::Backend(error.to_string())
    }
}

impl From<rusqlite::Error> for VaultError {
    fn from(error: rusqlite::Error) -> Self {
        VaultError::Backend(error.to_string())
    }
}

pub struct SqliteTokenVault {
    db: SqliteDb,
    app: AppCredentials,
}

impl SqliteTokenVault {
    pub fn new(db: SqliteDb, app: AppCredentials) -> Self {
        SqliteTokenVault { db, app }
    }
}

type TokenRow = (String, String, String, Option<String>);

#[async_trait]
impl TokenVault for SqliteTokenVault {
    async fn tokens(
        &self,
        connection: &ConnectionId,
        side: Side,
    ) -> Result<Option<SideTokens>, VaultError> {
        let c = connection.to_string();
        self.db
            .run(move |conn| {
                let row: Option<TokenRow> = conn
                    .query_row(
                        "SELECT access_token, refresh_token, access_expires_at, refresh_expires_at FROM tokens WHERE connection = ?1 AND side = ?2",
                        params![c, side.as_str()],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .optional()?;
                let Some((access, refresh, access_expires_at, refresh_expires_at)) = row else {
                    return Ok(None);
                };
                Ok(Some(SideTokens {
                    access_token: SecretString::from(access),
                    refresh_token: SecretString::from(refresh),
                    access_expires_at: from_json::<DateTime<Utc>>(&access_expires_at)?,
                    refresh_expires_at: refresh_expires_at
                        .map(|t| from_json::<DateTime<Utc>>(&t))
                        .transpose()?,
                }))
            })
            .await
    }

    async fn store_tokens(
        &self,
        connection: &ConnectionId,
        side: Side,
        tokens: SideTokens,
    ) -> Result<(), VaultError> {
        let c = connection.to_string();
        let access_expires_at = to_json(&tokens.access_expires_at)?;
        let refresh_expires_at = tokens
            .refresh_expires_at
            .as_ref()
            .map(to_json)
            .transpose()?;
        self.db
            .run(move |conn| {
                conn.execute(
                    "INSERT OR REPLACE INTO tokens (connection, side, access_token, refresh_token, access_expires_at, refresh_expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        c,
                        side.as_str(),
                        tokens.access_token.expose_secret(),
                        tokens.refresh_token.expose_secret(),
                        access_expires_at,
                        refresh_expires_at
                    ],
                )?;
                Ok(())
            })
            .await
    }

    async fn delete_tokens(&self, connection: &ConnectionId) -> Result<(), VaultError> {
        let c = connection.to_string();
        self.db
            .run(move |conn| {
                conn.execute("DELETE FROM tokens WHERE connection = ?1", params![c])?;
                Ok(())
            })
            .await
    }

    async fn app_credentials(&self) -> Result<AppCredentials, VaultError> {
        Ok(self.app.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stores_and_replaces_tokens_per_side_and_never_prints_them() {
        let vault = SqliteTokenVault::new(
            SqliteDb::open_in_memory().unwrap(),
            AppCredentials::default(),
        );
        let c = ConnectionId::new("vault").unwrap();
        assert!(vault.tokens(&c, Side::Quickbooks).await.unwrap().is_none());
        let expires = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(20_000);
        let tokens = |access: &str, refresh: &str| SideTokens {
            access_token: SecretString::from(access.to_owned()),
            refresh_token: SecretString::from(refresh.to_owned()),
            access_expires_at: expires,
            refresh_expires_at: Some(expires + chrono::Duration::days(100)),
        };
        vault
            .store_tokens(&c, Side::Quickbooks, tokens("a1", "r1"))
            .await
            .unwrap();
        vault
            .store_tokens(&c, Side::Quickbooks, tokens("a2", "r2"))
            .await
            .unwrap();
        let got = vault.tokens(&c, Side::Quickbooks).await.unwrap().unwrap();
        assert_eq!(got.access_token.expose_secret(), "a2");
        assert_eq!(got.refresh_token.expose_secret(), "r2");
        assert_eq!(
            got.refresh_expires_at,
            Some(expires + chrono::Duration::days(100))
        );
        assert!(vault.tokens(&c, Side::Hubspot).await.unwrap().is_none());
        let shown = format!("{got:?}");
        assert!(!shown.contains("a2") && !shown.contains("r2"), "{shown}");

        let other = ConnectionId::new("other").unwrap();
        vault
            .store_tokens(&other, Side::Hubspot, tokens("a3", "r3"))
            .await
            .unwrap();
        vault
            .store_tokens(&c, Side::Hubspot, tokens("a4", "r4"))
            .await
            .unwrap();
        vault.delete_tokens(&c).await.unwrap();
        assert!(vault.tokens(&c, Side::Quickbooks).await.unwrap().is_none());
        assert!(vault.tokens(&c, Side::Hubspot).await.unwrap().is_none());
        assert!(vault.tokens(&other, Side::Hubspot).await.unwrap().is_some());
        vault
            .delete_tokens(&c)
            .await
            .expect("deleting absent tokens");
    }
}
