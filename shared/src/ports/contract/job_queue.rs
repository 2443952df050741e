//! The `JobQueue` contract: batch dedup, lanes, delays, retry-later, the visibility timeout
//! with stale receipts, bounded receives and workflow executions kept apart, on any clock; and
//! the local queues' extras (coalescing with a waiting signal, spent receipts).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use crate::adapters::memory::ManualClock;
use crate::model::{ActionExecution, ActionInputs, ConnectionId, ObjectKind, Side};
use crate::ports::{Delivery, Job, JobQueue, JobReason, Lane, QueueError};

/// A queue and the time it runs on. Delays in the checks are whole multiples of [`Self::UNIT`]
/// (SQS counts them in seconds); the visibility timeout must be at least two units.
pub struct QueueUnderTest {
    pub queue: Box<dyn JobQueue>,
    pub visibility: Duration,
    advance: Box<dyn Fn(Duration) -> BoxFuture<'static, ()> + Send + Sync>,
}

impl QueueUnderTest {
    /// The unit of the checks' delays.
    pub const UNIT: Duration = Duration::from_secs(1);

    /// A queue on `clock`, which the checks move by hand (memory, SQLite).
    pub fn on_manual_clock(
        queue: impl JobQueue + 'static,
        clock: Arc<ManualClock>,
        visibility: Duration,
    ) -> Self {
        QueueUnderTest {
            queue: Box::new(queue),
            visibility,
            advance: Box::new(move |by| {
                clock.advance(by);
                Box::pin(async {})
            }),
        }
    }

    /// A queue on the wall clock (SQS): the checks sleep.
    pub fn on_real_time(queue: impl JobQueue + 'static, visibility: Duration) -> Self {
        QueueUnderTest {
            queue: Box::new(queue),
            visibility,
            advance: Box::new(|by| Box::pin(tokio::time::sleep(by))),
        }
    }

    async fn advance(&self, by: Duration) {
        (self.advance)(by).await;
    }

    /// Past `units` units from now, with half a unit of margin for a real clock.
    async fn wait_units(&self, units: u32) {
        self.advance(Self::UNIT * units + Self::UNIT / 2).await;
    }

    async fn receive(&self, lane: Lane, max: usize) -> Vec<Delivery> {
        let mut got = self.queue.receive(lane, max).await.expect("receive");
        got.sort_by(|a, b| a.job.id.cmp(&b.job.id));
        got
    }
}

fn job(id: &str, seen_at_s: i64) -> Job {
    Job::new(
        ConnectionId::new("contract-queue").expect("valid id"),
        ObjectKind::Contact,
        Side::Hubspot,
        id,
        JobReason::Webhook,
        DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(1_800_000_000 + seen_at_s),
    )
}

fn ids(deliveries: &[Delivery]) -> Vec<&str> {
    deliveries.iter().map(|d| d.job.id.as_str()).collect()
}

/// The job message is the docs/architecture.md §10 JSON.
pub fn job_wire_format() {
    let json = serde_json::to_value(job("123", 0)).expect("serialise");
    assert_eq!(
        json,
        serde_json::json!({"v": 1, "connection": "contract-queue", "kind": "contact",
            "side": "hubspot", "id": "123", "reason": "webhook",
            "seen_at": "2027-01-15T08:00:00Z"})
    );
    let back: Job = serde_json::from_value(json).expect("parse");
    assert_eq!(back, job("123", 0));
}

/// Identical signals in one batch are written once, with the earliest sighting; received jobs
/// are in flight (not pending, not received again).
pub async fn a_batch_is_deduplicated_keeping_the_earliest_sighting(q: &QueueUnderTest) {
    let batch = vec![job("1", 5), job("2", 0), job("1", 1)];
    let written = q.queue.enqueue(Lane::Live, batch, None).await;
    assert_eq!(written.expect("enqueue"), 2);
    assert_eq!(q.queue.pending(Lane::Live).await.expect("pending"), 2);
    let got = q.receive(Lane::Live, 10).await;
    assert_eq!(ids(&got), ["1", "2"]);
    assert_eq!(got[0].job.seen_at, job("1", 1).seen_at);
    assert!(got.iter().all(|d| d.receive_count == 1));
    assert!(q.receive(Lane::Live, 10).await.is_empty(), "in flight");
    assert_eq!(q.queue.pending(Lane::Live).await.expect("pending"), 0);
    let receipts: Vec<_> = got.into_iter().map(|d| d.receipt).collect();
    q.queue.ack(&receipts).await.expect("ack");
}

