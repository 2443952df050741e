//! The local pipeline's background loops: the worker (live lane first, bulk whenever live has
//! less than a batch; jobs of any connection; woken by the webhook server) and the poller (QBO
//! CDC, HubSpot search, the daily sweep, as on AWS) on a timer, over one or every connection.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::engine::jobs::schedule::{
    SweepSchedule, last_full_sweep, poll_connection, sweep_connection,
};
use crate::engine::jobs::{SyncContext, run_queue_once};
use crate::model::ConnectionId;
use crate::ports::{ConnectionStatus, Lane};

/// Which connections the poller polls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollScope {
    /// Only this one (a runtime built for one connection: `demo`, `sync`, the tests' stack).
    Connection(ConnectionId),
    /// Every stored connection that is active, listed afresh each pass (`hqsync dev`):
    /// connected-but-not-started, paused, reconnect-required and disconnected ones are
    /// skipped, and one whose record cannot be read is reported and skipped.
    Every,
}

/// How the loops run.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Jobs per worker pass (the SQS batch size on AWS).
    pub batch_size: usize,
    /// How long the worker sleeps when both lanes are empty (delayed retries become visible
    /// with time, so it must look again even when nobody wakes it).
    pub idle_wait: Duration,
    /// Time between polls; `None` = no poller.
    pub poll_interval: Option<Duration>,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            batch_size: 10,
            idle_wait: Duration::from_millis(250),
            poll_interval: Some(Duration::from_secs(30)),
        }
    }
}

/// Counters of what the loops did, for `hqsync dev` output and tests.
#[derive(Debug, Default)]
pub struct PipelineStats {
    pub jobs_done: AtomicU64,
    pub jobs_retried: AtomicU64,
    pub jobs_dropped: AtomicU64,
    pub polls: AtomicU64,
    pub poll_jobs: AtomicU64,
    pub poll_failures: AtomicU64,
    /// Jobs dead-lettered after the settle policy's max receives (reason on the status).
    pub jobs_dead_lettered: AtomicU64,
    /// Daily sweeps (reconciliation, then overdue invoices) finished, the jobs and records they
    /// handled, and sweeps that failed (retried on the next poll).
    pub sweeps: AtomicU64,
    pub sweep_jobs: AtomicU64,
    pub sweep_failures: AtomicU64,
    /// What went wrong with each connection in the poller's last pass over it (its record
    /// unreadable, its gateways or poll failing); cleared by its next good pass.
    connection_errors: Mutex<BTreeMap<ConnectionId, String>>,
}

impl PipelineStats {
    /// Each connection's error from its last poll pass (none when it went well).
    pub fn connection_errors(&self) -> BTreeMap<ConnectionId, String> {
        self.errors().clone()
    }

    fn errors(&self) -> std::sync::MutexGuard<'_, BTreeMap<ConnectionId, String>> {
        self.connection_errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn set_error(&self, connection: &ConnectionId, error: Option<String>) {
        let mut errors = self.errors();
        match error {
            Some(error) => errors.insert(connection.clone(), error),
            None => errors.remove(connection),
        };
    }
}

/// The running loops. Dropping it does not stop them: call [`Pipeline::shutdown`].
pub struct Pipeline {
    stop: watch::Sender<bool>,
    paused: watch::Sender<bool>,
    wake: Arc<Notify>,
    stats: Arc<PipelineStats>,
    tasks: Vec<JoinHandle<()>>,
}

impl Pipeline {
    /// Starts the worker loop and, if configured, the poller loop over `scope`. `wake` wakes
    /// the worker at once (the webhook server notifies it after enqueueing).
    pub fn start(
        ctx: SyncContext,
        scope: PollScope,
        options: PipelineOptions,
        wake: Arc<Notify>,
    ) -> Self {
        let (stop, stop_rx) = watch::channel(false);
        let (paused, paused_rx) = watch::channel(false);
        let stats = Arc::new(PipelineStats::default());
        let mut tasks = vec![tokio::spawn(worker_loop(
            ctx.clone(),
            options.clone(),
            wake.clone(),
            stats.clone(),
            stop_rx.clone(),
            paused_rx,
        ))];
        if let Some(interval) = options.poll_interval {
            tasks.push(tokio::spawn(poller_loop(
                ctx,
                scope,
                interval,
                wake.clone(),
                stats.clone(),
                stop_rx,
            )));
        }
        Pipeline {
            stop,
            paused,
            wake,
            stats,
            tasks,
        }
    }

    pub fn stats(&self) -> &PipelineStats {
        &self.stats
    }

