//! The DynamoDB link store against moto: the shared `Store` contract on a fresh table per
//! check, plus what only a real backend shows (races on conditional writes, batch limits,
//! TTL attributes, corrupt items).

use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use hqsync::adapters::dynamodb::{DynamoStore, LOG_RETENTION, STATUS_RETENTION, ensure_table};
use hqsync::model::{ConnectionId, Link, ObjectKind, Side};
use hqsync::ports::contract::store as contract;
use hqsync::ports::{
    Connections, FailureDetail, Links, StatusLog, StoreError, SyncLogEntry, SyncOutcome, SyncStatus,
};

use super::aws_moto::moto;

/// A store on a fresh table of its own, or `None` (skip) without moto.
async fn fresh(test: &str) -> Option<DynamoStore> {
    Some(moto(test).await?.fresh_store().await)
}

/// The store contract, one test per check, each on its own table.
mod contract_checks {
    use super::fresh;

    hqsync::store_contract_tests!(fresh);
}

fn conn(name: &str) -> ConnectionId {
    ConnectionId::new(name).unwrap()
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-27T23:59:00Z")
        .unwrap()
        .with_timezone(&Utc)
        + Duration::seconds(seconds)
}

#[tokio::test]
async fn dynamodb_log_reads_newest_first_across_days_and_sets_a_ttl() {
    let Some(moto) = moto("dynamodb_log_reads_newest_first_across_days_and_sets_a_ttl").await
    else {
        return;
    };
    let store = moto.fresh_store().await;
    let c = conn("acme");
    // 23:59:00 .. 00:00:50 the next day: two day partitions.
    let entries: Vec<SyncLogEntry> = (0..12)
        .map(|i| SyncLogEntry {
            at: at(i * 10),
            kind: ObjectKind::Contact,
            side: Side::Hubspot,
            id: format!("h{i}"),
            counterpart_id: Some(format!("q{i}")),
            outcome: SyncOutcome::Synced { note: None },
            action: format!("updated QBO customer q{i}"),
        })
        .collect();
    store.append_log(&c, &entries[..5]).await.unwrap();
    store.append_log(&c, &entries[5..]).await.unwrap();
    store
        .append_log(&conn("other"), &entries[..1])
        .await
        .unwrap();

    let all = store.recent_log(&c, usize::MAX).await.unwrap();
    let ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "h11", "h10", "h9", "h8", "h7", "h6", "h5", "h4", "h3", "h2", "h1", "h0"
        ]
    );
    assert_eq!(all[0], entries[11]);
    // A limit that cuts inside the older day.
    let eight = store.recent_log(&c, 8).await.unwrap();
    assert_eq!(eight.len(), 8);
    assert_eq!(eight[7].id, "h4");
    assert!(store.recent_log(&c, 0).await.unwrap().is_empty());

    // Every entry carries the table's TTL attribute, retention after its time.
    let item = moto
        .dynamodb
        .get_item()
        .table_name(store.table_name())
        .key("pk", AttributeValue::S("CONN#acme#LOG#2026-11-28".into()))
        .key(
            "sk",
            AttributeValue::S("2026-11-28T00:00:50.000000Z#contact#hubspot#h11#0006".into()),
        )
        .send()
        .await
        .unwrap()
        .item
        .expect("log item under the documented key");
    let expires: i64 = item["expires_at"].as_n().unwrap().parse().unwrap();
    let retention = LOG_RETENTION.as_secs() as i64;
    let expected_min = entries[11].at.timestamp() + retention;
    assert!(
        expires >= expected_min
            && expires <= entries[11].at.max(Utc::now()).timestamp() + retention + 60,
        "expires_at {expires} not within retention of the entry time"
    );
}

#[tokio::test]
async fn dynamodb_concurrent_creates_of_one_record_link_it_exactly_once() {
    let Some(moto) = moto("dynamodb_concurrent_creates_of_one_record_link_it_exactly_once").await
    else {
        return;
    };
    let store = Arc::new(moto.fresh_store().await);
    let c = conn("race");
    let mut tasks = Vec::new();
    for n in 0..8 {
        let store = store.clone();
        let link = contract::sample_link(&c, ObjectKind::Contact, "h1", &format!("q{n}"));
        tasks.push(tokio::spawn(async move { store.create_link(&link).await }));
    }
    let mut won = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(link) => won.push(link),
            Err(StoreError::AlreadyLinked {
                side: Side::Hubspot,
                id,
            }) => assert_eq!(id, "h1"),
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one create wins (invariant 1)");
    let links = store.list_links(&c, ObjectKind::Contact).await.unwrap();
    assert_eq!(links, won);
    // The losers' QBO ids were not left half-linked.
    for n in 0..8 {
        let qbo = format!("q{n}");
        let linked = store
            .get_link(&c, ObjectKind::Contact, Side::Quickbooks, &qbo)
            .await
            .unwrap();
        assert_eq!(linked.is_some(), qbo == won[0].qbo_id, "{qbo}");
    }
}

#[tokio::test]
async fn dynamodb_concurrent_updates_of_one_revision_let_exactly_one_through() {
    let Some(moto) =
        moto("dynamodb_concurrent_updates_of_one_revision_let_exactly_one_through").await
    else {
        return;
    };
    let store = Arc::new(moto.fresh_store().await);
    let c = conn("race");
    let created = store
        .create_link(&contract::sample_link(&c, ObjectKind::Product, "h1", "q1"))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for n in 0..6 {
        let store = store.clone();
        let mut change: Link = created.clone();
        change.qbo_version = format!("{n}");
        tasks.push(tokio::spawn(
            async move { store.update_link(&change).await },
        ));
    }
    let mut winners = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(link) => {
                winners += 1;
                assert_eq!(link.revision, 2);
            }
            Err(StoreError::RevisionMismatch {
                expected: 1,
                found: Some(2),
            }) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(winners, 1, "no lost update (invariant 3)");
}

