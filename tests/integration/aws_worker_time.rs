//! The worker Lambda and its invocation's time on moto: a job not started before the deadline
//! is sent again as a fresh message (its receive count starts over, so lack of time never
//! dead-letters a job), and nothing of the batch is lost or reported as failed.

use std::time::{Duration, Instant};

use hqsync::model::{ObjectKind, Side};
use hqsync::ports::{Job, JobQueue, JobReason, Lane};
use hqsync_tests::aws_stack::start_aws_test_stack;
use hqsync_worker::{WorkerState, run_batch_until};

use super::aws_moto::moto_endpoint;

#[tokio::test]
async fn aws_a_job_handed_back_for_lack_of_time_starts_its_receive_count_over() {
    let Some(endpoint) =
        moto_endpoint("aws_a_job_handed_back_for_lack_of_time_starts_its_receive_count_over")
    else {
        return;
    };
    let local = start_aws_test_stack(&endpoint).await;
    let worker = WorkerState::new(local.stack.clone());
    let job = Job::new(
        local.connection.clone(),
        ObjectKind::Contact,
        Side::Hubspot,
        "701",
        JobReason::Webhook,
        chrono::Utc::now(),
    );
    local
        .stack
        .queue
        .enqueue(Lane::Live, vec![job.clone()], None)
        .await
        .unwrap();
    // Received and handed back for lack of time, over and over: more often than the queue's
    // maxReceiveCount (8) would allow a counted hand-back.
    for round in 1..=10 {
        let mut event = local.receive_event(Lane::Live).await;
        for _ in 0..50 {
            if !event.records.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            event = local.receive_event(Lane::Live).await;
        }
        assert_eq!(
            event.records.len(),
            1,
            "round {round}: the job is still queued"
        );
        let count = &event.records[0].attributes["ApproximateReceiveCount"];
        assert_eq!(count, "1", "round {round}: a fresh message each time");
        let past = Instant::now() - Duration::from_secs(1);
        let (response, summary) = run_batch_until(&worker, &event, Some(past)).await;
        assert!(
            response.batch_item_failures.is_empty(),
            "round {round}: the old message is deleted, not failed"
        );
        assert_eq!(
            (summary.requeued, summary.dead_lettered),
            (1, 0),
            "round {round}"
        );
        local.settle(Lane::Live, &event, &response).await;
    }
    let left = local.stack.queue.pending(Lane::Live).await.unwrap();
    assert_eq!(left, 1, "exactly one copy is left");
    local.shutdown().await;
}