    /// Stops taking jobs after the current pass (jobs wait in the queue); the poller goes on.
    pub fn pause(&self) {
        let _ = self.paused.send(true);
    }

    pub fn resume(&self) {
        let _ = self.paused.send(false);
        self.wake.notify_one();
    }

    /// Stops both loops after their current pass and waits for them.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        self.wake.notify_waiters();
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

async fn worker_loop(
    ctx: SyncContext,
    options: PipelineOptions,
    wake: Arc<Notify>,
    stats: Arc<PipelineStats>,
    mut stop: watch::Receiver<bool>,
    mut paused: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        if *paused.borrow() {
            tokio::select! {
                _ = paused.changed() => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        let received = worker_pass(&ctx, options.batch_size, &stats).await;
        if received == 0 {
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(options.idle_wait) => {}
                _ = stop.changed() => {}
            }
        }
    }
}

/// One pass of the worker over both lanes; returns how many jobs it received.
///
/// Live first: a full live batch goes again before any bulk job. A partial one means the live
/// lane is drained for now, so the bulk lane gets its batch too: the poller re-signals recent
/// changes on every pass, and a backfill must not wait for that to stop (as on AWS, where the
/// lanes have their own consumers).
async fn worker_pass(ctx: &SyncContext, batch_size: usize, stats: &PipelineStats) -> usize {
    let mut received = 0;
    for lane in [Lane::Live, Lane::Bulk] {
        let mut full = false;
        match run_queue_once(ctx, lane, batch_size).await {
            Ok(run) => {
                received += run.received;
                full = run.received >= batch_size;
                stats
                    .jobs_done
                    .fetch_add(run.done as u64, Ordering::Relaxed);
                stats
                    .jobs_retried
                    .fetch_add(run.retried as u64, Ordering::Relaxed);
                stats
                    .jobs_dropped
                    .fetch_add(run.dropped as u64, Ordering::Relaxed);
                stats
                    .jobs_dead_lettered
                    .fetch_add(run.dead_lettered as u64, Ordering::Relaxed);
            }
            Err(error) => tracing::error!(%error, ?lane, "worker pass failed"),
        }
        if full {
            break;
        }
    }
    received
}

async fn poller_loop(
    ctx: SyncContext,
    scope: PollScope,
    interval: Duration,
    wake: Arc<Notify>,
    stats: Arc<PipelineStats>,
    mut stop: watch::Receiver<bool>,
) {
    // Each connection's daily sweep picks up from the last full reconciliation stored (an
    // initial sync just run counts), due at once if there was none.
    let mut sweeps: HashMap<ConnectionId, SweepSchedule> = HashMap::new();
    loop {
        if *stop.borrow() {
            return;
        }
        let connections = targets(&ctx, &scope, &stats).await;
        // A connection no longer polled (deleted, paused) starts afresh if it comes back.
        sweeps.retain(|id, _| connections.contains(id));
        for connection in connections {
            if *stop.borrow() {
                return;
            }
            let schedule = match sweeps.get_mut(&connection) {
                Some(schedule) => schedule,
                None => {
                    let last = last_full_sweep(&ctx, &connection).await.ok().flatten();
                    sweeps
                        .entry(connection.clone())
                        .or_insert(SweepSchedule::since(last))
                }
            };
            poll_pass(&ctx, &connection, schedule, &wake, &stats).await;
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => {}
        }
    }
}

/// The connections to poll in this pass. With [`PollScope::Every`], a connection whose record
/// cannot be read is recorded as that connection's error and left out, and one that is not
/// active is skipped (its old error cleared); the others go on.
async fn targets(ctx: &SyncContext, scope: &PollScope, stats: &PipelineStats) -> Vec<ConnectionId> {
    match scope {
        PollScope::Connection(id) => vec![id.clone()],
        PollScope::Every => match ctx.store.list_connections().await {
            Ok(listing) => {
                // Errors of connections that are gone (deleted) go with them.
                stats.errors().retain(|id, _| {
                    listing.records.iter().any(|r| r.id() == id)
                        || listing.broken.iter().any(|b| &b.id == id)
                });
                for broken in &listing.broken {
                    tracing::error!(connection = %broken.id, error = %broken.error, "connection cannot be read; skipped");
                    stats.set_error(&broken.id, Some(broken.error.clone()));
                }
                let mut active = Vec::new();
                for record in listing.records {
                    if record.status == ConnectionStatus::Active {
                        active.push(record.id().clone());
                    } else {
                        stats.set_error(record.id(), None);
                    }
                }
                active
            }
            Err(error) => {
                stats.poll_failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%error, "cannot list connections; will try again");
                Vec::new()
            }
        },
    }
}

