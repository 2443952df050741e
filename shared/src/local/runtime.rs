//! `LocalRuntime`: the local process serving every stored connection — its state, the engine's
//! context (per-connection gateways from the vault), the loops, and one HTTP server.

use std::sync::Arc;

use secrecy::SecretString;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use super::connection::{SeedLedger, local_connection, seed_tokens};
use super::endpoints::{EndpointError, VendorBudgets, VendorEndpoints};
use super::pipeline::{Pipeline, PipelineOptions, PollScope};
use super::state::{LocalState, StateLocation};
use super::webhook_server::{WebhookServer, WebhookServerOptions};
use crate::adapters::sqlite::SqliteError;
use crate::admin::{AdminAuth, AdminContext};
use crate::engine::invoicing::action::{ActionJobSink, QueuedActions};
use crate::engine::jobs::{GatewayDirectory, SyncContext};
use crate::engine::sync::initial_sync::{
    InitialSyncError, InitialSyncOptions, InitialSyncReport, SyncProgress, initial_sync,
};
use crate::local::http_serve::ConnectionLimits;
use crate::model::{ConnectionId, ConnectionSettings, ObjectKind, Side};
use crate::observability::Metrics;
use crate::ports::{
    AppCredentials, Clock, ConnectionRecord, ConnectionStatus, QueueError, StoreError, VaultError,
};
use crate::tokens::{RefreshingGateways, TokenRefresher, VendorOAuth, VendorUrls};

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

/// What the runtime knows of the vendors, whatever connections come: the app credentials
/// (webhook secrets, the OAuth apps that refresh every connection's tokens), where the APIs
/// are, and the rate budgets every client shares.
#[derive(Clone, Default)]
pub struct VendorApps {
    pub app: AppCredentials,
    pub urls: VendorUrls,
    pub budgets: VendorBudgets,
}

impl VendorApps {
    /// The apps of `endpoints` (a connection's accounts configured by hand).
    pub fn of(endpoints: &VendorEndpoints) -> Self {
        VendorApps {
            app: endpoints.app_credentials(),
            urls: endpoints.vendor_urls(),
            budgets: endpoints.budgets.clone(),
        }
    }

    /// The same apps with the OAuth clients that refresh connections' tokens: HubSpot's
    /// client id (its secret is the webhook secret already held) and Intuit's key pair.
    pub fn with_oauth_clients(
        mut self,
        hubspot_client_id: impl Into<String>,
        quickbooks_client_id: impl Into<String>,
        quickbooks_client_secret: SecretString,
    ) -> Self {
        self.app.hubspot_client_id = Some(hubspot_client_id.into());
        self.app.quickbooks_client_id = Some(quickbooks_client_id.into());
        self.app.quickbooks_client_secret = Some(quickbooks_client_secret);
        self
    }
}

/// The running local process.
pub struct LocalRuntime {
    pub ctx: SyncContext,
    pub state: LocalState,
    pub vendors: VendorApps,
    /// Wakes the worker when jobs arrive (shared by the HTTP server and the pipeline).
    wake: Arc<Notify>,
    scope: PollScope,
    pipeline: Option<Pipeline>,
    server: Option<WebhookServer>,
}

