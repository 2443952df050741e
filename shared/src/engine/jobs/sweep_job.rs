//! The daily sweep fanned out: the poller queues one sweep job per connection on the bulk lane,
//! and the worker runs each under the connection's poll lease, starting the sweep run (pages on
//! the bulk lane, deadline-bound like every job), the customers' receivables and queueing the
//! overdue invoices.

use std::time::Duration;

use crate::model::ConnectionId;
use crate::ports::{Job, QueueError};
use crate::ports::{Origin, lane_for};

use super::active::active_connection;
use super::backfill::{RunScope, RunState, StartError, run_state, start_run};
use super::context::SyncContext;
use super::disposition::Disposition;
use super::overdue::sweep_overdue_invoices;
use super::retry_schedule::{STORE_RETRY, TRANSIENT_RETRY};
use super::schedule::{POLL_LEASE, POLL_LEASE_TTL};

/// How long a sweep job waits for a poll of its connection that holds the lease.
pub const LEASE_HELD_RETRY: Duration = Duration::from_secs(60);

/// Queues one sweep job per connection in `connections` on the bulk lane; returns how many
/// the queue took. Nothing else runs inline, so the poller's sweep invocation takes seconds.
pub async fn queue_sweeps(
    ctx: &SyncContext,
    connections: &[ConnectionId],
) -> Result<usize, QueueError> {
    let now = ctx.clock.now();
    let jobs: Vec<Job> = connections
        .iter()
        .map(|c| Job::sweep(c.clone(), now))
        .collect();
    if jobs.is_empty() {
        return Ok(0);
    }
    ctx.queue.enqueue(lane_for(Origin::Bulk), jobs, None).await
}

/// Runs one connection's sweep job. Done without work when a run started since the job was
/// queued (a retried poller invocation queues the sweep twice) or one is still running (it
/// reconciles anyway); handed back while a poll of the connection holds the lease.
pub(crate) async fn run_sweep_job(ctx: &SyncContext, job: &Job) -> Disposition {
    if let Err(disposition) = active_connection(ctx, &job.connection).await {
        return disposition;
    }
    match ctx.store.get_initial_sync(&job.connection).await {
        Ok(Some(run)) if run.started_at >= job.seen_at => {
            tracing::info!(connection = %job.connection, run = %run.id, "a run started after this sweep was queued; nothing to do");
            return Disposition::Done;
        }
        Ok(Some(run)) if run_state(&run) == RunState::Running => {
            tracing::info!(connection = %job.connection, run = %run.id, "a run is still reconciling this connection; nothing to do");
            return Disposition::Done;
        }
        Ok(_) => {}
        Err(error) => return store_retry(error.to_string()),
    }
    let holder = format!("sweep-{}", uuid::Uuid::new_v4().simple());
    let now = ctx.clock.now();
    match ctx
        .store
        .acquire_lease(&job.connection, POLL_LEASE, &holder, POLL_LEASE_TTL, now)
        .await
    {
        Ok(Some(_)) => {}
        Ok(None) => {
            return Disposition::RetryAfter {
                delay: LEASE_HELD_RETRY,
                reason: format!("a poll of {} holds its lease", job.connection),
            };
        }
        Err(error) => return store_retry(error.to_string()),
    }
    let disposition = sweep_under_lease(ctx, &job.connection).await;
    if let Err(error) = ctx
        .store
        .release_lease(&job.connection, POLL_LEASE, &holder)
        .await
    {
        tracing::warn!(connection = %job.connection, %error, "could not release the poll lease; it expires by itself");
    }
    disposition
}

async fn sweep_under_lease(ctx: &SyncContext, connection: &ConnectionId) -> Disposition {
    match start_run(ctx, connection, RunScope::Sweep).await {
        Ok(run) => {
            tracing::info!(connection = %connection, run = %run.run_id, kinds = run.kinds.len(), "sweep run started");
        }
        Err(StartError::AlreadyRunning(run)) => {
            tracing::info!(connection = %connection, run = %run.run_id, "a run is already reconciling");
        }
        Err(StartError::NothingEnabled(_)) => {}
        Err(StartError::Prepare(error)) => {
            let reason = format!("sweep of {connection}: {error}");
            return Disposition::RetryAfter {
                delay: TRANSIENT_RETRY,
                reason,
            };
        }
        Err(error @ (StartError::Store(_) | StartError::Queue(_) | StartError::Raced(_))) => {
            return store_retry(error.to_string());
        }
        Err(
            error @ (StartError::UnknownConnection(_)
            | StartError::NotStartable { .. }
            | StartError::Settings(_)),
        ) => {
            return Disposition::Dropped {
                reason: error.to_string(),
            };
        }
    }
    match super::receivables_sweep::sweep_receivables(ctx, connection).await {
        Ok(r) => {
            tracing::info!(connection = %connection, customers = r.customers, written = r.records_written, "receivables swept");
        }
        Err(error) => tracing::warn!(connection = %connection, %error, "receivables sweep failed"),
    }
    match sweep_overdue_invoices(ctx, connection).await {
        Ok(jobs) => {
            tracing::info!(connection = %connection, jobs, "overdue invoices queued");
            Disposition::Done
        }
        // Not retried: the run has started, so a retried job would find it and stop; the next
        // day's sweep finds what this one could not.
        Err(error) => {
            tracing::warn!(connection = %connection, %error, "overdue sweep failed");
            Disposition::Done
        }
    }
}

fn store_retry(reason: String) -> Disposition {
    Disposition::RetryAfter {
        delay: STORE_RETRY,
        reason,
    }
}
