//! `PendingCreates` in memory: one pending create per connection, kind and source record.

use async_trait::async_trait;

use super::{MemoryStore, kind_key};
use crate::model::{ConnectionId, ObjectKind};
use crate::ports::{PendingCreate, PendingCreates, RecordRef, StoreError};

#[async_trait]
impl PendingCreates for MemoryStore {
    async fn put_pending_create(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        pending: &PendingCreate,
    ) -> Result<(), StoreError> {
        self.lock_state()
            .pending_creates
            .entry(kind_key(connection, kind))
            .or_default()
            .insert(pending.source.clone(), pending.clone());
        Ok(())
    }

    async fn pending_creates(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<Vec<PendingCreate>, StoreError> {
        Ok(self
            .lock_state()
            .pending_creates
            .get(&kind_key(connection, kind))
            .map(|by_source| by_source.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn clear_pending_create(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        source: &RecordRef,
    ) -> Result<(), StoreError> {
        if let Some(by_source) = self
            .lock_state()
            .pending_creates
            .get_mut(&kind_key(connection, kind))
        {
            by_source.remove(source);
        }
        Ok(())
    }
}
