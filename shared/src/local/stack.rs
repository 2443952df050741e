//! `LocalStack`: assembles the local runtime for one connection (state, vault and token refresh,
//! connection record, gateways) and starts its initial sync, loops and webhook server on demand.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::Notify;

use super::connection::{SeedLedger, local_connection, seed_tokens};
use super::endpoints::{EndpointError, VendorEndpoints};
use super::pipeline::{Pipeline, PipelineOptions};
use super::webhook_server::{WebhookServer, WebhookServerOptions};
use crate::adapters::memory::{MemoryJobQueue, MemoryStore, MemoryTokenVault};
use crate::adapters::sqlite::{
    SqliteDb, SqliteError, SqliteJobQueue, SqliteStore, SqliteTokenVault,
};
use crate::engine::invoicing::action::{ActionJobSink, QueuedActions};
use crate::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use crate::engine::jobs::SyncContext;
use crate::engine::jobs::{FixedGateways, GatewayDirectory, Invoicing};
use crate::engine::sync::GatewayPair;
use crate::engine::sync::initial_sync::{
    InitialSyncError, InitialSyncOptions, InitialSyncReport, SyncProgress, initial_sync,
};
use crate::model::{ConnectionId, ConnectionSettings, ObjectKind, Side};
use crate::observability::Metrics;
use crate::ports::{
    Clock, ConnectionRecord, ConnectionStatus, GatewayError, JobQueue, Lane, QueueError, Store,
    StoreError, SystemClock, TokenVault, VaultError,
};
use crate::tokens::{RefreshingGateways, TokenRefresher, VendorOAuth};

