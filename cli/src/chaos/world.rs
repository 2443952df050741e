//! The world of a chaos run: both sandboxes (frozen clocks, webhooks to the capture server),
//! the local runtime of one connection on the simulated clock (memory store and queue, the
//! real webhook intake), the engine's gateways behind the crash switch, and a person's clients.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hqsync::engine::jobs::schedule::{poll_connection, sweep_connection};
use hqsync::engine::jobs::{GatewayDirectory, QueueRun, SyncContext, run_queue_once};
use hqsync::engine::sync::GatewayPair;
use hqsync::engine::sync::initial_sync::{InitialSyncOptions, initial_sync};
use hqsync::http::RetryPolicy;
use hqsync::hubspot::HubspotBudgets;
use hqsync::local::{
    LocalSandboxAccounts, LocalStack, StateLocation, VendorBudgets, VendorEndpoints,
};
use hqsync::mapping::MappingSet;
use hqsync::model::{
    ConnectionId, ConnectionSettings, NativeValues, ObjectKind, Record, Side, SyncState,
};
use hqsync::ports::{
    ConnectionStatus, CreateRequest, DeactivateRequest, Lane, RecordError, RecordErrorKind,
    SyncOutcome, UpdateRequest,
};
use hqsync::quickbooks::CompanyBudgets;
use hqsync_sandbox::Seed;
use hqsync_sandbox::hubspot::{HubspotSandbox, HubspotSandboxConfig};
use hqsync_sandbox::quickbooks::{QboLimits, QuickbooksSandbox, QuickbooksSandboxConfig};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use tokio::net::TcpListener;

use super::crash::{ChaosGateways, CrashPlan};
use super::sim_clock::{FROZEN_SCALE, SimClock};
use super::snapshot::{FailureView, LinkView, RecordView, Snapshot};
use super::tenants::{ConnectionRoutes, connection_gateways, connection_name};
use super::webhooks::{Capture, Captured, Intake};

/// The two-way kinds a chaos run edits.
pub const KINDS: [ObjectKind; 2] = [ObjectKind::Contact, ObjectKind::Product];

/// How long (real time) to wait for a sandbox's outgoing webhooks to reach the capture server.
const WEBHOOK_IDLE_BOUND: Duration = Duration::from_secs(10);

/// How long (real time) one worker step may wait on a vendor: longer throttle waits hand
/// the job back to the queue, where the simulated clock decides when it runs again.
const STEP_DEADLINE: Duration = Duration::from_secs(5);

/// What one worker step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    /// No job was visible.
    Idle,
    Ran {
        lane: Lane,
        run: QueueRunCounts,
    },
    /// The worker crashed mid-job: dropped; the job stays in flight.
    Crashed {
        lane: Lane,
    },
    Failed(String),
}

/// [`QueueRun`]'s counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueRunCounts {
    pub done: usize,
    pub retried: usize,
    pub dropped: usize,
    pub dead_lettered: usize,
}

impl From<&QueueRun> for QueueRunCounts {
    fn from(run: &QueueRun) -> Self {
        QueueRunCounts {
            done: run.done,
            retried: run.retried,
            dropped: run.dropped,
            dead_lettered: run.dead_lettered,
        }
    }
}

/// One connection's accounts: its own HubSpot portal and QBO company, and a person's
/// clients of them.
pub struct Tenant {
    pub connection: ConnectionId,
    pub hubspot: HubspotSandbox,
    pub quickbooks: QuickbooksSandbox,
    /// A person's own clients of both accounts.
    pub user: GatewayPair,
}

pub struct World {
    /// The connections' accounts; the first is the one-connection run's.
    pub tenants: Vec<Tenant>,
    pub stack: LocalStack,
    /// The engine's context with the crash switch on its gateways.
    pub ctx: SyncContext,
    pub plan: Arc<CrashPlan>,
    pub clock: Arc<SimClock>,
    pub capture: Capture,
    pub intake: Intake,
    pub settings: ConnectionSettings,
    http: reqwest::Client,
}

/// The connection's settings in a chaos run: contacts and products two-way with the default
/// policies; invoices and payments off (nothing in the run makes them).
pub fn chaos_settings() -> ConnectionSettings {
    let mut settings = ConnectionSettings::default();
    settings.invoices.invoice_sync = SyncState::Disabled;
    settings.invoices.payment_sync = SyncState::Disabled;
    settings
}

