//! `QuickbooksGateway` multi-record writes through QBO `/batch` (docs/quickbooks.md §8) against
//! the sandbox: 30 per call, per-record faults in request order, replayed chunks, stale tokens.

use std::sync::Arc;

use hqsync::adapters::quickbooks_gateway::QuickbooksGateway;
use hqsync::model::{NativeValues, ObjectKind, Record};
use hqsync::ports::{
    CreateRequest, DeactivateRequest, RecordError, RecordErrorKind, RecordGateway, SystemClock,
    UpdateRequest,
};
use hqsync::quickbooks::{CompanyBudgets, QboClient, QboEnvironment, RealmId, RequestId};
use hqsync_tests::quickbooks::{QuickbooksSandbox, start_default_quickbooks_sandbox};
use secrecy::SecretString;
use serde_json::{Value, json};

const BATCH_ROUTE: &str = "/v3/company/{realm}/batch";
const ENTITY_ROUTE: &str = "/v3/company/{realm}/{entity}";

fn gateway(sandbox: &QuickbooksSandbox) -> QuickbooksGateway {
    let client = QboClient::new(
        &QboEnvironment::Custom(reqwest::Url::parse(&sandbox.base_url()).unwrap()),
        RealmId::new(sandbox.config().realm_id.clone()).unwrap(),
        SecretString::from(sandbox.config().dev_token.clone()),
    )
    .unwrap()
    .with_budgets(CompanyBudgets::real());
    QuickbooksGateway::new(client, Arc::new(SystemClock))
}

/// POSTs the sandbox served on `route` (a route pattern) so far.
async fn posts(sandbox: &QuickbooksSandbox, route: &str) -> u64 {
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
        .filter(|r| r["method"] == "POST" && r["path"] == route)
        .map(|r| r["count"].as_u64().unwrap())
        .sum()
}

fn customer(name: &str) -> CreateRequest {
    customer_values(name, &[("DisplayName", json!(name))])
}

fn customer_values(name: &str, pairs: &[(&str, Value)]) -> CreateRequest {
    CreateRequest {
        idempotency_key: RequestId::from_key(&["batch-test", name]).to_string(),
        values: values(pairs),
    }
}

fn values(pairs: &[(&str, Value)]) -> NativeValues {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn display_name(record: &Record) -> &str {
    record.value("DisplayName").and_then(Value::as_str).unwrap()
}

fn created(results: &[Result<Record, RecordError>]) -> Vec<Record> {
    results
        .iter()
        .map(|r| r.as_ref().expect("created").clone())
        .collect()
}

#[tokio::test]
async fn seventy_creates_take_three_batch_calls_and_keep_request_order() {
    let sandbox = start_default_quickbooks_sandbox().await;
    let gw = gateway(&sandbox);
    let names: Vec<String> = (0..70).map(|i| format!("Batch Customer {i:02}")).collect();
    let results = gw
        .create(
            ObjectKind::Contact,
            names.iter().map(|n| customer(n)).collect(),
        )
        .await
        .unwrap();
    let records = created(&results);
    assert_eq!(records.len(), 70);
    for (record, name) in records.iter().zip(&names) {
        assert_eq!(display_name(record), name, "results in request order");
        assert_eq!(record.version, "0");
    }
    let mut ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 70, "70 distinct customers");
    assert_eq!(posts(&sandbox, BATCH_ROUTE).await, 3, "30 + 30 + 10");
    assert_eq!(posts(&sandbox, ENTITY_ROUTE).await, 0, "no single creates");

    // One record keeps the single call (lowest latency for a live edit).
    let one = gw
        .create(ObjectKind::Contact, vec![customer("Live Edit")])
        .await
        .unwrap();
    assert_eq!(display_name(one[0].as_ref().unwrap()), "Live Edit");
    assert_eq!(posts(&sandbox, BATCH_ROUTE).await, 3);
    assert_eq!(posts(&sandbox, ENTITY_ROUTE).await, 1);
}

