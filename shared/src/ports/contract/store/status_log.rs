//! The `StatusLog` contract: per-record statuses round-trip and overwrite, the log reads newest
//! first per connection and keeps a conflict's notes (both values, winner, rule; the console's
//! activity page shows them), and (stores with a capacity) keeps only the newest entries.

use super::{conn, status, t};
use crate::model::{ObjectKind, Side};
use crate::ports::{ConflictNote, FailureDetail, StatusLog, SyncLogEntry, SyncOutcome};

/// A status per kind, side and id; listing is per kind; a put overwrites.
pub async fn statuses_round_trip_and_overwrite(store: &dyn StatusLog) {
    let c = conn("contract-status");
    let failed = SyncOutcome::Failed(FailureDetail {
        code: Some("6240".into()),
        message: "Duplicate Name Exists Error".into(),
        suggested_fix: Some("Rename one of them".into()),
    });
    let mut first = status(ObjectKind::Contact, Side::Hubspot, "h1", failed, 1);
    first.next_retry_at = Some(t(60));
    first.counterpart_id = Some("q1".into());
    store.put_status(&c, &first).await.expect("put");
    let synced = SyncOutcome::Synced {
        note: None,
        warnings: Vec::new(),
    };
    store
        .put_status(
            &c,
            &status(ObjectKind::Contact, Side::Quickbooks, "h1", synced, 0),
        )
        .await
        .expect("put");
    let excluded = SyncOutcome::Excluded {
        filter: "hs_sku is_set".into(),
    };
    store
        .put_status(
            &c,
            &status(ObjectKind::Product, Side::Hubspot, "p1", excluded, 0),
        )
        .await
        .expect("put");
    assert_eq!(
        store
            .get_status(&c, ObjectKind::Contact, Side::Hubspot, "h1")
            .await
            .expect("get"),
        Some(first.clone())
    );
    assert!(
        store
            .get_status(&c, ObjectKind::Product, Side::Hubspot, "h1")
            .await
            .expect("get")
            .is_none()
    );
    assert_eq!(
        store
            .list_statuses(&c, ObjectKind::Contact)
            .await
            .expect("list")
            .len(),
        2
    );

    let mut second = first.clone();
    second.attempts = 5;
    second.needs_attention = true;
    store.put_status(&c, &second).await.expect("overwrite");
    assert_eq!(
        store
            .get_status(&c, ObjectKind::Contact, Side::Hubspot, "h1")
            .await
            .expect("get"),
        Some(second)
    );
    assert_eq!(
        store
            .list_statuses(&c, ObjectKind::Contact)
            .await
            .expect("list")
            .len(),
        2
    );
}

fn entries(count: usize) -> Vec<SyncLogEntry> {
    (0..count)
        .map(|i| SyncLogEntry {
            at: t(i as i64),
            kind: ObjectKind::Contact,
            side: Side::Hubspot,
            id: format!("h{i}"),
            counterpart_id: None,
            outcome: SyncOutcome::Synced {
                note: None,
                warnings: Vec::new(),
            },
            action: format!("updated {i}"),
        })
        .collect()
}

/// Entries appended in batches read back newest first, `limit` at a time, per connection.
pub async fn log_reads_newest_first_per_connection(store: &dyn StatusLog) {
    let c = conn("contract-log");
    let entries = entries(4);
    assert!(store.recent_log(&c, 10).await.expect("recent").is_empty());
    store.append_log(&c, &entries[..1]).await.expect("append");
    store.append_log(&c, &entries[1..]).await.expect("append");
    store.append_log(&c, &[]).await.expect("append nothing");
    store
        .append_log(&conn("contract-log-other"), &entries[..1])
        .await
        .expect("append");
    let newest_first: Vec<SyncLogEntry> = entries.iter().rev().cloned().collect();
    assert_eq!(
        store.recent_log(&c, 10).await.expect("recent"),
        newest_first
    );
    assert_eq!(
        store.recent_log(&c, 2).await.expect("recent"),
        newest_first[..2]
    );
    assert!(store.recent_log(&c, 0).await.expect("recent").is_empty());
}

/// A conflict's log entry reads back with each field's HubSpot and QuickBooks values, the side
/// kept and the rule (an empty side stays empty).
pub async fn log_keeps_conflicts_with_both_values_and_the_rule(store: &dyn StatusLog) {
    let c = conn("contract-log-conflict");
    let mut entry = entries(1).remove(0);
    entry.outcome = SyncOutcome::Conflict {
        conflicts: vec![
            ConflictNote {
                field: "company".into(),
                hubspot_value: Some("Older <edit> & co".into()),
                quickbooks_value: Some("Newer edit".into()),
                winner: Side::Quickbooks,
                rule: "newest wins".into(),
            },
            ConflictNote {
                field: "phone".into(),
                hubspot_value: None,
                quickbooks_value: Some("+14155550142".into()),
                winner: Side::Hubspot,
                rule: "HubSpot wins".into(),
            },
        ],
    };
    store
        .append_log(&c, std::slice::from_ref(&entry))
        .await
        .expect("append");
    assert_eq!(store.recent_log(&c, 10).await.expect("recent"), [entry]);
}

/// A store built with log capacity `capacity` keeps the newest `capacity` entries.
pub async fn log_keeps_only_the_newest(store: &dyn StatusLog, capacity: usize) {
    let c = conn("contract-log");
    let entries = entries(capacity + 3);
    store.append_log(&c, &entries[..2]).await.expect("append");
    store.append_log(&c, &entries[2..]).await.expect("append");
    store
        .append_log(&conn("contract-log-other"), &entries[..1])
        .await
        .expect("append");
    let recent = store.recent_log(&c, usize::MAX).await.expect("recent");
    assert_eq!(recent.len(), capacity);
    assert_eq!(recent[0], entries[capacity + 2]);
    assert_eq!(recent[capacity - 1], entries[3]);
    assert_eq!(
        store
            .recent_log(&conn("contract-log-other"), usize::MAX)
            .await
            .expect("recent")
            .len(),
        1,
        "the bound is per connection"
    );
}
