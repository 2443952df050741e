//! The `PendingCreates` capability: a durable note of a create sent to QBO whose link is not
//! written yet, so a crash between the two leaves a trail to the created record.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{RecordRef, StoreError};
use crate::model::{ConnectionId, NativeValues, ObjectKind};

/// A create in flight (docs/architecture.md §5 invariant 2): written before the vendor create,
/// cleared with the link write. One per source record; a later attempt replaces it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingCreate {
    /// The record the create copies (a HubSpot record for a QBO create).
    pub source: RecordRef,
    /// The create's idempotency key (QBO's `requestid`).
    pub request_id: String,
    /// The values the create writes (native paths of the target side).
    pub values: NativeValues,
    /// When the create was about to be sent.
    pub at: DateTime<Utc>,
    /// After this the intent is dropped: its job is gone (dead-lettered or never retried).
    pub expires_at: DateTime<Utc>,
}

/// Pending creates per connection and kind.
#[async_trait]
pub trait PendingCreates: Send + Sync {
    /// Stores `pending`, replacing any earlier one of the same source record.
    async fn put_pending_create(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        pending: &PendingCreate,
    ) -> Result<(), StoreError>;

    /// Every pending create of the kind, expired ones included (the caller drops those),
    /// ordered by source record.
    async fn pending_creates(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<Vec<PendingCreate>, StoreError>;

    /// Forgets the pending create of `source`, if any.
    async fn clear_pending_create(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        source: &RecordRef,
    ) -> Result<(), StoreError>;
}