impl LocalRuntime {
    /// Opens the state at `location` and serves every connection stored there (and any added
    /// later, by [`LocalRuntime::add_configured_connection`] or the connect flow): gateways
    /// from each connection's tokens in the vault, refreshed with `vendors.app` like on AWS,
    /// and the poller over every active connection. Nothing runs yet.
    pub fn open(
        vendors: VendorApps,
        location: &StateLocation,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, LocalError> {
        let state = LocalState::open(location, vendors.app.clone(), clock.clone())?;
        let gateways = refreshing_gateways(&state, &vendors, clock.clone());
        Ok(Self::assemble(
            state,
            vendors,
            clock,
            gateways,
            PollScope::Every,
        ))
    }

    /// A runtime on already opened state with its own gateway directory and poll scope (the
    /// one-connection [`super::LocalStack`]).
    pub(crate) fn assemble(
        state: LocalState,
        vendors: VendorApps,
        clock: Arc<dyn Clock>,
        gateways: Arc<dyn GatewayDirectory>,
        scope: PollScope,
    ) -> Self {
        let ctx = SyncContext {
            store: state.store.clone(),
            queue: state.queue.clone(),
            clock,
            gateways,
        };
        LocalRuntime {
            ctx,
            state,
            vendors,
            wake: Arc::new(Notify::new()),
            scope,
            pipeline: None,
            server: None,
        }
    }

    /// Writes a connection between the accounts of `endpoints` with `settings` (replacing a
    /// stored one with the same id) and seeds its tokens (see [`configure_connection`]).
    pub async fn add_configured_connection(
        &self,
        id: ConnectionId,
        endpoints: &VendorEndpoints,
        settings: ConnectionSettings,
    ) -> Result<ConnectionRecord, LocalError> {
        configure_connection(
            &self.state,
            id,
            endpoints,
            settings,
            self.ctx.clock.as_ref(),
        )
        .await
    }

    /// Forgets what a previous run stored for `connection`: links, claims, cursors and
    /// statuses of every kind (the record and tokens stay). For runs against sandboxes, which
    /// start afresh, so old links would point at other records.
    pub async fn forget_links(&self, connection: &ConnectionId) -> Result<(), LocalError> {
        for kind in ObjectKind::TWO_WAY {
            self.ctx.store.forget_kind(connection, kind).await?;
        }
        Ok(())
    }

    /// Drops every job of both lanes, the waiting, the delayed (retries) and the in-flight
    /// ones a killed process held (they would come back after their visibility timeout, naming
    /// records of sandboxes that are gone); returns how many.
    pub async fn drain_queue(&self) -> Result<usize, LocalError> {
        Ok(self.state.purge.purge().await?)
    }

    /// Runs (or with `options.dry_run` previews) the initial sync of `connection`'s enabled
    /// kinds.
    pub async fn initial_sync(
        &self,
        connection: &ConnectionId,
        options: &InitialSyncOptions,
        progress: &(dyn Fn(SyncProgress) + Send + Sync),
    ) -> Result<InitialSyncReport, LocalError> {
        Ok(initial_sync(&self.ctx.sync_ports(), connection, options, progress).await?)
    }

    /// Starts the worker and poller loops (once; later calls do nothing).
    pub fn start_pipeline(&mut self, options: PipelineOptions) {
        if self.pipeline.is_none() {
            self.pipeline = Some(Pipeline::start(
                self.ctx.clone(),
                self.scope.clone(),
                options,
                self.wake.clone(),
            ));
        }
    }

    pub fn pipeline(&self) -> Option<&Pipeline> {
        self.pipeline.as_ref()
    }

    /// The admin API's context on this runtime: reached at `public_base_url`, signing in
    /// with `auth`, connecting through the vendors at `vendors.urls`.
    pub fn admin_context(&self, auth: Arc<AdminAuth>, public_base_url: &str) -> AdminContext {
        AdminContext {
            sync: self.ctx.clone(),
            vault: self.state.vault.clone(),
            admin_store: self.state.admin_store.clone(),
            dead_letters: self.state.dead_letters.clone(),
            auth,
            public_base_url: public_base_url.trim_end_matches('/').to_owned(),
            vendor_urls: self.vendors.urls.clone(),
        }
    }

    /// Serves the webhook endpoints (verified with the app credentials) on `listener`, and
    /// with `admin` the admin API and connect pages beside them; `public_base_url` is what
    /// the vendors and browsers were told (e.g. `http://127.0.0.1:4030`). Deliveries before
    /// the pipeline starts wait in the queue.
    pub fn serve(
        &mut self,
        listener: TcpListener,
        public_base_url: String,
        admin: Option<Arc<AdminAuth>>,
    ) -> Result<&WebhookServer, LocalError> {
        let action_sink: Arc<dyn ActionJobSink> = Arc::new(QueuedActions::new(
            self.ctx.store.clone(),
            self.ctx.queue.clone(),
            self.ctx.clock.clone(),
        ));
        let admin =
            admin.map(|auth| crate::admin::router(self.admin_context(auth, &public_base_url)));
        let app = &self.vendors.app;
        let server = WebhookServer::start(
            listener,
            WebhookServerOptions {
                store: self.ctx.store.clone(),
                queue: self.ctx.queue.clone(),
                clock: self.ctx.clock.clone(),
                hubspot_client_secret: app.hubspot_client_secret.clone(),
                hubspot_legacy_signatures: app.hubspot_legacy_signatures,
                hubspot_app_id: app.hubspot_app_id.clone(),
                quickbooks_verifier_token: app.quickbooks_webhook_verifier.clone(),
                public_base_url,
                wake: self.wake.clone(),
                action_sink: Some(action_sink),
                admin,
                connection_limits: ConnectionLimits::default(),
            },
        )
        .map_err(LocalError::Webhooks)?;
        Ok(self.server.insert(server))
    }

    pub fn server(&self) -> Option<&WebhookServer> {
        self.server.as_ref()
    }

    /// Stops the HTTP server, then the loops (jobs left in a SQLite queue survive).
    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        if let Some(pipeline) = self.pipeline.take() {
            pipeline.shutdown().await;
        }
    }
}