/// One connection's turn: its sweep when due, then its poll. Failures are counted, logged and
/// kept as the connection's error; they never end the loop.
async fn poll_pass(
    ctx: &SyncContext,
    connection: &ConnectionId,
    sweeps: &mut SweepSchedule,
    wake: &Notify,
    stats: &PipelineStats,
) {
    let now = ctx.clock.now();
    let mut error = None;
    if sweeps.is_due(now) {
        let report = sweep_connection(ctx, connection).await;
        if report.errors.is_empty() {
            sweeps.done(now);
            stats.sweeps.fetch_add(1, Ordering::Relaxed);
            stats
                .sweep_jobs
                .fetch_add(report.jobs as u64, Ordering::Relaxed);
            if report.jobs > 0 {
                wake.notify_one();
            }
        } else {
            stats.sweep_failures.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%connection, errors = ?report.errors, "sweep failed; will try again");
            error = Some(format!("sweep failed: {:?}", report.errors));
        }
    }
    match poll_connection(ctx, connection).await {
        Ok(report) => {
            stats.polls.fetch_add(1, Ordering::Relaxed);
            stats
                .poll_jobs
                .fetch_add(report.jobs as u64, Ordering::Relaxed);
            for (side, kind, failure) in &report.failures {
                stats.poll_failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%connection, %side, %kind, error = %failure, "poll failed; will try again");
                error.get_or_insert_with(|| format!("polling {side} {kind}: {failure}"));
            }
            if report.jobs > 0 {
                wake.notify_one();
            }
        }
        Err(failure) => {
            stats.poll_failures.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%connection, error = %failure, "poll failed; will try again");
            error = Some(format!("poll failed: {failure}"));
        }
    }
    stats.set_error(connection, error);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::{ManualClock, MemoryGateway, MemoryJobQueue, MemoryStore};
    use crate::engine::jobs::FixedGateways;
    use crate::engine::sync::GatewayPair;
    use crate::model::{Connection, ConnectionSettings, SyncState};
    use crate::ports::{ConnectionRecord, ConnectionStatus, Connections};

    /// A pipeline on memory adapters whose connection does not sync invoices (so each sweep
    /// finishes, queueing nothing), polling every few milliseconds.
    async fn pipeline_without_invoices() -> (Pipeline, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::fixed());
        let store = Arc::new(MemoryStore::new());
        let connection = ConnectionId::new("pipeline-test").unwrap();
        let mut settings = ConnectionSettings::default();
        settings.invoices.invoice_sync = SyncState::Disabled;
        store
            .put_connection(&ConnectionRecord {
                connection: Connection {
                    id: connection.clone(),
                    hubspot_portal_id: "1".into(),
                    qbo_realm_id: "2".into(),
                    settings,
                },
                environment: "local".into(),
                status: ConnectionStatus::Active,
            })
            .await
            .unwrap();
        let ctx = SyncContext {
            store,
            queue: Arc::new(MemoryJobQueue::new(clock.clone())),
            clock: clock.clone(),
            gateways: Arc::new(FixedGateways::new(GatewayPair::new(
                Arc::new(MemoryGateway::hubspot(clock.clone())),
                Arc::new(MemoryGateway::quickbooks(clock.clone())),
            ))),
        };
        let options = PipelineOptions {
            poll_interval: Some(Duration::from_millis(5)),
            ..PipelineOptions::default()
        };
        let pipeline = Pipeline::start(
            ctx,
            PollScope::Connection(connection),
            options,
            Arc::new(Notify::new()),
        );
        (pipeline, clock)
    }

    /// Waits (in real time, bounded) until the poller has polled `n` times.
    async fn polls_reach(pipeline: &Pipeline, n: u64) {
        for _ in 0..2000 {
            if pipeline.stats().polls.load(Ordering::Relaxed) >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the poller never reached {n} polls");
    }

    #[tokio::test]
    async fn the_poller_task_sweeps_at_start_and_again_a_day_later() {
        let (pipeline, clock) = pipeline_without_invoices().await;
        polls_reach(&pipeline, 3).await;
        let stats = pipeline.stats();
        assert_eq!(stats.sweeps.load(Ordering::Relaxed), 1, "once at start");
        assert_eq!(stats.sweep_failures.load(Ordering::Relaxed), 0);
        clock.advance(Duration::from_secs(24 * 3600));
        let polled = stats.polls.load(Ordering::Relaxed);
        polls_reach(&pipeline, polled + 2).await;
        assert_eq!(pipeline.stats().sweeps.load(Ordering::Relaxed), 2);
        assert_eq!(pipeline.stats().sweep_jobs.load(Ordering::Relaxed), 0);
        pipeline.shutdown().await;
    }
}

