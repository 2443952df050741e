//! The `Connections` capability: stored connection records and the webhook routing from a
//! HubSpot portal or a QBO company to its connections.

use async_trait::async_trait;

use super::StoreError;
use crate::model::ConnectionId;
use crate::ports::connection::ConnectionRecord;

/// Connection records; putting one also writes its routing entries.
#[async_trait]
pub trait Connections: Send + Sync {
    async fn put_connection(&self, connection: &ConnectionRecord) -> Result<(), StoreError>;

    async fn get_connection(
        &self,
        id: &ConnectionId,
    ) -> Result<Option<ConnectionRecord>, StoreError>;

    async fn list_connections(&self) -> Result<Vec<ConnectionRecord>, StoreError>;

    /// Connections of a HubSpot portal (webhook routing).
    async fn connections_for_portal(
        &self,
        portal_id: &str,
    ) -> Result<Vec<ConnectionId>, StoreError>;

    /// Connections of a QBO company (webhook routing).
    async fn connections_for_realm(&self, realm_id: &str) -> Result<Vec<ConnectionId>, StoreError>;

    /// Removes the connection record and its routing entries, so no webhook, poll or listing
    /// finds it again. Links, cursors and statuses are forgotten per kind (`ForgetKind`)
    /// first; the sync log stays. Deleting an absent connection is not an error.
    async fn delete_connection(&self, id: &ConnectionId) -> Result<(), StoreError>;
}
