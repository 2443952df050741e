//! The end-to-end tests' stack: both sandboxes plus the `hqsync dev` pipeline in-process
//! (`hqsync::local::LocalStack`: webhook server, worker, poller), and a person's vendor clients.

use std::time::{Duration, Instant};

use hqsync::engine::sync::GatewayPair;
use hqsync::engine::sync::initial_sync::InitialSyncOptions;
use hqsync::local::webhook_server::{HUBSPOT_WEBHOOK_PATH, QUICKBOOKS_WEBHOOK_PATH};
use hqsync::local::{
    LOCAL_CONNECTION_ID, LocalSandboxAccounts, LocalStack, PipelineOptions, StateLocation,
    VendorEndpoints,
};
use hqsync::model::{ConnectionId, ConnectionSettings, NativeValues, ObjectKind, Record, Side};
use hqsync::ports::{CreateRequest, DeactivateRequest, SystemClock, UpdateRequest};
use hqsync_sandbox::Seed;
use hqsync_sandbox::hubspot::{HubspotSandbox, HubspotSandboxConfig};
use hqsync_sandbox::quickbooks::{QuickbooksSandbox, QuickbooksSandboxConfig};
use hqsync_tests::hubspot::start_hubspot_sandbox;
use hqsync_tests::quickbooks::start_quickbooks_sandbox;
use secrecy::SecretString;

/// How long a test waits for both sides to converge before failing (never a timing assertion:
/// a bound on a wait for a state).
pub const CONVERGENCE_BOUND: Duration = Duration::from_secs(60);

pub struct E2eStack {
    pub hubspot: HubspotSandbox,
    pub quickbooks: QuickbooksSandbox,
    pub stack: LocalStack,
    /// A person's own clients of both accounts (they share the engine's rate budgets).
    pub user: GatewayPair,
    pub webhook_base: String,
}

/// Options of a test stack.
pub struct E2eOptions {
    pub seed: Seed,
    pub poll_interval: Option<Duration>,
    pub state: StateLocation,
    /// The connection's settings (default: everything enabled, as a new connection).
    pub settings: ConnectionSettings,
    /// The HubSpot access token: `None` = the sandbox's dev token (every scope); `Some` = one
    /// installed through the sandbox's consent page with exactly these scopes.
    pub hubspot_scopes: Option<hqsync::hubspot::AppScopes>,
}

impl Default for E2eOptions {
    fn default() -> Self {
        E2eOptions {
            seed: Seed::Empty,
            poll_interval: Some(Duration::from_secs(1)),
            state: StateLocation::Memory,
            settings: ConnectionSettings::default(),
            hubspot_scopes: None,
        }
    }
}

impl E2eStack {
    /// Starts the sandboxes (after `tweak` adjusts their configs) with their webhooks aimed
    /// at the stack, runs the initial sync, then starts the worker and poller.
    pub async fn start(
        options: E2eOptions,
        tweak: impl FnOnce(&mut HubspotSandboxConfig, &mut QuickbooksSandboxConfig),
    ) -> E2eStack {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the webhook port");
        let webhook_base = format!("http://{}", listener.local_addr().unwrap());
        let mut hs = HubspotSandboxConfig {
            seed: options.seed,
            search_index_delay: Duration::ZERO,
            webhook_delay: Duration::from_millis(100),
            webhook_url: Some(format!("{webhook_base}{HUBSPOT_WEBHOOK_PATH}")),
            ..HubspotSandboxConfig::default()
        };
        let mut qb = QuickbooksSandboxConfig {
            seed: options.seed,
            webhook_url: Some(format!("{webhook_base}{QUICKBOOKS_WEBHOOK_PATH}")),
            ..QuickbooksSandboxConfig::default()
        };
        tweak(&mut hs, &mut qb);
        let hubspot = start_hubspot_sandbox(hs).await;
        let quickbooks = start_quickbooks_sandbox(qb).await;
        let hubspot_token = match &options.hubspot_scopes {
            None => SecretString::from(hubspot.config().dev_token.clone()),
            Some(scopes) => {
                hqsync_tests::oauth::hubspot_tokens_through_consent(
                    &hubspot,
                    &scopes.required,
                    &scopes.optional,
                )
                .await
                .access_token
            }
        };
        let endpoints = VendorEndpoints::local(LocalSandboxAccounts {
            hubspot_base_url: hubspot.base_url(),
            portal_id: hubspot.config().portal_id.to_string(),
            hubspot_token,
            hubspot_client_secret: SecretString::from(hubspot.config().client_secret.clone()),
            quickbooks_base_url: quickbooks.base_url(),
            realm_id: quickbooks.config().realm_id.clone(),
            quickbooks_token: SecretString::from(quickbooks.config().dev_token.clone()),
            quickbooks_verifier_token: SecretString::from(
                quickbooks.config().verifier_token.clone(),
            ),
        })
        .expect("sandbox endpoints");
        let mut stack = LocalStack::open(
            ConnectionId::new(LOCAL_CONNECTION_ID).unwrap(),
            endpoints.clone(),
            options.settings,
            &options.state,
        )
        .await
        .expect("open the local stack");
        stack
            .serve_webhooks(listener, webhook_base.clone())
            .expect("serve webhooks");
        stack
            .initial_sync(&InitialSyncOptions::default(), &|_| {})
            .await
            .expect("initial sync");
        stack.start_pipeline(PipelineOptions {
            idle_wait: Duration::from_millis(100),
            poll_interval: options.poll_interval,
            ..PipelineOptions::default()
        });
        stack.webhooks().expect("serving").set_ready();
        let user = endpoints
            .gateways(
                &stack.connection.connection.settings,
                std::sync::Arc::new(SystemClock),
            )
            .expect("user clients");
        E2eStack {
            hubspot,
            quickbooks,
            stack,
            user,
            webhook_base,
        }
    }

