//! Several connections in one stack on moto: one whose stored record no longer parses (a
//! hand-edited settings record) and one whose token secret is missing fail alone, each with its
//! reason where an operator looks (the connection listing behind `GET /api/connections`, the
//! poller's run, the tokenless one's reconnect-required status) and each with its metric, while
//! the healthy connection polls and syncs as usual.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use hqsync::model::{Connection, ConnectionId, ConnectionSettings, ObjectKind, Side};
use hqsync::observability::MetricName;
use hqsync::ports::{
    ConnectionRecord, ConnectionStatus, Connections, CreateRequest, Job, JobQueue, JobReason, Lane,
};
use hqsync::tokens::LOCAL_ENVIRONMENT;
use hqsync_poller::PollerState;
use hqsync_tests::aws_stack::start_aws_test_stack;
use hqsync_worker::{WorkerState, run_batch};
use serde_json::json;

use super::aws_moto::moto_endpoint;

const BROKEN: &str = "broken-settings";
const NO_TOKENS: &str = "no-tokens";

fn record(id: &str, portal: &str, realm: &str) -> ConnectionRecord {
    ConnectionRecord {
        connection: Connection {
            id: ConnectionId::new(id).unwrap(),
            hubspot_portal_id: portal.into(),
            qbo_realm_id: realm.into(),
            settings: ConnectionSettings::default(),
        },
        environment: LOCAL_ENVIRONMENT.to_owned(),
        status: ConnectionStatus::Active,
    }
}

#[tokio::test]
async fn aws_a_broken_connection_fails_alone_with_its_reason_while_another_syncs() {
    let Some(endpoint) =
        moto_endpoint("aws_a_broken_connection_fails_alone_with_its_reason_while_another_syncs")
    else {
        return;
    };
    let local = start_aws_test_stack(&endpoint).await;
    let store = &local.stack.store;
    store
        .put_connection(&record(BROKEN, "90001", "80001"))
        .await
        .unwrap();
    // Hand-edited in the table: the record's JSON no longer parses.
    let dynamodb = store.client();
    dynamodb
        .update_item()
        .table_name(store.table_name())
        .key("pk", AttributeValue::S(format!("CONN#{BROKEN}")))
        .key("sk", AttributeValue::S("META".into()))
        .update_expression("SET #r = :r")
        .expression_attribute_names("#r", "record")
        .expression_attribute_values(":r", AttributeValue::S("{\"connection\": {".into()))
        .send()
        .await
        .unwrap();
    // Valid, but nobody ever stored its tokens.
    store
        .put_connection(&record(NO_TOKENS, "90002", "80002"))
        .await
        .unwrap();

    let poller = PollerState::new(local.stack.clone());
    let poll = json!({"mode": "poll"});
    let first = hqsync_poller::run(&poller, &poll, None).await.unwrap();
    assert_eq!(first.broken.len(), 1, "{first:?}");
    assert!(first.broken[0].starts_with(BROKEN), "{:?}", first.broken);
    assert_eq!(
        local
            .stack
            .metrics
            .count(MetricName::BrokenConnections, &[]),
        1.0,
        "the broken connection's metric"
    );
    assert!(
        first
            .failures
            .iter()
            .any(|f| f.starts_with(NO_TOKENS) && f.contains("token")),
        "the missing secret is named: {:?}",
        first.failures
    );
    // A connection whose token secret is gone cannot sync until it is connected again: it is
    // marked reconnect-required, which its status shows and the next poll's gauge counts.
    let tokenless_record = store
        .get_connection(&ConnectionId::new(NO_TOKENS).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tokenless_record.status, ConnectionStatus::ReconnectRequired);
    assert_eq!(
        local
            .stack
            .metrics
            .count(MetricName::ReconnectRequired, &[("Vendor", "hubspot")]),
        1.0,
        "the missing tokens' metric"
    );
    // The listing the admin API answers shows the broken one with why.
    let listing = store.list_connections().await.unwrap();
    let broken = listing
        .broken
        .iter()
        .find(|b| b.id.as_str() == BROKEN)
        .expect("listed as broken");
    assert!(
        broken.error.contains(&format!("CONN#{BROKEN}")),
        "{}",
        broken.error
    );

    // The healthy connection goes on: a new HubSpot contact is polled and synced to QBO.
    let worker = WorkerState::new(local.stack.clone());
    let record = store
        .get_connection(&local.connection)
        .await
        .unwrap()
        .unwrap();
    let pair = local
        .stack
        .sync_context()
        .gateways
        .gateways(&record)
        .await
        .unwrap();
    pair.hubspot
        .ensure_schema(&[ObjectKind::Contact])
        .await
        .unwrap();
    let contact = pair
        .hubspot
        .create(
            ObjectKind::Contact,
            vec![CreateRequest {
                idempotency_key: uuid::Uuid::new_v4().to_string(),
                values: BTreeMap::from([
                    ("email".to_owned(), json!("ines.multi@example.com")),
                    ("firstname".to_owned(), json!("Ines")),
                    ("lastname".to_owned(), json!("Multi")),
                ]),
            }],
        )
        .await
        .unwrap()
        .remove(0)
        .unwrap();
    let second = hqsync_poller::run(&poller, &poll, None).await.unwrap();
    assert_eq!(
        second.connections, 1,
        "only the healthy one is polled; the tokenless one waits for a reconnect: {second:?}"
    );
    assert_eq!(second.skipped, 1, "{second:?}");
    assert!(
        local
            .stack
            .metrics
            .count(MetricName::ReconnectRequiredConnections, &[])
            >= 1.0,
        "the reconnect-required gauge counts the tokenless connection"
    );
    assert!(second.jobs >= 1, "{second:?}");
    // A job of the tokenless connection in the same batch as the healthy one's.
    local
        .stack
        .queue
        .enqueue(
            Lane::Live,
            vec![Job::new(
                ConnectionId::new(NO_TOKENS).unwrap(),
                ObjectKind::Contact,
                Side::Hubspot,
                "1",
                JobReason::Webhook,
                chrono::Utc::now(),
            )],
            None,
        )
        .await
        .unwrap();
    let mut linked = false;
    let mut tokenless = None;
    for _ in 0..50 {
        let event = local.receive_event(Lane::Live).await;
        if !event.records.is_empty() {
            let (response, summary) = run_batch(&worker, &event).await;
            for ((_, settlement), message) in summary.settlements.iter().zip(&event.records) {
                if message
                    .body
                    .as_deref()
                    .is_some_and(|b| b.contains(NO_TOKENS))
                {
                    tokenless = Some(settlement.clone());
                }
            }
            local.settle(Lane::Live, &event, &response).await;
        }
        linked = local
            .link_of(ObjectKind::Contact, Side::Hubspot, &contact.id)
            .await
            .is_some();
        if linked && tokenless.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(linked, "the healthy connection synced its contact");
    let tokenless = tokenless.expect("the tokenless connection's job was settled");
    assert_eq!(tokenless.label(), "retried", "{tokenless:?}");
    local.shutdown().await;
}
