//! The SQS job queue against moto: batching and dedup on enqueue, lanes, delays, receive / ack /
//! retry-later, unreadable messages, and the dead-letter queues (reason kept, redrive).

use std::time::Duration;

use chrono::{DateTime, Utc};
use hqsync::adapters::sqs::job_body;
use hqsync::model::{ConnectionId, ObjectKind, Side};
use hqsync::ports::{Job, JobQueue, JobReason, Lane, QueueError};

use super::aws_moto::moto;

/// A fresh pair of SQS lanes on moto for one contract check (the checks sleep: SQS runs on the
/// wall clock), or `None` without moto (a failure under CI=true).
async fn fresh_sqs(test: &str) -> Option<hqsync::ports::contract::job_queue::QueueUnderTest> {
    let moto = moto(test).await?;
    let visibility = Duration::from_secs(2);
    let queue = moto
        .fresh_queue(|s| s.visibility_timeout = visibility)
        .await;
    Some(hqsync::ports::contract::job_queue::QueueUnderTest::on_real_time(queue, visibility))
}

hqsync::job_queue_contract_tests!(fresh_sqs);

fn job(id: &str, seen_at_s: i64) -> Job {
    Job::new(
        ConnectionId::new("acme").unwrap(),
        ObjectKind::Contact,
        Side::Hubspot,
        id,
        JobReason::Webhook,
        DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(1_800_000_000 + seen_at_s),
    )
}