    pub async fn read(&self, kind: ObjectKind, side: Side, id: &str) -> Option<Record> {
        self.user
            .side(side)
            .read(kind, &[id.to_owned()])
            .await
            .expect("read")
            .pop()
    }

    /// Records of `kind` on `side` whose `path` equals `value` (inactive ones included).
    /// The connection's links of `kind`, as stored.
    pub async fn links(&self, kind: ObjectKind) -> Vec<hqsync::model::Link> {
        self.stack
            .ctx
            .store
            .list_links(self.stack.connection_id(), kind)
            .await
            .unwrap()
    }

    pub async fn find(&self, kind: ObjectKind, side: Side, path: &str, value: &str) -> Vec<Record> {
        let mut all = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .user
                .side(side)
                .list_page(kind, cursor)
                .await
                .expect("list");
            all.extend(page.records);
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        all.into_iter()
            .filter(|r| text(r, path).eq_ignore_ascii_case(value))
            .collect()
    }

    pub async fn create(&self, kind: ObjectKind, side: Side, values: NativeValues) -> Record {
        let mut results = self
            .user
            .side(side)
            .create(
                kind,
                vec![CreateRequest {
                    idempotency_key: uuid::Uuid::new_v4().to_string(),
                    values,
                }],
            )
            .await
            .expect("create call");
        results.pop().expect("one result").expect("created")
    }

    pub async fn edit(&self, kind: ObjectKind, side: Side, id: &str, values: NativeValues) {
        let current = self.read(kind, side, id).await.expect("record to edit");
        let result = self
            .user
            .side(side)
            .update(
                kind,
                vec![UpdateRequest {
                    id: id.to_owned(),
                    expected_version: current.version,
                    values,
                }],
            )
            .await
            .expect("update call")
            .pop()
            .expect("one result");
        result.expect("edit accepted");
    }

    pub async fn archive(&self, kind: ObjectKind, side: Side, id: &str) {
        let current = self.read(kind, side, id).await.expect("record to archive");
        self.user
            .side(side)
            .deactivate(
                kind,
                vec![DeactivateRequest {
                    id: id.to_owned(),
                    expected_version: current.version,
                }],
            )
            .await
            .expect("archive call")
            .pop()
            .expect("one result")
            .expect("archived");
    }

    /// The link of a record, if any.
    pub async fn partner(&self, kind: ObjectKind, side: Side, id: &str) -> Option<String> {
        self.stack
            .ctx
            .store
            .get_link(self.stack.connection_id(), kind, side, id)
            .await
            .expect("store")
            .map(|l| l.id(side.other()).to_owned())
    }

    /// The linked record once the link is committed (it lands just after the create that the
    /// other side already shows).
    pub async fn linked_partner(&self, kind: ObjectKind, side: Side, id: &str) -> String {
        eventually(&format!("{kind} {side} {id} gets linked"), || {
            self.partner(kind, side, id)
        })
        .await
    }

    pub async fn shutdown(self) {
        self.stack.shutdown().await;
        self.hubspot.shutdown().await;
        self.quickbooks.shutdown().await;
    }
}

/// A native value as text ("" when absent).
pub fn text(record: &Record, path: &str) -> String {
    match record.value(path) {
        None => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

pub fn values(pairs: &[(&str, &str)]) -> NativeValues {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String((*v).to_owned())))
        .collect()
}

/// Re-checks `probe` until it answers `Some`, or panics with `what` after the bound.
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            started.elapsed() < CONVERGENCE_BOUND,
            "not converged within {CONVERGENCE_BOUND:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