#[tokio::test]
async fn bad_records_fail_with_the_vendor_message_and_good_ones_are_created() {
    let sandbox = start_default_quickbooks_sandbox().await;
    let gw = gateway(&sandbox);
    gw.create(ObjectKind::Contact, vec![customer("Taken Name")])
        .await
        .unwrap()[0]
        .as_ref()
        .unwrap();
    let requests = vec![
        customer("Good One"),
        customer("taken name"),
        customer("Colon: Name"),
        customer(&"L".repeat(501)),
        customer_values(
            "Nested Clash",
            &[
                ("DisplayName", json!("Nested Clash")),
                ("BillAddr", json!("x")),
                ("BillAddr.City", json!("y")),
            ],
        ),
        customer("Good Two"),
    ];
    let more: Vec<CreateRequest> = (3..8).map(|i| customer(&format!("Good {i}"))).collect();
    let requests: Vec<CreateRequest> = requests.into_iter().chain(more).collect();
    let results = gw.create(ObjectKind::Contact, requests).await.unwrap();
    assert_eq!(results.len(), 11);
    for (i, result) in results[6..].iter().enumerate() {
        assert_eq!(
            display_name(result.as_ref().unwrap()),
            format!("Good {}", i + 3)
        );
    }
    assert_eq!(display_name(results[0].as_ref().unwrap()), "Good One");
    assert_eq!(display_name(results[5].as_ref().unwrap()), "Good Two");

    let duplicate = results[1].as_ref().unwrap_err();
    assert_eq!(duplicate.kind, RecordErrorKind::DuplicateName);
    assert_eq!(duplicate.code.as_deref(), Some("6240"));
    assert!(
        duplicate.message.contains("Duplicate Name Exists"),
        "{duplicate:?}"
    );
    assert!(duplicate.suggested_fix.is_some());

    let colon = results[2].as_ref().unwrap_err();
    assert_eq!(colon.kind, RecordErrorKind::Validation);
    assert_eq!(colon.code.as_deref(), Some("6000"));
    assert!(colon.message.contains("colon"), "{colon:?}");

    let long = results[3].as_ref().unwrap_err();
    assert_eq!(long.kind, RecordErrorKind::Validation);
    assert_eq!(long.code.as_deref(), Some("2050"));

    let clash = results[4].as_ref().unwrap_err();
    assert_eq!(clash.kind, RecordErrorKind::Validation);
    assert!(clash.message.contains("BillAddr"), "{clash:?}");

    assert_eq!(
        posts(&sandbox, BATCH_ROUTE).await,
        1,
        "ten records sent in one batch (the nested clash is refused before sending)"
    );
    let found = gw
        .find_by_field(
            ObjectKind::Contact,
            "DisplayName",
            &["Good One".into(), "Good Two".into(), "Nested Clash".into()],
        )
        .await
        .unwrap();
    assert_eq!(found.len(), 2, "only the good ones exist: {found:?}");
}

#[tokio::test]
async fn a_replayed_chunk_creates_no_duplicates_whatever_the_order() {
    let sandbox = start_default_quickbooks_sandbox().await;
    let gw = gateway(&sandbox);
    let requests: Vec<CreateRequest> = (0..35)
        .map(|i| customer(&format!("Replay Customer {i:02}")))
        .collect();
    let first = created(
        &gw.create(ObjectKind::Contact, requests.clone())
            .await
            .unwrap(),
    );
    let mut reversed = requests.clone();
    reversed.reverse();
    let again = created(&gw.create(ObjectKind::Contact, reversed).await.unwrap());
    for (record, original) in again.iter().rev().zip(&first) {
        assert_eq!(
            record.id, original.id,
            "replayed, mapped to the same record"
        );
        assert_eq!(display_name(record), display_name(original));
    }
    let listed = gw.list_page(ObjectKind::Contact, None).await.unwrap();
    assert_eq!(listed.records.len(), 35, "no duplicates");
    // Per call: one batch of 30 and five single creates (a tail below MIN_BATCH_ITEMS); the
    // retry's chunk was the same set, so QBO replayed it, and each single replayed its key.
    assert_eq!(posts(&sandbox, BATCH_ROUTE).await, 2);
    assert_eq!(posts(&sandbox, ENTITY_ROUTE).await, 10);
}

