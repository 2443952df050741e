//! The local cloud (`hqsync dev --aws-endpoint`) end to end: moto provisioned by the runner, both
//! sandboxes' webhooks through its front, its own SQS loops driving the worker, no test hands.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use hqsync::engine::sync::GatewayPair;
use hqsync::model::{ConnectionId, ObjectKind, Record, Side};
use hqsync::ports::{Connections, JobQueue, Lane, Links, UpdateRequest};
use hqsync_aws::local_cloud::{
    HEALTH_PATH, HUBSPOT_WEBHOOK_PATH, LambdaHandlers, LocalCloud, LocalCloudOptions,
    QUICKBOOKS_WEBHOOK_PATH, SandboxAccounts, StackFactory, start_local_cloud,
};
use hqsync_hubspot_webhook::HubspotWebhookState;
use hqsync_poller::PollerState;
use hqsync_quickbooks_webhook::QuickbooksWebhookState;
use hqsync_sandbox::hubspot::{ACTOR_HEADER, HubspotSandbox, HubspotSandboxConfig};
use hqsync_sandbox::quickbooks::{QuickbooksSandbox, QuickbooksSandboxConfig};
use hqsync_tests::aws_stack::unique;
use hqsync_tests::hubspot::start_hubspot_sandbox;
use hqsync_tests::quickbooks::start_quickbooks_sandbox;
use hqsync_worker::WorkerState;
use secrecy::SecretString;
use serde_json::{Value, json};

use super::aws_moto::moto_endpoint;

/// The four functions over the handler crates, as `hqsync dev --aws-endpoint` wires them
/// (cli/src/commands/dev_aws.rs; the CLI is a binary crate, so it cannot be shared from there).
struct InProcessLambdas {
    hubspot: HubspotWebhookState,
    quickbooks: QuickbooksWebhookState,
    worker: WorkerState,
    poller: PollerState,
}

impl InProcessLambdas {
    fn new(stacks: &StackFactory) -> Self {
        InProcessLambdas {
            hubspot: HubspotWebhookState {
                stack: stacks.stack(),
            },
            quickbooks: QuickbooksWebhookState {
                stack: stacks.stack(),
            },
            worker: WorkerState::new(stacks.stack()),
            poller: PollerState::new(stacks.stack()),
        }
    }
}

#[async_trait]
impl LambdaHandlers for InProcessLambdas {
    async fn hubspot_webhook(
        &self,
        request: lambda_http::Request,
    ) -> lambda_http::Response<lambda_http::Body> {
        hqsync_hubspot_webhook::handle(&self.hubspot, request).await
    }

    async fn quickbooks_webhook(
        &self,
        request: lambda_http::Request,
    ) -> lambda_http::Response<lambda_http::Body> {
        hqsync_quickbooks_webhook::handle(&self.quickbooks, request).await
    }

    async fn worker(&self, event: SqsEvent) -> SqsBatchResponse {
        hqsync_worker::handle_batch(&self.worker, event).await
    }

    async fn poller(&self, event: Value) -> Result<String, String> {
        hqsync_poller::handle(&self.poller, event)
            .await
            .map(|summary| format!("{summary:?}"))
            .map_err(|e| e.to_string())
    }
}

struct Running {
    cloud: LocalCloud,
    hubspot: HubspotSandbox,
    quickbooks: QuickbooksSandbox,
    connection: ConnectionId,
}

async fn start(endpoint: String) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the local cloud's front");
    let front = format!("http://{}", listener.local_addr().unwrap());
    let hubspot = start_hubspot_sandbox(HubspotSandboxConfig {
        search_index_delay: Duration::ZERO,
        webhook_delay: Duration::from_millis(100),
        webhook_url: Some(format!("{front}{HUBSPOT_WEBHOOK_PATH}")),
        ..HubspotSandboxConfig::default()
    })
    .await;
    let quickbooks = start_quickbooks_sandbox(QuickbooksSandboxConfig {
        webhook_url: Some(format!("{front}{QUICKBOOKS_WEBHOOK_PATH}")),
        webhook_delay_ms: 100,
        ..QuickbooksSandboxConfig::default()
    })
    .await;
    let hs = hubspot.config();
    let qb = quickbooks.config();
    let accounts = SandboxAccounts {
        hubspot_base_url: hubspot.base_url(),
        hubspot_portal_id: hs.portal_id.to_string(),
        hubspot_app_id: hs.app_id.to_string(),
        hubspot_client_id: hs.client_id.to_string(),
        hubspot_client_secret: SecretString::from(hs.client_secret.to_string()),
        hubspot_token: SecretString::from(hs.dev_token.to_string()),
        quickbooks_base_url: quickbooks.base_url(),
        quickbooks_realm_id: qb.realm_id.to_string(),
        quickbooks_client_id: qb.client_id.to_string(),
        quickbooks_client_secret: SecretString::from(qb.client_secret.to_string()),
        quickbooks_token: SecretString::from(qb.dev_token.to_string()),
        quickbooks_verifier_token: SecretString::from(qb.verifier_token.to_string()),
    };
    let connection = ConnectionId::new("local-cloud").unwrap();
    let cloud = start_local_cloud(
        listener,
        LocalCloudOptions {
            endpoint,
            name: unique("hqsync-lc"),
            connection: connection.clone(),
            accounts,
            // Only webhooks may carry the changes in this test: no poll during it.
            poll_interval: Duration::from_secs(3600),
        },
        InProcessLambdas::new,
    )
    .await
    .expect("start the local cloud");
    assert_eq!(cloud.public_base_url, front);
    Running {
        cloud,
        hubspot,
        quickbooks,
        connection,
    }
}

