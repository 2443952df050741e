//! The `PendingCreates` contract (docs/architecture.md §5 invariant 2): a pending create is
//! stored per source record, replaced by a later attempt, listed per kind and connection, and
//! cleared only for its own source.

use super::{conn, t};
use crate::model::{ObjectKind, Side};
use crate::ports::{PendingCreate, PendingCreates, RecordRef};

fn pending(source: &str, request_id: &str, name: &str, at: i64) -> PendingCreate {
    PendingCreate {
        source: RecordRef::new(Side::Hubspot, source),
        request_id: request_id.into(),
        values: [("DisplayName".to_owned(), serde_json::json!(name))].into(),
        at: t(at),
        expires_at: t(at + 86_400),
    }
}

/// Stored whole and read back; a second attempt of the same source replaces the first.
pub async fn pending_creates_round_trip_and_a_later_attempt_replaces(store: &dyn PendingCreates) {
    let c = conn("contract-pending");
    let kind = ObjectKind::Contact;
    assert!(
        store
            .pending_creates(&c, kind)
            .await
            .expect("list")
            .is_empty()
    );
    let first = pending("h1", "rid-1", "Ada Lovelace", 0);
    store
        .put_pending_create(&c, kind, &first)
        .await
        .expect("put");
    assert_eq!(
        store.pending_creates(&c, kind).await.expect("list"),
        vec![first]
    );
    let renamed = pending("h1", "rid-2", "Ada Lovelace (2)", 30);
    store
        .put_pending_create(&c, kind, &renamed)
        .await
        .expect("put");
    let other = pending("h2", "rid-3", "Grace Hopper", 40);
    store
        .put_pending_create(&c, kind, &other)
        .await
        .expect("put");
    assert_eq!(
        store.pending_creates(&c, kind).await.expect("list"),
        vec![renamed, other],
        "one per source record, ordered by source"
    );
}

/// Other kinds and connections are other spaces; clearing drops only its own source, and
/// clearing what is not there is no error.
pub async fn pending_creates_are_per_kind_and_cleared_per_source(store: &dyn PendingCreates) {
    let (c, elsewhere) = (conn("contract-pending-a"), conn("contract-pending-b"));
    let ada = pending("h1", "rid-1", "Ada", 0);
    let bob = pending("h2", "rid-2", "Bob", 0);
    store
        .put_pending_create(&c, ObjectKind::Contact, &ada)
        .await
        .expect("put");
    store
        .put_pending_create(&c, ObjectKind::Contact, &bob)
        .await
        .expect("put");
    assert!(
        store
            .pending_creates(&c, ObjectKind::Product)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        store
            .pending_creates(&elsewhere, ObjectKind::Contact)
            .await
            .expect("list")
            .is_empty()
    );
    store
        .clear_pending_create(&elsewhere, ObjectKind::Contact, &ada.source)
        .await
        .expect("clear elsewhere");
    store
        .clear_pending_create(&c, ObjectKind::Product, &ada.source)
        .await
        .expect("clear another kind");
    store
        .clear_pending_create(&c, ObjectKind::Contact, &ada.source)
        .await
        .expect("clear");
    store
        .clear_pending_create(&c, ObjectKind::Contact, &ada.source)
        .await
        .expect("clearing twice is fine");
    assert_eq!(
        store
            .pending_creates(&c, ObjectKind::Contact)
            .await
            .expect("list"),
        vec![bob]
    );
}
