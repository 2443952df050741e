//! A QBO estimate deleted after it reached its deal (docs/hubspot.md §2.13): QBO answers its
//! read with 610 and lists it no more; the deal gets one note saying so, its latest-estimate
//! values fall back to the next most recent live estimate, or clear when none is left, and a
//! repeated signal (re-delivered through the pipeline, or the mirror run again) adds nothing.

use std::sync::Arc;

use chrono::Utc;
use hqsync::adapters::quickbooks_gateway::QuickbooksGateway;
use hqsync::engine::invoicing::estimates::EstimateMirror;
use hqsync::model::kinds::QboOnlyForm;
use hqsync::model::{ObjectKind, Side};
use hqsync::ports::{Job, JobReason, Lane, RecordGateway, SyncOutcome, SystemClock};
use hqsync::quickbooks::QboError;
use hqsync::quickbooks::entities::Estimate;

use crate::e2e_estimates::Rig;
use crate::e2e_stack::eventually;

/// Waits until the deal has `count` notes, one of them containing `text`.
async fn notes_with(rig: &Rig, count: usize, text: &str) -> Vec<String> {
    eventually(
        &format!("{count} deal notes, one saying {text:?}"),
        || async {
            let notes = rig.records.notes_of(&rig.deal).await;
            (notes.len() == count && notes.iter().filter(|n| n.contains(text)).count() == 1)
                .then_some(notes)
        },
    )
    .await
}

