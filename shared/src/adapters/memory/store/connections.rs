//! `Connections` in memory: connection records, routed by scanning them for the portal or realm.

use async_trait::async_trait;

use super::MemoryStore;
use crate::model::ConnectionId;
use crate::ports::{ConnectionListing, ConnectionRecord, Connections, StoreError};

#[async_trait]
impl Connections for MemoryStore {
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

    async fn list_connections(&self) -> Result<ConnectionListing, StoreError> {
        let mut listing = ConnectionListing::default();
        for record in self.lock_state().connections.values() {
            listing.push(record.id().clone(), Ok(record.clone()));
        }
        Ok(listing.sorted())
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

    async fn delete_connection(&self, id: &ConnectionId) -> Result<(), StoreError> {
        self.lock_state().connections.remove(id);
        Ok(())
    }
}
