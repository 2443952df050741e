//! The admin capabilities in memory: the audit log (bounded like the sync log), failed sign-in
//! windows, and pending OAuth authorizations taken at most once.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::MemoryStore;
use crate::ports::{
    AuditEntry, AuditLog, LoginAttempts, PendingAuthorization, PendingAuthorizations, StoreError,
};

#[async_trait]
impl AuditLog for MemoryStore {
    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let mut state = self.lock_state();
        state.audit.push_front(entry.clone());
        state.audit.truncate(self.log_capacity);
        Ok(())
    }

    async fn recent_audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(self
            .lock_state()
            .audit
            .iter()
            .take(limit)
            .cloned()
            .collect())
    }
}

#[async_trait]
impl LoginAttempts for MemoryStore {
    async fn record_failed_login(
        &self,
        source: &str,
        at: DateTime<Utc>,
        window: Duration,
    ) -> Result<u32, StoreError> {
        let mut state = self.lock_state();
        let entry = state
            .failed_logins
            .entry(source.to_owned())
            .or_insert((at, 0));
        if at >= entry.0 + window {
            *entry = (at, 0);
        }
        entry.1 += 1;
        Ok(entry.1)
    }

    async fn failed_logins(
        &self,
        source: &str,
        at: DateTime<Utc>,
        window: Duration,
    ) -> Result<u32, StoreError> {
        Ok(match self.lock_state().failed_logins.get(source) {
            Some((started, count)) if at < *started + window => *count,
            _ => 0,
        })
    }

    async fn clear_failed_logins(&self, source: &str) -> Result<(), StoreError> {
        self.lock_state().failed_logins.remove(source);
        Ok(())
    }
}

#[async_trait]
impl PendingAuthorizations for MemoryStore {
    async fn put_pending(&self, pending: &PendingAuthorization) -> Result<(), StoreError> {
        self.lock_state()
            .pending
            .insert(pending.state_hash.clone(), pending.clone());
        Ok(())
    }

    async fn take_pending(
        &self,
        state_hash: &str,
    ) -> Result<Option<PendingAuthorization>, StoreError> {
        Ok(self.lock_state().pending.remove(state_hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn fresh(_test: &str) -> Option<MemoryStore> {
        Some(MemoryStore::new())
    }

    crate::admin_contract_tests!(fresh);
}
