//! One script of jobs through both runtimes' settle paths: the local runtime (SQLite store and
//! queue, `settle_deliveries`) and the worker Lambda's handler on moto must answer alike.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use hqsync::adapters::memory::ManualClock;
use hqsync::adapters::sqlite::{SqliteDb, SqliteJobQueue, SqliteStore};
use hqsync::adapters::sqs::{job_body, parse_job};
use hqsync::engine::jobs::retry_schedule::PAUSED_RETRY;
use hqsync::engine::jobs::settle::{
    DEAD_LETTER_CODE, MAX_RECEIVES, SettlePolicy, Settlement, settle_deliveries,
};
use hqsync::engine::jobs::{SyncContext, process_jobs};
use hqsync::model::{Connection, ConnectionId, ConnectionSettings, ObjectKind, Side};
use hqsync::ports::{
    Clock, ConnectionRecord, ConnectionStatus, Connections, Job, JobQueue, JobReason, Lane, Store,
    SyncOutcome,
};
use hqsync_tests::aws_stack::start_aws_test_stack;
use hqsync_worker::{WorkerState, run_batch};

use super::aws_moto::moto_endpoint;

/// The script: a job that finishes, one handed back (its connection is paused), one that has
/// used up its receives (same cause), and one of a connection nobody knows.
struct Script {
    done: Job,
    retried: Job,
    poison: Job,
    unknown: Job,
}

impl Script {
    fn new(
        active: &ConnectionId,
        paused: &ConnectionId,
        seen_at: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        let job = |c: &ConnectionId, id: &str| {
            Job::new(
                c.clone(),
                ObjectKind::Contact,
                Side::Hubspot,
                id,
                JobReason::Webhook,
                seen_at,
            )
        };
        Script {
            // No such HubSpot contact and no link: nothing to sync, the job is finished.
            done: job(active, "900000001"),
            retried: job(paused, "900000002"),
            poison: job(paused, "900000003"),
            unknown: job(&ConnectionId::new("nobody").unwrap(), "900000004"),
        }
    }

    fn all(&self) -> [&Job; 4] {
        [&self.done, &self.retried, &self.poison, &self.unknown]
    }
}

fn paused_connection() -> ConnectionRecord {
    ConnectionRecord {
        connection: Connection {
            id: ConnectionId::new("paused").unwrap(),
            hubspot_portal_id: "70000001".into(),
            qbo_realm_id: "70000002".into(),
            settings: ConnectionSettings::default(),
        },
        environment: "local".into(),
        status: ConnectionStatus::Paused,
    }
}

