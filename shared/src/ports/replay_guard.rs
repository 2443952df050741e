//! `ReplayGuard`: remembers the HubSpot v3 signatures accepted within their 5-minute window, so a
//! captured delivery sent again inside the window is refused (docs/hubspot.md §5.5).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// A short-lived set of used keys. In memory per process (`adapters::memory`), the choice on
/// every runtime today; a shared table (DynamoDB, conditional put with TTL) fits the same port.
#[async_trait]
pub trait ReplayGuard: Send + Sync {
    /// Records `key` as used until `until`: `true` the first time, `false` when it is already
    /// recorded and not yet expired at `now`.
    async fn first_use(
        &self,
        key: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}