/// The gateway directory of many connections: each one's gateways built from its tokens in
/// the vault, refreshed under its lease before they expire, rotated refresh tokens stored
/// before use, and a refresh token the vendor rejects marking it reconnect-required.
pub(crate) fn refreshing_gateways(
    state: &LocalState,
    vendors: &VendorApps,
    clock: Arc<dyn Clock>,
) -> Arc<dyn GatewayDirectory> {
    let oauth = VendorOAuth::new(vendors.urls.clone(), clock.clone());
    let refresher = TokenRefresher::new(
        state.vault.clone(),
        state.store.clone(),
        Arc::new(oauth),
        clock.clone(),
        Metrics::new(),
    );
    Arc::new(
        RefreshingGateways::new(refresher, vendors.urls.clone(), clock)
            .with_budgets(
                vendors.budgets.hubspot.clone(),
                vendors.budgets.quickbooks.clone(),
            )
            .with_retry_policy(vendors.budgets.retry),
    )
}

/// Writes the connection `id` between the accounts of `endpoints` with `settings` (validated;
/// replacing a stored one with the same id), active, and seeds its tokens from the
/// configuration (see [`seed_tokens`]).
///
/// A rejected refresh token stays rejected: when the configuration brings no new refresh
/// token, a connection stored as reconnect-required stays so, rather than failing the same
/// refresh on every run.
pub async fn configure_connection(
    state: &LocalState,
    id: ConnectionId,
    endpoints: &VendorEndpoints,
    settings: ConnectionSettings,
    clock: &dyn Clock,
) -> Result<ConnectionRecord, LocalError> {
    settings
        .validate()
        .map_err(|e| LocalError::Settings(e.to_string()))?;
    endpoints.check_refresh()?;
    let previous = state.store.get_connection(&id).await?;
    let mut connection = local_connection(id, endpoints, settings);
    let ledger: &SeedLedger = &state.ledger;
    let reseeded = seed_tokens(
        state.vault.as_ref(),
        ledger,
        connection.id(),
        endpoints,
        clock.now(),
    )
    .await?;
    let refreshing = Side::BOTH.into_iter().any(|side| endpoints.refreshes(side));
    if refreshing
        && reseeded.is_empty()
        && previous.is_some_and(|p| p.status == ConnectionStatus::ReconnectRequired)
    {
        connection.status = ConnectionStatus::ReconnectRequired;
    }
    state.store.put_connection(&connection).await?;
    Ok(connection)
}
