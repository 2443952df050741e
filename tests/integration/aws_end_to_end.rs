//! End to end on the AWS code paths: both sandboxes send real signed webhooks to the webhook
//! Lambda handlers, jobs travel through SQS on moto, the worker handler runs the engine against
//! the sandboxes with state in DynamoDB and tokens in Secrets Manager (all on moto).

use std::collections::BTreeMap;
use std::time::Duration;

use hqsync::engine::sync::GatewayPair;
use hqsync::hubspot::webhook::signature::{HEADER_TIMESTAMP, HEADER_V3, sign_v3};
use hqsync::model::{ObjectKind, Record, Side};
use hqsync::observability::MetricName;
use hqsync::ports::{
    ConnectionStatus, Connections, CreateRequest, InitialSyncRuns, Job, JobQueue, JobReason, Lane,
    StatusLog, UpdateRequest,
};
use hqsync::quickbooks::webhook::signature::{SIGNATURE_HEADER, sign};
use hqsync_hubspot_webhook::HubspotWebhookState;
use hqsync_poller::{PollerError, PollerState};
use hqsync_quickbooks_webhook::QuickbooksWebhookState;
use hqsync_sandbox::hubspot::ACTOR_HEADER;
use hqsync_tests::aws_stack::{AwsTestStack, HUBSPOT_PATH, QUICKBOOKS_PATH, start_aws_test_stack};
use hqsync_worker::{WorkerState, run_batch};
use secrecy::SecretString;
use serde_json::{Value, json};

use super::aws_moto::moto_endpoint;

async fn gateways(local: &AwsTestStack) -> GatewayPair {
    let record = local
        .stack
        .store
        .get_connection(&local.connection)
        .await
        .unwrap()
        .unwrap();
    local
        .stack
        .sync_context()
        .gateways
        .gateways(&record)
        .await
        .expect("gateways for the sandboxes")
}

/// Runs worker batches from the live queue until `done` holds (or `timeout`), like the event
/// source mapping would; returns whether it held.
async fn drain_until<F, Fut>(
    local: &AwsTestStack,
    worker: &WorkerState,
    timeout: Duration,
    done: F,
) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    drain_lane_until(local, worker, Lane::Live, timeout, done).await
}

