//! The `JobQueue` contract: batch dedup and coalescing, delays, visibility timeout and
//! redelivery, ack and retry-later with receipts, separate lanes, and the docs/architecture.md §10 job shape.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::{ActionExecution, ActionInputs, ConnectionId, ObjectKind, Side};
use crate::ports::{Job, JobQueue, JobReason, Lane, QueueError};

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

/// `queue` must use a clock that `advance` moves, and have visibility timeout `visibility`.
pub async fn delivery(queue: &dyn JobQueue, advance: &dyn Fn(Duration), visibility: Duration) {
    // Identical signals in one batch are written once, with the earliest seen_at.
    let written = queue
        .enqueue(
            Lane::Live,
            vec![job("1", 5), job("2", 0), job("1", 1)],
            None,
        )
        .await
        .expect("enqueue");
    assert_eq!(written, 2);
    // A signal for a record already waiting coalesces with it.
    assert_eq!(
        queue
            .enqueue(Lane::Live, vec![job("2", 9)], None)
            .await
            .expect("enqueue"),
        0
    );
    assert_eq!(queue.pending(Lane::Live).await.expect("pending"), 2);
    assert_eq!(queue.pending(Lane::Bulk).await.expect("pending"), 0);

    // Delayed jobs stay hidden until due; lanes are separate.
    queue
        .enqueue(Lane::Live, vec![job("3", 0)], Some(Duration::from_secs(30)))
        .await
        .expect("enqueue");
    queue
        .enqueue(Lane::Bulk, vec![job("9", 0)], None)
        .await
        .expect("enqueue");
    let got = queue.receive(Lane::Live, 10).await.expect("receive");
    let ids: Vec<&str> = got.iter().map(|d| d.job.id.as_str()).collect();
    assert_eq!(ids, ["1", "2"]);
    assert_eq!(got[0].job.seen_at, job("1", 1).seen_at);
    assert!(got.iter().all(|d| d.receive_count == 1));
    assert!(
        queue
            .receive(Lane::Live, 10)
            .await
            .expect("receive")
            .is_empty(),
        "in flight"
    );

    queue.ack(&[got[0].receipt.clone()]).await.expect("ack");
    // Retry later: hidden for the delay, then back with a higher receive count.
    queue
        .retry_later(&got[1].receipt, Duration::from_secs(10))
        .await
        .expect("retry");
    assert!(matches!(
        queue.retry_later(&got[1].receipt, Duration::ZERO).await,
        Err(QueueError::UnknownReceipt(_))
    ));
    advance(Duration::from_secs(11));
    let again = queue.receive(Lane::Live, 10).await.expect("receive");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].job.id, "2");
    assert_eq!(again[0].receive_count, 2);
    queue.ack(&[again[0].receipt.clone()]).await.expect("ack");

    advance(Duration::from_secs(20));
    let delayed = queue.receive(Lane::Live, 10).await.expect("receive");
    assert_eq!(delayed.len(), 1);
    assert_eq!(delayed[0].job.id, "3");

    // Not acked within the visibility timeout (a crashed worker): delivered again; the old
    // receipt no longer deletes it.
    advance(visibility + Duration::from_secs(1));
    let redelivered = queue.receive(Lane::Live, 10).await.expect("receive");
    assert_eq!(redelivered.len(), 1);
    assert_eq!(redelivered[0].receive_count, 2);
    queue
        .ack(&[delayed[0].receipt.clone()])
        .await
        .expect("stale ack is ignored");
    advance(visibility + Duration::from_secs(1));
    let third = queue.receive(Lane::Live, 10).await.expect("receive");
    assert_eq!(
        third.len(),
        1,
        "a stale receipt must not delete the message"
    );
    queue.ack(&[third[0].receipt.clone()]).await.expect("ack");
    assert!(
        queue
            .receive(Lane::Live, 10)
            .await
            .expect("receive")
            .is_empty()
    );
    assert_eq!(queue.pending(Lane::Live).await.expect("pending"), 0);

    // `max` bounds a receive; the bulk lane kept its job.
    queue
        .enqueue(Lane::Bulk, vec![job("10", 0), job("11", 0)], None)
        .await
        .expect("enqueue");
    assert_eq!(
        queue.receive(Lane::Bulk, 2).await.expect("receive").len(),
        2
    );
    assert_eq!(
        queue.receive(Lane::Bulk, 2).await.expect("receive").len(),
        1
    );

    // Workflow executions are orders, not signals: two on one deal are two jobs, and each
    // arrives with its execution intact.
    let execution = |callback: &str| {
        Job::create_invoice(
            ConnectionId::new("contract-queue").expect("valid id"),
            "55",
            ActionExecution {
                callback_id: callback.into(),
                inputs: ActionInputs {
                    due_in_days: Some(14),
                    memo: Some("Thanks".into()),
                    send_email: true,
                },
            },
            job("55", 0).seen_at,
        )
    };
    queue
        .enqueue(Lane::Live, vec![execution("cb-1"), execution("cb-2")], None)
        .await
        .expect("enqueue");
    let mut orders = queue.receive(Lane::Live, 10).await.expect("receive");
    orders.sort_by(|a, b| {
        a.job
            .action
            .as_ref()
            .map(|x| &x.callback_id)
            .cmp(&b.job.action.as_ref().map(|x| &x.callback_id))
    });
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0].job, execution("cb-1"));
    assert_eq!(orders[1].job, execution("cb-2"));
    let receipts: Vec<_> = orders.into_iter().map(|d| d.receipt).collect();
    queue.ack(&receipts).await.expect("ack");
}
