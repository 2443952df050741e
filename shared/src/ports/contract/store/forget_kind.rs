//! The `ForgetKind` contract: forgetting a kind drops its links, claims, cursors and statuses,
//! and leaves other kinds alone. It spans capabilities, so it runs on the whole `Store`.

use std::time::Duration;

use super::{conn, sample_link, status, t};
use crate::model::{ObjectKind, Side};
use crate::ports::{ClaimOutcome, Cursor, RecordRef, Store, SyncOutcome};

/// Contacts forgotten, products kept: links, claims, cursors and statuses of each kind.
pub async fn forgetting_a_kind_drops_its_state_and_nothing_else(store: &dyn Store) {
    let c = conn("contract-forget");
    let ttl = Duration::from_secs(60);
    let owner = RecordRef::new(Side::Hubspot, "h1");
    let cursor = Cursor {
        watermark: t(1),
        last_full_sweep: None,
        queued: Vec::new(),
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
        let synced = SyncOutcome::Synced {
            note: None,
            warnings: Vec::new(),
        };
        store
            .put_status(&c, &status(kind, Side::Hubspot, "h1", synced, 0))
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
