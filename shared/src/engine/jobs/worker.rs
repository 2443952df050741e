//! The worker: takes a batch of jobs, groups them by connection and kind, runs each group
//! through its kind's flow (`dispatch`), and answers one disposition per job.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::model::{ConnectionId, ObjectKind};
use crate::ports::{Job, Lane, QueueError};

use super::context::SyncContext;
use super::dispatch::FLOWS;
use super::disposition::{Disposition, JobResult, out_of_time};

/// Processes `jobs` and returns one result per job, in input order.
pub async fn process_jobs(ctx: &SyncContext, jobs: Vec<Job>) -> Vec<JobResult> {
    process_jobs_until(ctx, jobs, None).await
}

/// [`process_jobs`] that starts no new work after `stop_at` (a Lambda's deadline minus the
/// time one group may take): jobs not started are handed back at once, none is half done.
pub async fn process_jobs_until(
    ctx: &SyncContext,
    jobs: Vec<Job>,
    stop_at: Option<Instant>,
) -> Vec<JobResult> {
    let mut groups: BTreeMap<(ConnectionId, ObjectKind), Vec<usize>> = BTreeMap::new();
    for (i, job) in jobs.iter().enumerate() {
        groups
            .entry((job.connection.clone(), job.kind))
            .or_default()
            .push(i);
    }
    let mut dispositions: Vec<Option<Disposition>> = vec![None; jobs.len()];
    for ((connection, kind), indexes) in groups {
        let group: Vec<&Job> = indexes.iter().map(|&i| &jobs[i]).collect();
        let answers = if stop_at.is_some_and(|t| Instant::now() >= t) {
            vec![out_of_time(); group.len()]
        } else {
            FLOWS.run(ctx, &connection, kind, &group, stop_at).await
        };
        for (i, answer) in indexes.into_iter().zip(answers) {
            dispositions[i] = Some(answer);
        }
    }
    jobs.into_iter()
        .zip(dispositions)
        .map(|(job, disposition)| JobResult {
            job,
            disposition: disposition.unwrap_or(Disposition::Done),
        })
        .collect()
}

/// What one pass over a queue lane did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueRun {
    pub received: usize,
    pub done: usize,
    pub retried: usize,
    pub dropped: usize,
}

/// The local runtime's worker loop body: receives up to `max` jobs from `lane`, processes
/// them, acks the finished ones and hands the others back with their delay.
pub async fn run_queue_once(
    ctx: &SyncContext,
    lane: Lane,
    max: usize,
) -> Result<QueueRun, QueueError> {
    let deliveries = ctx.queue.receive(lane, max).await?;
    let mut run = QueueRun {
        received: deliveries.len(),
        ..QueueRun::default()
    };
    if deliveries.is_empty() {
        return Ok(run);
    }
    let jobs: Vec<Job> = deliveries.iter().map(|d| d.job.clone()).collect();
    let results = process_jobs(ctx, jobs).await;
    let mut acks = Vec::new();
    for (delivery, result) in deliveries.into_iter().zip(results) {
        match result.disposition {
            Disposition::Done => {
                run.done += 1;
                acks.push(delivery.receipt);
            }
            Disposition::Dropped { reason } => {
                tracing::warn!(job = ?delivery.job, %reason, "dropping a job");
                run.dropped += 1;
                acks.push(delivery.receipt);
            }
            Disposition::RetryAfter { delay, reason } => {
                tracing::info!(job = ?delivery.job, %reason, ?delay, "job handed back");
                run.retried += 1;
                ctx.queue.retry_later(&delivery.receipt, delay).await?;
            }
        }
    }
    ctx.queue.ack(&acks).await?;
    Ok(run)
}
