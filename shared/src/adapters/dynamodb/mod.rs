//! `DynamoStore`, every store capability on one DynamoDB table (docs/architecture.md §10) with
//! `pk`/`sk` string keys and the TTL attribute `expires_at`; one file per capability.

mod audit;
mod claims;
mod connections;
mod cursors;
mod initial_sync_runs;
mod item;
pub mod keys;
mod leases;
mod links;
mod login_attempts;
mod pending_authorizations;
mod pending_creates;
mod query;
pub mod sdk;
mod status_log;
pub mod table;
pub mod token_buckets;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;

use item::{Item, get_s, keyed};
use keys::{PK, SK};

use crate::model::{ConnectionId, ObjectKind, Side};
use crate::observability::Metrics;
use crate::ports::{Clock, ForgetKind, StoreError, SystemClock};

pub use audit::AUDIT_RETENTION;
pub use sdk::{aws_sdk_config, local_sdk_config};
pub use table::ensure_table;
pub use token_buckets::DynamoTokenBuckets;

/// How long sync log entries are kept before DynamoDB's TTL removes them.
pub const LOG_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);
/// How long the status of a synced (or excluded) record is kept after its last update.
/// Failed and conflicted statuses have no expiry.
pub const STATUS_RETENTION: Duration = Duration::from_secs(90 * 24 * 3600);

/// The store on one DynamoDB table. Cheap to clone (the SDK client is an `Arc` inside).
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: Arc<str>,
    /// Only used for TTLs of log entries (the engine passes `now` everywhere else).
    clock: Arc<dyn Clock>,
    /// Where record outcomes are counted as they are logged (`RecordsSynced` etc.).
    metrics: Option<Metrics>,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
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
impl ForgetKind for DynamoStore {
    async fn forget_kind(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<(), StoreError> {
        // Links, claims, pending creates and statuses of the kind share its partition; the log
        // stays.
        let mut doomed: Vec<Item> = self
            .query_prefix(&keys::kind_pk(connection, kind), "", false, None)
            .await?
            .into_iter()
            .map(|item| key_of(&item))
            .collect::<Result<_, _>>()?;
        for side in Side::BOTH {
            doomed.push(keyed(
                keys::connection_pk(connection),
                keys::cursor_sk(side, kind),
            ));
        }
        self.batch_delete(doomed).await
    }
}

fn key_of(item: &Item) -> Result<Item, StoreError> {
    Ok(keyed(get_s(item, PK)?, get_s(item, SK)?))
}
