//! `MemoryReplayGuard`: the in-process `ReplayGuard`, one per process (each Lambda container,
//! the local runtime), bounded in size and pruned of expired keys as it goes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::ports::{ReplayGuard, StoreError};

/// Keys held at most. HubSpot signs a few deliveries per second per app at the most; this is
/// far above five minutes of them, and bounds the memory (about 100 bytes a key).
pub const MAX_KEYS: usize = 100_000;

#[derive(Debug, Default)]
pub struct MemoryReplayGuard {
    inner: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    keys: HashMap<String, DateTime<Utc>>,
    /// Size at which expired keys are next pruned (doubling, so pruning stays amortised O(1)).
    prune_at: usize,
}

impl MemoryReplayGuard {
    /// The guard every verifier of this process shares unless given another one.
    pub fn process_wide() -> Arc<MemoryReplayGuard> {
        static GUARD: OnceLock<Arc<MemoryReplayGuard>> = OnceLock::new();
        GUARD.get_or_init(Arc::default).clone()
    }

    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl ReplayGuard for MemoryReplayGuard {
    async fn first_use(
        &self,
        key: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let seen = &mut *guard;
        if seen.keys.get(key).is_some_and(|expiry| *expiry > now) {
            return Ok(false);
        }
        if seen.keys.len() >= seen.prune_at.max(1024) || seen.keys.len() >= MAX_KEYS {
            seen.keys.retain(|_, expiry| *expiry > now);
            seen.prune_at = seen.keys.len() * 2;
        }
        if seen.keys.len() >= MAX_KEYS {
            // Refused with 500, so HubSpot delivers again once older keys have expired.
            return Err(StoreError::Backend(format!(
                "replay guard holds {MAX_KEYS} unexpired signatures"
            )));
        }
        seen.keys.insert(key.to_owned(), until);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_key_is_refused_until_it_expires_and_expired_ones_are_pruned() {
        let guard = MemoryReplayGuard::default();
        let now = Utc::now();
        let until = now + chrono::Duration::minutes(5);
        assert!(guard.first_use("a", until, now).await.unwrap());
        assert!(!guard.first_use("a", until, now).await.unwrap());
        assert!(guard.first_use("b", until, now).await.unwrap());
        let later = until + chrono::Duration::seconds(1);
        assert!(
            guard
                .first_use("a", later + chrono::Duration::minutes(5), later)
                .await
                .unwrap(),
            "an expired key may be used again (its timestamp is refused by then anyway)"
        );
    }

    #[tokio::test]
    async fn the_guard_is_bounded() {
        let guard = MemoryReplayGuard::default();
        let now = Utc::now();
        let until = now + chrono::Duration::minutes(5);
        for i in 0..MAX_KEYS {
            guard.first_use(&i.to_string(), until, now).await.unwrap();
        }
        assert!(guard.first_use("one more", until, now).await.is_err());
        // Once they expire, the next key prunes them.
        let later = until + chrono::Duration::seconds(1);
        assert!(guard.first_use("one more", later, later).await.unwrap());
        assert_eq!(guard.len(), 1);
    }
}