/// Waits until estimate `id`'s job status remembers the deal it was mirrored onto.
async fn remembered_deal(rig: &Rig, id: &str) -> String {
    let stack = &rig.e2e.stack;
    eventually(
        &format!("estimate {id}'s status names its deal"),
        || async {
            stack
                .ctx
                .store
                .get_status(
                    stack.connection_id(),
                    ObjectKind::Invoice,
                    Side::Quickbooks,
                    &format!("Estimate:{id}"),
                )
                .await
                .expect("store")
                .and_then(|s| s.counterpart_id)
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_estimate_hands_the_deal_to_the_next_one_then_clears_it_with_one_note_each() {
    let rig = Rig::start().await;
    let older = rig.estimate("1").await;
    let (older_id, older_number) = (
        older.0.id.clone().unwrap(),
        older.0.doc_number.clone().unwrap(),
    );
    rig.deal_shows("qbo_latest_estimate_id", &older_id).await;
    let newer = rig.estimate("2").await;
    let (newer_id, newer_number) = (
        newer.0.id.clone().unwrap(),
        newer.0.doc_number.clone().unwrap(),
    );
    rig.deal_shows("qbo_latest_estimate_id", &newer_id).await;
    notes_with(
        &rig,
        2,
        &format!("estimate {newer_number} sent for approval"),
    )
    .await;
    assert_eq!(remembered_deal(&rig, &newer_id).await, rig.deal);

    // Deleted in QBO: QBO answers its read with 610 and no longer lists it.
    let qbo = &rig.records.qbo;
    let deleted = qbo
        .delete::<Estimate>(&newer_id, newer.0.sync_token.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(
        (deleted.entity.as_str(), deleted.id.as_str()),
        ("Estimate", newer_id.as_str())
    );
    match qbo.read::<Estimate>(&newer_id).await {
        Err(QboError::NotFound(_)) => {}
        other => panic!("a deleted estimate reads as 610: {other:?}"),
    }
    let gateway = QuickbooksGateway::new(
        rig.e2e.stack.endpoints.quickbooks_client().unwrap(),
        Arc::new(SystemClock),
    );
    let estimates = QboOnlyForm::exactly("Estimate").unwrap();
    let listed: Vec<String> = gateway
        .list_form_page(estimates, None)
        .await
        .unwrap()
        .records
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(
        listed,
        [format!("Estimate:{older_id}")],
        "the initial sync's listing"
    );

    // Its delete webhook: the deal shows the older estimate again, with one note.
    rig.deal_shows("qbo_latest_estimate_id", &older_id).await;
    assert_eq!(
        rig.deal_value("qbo_latest_estimate_number").await,
        older_number
    );
    assert_eq!(rig.deal_value("qbo_latest_estimate_total").await, "120");
    assert_eq!(
        rig.deal_value("qbo_latest_estimate_status").await,
        "pending"
    );
    let deleted_note = format!("Estimate {newer_number} was deleted in QuickBooks");
    notes_with(&rig, 3, &deleted_note).await;
    let bookkeeping = rig.deal_value("qbo_estimate_notes").await;
    assert!(
        !bookkeeping.contains(&format!("e{newer_id}=")),
        "{bookkeeping}"
    );
    assert!(
        bookkeeping.contains(&format!("e{older_id}=")),
        "{bookkeeping}"
    );

    // A repeated delivery of the deletion, through the pipeline, adds nothing and writes
    // nothing; its status still remembers the deal.
    assert_eq!(remembered_deal(&rig, &newer_id).await, rig.deal);
    let stack = &rig.e2e.stack;
    let job_id = format!("Estimate:{newer_id}");
    let status_of = || async {
        stack
            .ctx
            .store
            .get_status(
                stack.connection_id(),
                ObjectKind::Invoice,
                Side::Quickbooks,
                &job_id,
            )
            .await
            .expect("store")
            .expect("the estimate's status")
    };
    let before = status_of().await.updated_at;
    let redelivered = Job::new(
        stack.connection_id().clone(),
        ObjectKind::Invoice,
        Side::Quickbooks,
        job_id.clone(),
        JobReason::Webhook,
        Utc::now(),
    );
    stack
        .ctx
        .queue
        .enqueue(Lane::Live, vec![redelivered], None)
        .await
        .unwrap();
    let again = eventually("the re-delivered deletion is recorded", || async {
        let status = status_of().await;
        (status.updated_at > before).then_some(status)
    })
    .await;
    assert_eq!(again.counterpart_id.as_deref(), Some(rig.deal.as_str()));
    match &again.outcome {
        SyncOutcome::Synced { note, .. } => {
            let note = note.as_deref().unwrap_or_default();
            assert!(note.contains("already noted"), "{note}");
        }
        other => panic!("the re-delivery is recorded as synced: {other:?}"),
    }
    assert_eq!(rig.records.notes_of(&rig.deal).await.len(), 3);
    assert_eq!(rig.deal_value("qbo_estimate_notes").await, bookkeeping);
    let mirror = rig.mirror();
    for _ in 0..2 {
        let again = EstimateMirror::new(&mirror)
            .sync_estimate_of(&newer_id, Some(&rig.deal))
            .await
            .unwrap();
        assert!(again.deleted, "{again:?}");
        assert_eq!(again.note, None, "{again:?}");
        assert!(!again.latest_written, "{again:?}");
    }
    assert_eq!(rig.records.notes_of(&rig.deal).await.len(), 3);
    assert_eq!(rig.deal_value("qbo_estimate_notes").await, bookkeeping);

    // The last estimate deleted: the deal's latest-estimate values clear.
    let older = qbo.read::<Estimate>(&older_id).await.unwrap();
    qbo.delete::<Estimate>(&older_id, older.0.sync_token.as_deref().unwrap())
        .await
        .unwrap();
    rig.deal_shows("qbo_latest_estimate_id", "").await;
    for name in [
        "qbo_latest_estimate_number",
        "qbo_latest_estimate_status",
        "qbo_latest_estimate_total",
        "qbo_latest_estimate_url",
    ] {
        assert_eq!(rig.deal_value(name).await, "", "{name}");
    }
    notes_with(
        &rig,
        4,
        &format!("Estimate {older_number} was deleted in QuickBooks"),
    )
    .await;
    assert_eq!(rig.deal_value("qbo_estimate_notes").await, "");
    rig.e2e.shutdown().await;
}
