//! The `ForgetKind` capability: dropping everything a connection remembers about one object
//! kind (its links, claims, cursors and statuses) when the kind's sync is deleted.

use async_trait::async_trait;

use super::StoreError;
use crate::model::{ConnectionId, ObjectKind};

/// Spans links, claims, cursors and statuses, so it is its own capability: an adapter does it
/// in one step over all of them.
#[async_trait]
pub trait ForgetKind: Send + Sync {
    /// Forgets a kind of a connection (its state became "deleted"): links, claims, cursors and
    /// statuses of that kind. The log history stays.
    async fn forget_kind(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<(), StoreError>;
}