impl World {
    /// Starts everything for `seed` with `connections` connections (each its own sandbox
    /// pair, sharing the store, queue, worker, poller and intake) and runs their (empty)
    /// initial syncs.
    pub async fn start(seed: u64, connections: usize) -> anyhow::Result<World> {
        anyhow::ensure!(
            (1..=2).contains(&connections),
            "--connections is 1 or 2, not {connections}"
        );
        let capture = Capture::start().await?;
        let mut pairs = Vec::new();
        for index in 0..connections {
            pairs.push(start_sandboxes(index, seed, &capture).await?);
        }
        let clock = Arc::new(
            SimClock::start(
                pairs
                    .iter()
                    .flat_map(|(h, q)| [h.base_url(), q.base_url()])
                    .collect(),
            )
            .await?,
        );
        let http = reqwest::Client::builder().no_proxy().build()?;
        // Vendor limits are the sandboxes' business here (turned off above), not real time's.
        // On a simulated clock a client's backoff would only cost wall time: retries come at
        // once, and a throttled call is handed back to the queue, which waits in simulated time.
        let budgets = VendorBudgets {
            hubspot: HubspotBudgets::unlimited(),
            quickbooks: CompanyBudgets::unlimited(),
            retry: Some(RetryPolicy {
                max_transient_retries: 3,
                max_throttle_waits: 0,
                min_backoff: Duration::ZERO,
                max_backoff: Duration::ZERO,
            }),
        };
        let settings = chaos_settings();
        let mut engine = Vec::new();
        let mut people = Vec::new();
        for (hubspot, quickbooks) in &pairs {
            let (endpoints, person) =
                tenant_endpoints(&http, hubspot, quickbooks, &budgets).await?;
            engine.push(endpoints);
            people.push(person);
        }
        let mut stack = LocalStack::open_with_clock(
            ConnectionId::new(connection_name(0))?,
            engine[0].clone(),
            settings.clone(),
            &StateLocation::Memory,
            clock.clone(),
        )
        .await?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let intake_base = format!("http://{}", listener.local_addr()?);
        stack
            .serve_webhooks(listener, intake_base.clone())?
            .set_ready();
        // The other connections are stored beside the first one (their tokens in the same
        // vault, their portal and realm routing their webhooks), with gateways of their own.
        let mut routes = BTreeMap::new();
        for (index, endpoints) in engine.iter().enumerate().skip(1) {
            let id = ConnectionId::new(connection_name(index))?;
            stack
                .runtime()
                .add_configured_connection(id.clone(), endpoints, settings.clone())
                .await?;
            routes.insert(
                id,
                connection_gateways(&stack.runtime().state, endpoints, clock.clone()),
            );
        }
        let inner: Arc<dyn GatewayDirectory> = if routes.is_empty() {
            stack.ctx.gateways.clone()
        } else {
            Arc::new(ConnectionRoutes {
                default: stack.ctx.gateways.clone(),
                routes,
            })
        };
        let plan = Arc::new(CrashPlan::default());
        let ctx = SyncContext {
            store: stack.ctx.store.clone(),
            queue: stack.ctx.queue.clone(),
            clock: stack.ctx.clock.clone(),
            gateways: Arc::new(ChaosGateways {
                inner,
                plan: plan.clone(),
            }),
        };
        stack
            .initial_sync(&InitialSyncOptions::default(), &|_| {})
            .await?;
        for index in 1..connections {
            let id = ConnectionId::new(connection_name(index))?;
            initial_sync(
                &ctx.sync_ports(),
                &id,
                &InitialSyncOptions::default(),
                &|_| {},
            )
            .await?;
        }
        let intake = Intake::new(
            intake_base,
            pairs[0].0.config().client_secret.clone(),
            pairs[0].1.config().verifier_token.clone(),
        )?;
        let mut tenants = Vec::new();
        for (index, ((hubspot, quickbooks), person)) in pairs.into_iter().zip(people).enumerate() {
            tenants.push(Tenant {
                connection: ConnectionId::new(connection_name(index))?,
                user: person.gateways(&settings, clock.clone())?,
                hubspot,
                quickbooks,
            });
        }
        Ok(World {
            tenants,
            stack,
            ctx,
            plan,
            clock,
            capture,
            intake,
            settings,
            http,
        })
    }

