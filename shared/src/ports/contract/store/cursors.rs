//! The `Cursors` contract: a cursor per connection, side and kind round-trips, including an
//! absent last full sweep and the queued versions, and a put replaces the whole cursor.

use super::{conn, t};
use crate::model::{ObjectKind, Side};
use crate::ports::{Cursor, Cursors, QueuedVersion};

/// Absent until put; separate per side, kind and connection; overwritten as a whole.
pub async fn cursors_round_trip_per_side_and_kind_and_overwrite(store: &dyn Cursors) {
    let c = conn("contract-cursors");
    let (qbo, contact) = (Side::Quickbooks, ObjectKind::Contact);
    assert!(
        store
            .get_cursor(&c, qbo, contact)
            .await
            .expect("get")
            .is_none()
    );
    let cursor = Cursor {
        watermark: t(5),
        last_full_sweep: Some(t(1)),
        queued: vec![QueuedVersion {
            id: "CreditMemo:12".into(),
            version: "3".into(),
            changed_at: t(4),
        }],
    };
    store
        .put_cursor(&c, qbo, contact, &cursor)
        .await
        .expect("put");
    assert_eq!(
        store.get_cursor(&c, qbo, contact).await.expect("get"),
        Some(cursor.clone())
    );
    for (side, kind) in [(Side::Hubspot, contact), (qbo, ObjectKind::Product)] {
        assert!(
            store
                .get_cursor(&c, side, kind)
                .await
                .expect("get")
                .is_none()
        );
    }
    assert!(
        store
            .get_cursor(&conn("contract-cursors-2"), qbo, contact)
            .await
            .expect("get")
            .is_none()
    );
    let later = Cursor {
        watermark: t(9),
        last_full_sweep: None,
        queued: Vec::new(),
    };
    store
        .put_cursor(&c, qbo, contact, &later)
        .await
        .expect("put");
    assert_eq!(
        store.get_cursor(&c, qbo, contact).await.expect("get"),
        Some(later),
        "the queued versions went with the overwrite"
    );
}
