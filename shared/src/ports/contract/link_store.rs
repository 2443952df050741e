//! The `LinkStore` contract: conditional link writes (invariants 1 and 3), claims with expiry,
//! cursors, statuses, the bounded log, leases, connections with routing, and forgetting a kind.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::{
    CanonicalValue, CanonicalValues, Connection, ConnectionId, ConnectionSettings, Link,
    ObjectKind, Side,
};
use crate::ports::{
    ClaimOutcome, ConnectionRecord, ConnectionStatus, Cursor, FailureDetail, LinkStore, RecordRef,
    StoreError, SyncLogEntry, SyncOutcome, SyncStatus,
};

fn t(seconds: i64) -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(1_800_000_000 + seconds)
}

fn conn(name: &str) -> ConnectionId {
    ConnectionId::new(name).expect("valid test connection id")
}

/// A fresh link (revision 0) between `hubspot_id` and `qbo_id`.
pub fn sample_link(
    connection: &ConnectionId,
    kind: ObjectKind,
    hubspot_id: &str,
    qbo_id: &str,
) -> Link {
    let mut baseline = CanonicalValues::new();
    baseline.insert(
        "email".into(),
        CanonicalValue::Email(format!("{hubspot_id}@example.com")),
    );
    Link {
        connection: connection.clone(),
        kind,
        hubspot_id: hubspot_id.into(),
        qbo_id: qbo_id.into(),
        baseline,
        hubspot_version: "v1".into(),
        qbo_version: "0".into(),
        updated_at: t(0),
        revision: 0,
    }
}

/// Links: creation conditional on both sides being free, revision-checked updates, relinks and
/// deletes, batch reads by either side.
pub async fn links(store: &dyn LinkStore) {
    let c = conn("contract-links");
    let kind = ObjectKind::Contact;
    let created = store
        .create_link(&sample_link(&c, kind, "h1", "q1"))
        .await
        .expect("create");
    assert_eq!(created.revision, 1);
    for (side, id) in [(Side::Hubspot, "h1"), (Side::Quickbooks, "q1")] {
        let found = store
            .get_link(&c, kind, side, id)
            .await
            .expect("get")
            .expect("linked");
        assert_eq!(found, created);
    }
    assert!(
        store
            .get_link(&c, ObjectKind::Product, Side::Hubspot, "h1")
            .await
            .expect("get")
            .is_none()
    );
    assert!(
        store
            .get_link(&conn("other"), kind, Side::Hubspot, "h1")
            .await
            .expect("get")
            .is_none()
    );

    // Invariant 1: neither record may be linked twice.
    match store.create_link(&sample_link(&c, kind, "h1", "q2")).await {
        Err(StoreError::AlreadyLinked {
            side: Side::Hubspot,
            id,
        }) => assert_eq!(id, "h1"),
        other => panic!("expected AlreadyLinked(hubspot), got {other:?}"),
    }
    match store.create_link(&sample_link(&c, kind, "h2", "q1")).await {
        Err(StoreError::AlreadyLinked {
            side: Side::Quickbooks,
            id,
        }) => assert_eq!(id, "q1"),
        other => panic!("expected AlreadyLinked(quickbooks), got {other:?}"),
    }
    assert!(
        store
            .get_link(&c, kind, Side::Hubspot, "h2")
            .await
            .expect("get")
            .is_none()
    );

    // Invariant 3: updates are conditional on the revision read.
    let mut changed = created.clone();
    changed.qbo_version = "1".into();
    let updated = store.update_link(&changed).await.expect("update");
    assert_eq!(updated.revision, 2);
    assert_eq!(updated.qbo_version, "1");
    match store.update_link(&changed).await {
        Err(StoreError::RevisionMismatch {
            expected: 1,
            found: Some(2),
        }) => {}
        other => panic!("expected RevisionMismatch, got {other:?}"),
    }
    let mut moved = updated.clone();
    moved.qbo_id = "q9".into();
    assert!(matches!(
        store.update_link(&moved).await,
        Err(StoreError::IdsChanged)
    ));

    // Batch reads.
    store
        .create_link(&sample_link(&c, kind, "h3", "q3"))
        .await
        .expect("create h3");
    let ids = vec!["q3".to_string(), "missing".to_string(), "q1".to_string()];
    let mut found: Vec<String> = store
        .get_links(&c, kind, Side::Quickbooks, &ids)
        .await
        .expect("get_links")
        .into_iter()
        .map(|l| l.hubspot_id)
        .collect();
    found.sort();
    assert_eq!(found, ["h1", "h3"]);
    assert_eq!(store.list_links(&c, kind).await.expect("list").len(), 2);

    // Relink (a merge): q1 -> q4, conditional on the revision and on q4 being free.
    let mut to_linked = updated.clone();
    to_linked.qbo_id = "q3".into();
    assert!(matches!(
        store.relink(&updated, &to_linked).await,
        Err(StoreError::AlreadyLinked {
            side: Side::Quickbooks,
            ..
        })
    ));
    let mut merged = updated.clone();
    merged.qbo_id = "q4".into();
    let relinked = store.relink(&updated, &merged).await.expect("relink");
    assert_eq!(relinked.revision, 3);
    assert!(
        store
            .get_link(&c, kind, Side::Quickbooks, "q1")
            .await
            .expect("get")
            .is_none()
    );
    assert_eq!(
        store
            .get_link(&c, kind, Side::Quickbooks, "q4")
            .await
            .expect("get")
            .map(|l| l.hubspot_id),
        Some("h1".to_string())
    );
    assert!(matches!(
        store.relink(&updated, &merged).await,
        Err(StoreError::RevisionMismatch { .. })
    ));

    // Deletes are conditional too, and free both ids.
    assert!(matches!(
        store.delete_link(&updated).await,
        Err(StoreError::RevisionMismatch { .. })
    ));
    store.delete_link(&relinked).await.expect("delete");
    assert!(
        store
            .get_link(&c, kind, Side::Hubspot, "h1")
            .await
            .expect("get")
            .is_none()
    );
    assert!(
        store
            .get_link(&c, kind, Side::Quickbooks, "q4")
            .await
            .expect("get")
            .is_none()
    );
    store
        .create_link(&sample_link(&c, kind, "h1", "q4"))
        .await
        .expect("ids are free again");
}

