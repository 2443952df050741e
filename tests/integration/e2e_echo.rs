//! Echo filtering end to end: the local stack's webhook server, given the sandbox's HubSpot
//! app id, drops webhooks caused by our own app's writes and still queues people's edits.

use std::time::Duration;

use hqsync::local::webhook_server::HUBSPOT_WEBHOOK_PATH;
use hqsync::local::{
    LOCAL_CONNECTION_ID, LocalSandboxAccounts, LocalStack, StateLocation, VendorEndpoints,
};
use hqsync::model::{ConnectionId, ConnectionSettings, ObjectKind, Side};
use hqsync::ports::Lane;
use hqsync_sandbox::hubspot::{ACTOR_HEADER, HubspotSandbox, HubspotSandboxConfig};
use hqsync_tests::hubspot::start_hubspot_sandbox;
use secrecy::SecretString;
use serde_json::{Value, json};

/// A bound on waiting for the sandbox to deliver (not a timing assertion).
const DELIVERY_BOUND: Duration = Duration::from_secs(30);

/// Creates a contact on the sandbox as our app (no actor header) or as a person editing in
/// the UI (`user:<id>`); returns its id.
async fn create_contact(sandbox: &HubspotSandbox, email: &str, user: Option<&str>) -> String {
    let mut request = reqwest::Client::new()
        .post(format!("{}/crm/v3/objects/contacts", sandbox.base_url()))
        .bearer_auth(&sandbox.config().dev_token)
        .json(&json!({"properties": {"email": email}}));
    if let Some(user) = user {
        request = request.header(ACTOR_HEADER, format!("user:{user}"));
    }
    let response = request.send().await.expect("create call");
    assert_eq!(response.status(), 201, "contact created");
    let body: Value = response.json().await.expect("created body");
    body["id"].as_str().expect("id").to_owned()
}

/// Runs a stack (webhook server only, no worker, so jobs stay queued) against a HubSpot
/// sandbox; `filter_echoes` gives it the sandbox's app id. Creates one contact as our app and
/// one as a person, waits for every delivery, and returns both ids and the queued jobs' ids.
async fn queued_after_app_and_user_writes(filter_echoes: bool) -> (String, String, Vec<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the webhook port");
    let webhook_base = format!("http://{}", listener.local_addr().unwrap());
    let sandbox = start_hubspot_sandbox(HubspotSandboxConfig {
        search_index_delay: Duration::ZERO,
        webhook_delay: Duration::from_millis(50),
        webhook_url: Some(format!("{webhook_base}{HUBSPOT_WEBHOOK_PATH}")),
        ..HubspotSandboxConfig::default()
    })
    .await;
    let config = sandbox.config().clone();
    let mut endpoints = VendorEndpoints::local(LocalSandboxAccounts {
        hubspot_base_url: sandbox.base_url(),
        portal_id: config.portal_id.to_string(),
        hubspot_token: SecretString::from(config.dev_token.clone()),
        hubspot_client_secret: SecretString::from(config.client_secret.clone()),
        // No QuickBooks calls happen here: nothing runs the jobs.
        quickbooks_base_url: "http://127.0.0.1:9".into(),
        realm_id: "9130350000000001".into(),
        quickbooks_token: SecretString::from("unused"),
        quickbooks_verifier_token: SecretString::from("unused"),
    })
    .expect("endpoints");
    if filter_echoes {
        endpoints = endpoints.with_hubspot_app_id(config.app_id.to_string());
    }
    let mut stack = LocalStack::open(
        ConnectionId::new(LOCAL_CONNECTION_ID).unwrap(),
        endpoints,
        ConnectionSettings::default(),
        &StateLocation::Memory,
    )
    .await
    .expect("open the local stack");
    stack
        .serve_webhooks(listener, webhook_base)
        .expect("serve webhooks");

    let ours = create_contact(&sandbox, "ours@echo.example", None).await;
    let theirs = create_contact(&sandbox, "theirs@echo.example", Some("7")).await;
    let hooks = sandbox.webhooks();
    assert!(hooks.wait_idle(DELIVERY_BOUND).await, "deliveries settle");
    let counters = hooks.counters();
    // Both contacts' events reached the server and were accepted (a refused delivery would
    // also leave no job, which would make the assertions below prove nothing).
    assert!(counters.delivered_events >= 2, "{counters:?}");
    assert_eq!(counters.failed_attempts, 0, "{counters:?}");

    let queue = stack.ctx.queue.clone();
    let jobs = queue.receive(Lane::Live, 100).await.expect("receive");
    let mut ids: Vec<String> = jobs
        .iter()
        .inspect(|d| {
            assert_eq!(d.job.kind, ObjectKind::Contact);
            assert_eq!(d.job.side, Side::Hubspot);
        })
        .map(|d| d.job.id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    stack.shutdown().await;
    sandbox.shutdown().await;
    (ours, theirs, ids)
}

#[tokio::test]
async fn our_own_writes_webhooks_are_dropped_and_a_persons_edit_still_becomes_a_job() {
    let (ours, theirs, queued) = queued_after_app_and_user_writes(true).await;
    assert_eq!(
        queued,
        vec![theirs],
        "only the person's contact is queued (ours: {ours})"
    );
}

#[tokio::test]
async fn without_the_app_id_our_own_writes_come_back_as_jobs() {
    // The control for the test above: the same deliveries queue both contacts when the stack
    // does not know the app id, so the drop above is the filter's doing.
    let (ours, theirs, queued) = queued_after_app_and_user_writes(false).await;
    let mut expected = vec![ours, theirs];
    expected.sort();
    assert_eq!(queued, expected);
}