#[cfg(test)]
mod lane_tests {
    use super::*;
    use crate::adapters::memory::{ManualClock, MemoryGateway, MemoryJobQueue, MemoryStore};
    use crate::engine::jobs::FixedGateways;
    use crate::engine::sync::GatewayPair;
    use crate::model::{ObjectKind, Side};
    use crate::ports::{Job, JobQueue, JobReason};

    /// A context on memory adapters with no connection stored: every job is for an unknown
    /// connection, so the worker drops it at once.
    fn context() -> (SyncContext, Arc<MemoryJobQueue>) {
        let clock = Arc::new(ManualClock::fixed());
        let queue = Arc::new(MemoryJobQueue::new(clock.clone()));
        let ctx = SyncContext {
            store: Arc::new(MemoryStore::new()),
            queue: queue.clone(),
            clock: clock.clone(),
            gateways: Arc::new(FixedGateways::new(GatewayPair::new(
                Arc::new(MemoryGateway::hubspot(clock.clone())),
                Arc::new(MemoryGateway::quickbooks(clock.clone())),
            ))),
        };
        (ctx, queue)
    }

    async fn enqueue(ctx: &SyncContext, lane: Lane, n: usize) {
        let jobs = (0..n)
            .map(|i| {
                Job::new(
                    ConnectionId::new("gone").unwrap(),
                    ObjectKind::Contact,
                    Side::Hubspot,
                    format!("{lane:?}-{i}"),
                    JobReason::Poll,
                    ctx.clock.now(),
                )
            })
            .collect();
        assert_eq!(ctx.queue.enqueue(lane, jobs, None).await.unwrap(), n);
    }

    #[tokio::test]
    async fn a_partial_live_batch_leaves_the_bulk_lane_its_turn_in_the_same_pass() {
        let (ctx, queue) = context();
        enqueue(&ctx, Lane::Live, 3).await;
        enqueue(&ctx, Lane::Bulk, 2).await;
        let stats = PipelineStats::default();
        assert_eq!(worker_pass(&ctx, 10, &stats).await, 5);
        assert_eq!(queue.pending(Lane::Live).await.unwrap(), 0);
        assert_eq!(queue.pending(Lane::Bulk).await.unwrap(), 0, "bulk ran too");
        assert_eq!(stats.jobs_dropped.load(Ordering::Relaxed), 5);
    }

    #[tokio::test]
    async fn a_persons_edit_after_a_large_delivery_is_processed_before_the_remaining_bulk_jobs() {
        use crate::intake::{IntakeOutcome, answer};
        let (ctx, queue) = context();
        let job = |id: String| {
            Job::new(
                ConnectionId::new("gone").unwrap(),
                ObjectKind::Contact,
                Side::Hubspot,
                id,
                JobReason::Webhook,
                ctx.clock.now(),
            )
        };
        let import = IntakeOutcome {
            jobs: (0..200).map(|i| job(format!("import-{i}"))).collect(),
            events: 5_000,
            ..IntakeOutcome::default()
        };
        assert_eq!(
            answer(queue.as_ref(), "hubspot", Ok(import)).await.queued,
            200
        );
        let edit = IntakeOutcome {
            jobs: vec![job("person".into())],
            events: 1,
            ..IntakeOutcome::default()
        };
        assert_eq!(answer(queue.as_ref(), "hubspot", Ok(edit)).await.queued, 1);
        let stats = PipelineStats::default();
        worker_pass(&ctx, 10, &stats).await;
        assert_eq!(queue.pending(Lane::Live).await.unwrap(), 0, "the edit ran");
        assert_eq!(
            queue.pending(Lane::Bulk).await.unwrap(),
            190,
            "in the first pass, with one bulk batch beside it"
        );
    }

    #[tokio::test]
    async fn a_full_live_batch_goes_again_before_any_bulk_job() {
        let (ctx, queue) = context();
        enqueue(&ctx, Lane::Live, 12).await;
        enqueue(&ctx, Lane::Bulk, 2).await;
        let stats = PipelineStats::default();
        assert_eq!(worker_pass(&ctx, 10, &stats).await, 10);
        assert_eq!(queue.pending(Lane::Live).await.unwrap(), 2);
        assert_eq!(queue.pending(Lane::Bulk).await.unwrap(), 2, "bulk waits");
        assert_eq!(worker_pass(&ctx, 10, &stats).await, 4);
        assert_eq!(queue.pending(Lane::Bulk).await.unwrap(), 0);
    }
}