    /// Every access token QBO issued expires now (`POST /_sandbox/oauth/expire`): the engine's
    /// next call is refused with 401 and renews its token once, as after an early revocation
    /// (https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/faq).
    /// QBO forgets every stored `requestid` answer; how many it held.
    pub async fn forget_request_ids(&self, t: usize) -> anyhow::Result<u64> {
        let answer = self
            .http
            .post(format!(
                "{}/_sandbox/quickbooks/forget-requestids",
                self.tenants[t].quickbooks.base_url()
            ))
            .send()
            .await?;
        anyhow::ensure!(
            answer.status().is_success(),
            "forget requestids: {}",
            answer.status()
        );
        let body: serde_json::Value = answer.json().await?;
        Ok(body["forgotten"].as_u64().unwrap_or(0))
    }

    pub async fn expire_qbo_tokens(&self, t: usize) -> anyhow::Result<()> {
        let answer = self
            .http
            .post(format!(
                "{}/_sandbox/oauth/expire",
                self.tenants[t].quickbooks.base_url()
            ))
            .send()
            .await?;
        anyhow::ensure!(
            answer.status().is_success(),
            "expire tokens: {}",
            answer.status()
        );
        Ok(())
    }

    /// The person disconnects the app from connection `t`'s QBO company: Intuit revokes the
    /// engine's current refresh token and its access token with it (`POST
    /// /v2/oauth2/tokens/revoke`,
    /// https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#revoke-token-disconnect),
    /// so the engine's next QBO call is refused with 401 and its renewal with `invalid_grant`.
    pub async fn revoke_qbo_refresh_token(&self, t: usize) -> anyhow::Result<()> {
        let tokens = self
            .stack
            .vault
            .tokens(&self.tenants[t].connection, Side::Quickbooks)
            .await?
            .context("the connection's QBO tokens")?;
        let qb = self.tenants[t].quickbooks.config();
        let answer = self
            .http
            .post(format!(
                "{}/v2/oauth2/tokens/revoke",
                self.tenants[t].quickbooks.base_url()
            ))
            .basic_auth(&qb.client_id, Some(&qb.client_secret))
            .json(&json!({"token": tokens.refresh_token.expose_secret()}))
            .send()
            .await?;
        anyhow::ensure!(
            answer.status().is_success(),
            "revoke the QBO refresh token: {}",
            answer.status()
        );
        Ok(())
    }

    /// Connection `t`'s stored status and, unless active, the engine's reason for not
    /// running its jobs (what its gateways answer).
    pub async fn connection_state(&self, t: usize) -> anyhow::Result<(ConnectionStatus, String)> {
        let record = self
            .ctx
            .store
            .get_connection(&self.tenants[t].connection)
            .await?
            .context("the connection is stored")?;
        if record.status == ConnectionStatus::Active {
            return Ok((record.status, String::new()));
        }
        let reason = match self.ctx.gateways.gateways(&record).await {
            Ok(_) => String::new(),
            Err(error) => error.to_string(),
        };
        Ok((record.status, reason))
    }

    pub fn mappings(&self, kind: ObjectKind) -> anyhow::Result<MappingSet> {
        Ok(MappingSet::build(kind, self.settings.object(kind))?)
    }

    /// Waits until both sandboxes have posted every webhook they queued, then takes them.
    pub async fn outgoing_webhooks(&self) -> Vec<Captured> {
        for tenant in &self.tenants {
            tenant
                .hubspot
                .webhooks()
                .wait_idle(WEBHOOK_IDLE_BOUND)
                .await;
            tenant
                .quickbooks
                .wait_webhooks_idle(WEBHOOK_IDLE_BOUND)
                .await;
        }
        self.capture.take()
    }

    /// A person creates a record; returns it or the vendor's refusal.
    pub async fn create(
        &self,
        t: usize,
        kind: ObjectKind,
        side: Side,
        values: NativeValues,
        key: String,
    ) -> anyhow::Result<Result<Record, RecordError>> {
        if side == Side::Hubspot {
            return self.create_in_hubspot(t, kind, values).await;
        }
        let mut results = self.tenants[t]
            .user
            .side(side)
            .create(
                kind,
                vec![CreateRequest {
                    idempotency_key: key,
                    values,
                }],
            )
            .await?;
        results.pop().context("one create result")
    }

