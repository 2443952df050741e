//! `StatusLog` in memory: the last status per record and a log bounded to the store's capacity
//! per connection (oldest entries dropped first).

use async_trait::async_trait;

use super::{MemoryStore, kind_key};
use crate::model::{ConnectionId, ObjectKind, Side};
use crate::ports::{StatusLog, StoreError, SyncLogEntry, SyncStatus};

#[async_trait]
impl StatusLog for MemoryStore {
    async fn get_status(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        id: &str,
    ) -> Result<Option<SyncStatus>, StoreError> {
        let state = self.lock_state();
        Ok(state
            .statuses
            .get(&kind_key(connection, kind))
            .and_then(|statuses| statuses.get(&(side, id.to_owned())))
            .cloned())
    }

    async fn put_status(
        &self,
        connection: &ConnectionId,
        status: &SyncStatus,
    ) -> Result<(), StoreError> {
        let mut state = self.lock_state();
        state
            .statuses
            .entry(kind_key(connection, status.kind))
            .or_default()
            .insert((status.side, status.id.clone()), status.clone());
        Ok(())
    }

    async fn list_statuses(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<Vec<SyncStatus>, StoreError> {
        let state = self.lock_state();
        Ok(state
            .statuses
            .get(&kind_key(connection, kind))
            .map(|statuses| statuses.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn append_log(
        &self,
        connection: &ConnectionId,
        entries: &[SyncLogEntry],
    ) -> Result<(), StoreError> {
        let mut state = self.lock_state();
        let log = state.log.entry(connection.clone()).or_default();
        log.extend(entries.iter().cloned());
        while log.len() > self.log_capacity {
            log.pop_front();
        }
        Ok(())
    }

    async fn recent_log(
        &self,
        connection: &ConnectionId,
        limit: usize,
    ) -> Result<Vec<SyncLogEntry>, StoreError> {
        let state = self.lock_state();
        Ok(state
            .log
            .get(connection)
            .map(|log| log.iter().rev().take(limit).cloned().collect())
            .unwrap_or_default())
    }
}
