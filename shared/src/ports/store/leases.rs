//! The `Leases` capability: named, expiring, exclusive leases per connection (token refresh,
//! backfill), taken and released by a holder.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::model::ConnectionId;

/// A held lease (token refresh, backfill): exclusive until `expires_at` unless released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub name: String,
    pub holder: String,
    pub expires_at: DateTime<Utc>,
}

/// Leases per connection and name.
#[async_trait]
pub trait Leases: Send + Sync {
    /// Takes (or, for the same holder, extends) the lease unless another holder's lease is
    /// unexpired at `now`; `None` when someone else holds it.
    async fn acquire_lease(
        &self,
        connection: &ConnectionId,
        name: &str,
        holder: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<Lease>, StoreError>;

    /// Releases the lease if `holder` holds it; otherwise does nothing.
    async fn release_lease(
        &self,
        connection: &ConnectionId,
        name: &str,
        holder: &str,
    ) -> Result<(), StoreError>;
}
