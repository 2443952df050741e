//! The worker Lambda's logic, callable without Lambda: an SQS batch in, the engine run on its
//! jobs (vendor calls capped to the invocation's remaining time), a partial-batch response out;
//! throttled jobs go back with a delay, jobs not started are sent again, poison ones to the DLQ.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use hqsync::adapters::sqs::parse_job;
use hqsync::engine::jobs::settle::{SettlePolicy, Settlement, record_dead_letter};
use hqsync::engine::jobs::{SyncContext, process_jobs_until};
use hqsync::http::deadline;
use hqsync::ports::{Job, JobQueue, Lane};
use hqsync_aws::AwsStack;
use lambda_runtime::LambdaEvent;

/// SQS record attribute with how many times the message was received.
const RECEIVE_COUNT_ATTRIBUTE: &str = "ApproximateReceiveCount";

/// Built once per cold start.
pub struct WorkerState {
    pub stack: AwsStack,
    ctx: SyncContext,
    /// The one settle policy, with the queues' `maxReceiveCount` (MAX_RECEIVE_COUNT).
    policy: SettlePolicy,
}

impl WorkerState {
    pub fn new(stack: AwsStack) -> Self {
        let ctx = stack.sync_context();
        let policy = SettlePolicy::with_max_receives(stack.config.max_receive_count);
        WorkerState { stack, ctx, policy }
    }
}

/// What happened to each message of a batch (for logs, tests and the benchmark).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    pub done: usize,
    pub dropped: usize,
    /// Handed back with a delay (reported as failed items so SQS keeps them).
    pub returned: usize,
    /// Not started for lack of time: sent again as new messages (their receive count starts
    /// over) and deleted.
    pub requeued: usize,
    /// Sent to the DLQ with their reason.
    pub dead_lettered: usize,
    /// The settle policy's answer per message id, in batch order (unreadable ones first).
    pub settlements: Vec<(String, Settlement)>,
}

struct Message<'a> {
    record: &'a SqsMessage,
    lane: Lane,
    receive_count: u32,
}

impl Message<'_> {
    fn id(&self) -> String {
        self.record.message_id.clone().unwrap_or_default()
    }

    fn body(&self) -> &str {
        self.record.body.as_deref().unwrap_or_default()
    }
}

/// Time kept back from the invocation's deadline: no new group of jobs starts within it, so
/// one group (a batch read, a few writes, an inline wait of the vendor clients' retry policy)
/// can finish before Lambda stops the function. A third of the worker's 60 s timeout.
pub const DEADLINE_RESERVE: Duration = Duration::from_secs(20);

/// Time kept back for settling the batch (hand-backs, dead letters, the response): no vendor
/// request runs into it (`hqsync::http::deadline`).
pub const SETTLE_RESERVE: Duration = Duration::from_secs(3);

/// When to stop starting work, given the invocation's deadline (ms since the epoch).
pub fn stop_at(deadline_ms: u64) -> Instant {
    Instant::now() + time_left(deadline_ms).saturating_sub(DEADLINE_RESERVE)
}

/// When vendor calls must have ended, given the invocation's deadline (ms since the epoch).
pub fn calls_end_at(deadline_ms: u64) -> Instant {
    Instant::now() + time_left(deadline_ms).saturating_sub(SETTLE_RESERVE)
}

fn time_left(deadline_ms: u64) -> Duration {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}

/// Handles one invocation: the batch, stopping new work [`DEADLINE_RESERVE`] before the
/// deadline (jobs not started are sent again and come back at once) and capping every vendor
/// call to end [`SETTLE_RESERVE`] before it.
pub async fn handle_invocation(
    state: &WorkerState,
    event: LambdaEvent<SqsEvent>,
) -> SqsBatchResponse {
    let stop = stop_at(event.context.deadline);
    let calls_end = tokio::time::Instant::from_std(calls_end_at(event.context.deadline));
    // Boxed: the batch future is deep, and the deadline scope would nest it once more.
    let batch = Box::pin(handle_batch_until(state, event.payload, Some(stop)));
    deadline::scope(Some(calls_end), batch).await
}

/// Handles one SQS batch; the response lists the messages SQS must keep.
pub async fn handle_batch(state: &WorkerState, event: SqsEvent) -> SqsBatchResponse {
    handle_batch_until(state, event, None).await
}

async fn handle_batch_until(
    state: &WorkerState,
    event: SqsEvent,
    stop_at: Option<Instant>,
) -> SqsBatchResponse {
    let (response, summary) = run_batch_until(state, &event, stop_at).await;
    tracing::info!(
        received = event.records.len(),
        done = summary.done,
        dropped = summary.dropped,
        returned = summary.returned,
        requeued = summary.requeued,
        dead_lettered = summary.dead_lettered,
        "batch finished"
    );
    state.stack.flush_metrics();
    response
}

/// [`handle_batch`] without flushing metrics, with a summary.
pub async fn run_batch(state: &WorkerState, event: &SqsEvent) -> (SqsBatchResponse, BatchSummary) {
    run_batch_until(state, event, None).await
}

