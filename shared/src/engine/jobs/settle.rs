//! The one settle policy of every runtime: given a job's disposition and how often it was
//! received, delete it, hand it back after a delay, or dead-letter it with its reason.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::ConnectionId;
use crate::ports::{
    Delivery, FailureDetail, InitialSyncRuns, Job, Lane, QueueError, StatusLog, StoreError,
    SyncLogEntry, SyncOutcome, SyncStatus,
};

use super::backfill_pages::count_dead_letter;
use super::retry_schedule::STORE_RETRY;
use super::{Disposition, JobResult, SyncContext, process_jobs};

/// Receives after which a job that still asks to be retried is dead-lettered: the queues'
/// `maxReceiveCount` in template.yaml (parameter `MaxReceiveCount`, default 8), and the same
/// number on the local runtime.
pub const MAX_RECEIVES: u32 = 8;

/// The `code` of the status a dead-lettered job leaves on its record (`hqsync status`).
pub const DEAD_LETTER_CODE: &str = "dead_lettered";

/// What the runtime must do with one received job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// Handled: delete it.
    Done,
    /// Can never be processed (unknown connection, sync off): delete it.
    Dropped { reason: String },
    /// Make it visible again after `delay`.
    Retry { delay: Duration, reason: String },
    /// Not started for lack of time: send it again as a new message and delete this one, so
    /// the hand-back never counts toward the receive limit.
    Requeue { reason: String },
    /// Out of receives (or unreadable): set it aside with `reason`, never retried by itself.
    DeadLetter { reason: String },
}

impl Settlement {
    /// A short stable label: done, dropped, retried, dead-lettered.
    pub fn label(&self) -> &'static str {
        match self {
            Settlement::Done => "done",
            Settlement::Dropped { .. } => "dropped",
            Settlement::Retry { .. } => "retried",
            Settlement::Requeue { .. } => "requeued",
            Settlement::DeadLetter { .. } => "dead-lettered",
        }
    }
}

/// The settle policy: the same on AWS (the worker Lambda) and locally (`hqsync dev`/`sync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettlePolicy {
    /// Receives after which a job that still asks for a retry is dead-lettered.
    pub max_receives: u32,
}

impl Default for SettlePolicy {
    fn default() -> Self {
        SettlePolicy {
            max_receives: MAX_RECEIVES,
        }
    }
}

impl SettlePolicy {
    /// The policy for a queue whose redrive policy moves a message after `max_receives`
    /// receives (`None`: the default [`MAX_RECEIVES`]).
    pub fn with_max_receives(max_receives: Option<u32>) -> Self {
        SettlePolicy {
            max_receives: max_receives.unwrap_or(MAX_RECEIVES),
        }
    }

    /// What to do with a job the worker answered with `disposition` on its `receive_count`th
    /// receive (this one included).
    pub fn settle(&self, disposition: Disposition, receive_count: u32) -> Settlement {
        match disposition {
            Disposition::Done => Settlement::Done,
            Disposition::Dropped { reason } => Settlement::Dropped { reason },
            Disposition::NotStarted { reason } => Settlement::Requeue { reason },
            Disposition::RetryAfter { reason, .. } if receive_count >= self.max_receives => {
                Settlement::DeadLetter {
                    reason: format!("gave up after {receive_count} receives: {reason}"),
                }
            }
            Disposition::RetryAfter { delay, reason } => Settlement::Retry { delay, reason },
        }
    }
}

/// The status a dead-lettered job leaves on its record, so `hqsync status` (and anyone reading
/// the statuses) shows why it stopped: failed, needs attention, the reason. The record's
/// failed-attempt count and counterpart stay as they were.
pub fn dead_letter_status(
    job: &Job,
    reason: &str,
    previous: Option<&SyncStatus>,
    now: DateTime<Utc>,
) -> SyncStatus {
    SyncStatus {
        kind: job.kind,
        side: job.side,
        id: job.id.clone(),
        counterpart_id: previous.and_then(|p| p.counterpart_id.clone()),
        outcome: SyncOutcome::Failed(FailureDetail {
            code: Some(DEAD_LETTER_CODE.to_owned()),
            message: reason.to_owned(),
            suggested_fix: Some(
                "fix the cause, then change the record (or redrive the dead-letter queue on AWS) \
                 to sync it again"
                    .to_owned(),
            ),
        }),
        attempts: previous
            .filter(|p| matches!(p.outcome, SyncOutcome::Failed(_)))
            .map_or(0, |p| p.attempts),
        next_retry_at: None,
        needs_attention: true,
        updated_at: now,
    }
}

