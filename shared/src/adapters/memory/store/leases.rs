//! `Leases` in memory: one lease per connection and name, exclusive until it expires.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{MemoryStore, to_chrono};
use crate::model::ConnectionId;
use crate::ports::{Lease, Leases, StoreError};

#[async_trait]
impl Leases for MemoryStore {
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
}