    /// A person's HubSpot create: a plain `POST /crm/v3/objects/{type}` as the HubSpot UI or
    /// an API user makes it (https://developers.hubspot.com/docs/api/crm/contacts), not the
    /// engine's retry-safe upsert.
    async fn create_in_hubspot(
        &self,
        t: usize,
        kind: ObjectKind,
        values: NativeValues,
    ) -> anyhow::Result<Result<Record, RecordError>> {
        let path = match kind {
            ObjectKind::Product => "products",
            _ => "contacts",
        };
        let answer = self
            .http
            .post(format!(
                "{}/crm/v3/objects/{path}",
                self.tenants[t].hubspot.base_url()
            ))
            .bearer_auth(&self.tenants[t].hubspot.config().dev_token)
            .json(&json!({ "properties": values }))
            .send()
            .await?;
        let status = answer.status();
        let body: serde_json::Value = answer.json().await.unwrap_or_default();
        if !status.is_success() {
            let message = body["message"].as_str().unwrap_or("refused").to_owned();
            let mut refusal = RecordError::new(RecordErrorKind::Validation, message);
            refusal.code = Some(status.as_u16().to_string());
            return Ok(Err(refusal));
        }
        let id = body["id"].as_str().context("created HubSpot id")?;
        self.read(t, kind, Side::Hubspot, id)
            .await?
            .map(Ok)
            .context("the created HubSpot record reads back")
    }

    /// A person reads a record (None when gone).
    pub async fn read(
        &self,
        t: usize,
        kind: ObjectKind,
        side: Side,
        id: &str,
    ) -> anyhow::Result<Option<Record>> {
        Ok(self.tenants[t]
            .user
            .side(side)
            .read(kind, &[id.to_owned()])
            .await?
            .pop())
    }

    /// A person edits fields of a record at its current version.
    pub async fn update(
        &self,
        t: usize,
        kind: ObjectKind,
        side: Side,
        id: &str,
        values: NativeValues,
    ) -> anyhow::Result<Result<Record, RecordError>> {
        let current = self
            .read(t, kind, side, id)
            .await?
            .context("record to edit")?;
        let mut results = self.tenants[t]
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
            .await?;
        results.pop().context("one update result")
    }

    /// A person archives (HubSpot) or deactivates (QBO) a record.
    pub async fn deactivate(
        &self,
        t: usize,
        kind: ObjectKind,
        side: Side,
        id: &str,
    ) -> anyhow::Result<Result<(), RecordError>> {
        let current = self
            .read(t, kind, side, id)
            .await?
            .context("record to archive")?;
        let mut results = self.tenants[t]
            .user
            .side(side)
            .deactivate(
                kind,
                vec![DeactivateRequest {
                    id: id.to_owned(),
                    expected_version: current.version,
                }],
            )
            .await?;
        results.pop().context("one deactivate result")
    }

    /// The next `n` answers of `side`'s API fail with `statuses` (the sandbox's `failNext`).
    pub async fn fail_next(&self, t: usize, side: Side, statuses: &[u16]) -> anyhow::Result<()> {
        let base = self.base_url(t, side);
        let answer = self
            .http
            .put(format!("{base}/_sandbox/faults"))
            .json(&json!({"failNext": statuses}))
            .send()
            .await?;
        anyhow::ensure!(
            answer.status().is_success(),
            "set faults: {}",
            answer.status()
        );
        Ok(())
    }

    /// Clears both sandboxes' faults.
    pub async fn clear_faults(&self) -> anyhow::Result<()> {
        for t in 0..self.tenants.len() {
            for side in Side::BOTH {
                self.http
                    .delete(format!("{}/_sandbox/faults", self.base_url(t, side)))
                    .send()
                    .await?;
            }
        }
        Ok(())
    }

    fn base_url(&self, t: usize, side: Side) -> String {
        match side {
            Side::Hubspot => self.tenants[t].hubspot.base_url(),
            Side::Quickbooks => self.tenants[t].quickbooks.base_url(),
        }
    }

    /// One worker step: one job of the live lane, else of the bulk lane. A crash drops the
    /// step where it stands.
    pub async fn step(&self) -> StepOutcome {
        for lane in [Lane::Live, Lane::Bulk] {
            let deadline = tokio::time::Instant::now() + STEP_DEADLINE;
            let work =
                hqsync::http::deadline::scope(Some(deadline), run_queue_once(&self.ctx, lane, 1));
            let result = tokio::select! {
                result = work => result,
                () = self.plan.crashed.notified() => return StepOutcome::Crashed { lane },
            };
            match result {
                Ok(run) if run.received == 0 => continue,
                Ok(run) => {
                    return StepOutcome::Ran {
                        lane,
                        run: QueueRunCounts::from(&run),
                    };
                }
                Err(error) => return StepOutcome::Failed(error.to_string()),
            }
        }
        StepOutcome::Idle
    }