/// Polls `check` every 100 ms until it holds or `timeout` passes; returns whether it held.
async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn text(record: &Record, path: &str) -> Option<String> {
    record
        .value(path)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

async fn gateways(run: &Running) -> GatewayPair {
    let record = run
        .cloud
        .stack
        .store
        .get_connection(&run.connection)
        .await
        .unwrap()
        .expect("the runner stored the connection item");
    run.cloud
        .stack
        .sync_context()
        .gateways
        .gateways(&record)
        .await
        .expect("gateways from the runner's connection secret")
}

#[tokio::test]
async fn aws_local_cloud_syncs_a_user_created_contact_to_qbo_and_a_qbo_edit_back() {
    let Some(endpoint) =
        moto_endpoint("aws_local_cloud_syncs_a_user_created_contact_to_qbo_and_a_qbo_edit_back")
    else {
        return;
    };
    let run = start(endpoint).await;
    let http = reqwest::Client::new();
    let health = http
        .get(format!("{}{HEALTH_PATH}", run.cloud.public_base_url))
        .send()
        .await
        .expect("GET /healthz");
    assert_eq!(health.status(), 200);
    assert!(
        run.cloud.sweep_summary.contains("Sweep"),
        "the initial sweep did not run: {}",
        run.cloud.sweep_summary
    );

    // A person creates a contact in HubSpot: webhook -> front -> webhook Lambda -> SQS -> the
    // runner's loop -> worker Lambda -> QBO customer and a link in DynamoDB.
    let created: Value = http
        .post(format!(
            "{}/crm/v3/objects/contacts",
            run.hubspot.base_url()
        ))
        .bearer_auth(&run.hubspot.config().dev_token)
        .header(ACTOR_HEADER, "user:1")
        .json(&json!({"properties": {
            "email": "grace@example.com", "firstname": "Grace", "lastname": "Hopper"}}))
        .send()
        .await
        .expect("a person's create")
        .json()
        .await
        .expect("the created contact");
    let contact_id = created["id"].as_str().expect("contact id").to_owned();
    let store = &run.cloud.stack.store;
    let linked = eventually(Duration::from_secs(45), || async {
        store
            .get_link(
                &run.connection,
                ObjectKind::Contact,
                Side::Hubspot,
                &contact_id,
            )
            .await
            .expect("read a link")
            .is_some()
    })
    .await;
    assert!(linked, "the new contact was never linked in DynamoDB");
    let link = store
        .get_link(
            &run.connection,
            ObjectKind::Contact,
            Side::Hubspot,
            &contact_id,
        )
        .await
        .unwrap()
        .unwrap();
    let pair = gateways(&run).await;
    let customer = pair
        .quickbooks
        .read(ObjectKind::Contact, std::slice::from_ref(&link.qbo_id))
        .await
        .expect("read the QBO customer")
        .remove(0);
    assert_eq!(
        text(&customer, "PrimaryEmailAddr.Address").as_deref(),
        Some("grace@example.com")
    );
    assert_eq!(text(&customer, "FamilyName").as_deref(), Some("Hopper"));

    // The customer is edited in QBO: Intuit's webhook -> front -> QBO webhook Lambda -> SQS ->
    // worker -> HubSpot.
    pair.quickbooks
        .update(
            ObjectKind::Contact,
            vec![UpdateRequest {
                id: customer.id.clone(),
                expected_version: customer.version.clone(),
                values: BTreeMap::from([("GivenName".to_owned(), json!("Amazing Grace"))]),
            }],
        )
        .await
        .expect("update in QBO")
        .remove(0)
        .expect("customer updated");
    let synced_back = eventually(Duration::from_secs(45), || async {
        let contact = pair
            .hubspot
            .read(ObjectKind::Contact, std::slice::from_ref(&contact_id))
            .await
            .expect("read the HubSpot contact");
        contact
            .first()
            .and_then(|c| text(c, "firstname"))
            .as_deref()
            == Some("Amazing Grace")
    })
    .await;
    assert!(synced_back, "the QBO edit never reached HubSpot");

    // The runner deleted what the worker handled: the live queue drains.
    let queue = &run.cloud.stack.queue;
    let drained = eventually(Duration::from_secs(20), || async {
        queue.pending(Lane::Live).await.unwrap_or(usize::MAX) == 0
    })
    .await;
    assert!(drained, "handled messages stayed on the live queue");

    run.cloud.shutdown().await;
    run.hubspot.shutdown().await;
    run.quickbooks.shutdown().await;
}