#[tokio::test]
async fn dynamodb_batch_reads_past_the_100_key_limit_answer_in_request_order() {
    let Some(moto) =
        moto("dynamodb_batch_reads_past_the_100_key_limit_answer_in_request_order").await
    else {
        return;
    };
    let store = moto.fresh_store().await;
    let c = conn("bulk");
    for n in 0..130 {
        store
            .create_link(&contract::sample_link(
                &c,
                ObjectKind::Contact,
                &format!("h{n}"),
                &format!("q{n}"),
            ))
            .await
            .unwrap();
    }
    let mut ids: Vec<String> = (0..130).rev().map(|n| format!("q{n}")).collect();
    ids.insert(7, "missing".into());
    ids.push("q5".into()); // asked twice, answered once
    let links = store
        .get_links(&c, ObjectKind::Contact, Side::Quickbooks, &ids)
        .await
        .unwrap();
    let got: Vec<String> = links.iter().map(|l| l.qbo_id.clone()).collect();
    let want: Vec<String> = (0..130).rev().map(|n| format!("q{n}")).collect();
    assert_eq!(got, want);
    assert!(links.iter().all(|l| l.hubspot_id[1..] == l.qbo_id[1..]));
    assert_eq!(
        store
            .list_links(&c, ObjectKind::Contact)
            .await
            .unwrap()
            .len(),
        130
    );
}

#[tokio::test]
async fn dynamodb_corrupt_items_are_reported_with_their_key_not_guessed() {
    let Some(moto) = moto("dynamodb_corrupt_items_are_reported_with_their_key_not_guessed").await
    else {
        return;
    };
    let store = moto.fresh_store().await;
    moto.dynamodb
        .put_item()
        .table_name(store.table_name())
        .item("pk", AttributeValue::S("CONN#acme#contact".into()))
        .item("sk", AttributeValue::S("HS#h1".into()))
        .item("hubspot_id", AttributeValue::S("h1".into()))
        .item("qbo_id", AttributeValue::S("q1".into()))
        .item("revision", AttributeValue::S("not a number".into()))
        .send()
        .await
        .unwrap();
    let err = store
        .get_link(&conn("acme"), ObjectKind::Contact, Side::Hubspot, "h1")
        .await
        .unwrap_err();
    match err {
        StoreError::Corrupt(message) => {
            assert!(message.contains("CONN#acme#contact / HS#h1"), "{message}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[tokio::test]
async fn dynamodb_ensure_table_is_idempotent_and_a_missing_table_is_a_backend_error() {
    let Some(moto) =
        moto("dynamodb_ensure_table_is_idempotent_and_a_missing_table_is_a_backend_error").await
    else {
        return;
    };
    let store = moto.fresh_store().await;
    ensure_table(&moto.dynamodb, store.table_name())
        .await
        .expect("second ensure is a no-op");
    let missing = DynamoStore::new(moto.dynamodb.clone(), "hqsync-no-such-table");
    match missing.get_connection(&conn("acme")).await {
        Err(StoreError::Backend(message)) => {
            assert!(message.contains("GetItem"), "{message}");
        }
        other => panic!("expected a backend error, got {other:?}"),
    }
}

#[tokio::test]
async fn dynamodb_statuses_of_synced_records_expire_but_failures_stay() {
    let Some(moto) = moto("dynamodb_statuses_of_synced_records_expire_but_failures_stay").await
    else {
        return;
    };
    let store = moto.fresh_store().await;
    let c = conn("acme");
    let status = |id: &str, outcome: SyncOutcome| SyncStatus {
        kind: ObjectKind::Contact,
        side: Side::Hubspot,
        id: id.into(),
        counterpart_id: None,
        outcome,
        attempts: 0,
        next_retry_at: None,
        needs_attention: false,
        updated_at: Utc::now(),
    };
    store
        .put_status(&c, &status("h1", SyncOutcome::Synced { note: None }))
        .await
        .unwrap();
    let failure = SyncOutcome::Failed(FailureDetail {
        code: Some("6240".into()),
        message: "Duplicate Name Exists Error".into(),
        suggested_fix: None,
    });
    store.put_status(&c, &status("h2", failure)).await.unwrap();
    let raw = |id: &'static str| {
        let client = moto.dynamodb.clone();
        let table = store.table_name().to_owned();
        async move {
            client
                .get_item()
                .table_name(table)
                .key("pk", AttributeValue::S("CONN#acme#contact".into()))
                .key("sk", AttributeValue::S(format!("STATUS#hubspot#{id}")))
                .send()
                .await
                .unwrap()
                .item
                .expect("status item under the documented key")
        }
    };
    let synced = raw("h1").await;
    let expires: i64 = synced["expires_at"].as_n().unwrap().parse().unwrap();
    let retention = STATUS_RETENTION.as_secs() as i64;
    assert!((expires - (Utc::now().timestamp() + retention)).abs() < 120);
    assert_eq!(synced["outcome"].as_s().unwrap(), "synced");
    let failed = raw("h2").await;
    assert!(!failed.contains_key("expires_at"));
    assert_eq!(failed["outcome"].as_s().unwrap(), "failed");
}