#[tokio::test]
async fn stale_sync_tokens_fail_per_record_and_deactivations_batch_too() {
    let sandbox = start_default_quickbooks_sandbox().await;
    let gw = gateway(&sandbox);
    let names: Vec<String> = (0..12).map(|i| format!("Upd {i:02}")).collect();
    let records = created(
        &gw.create(
            ObjectKind::Contact,
            names.iter().map(|n| customer(n)).collect(),
        )
        .await
        .unwrap(),
    );
    let update = |r: &Record, version: &str, city: &str| UpdateRequest {
        id: r.id.clone(),
        expected_version: version.into(),
        values: values(&[("BillAddr.City", json!(city))]),
    };
    let updates: Vec<UpdateRequest> = records
        .iter()
        .enumerate()
        .map(|(i, r)| update(r, if i == 1 { "7" } else { "0" }, &format!("City {i}")))
        .collect();
    let results = gw.update(ObjectKind::Contact, updates).await.unwrap();
    assert_eq!(
        posts(&sandbox, BATCH_ROUTE).await,
        2,
        "one create, one update"
    );
    let first = results[0].as_ref().unwrap();
    assert_eq!(
        (first.id.as_str(), first.version.as_str()),
        (records[0].id.as_str(), "1")
    );
    assert_eq!(first.value("BillAddr.City"), Some(&json!("City 0")));
    assert_eq!(
        first.value("DisplayName"),
        Some(&json!("Upd 00")),
        "sparse: other fields kept"
    );
    let stale = results[1].as_ref().unwrap_err();
    assert_eq!(stale.kind, RecordErrorKind::Stale);
    assert_eq!(stale.code.as_deref(), Some("5010"));
    assert!(stale.retryable);
    for (i, result) in results.iter().enumerate().skip(2) {
        let record = result.as_ref().unwrap();
        assert_eq!(record.id, records[i].id, "request order");
        assert_eq!(
            record.value("BillAddr.City"),
            Some(&json!(format!("City {i}")))
        );
    }

    let deactivations: Vec<DeactivateRequest> = records
        .iter()
        .enumerate()
        .take(10)
        .map(|(i, r)| DeactivateRequest {
            id: r.id.clone(),
            expected_version: if i == 1 { "5" } else { "1" }.into(),
        })
        .collect();
    let deactivated = gw
        .deactivate(ObjectKind::Contact, deactivations)
        .await
        .unwrap();
    assert!(deactivated[0].is_ok(), "{deactivated:?}");
    assert_eq!(
        deactivated[1].as_ref().unwrap_err().kind,
        RecordErrorKind::Stale
    );
    assert!(deactivated[2..].iter().all(Result::is_ok));
    assert_eq!(posts(&sandbox, BATCH_ROUTE).await, 3);
    assert_eq!(posts(&sandbox, ENTITY_ROUTE).await, 0);
    let read = gw
        .read(
            ObjectKind::Contact,
            &[records[0].id.clone(), records[1].id.clone()],
        )
        .await
        .unwrap();
    let active = |id: &str| read.iter().find(|r| r.id == id).unwrap().active;
    assert!(!active(&records[0].id));
    assert!(active(&records[1].id));

    // A small call (below MIN_BATCH_ITEMS) goes as single calls, with the same per-record errors.
    let small = gw
        .update(
            ObjectKind::Contact,
            vec![
                update(&records[10], "1", "Quito"),
                update(&records[11], "9", "Lima"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        small[0].as_ref().unwrap().value("BillAddr.City"),
        Some(&json!("Quito"))
    );
    assert_eq!(small[1].as_ref().unwrap_err().code.as_deref(), Some("5010"));
    assert_eq!(posts(&sandbox, BATCH_ROUTE).await, 3);
    assert_eq!(posts(&sandbox, ENTITY_ROUTE).await, 2);
}

#[tokio::test]
async fn item_faults_stay_with_their_record_and_only_those_are_sent_again() {
    let sandbox = start_default_quickbooks_sandbox().await;
    let gw = gateway(&sandbox);
    let knobs = reqwest::Client::new()
        .put(format!("{}/_sandbox/quickbooks", sandbox.base_url()))
        .json(&json!({"batchItemFailNext": ["5010", "10000"]}))
        .send()
        .await
        .unwrap();
    assert!(knobs.status().is_success());
    let requests: Vec<CreateRequest> = (0..10).map(|i| customer(&format!("Fault {i}"))).collect();
    let results = gw
        .create(ObjectKind::Contact, requests.clone())
        .await
        .unwrap();
    // Items run in request order in the sandbox, so the first two drew the injected faults.
    assert_eq!(
        results[0].as_ref().unwrap_err().kind,
        RecordErrorKind::Stale
    );
    let server = results[1].as_ref().unwrap_err();
    assert_eq!(server.kind, RecordErrorKind::Other);
    assert_eq!(server.code.as_deref(), Some("10000"));
    assert!(server.retryable, "a server fault on one item is retried");
    for (i, result) in results.iter().enumerate().skip(2) {
        assert_eq!(display_name(result.as_ref().unwrap()), format!("Fault {i}"));
    }

    // The engine retries the two failed records: they were not executed, so each is created
    // once (a new set of keys, sent as single creates under their own keys).
    let retried = created(
        &gw.create(ObjectKind::Contact, requests[..2].to_vec())
            .await
            .unwrap(),
    );
    assert_eq!(display_name(&retried[0]), "Fault 0");
    assert_eq!(display_name(&retried[1]), "Fault 1");
    let listed = gw.list_page(ObjectKind::Contact, None).await.unwrap();
    assert_eq!(listed.records.len(), 10);
    assert_eq!(posts(&sandbox, BATCH_ROUTE).await, 1);
    assert_eq!(posts(&sandbox, ENTITY_ROUTE).await, 2);
}