/// A job on one lane is never received from the other.
pub async fn lanes_are_kept_apart(q: &QueueUnderTest) {
    let queue = &q.queue;
    queue
        .enqueue(Lane::Bulk, vec![job("9", 0)], None)
        .await
        .expect("enqueue");
    assert_eq!(queue.pending(Lane::Live).await.expect("pending"), 0);
    assert_eq!(queue.pending(Lane::Bulk).await.expect("pending"), 1);
    assert!(q.receive(Lane::Live, 10).await.is_empty());
    let bulk = q.receive(Lane::Bulk, 10).await;
    assert_eq!(ids(&bulk), ["9"]);
    queue.ack(&[bulk[0].receipt.clone()]).await.expect("ack");
    assert_eq!(queue.pending(Lane::Bulk).await.expect("pending"), 0);
}

/// A job enqueued with a delay is pending but hidden until the delay has passed.
pub async fn delayed_jobs_stay_hidden_until_due(q: &QueueUnderTest) {
    q.queue
        .enqueue(
            Lane::Live,
            vec![job("3", 0)],
            Some(QueueUnderTest::UNIT * 2),
        )
        .await
        .expect("enqueue");
    assert_eq!(q.queue.pending(Lane::Live).await.expect("pending"), 1);
    assert!(q.receive(Lane::Live, 10).await.is_empty(), "not due yet");
    q.wait_units(2).await;
    let due = q.receive(Lane::Live, 10).await;
    assert_eq!(ids(&due), ["3"]);
    q.queue.ack(&[due[0].receipt.clone()]).await.expect("ack");
}

/// A job handed back with `retry_later` stays hidden for the delay, then comes back with a
/// higher receive count.
pub async fn retry_later_hides_a_job_for_its_delay(q: &QueueUnderTest) {
    q.queue
        .enqueue(Lane::Live, vec![job("2", 0)], None)
        .await
        .expect("enqueue");
    let got = q.receive(Lane::Live, 10).await;
    q.queue
        .retry_later(&got[0].receipt, QueueUnderTest::UNIT)
        .await
        .expect("retry");
    assert!(q.receive(Lane::Live, 10).await.is_empty(), "hidden");
    q.wait_units(1).await;
    let again = q.receive(Lane::Live, 10).await;
    assert_eq!(ids(&again), ["2"]);
    assert_eq!(again[0].receive_count, 2);
    q.queue.ack(&[again[0].receipt.clone()]).await.expect("ack");
    assert!(q.receive(Lane::Live, 10).await.is_empty());
}

/// Not acked within the visibility timeout (a crashed worker): delivered again, with its
/// receive count up.
pub async fn an_unacked_job_comes_back(q: &QueueUnderTest) {
    q.queue
        .enqueue(Lane::Live, vec![job("4", 0)], None)
        .await
        .expect("enqueue");
    let first = q.receive(Lane::Live, 10).await;
    assert_eq!(first[0].receive_count, 1);
    q.advance(q.visibility + QueueUnderTest::UNIT / 2).await;
    let redelivered = q.receive(Lane::Live, 10).await;
    assert_eq!(ids(&redelivered), ["4"]);
    assert_eq!(redelivered[0].receive_count, 2);
    q.queue
        .ack(&[redelivered[0].receipt.clone()])
        .await
        .expect("ack");
    q.advance(q.visibility + QueueUnderTest::UNIT / 2).await;
    assert!(q.receive(Lane::Live, 10).await.is_empty());
}