    /// One poll of the connection (QBO CDC, HubSpot search); returns the jobs it queued.
    pub async fn poll(&self, t: usize) -> anyhow::Result<usize> {
        let report = poll_connection(&self.ctx, &self.tenants[t].connection).await?;
        Ok(report.jobs)
    }

    /// The daily sweep now; returns the jobs it queued and its errors.
    pub async fn sweep(&self, t: usize) -> (usize, Vec<String>) {
        let report = sweep_connection(&self.ctx, &self.tenants[t].connection).await;
        (report.jobs, report.errors)
    }

    /// Jobs waiting on both lanes (delayed ones included, in-flight ones not).
    pub async fn pending_jobs(&self) -> anyhow::Result<usize> {
        let mut n = 0;
        for lane in [Lane::Live, Lane::Bulk] {
            n += self.ctx.queue.pending(lane).await?;
        }
        Ok(n)
    }

    /// Every record of the synced kinds on both sides, the links and the failing statuses.
    pub async fn snapshot(&self, t: usize) -> anyhow::Result<Snapshot> {
        let connection = &self.tenants[t].connection;
        let mut snapshot = Snapshot {
            started_empty: true,
            ..Snapshot::default()
        };
        for kind in KINDS {
            let mappings = self.mappings(kind)?;
            for side in Side::BOTH {
                let mut cursor = None;
                loop {
                    let page = self.tenants[t]
                        .user
                        .side(side)
                        .list_page(kind, cursor)
                        .await?;
                    for record in page.records {
                        snapshot.records.push(view(&mappings, &record));
                    }
                    match page.next {
                        Some(next) => cursor = Some(next),
                        None => break,
                    }
                }
            }
            for link in self.ctx.store.list_links(connection, kind).await? {
                snapshot.links.push(LinkView {
                    kind,
                    hubspot_id: link.hubspot_id,
                    qbo_id: link.qbo_id,
                });
            }
            for status in self.ctx.store.list_statuses(connection, kind).await? {
                if let SyncOutcome::Failed(detail) = &status.outcome {
                    let code = detail
                        .code
                        .as_deref()
                        .map(|c| format!("{c}: "))
                        .unwrap_or_default();
                    snapshot.failures.push(FailureView {
                        kind,
                        side: status.side,
                        id: status.id.clone(),
                        reason: format!("{code}{}", detail.message),
                    });
                }
            }
            let deletion = &self.settings.object(kind).deletion;
            snapshot
                .archive_deactivates
                .insert(kind, deletion.hubspot_archive_deactivates_qbo);
        }
        // Linked records a listing left out (an archived HubSpot record) read as inactive.
        let missing: Vec<(ObjectKind, Side, String)> = snapshot
            .links
            .iter()
            .flat_map(|l| {
                [
                    (l.kind, Side::Hubspot, l.hubspot_id.clone()),
                    (l.kind, Side::Quickbooks, l.qbo_id.clone()),
                ]
            })
            .filter(|(k, s, id)| snapshot.record(*k, *s, id).is_none())
            .collect();
        for (kind, side, id) in missing {
            let mappings = self.mappings(kind)?;
            if let Some(record) = self.read(t, kind, side, &id).await? {
                snapshot.records.push(view(&mappings, &record));
            }
        }
        Ok(snapshot)
    }

    pub async fn shutdown(self) {
        self.stack.shutdown().await;
        for tenant in self.tenants {
            tenant.hubspot.shutdown().await;
            tenant.quickbooks.shutdown().await;
        }
        self.capture.stop();
    }
}

/// The sandbox pair of connection `index`: empty, clocks frozen, webhooks to the capture
/// server. The first is the one-connection run's; another gets its own portal and realm
/// ids (the intake routes webhooks by them) under the same app (client secret, verifier).
async fn start_sandboxes(
    index: usize,
    seed: u64,
    capture: &Capture,
) -> anyhow::Result<(HubspotSandbox, QuickbooksSandbox)> {
    let hs_defaults = HubspotSandboxConfig::default();
    let qb_defaults = QuickbooksSandboxConfig::default();
    let hs_config = HubspotSandboxConfig {
        portal_id: hs_defaults.portal_id + index as u64,
        seed: Seed::Empty,
        time_scale: FROZEN_SCALE,
        search_index_delay: Duration::ZERO,
        // The simulated clock moves in jumps; the harness decides pacing and faults.
        burst_limit: 0,
        search_per_second: 0,
        webhook_delay: Duration::ZERO,
        webhook_max_batch: 1,
        webhook_url: Some(capture.url(Side::Hubspot)),
        rng_seed: seed + index as u64,
        ..hs_defaults
    };
    let realm_id = match index {
        0 => qb_defaults.realm_id.clone(),
        n => format!("{}{n}", qb_defaults.realm_id),
    };
    let qb_config = QuickbooksSandboxConfig {
        realm_id,
        seed: Seed::Empty,
        time_scale: FROZEN_SCALE,
        webhook_max_batch: 1,
        webhook_delay_ms: 0,
        webhook_url: Some(capture.url(Side::Quickbooks)),
        limits: QboLimits {
            per_minute: 1_000_000,
            per_second: 1_000_000,
            batch_per_minute: 1_000_000,
            core_plus_reads: 0,
        },
        rng_seed: seed + index as u64,
        ..qb_defaults
    };
    let hubspot = HubspotSandbox::start(TcpListener::bind("127.0.0.1:0").await?, hs_config).await?;
    let quickbooks =
        QuickbooksSandbox::start(TcpListener::bind("127.0.0.1:0").await?, qb_config).await?;
    Ok((hubspot, quickbooks))
}