/// Claims: first claimer wins, the owner may re-claim and sees what it created, others see the
/// owner until expiry, release only by the owner.
pub async fn claims(store: &dyn LinkStore) {
    let c = conn("contract-claims");
    let kind = ObjectKind::Contact;
    let key = "email:ada@example.com";
    let ada = RecordRef::new(Side::Hubspot, "h1");
    let other = RecordRef::new(Side::Quickbooks, "q7");
    let ttl = Duration::from_secs(600);

    assert_eq!(
        store
            .claim_key(&c, kind, key, &ada, ttl, t(0))
            .await
            .expect("claim"),
        ClaimOutcome::Claimed
    );
    match store
        .claim_key(&c, kind, key, &other, ttl, t(10))
        .await
        .expect("claim")
    {
        ClaimOutcome::HeldBy(claim) => {
            assert_eq!(claim.owner, ada);
            assert_eq!(claim.created_id, None);
        }
        outcome => panic!("expected HeldBy, got {outcome:?}"),
    }
    // Another kind and another connection are separate key spaces.
    assert_eq!(
        store
            .claim_key(&c, ObjectKind::Product, key, &other, ttl, t(10))
            .await
            .expect("claim"),
        ClaimOutcome::Claimed
    );
    assert_eq!(
        store
            .claim_key(&conn("contract-claims-2"), kind, key, &other, ttl, t(10))
            .await
            .expect("claim"),
        ClaimOutcome::Claimed
    );

    store
        .note_created(&c, kind, key, &other, "q-wrong")
        .await
        .expect("note by non-owner is ignored");
    store
        .note_created(&c, kind, key, &ada, "q1")
        .await
        .expect("note");
    match store
        .claim_key(&c, kind, key, &ada, ttl, t(20))
        .await
        .expect("reclaim")
    {
        ClaimOutcome::AlreadyOwned(claim) => {
            assert_eq!(claim.created_id.as_deref(), Some("q1"));
            assert_eq!(claim.expires_at, t(620), "re-claiming extends the claim");
        }
        outcome => panic!("expected AlreadyOwned, got {outcome:?}"),
    }
    assert!(matches!(
        store
            .claim_key(&c, kind, key, &other, ttl, t(619))
            .await
            .expect("claim"),
        ClaimOutcome::HeldBy(_)
    ));

    // Expired: another record takes over, with a clean slate.
    assert_eq!(
        store
            .claim_key(&c, kind, key, &other, ttl, t(621))
            .await
            .expect("claim"),
        ClaimOutcome::Claimed
    );
    match store
        .claim_key(&c, kind, key, &other, ttl, t(622))
        .await
        .expect("claim")
    {
        ClaimOutcome::AlreadyOwned(claim) => assert_eq!(claim.created_id, None),
        outcome => panic!("expected AlreadyOwned, got {outcome:?}"),
    }

    store
        .release_key(&c, kind, key, &ada)
        .await
        .expect("release by non-owner is a no-op");
    assert!(matches!(
        store
            .claim_key(&c, kind, key, &ada, ttl, t(623))
            .await
            .expect("claim"),
        ClaimOutcome::HeldBy(_)
    ));
    store
        .release_key(&c, kind, key, &other)
        .await
        .expect("release");
    assert_eq!(
        store
            .claim_key(&c, kind, key, &ada, ttl, t(624))
            .await
            .expect("claim"),
        ClaimOutcome::Claimed
    );
}