/// Records on the job's record that it was dead-lettered, and why (status and one log line),
/// and counts it into its initial sync run when it belongs to one (best effort).
pub async fn record_dead_letter<S: StatusLog + InitialSyncRuns + ?Sized>(
    store: &S,
    job: &Job,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let connection: &ConnectionId = &job.connection;
    let previous = store
        .get_status(connection, job.kind, job.side, &job.id)
        .await?;
    let status = dead_letter_status(job, reason, previous.as_ref(), now);
    store.put_status(connection, &status).await?;
    let entry = SyncLogEntry {
        at: now,
        kind: job.kind,
        side: job.side,
        id: job.id.clone(),
        counterpart_id: status.counterpart_id.clone(),
        outcome: status.outcome.clone(),
        action: format!("dead-lettered: {reason}"),
    };
    store.append_log(connection, &[entry]).await?;
    // The dead letter matters more than its initial sync run's counter: never hand it back
    // (and record it twice) because the count failed.
    if let Err(error) = count_dead_letter(store, job, reason).await {
        tracing::warn!(%error, "could not count a dead letter into its initial sync run");
    }
    Ok(())
}

/// What one pass over a queue lane did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueRun {
    pub received: usize,
    pub done: usize,
    pub retried: usize,
    pub dropped: usize,
    pub dead_lettered: usize,
}

impl QueueRun {
    /// Counts one settlement.
    pub fn count(&mut self, settlement: &Settlement) {
        match settlement {
            Settlement::Done => self.done += 1,
            Settlement::Dropped { .. } => self.dropped += 1,
            Settlement::Retry { .. } | Settlement::Requeue { .. } => self.retried += 1,
            Settlement::DeadLetter { .. } => self.dead_lettered += 1,
        }
    }
}

/// Applies `policy` to a batch received from a [`JobQueue`] (the local runtime, where no
/// event source mapping settles for us): acks what is finished, hands back what asks for a
/// retry, and dead-letters what ran out of receives by recording the reason on the record's
/// status, then moving it to the queue's dead letters (with its reason and lane). If that record cannot be written the job is handed back, so the
/// reason is never lost. Returns each job's settlement, in input order.
pub async fn settle_deliveries(
    ctx: &SyncContext,
    policy: &SettlePolicy,
    lane: Lane,
    deliveries: Vec<Delivery>,
    results: Vec<JobResult>,
) -> Result<Vec<Settlement>, QueueError> {
    let now = ctx.clock.now();
    let mut acks = Vec::new();
    let mut settlements = Vec::with_capacity(deliveries.len());
    for (delivery, result) in deliveries.into_iter().zip(results) {
        let job = &delivery.job;
        let settlement = policy.settle(result.disposition, delivery.receive_count);
        match &settlement {
            Settlement::Done => acks.push(delivery.receipt),
            Settlement::Dropped { reason } => {
                tracing::warn!(?job, %reason, "dropping a job");
                acks.push(delivery.receipt);
            }
            Settlement::Retry { delay, reason } => {
                tracing::info!(?job, %reason, ?delay, "job handed back");
                ctx.queue.retry_later(&delivery.receipt, *delay).await?;
            }
            Settlement::Requeue { reason } => {
                tracing::info!(?job, %reason, "job queued again");
                ctx.queue.enqueue(lane, vec![job.clone()], None).await?;
                acks.push(delivery.receipt);
            }
            Settlement::DeadLetter { reason } => {
                match record_dead_letter(ctx.store.as_ref(), job, reason, now).await {
                    Ok(()) => {
                        tracing::error!(?job, %reason, "job dead-lettered");
                        // Kept with its reason and lane (`DeadLetters`), not just deleted.
                        ctx.queue.dead_letter(&delivery, reason).await?;
                    }
                    Err(error) => {
                        tracing::error!(?job, %error, "could not record a dead letter; handed back");
                        ctx.queue
                            .retry_later(&delivery.receipt, STORE_RETRY)
                            .await?;
                    }
                }
            }
        }
        settlements.push(settlement);
    }
    ctx.queue.ack(&acks).await?;
    Ok(settlements)
}

