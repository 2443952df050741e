//! The initial sync started through the admin API, fanned out on the bulk lane, on the demo
//! data of both sandboxes: it links what the inline initial sync links, its progress counts
//! to done, a second start while running answers 409 with the run, and `hqsync initial-sync`
//! follows it to the end.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hqsync::engine::jobs::{SyncContext, run_queue_once};
use hqsync::engine::sync::initial_sync::{InitialSyncOptions, initial_sync};
use hqsync::model::{ConnectionSettings, ObjectKind, Side, SyncState};
use hqsync::ports::{AuditLog, ConnectionStatus, Connections, Lane, Links, RecordGateway};
use hqsync_sandbox::Seed;
use hqsync_tests::admin_server::{ADMIN_PASSWORD, AdminServer, AdminServerOptions};
use serde_json::Value;

fn demo() -> AdminServerOptions {
    let mut options = AdminServerOptions::default();
    options.hubspot.seed = Seed::Demo;
    options.quickbooks.seed = Seed::Demo;
    options
}

/// Runs both lanes until nothing is pending (a mirrored invoice may queue live work).
async fn drain(ctx: &SyncContext) {
    for _ in 0..400 {
        let mut received = 0;
        for lane in [Lane::Bulk, Lane::Live] {
            received += run_queue_once(ctx, lane, 10).await.expect("queue").received;
        }
        if received == 0 {
            let pending = ctx.queue.pending(Lane::Bulk).await.unwrap()
                + ctx.queue.pending(Lane::Live).await.unwrap();
            if pending == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    panic!("the queues never drained");
}

async fn record_count(server: &AdminServer, kind: ObjectKind, side: Side) -> usize {
    let pair = server
        .ctx
        .sync
        .gateways
        .gateways(server.connection.as_ref().unwrap())
        .await
        .expect("gateways");
    let gateway: &dyn RecordGateway = pair.side(side);
    let mut count = 0;
    let mut cursor = None;
    loop {
        let page = gateway.list_page(kind, cursor).await.expect("list");
        count += page.records.len();
        match page.next {
            Some(next) => cursor = Some(next),
            None => return count,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fanned_out_initial_sync_links_the_demo_data_like_the_inline_one() {
    let inline = AdminServer::start_with(demo()).await;
    let report = initial_sync(
        &inline.ctx.sync.sync_ports(),
        inline.connection_id(),
        &InitialSyncOptions::default(),
        &|_| {},
    )
    .await
    .expect("inline initial sync");
    drain(&inline.ctx.sync).await;

    let server = AdminServer::start_with(demo()).await;
    let id = server.connection_id().clone();
    let mut record = server.store.get_connection(&id).await.unwrap().unwrap();
    record.status = ConnectionStatus::Connected;
    server.store.put_connection(&record).await.unwrap();
    let admin = server.signed_in().await;
    let path = format!("/api/connections/{id}/initial-sync");

    assert_eq!(admin.get(&path).await.status(), 404, "no run yet");
    let response = admin.post(&path).await;
    assert_eq!(response.status(), 202);
    let started: Value = response.json().await.unwrap();
    let run_id = started["run_id"].as_str().expect("run_id").to_owned();
    assert_eq!(started["state"], "running");
    assert!(started["pending_jobs"].as_u64().unwrap() >= 2);
    let kinds: Vec<&str> = started["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["contact", "product", "invoice", "payment"]);
    assert_eq!(
        server
            .store
            .get_connection(&id)
            .await
            .unwrap()
            .unwrap()
            .status,
        ConnectionStatus::Active
    );

    let again = admin.post(&path).await;
    assert_eq!(again.status(), 409, "one run at a time");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["run_id"], run_id.as_str());
    assert!(again["error"].as_str().unwrap().contains("still running"));

    drain(&server.ctx.sync).await;
    let done: Value = admin.get(&path).await.json().await.unwrap();
    assert_eq!(done["run_id"], run_id.as_str());
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["pending_jobs"], 0);
    for kind in done["kinds"].as_array().unwrap() {
        let n = |f: &str| kind[f].as_u64().unwrap();
        assert!(n("listed") > 0, "{kind}");
        assert_eq!(n("queued"), n("done") + n("failed"), "{kind}");
    }

    // The kinds the default settings sync (the company kind waits for `[customers] model`).
    let synced = ObjectKind::TWO_WAY
        .into_iter()
        .filter(|kind| ConnectionSettings::default().state(*kind) == SyncState::Enabled);
    for kind in synced {
        let fanned = server.store.list_links(&id, kind).await.unwrap().len();
        let expected = inline
            .store
            .list_links(inline.connection_id(), kind)
            .await
            .unwrap()
            .len();
        assert!(expected > 0, "the demo data links {kind}s");
        assert_eq!(
            fanned, expected,
            "{kind}: the same links as the inline sync"
        );
        for side in Side::BOTH {
            assert_eq!(
                record_count(&server, kind, side).await,
                record_count(&inline, kind, side).await,
                "{kind} on {side}: the same records, no duplicate"
            );
        }
    }
    assert!(
        report.kinds.iter().all(|k| k.failed == 0),
        "the inline run is a fair reference: {report:?}"
    );

    let audit = server.store.recent_audit(10).await.unwrap();
    let start = audit
        .iter()
        .find(|e| e.action == "initial_sync.start")
        .expect("the start is audited");
    assert_eq!(start.connection.as_ref(), Some(&id));
    assert!(start.detail.contains(&run_id), "{}", start.detail);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hqsync_initial_sync_starts_the_run_and_follows_it_to_done() {
    let server = AdminServer::start_with(demo()).await;
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let ctx = server.ctx.sync.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let mut received = 0;
                for lane in [Lane::Bulk, Lane::Live] {
                    received += run_queue_once(&ctx, lane, 10)
                        .await
                        .map_or(0, |r| r.received);
                }
                if received == 0 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        })
    };
    let args = hqsync_cli::admin::initial_sync::InitialSyncArgs {
        api: hqsync_cli::admin::ApiArgs::new(&server.base_url, Some(ADMIN_PASSWORD)),
        connection: hqsync_cli::admin::ConnectionArg {
            connection: Some(server.connection_id().to_string()),
        },
        poll_interval_ms: 50,
    };
    let mut out = Vec::new();
    let result = tokio::time::timeout(
        Duration::from_secs(120),
        hqsync_cli::admin::initial_sync::run(args, &mut out),
    )
    .await
    .expect("the CLI follows the run to its end");
    stop.store(true, Ordering::Relaxed);
    worker.await.unwrap();
    let text = String::from_utf8(out).unwrap();
    result.unwrap_or_else(|e| panic!("hqsync initial-sync failed: {e:#}\n{text}"));
    assert!(text.contains("Started initial sync run-"), "{text}");
    assert!(text.contains("is done."), "{text}");
    for column in [
        "kind", "listed", "queued", "done", "failed", "contact", "invoice",
    ] {
        assert!(text.contains(column), "{column} in the table:\n{text}");
    }
    let links = server
        .store
        .list_links(server.connection_id(), ObjectKind::Contact)
        .await
        .unwrap();
    assert!(!links.is_empty(), "the run linked the demo contacts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_the_fanned_out_run_goes_through_sqs_the_worker_and_dynamodb_to_done() {
    use hqsync::engine::jobs::backfill::{RunState, initial_sync_progress, start_initial_sync};
    use hqsync::ports::CreateRequest;
    use hqsync_tests::aws_stack::start_aws_test_stack;
    use hqsync_worker::{WorkerState, run_batch};
    use serde_json::json;

    let Some(endpoint) = super::aws_moto::moto_endpoint(
        "aws_the_fanned_out_run_goes_through_sqs_the_worker_and_dynamodb_to_done",
    ) else {
        return;
    };
    let local = start_aws_test_stack(&endpoint).await;
    let worker = WorkerState::new(local.stack.clone());
    let ctx = local.stack.sync_context();
    let record = local
        .stack
        .store
        .get_connection(&local.connection)
        .await
        .unwrap()
        .unwrap();
    let pair = ctx.gateways.gateways(&record).await.expect("gateways");
    let create = |values: serde_json::Value| CreateRequest {
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        values: serde_json::from_value(values).unwrap(),
    };
    pair.hubspot
        .create(
            ObjectKind::Contact,
            vec![
                create(
                    json!({"email": "ada@example.com", "firstname": "Ada", "lastname": "Byron"}),
                ),
                create(
                    json!({"email": "bo@example.com", "firstname": "Bo", "lastname": "Diddley"}),
                ),
            ],
        )
        .await
        .expect("HubSpot contacts");
    pair.quickbooks
        .create(
            ObjectKind::Contact,
            vec![
                create(json!({"PrimaryEmailAddr.Address": "ada@example.com", "DisplayName": "Ada Byron"})),
                create(json!({"PrimaryEmailAddr.Address": "cy@example.com", "DisplayName": "Cy Young"})),
            ],
        )
        .await
        .expect("QBO customers");
    // Out of the second of these writes: the QBO sandbox allows 10 requests a second per
    // company (docs/quickbooks.md §9), and a 429 costs the worker a minute's wait.
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let started = start_initial_sync(&ctx, &local.connection)
        .await
        .expect("start on DynamoDB and SQS");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    let progress = loop {
        let event = local.receive_event(Lane::Bulk).await;
        if !event.records.is_empty() {
            let (response, _) = run_batch(&worker, &event).await;
            local.settle(Lane::Bulk, &event, &response).await;
        }
        let progress = initial_sync_progress(&ctx, &local.connection)
            .await
            .unwrap()
            .expect("the run is stored");
        if progress.state != RunState::Running {
            break progress;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the run never finished: {progress:?}"
        );
        if event.records.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    assert_eq!(progress.run_id, started.run_id);
    assert_eq!(progress.state, RunState::Done, "{progress:?}");
    let contacts = progress
        .kinds
        .iter()
        .find(|k| k.kind == ObjectKind::Contact)
        .unwrap();
    assert!(contacts.listed >= 4, "{contacts:?}");
    assert_eq!(
        contacts.queued,
        contacts.done + contacts.failed,
        "{contacts:?}"
    );
    let links = local
        .stack
        .store
        .list_links(&local.connection, ObjectKind::Contact)
        .await
        .unwrap();
    assert_eq!(
        links.len(),
        3,
        "Ada matched by e-mail, Bo and Cy created: {links:?}"
    );
    local.shutdown().await;
}
