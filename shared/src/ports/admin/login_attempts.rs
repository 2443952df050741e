//! The `LoginAttempts` capability: failed sign-ins counted per source in a fixed window, so
//! repeated failures are slowed down across processes (Lambda containers share the count).

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::ports::StoreError;

#[async_trait]
pub trait LoginAttempts: Send + Sync {
    /// Counts one failed sign-in of `source` (a client address, or `*` for all sources) at
    /// `at` and returns the failures in the current window, this one included. A window
    /// starts at the first failure and lasts `window`; a failure after it starts a new one.
    async fn record_failed_login(
        &self,
        source: &str,
        at: DateTime<Utc>,
        window: Duration,
    ) -> Result<u32, StoreError>;

    /// The failures of `source` in its window still open at `at` (0 when none is open).
    async fn failed_logins(
        &self,
        source: &str,
        at: DateTime<Utc>,
        window: Duration,
    ) -> Result<u32, StoreError>;

    /// Forgets `source`'s failures (after a successful sign-in).
    async fn clear_failed_logins(&self, source: &str) -> Result<(), StoreError>;
}