/// [`drain_until`] on `lane`.
async fn drain_lane_until<F, Fut>(
    local: &AwsTestStack,
    worker: &WorkerState,
    lane: Lane,
    timeout: Duration,
    mut done: F,
) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let event = local.receive_event(lane).await;
        if !event.records.is_empty() {
            let (response, _) = run_batch(worker, &event).await;
            local.settle(lane, &event, &response).await;
        }
        if done().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        if event.records.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn text(record: &Record, path: &str) -> Option<String> {
    record
        .value(path)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

#[tokio::test]
async fn aws_stack_syncs_a_contact_both_ways_through_webhooks_sqs_and_the_worker() {
    let Some(endpoint) =
        moto_endpoint("aws_stack_syncs_a_contact_both_ways_through_webhooks_sqs_and_the_worker")
    else {
        return;
    };
    let local = start_aws_test_stack(&endpoint).await;
    let worker = WorkerState::new(local.stack.clone());
    let pair = gateways(&local).await;
    pair.hubspot
        .ensure_schema(&[ObjectKind::Contact])
        .await
        .expect("HubSpot properties");

    // 1. HQSync's own write comes back as a webhook and is dropped: the app secret carries the
    //    sandbox's app id (hubspot.app_id), so the handler ignores events our app caused.
    let values = BTreeMap::from([
        ("email".to_owned(), json!("ada@example.com")),
        ("firstname".to_owned(), json!("Ada")),
        ("lastname".to_owned(), json!("Byron")),
    ]);
    let created = pair
        .hubspot
        .create(
            ObjectKind::Contact,
            vec![CreateRequest {
                idempotency_key: uuid::Uuid::new_v4().to_string(),
                values,
            }],
        )
        .await
        .expect("create in HubSpot")
        .remove(0)
        .expect("contact created");
    let hooks = local.hubspot.webhooks();
    assert!(hooks.wait_idle(Duration::from_secs(15)).await);
    let counters = hooks.counters();
    assert!(counters.delivered_events >= 1, "{counters:?}");
    assert_eq!(counters.failed_attempts, 0, "{counters:?}");
    assert_eq!(
        local.stack.queue.pending(Lane::Live).await.unwrap(),
        0,
        "our own write's webhook was queued"
    );

    // 2. A person edits that contact in HubSpot: the sandbox's webhook reaches the handler,
    //    which queues a job; the worker creates the QBO customer and links the pair.
    let edited = reqwest::Client::new()
        .patch(format!(
            "{}/crm/v3/objects/contacts/{}",
            local.hubspot.base_url(),
            created.id
        ))
        .bearer_auth(&local.hubspot.config().dev_token)
        .header(ACTOR_HEADER, "user:7")
        .json(&json!({"properties": {"lastname": "Lovelace"}}))
        .send()
        .await
        .expect("a person's edit");
    assert_eq!(edited.status(), 200);
    assert!(
        local
            .wait_for_jobs(Lane::Live, 1, Duration::from_secs(15))
            .await,
        "the person's HubSpot edit never became a job on the live queue"
    );
    let linked = drain_until(&local, &worker, Duration::from_secs(30), || async {
        local
            .link_of(ObjectKind::Contact, Side::Hubspot, &created.id)
            .await
            .is_some()
    })
    .await;
    assert!(linked, "the worker did not link the new contact");
    let link = local
        .link_of(ObjectKind::Contact, Side::Hubspot, &created.id)
        .await
        .unwrap();
    let customer = pair
        .quickbooks
        .read(ObjectKind::Contact, std::slice::from_ref(&link.qbo_id))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        text(&customer, "PrimaryEmailAddr.Address").as_deref(),
        Some("ada@example.com")
    );
    assert_eq!(text(&customer, "GivenName").as_deref(), Some("Ada"));
    assert_eq!(text(&customer, "FamilyName").as_deref(), Some("Lovelace"));

    // 3. The customer is edited in QBO: Intuit's webhook, the QBO handler, SQS, the worker,
    //    and HubSpot shows the new name. A person edits a second or more after our write:
    //    QBO's LastUpdatedTime has whole seconds, and a change stamped no later than our own
    //    write is taken for its echo (a same-second edit waits for the next poll,
    //    docs/architecture.md §14).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    pair.quickbooks
        .update(
            ObjectKind::Contact,
            vec![UpdateRequest {
                id: customer.id.clone(),
                expected_version: customer.version.clone(),
                values: BTreeMap::from([("GivenName".to_owned(), json!("Adaline"))]),
            }],
        )
        .await
        .expect("update in QBO")
        .remove(0)
        .expect("customer updated");
    let synced_back = drain_until(&local, &worker, Duration::from_secs(30), || async {
        let contact = pair
            .hubspot
            .read(ObjectKind::Contact, std::slice::from_ref(&created.id))
            .await
            .unwrap();
        contact
            .first()
            .and_then(|c| text(c, "firstname"))
            .as_deref()
            == Some("Adaline")
    })
    .await;
    assert!(synced_back, "the QBO edit did not reach HubSpot");

    // Outcomes and API calls were counted for the EMF metrics; the history is in DynamoDB.
    let metrics = &local.stack.metrics;
    assert!(
        metrics.count(
            MetricName::RecordsSynced,
            &[("Kind", "contact"), ("Direction", "to_quickbooks")]
        ) + metrics.count(
            MetricName::RecordsSynced,
            &[("Kind", "contact"), ("Direction", "to_hubspot")]
        ) >= 2.0
    );
    assert!(metrics.count(MetricName::ApiCalls, &[("Vendor", "hubspot")]) > 0.0);
    assert!(metrics.count(MetricName::ApiCalls, &[("Vendor", "quickbooks")]) > 0.0);
    assert!(metrics.count(MetricName::SyncLag, &[]) >= 2.0);
    let log = local
        .stack
        .store
        .recent_log(&local.connection, 50)
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|e| e.id == created.id || e.id == link.qbo_id)
    );
    local.shutdown().await;
}