/// The engine's endpoints of one sandbox pair and a person's.
///
/// The engine holds OAuth tokens that expire on the simulated clock (HubSpot 30 min, QBO
/// 1 h) and refreshes them, QBO rotating its refresh token (docs/architecture.md §7); a
/// person works with the sandboxes' static dev tokens.
async fn tenant_endpoints(
    http: &reqwest::Client,
    hubspot: &HubspotSandbox,
    quickbooks: &QuickbooksSandbox,
    budgets: &VendorBudgets,
) -> anyhow::Result<(VendorEndpoints, VendorEndpoints)> {
    let (hs, qb) = (hubspot.config(), quickbooks.config());
    let accounts = |dev_tokens: bool| {
        let token = |dev: &str| SecretString::from(if dev_tokens { dev } else { "" }.to_owned());
        LocalSandboxAccounts {
            hubspot_base_url: hubspot.base_url(),
            portal_id: hs.portal_id.to_string(),
            hubspot_token: token(&hs.dev_token),
            hubspot_client_secret: SecretString::from(hs.client_secret.clone()),
            quickbooks_base_url: quickbooks.base_url(),
            realm_id: qb.realm_id.clone(),
            quickbooks_token: token(&qb.dev_token),
            quickbooks_verifier_token: SecretString::from(qb.verifier_token.clone()),
        }
    };
    let mut endpoints = VendorEndpoints::local(accounts(false))?
        .with_hubspot_refresh(
            SecretString::from(hs.refresh_token.clone()),
            hs.client_id.clone(),
        )
        .with_quickbooks_refresh(
            qbo_consent(http, &quickbooks.base_url()).await?,
            qb.client_id.clone(),
            SecretString::from(qb.client_secret.clone()),
        );
    endpoints.budgets = budgets.clone();
    let mut person = VendorEndpoints::local(accounts(true))?;
    person.budgets = budgets.clone();
    Ok((endpoints, person))
}

/// A QBO refresh token as after a person's consent (`POST /_sandbox/oauth/connect`).
async fn qbo_consent(http: &reqwest::Client, base: &str) -> anyhow::Result<SecretString> {
    let body: serde_json::Value = http
        .post(format!("{base}/_sandbox/oauth/connect"))
        .send()
        .await?
        .json()
        .await?;
    let token = body["refresh_token"]
        .as_str()
        .context("a QBO refresh token")?;
    Ok(SecretString::from(token.to_owned()))
}

/// Canonical text of every mapped field `values` holds on `side`, settled the way the field
/// merge compares them (an unset QBO amount is its 0).
pub fn canonical_fields(
    mappings: &MappingSet,
    side: Side,
    values: &NativeValues,
) -> BTreeMap<String, String> {
    let canonical = mappings.to_canonical(side, values).values;
    let mut out = BTreeMap::new();
    for row in mappings.rows() {
        let value = canonical
            .get(&row.field)
            .cloned()
            .or_else(|| row.qbo_field.ty.unset_value());
        if let Some(value) = value {
            out.insert(row.field.clone(), value.to_string());
        }
    }
    out
}

fn view(mappings: &MappingSet, record: &Record) -> RecordView {
    RecordView {
        kind: record.kind,
        side: record.side,
        id: record.id.clone(),
        active: record.active,
        key: mappings
            .record_match_keys(record)
            .into_iter()
            .min_by_key(|k| k.rank)
            .map(|k| k.claim_key()),
        fields: canonical_fields(mappings, record.side, &record.values),
    }
}
