//! `HubspotClient::ensure_properties` against the HubSpot sandbox (docs/hubspot.md §4): one list,
//! then the missing properties in one batch create when two or more are missing, a single
//! create for one, and nothing when all exist.

use hqsync::hubspot::{HubspotClient, ObjectType, PropertyDefinition};
use hqsync_sandbox::hubspot::HubspotSandbox;
use hqsync_tests::hubspot::start_default_hubspot_sandbox;
use secrecy::SecretString;
use serde_json::Value;

const LIST: &str = "/crm/properties/2026-03/{object_type}";
const BATCH: &str = "/crm/properties/2026-03/{object_type}/batch/create";

fn client_for(sandbox: &HubspotSandbox) -> HubspotClient {
    HubspotClient::builder(SecretString::from(sandbox.config().dev_token.clone()))
        .base_url(sandbox.base_url())
        .build()
        .unwrap()
}

/// Requests the sandbox counted for `method` on the route pattern `pattern`.
async fn requests_to(sandbox: &HubspotSandbox, method: &str, pattern: &str) -> u64 {
    let stats: Value = reqwest::get(format!("{}/_sandbox/stats", sandbox.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    stats["routes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == method && r["path"] == pattern)
        .map(|r| r["count"].as_u64().unwrap_or(0))
        .sum()
}

fn text(name: &str) -> PropertyDefinition {
    PropertyDefinition::text(name, name, "dealinformation")
}

#[tokio::test]
async fn missing_properties_are_created_in_one_batch_and_present_ones_cost_the_list_only() {
    let sandbox = start_default_hubspot_sandbox().await;
    let client = client_for(&sandbox);
    let first = [text("qbo_batch_a")];
    let report = client
        .ensure_properties(ObjectType::Deals, &first)
        .await
        .unwrap();
    assert_eq!(report.created, ["qbo_batch_a"]);
    assert_eq!(
        requests_to(&sandbox, "POST", LIST).await,
        1,
        "one alone: a single create"
    );
    assert_eq!(requests_to(&sandbox, "POST", BATCH).await, 0);

    let wanted = [
        text("qbo_batch_a"),
        text("qbo_batch_b"),
        text("qbo_batch_c"),
    ];
    let report = client
        .ensure_properties(ObjectType::Deals, &wanted)
        .await
        .unwrap();
    assert_eq!(report.already_present, ["qbo_batch_a"]);
    assert_eq!(report.created, ["qbo_batch_b", "qbo_batch_c"]);
    assert_eq!(
        requests_to(&sandbox, "POST", BATCH).await,
        1,
        "two missing: one batch"
    );
    assert_eq!(
        requests_to(&sandbox, "POST", LIST).await,
        1,
        "no single create"
    );
    for name in ["qbo_batch_b", "qbo_batch_c"] {
        let read = client.get_property(ObjectType::Deals, name).await.unwrap();
        assert_eq!(read.map(|p| p.kind), Some("string".to_owned()), "{name}");
    }

    let report = client
        .ensure_properties(ObjectType::Deals, &wanted)
        .await
        .unwrap();
    assert!(report.created.is_empty(), "{report:?}");
    assert_eq!(report.already_present.len(), 3);
    assert_eq!(
        requests_to(&sandbox, "GET", LIST).await,
        3,
        "one list per ensure"
    );
    assert_eq!(
        requests_to(&sandbox, "POST", BATCH).await,
        1,
        "nothing created again"
    );
}