#[tokio::test]
async fn aws_and_local_runtimes_settle_the_same_script_of_jobs_alike() {
    let Some(endpoint) =
        moto_endpoint("aws_and_local_runtimes_settle_the_same_script_of_jobs_alike")
    else {
        return;
    };
    let aws = start_aws_test_stack(&endpoint).await;
    let paused = paused_connection();
    aws.stack.store.put_connection(&paused).await.unwrap();
    let active = aws
        .stack
        .store
        .get_connection(&aws.connection)
        .await
        .unwrap()
        .expect("the stack's connection");
    let clock = Arc::new(ManualClock::fixed());
    let script = Script::new(&aws.connection, paused.id(), clock.now());

    // The local runtime: SQLite state and queue (as `hqsync dev`), the same vendor gateways.
    let db = SqliteDb::open_in_memory().unwrap();
    let local = SyncContext {
        store: Arc::new(SqliteStore::new(db.clone())),
        queue: Arc::new(SqliteJobQueue::new(db, clock.clone())),
        clock: clock.clone(),
        gateways: aws.stack.sync_context().gateways,
    };
    local.store.put_connection(&active).await.unwrap();
    local.store.put_connection(&paused).await.unwrap();
    let policy = SettlePolicy::default();
    // The poison job first goes round MAX_RECEIVES - 1 times, handed back each time.
    local
        .queue
        .enqueue(Lane::Live, vec![script.poison.clone()], None)
        .await
        .unwrap();
    for receive in 1..MAX_RECEIVES {
        let deliveries = local.queue.receive(Lane::Live, 10).await.unwrap();
        assert_eq!(deliveries.len(), 1, "receive {receive}");
        let results = process_jobs(&local, vec![deliveries[0].job.clone()]).await;
        let settled = settle_deliveries(&local, &policy, Lane::Live, deliveries, results)
            .await
            .unwrap();
        assert_eq!(settled[0].label(), "retried", "receive {receive}");
        clock.advance(PAUSED_RETRY + Duration::from_secs(1));
    }
    let rest = vec![
        script.done.clone(),
        script.retried.clone(),
        script.unknown.clone(),
    ];
    local.queue.enqueue(Lane::Live, rest, None).await.unwrap();
    let deliveries = local.queue.receive(Lane::Live, 10).await.unwrap();
    assert_eq!(deliveries.len(), 4);
    let jobs: Vec<Job> = deliveries.iter().map(|d| d.job.clone()).collect();
    let results = process_jobs(&local, jobs.clone()).await;
    let settled = settle_deliveries(&local, &policy, Lane::Live, deliveries, results)
        .await
        .unwrap();
    let local_answers: BTreeMap<String, Settlement> =
        jobs.iter().map(|j| j.id.clone()).zip(settled).collect();

    // The worker Lambda: the same jobs as an SQS batch, the poison one on its last receive.
    let all: Vec<Job> = script.all().into_iter().cloned().collect();
    aws.stack
        .queue
        .enqueue(Lane::Live, all, None)
        .await
        .unwrap();
    let mut event = aws.receive_event(Lane::Live).await;
    assert_eq!(event.records.len(), 4);
    let poison_body = job_body(&script.poison).unwrap();
    for record in &mut event.records {
        if record.body.as_deref() == Some(poison_body.as_str()) {
            record
                .attributes
                .insert("ApproximateReceiveCount".into(), MAX_RECEIVES.to_string());
        }
    }
    let worker = WorkerState::new(aws.stack.clone());
    let (response, summary) = run_batch(&worker, &event).await;
    aws.settle(Lane::Live, &event, &response).await;
    let job_of = |message_id: &str| {
        let record = event
            .records
            .iter()
            .find(|r| r.message_id.as_deref() == Some(message_id))
            .unwrap();
        parse_job(record.body.as_deref().unwrap()).unwrap()
    };
    let aws_answers: BTreeMap<String, Settlement> = summary
        .settlements
        .iter()
        .map(|(message, settlement)| (job_of(message).id, settlement.clone()))
        .collect();

    assert_eq!(local_answers, aws_answers, "the same script settles alike");
    let label = |job: &Job| local_answers[&job.id].label();
    assert_eq!(label(&script.done), "done");
    assert_eq!(label(&script.unknown), "dropped");
    assert_eq!(
        local_answers[&script.retried.id],
        Settlement::Retry {
            delay: PAUSED_RETRY,
            reason: "connection paused is Paused".into()
        }
    );
    let reason = "gave up after 8 receives: connection paused is Paused";
    assert_eq!(
        local_answers[&script.poison.id],
        Settlement::DeadLetter {
            reason: reason.into()
        }
    );
    // Only the handed-back job stays on SQS; the poison one waits in the DLQ with its reason.
    assert_eq!(
        (
            summary.done,
            summary.dropped,
            summary.returned,
            summary.dead_lettered
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(response.batch_item_failures.len(), 1);
    assert_eq!(
        job_of(&response.batch_item_failures[0].item_identifier),
        script.retried
    );
    let letters = aws
        .stack
        .queue
        .peek_dead_letters(Lane::Live, 10, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].reason.as_deref(), Some(reason));
    // Both runtimes leave the same needs-attention status on the poison job's record (what
    // `hqsync status` lists).
    let paused_id = paused.id().clone();
    let status_on = |store: Arc<dyn Store>| {
        let paused_id = paused_id.clone();
        async move {
            store
                .get_status(&paused_id, ObjectKind::Contact, Side::Hubspot, "900000003")
                .await
                .unwrap()
                .expect("a dead-letter status")
        }
    };
    let local_status = status_on(local.store.clone()).await;
    let aws_status = status_on(aws.stack.store.clone()).await;
    assert!(local_status.needs_attention && aws_status.needs_attention);
    assert_eq!(local_status.outcome, aws_status.outcome);
    let SyncOutcome::Failed(detail) = &local_status.outcome else {
        panic!("{local_status:?}");
    };
    assert_eq!(detail.code.as_deref(), Some(DEAD_LETTER_CODE));
    assert_eq!(detail.message, reason);
    assert!(
        local.queue.pending(Lane::Live).await.unwrap() == 1,
        "only the retried job waits"
    );
    aws.shutdown().await;
}