fn status(
    kind: ObjectKind,
    side: Side,
    id: &str,
    outcome: SyncOutcome,
    attempts: u32,
) -> SyncStatus {
    SyncStatus {
        kind,
        side,
        id: id.into(),
        counterpart_id: None,
        outcome,
        attempts,
        next_retry_at: None,
        needs_attention: false,
        updated_at: t(attempts.into()),
    }
}

/// Cursors and per-record statuses round-trip and overwrite.
pub async fn cursors_and_statuses(store: &dyn LinkStore) {
    let c = conn("contract-status");
    assert!(
        store
            .get_cursor(&c, Side::Quickbooks, ObjectKind::Contact)
            .await
            .expect("get")
            .is_none()
    );
    let cursor = Cursor {
        watermark: t(5),
        last_full_sweep: Some(t(1)),
    };
    store
        .put_cursor(&c, Side::Quickbooks, ObjectKind::Contact, &cursor)
        .await
        .expect("put");
    assert_eq!(
        store
            .get_cursor(&c, Side::Quickbooks, ObjectKind::Contact)
            .await
            .expect("get"),
        Some(cursor)
    );
    assert!(
        store
            .get_cursor(&c, Side::Hubspot, ObjectKind::Contact)
            .await
            .expect("get")
            .is_none()
    );
    let later = Cursor {
        watermark: t(9),
        last_full_sweep: None,
    };
    store
        .put_cursor(&c, Side::Quickbooks, ObjectKind::Contact, &later)
        .await
        .expect("put");
    assert_eq!(
        store
            .get_cursor(&c, Side::Quickbooks, ObjectKind::Contact)
            .await
            .expect("get"),
        Some(later)
    );

    let failed = SyncOutcome::Failed(FailureDetail {
        code: Some("6240".into()),
        message: "Duplicate Name Exists Error".into(),
        suggested_fix: Some("Rename one of them".into()),
    });
    let mut first = status(ObjectKind::Contact, Side::Hubspot, "h1", failed, 1);
    first.next_retry_at = Some(t(60));
    store.put_status(&c, &first).await.expect("put");
    store
        .put_status(
            &c,
            &status(
                ObjectKind::Contact,
                Side::Quickbooks,
                "h1",
                SyncOutcome::Synced { note: None },
                0,
            ),
        )
        .await
        .expect("put");
    store
        .put_status(
            &c,
            &status(
                ObjectKind::Product,
                Side::Hubspot,
                "p1",
                SyncOutcome::Excluded {
                    filter: "hs_sku is_set".into(),
                },
                0,
            ),
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

/// The log keeps the newest `capacity` entries per connection, newest first.
pub async fn bounded_log(store: &dyn LinkStore, capacity: usize) {
    let c = conn("contract-log");
    let entries: Vec<SyncLogEntry> = (0..capacity + 3)
        .map(|i| SyncLogEntry {
            at: t(i as i64),
            kind: ObjectKind::Contact,
            side: Side::Hubspot,
            id: format!("h{i}"),
            counterpart_id: None,
            outcome: SyncOutcome::Synced { note: None },
            action: format!("updated {i}"),
        })
        .collect();
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
    let two = store.recent_log(&c, 2).await.expect("recent");
    assert_eq!(
        two,
        vec![entries[capacity + 2].clone(), entries[capacity + 1].clone()]
    );
}

/// Leases: exclusive until expiry, extendable by the holder, released only by the holder.
pub async fn leases(store: &dyn LinkStore) {
    let c = conn("contract-lease");
    let ttl = Duration::from_secs(30);
    let lease = store
        .acquire_lease(&c, "token-refresh", "worker-a", ttl, t(0))
        .await
        .expect("acquire");
    assert_eq!(lease.map(|l| l.expires_at), Some(t(30)));
    assert!(
        store
            .acquire_lease(&c, "token-refresh", "worker-b", ttl, t(10))
            .await
            .expect("acquire")
            .is_none()
    );
    assert!(
        store
            .acquire_lease(&c, "backfill", "worker-b", ttl, t(10))
            .await
            .expect("acquire")
            .is_some()
    );
    let extended = store
        .acquire_lease(&c, "token-refresh", "worker-a", ttl, t(20))
        .await
        .expect("extend");
    assert_eq!(extended.map(|l| l.expires_at), Some(t(50)));
    assert!(
        store
            .acquire_lease(&c, "token-refresh", "worker-b", ttl, t(49))
            .await
            .expect("acquire")
            .is_none()
    );
    store
        .release_lease(&c, "token-refresh", "worker-b")
        .await
        .expect("release by non-holder");
    assert!(
        store
            .acquire_lease(&c, "token-refresh", "worker-b", ttl, t(49))
            .await
            .expect("acquire")
            .is_none()
    );
    let taken = store
        .acquire_lease(&c, "token-refresh", "worker-b", ttl, t(51))
        .await
        .expect("after expiry");
    assert_eq!(taken.map(|l| l.holder), Some("worker-b".to_string()));
    store
        .release_lease(&c, "token-refresh", "worker-b")
        .await
        .expect("release");
    assert!(
        store
            .acquire_lease(&c, "token-refresh", "worker-a", ttl, t(52))
            .await
            .expect("acquire")
            .is_some()
    );
}

/// Connections round-trip and route webhooks by portal and realm.
pub async fn connections(store: &dyn LinkStore) {
    let record = |id: &str, portal: &str, realm: &str| ConnectionRecord {
        connection: Connection {
            id: conn(id),
            hubspot_portal_id: portal.into(),
            qbo_realm_id: realm.into(),
            settings: ConnectionSettings::default(),
        },
        environment: "local".into(),
        status: ConnectionStatus::Active,
    };
    let a = record("conn-a", "111", "r1");
    let b = record("conn-b", "111", "r2");
    store.put_connection(&a).await.expect("put");
    store.put_connection(&b).await.expect("put");
    assert_eq!(
        store.get_connection(&conn("conn-a")).await.expect("get"),
        Some(a.clone())
    );
    assert!(
        store
            .get_connection(&conn("conn-z"))
            .await
            .expect("get")
            .is_none()
    );
    let mut portal = store.connections_for_portal("111").await.expect("route");
    portal.sort();
    assert_eq!(portal, vec![conn("conn-a"), conn("conn-b")]);
    assert_eq!(
        store.connections_for_realm("r2").await.expect("route"),
        vec![conn("conn-b")]
    );
    assert!(
        store
            .connections_for_realm("r9")
            .await
            .expect("route")
            .is_empty()
    );

    // Moving a connection to another realm re-routes it.
    let mut moved = a.clone();
    moved.connection.qbo_realm_id = "r3".into();
    moved.status = ConnectionStatus::ReconnectRequired;
    store.put_connection(&moved).await.expect("put");
    assert!(
        store
            .connections_for_realm("r1")
            .await
            .expect("route")
            .is_empty()
    );
    assert_eq!(
        store.connections_for_realm("r3").await.expect("route"),
        vec![conn("conn-a")]
    );
    assert_eq!(store.list_connections().await.expect("list").len(), 2);
    assert_eq!(
        store.get_connection(&conn("conn-a")).await.expect("get"),
        Some(moved)
    );
}

/// Forgetting a kind drops its links, claims, cursors and statuses, and nothing else.
pub async fn forget_kind(store: &dyn LinkStore) {
    let c = conn("contract-forget");
    let ttl = Duration::from_secs(60);
    let owner = RecordRef::new(Side::Hubspot, "h1");
    let cursor = Cursor {
        watermark: t(1),
        last_full_sweep: None,
    };
    for kind in ObjectKind::TWO_WAY {
        store
            .create_link(&sample_link(&c, kind, "h1", "q1"))
            .await
            .expect("create");
        store
            .claim_key(&c, kind, "k", &owner, ttl, t(0))
            .await
            .expect("claim");
        store
            .put_cursor(&c, Side::Hubspot, kind, &cursor)
            .await
            .expect("cursor");
        store
            .put_status(
                &c,
                &status(
                    kind,
                    Side::Hubspot,
                    "h1",
                    SyncOutcome::Synced { note: None },
                    0,
                ),
            )
            .await
            .expect("status");
    }
    store
        .forget_kind(&c, ObjectKind::Contact)
        .await
        .expect("forget");
    let contact = ObjectKind::Contact;
    assert!(
        store
            .get_link(&c, contact, Side::Quickbooks, "q1")
            .await
            .expect("get")
            .is_none()
    );
    assert!(
        store
            .get_cursor(&c, Side::Hubspot, contact)
            .await
            .expect("get")
            .is_none()
    );
    assert!(
        store
            .list_statuses(&c, contact)
            .await
            .expect("list")
            .is_empty()
    );
    let other = RecordRef::new(Side::Quickbooks, "q2");
    assert_eq!(
        store
            .claim_key(&c, contact, "k", &other, ttl, t(1))
            .await
            .expect("claim"),
        ClaimOutcome::Claimed
    );

    let product = ObjectKind::Product;
    assert!(
        store
            .get_link(&c, product, Side::Quickbooks, "q1")
            .await
            .expect("get")
            .is_some()
    );
    assert!(
        store
            .get_cursor(&c, Side::Hubspot, product)
            .await
            .expect("get")
            .is_some()
    );
    assert_eq!(
        store.list_statuses(&c, product).await.expect("list").len(),
        1
    );
    assert!(matches!(
        store
            .claim_key(&c, product, "k", &other, ttl, t(1))
            .await
            .expect("claim"),
        ClaimOutcome::HeldBy(_)
    ));
}

/// Runs every check above on fresh-per-check stores from `make` (log capacity `capacity`).
pub async fn all<S: LinkStore>(make: impl Fn() -> S, capacity: usize) {
    links(&make()).await;
    claims(&make()).await;
    cursors_and_statuses(&make()).await;
    bounded_log(&make(), capacity).await;
    leases(&make()).await;
    connections(&make()).await;
    forget_kind(&make()).await;
}
