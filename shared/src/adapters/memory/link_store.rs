//! An in-memory `LinkStore` with the same conditional-write semantics as the durable ones, plus
//! a fault switch that makes link writes fail (to simulate a crash between create and link).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::model::{ConnectionId, Link, ObjectKind, Side};
use crate::ports::{
    Claim, ClaimOutcome, ConnectionRecord, Cursor, Lease, LinkStore, RecordRef, StoreError,
    SyncLogEntry, SyncStatus,
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
    cursors: BTreeMap<(ConnectionId, Side, ObjectKind), Cursor>,
    statuses: BTreeMap<KindKey, BTreeMap<(Side, String), SyncStatus>>,
    log: BTreeMap<ConnectionId, VecDeque<SyncLogEntry>>,
    leases: BTreeMap<(ConnectionId, String), Lease>,
    connections: BTreeMap<ConnectionId, ConnectionRecord>,
    failing_link_writes: u32,
}

impl State {
    fn link_by(&self, key: &KindKey, side: Side, id: &str) -> Option<&Link> {
        let links = self.links.get(key)?;
        match side {
            Side::Hubspot => links.get(id),
            Side::Quickbooks => {
                let hubspot_id = self.qbo_index.get(key)?.get(id)?;
                links.get(hubspot_id)
            }
        }
    }

    fn take_link_write_fault(&mut self) -> Result<(), StoreError> {
        if self.failing_link_writes > 0 {
            self.failing_link_writes -= 1;
            return Err(StoreError::Backend("injected link write failure".into()));
        }
        Ok(())
    }

    fn check_revision(&self, key: &KindKey, link: &Link) -> Result<(), StoreError> {
        let found = self
            .link_by(key, Side::Hubspot, &link.hubspot_id)
            .filter(|stored| stored.qbo_id == link.qbo_id)
            .map(|stored| stored.revision);
        if found == Some(link.revision) {
            Ok(())
        } else {
            Err(StoreError::RevisionMismatch {
                expected: link.revision,
                found,
            })
        }
    }

    fn check_unlinked(
        &self,
        key: &KindKey,
        link: &Link,
        except: Option<&Link>,
    ) -> Result<(), StoreError> {
        for side in Side::BOTH {
            let id = link.id(side);
            if except.is_some_and(|old| old.id(side) == id) {
                continue;
            }
            if self.link_by(key, side, id).is_some() {
                return Err(StoreError::AlreadyLinked {
                    side,
                    id: id.to_owned(),
                });
            }
        }
        Ok(())
    }

    fn remove_link(&mut self, key: &KindKey, link: &Link) {
        if let Some(links) = self.links.get_mut(key) {
            links.remove(&link.hubspot_id);
        }
        if let Some(index) = self.qbo_index.get_mut(key) {
            index.remove(&link.qbo_id);
        }
    }

    fn insert_link(&mut self, key: &KindKey, link: Link) {
        self.qbo_index
            .entry(key.clone())
            .or_default()
            .insert(link.qbo_id.clone(), link.hubspot_id.clone());
        self.links
            .entry(key.clone())
            .or_default()
            .insert(link.hubspot_id.clone(), link);
    }
}

/// Everything in one mutex-guarded map set; no I/O, so no await happens under the lock.
pub struct MemoryLinkStore {
    state: Mutex<State>,
    log_capacity: usize,
}

impl Default for MemoryLinkStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryLinkStore {
    pub fn new() -> Self {
        Self::with_log_capacity(DEFAULT_LOG_CAPACITY)
    }

    pub fn with_log_capacity(log_capacity: usize) -> Self {
        MemoryLinkStore {
            state: Mutex::default(),
            log_capacity,
        }
    }

    /// The next `count` link writes (create, update, relink, delete) fail with a backend error,
    /// as if the process died before the write.
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
impl LinkStore for MemoryLinkStore {
    async fn get_link(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        id: &str,
    ) -> Result<Option<Link>, StoreError> {
        let state = self.lock_state();
        Ok(state
            .link_by(&kind_key(connection, kind), side, id)
            .cloned())
    }

    async fn get_links(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        ids: &[String],
    ) -> Result<Vec<Link>, StoreError> {
        let state = self.lock_state();
        let key = kind_key(connection, kind);
        Ok(ids
            .iter()
            .filter_map(|id| state.link_by(&key, side, id).cloned())
            .collect())
    }