/// The local queues also ignore the receipt of an earlier delivery. SQS asks for the most
/// recent receipt handle and leaves open what an older one does
/// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html),
/// so the SQS adapter is not held to it.
pub async fn an_unacked_job_comes_back_and_a_stale_receipt_keeps_it(q: &QueueUnderTest) {
    q.queue
        .enqueue(Lane::Live, vec![job("4", 0)], None)
        .await
        .expect("enqueue");
    let first = q.receive(Lane::Live, 10).await;
    assert_eq!(first[0].receive_count, 1);
    q.advance(q.visibility + QueueUnderTest::UNIT / 2).await;
    let redelivered = q.receive(Lane::Live, 10).await;
    assert_eq!(ids(&redelivered), ["4"]);
    assert_eq!(redelivered[0].receive_count, 2);
    q.queue
        .ack(&[first[0].receipt.clone()])
        .await
        .expect("stale ack is ignored");
    q.advance(q.visibility + QueueUnderTest::UNIT / 2).await;
    let third = q.receive(Lane::Live, 10).await;
    assert_eq!(
        ids(&third),
        ["4"],
        "a stale receipt must not delete the message"
    );
    assert_eq!(third[0].receive_count, 3);
    q.queue.ack(&[third[0].receipt.clone()]).await.expect("ack");
    q.advance(q.visibility + QueueUnderTest::UNIT / 2).await;
    assert!(q.receive(Lane::Live, 10).await.is_empty());
    assert_eq!(q.queue.pending(Lane::Live).await.expect("pending"), 0);
}

/// `max` bounds a receive; the rest stays for the next one.
pub async fn max_bounds_a_receive(q: &QueueUnderTest) {
    let jobs = vec![job("10", 0), job("11", 0), job("12", 0)];
    q.queue
        .enqueue(Lane::Bulk, jobs, None)
        .await
        .expect("enqueue");
    let first = q.receive(Lane::Bulk, 2).await;
    assert_eq!(first.len(), 2);
    let rest = q.receive(Lane::Bulk, 2).await;
    assert_eq!(rest.len(), 1);
    let mut all: Vec<&str> = ids(&first).into_iter().chain(ids(&rest)).collect();
    all.sort();
    assert_eq!(all, ["10", "11", "12"]);
}

/// Workflow executions are orders, not signals: two on one deal are two jobs, and each
/// arrives with its execution intact.
pub async fn workflow_executions_are_never_merged(q: &QueueUnderTest) {
    let execution = |callback: &str| {
        Job::create_invoice(
            ConnectionId::new("contract-queue").expect("valid id"),
            "55",
            ActionExecution {
                callback_id: callback.into(),
                doc_kind: Default::default(),
                inputs: ActionInputs {
                    due_in_days: Some(14),
                    memo: Some("Thanks".into()),
                    send_email: true,
                    ..ActionInputs::default()
                },
            },
            job("55", 0).seen_at,
        )
    };
    let written = q
        .queue
        .enqueue(Lane::Live, vec![execution("cb-1"), execution("cb-2")], None)
        .await
        .expect("enqueue");
    assert_eq!(written, 2);
    let mut orders = q.receive(Lane::Live, 10).await;
    orders.sort_by(|a, b| {
        let callback = |d: &Delivery| d.job.action.as_ref().map(|x| x.callback_id.clone());
        callback(a).cmp(&callback(b))
    });
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0].job, execution("cb-1"));
    assert_eq!(orders[1].job, execution("cb-2"));
    let receipts: Vec<_> = orders.into_iter().map(|d| d.receipt).collect();
    q.queue.ack(&receipts).await.expect("ack");
}

/// Local queues only (SQS cannot look into a queue): a signal for a record already waiting
/// coalesces with it, keeping the earlier sighting.
pub async fn a_signal_coalesces_with_the_same_waiting_signal(q: &QueueUnderTest) {
    let queue = &q.queue;
    queue
        .enqueue(Lane::Live, vec![job("2", 0)], None)
        .await
        .expect("enqueue");
    let written = queue.enqueue(Lane::Live, vec![job("2", 9)], None).await;
    assert_eq!(written.expect("enqueue"), 0);
    assert_eq!(queue.pending(Lane::Live).await.expect("pending"), 1);
    let got = q.receive(Lane::Live, 10).await;
    assert_eq!(ids(&got), ["2"]);
    assert_eq!(got[0].job.seen_at, job("2", 0).seen_at);
}

