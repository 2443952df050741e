//! Benchmark: `HubspotClient` batch read and update of 10,000 contacts against the HubSpot
//! sandbox (requests made, records/s, client overhead per record) and the sandbox's own
//! throughput for the same requests sent raw. Prints numbers; no pass/fail.

use std::time::{Duration, Instant};

use hqsync::hubspot::limits::CHUNK_CONCURRENCY;
use hqsync::hubspot::{
    BatchReadOptions, HubspotBudgets, HubspotClient, ObjectType, UpdateInput, UpsertInput, version,
};
use hqsync_sandbox::hubspot::HubspotSandboxConfig;
use hqsync_tests::hubspot::start_hubspot_sandbox;
use secrecy::SecretString;
use serde_json::json;

const RECORDS: usize = 10_000;

fn rate(records: usize, took: Duration) -> f64 {
    records as f64 / took.as_secs_f64()
}

fn report(what: &str, requests: usize, took: Duration) {
    println!(
        "{what:<44} {requests:>4} requests  {:>8.1} ms  {:>10.0} records/s",
        took.as_secs_f64() * 1000.0,
        rate(RECORDS, took)
    );
}

#[tokio::main]
async fn main() {
    // Limits off in the sandbox and the client: this measures the client and the sandbox, not
    // HubSpot's budget (110 requests / 10 s would dominate: see the last line).
    let sandbox = start_hubspot_sandbox(HubspotSandboxConfig {
        search_index_delay: Duration::ZERO,
        burst_limit: 0,
        search_per_second: 0,
        ..HubspotSandboxConfig::default()
    })
    .await;
    let token = sandbox.config().dev_token.clone();
    let client = HubspotClient::builder(SecretString::from(token.clone()))
        .base_url(sandbox.base_url())
        .budgets(HubspotBudgets::unlimited())
        .build()
        .expect("client");

    let upserts: Vec<UpsertInput> = (0..RECORDS)
        .map(|n| UpsertInput {
            id: format!("bench{n}@example.com"),
            properties: [("firstname".to_owned(), format!("F{n}"))].into(),
        })
        .collect();
    let start = Instant::now();
    let created = client
        .batch_upsert(ObjectType::Contacts, "email", &upserts)
        .await;
    assert!(created.all_written(), "setup failed");
    report(
        "setup: batch upsert (create) via client",
        created.requests,
        start.elapsed(),
    );
    let ids: Vec<String> = created.written().map(|(_, o)| o.id.clone()).collect();

    let options = BatchReadOptions {
        properties: vec!["email".into(), "firstname".into(), "lastname".into()],
        ..Default::default()
    };
    let start = Instant::now();
    let read = client
        .batch_read(ObjectType::Contacts, &ids, &options)
        .await
        .expect("read");
    let client_read = start.elapsed();
    assert_eq!(read.found.len(), RECORDS);
    report("client batch read", read.requests, client_read);

    let updates: Vec<UpdateInput> = ids
        .iter()
        .map(|id| UpdateInput {
            id: id.clone(),
            properties: [("lastname".to_owned(), "Benchmarked".to_owned())].into(),
        })
        .collect();
    let start = Instant::now();
    let updated = client
        .batch_update(ObjectType::Contacts, &updates, None)
        .await;
    let client_update = start.elapsed();
    assert!(updated.all_written());
    report("client batch update", updated.requests, client_update);

    // The same requests sent raw (prebuilt JSON, same concurrency): the sandbox's throughput.
    let http = reqwest::Client::new();
    let raw = |action: &'static str, bodies: Vec<serde_json::Value>| {
        let http = http.clone();
        let url = format!(
            "{}{}",
            sandbox.base_url(),
            version::objects_batch("contacts", action)
        );
        let token = token.clone();
        async move {
            let start = Instant::now();
            let count = bodies.len();
            // Same concurrency as the client's chunks; tasks on a semaphore.
            let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(CHUNK_CONCURRENCY));
            let mut tasks = tokio::task::JoinSet::new();
            for body in bodies {
                let request = http.post(&url).bearer_auth(&token).json(&body);
                let permit = slots.clone().acquire_owned().await.expect("semaphore");
                tasks.spawn(async move {
                    let response = request.send().await.expect("send");
                    assert!(response.status().is_success());
                    let len = response.bytes().await.expect("body").len();
                    drop(permit);
                    len
                });
            }
            while let Some(done) = tasks.join_next().await {
                done.expect("task");
            }
            (count, start.elapsed())
        }
    };
    let read_bodies: Vec<_> = ids
        .chunks(100)
        .map(|c| json!({"inputs": c.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(), "properties": ["email","firstname","lastname"]}))
        .collect();
    let (n, raw_read) = raw("read", read_bodies).await;
    report("sandbox alone: raw batch read", n, raw_read);
    let update_bodies: Vec<_> = ids
        .chunks(100)
        .map(|c| json!({"inputs": c.iter().map(|id| json!({"id": id, "properties": {"lastname": "Raw"}})).collect::<Vec<_>>()}))
        .collect();
    let (n, raw_update) = raw("update", update_bodies).await;
    report("sandbox alone: raw batch update", n, raw_update);

    let per_record = |client: Duration, raw: Duration| {
        (client.as_secs_f64() - raw.as_secs_f64()) * 1e6 / RECORDS as f64
    };
    println!(
        "client overhead per record: read {:.2} µs, update {:.2} µs",
        per_record(client_read, raw_read),
        per_record(client_update, raw_update)
    );

    // With HubSpot's documented budget (110 requests / 10 s, §9.1) on a limited sandbox.
    let limited = start_hubspot_sandbox(HubspotSandboxConfig {
        search_index_delay: Duration::ZERO,
        ..HubspotSandboxConfig::default()
    })
    .await;
    let budgeted = HubspotClient::builder(SecretString::from(token.clone()))
        .base_url(limited.base_url())
        .build()
        .expect("client");
    let start = Instant::now();
    let outcome = budgeted
        .batch_upsert(ObjectType::Contacts, "email", &upserts)
        .await;
    assert!(outcome.all_written());
    let ids: Vec<String> = outcome.written().map(|(_, o)| o.id.clone()).collect();
    let read = budgeted
        .batch_read(ObjectType::Contacts, &ids, &options)
        .await
        .expect("read");
    let took = start.elapsed();
    println!(
        "{:<44} {:>4} requests  {:>8.1} ms  {:>10.0} records/s (20,000 record operations)",
        "budgeted upsert + read (110 per 10 s)",
        outcome.requests + read.requests,
        took.as_secs_f64() * 1000.0,
        rate(2 * RECORDS, took)
    );
    sandbox.shutdown().await;
    limited.shutdown().await;
}
