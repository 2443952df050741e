//! The DynamoDB `LinkStore` (docs/architecture.md §10): one table with `pk`/`sk` string keys and the TTL
//! attribute `expires_at`; each concern (links, claims, records, leases, connections) in a file.

mod claims;
mod connections;
mod item;
pub mod keys;
mod leases;
mod links;
mod query;
mod records;
pub mod sdk;
pub mod table;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};

use crate::model::{ConnectionId, Link, ObjectKind, Side};
use crate::observability::Metrics;
use crate::ports::{
    ClaimOutcome, Clock, ConnectionRecord, Cursor, Lease, LinkStore, RecordRef, StoreError,
    SyncLogEntry, SyncStatus, SystemClock,
};

pub use sdk::{aws_sdk_config, local_sdk_config};
pub use table::ensure_table;

/// How long sync log entries are kept before DynamoDB's TTL removes them.
pub const LOG_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long the status of a synced (or excluded) record is kept after its last update.
/// Failed and conflicted statuses have no expiry.
pub const STATUS_RETENTION: Duration = Duration::from_secs(90 * 24 * 3600);

/// The link store on one DynamoDB table. Cheap to clone (the SDK client is an `Arc` inside).
#[derive(Clone)]
pub struct DynamoLinkStore {
    client: Client,
    table: Arc<str>,
    /// Only used for TTLs of log entries (the engine passes `now` everywhere else).
    clock: Arc<dyn Clock>,
    /// Where record outcomes are counted as they are logged (`RecordsSynced` etc.).
    metrics: Option<Metrics>,
}

impl DynamoLinkStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoLinkStore {
            client,
            table: Arc::from(table.into()),
            clock: Arc::new(SystemClock),
            metrics: None,
        }
    }

    /// Counts the outcome of every appended sync log entry in `metrics`.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Uses `clock` for the expiry of log entries (tests with a manual clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

#[async_trait]
impl LinkStore for DynamoLinkStore {
    async fn get_link(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        id: &str,
    ) -> Result<Option<Link>, StoreError> {
        self.link(connection, kind, side, id).await
    }

    async fn get_links(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        ids: &[String],
    ) -> Result<Vec<Link>, StoreError> {
        self.links(connection, kind, side, ids).await
    }

    async fn list_links(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<Vec<Link>, StoreError> {
        self.all_links(connection, kind).await
    }

    async fn create_link(&self, link: &Link) -> Result<Link, StoreError> {
        self.insert_link(link).await
    }

    async fn update_link(&self, link: &Link) -> Result<Link, StoreError> {
        self.replace_link(link).await
    }

    async fn relink(&self, old: &Link, new: &Link) -> Result<Link, StoreError> {
        self.move_link(old, new).await
    }

    async fn delete_link(&self, link: &Link) -> Result<(), StoreError> {
        self.remove_link(link).await
    }

    async fn claim_key(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<ClaimOutcome, StoreError> {
        self.claim(connection, kind, key, owner, ttl, now).await
    }

    async fn note_created(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
        created_id: &str,
    ) -> Result<(), StoreError> {
        self.note_claim_created(connection, kind, key, owner, created_id)
            .await
    }

    async fn release_key(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
    ) -> Result<(), StoreError> {
        self.release_claim(connection, kind, key, owner).await
    }

    async fn get_cursor(
        &self,
        connection: &ConnectionId,
        side: Side,
        kind: ObjectKind,
    ) -> Result<Option<Cursor>, StoreError> {
        self.cursor(connection, side, kind).await
    }

    async fn put_cursor(
        &self,
        connection: &ConnectionId,
        side: Side,
        kind: ObjectKind,
        cursor: &Cursor,
    ) -> Result<(), StoreError> {
        self.store_cursor(connection, side, kind, cursor).await
    }

    async fn get_status(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        id: &str,
    ) -> Result<Option<SyncStatus>, StoreError> {
        self.status(connection, kind, side, id).await
    }

    async fn put_status(
        &self,
        connection: &ConnectionId,
        status: &SyncStatus,
    ) -> Result<(), StoreError> {
        self.store_status(connection, status).await
    }

    async fn list_statuses(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<Vec<SyncStatus>, StoreError> {
        self.statuses(connection, kind).await
    }

    async fn append_log(
        &self,
        connection: &ConnectionId,
        entries: &[SyncLogEntry],
    ) -> Result<(), StoreError> {
        self.store_log(connection, entries).await?;
        if let Some(metrics) = &self.metrics {
            metrics.record_log(entries);
        }
        Ok(())
    }

    async fn recent_log(
        &self,
        connection: &ConnectionId,
        limit: usize,
    ) -> Result<Vec<SyncLogEntry>, StoreError> {
        self.newest_log(connection, limit).await
    }

    async fn acquire_lease(
        &self,
        connection: &ConnectionId,
        name: &str,
        holder: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<Lease>, StoreError> {
        self.take_lease(connection, name, holder, ttl, now).await
    }

    async fn release_lease(
        &self,
        connection: &ConnectionId,
        name: &str,
        holder: &str,
    ) -> Result<(), StoreError> {
        self.drop_lease(connection, name, holder).await
    }

    async fn put_connection(&self, connection: &ConnectionRecord) -> Result<(), StoreError> {
        self.store_connection(connection).await
    }

    async fn get_connection(
        &self,
        id: &ConnectionId,
    ) -> Result<Option<ConnectionRecord>, StoreError> {
        self.connection(id).await
    }

    async fn list_connections(&self) -> Result<Vec<ConnectionRecord>, StoreError> {
        self.all_connections().await
    }

    async fn connections_for_portal(
        &self,
        portal_id: &str,
    ) -> Result<Vec<ConnectionId>, StoreError> {
        self.routed(&keys::portal_pk(portal_id)).await
    }

    async fn connections_for_realm(&self, realm_id: &str) -> Result<Vec<ConnectionId>, StoreError> {
        self.routed(&keys::realm_pk(realm_id)).await
    }

    async fn forget_kind(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<(), StoreError> {
        self.forget(connection, kind).await
    }
}
