//! The DynamoDB link store against moto: the shared `Store` contract on a fresh table per
//! check, plus what only a real backend shows (races on conditional writes, batch limits,
//! TTL attributes, corrupt items, one malformed connection beside good ones), and the admin
//! capabilities (audit log, failed sign-ins, pending OAuth authorizations).

use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};
use hqsync::adapters::dynamodb::{
    AUDIT_RETENTION, DynamoStore, LOG_RETENTION, STATUS_RETENTION, ensure_table,
};
use hqsync::model::{Connection, ConnectionId, ConnectionSettings, Link, ObjectKind, Side};
use hqsync::ports::contract::store as contract;
use hqsync::ports::{
    AuditEntry, AuditLog, ConnectionRecord, ConnectionStatus, Connections, FailureDetail, Links,
    LoginAttempts, StatusLog, StoreError, SyncLogEntry, SyncOutcome, SyncStatus,
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

/// The admin contract (audit log, failed sign-ins, pending OAuth authorizations), likewise.
mod admin_contract_checks {
    use super::fresh;

    hqsync::admin_contract_tests!(fresh);
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
            outcome: SyncOutcome::Synced {
                note: None,
                warnings: Vec::new(),
            },
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
        .put_status(
            &c,
            &status(
                "h1",
                SyncOutcome::Synced {
                    note: None,
                    warnings: Vec::new(),
                },
            ),
        )
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

    // An estimate's status names the deal its deletion is noted on: it never expires
    // (docs/hubspot.md §2.13).
    let estimate = SyncStatus {
        kind: ObjectKind::Invoice,
        side: Side::Quickbooks,
        counterpart_id: Some("9001".into()),
        ..status(
            "Estimate:41",
            SyncOutcome::Synced {
                note: None,
                warnings: Vec::new(),
            },
        )
    };
    store.put_status(&c, &estimate).await.unwrap();
    let kept = moto
        .dynamodb
        .get_item()
        .table_name(store.table_name())
        .key("pk", AttributeValue::S("CONN#acme#invoice".into()))
        .key(
            "sk",
            AttributeValue::S("STATUS#quickbooks#Estimate:41".into()),
        )
        .send()
        .await
        .unwrap()
        .item
        .expect("the estimate's status under the documented key");
    assert!(!kept.contains_key("expires_at"), "{kept:?}");
    assert_eq!(kept["outcome"].as_s().unwrap(), "synced");
}

fn connection_record(id: &str, portal: &str, realm: &str) -> ConnectionRecord {
    ConnectionRecord {
        connection: Connection {
            id: conn(id),
            hubspot_portal_id: portal.into(),
            qbo_realm_id: realm.into(),
            settings: ConnectionSettings::default(),
        },
        environment: "sandbox".into(),
        status: ConnectionStatus::Active,
    }
}

#[tokio::test]
async fn dynamodb_one_malformed_connection_is_listed_as_broken_and_the_others_still_list() {
    let Some(moto) =
        moto("dynamodb_one_malformed_connection_is_listed_as_broken_and_the_others_still_list")
            .await
    else {
        return;
    };
    let store = moto.fresh_store().await;
    let good = connection_record("conn-good", "111", "r1");
    store.put_connection(&good).await.unwrap();
    let bad = connection_record("conn-bad", "222", "r2");
    store.put_connection(&bad).await.unwrap();
    // Hand-edited: the record JSON no longer parses, the plain attributes still say who it is.
    moto.dynamodb
        .update_item()
        .table_name(store.table_name())
        .key("pk", AttributeValue::S("CONN#conn-bad".into()))
        .key("sk", AttributeValue::S("META".into()))
        .update_expression("SET #r = :r")
        .expression_attribute_names("#r", "record")
        .expression_attribute_values(":r", AttributeValue::S("{\"connection\": {".into()))
        .send()
        .await
        .unwrap();
    // An index entry whose record is gone.
    moto.dynamodb
        .put_item()
        .table_name(store.table_name())
        .item("pk", AttributeValue::S("CONNECTIONS".into()))
        .item("sk", AttributeValue::S("CONN#conn-gone".into()))
        .send()
        .await
        .unwrap();

    let listing = store
        .list_connections()
        .await
        .expect("listing never fails on one record");
    assert_eq!(listing.records, vec![good]);
    let broken: Vec<&str> = listing.broken.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(broken, ["conn-bad", "conn-gone"]);
    let bad = &listing.broken[0];
    assert_eq!(bad.portal_id.as_deref(), Some("222"));
    assert_eq!(bad.realm_id.as_deref(), Some("r2"));
    assert_eq!(bad.environment.as_deref(), Some("sandbox"));
    assert!(bad.error.contains("CONN#conn-bad"), "{}", bad.error);
    assert!(
        listing.broken[1].error.contains("no META"),
        "{}",
        listing.broken[1].error
    );
}

#[tokio::test]
async fn dynamodb_failed_sign_ins_count_in_a_window_across_racing_writers_and_expire() {
    let Some(moto) =
        moto("dynamodb_failed_sign_ins_count_in_a_window_across_racing_writers_and_expire").await
    else {
        return;
    };
    let store = Arc::new(moto.fresh_store().await);
    let window = Duration::minutes(15);
    assert_eq!(
        store
            .failed_logins("client:a", at(0), window)
            .await
            .unwrap(),
        0
    );
    // Eight concurrent failures (eight Lambda containers): every one is counted once.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.record_failed_login("client:a", at(i), window).await
        }));
    }
    let mut counts = Vec::new();
    for task in tasks {
        counts.push(task.await.unwrap().unwrap());
    }
    counts.sort();
    assert_eq!(counts, (1..=8).collect::<Vec<u32>>());
    assert_eq!(
        store
            .failed_logins("client:a", at(60), window)
            .await
            .unwrap(),
        8
    );
    assert_eq!(
        store
            .failed_logins("client:b", at(60), window)
            .await
            .unwrap(),
        0
    );
    // The window ends 15 minutes after the failure that opened it, which is whichever racing
    // writer got there first (at 0..7 s); after that the next failure opens a new one.
    assert_eq!(
        store
            .failed_logins("client:a", at(15 * 60 + 8), window)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .record_failed_login("client:a", at(15 * 60 + 8), window)
            .await
            .unwrap(),
        1
    );
    let raw = moto
        .dynamodb
        .get_item()
        .table_name(store.table_name())
        .key("pk", AttributeValue::S("LOGIN#client:a".into()))
        .key("sk", AttributeValue::S("META".into()))
        .send()
        .await
        .unwrap()
        .item
        .expect("window item under the documented key");
    let expires: i64 = raw["expires_at"].as_n().unwrap().parse().unwrap();
    assert!(
        expires > at(30 * 60).timestamp(),
        "TTL after the window ends"
    );
    store.clear_failed_logins("client:a").await.unwrap();
    assert_eq!(
        store
            .failed_logins("client:a", at(15 * 60 + 9), window)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn dynamodb_audit_entries_read_newest_first_and_expire_after_a_year() {
    let Some(moto) = moto("dynamodb_audit_entries_read_newest_first_and_expire_after_a_year").await
    else {
        return;
    };
    let store = moto.fresh_store().await;
    assert!(store.recent_audit(10).await.unwrap().is_empty());
    let entry = |i: i64| AuditEntry {
        at: at(i),
        actor: "admin".into(),
        action: "settings.update".into(),
        connection: Some(conn("acme")),
        detail: format!("change {i}"),
    };
    // Two entries of the same instant are both kept.
    for i in [0, 5, 5, 9, 3] {
        store.append_audit(&entry(i)).await.unwrap();
    }
    let recent = store.recent_audit(3).await.unwrap();
    let times: Vec<DateTime<Utc>> = recent.iter().map(|e| e.at).collect();
    assert_eq!(times, [at(9), at(5), at(5)]);
    assert_eq!(recent[0], entry(9));
    assert_eq!(store.recent_audit(100).await.unwrap().len(), 5);
    let raw = moto
        .dynamodb
        .query()
        .table_name(store.table_name())
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S("AUDIT".into()))
        .send()
        .await
        .unwrap()
        .items
        .unwrap();
    let expires: i64 = raw[0]["expires_at"].as_n().unwrap().parse().unwrap();
    let retention = AUDIT_RETENTION.as_secs() as i64;
    assert!((expires - (raw_at(&raw[0]) + retention)).abs() <= 10);
}

/// The entry time of a raw audit item (its sort key starts with it).
fn raw_at(item: &std::collections::HashMap<String, AttributeValue>) -> i64 {
    let sk = item["sk"].as_s().unwrap();
    let ts = sk.split('#').next().unwrap();
    DateTime::parse_from_rfc3339(ts).unwrap().timestamp()
}
