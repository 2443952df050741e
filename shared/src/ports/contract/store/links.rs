//! The `Links` contract: creation conditional on both ids being free (invariant 1), updates,
//! relinks and deletes conditional on the revision read (invariant 3), reads by either side.

use super::{conn, sample_link};
use crate::model::{ObjectKind, Side};
use crate::ports::{Links, StoreError};

const KIND: ObjectKind = ObjectKind::Contact;

/// A link is found from both sides, only in its kind and connection, and neither of its
/// records can be linked a second time.
pub async fn create_is_conditional_on_both_ids_being_free(store: &dyn Links) {
    let c = conn("contract-links");
    let created = store
        .create_link(&sample_link(&c, KIND, "h1", "q1"))
        .await
        .expect("create");
    assert_eq!(created.revision, 1);
    for (side, id) in [(Side::Hubspot, "h1"), (Side::Quickbooks, "q1")] {
        let found = store
            .get_link(&c, KIND, side, id)
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
            .get_link(&conn("other"), KIND, Side::Hubspot, "h1")
            .await
            .expect("get")
            .is_none()
    );

    match store.create_link(&sample_link(&c, KIND, "h1", "q2")).await {
        Err(StoreError::AlreadyLinked {
            side: Side::Hubspot,
            id,
        }) => assert_eq!(id, "h1"),
        other => panic!("expected AlreadyLinked(hubspot), got {other:?}"),
    }
    match store.create_link(&sample_link(&c, KIND, "h2", "q1")).await {
        Err(StoreError::AlreadyLinked {
            side: Side::Quickbooks,
            id,
        }) => assert_eq!(id, "q1"),
        other => panic!("expected AlreadyLinked(quickbooks), got {other:?}"),
    }
    assert!(
        store
            .get_link(&c, KIND, Side::Hubspot, "h2")
            .await
            .expect("get")
            .is_none(),
        "a refused create leaves nothing behind"
    );
}

/// An update stores `revision + 1` only from the stored revision, and never changes the ids.
pub async fn update_is_conditional_on_the_revision(store: &dyn Links) {
    let c = conn("contract-links");
    let created = store
        .create_link(&sample_link(&c, KIND, "h1", "q1"))
        .await
        .expect("create");
    let mut changed = created.clone();
    changed.qbo_version = "1".into();
    let updated = store.update_link(&changed).await.expect("update");
    assert_eq!(updated.revision, 2);
    assert_eq!(updated.qbo_version, "1");
    assert_eq!(
        store
            .get_link(&c, KIND, Side::Quickbooks, "q1")
            .await
            .expect("get"),
        Some(updated.clone())
    );
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
}

/// Batch reads answer the linked ids only; listing answers every link of the kind.
pub async fn batch_reads_find_links_by_either_side(store: &dyn Links) {
    let c = conn("contract-links");
    for (h, q) in [("h1", "q1"), ("h3", "q3")] {
        store
            .create_link(&sample_link(&c, KIND, h, q))
            .await
            .expect("create");
    }
    store
        .create_link(&sample_link(&c, ObjectKind::Product, "h2", "q2"))
        .await
        .expect("create product");
    let ids = vec!["q3".to_string(), "missing".to_string(), "q1".to_string()];
    let mut found: Vec<String> = store
        .get_links(&c, KIND, Side::Quickbooks, &ids)
        .await
        .expect("get_links")
        .into_iter()
        .map(|l| l.hubspot_id)
        .collect();
    found.sort();
    assert_eq!(found, ["h1", "h3"]);
    let by_hubspot = store
        .get_links(&c, KIND, Side::Hubspot, &["h3".to_string()])
        .await
        .expect("get_links");
    assert_eq!(
        by_hubspot
            .iter()
            .map(|l| l.qbo_id.as_str())
            .collect::<Vec<_>>(),
        ["q3"]
    );
    assert_eq!(store.list_links(&c, KIND).await.expect("list").len(), 2);
    assert_eq!(
        store
            .list_links(&c, ObjectKind::Product)
            .await
            .expect("list")
            .len(),
        1
    );
}

/// A relink (a merge) moves a link to free ids from the revision read; a delete frees both ids.
pub async fn relink_and_delete_are_conditional_and_free_the_ids(store: &dyn Links) {
    let c = conn("contract-links");
    let linked = store
        .create_link(&sample_link(&c, KIND, "h1", "q1"))
        .await
        .expect("create");
    store
        .create_link(&sample_link(&c, KIND, "h3", "q3"))
        .await
        .expect("create h3");

    let mut to_linked = linked.clone();
    to_linked.qbo_id = "q3".into();
    assert!(matches!(
        store.relink(&linked, &to_linked).await,
        Err(StoreError::AlreadyLinked {
            side: Side::Quickbooks,
            ..
        })
    ));
    let mut merged = linked.clone();
    merged.qbo_id = "q4".into();
    let relinked = store.relink(&linked, &merged).await.expect("relink");
    assert_eq!(relinked.revision, 2);
    assert!(
        store
            .get_link(&c, KIND, Side::Quickbooks, "q1")
            .await
            .expect("get")
            .is_none()
    );
    assert_eq!(
        store
            .get_link(&c, KIND, Side::Quickbooks, "q4")
            .await
            .expect("get")
            .map(|l| l.hubspot_id),
        Some("h1".to_string())
    );
    assert!(matches!(
        store.relink(&linked, &merged).await,
        Err(StoreError::RevisionMismatch { .. })
    ));

    assert!(matches!(
        store.delete_link(&linked).await,
        Err(StoreError::RevisionMismatch { .. })
    ));
    store.delete_link(&relinked).await.expect("delete");
    for (side, id) in [(Side::Hubspot, "h1"), (Side::Quickbooks, "q4")] {
        assert!(
            store
                .get_link(&c, KIND, side, id)
                .await
                .expect("get")
                .is_none()
        );
    }
    store
        .create_link(&sample_link(&c, KIND, "h1", "q4"))
        .await
        .expect("ids are free again");
}