/// [`run_batch`] that starts no new work after `stop_at`.
pub async fn run_batch_until(
    state: &WorkerState,
    event: &SqsEvent,
    stop_at: Option<Instant>,
) -> (SqsBatchResponse, BatchSummary) {
    let queue = &state.stack.queue;
    let mut response = SqsBatchResponse::default();
    let mut summary = BatchSummary::default();
    let mut messages = Vec::new();
    let mut jobs: Vec<Job> = Vec::new();
    for record in &event.records {
        let message = Message {
            record,
            lane: record
                .event_source_arn
                .as_deref()
                .and_then(|arn| queue.lane_of_source_arn(arn))
                .unwrap_or(Lane::Live),
            receive_count: record
                .attributes
                .get(RECEIVE_COUNT_ATTRIBUTE)
                .and_then(|n| n.parse().ok())
                .unwrap_or(1),
        };
        match parse_job(message.body()) {
            Ok(job) => {
                jobs.push(job);
                messages.push(message);
            }
            // Never processable: straight to the DLQ with the reason, not retried.
            Err(error) => {
                let reason = error.to_string();
                tracing::error!(message_id = %message.id(), %reason, "unreadable job message");
                dead_letter(state, &message, &reason, &mut response, &mut summary).await;
                summary
                    .settlements
                    .push((message.id(), Settlement::DeadLetter { reason }));
            }
        }
    }

    let results = process_jobs_until(&state.ctx, jobs, stop_at).await;
    // Every message without a result stays on the queue (a failed item), never deleted unseen.
    for message in messages.iter().skip(results.len()) {
        tracing::error!(message_id = %message.id(), "no result for this job; handed back");
        response.add_failure(message.id());
        summary.returned += 1;
    }
    let now = state.stack.clock.now();
    for (message, result) in messages.iter().zip(results) {
        let job = &result.job;
        let settlement = state
            .policy
            .settle(result.disposition, message.receive_count);
        match settlement.clone() {
            Settlement::Done => {
                summary.done += 1;
                state.stack.metrics.sync_lag(job.seen_at, now);
                tracing::info!(connection = %job.connection, kind = %job.kind, side = %job.side, id = %job.id, "job done");
            }
            Settlement::Dropped { reason } => {
                summary.dropped += 1;
                tracing::warn!(connection = %job.connection, kind = %job.kind, side = %job.side, id = %job.id, %reason, "job dropped");
            }
            Settlement::DeadLetter { reason } => {
                tracing::error!(connection = %job.connection, kind = %job.kind, side = %job.side, id = %job.id, %reason, "job dead-lettered");
                if let Err(error) =
                    record_dead_letter(state.stack.store.as_ref(), job, &reason, now).await
                {
                    tracing::warn!(%error, "could not record the dead letter on the record's status");
                }
                dead_letter(state, message, &reason, &mut response, &mut summary).await;
            }
            Settlement::Retry { delay, reason } => {
                tracing::info!(connection = %job.connection, kind = %job.kind, side = %job.side, id = %job.id, %reason, delay_s = delay.as_secs(), "job handed back");
                hand_back(state, message, delay).await;
                response.add_failure(message.id());
                summary.returned += 1;
            }
            Settlement::Requeue { reason } => {
                // A fresh message starts at receive 1; this one is deleted as done. If the
                // send fails, the hand-back (which counts) keeps the job.
                match queue.enqueue(message.lane, vec![job.clone()], None).await {
                    Ok(_) => {
                        tracing::info!(connection = %job.connection, kind = %job.kind, id = %job.id, %reason, "job queued again");
                        summary.requeued += 1;
                    }
                    Err(error) => {
                        tracing::warn!(connection = %job.connection, id = %job.id, %error, "could not queue a job again; handed back");
                        hand_back(state, message, Duration::ZERO).await;
                        response.add_failure(message.id());
                        summary.returned += 1;
                    }
                }
            }
        }
        summary.settlements.push((message.id(), settlement));
    }
    (response, summary)
}

/// Makes the message visible again after `delay` instead of the queue's visibility timeout.
/// Failing that, SQS still returns it after the visibility timeout.
async fn hand_back(state: &WorkerState, message: &Message<'_>, delay: Duration) {
    let Some(handle) = message.record.receipt_handle.as_deref() else {
        return;
    };
    if let Err(error) = state
        .stack
        .queue
        .return_after(message.lane, handle, delay)
        .await
    {
        tracing::warn!(message_id = %message.id(), %error, "could not set the retry delay");
    }
}

/// Sends the message to its lane's DLQ with `reason`; if that fails, reports it as a failed
/// item so SQS keeps it (and its redrive policy moves it later).
async fn dead_letter(
    state: &WorkerState,
    message: &Message<'_>,
    reason: &str,
    response: &mut SqsBatchResponse,
    summary: &mut BatchSummary,
) {
    match state
        .stack
        .queue
        .send_to_dead_letters(message.lane, message.body(), reason)
        .await
    {
        Ok(()) => summary.dead_lettered += 1,
        Err(error) => {
            tracing::error!(message_id = %message.id(), %error, "could not dead-letter a job; leaving it to the redrive policy");
            response.add_failure(message.id());
            summary.returned += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch_ms_in(d: Duration) -> u64 {
        (SystemTime::now() + d)
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    }

    #[test]
    fn new_work_stops_the_reserve_before_the_deadline() {
        let before = Instant::now();
        let stop = stop_at(epoch_ms_in(Duration::from_secs(60)));
        let left = stop.duration_since(before);
        assert!(
            left > Duration::from_secs(39) && left < Duration::from_millis(40_100),
            "{left:?}"
        );
        // A deadline already inside the reserve (or past) stops at once.
        let stop = stop_at(epoch_ms_in(Duration::from_secs(5)));
        assert!(stop <= Instant::now());
        assert!(stop_at(0) <= Instant::now());
    }
}