fn ids(deliveries: &[hqsync::ports::Delivery]) -> Vec<String> {
    let mut ids: Vec<String> = deliveries.iter().map(|d| d.job.id.clone()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn sqs_enqueue_dedups_a_batch_sends_in_tens_and_keeps_lanes_apart() {
    let Some(moto) = moto("sqs_enqueue_dedups_a_batch_sends_in_tens_and_keeps_lanes_apart").await
    else {
        return;
    };
    let queue = moto.fresh_queue(|_| {}).await;
    // 25 distinct records, each signalled twice: 25 messages over three batch calls.
    let mut jobs: Vec<Job> = (0..25).map(|n| job(&format!("{n:02}"), 10)).collect();
    jobs.extend((0..25).map(|n| job(&format!("{n:02}"), 5)));
    let written = queue.enqueue(Lane::Live, jobs, None).await.unwrap();
    assert_eq!(written, 25);
    queue
        .enqueue(Lane::Bulk, vec![job("b1", 0)], None)
        .await
        .unwrap();
    assert_eq!(queue.pending(Lane::Live).await.unwrap(), 25);
    assert_eq!(queue.pending(Lane::Bulk).await.unwrap(), 1);

    let got = queue.receive(Lane::Live, 100).await.unwrap();
    assert_eq!(got.len(), 25);
    let want: Vec<String> = (0..25).map(|n| format!("{n:02}")).collect();
    assert_eq!(ids(&got), want);
    // The earliest sighting of a duplicated signal is kept.
    assert!(got.iter().all(|d| d.job == job(&d.job.id, 5)));
    assert!(got.iter().all(|d| d.receive_count == 1));
    assert!(
        queue.receive(Lane::Live, 10).await.unwrap().is_empty(),
        "in flight"
    );

    let receipts: Vec<_> = got.iter().map(|d| d.receipt.clone()).collect();
    queue.ack(&receipts).await.unwrap();
    assert_eq!(queue.pending(Lane::Live).await.unwrap(), 0);
    let bulk = queue.receive(Lane::Bulk, 10).await.unwrap();
    assert_eq!(ids(&bulk), ["b1"]);
}

#[tokio::test]
async fn sqs_delays_and_retry_later_hide_jobs_until_due() {
    let Some(moto) = moto("sqs_delays_and_retry_later_hide_jobs_until_due").await else {
        return;
    };
    let queue = moto.fresh_queue(|_| {}).await;
    queue
        .enqueue(Lane::Live, vec![job("now", 0)], None)
        .await
        .unwrap();
    queue
        .enqueue(
            Lane::Live,
            vec![job("later", 0)],
            Some(Duration::from_secs(2)),
        )
        .await
        .unwrap();
    assert_eq!(
        queue.pending(Lane::Live).await.unwrap(),
        2,
        "delayed jobs count as pending"
    );
    let first = queue.receive(Lane::Live, 10).await.unwrap();
    assert_eq!(ids(&first), ["now"]);

    // Hand it back with a delay (a throttled job): hidden, then back with a higher count.
    queue
        .retry_later(&first[0].receipt, Duration::from_secs(1))
        .await
        .unwrap();
    assert!(queue.receive(Lane::Live, 10).await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let again = queue.receive(Lane::Live, 10).await.unwrap();
    assert_eq!(ids(&again), ["later", "now"]);
    let now = again.iter().find(|d| d.job.id == "now").unwrap();
    assert_eq!(now.receive_count, 2);

    queue
        .ack(&again.iter().map(|d| d.receipt.clone()).collect::<Vec<_>>())
        .await
        .unwrap();
    // A receipt of a deleted message is unknown.
    assert!(matches!(
        queue.retry_later(&now.receipt, Duration::ZERO).await,
        Err(QueueError::UnknownReceipt(_))
    ));
}

#[tokio::test]
async fn sqs_unreadable_messages_are_skipped_and_end_in_the_dlq_by_redrive_policy() {
    let Some(moto) =
        moto("sqs_unreadable_messages_are_skipped_and_end_in_the_dlq_by_redrive_policy").await
    else {
        return;
    };
    let queue = moto
        .fresh_queue(|s| {
            s.visibility_timeout = Duration::from_secs(1);
            s.max_receive_count = 1;
        })
        .await;
    moto.sqs
        .send_message()
        .queue_url(&queue.urls().live)
        .message_body("{\"not\": \"a job\"}")
        .send()
        .await
        .unwrap();
    queue
        .enqueue(Lane::Live, vec![job("ok", 0)], None)
        .await
        .unwrap();
    let got = queue.receive(Lane::Live, 10).await.unwrap();
    assert_eq!(ids(&got), ["ok"]);
    queue.ack(&[got[0].receipt.clone()]).await.unwrap();

    // Past its visibility timeout the unreadable message is received again, which exceeds
    // the receive count: SQS moves it to the DLQ, body intact and without a reason.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(queue.receive(Lane::Live, 10).await.unwrap().is_empty());
    let letters = queue
        .peek_dead_letters(Lane::Live, 10, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].body, "{\"not\": \"a job\"}");
    assert_eq!(letters[0].reason, None);
}

#[tokio::test]
async fn sqs_dead_letters_keep_their_reason_and_redrive_back_to_their_lane() {
    let Some(moto) =
        moto("sqs_dead_letters_keep_their_reason_and_redrive_back_to_their_lane").await
    else {
        return;
    };
    let queue = moto.fresh_queue(|_| {}).await;
    let poison = job("h42", 0);
    let reason = "QBO 6000: business validation error on Customer for HubSpot contact h42";
    queue
        .send_to_dead_letters(Lane::Bulk, &job_body(&poison).unwrap(), reason)
        .await
        .unwrap();
    assert!(
        queue
            .peek_dead_letters(Lane::Live, 10, Duration::ZERO)
            .await
            .unwrap()
            .is_empty(),
        "each lane has its own DLQ"
    );
    let peeked = queue
        .peek_dead_letters(Lane::Bulk, 10, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(peeked.len(), 1);
    assert_eq!(peeked[0].reason.as_deref(), Some(reason));
    assert_eq!(peeked[0].source_lane, Some(Lane::Bulk));

    let moved = queue.redrive(Lane::Bulk, 10).await.unwrap();
    assert_eq!(moved.len(), 1);
    assert!(
        queue
            .peek_dead_letters(Lane::Bulk, 10, Duration::ZERO)
            .await
            .unwrap()
            .is_empty()
    );
    let back = queue.receive(Lane::Bulk, 10).await.unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].job, poison);
}

/// The `DeadLetters` contract on SQS (the admin API's list and redrive on AWS): a job given up
/// on by the settle path is kept with its reason and lane, listed without being removed, and
/// redriven (chosen ids, then the rest) to the lane it left.
#[tokio::test]
async fn sqs_dead_letters_pass_the_dead_letters_contract() {
    let Some(moto) = moto("sqs_dead_letters_pass_the_dead_letters_contract").await else {
        return;
    };
    let queue = moto.fresh_queue(|_| {}).await;
    hqsync::ports::contract::dead_letters::dead_letters_keep_reason_and_lane_and_redrive(&queue)
        .await;
}