fn request(path: &str, headers: &[(&str, String)], body: Vec<u8>) -> lambda_http::Request {
    let mut builder = lambda_http::http::Request::builder()
        .method("POST")
        .uri(format!(
            "https://abc.execute-api.us-east-1.amazonaws.com{path}"
        ));
    for (name, value) in headers {
        builder = builder.header(*name, value.as_str());
    }
    builder.body(lambda_http::Body::Binary(body)).unwrap()
}

fn status_and_body(response: lambda_http::Response<lambda_http::Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn aws_webhook_handlers_answer_401_400_413_and_200_for_unknown_tenants() {
    let Some(endpoint) =
        moto_endpoint("aws_webhook_handlers_answer_401_400_413_and_200_for_unknown_tenants")
    else {
        return;
    };
    let local = start_aws_test_stack(&endpoint).await;
    let hubspot = HubspotWebhookState {
        stack: local.stack.clone(),
    };
    let quickbooks = QuickbooksWebhookState {
        stack: local.stack.clone(),
    };
    let secret = SecretString::from(local.hubspot.config().client_secret.clone());
    let url = format!("{}{HUBSPOT_PATH}", local.front_url);
    let signed = |body: &[u8]| {
        let timestamp = chrono::Utc::now().timestamp_millis().to_string();
        vec![
            (HEADER_V3, sign_v3(&secret, "POST", &url, body, &timestamp)),
            (HEADER_TIMESTAMP, timestamp),
            ("content-type", "application/json".to_owned()),
        ]
    };

    // A forged signature.
    let body = br#"[{"eventId":1,"subscriptionId":2,"portalId":62515,"occurredAt":1,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":5}]"#.to_vec();
    let mut forged = signed(&body);
    forged[0].1 = "AAAA".to_owned();
    let (status, answer) = status_and_body(
        hqsync_hubspot_webhook::handle(&hubspot, request(HUBSPOT_PATH, &forged, body.clone()))
            .await,
    );
    assert_eq!(status, 401, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("signature"));

    // Signed, but not HubSpot's event array.
    let junk = b"this is not json".to_vec();
    let (status, answer) = status_and_body(
        hqsync_hubspot_webhook::handle(
            &hubspot,
            request(HUBSPOT_PATH, &signed(&junk), junk.clone()),
        )
        .await,
    );
    assert_eq!(status, 400, "{answer}");
    assert!(!answer["error"].as_str().unwrap().is_empty());

    // Over 1 MB: refused before anything else.
    let huge = vec![b' '; 1024 * 1024 + 1];
    let (status, _) = status_and_body(
        hqsync_hubspot_webhook::handle(
            &hubspot,
            request(HUBSPOT_PATH, &signed(&huge), huge.clone()),
        )
        .await,
    );
    assert_eq!(status, 413);

    // A portal no connection belongs to: accepted (200) and ignored.
    let other_portal = body
        .iter()
        .map(|b| *b as char)
        .collect::<String>()
        .replace("62515", "999")
        .into_bytes();
    let (status, answer) = status_and_body(
        hqsync_hubspot_webhook::handle(
            &hubspot,
            request(HUBSPOT_PATH, &signed(&other_portal), other_portal.clone()),
        )
        .await,
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["jobs"], 0);

    // The connected portal: one job on the live queue.
    let portal = local.hubspot.config().portal_id.to_string();
    let ours = String::from_utf8(body.clone())
        .unwrap()
        .replace("62515", &portal)
        .into_bytes();
    let (status, answer) = status_and_body(
        hqsync_hubspot_webhook::handle(
            &hubspot,
            request(HUBSPOT_PATH, &signed(&ours), ours.clone()),
        )
        .await,
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["jobs"], 1);

    // QuickBooks: a bad intuit-signature is 401; an unknown realm is 200 with no jobs.
    let verifier = SecretString::from(local.quickbooks.config().verifier_token.clone());
    let cloud_event = |realm: &str| {
        json!([{"specversion": "1.0", "id": uuid::Uuid::new_v4().to_string(),
            "source": "intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=",
            "type": "qbo.customer.updated.v1", "datacontenttype": "application/json",
            "time": "2026-11-27T10:00:00Z", "intuitentityid": "58", "intuitaccountid": realm,
            "data": {}}])
        .to_string()
        .into_bytes()
    };
    let unknown = cloud_event("4620816365000000000");
    let headers = |body: &[u8], signature: Option<String>| {
        vec![
            (
                SIGNATURE_HEADER,
                signature.unwrap_or_else(|| sign(&verifier, body)),
            ),
            (
                "content-type",
                "application/cloudevents-batch+json".to_owned(),
            ),
        ]
    };
    let (status, _) = status_and_body(
        hqsync_quickbooks_webhook::handle(
            &quickbooks,
            request(
                QUICKBOOKS_PATH,
                &headers(&unknown, Some("bm90IGl0".to_owned())),
                unknown.clone(),
            ),
        )
        .await,
    );
    assert_eq!(status, 401);
    let (status, answer) = status_and_body(
        hqsync_quickbooks_webhook::handle(
            &quickbooks,
            request(QUICKBOOKS_PATH, &headers(&unknown, None), unknown.clone()),
        )
        .await,
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["jobs"], 0);
    assert_eq!(
        local.stack.queue.pending(Lane::Live).await.unwrap(),
        1,
        "only the connected portal's event was queued"
    );
    local.shutdown().await;
}

#[tokio::test]
async fn aws_worker_hands_back_paused_jobs_and_dead_letters_poison_and_exhausted_ones() {
    let Some(endpoint) = moto_endpoint(
        "aws_worker_hands_back_paused_jobs_and_dead_letters_poison_and_exhausted_ones",
    ) else {
        return;
    };
    let local = start_aws_test_stack(&endpoint).await;
    let worker = WorkerState::new(local.stack.clone());
    let store = &local.stack.store;
    let mut record = store
        .get_connection(&local.connection)
        .await
        .unwrap()
        .unwrap();
    record.status = ConnectionStatus::Paused;
    store.put_connection(&record).await.unwrap();

    let job = Job::new(
        local.connection.clone(),
        ObjectKind::Contact,
        Side::Hubspot,
        "101",
        JobReason::Webhook,
        chrono::Utc::now(),
    );
    local
        .stack
        .queue
        .enqueue(Lane::Live, vec![job.clone()], None)
        .await
        .unwrap();
    local
        .sqs
        .send_message()
        .queue_url(&local.config.live_queue_url)
        .message_body("this is not a job")
        .send()
        .await
        .unwrap();

    let event = local.receive_event(Lane::Live).await;
    assert_eq!(event.records.len(), 2);
    let (response, summary) = run_batch(&worker, &event).await;
    local.settle(Lane::Live, &event, &response).await;
    // The paused connection's job goes back (a failed item, visible again after the delay);
    // the unreadable one is dead-lettered with its reason and deleted.
    assert_eq!(summary.returned, 1);
    assert_eq!(summary.dead_lettered, 1);
    assert_eq!(response.batch_item_failures.len(), 1);
    let returned_id = &response.batch_item_failures[0].item_identifier;
    let job_record = event
        .records
        .iter()
        .find(|r| r.message_id.as_ref() == Some(returned_id))
        .unwrap();
    assert_eq!(
        job_record.body.as_deref(),
        Some(&*hqsync::adapters::sqs::job_body(&job).unwrap())
    );
    let letters = local
        .stack
        .queue
        .peek_dead_letters(Lane::Live, 10, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].body, "this is not a job");
    assert!(
        letters[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("not a job message")
    );
    // Handed back with the engine's delay, not the queue's visibility timeout: not visible now.
    assert!(local.receive_event(Lane::Live).await.records.is_empty());

    // On its last allowed receive a job that still cannot run is dead-lettered with the reason
    // instead of being returned once more.
    let mut last_try = event.clone();
    last_try
        .records
        .retain(|r| r.message_id.as_ref() == Some(returned_id));
    last_try.records[0]
        .attributes
        .insert("ApproximateReceiveCount".into(), "8".into());
    let (response, summary) = run_batch(&worker, &last_try).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(summary.dead_lettered, 1);
    let letters = local
        .stack
        .queue
        .peek_dead_letters(Lane::Live, 10, Duration::ZERO)
        .await
        .unwrap();
    let exhausted = letters
        .iter()
        .find(|l| l.body != "this is not a job")
        .expect("the exhausted job in the DLQ");
    let reason = exhausted.reason.as_deref().unwrap();
    assert!(reason.contains("gave up after 8 receives"), "{reason}");
    assert!(reason.contains("Paused"), "{reason}");
    local.shutdown().await;
}

#[tokio::test]
async fn aws_poller_finds_changes_webhooks_missed_and_the_sweep_pairs_existing_records() {
    let Some(endpoint) = moto_endpoint(
        "aws_poller_finds_changes_webhooks_missed_and_the_sweep_pairs_existing_records",
    ) else {
        return;
    };
    let local = start_aws_test_stack(&endpoint).await;
    let poller = PollerState::new(local.stack.clone());
    let pair = gateways(&local).await;
    pair.hubspot
        .ensure_schema(&[ObjectKind::Contact])
        .await
        .unwrap();

    assert!(matches!(
        hqsync_poller::handle(&poller, json!({"mode": "backfill"})).await,
        Err(PollerError::Input(_))
    ));
    // The first poll only sets the watermarks (the past is the sweep's job).
    let first = hqsync_poller::handle(&poller, json!({"mode": "poll"}))
        .await
        .unwrap();
    assert_eq!(first.connections, 1);
    assert_eq!(first.jobs, 0);
    assert!(first.failures.is_empty(), "{:?}", first.failures);

    // The same person appears on both sides (as if a webhook had been lost).
    let hubspot_contact = pair
        .hubspot
        .create(
            ObjectKind::Contact,
            vec![CreateRequest {
                idempotency_key: uuid::Uuid::new_v4().to_string(),
                values: BTreeMap::from([
                    ("email".to_owned(), json!("marlo.tenpenny@example.com")),
                    ("firstname".to_owned(), json!("Marlo")),
                    ("lastname".to_owned(), json!("Tenpenny")),
                ]),
            }],
        )
        .await
        .unwrap()
        .remove(0)
        .unwrap();
    let qbo_customer = pair
        .quickbooks
        .create(
            ObjectKind::Contact,
            vec![CreateRequest {
                idempotency_key: uuid::Uuid::new_v4().to_string(),
                values: BTreeMap::from([
                    (
                        "PrimaryEmailAddr.Address".to_owned(),
                        json!("marlo.tenpenny@example.com"),
                    ),
                    ("GivenName".to_owned(), json!("Marlo")),
                    ("FamilyName".to_owned(), json!("Tenpenny")),
                    ("DisplayName".to_owned(), json!("Marlo Tenpenny")),
                ]),
            }],
        )
        .await
        .unwrap()
        .remove(0)
        .unwrap();
    let second = hqsync_poller::handle(&poller, json!({"mode": "poll"}))
        .await
        .unwrap();
    assert!(
        second.jobs >= 2,
        "the poll should queue both changed records: {second:?}"
    );

    // The sweep queues one job for the connection on the bulk queue; the worker runs it (a
    // sweep run, page by page) and pairs them by e-mail instead of creating duplicates.
    let swept = hqsync_poller::handle(&poller, json!({"mode": "sweep"}))
        .await
        .unwrap();
    assert!(swept.failures.is_empty(), "{:?}", swept.failures);
    assert_eq!(
        swept.jobs, 1,
        "one sweep job per active connection: {swept:?}"
    );
    let worker = WorkerState::new(local.stack.clone());
    let paired = drain_lane_until(
        &local,
        &worker,
        Lane::Bulk,
        Duration::from_secs(60),
        || async {
            local
                .link_of(ObjectKind::Contact, Side::Hubspot, &hubspot_contact.id)
                .await
                .is_some()
        },
    )
    .await;
    assert!(paired, "the sweep job's run linked the pair");
    let link = local
        .link_of(ObjectKind::Contact, Side::Hubspot, &hubspot_contact.id)
        .await
        .expect("the sweep linked the pair");
    assert_eq!(link.qbo_id, qbo_customer.id);
    let customers = pair
        .quickbooks
        .find_by_field(
            ObjectKind::Contact,
            "PrimaryEmailAddr.Address",
            &["marlo.tenpenny@example.com".to_owned()],
        )
        .await
        .unwrap();
    assert_eq!(customers.len(), 1, "no duplicate customer");

    // The next day's sweep finds the pair as its link left it on both sides (the versions the
    // real clients read back equal the ones stored after the writes): counted unchanged, no
    // record job for it.
    let store = local.stack.store.clone();
    let connection = local.connection.clone();
    let run_done = |previous: Option<String>| {
        let store = store.clone();
        let connection = connection.clone();
        move || {
            let store = store.clone();
            let connection = connection.clone();
            let previous = previous.clone();
            async move {
                store
                    .get_initial_sync(&connection)
                    .await
                    .unwrap()
                    .is_some_and(|run| {
                        Some(&run.id) != previous.as_ref()
                            && hqsync::engine::jobs::backfill::run_state(&run)
                                == hqsync::engine::jobs::backfill::RunState::Done
                    })
            }
        }
    };
    assert!(
        drain_lane_until(
            &local,
            &worker,
            Lane::Bulk,
            Duration::from_secs(60),
            run_done(None)
        )
        .await,
        "the first sweep run finished"
    );
    let first_run = store.get_initial_sync(&connection).await.unwrap().unwrap();
    hqsync_poller::handle(&poller, json!({"mode": "sweep"}))
        .await
        .unwrap();
    assert!(
        drain_lane_until(
            &local,
            &worker,
            Lane::Bulk,
            Duration::from_secs(60),
            run_done(Some(first_run.id.clone()))
        )
        .await,
        "the second sweep run finished"
    );
    let second_run = store.get_initial_sync(&connection).await.unwrap().unwrap();
    let contacts = second_run.kinds[&ObjectKind::Contact];
    assert!(
        contacts.unchanged >= 2,
        "the linked pair is unchanged from both listings: {contacts:?}"
    );
    assert_eq!(
        contacts.queued + contacts.unchanged,
        contacts.listed,
        "{contacts:?}"
    );
    local.shutdown().await;
}

/// The workflow-action Lambda: a signed execution is answered `BLOCK` with exactly one
/// action job on the live queue; a forged one is 401 with nothing queued. The worker handler
/// then runs that job from SQS against the sandboxes: one QBO invoice, the callback completed.
#[tokio::test]
async fn aws_workflow_action_queues_one_action_job_which_the_worker_completes() {
    use hqsync::hubspot::associations::type_ids;
    use hqsync::hubspot::{CreateInput, HubspotClient, InlineAssociation, ObjectType};
    use hqsync::quickbooks::entities::Invoice;
    use hqsync::quickbooks::{QboClient, QboEnvironment, Query, RealmId};
    use hqsync_workflow_action::{WorkflowActionState, handle};

    const ACTION_PATH: &str = "/hubspot/actions/create-invoice";
    let Some(endpoint) =
        moto_endpoint("aws_workflow_action_queues_one_action_job_which_the_worker_completes")
    else {
        return;
    };
    let local = start_aws_test_stack(&endpoint).await;
    let action = WorkflowActionState {
        stack: local.stack.clone(),
    };
    let worker = WorkerState::new(local.stack.clone());
    gateways(&local)
        .await
        .hubspot
        .ensure_schema(&[ObjectKind::Contact, ObjectKind::Product])
        .await
        .expect("HubSpot properties");
    // The deal, written with the app's own token: its webhooks are our app's, so dropped.
    let hubspot =
        HubspotClient::builder(SecretString::from(local.hubspot.config().dev_token.clone()))
            .base_url(local.hubspot.base_url())
            .build()
            .unwrap();
    let create = |kind, pairs: &[(&str, &str)], assoc: Vec<InlineAssociation>| {
        let mut input = CreateInput::new(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        );
        input.associations = assoc;
        let hubspot = hubspot.clone();
        async move { hubspot.create_object(kind, &input).await.unwrap().id }
    };
    let contact = create(
        ObjectType::Contacts,
        &[("email", "lambda.buyer@example.com"), ("firstname", "Lam")],
        vec![],
    )
    .await;
    let product = create(
        ObjectType::Products,
        &[("name", "Lambda widget"), ("price", "40")],
        vec![],
    )
    .await;
    let deal = create(
        ObjectType::Deals,
        &[
            ("dealname", "Lambda deal"),
            ("dealstage", "appointmentscheduled"),
            ("pipeline", "default"),
        ],
        vec![InlineAssociation::to(&contact, type_ids::DEAL_TO_CONTACT)],
    )
    .await;
    create(
        ObjectType::LineItems,
        &[
            ("name", "Widget"),
            ("hs_product_id", &product),
            ("quantity", "3"),
            ("price", "40"),
        ],
        vec![InlineAssociation::to(&deal, type_ids::LINE_ITEM_TO_DEAL)],
    )
    .await;
    assert!(
        local
            .hubspot
            .webhooks()
            .wait_idle(Duration::from_secs(15))
            .await
    );
    assert_eq!(local.stack.queue.pending(Lane::Live).await.unwrap(), 0);

    let secret = SecretString::from(local.hubspot.config().client_secret.clone());
    let url = format!("{}{ACTION_PATH}", local.front_url);
    let body = json!({
        "callbackId": "lambda-cb-1",
        "origin": {"portalId": local.hubspot.config().portal_id},
        "object": {"objectId": deal.parse::<u64>().unwrap(), "objectType": "DEAL"},
        "inputFields": {"due_in_days": "30"}
    })
    .to_string()
    .into_bytes();
    let timestamp = chrono::Utc::now().timestamp_millis().to_string();
    let mut headers = vec![
        (HEADER_V3, sign_v3(&secret, "POST", &url, &body, &timestamp)),
        (HEADER_TIMESTAMP, timestamp),
        ("content-type", "application/json".to_owned()),
    ];

    // Forged: 401, nothing queued.
    let good_signature = std::mem::replace(&mut headers[0].1, "AAAA".to_owned());
    let (status, answer) =
        status_and_body(handle(&action, request(ACTION_PATH, &headers, body.clone())).await);
    assert_eq!(status, 401, "{answer}");
    assert_eq!(local.stack.queue.pending(Lane::Live).await.unwrap(), 0);

    // Signed: BLOCK, and exactly one action job for the deal with the callback id.
    headers[0].1 = good_signature;
    let (status, answer) =
        status_and_body(handle(&action, request(ACTION_PATH, &headers, body.clone())).await);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["outputFields"]["hs_execution_state"], "BLOCK");
    assert!(
        local
            .wait_for_jobs(Lane::Live, 1, Duration::from_secs(10))
            .await
    );
    let event = local.receive_event(Lane::Live).await;
    let jobs: Vec<Job> = event
        .records
        .iter()
        .map(|r| serde_json::from_str(r.body.as_deref().unwrap()).unwrap())
        .collect();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let job = &jobs[0];
    assert_eq!((job.kind, job.side), (ObjectKind::Invoice, Side::Hubspot));
    assert_eq!(job.id, deal);
    assert_eq!(job.connection, local.connection);
    assert_eq!(
        job.action.as_ref().map(|a| a.callback_id.as_str()),
        Some("lambda-cb-1")
    );

    // The worker Lambda runs it: one QBO invoice, the callback completed with SUCCESS.
    let (response, _) = run_batch(&worker, &event).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    local.settle(Lane::Live, &event, &response).await;
    let callbacks = local.hubspot.action_callbacks();
    assert_eq!(callbacks.len(), 1, "{callbacks:?}");
    assert_eq!(callbacks[0].0, "lambda-cb-1");
    let fields = &callbacks[0].1["outputFields"];
    assert_eq!(fields["hs_execution_state"], "SUCCESS", "{fields}");
    let qbo = QboClient::new(
        &QboEnvironment::Custom(reqwest::Url::parse(&local.quickbooks.base_url()).unwrap()),
        RealmId::new(local.quickbooks.config().realm_id.clone()).unwrap(),
        SecretString::from(local.quickbooks.config().dev_token.clone()),
    )
    .unwrap();
    let invoices = qbo
        .query_all::<Invoice>(Query::select("Invoice"))
        .await
        .unwrap();
    assert_eq!(invoices.len(), 1);
    assert_eq!(fields["qbo_invoice_id"].as_str(), invoices[0].id.as_deref());
    let status = local
        .stack
        .store
        .get_status(&local.connection, ObjectKind::Invoice, Side::Hubspot, &deal)
        .await
        .unwrap()
        .expect("the action's status in DynamoDB");
    assert_eq!(status.counterpart_id, invoices[0].id);
    local.shutdown().await;
}
