//! What the link store keeps about a connection (one HubSpot portal ⇄ one QBO company): ids
//! for webhook routing, the QBO environment, the typed settings and the connection's status.

use serde::{Deserialize, Serialize};

use crate::model::{Connection, ConnectionId};

/// Whether the pipeline should work on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectionStatus {
    #[default]
    Active,
    Paused,
    /// A token could not be refreshed; the user must reconnect. Jobs are not processed.
    ReconnectRequired,
    /// Both sides authorized (OAuth connect) but nothing syncs yet: the admin previews and
    /// starts the initial sync, which makes it active.
    Connected,
    /// An admin disconnected it (tokens revoked at the vendors) or a vendor told us the app
    /// was removed. Links and cursors are kept for a later reconnect; jobs are not processed.
    Disconnected,
}

/// One stored connection (docs/architecture.md §10 `CONN#{c}` / `META`). Putting it also writes the routing
/// entries `PORTAL#{hubspot_portal_id}` and `REALM#{qbo_realm_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionRecord {
    /// Ids of both accounts and the typed settings.
    pub connection: Connection,
    /// QBO environment: "production", "sandbox", or "local" for the built-in sandbox.
    pub environment: String,
    #[serde(default)]
    pub status: ConnectionStatus,
}

impl ConnectionRecord {
    pub fn id(&self) -> &ConnectionId {
        &self.connection.id
    }
}
