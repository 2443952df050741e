//! The `LinkStore` port: links and baselines with conditional writes, natural-key claims,
//! poll cursors, per-record sync status and log, leases, and connections with their routing.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::connection::ConnectionRecord;
use super::sync_status::{SyncLogEntry, SyncStatus};
use crate::model::{ConnectionId, Link, ObjectKind, Side};

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

/// The answer to [`LinkStore::claim_key`].
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

/// A poll watermark per connection, side and kind (docs/architecture.md §10 `CURSOR#{side}#{kind}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Changes at or after this instant have not all been turned into jobs yet.
    pub watermark: DateTime<Utc>,
    /// When the last full enumeration (initial sync / sweep) finished.
    pub last_full_sweep: Option<DateTime<Utc>>,
}

/// A held lease (token refresh, backfill): exclusive until `expires_at` unless released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub name: String,
    pub holder: String,
    pub expires_at: DateTime<Utc>,
}

/// Why a store operation failed. Condition failures are ordinary outcomes the engine acts on
/// (re-read and re-plan); `Backend` and `Corrupt` are faults.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `create_link`/`relink`: one of the records is already linked (invariant 1).
    #[error("the {side:?} record {id} is already linked")]
    AlreadyLinked { side: Side, id: String },
    /// `update_link`/`relink`/`delete_link`: the link changed or vanished since it was read
    /// (invariant 3). `found` is the stored revision, `None` when the link is gone.
    #[error("the link changed since it was read (expected revision {expected}, found {found:?})")]
    RevisionMismatch { expected: u64, found: Option<u64> },
    /// `update_link` was asked to change which records a link joins; use `relink`.
    #[error("update_link cannot change the linked ids; use relink")]
    IdsChanged,
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    #[error("link store backend failed: {0}")]
    Backend(String),
}

/// Storage for everything the engine remembers. Every key starts with the connection id.
///
/// Revisions: `create_link` stores revision 1; `update_link`/`relink` succeed only when the
/// stored revision equals the given link's `revision` and store `revision + 1`; each returns the
/// link as stored.
#[async_trait]
pub trait LinkStore: Send + Sync {
    // --- links ---
    async fn get_link(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        id: &str,
    ) -> Result<Option<Link>, StoreError>;

    /// Batch lookup; ids without a link are absent from the answer.
    async fn get_links(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        ids: &[String],
    ) -> Result<Vec<Link>, StoreError>;

    async fn list_links(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<Vec<Link>, StoreError>;

    /// Writes both sides of a new link, conditional on neither record being linked.
    async fn create_link(&self, link: &Link) -> Result<Link, StoreError>;

    /// Replaces baseline/versions, conditional on `link.revision` being the stored one.
    async fn update_link(&self, link: &Link) -> Result<Link, StoreError>;

    /// Atomically replaces `old` (conditional on its revision) by a link joining other records
    /// (a merge on either side), conditional on the new ids not being linked elsewhere.
    async fn relink(&self, old: &Link, new: &Link) -> Result<Link, StoreError>;

    /// Removes both sides, conditional on `link.revision` being the stored one.
    async fn delete_link(&self, link: &Link) -> Result<(), StoreError>;

    // --- natural-key claims (invariant 2) ---
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

    // --- cursors ---
    async fn get_cursor(
        &self,
        connection: &ConnectionId,
        side: Side,
        kind: ObjectKind,
    ) -> Result<Option<Cursor>, StoreError>;

    async fn put_cursor(
        &self,
        connection: &ConnectionId,
        side: Side,
        kind: ObjectKind,
        cursor: &Cursor,
    ) -> Result<(), StoreError>;

    // --- sync status and log ---
    async fn get_status(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        id: &str,
    ) -> Result<Option<SyncStatus>, StoreError>;

    async fn put_status(
        &self,
        connection: &ConnectionId,
        status: &SyncStatus,
    ) -> Result<(), StoreError>;

    async fn list_statuses(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<Vec<SyncStatus>, StoreError>;

    /// Appends to the history; adapters keep a bounded number of entries per connection
    /// (oldest dropped first), DynamoDB by TTL.
    async fn append_log(
        &self,
        connection: &ConnectionId,
        entries: &[SyncLogEntry],
    ) -> Result<(), StoreError>;

    /// The newest `limit` entries, newest first.
    async fn recent_log(
        &self,
        connection: &ConnectionId,
        limit: usize,
    ) -> Result<Vec<SyncLogEntry>, StoreError>;

    // --- leases ---
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

    // --- connections and routing ---
    async fn put_connection(&self, connection: &ConnectionRecord) -> Result<(), StoreError>;

    async fn get_connection(
        &self,
        id: &ConnectionId,
    ) -> Result<Option<ConnectionRecord>, StoreError>;

    async fn list_connections(&self) -> Result<Vec<ConnectionRecord>, StoreError>;

    /// Connections of a HubSpot portal (webhook routing).
    async fn connections_for_portal(
        &self,
        portal_id: &str,
    ) -> Result<Vec<ConnectionId>, StoreError>;

    /// Connections of a QBO company (webhook routing).
    async fn connections_for_realm(&self, realm_id: &str) -> Result<Vec<ConnectionId>, StoreError>;

    /// Forgets a kind of a connection (its state became "deleted"): links, claims, cursors and
    /// statuses of that kind. The log history stays.
    async fn forget_kind(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<(), StoreError>;
}
