//! `LocalStack`: the local runtime of one configured connection (`hqsync demo`, `sync`, the
//! tests): a [`LocalRuntime`] polling only it, with its record and tokens from the configuration.

use std::sync::Arc;

use tokio::net::TcpListener;

use super::endpoints::VendorEndpoints;
use super::pipeline::{Pipeline, PipelineOptions, PollScope};
use super::runtime::{
    LocalError, LocalRuntime, VendorApps, configure_connection, refreshing_gateways,
};
use super::state::{LocalState, StateLocation};
use super::webhook_server::WebhookServer;
use crate::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use crate::engine::jobs::SyncContext;
use crate::engine::jobs::{FixedGateways, GatewayDirectory, Invoicing};
use crate::engine::sync::GatewayPair;
use crate::engine::sync::initial_sync::{InitialSyncOptions, InitialSyncReport, SyncProgress};
use crate::model::{ConnectionId, ConnectionSettings, Side};
use crate::ports::{Clock, ConnectionRecord, GatewayError, SystemClock, TokenVault};

/// The local runtime of one connection.
pub struct LocalStack {
    pub ctx: SyncContext,
    pub connection: ConnectionRecord,
    pub vault: Arc<dyn TokenVault>,
    pub endpoints: VendorEndpoints,
    runtime: LocalRuntime,
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
    /// With a refresh token on either side, the gateways come from
    /// [`crate::tokens::RefreshingGateways`]: access tokens are refreshed under the
    /// connection's lease before they expire, rotated refresh tokens are stored in the vault
    /// before use (SQLite: kept for the next run), and a refresh token the vendor rejects marks
    /// the connection reconnect-required. Without one (static tokens, the sandboxes' dev
    /// tokens) the gateways are fixed.
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
        let vendors = VendorApps::of(&endpoints);
        let state = LocalState::open(state, vendors.app.clone(), clock.clone())?;
        let connection =
            configure_connection(&state, id, &endpoints, settings, clock.as_ref()).await?;
        let refreshing = Side::BOTH.into_iter().any(|side| endpoints.refreshes(side));
        let gateways: Arc<dyn GatewayDirectory> = if refreshing {
            refreshing_gateways(&state, &vendors, clock.clone())
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
        let vault = state.vault.clone();
        let scope = PollScope::Connection(connection.id().clone());
        let runtime = LocalRuntime::assemble(state, vendors, clock, gateways, scope);
        Ok(LocalStack {
            ctx: runtime.ctx.clone(),
            connection,
            vault,
            endpoints,
            runtime,
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

    /// The process runtime under this connection (its state, admin context, loops).
    pub fn runtime(&self) -> &LocalRuntime {
        &self.runtime
    }

    /// Forgets what a previous run stored for this connection: links, claims, cursors and
    /// statuses of every kind, and the jobs waiting in the queue. For runs against sandboxes,
    /// which start afresh, so old links would point at other records. Returns jobs dropped.
    pub async fn forget_previous_run(&self) -> Result<usize, LocalError> {
        self.runtime.forget_links(self.connection_id()).await?;
        self.runtime.drain_queue().await
    }

    /// Runs (or with `options.dry_run` previews) the initial sync of every enabled kind.
    pub async fn initial_sync(
        &self,
        options: &InitialSyncOptions,
        progress: &(dyn Fn(SyncProgress) + Send + Sync),
    ) -> Result<InitialSyncReport, LocalError> {
        self.runtime
            .initial_sync(self.connection_id(), options, progress)
            .await
    }

    /// Starts the worker and poller loops (once; later calls do nothing).
    pub fn start_pipeline(&mut self, options: PipelineOptions) {
        self.runtime.start_pipeline(options);
    }

    pub fn pipeline(&self) -> Option<&Pipeline> {
        self.runtime.pipeline()
    }

    /// Serves the webhook endpoints on `listener`; `public_base_url` is what the vendors were
    /// told (e.g. `http://127.0.0.1:8080`). Deliveries before the pipeline starts wait in
    /// the queue.
    pub fn serve_webhooks(
        &mut self,
        listener: TcpListener,
        public_base_url: String,
    ) -> Result<&WebhookServer, LocalError> {
        self.runtime.serve(listener, public_base_url, None)
    }

    pub fn webhooks(&self) -> Option<&WebhookServer> {
        self.runtime.server()
    }

    /// Stops the webhook server, then the loops (jobs left in a SQLite queue survive).
    pub async fn shutdown(self) {
        self.runtime.shutdown().await;
    }
}
