//! The `Claims` capability: natural-key claims (invariant 2) that keep two records from being
//! created for one key, and remember what a crashed create produced.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::model::{ConnectionId, ObjectKind, Side};

/// One record on one side (the owner of a claim, the subject of a status).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RecordRef {
    pub side: Side,
    pub id: String,
}

impl RecordRef {
    pub fn new(side: Side, id: impl Into<String>) -> Self {
        RecordRef {
            side,
            id: id.into(),
        }
    }
}

/// A natural-key claim (docs/architecture.md §10 `KEY#{normalised key}`): the record that owns the key while
/// it is being created on the other side. Life: claim -> create -> `note_created` -> link ->
/// release. A claim left by a crash still names what was created, so the retry links it instead
/// of creating again (invariant 2); after `expires_at` another record may take it over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub key: String,
    pub owner: RecordRef,
    /// The record created on the other side for `owner`, once the create answered.
    pub created_id: Option<String>,
    pub claimed_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The answer to [`Claims::claim_key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// The key was free and is now ours.
    Claimed,
    /// We already owned it (a retried job): if `created_id` is set, link that record; else
    /// carry on, the create replays. The expiry is extended.
    AlreadyOwned(Claim),
    /// Another record owns the key.
    HeldBy(Claim),
}

/// Natural-key claims per connection and kind.
#[async_trait]
pub trait Claims: Send + Sync {
    /// Claims `key` (already normalised, e.g. "email:ada@example.com") for `owner` until
    /// `now + ttl`. An expired claim of another owner is taken over (answer `Claimed`).
    async fn claim_key(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<ClaimOutcome, StoreError>;

    /// Records on `owner`'s claim which record the create produced; does nothing if `owner`
    /// no longer holds the claim.
    async fn note_created(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
        created_id: &str,
    ) -> Result<(), StoreError>;

    /// Releases `key` if `owner` holds it; otherwise does nothing.
    async fn release_key(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
    ) -> Result<(), StoreError>;
}