/// Local queues only: the bulk lane hands out one job per connection in turn (oldest first
/// within each), so a connection with a big backfill does not starve another.
pub async fn the_bulk_lane_takes_turns_between_connections(q: &QueueUnderTest) {
    let of = |connection: &str, id: &str| Job {
        connection: ConnectionId::new(connection).expect("valid id"),
        ..job(id, 0)
    };
    let big: Vec<Job> = (1..=6).map(|n| of("big", &format!("a{n}"))).collect();
    q.queue
        .enqueue(Lane::Bulk, big, None)
        .await
        .expect("enqueue");
    let small = vec![of("small", "b1"), of("small", "b2")];
    q.queue
        .enqueue(Lane::Bulk, small, None)
        .await
        .expect("enqueue");
    let got = q.queue.receive(Lane::Bulk, 4).await.expect("receive");
    assert_eq!(ids(&got), ["a1", "b1", "a2", "b2"]);
    let rest = q.queue.receive(Lane::Bulk, 10).await.expect("receive");
    assert_eq!(ids(&rest), ["a3", "a4", "a5", "a6"]);
}

/// Local queues only: 5,000 signals for 100 records, in deliveries of 100, leave at most one
/// waiting job per record.
pub async fn many_signals_for_few_records_coalesce_per_record(q: &QueueUnderTest) {
    let mut written = 0;
    for delivery in 0..50i64 {
        let jobs = (0..100)
            .map(|n| job(&format!("r{}", (n * 7 + delivery) % 100), delivery))
            .collect();
        written += q
            .queue
            .enqueue(Lane::Bulk, jobs, None)
            .await
            .expect("enqueue");
    }
    assert_eq!(written, 100);
    assert_eq!(q.queue.pending(Lane::Bulk).await.expect("pending"), 100);
}

/// Local queues only: a receipt handed back with `retry_later` is spent (SQS keeps it valid
/// while the message is hidden).
pub async fn a_retried_receipt_is_spent(q: &QueueUnderTest) {
    q.queue
        .enqueue(Lane::Live, vec![job("5", 0)], None)
        .await
        .expect("enqueue");
    let got = q.receive(Lane::Live, 10).await;
    q.queue
        .retry_later(&got[0].receipt, QueueUnderTest::UNIT)
        .await
        .expect("retry");
    assert!(matches!(
        q.queue.retry_later(&got[0].receipt, Duration::ZERO).await,
        Err(QueueError::UnknownReceipt(_))
    ));
}

/// One `#[tokio::test]` per job queue check, each on a fresh queue from `$fresh`, an
/// `async fn(test_name: &str) -> Option<QueueUnderTest>` (`None` skips, e.g. without moto).
/// `, local` adds the checks only the memory and SQLite queues keep.
#[macro_export]
macro_rules! job_queue_contract_tests {
    ($fresh:path) => {
        $crate::job_queue_contract_tests!(@checks $fresh;
            a_batch_is_deduplicated_keeping_the_earliest_sighting,
            lanes_are_kept_apart,
            delayed_jobs_stay_hidden_until_due,
            retry_later_hides_a_job_for_its_delay,
            an_unacked_job_comes_back,
            max_bounds_a_receive,
            workflow_executions_are_never_merged,
        );
    };
    ($fresh:path, local) => {
        $crate::job_queue_contract_tests!($fresh);
        $crate::job_queue_contract_tests!(@checks $fresh;
            a_signal_coalesces_with_the_same_waiting_signal,
            a_retried_receipt_is_spent,
            an_unacked_job_comes_back_and_a_stale_receipt_keeps_it,
            the_bulk_lane_takes_turns_between_connections,
            many_signals_for_few_records_coalesce_per_record,
        );
    };
    (@checks $fresh:path; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let Some(queue) = $fresh(stringify!($check)).await else {
                    return;
                };
                $crate::ports::contract::job_queue::$check(&queue).await;
            }
        )*
    };
}