    async fn list_links(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<Vec<Link>, StoreError> {
        let state = self.lock_state();
        Ok(state
            .links
            .get(&kind_key(connection, kind))
            .map(|links| links.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn create_link(&self, link: &Link) -> Result<Link, StoreError> {
        let mut state = self.lock_state();
        let key = kind_key(&link.connection, link.kind);
        state.check_unlinked(&key, link, None)?;
        state.take_link_write_fault()?;
        let stored = Link {
            revision: 1,
            ..link.clone()
        };
        state.insert_link(&key, stored.clone());
        Ok(stored)
    }

    async fn update_link(&self, link: &Link) -> Result<Link, StoreError> {
        let mut state = self.lock_state();
        let key = kind_key(&link.connection, link.kind);
        let stored_pair = state
            .link_by(&key, Side::Hubspot, &link.hubspot_id)
            .map(|l| l.qbo_id.clone());
        if stored_pair.as_ref().is_some_and(|qbo| *qbo != link.qbo_id) {
            return Err(StoreError::IdsChanged);
        }
        state.check_revision(&key, link)?;
        state.take_link_write_fault()?;
        let stored = Link {
            revision: link.revision + 1,
            ..link.clone()
        };
        state.insert_link(&key, stored.clone());
        Ok(stored)
    }

    async fn relink(&self, old: &Link, new: &Link) -> Result<Link, StoreError> {
        let mut state = self.lock_state();
        let key = kind_key(&old.connection, old.kind);
        state.check_revision(&key, old)?;
        state.check_unlinked(&key, new, Some(old))?;
        state.take_link_write_fault()?;
        state.remove_link(&key, old);
        let stored = Link {
            revision: old.revision + 1,
            ..new.clone()
        };
        state.insert_link(&key, stored.clone());
        Ok(stored)
    }

    async fn delete_link(&self, link: &Link) -> Result<(), StoreError> {
        let mut state = self.lock_state();
        let key = kind_key(&link.connection, link.kind);
        state.check_revision(&key, link)?;
        state.take_link_write_fault()?;
        state.remove_link(&key, link);
        Ok(())
    }

    async fn claim_key(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<ClaimOutcome, StoreError> {
        let mut state = self.lock_state();
        let claims = state.claims.entry(kind_key(connection, kind)).or_default();
        let expires_at = now + to_chrono(ttl);
        match claims.get_mut(key) {
            Some(claim) if claim.owner == *owner => {
                claim.expires_at = expires_at;
                Ok(ClaimOutcome::AlreadyOwned(claim.clone()))
            }
            Some(claim) if claim.expires_at > now => Ok(ClaimOutcome::HeldBy(claim.clone())),
            _ => {
                claims.insert(
                    key.to_owned(),
                    Claim {
                        key: key.to_owned(),
                        owner: owner.clone(),
                        created_id: None,
                        claimed_at: now,
                        expires_at,
                    },
                );
                Ok(ClaimOutcome::Claimed)
            }
        }
    }

    async fn note_created(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
        created_id: &str,
    ) -> Result<(), StoreError> {
        let mut state = self.lock_state();
        if let Some(claim) = state
            .claims
            .get_mut(&kind_key(connection, kind))
            .and_then(|claims| claims.get_mut(key))
            .filter(|claim| claim.owner == *owner)
        {
            claim.created_id = Some(created_id.to_owned());
        }
        Ok(())
    }

    async fn release_key(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
    ) -> Result<(), StoreError> {
        let mut state = self.lock_state();
        if let Some(claims) = state.claims.get_mut(&kind_key(connection, kind))
            && claims.get(key).is_some_and(|claim| claim.owner == *owner)
        {
            claims.remove(key);
        }
        Ok(())
    }

    async fn get_cursor(
        &self,
        connection: &ConnectionId,
        side: Side,
        kind: ObjectKind,
    ) -> Result<Option<Cursor>, StoreError> {
        let state = self.lock_state();
        Ok(state
            .cursors
            .get(&(connection.clone(), side, kind))
            .copied())
    }

    async fn put_cursor(
        &self,
        connection: &ConnectionId,
        side: Side,
        kind: ObjectKind,
        cursor: &Cursor,
    ) -> Result<(), StoreError> {
        let mut state = self.lock_state();
        state
            .cursors
            .insert((connection.clone(), side, kind), *cursor);
        Ok(())
    }

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

    async fn acquire_lease(
        &self,
        connection: &ConnectionId,
        name: &str,
        holder: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<Lease>, StoreError> {
        let mut state = self.lock_state();
        let key = (connection.clone(), name.to_owned());
        if let Some(lease) = state.leases.get(&key)
            && lease.holder != holder
            && lease.expires_at > now
        {
            return Ok(None);
        }
        let lease = Lease {
            name: name.to_owned(),
            holder: holder.to_owned(),
            expires_at: now + to_chrono(ttl),
        };
        state.leases.insert(key, lease.clone());
        Ok(Some(lease))
    }

    async fn release_lease(
        &self,
        connection: &ConnectionId,
        name: &str,
        holder: &str,
    ) -> Result<(), StoreError> {
        let mut state = self.lock_state();
        let key = (connection.clone(), name.to_owned());
        if state.leases.get(&key).is_some_and(|l| l.holder == holder) {
            state.leases.remove(&key);
        }
        Ok(())
    }

    async fn put_connection(&self, connection: &ConnectionRecord) -> Result<(), StoreError> {
        let mut state = self.lock_state();
        state
            .connections
            .insert(connection.id().clone(), connection.clone());
        Ok(())
    }

    async fn get_connection(
        &self,
        id: &ConnectionId,
    ) -> Result<Option<ConnectionRecord>, StoreError> {
        Ok(self.lock_state().connections.get(id).cloned())
    }

    async fn list_connections(&self) -> Result<Vec<ConnectionRecord>, StoreError> {
        Ok(self.lock_state().connections.values().cloned().collect())
    }

    async fn connections_for_portal(
        &self,
        portal_id: &str,
    ) -> Result<Vec<ConnectionId>, StoreError> {
        let state = self.lock_state();
        Ok(state
            .connections
            .values()
            .filter(|c| c.connection.hubspot_portal_id == portal_id)
            .map(|c| c.id().clone())
            .collect())
    }

    async fn connections_for_realm(&self, realm_id: &str) -> Result<Vec<ConnectionId>, StoreError> {
        let state = self.lock_state();
        Ok(state
            .connections
            .values()
            .filter(|c| c.connection.qbo_realm_id == realm_id)
            .map(|c| c.id().clone())
            .collect())
    }

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
    use crate::ports::contract::link_store as contract;

    #[tokio::test]
    async fn passes_the_link_store_contract() {
        contract::all(|| MemoryLinkStore::with_log_capacity(5), 5).await;
    }

    #[tokio::test]
    async fn injected_link_write_failures_leave_nothing_behind() {
        let store = MemoryLinkStore::new();
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
