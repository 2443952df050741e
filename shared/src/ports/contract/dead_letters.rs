//! The `DeadLetters` contract of a job queue: a job given up on is kept with its reason and
//! lane, listed without being removed, and redriven (all, or chosen ids) to the lane it left.

use crate::model::{ConnectionId, ObjectKind, Side};
use crate::ports::{DeadLetters, Job, JobQueue, JobReason, Lane};

fn job(id: &str) -> Job {
    Job::new(
        ConnectionId::new("contract-dead").expect("valid id"),
        ObjectKind::Product,
        Side::Quickbooks,
        id,
        JobReason::Backfill,
        chrono::DateTime::from_timestamp(0, 0).expect("epoch"),
    )
}

/// Receives every waiting job of `lane` and dead-letters it with `reason`.
async fn give_up(queue: &dyn JobQueue, lane: Lane, reason: &str) {
    for delivery in queue.receive(lane, 10).await.expect("receive") {
        queue
            .dead_letter(&delivery, reason)
            .await
            .expect("dead-letter");
    }
}

/// The whole check, on a queue that is both.
pub async fn dead_letters_keep_reason_and_lane_and_redrive<Q>(queue: &Q)
where
    Q: JobQueue + DeadLetters,
{
    queue
        .enqueue(Lane::Bulk, vec![job("1"), job("2")], None)
        .await
        .expect("enqueue");
    queue
        .enqueue(Lane::Live, vec![job("3")], None)
        .await
        .expect("enqueue");
    give_up(queue, Lane::Bulk, "QBO 6000: invalid").await;
    give_up(queue, Lane::Live, "gave up after 8 receives").await;
    assert_eq!(queue.pending(Lane::Bulk).await.expect("pending"), 0);
    assert!(
        queue
            .receive(Lane::Bulk, 10)
            .await
            .expect("receive")
            .is_empty()
    );

    let mut bulk = queue.list_dead_letters(Lane::Bulk, 10).await.expect("list");
    bulk.sort_by_key(|d| d.job.as_ref().map(|j| j.id.clone()));
    assert_eq!(bulk.len(), 2, "{bulk:?}");
    assert!(bulk.iter().all(|d| d.lane == Lane::Bulk));
    assert_eq!(bulk[0].job, Some(job("1")));
    assert_eq!(bulk[0].reason.as_deref(), Some("QBO 6000: invalid"));
    assert!(bulk[0].receive_count >= 1);
    let live = queue.list_dead_letters(Lane::Live, 10).await.expect("list");
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].job, Some(job("3")));
    assert_eq!(
        queue
            .list_dead_letters(Lane::Bulk, 10)
            .await
            .expect("list")
            .len(),
        2,
        "listing removes nothing"
    );

    // Redrive one chosen letter: it is back on its lane, the other stays.
    let chosen = vec![bulk[1].id.clone()];
    let moved = queue
        .redrive(Lane::Bulk, Some(&chosen), 10)
        .await
        .expect("redrive");
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].job, Some(job("2")));
    let back = queue.receive(Lane::Bulk, 10).await.expect("receive");
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].job, job("2"));
    queue.ack(&[back[0].receipt.clone()]).await.expect("ack");
    let left = queue.list_dead_letters(Lane::Bulk, 10).await.expect("list");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].job, Some(job("1")));

    // Redrive the rest of a lane; the other lane's letters stay.
    let moved = queue.redrive(Lane::Bulk, None, 10).await.expect("redrive");
    assert_eq!(moved.len(), 1);
    assert!(
        queue
            .list_dead_letters(Lane::Bulk, 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        queue
            .list_dead_letters(Lane::Live, 10)
            .await
            .expect("list")
            .len(),
        1
    );
    let back = queue.receive(Lane::Bulk, 10).await.expect("receive");
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].job, job("1"));
}