/// Where the runtime keeps its state.
#[derive(Debug, Clone)]
pub enum StateLocation {
    /// `{dir}/hqsync.sqlite3`, kept between runs.
    Sqlite { dir: PathBuf },
    /// Gone when the process ends (the demo, tests).
    Memory,
}

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("state database: {0}")]
    Sqlite(#[from] SqliteError),
    #[error("state store: {0}")]
    Store(#[from] StoreError),
    #[error("token vault: {0}")]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    #[error("invalid settings: {0}")]
    Settings(String),
    #[error("initial sync: {0}")]
    InitialSync(#[from] InitialSyncError),
    #[error("job queue: {0}")]
    Queue(#[from] QueueError),
    #[error("webhook server: {0}")]
    Webhooks(std::io::Error),
}

/// What a state location opens: store, queue, vault and the ledger of seeded refresh tokens.
type StateParts = (
    Arc<dyn Store>,
    Arc<dyn JobQueue>,
    Arc<dyn TokenVault>,
    SeedLedger,
);

/// The local runtime of one connection.
pub struct LocalStack {
    pub ctx: SyncContext,
    pub connection: ConnectionRecord,
    pub vault: Arc<dyn TokenVault>,
    pub endpoints: VendorEndpoints,
    /// Wakes the worker when jobs arrive (shared by the webhook server and the pipeline).
    wake: Arc<Notify>,
    pipeline: Option<Pipeline>,
    webhooks: Option<WebhookServer>,
}

impl LocalStack {
    /// Opens the state, writes the connection (replacing a stored one with the same id) and
    /// seeds its tokens, and builds the gateways. Nothing runs yet.
    pub async fn open(
        id: ConnectionId,
        endpoints: VendorEndpoints,
        settings: ConnectionSettings,
        state: &StateLocation,
    ) -> Result<Self, LocalError> {
        Self::open_with_clock(id, endpoints, settings, state, Arc::new(SystemClock)).await
    }

    /// [`LocalStack::open`] on `clock` (tests that move time past token expiry).
    ///
    /// With a refresh token on either side, the gateways come from [`RefreshingGateways`]:
    /// access tokens are refreshed under the connection's lease before they expire, rotated
    /// refresh tokens are stored in the vault before use (SQLite: kept for the next run), and
    /// a refresh token the vendor rejects marks the connection reconnect-required. Without
    /// one (static tokens, the sandboxes' dev tokens) the gateways are fixed.
    pub async fn open_with_clock(
        id: ConnectionId,
        endpoints: VendorEndpoints,
        settings: ConnectionSettings,
        state: &StateLocation,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, LocalError> {
        settings
            .validate()
            .map_err(|e| LocalError::Settings(e.to_string()))?;
        endpoints.check_refresh()?;
        let app = endpoints.app_credentials();
        let (store, queue, vault, ledger): StateParts = match state {
            StateLocation::Sqlite { dir } => {
                let db = SqliteDb::open(&SqliteDb::default_path(dir))?;
                (
                    Arc::new(SqliteStore::new(db.clone())),
                    Arc::new(SqliteJobQueue::new(db.clone(), clock.clone())),
                    Arc::new(SqliteTokenVault::new(db.clone(), app)),
                    SeedLedger::sqlite(db),
                )
            }
            StateLocation::Memory => (
                Arc::new(MemoryStore::new()),
                Arc::new(MemoryJobQueue::new(clock.clone())),
                Arc::new(MemoryTokenVault::new(app)),
                SeedLedger::in_memory(),
            ),
        };
        let previous = store.get_connection(&id).await?;
        let mut connection = local_connection(id, &endpoints, settings);
        let reseeded = seed_tokens(
            vault.as_ref(),
            &ledger,
            connection.id(),
            &endpoints,
            clock.now(),
        )
        .await?;
        let refreshing = Side::BOTH.into_iter().any(|side| endpoints.refreshes(side));
        // A rejected refresh token stays rejected: the connection waits for a new one in the
        // configuration rather than failing the same refresh on every run.
        if refreshing
            && reseeded.is_empty()
            && previous.is_some_and(|p| p.status == ConnectionStatus::ReconnectRequired)
        {
            connection.status = ConnectionStatus::ReconnectRequired;
        }
        store.put_connection(&connection).await?;
        let gateways: Arc<dyn GatewayDirectory> = if refreshing {
            let oauth = VendorOAuth::new(endpoints.vendor_urls(), clock.clone());
            let refresher = TokenRefresher::new(
                vault.clone(),
                store.clone(),
                Arc::new(oauth),
                clock.clone(),
                Metrics::new(),
            );
            Arc::new(
                RefreshingGateways::new(refresher, endpoints.vendor_urls(), clock.clone())
                    .with_budgets(
                        endpoints.budgets.hubspot.clone(),
                        endpoints.budgets.quickbooks.clone(),
                    ),
            )
        } else {
            let pair = endpoints.gateways(&connection.connection.settings, clock.clone())?;
            let invoicing = Arc::new(Invoicing::new(
                InvoiceMirror::new(
                    Arc::new(endpoints.hubspot_client()?),
                    Arc::new(endpoints.quickbooks_client()?),
                    InvoiceSyncSettings::from_settings(&connection.connection.settings),
                ),
                clock.clone(),
            ));
            Arc::new(FixedGateways::new(pair).with_invoicing(invoicing))
        };
        let ctx = SyncContext {
            store,
            queue,
            clock,
            gateways,
        };
        Ok(LocalStack {
            ctx,
            connection,
            vault,
            endpoints,
            wake: Arc::new(Notify::new()),
            pipeline: None,
            webhooks: None,
        })
    }

    /// The engine's own gateways (also usable to read both sides for display), with current
    /// tokens: refreshed first when they are about to expire.
    pub async fn gateways(&self) -> Result<GatewayPair, GatewayError> {
        self.ctx.gateways.gateways(&self.connection).await
    }

    /// The connection as stored now (its status turns reconnect-required when a vendor
    /// rejects the refresh token).
    pub async fn stored_connection(&self) -> Result<Option<ConnectionRecord>, LocalError> {
        Ok(self.ctx.store.get_connection(self.connection_id()).await?)
    }

    pub fn connection_id(&self) -> &ConnectionId {
        self.connection.id()
    }

    /// Forgets what a previous run stored for this connection: links, claims, cursors and
    /// statuses of every kind, and the jobs waiting in the queue. For runs against sandboxes,
    /// which start afresh, so old links would point at other records. Returns jobs dropped.
    pub async fn forget_previous_run(&self) -> Result<usize, LocalError> {
        for kind in ObjectKind::TWO_WAY {
            self.ctx
                .store
                .forget_kind(self.connection_id(), kind)
                .await?;
        }
        let mut dropped = 0;
        for lane in [Lane::Live, Lane::Bulk] {
            loop {
                let deliveries = self.ctx.queue.receive(lane, 100).await?;
                if deliveries.is_empty() {
                    break;
                }
                dropped += deliveries.len();
                let receipts: Vec<_> = deliveries.into_iter().map(|d| d.receipt).collect();
                self.ctx.queue.ack(&receipts).await?;
            }
        }
        Ok(dropped)
    }

    /// Runs (or with `options.dry_run` previews) the initial sync of every enabled kind.
    pub async fn initial_sync(
        &self,
        options: &InitialSyncOptions,
        progress: &(dyn Fn(SyncProgress) + Send + Sync),
    ) -> Result<InitialSyncReport, LocalError> {
        Ok(initial_sync(
            &self.ctx.sync_ports(),
            self.connection_id(),
            options,
            progress,
        )
        .await?)
    }

    /// Starts the worker and poller loops (once; later calls do nothing).
    pub fn start_pipeline(&mut self, options: PipelineOptions) {
        if self.pipeline.is_none() {
            self.pipeline = Some(Pipeline::start(
                self.ctx.clone(),
                self.connection_id().clone(),
                options,
                self.wake.clone(),
            ));
        }
    }

    pub fn pipeline(&self) -> Option<&Pipeline> {
        self.pipeline.as_ref()
    }

    /// Serves the webhook endpoints on `listener`; `public_base_url` is what the vendors were
    /// told (e.g. `http://127.0.0.1:8080`). Deliveries before the pipeline starts wait in
    /// the queue.
    pub fn serve_webhooks(
        &mut self,
        listener: TcpListener,
        public_base_url: String,
    ) -> Result<&WebhookServer, LocalError> {
        let wake = self.wake.clone();
        let action_sink: Arc<dyn ActionJobSink> = Arc::new(QueuedActions::new(
            self.ctx.store.clone(),
            self.ctx.queue.clone(),
            self.ctx.clock.clone(),
        ));
        let server = WebhookServer::start(
            listener,
            WebhookServerOptions {
                store: self.ctx.store.clone(),
                queue: self.ctx.queue.clone(),
                clock: self.ctx.clock.clone(),
                hubspot_client_secret: self.endpoints.hubspot.client_secret.clone(),
                hubspot_app_id: self.endpoints.hubspot.app_id.clone(),
                quickbooks_verifier_token: self.endpoints.quickbooks.verifier_token.clone(),
                public_base_url,
                wake,
                action_sink: Some(action_sink),
            },
        )
        .map_err(LocalError::Webhooks)?;
        Ok(self.webhooks.insert(server))
    }

    pub fn webhooks(&self) -> Option<&WebhookServer> {
        self.webhooks.as_ref()
    }

    /// Stops the webhook server, then the loops (jobs left in a SQLite queue survive).
    pub async fn shutdown(mut self) {
        if let Some(server) = self.webhooks.take() {
            server.shutdown().await;
        }
        if let Some(pipeline) = self.pipeline.take() {
            pipeline.shutdown().await;
        }
    }
}
