//! The `StatusLog` capability: the last sync status of each record (what `hqsync status` shows)
//! and the bounded history of sync log entries.

use async_trait::async_trait;

use super::StoreError;
use crate::model::{ConnectionId, ObjectKind, Side};
use crate::ports::sync_status::{SyncLogEntry, SyncStatus};

/// Per-record statuses and the sync log of a connection.
#[async_trait]
pub trait StatusLog: Send + Sync {
    async fn get_status(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        id: &str,
    ) -> Result<Option<SyncStatus>, StoreError>;

    async fn put_status(
        &self,
        connection: &ConnectionId,
        status: &SyncStatus,
    ) -> Result<(), StoreError>;

    async fn list_statuses(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<Vec<SyncStatus>, StoreError>;

    /// Appends to the history; adapters keep a bounded number of entries per connection
    /// (oldest dropped first), DynamoDB by TTL.
    async fn append_log(
        &self,
        connection: &ConnectionId,
        entries: &[SyncLogEntry],
    ) -> Result<(), StoreError>;

    /// The newest `limit` entries, newest first.
    async fn recent_log(
        &self,
        connection: &ConnectionId,
        limit: usize,
    ) -> Result<Vec<SyncLogEntry>, StoreError>;
}