/// The local runtime's worker loop body: receives up to `max` jobs from `lane`, processes
/// them, and settles them by [`SettlePolicy::default`] (the same policy as the worker Lambda).
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
    let policy = SettlePolicy::default();
    for settlement in settle_deliveries(ctx, &policy, lane, deliveries, results).await? {
        run.count(&settlement);
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retry(reason: &str) -> Disposition {
        Disposition::RetryAfter {
            delay: Duration::from_secs(30),
            reason: reason.into(),
        }
    }

    #[test]
    fn retries_are_handed_back_until_the_last_receive_then_dead_lettered_with_the_reason() {
        let policy = SettlePolicy::default();
        assert_eq!(policy.max_receives, 8);
        for receive in 1..MAX_RECEIVES {
            assert_eq!(
                policy.settle(retry("throttled"), receive),
                Settlement::Retry {
                    delay: Duration::from_secs(30),
                    reason: "throttled".into()
                },
                "receive {receive}"
            );
        }
        assert_eq!(
            policy.settle(retry("throttled"), MAX_RECEIVES),
            Settlement::DeadLetter {
                reason: "gave up after 8 receives: throttled".into()
            }
        );
        // A redelivery past the limit (a crash between receive and settle) dead-letters too.
        assert_eq!(policy.settle(retry("x"), 12).label(), "dead-lettered");
    }

    #[test]
    fn a_job_not_started_for_lack_of_time_is_requeued_even_on_its_last_receive() {
        let policy = SettlePolicy::default();
        let not_started = Disposition::NotStarted {
            reason: "out of time".into(),
        };
        assert_eq!(
            policy.settle(not_started, MAX_RECEIVES),
            Settlement::Requeue {
                reason: "out of time".into()
            }
        );
    }

    #[test]
    fn finished_and_dropped_jobs_are_deleted_whatever_their_receive_count() {
        let policy = SettlePolicy::with_max_receives(Some(2));
        assert_eq!(policy.settle(Disposition::Done, 5), Settlement::Done);
        let dropped = Disposition::Dropped {
            reason: "unknown connection c".into(),
        };
        assert_eq!(
            policy.settle(dropped, 9),
            Settlement::Dropped {
                reason: "unknown connection c".into()
            }
        );
        assert_eq!(policy.settle(retry("r"), 1).label(), "retried");
        assert_eq!(policy.settle(retry("r"), 2).label(), "dead-lettered");
        assert_eq!(SettlePolicy::with_max_receives(None).max_receives, 8);
    }

    #[tokio::test]
    async fn the_local_queue_dead_letters_after_the_same_receives_with_the_reason_on_the_status() {
        use crate::engine::jobs::test_harness::Harness;
        use crate::model::{ObjectKind, Side};
        use crate::ports::Connections;
        use crate::ports::{ConnectionStatus, JobQueue};

        let h = Harness::new().await;
        let mut record = h.store.get_connection(&h.conn).await.unwrap().unwrap();
        record.status = ConnectionStatus::Paused;
        h.store.put_connection(&record).await.unwrap();
        h.queue
            .enqueue(
                Lane::Live,
                vec![h.job(ObjectKind::Contact, Side::Hubspot, "h1")],
                None,
            )
            .await
            .unwrap();
        let run = h.drain(40).await;
        assert_eq!(
            (run.received, run.retried, run.dead_lettered, run.done),
            (MAX_RECEIVES as usize, MAX_RECEIVES as usize - 1, 1, 0)
        );
        assert_eq!(h.queue.pending(Lane::Live).await.unwrap(), 0);
        let status = h
            .store
            .get_status(&h.conn, ObjectKind::Contact, Side::Hubspot, "h1")
            .await
            .unwrap()
            .expect("the dead letter left a status");
        assert!(status.needs_attention);
        let SyncOutcome::Failed(detail) = &status.outcome else {
            panic!("{status:?}");
        };
        assert_eq!(detail.code.as_deref(), Some(DEAD_LETTER_CODE));
        assert!(
            detail
                .message
                .starts_with("gave up after 8 receives: connection"),
            "{}",
            detail.message
        );
        let log = h.store.recent_log(&h.conn, 5).await.unwrap();
        assert!(log[0].action.starts_with("dead-lettered: gave up after 8"));
        use crate::ports::DeadLetters;
        let letters = h.queue.list_dead_letters(Lane::Live, 10).await.unwrap();
        assert_eq!(letters.len(), 1, "kept as a dead letter, not only acked");
        assert_eq!(letters[0].job.as_ref().map(|j| j.id.as_str()), Some("h1"));
        assert_eq!(letters[0].receive_count, MAX_RECEIVES);
        assert!(
            letters[0]
                .reason
                .as_deref()
                .is_some_and(|r| r.starts_with("gave up after 8 receives")),
            "{letters:?}"
        );
    }
}
