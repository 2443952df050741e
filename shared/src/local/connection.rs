//! The one connection of a local runtime: its record (portal ⇄ realm, settings, environment) and
//! the vendor tokens put in the vault for it.

use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;

use super::endpoints::VendorEndpoints;
use crate::model::{Connection, ConnectionId, ConnectionSettings, Side};
use crate::ports::{ConnectionRecord, ConnectionStatus, SideTokens, TokenVault, VaultError};

/// The id of the connection `hqsync dev`, `demo` and `sync` create.
pub const LOCAL_CONNECTION_ID: &str = "local";

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

/// Puts both sides' tokens of `endpoints` in `vault` for `connection`. The expiry is nominal:
/// static dev tokens do not expire and the local runtime does not refresh real tokens yet.
pub async fn store_tokens(
    vault: &dyn TokenVault,
    connection: &ConnectionId,
    endpoints: &VendorEndpoints,
    now: DateTime<Utc>,
) -> Result<(), VaultError> {
    let empty = || SecretString::from(String::new());
    vault
        .store_tokens(
            connection,
            Side::Hubspot,
            SideTokens {
                access_token: endpoints.hubspot.access_token.clone(),
                refresh_token: empty(),
                access_expires_at: now + Duration::minutes(30),
                refresh_expires_at: None,
            },
        )
        .await?;
    vault
        .store_tokens(
            connection,
            Side::Quickbooks,
            SideTokens {
                access_token: endpoints.quickbooks.access_token.clone(),
                refresh_token: endpoints
                    .quickbooks
                    .refresh_token
                    .clone()
                    .unwrap_or_else(empty),
                access_expires_at: now + Duration::hours(1),
                refresh_expires_at: None,
            },
        )
        .await
}
