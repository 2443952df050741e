//! `MemoryStore`: every store capability in process memory, with the same conditional-write
//! semantics as the durable stores (the demo's and tests' state). One file per capability.

mod admin;
mod claims;
mod connections;
mod cursors;
mod initial_sync_runs;
mod leases;
mod links;
mod pending_creates;
mod status_log;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use crate::model::{ConnectionId, Link, ObjectKind, Side};
use chrono::{DateTime, Utc};

use crate::ports::{
    AuditEntry, Claim, ConnectionRecord, Cursor, ForgetKind, InitialSyncRun, Lease,
    PendingAuthorization, PendingCreate, RecordRef, StoreError, SyncLogEntry, SyncStatus,
};

/// How many log entries per connection the memory store keeps by default.
pub const DEFAULT_LOG_CAPACITY: usize = 10_000;

type KindKey = (ConnectionId, ObjectKind);

#[derive(Default)]
struct State {
    /// Links by HubSpot id.
    links: BTreeMap<KindKey, BTreeMap<String, Link>>,
    /// QBO id -> HubSpot id.
    qbo_index: BTreeMap<KindKey, BTreeMap<String, String>>,
    claims: BTreeMap<KindKey, BTreeMap<String, Claim>>,
    pending_creates: BTreeMap<KindKey, BTreeMap<RecordRef, PendingCreate>>,
    cursors: BTreeMap<(ConnectionId, Side, ObjectKind), Cursor>,
    statuses: BTreeMap<KindKey, BTreeMap<(Side, String), SyncStatus>>,
    log: BTreeMap<ConnectionId, VecDeque<SyncLogEntry>>,
    leases: BTreeMap<(ConnectionId, String), Lease>,
    connections: BTreeMap<ConnectionId, ConnectionRecord>,
    /// Admin changes, newest first (bounded by the log capacity).
    audit: VecDeque<AuditEntry>,
    /// Failed sign-ins per source: (window start, count).
    failed_logins: BTreeMap<String, (DateTime<Utc>, u32)>,
    /// OAuth authorizations in progress, by state hash.
    pending: BTreeMap<String, PendingAuthorization>,
    /// The latest initial sync run per connection.
    initial_syncs: BTreeMap<ConnectionId, InitialSyncRun>,
    /// Link writes still to fail (a test switch; always 0 in the demo).
    failing_link_writes: u32,
}

/// Everything in one mutex-guarded map set; no I/O, so no await happens under the lock.
pub struct MemoryStore {
    state: Mutex<State>,
    log_capacity: usize,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::with_log_capacity(DEFAULT_LOG_CAPACITY)
    }

    pub fn with_log_capacity(log_capacity: usize) -> Self {
        MemoryStore {
            state: Mutex::default(),
            log_capacity,
        }
    }

    /// The next `count` link writes (create, update, relink, delete) fail with a backend error,
    /// as if the process died before the write.
    #[cfg(any(test, feature = "testing"))]
    pub fn fail_next_link_writes(&self, count: u32) {
        self.lock_state().failing_link_writes = count;
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, State> {
        // State is only mutated in complete steps, so a poisoned lock holds consistent data.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn kind_key(connection: &ConnectionId, kind: ObjectKind) -> KindKey {
    (connection.clone(), kind)
}

fn to_chrono(ttl: Duration) -> chrono::Duration {
    chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX)
}

#[async_trait]
impl ForgetKind for MemoryStore {
    async fn forget_kind(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<(), StoreError> {
        let mut state = self.lock_state();
        let key = kind_key(connection, kind);
        state.links.remove(&key);
        state.qbo_index.remove(&key);
        state.claims.remove(&key);
        state.pending_creates.remove(&key);
        state.statuses.remove(&key);
        for side in Side::BOTH {
            state.cursors.remove(&(connection.clone(), side, kind));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Links;
    use crate::ports::contract::store as contract;

    async fn fresh(_test: &str) -> Option<MemoryStore> {
        Some(MemoryStore::with_log_capacity(contract::LOG_CAPACITY))
    }

    crate::store_contract_tests!(fresh);

    #[tokio::test]
    async fn log_keeps_only_the_newest() {
        for capacity in [1, contract::LOG_CAPACITY] {
            let store = MemoryStore::with_log_capacity(capacity);
            contract::status_log::log_keeps_only_the_newest(&store, capacity).await;
        }
    }

    #[tokio::test]
    async fn injected_link_write_failures_leave_nothing_behind() {
        let store = MemoryStore::new();
        let c = ConnectionId::new("faults").unwrap();
        store.fail_next_link_writes(1);
        let link = contract::sample_link(&c, ObjectKind::Contact, "h1", "q1");
        assert!(matches!(
            store.create_link(&link).await,
            Err(StoreError::Backend(_))
        ));
        assert!(
            store
                .get_link(&c, ObjectKind::Contact, Side::Hubspot, "h1")
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(store.create_link(&link).await.unwrap().revision, 1);
    }
}
