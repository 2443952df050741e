//! The initial sync brings QBO estimates that no webhook or poll announced onto their deal
//! (docs/hubspot.md §2.13): its dry run counts them, its real run queues one bulk job each,
//! after the invoices, and the worker mirrors them.

use hqsync::engine::sync::initial_sync::InitialSyncOptions;
use hqsync::hubspot::ObjectType;
use hqsync::quickbooks::entities::{Estimate, Invoice, Ref};
use hqsync_tests::invoicing::{InvoiceRecords, sales_line};

use crate::e2e_estimates::DEAL_PROPERTIES;
use crate::e2e_stack::{E2eOptions, E2eStack, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_initial_sync_brings_an_unannounced_estimate_onto_its_deal() {
    // No QBO webhooks and no poller: only the initial sync can find the estimate.
    let e2e = E2eStack::start(
        E2eOptions {
            poll_interval: None,
            ..E2eOptions::default()
        },
        |_, qb| {
            qb.limits.per_second = 0;
            qb.webhook_url = None;
        },
    )
    .await;
    let records = InvoiceRecords::over(
        e2e.stack.endpoints.hubspot_client().unwrap(),
        e2e.stack.endpoints.quickbooks_client().unwrap(),
    )
    .await;
    let customer = records.customer("Bea Backfill", "bea@example.com").await;
    let item = records.item("Audit", "75").await;
    let deal = records.deal("Audit deal", None).await;
    let estimate: Estimate = records
        .qbo
        .create_idempotent(&Estimate(Invoice {
            customer_ref: Some(Ref::to(customer)),
            line: vec![sales_line(&item, "2", "75")],
            private_note: Some(format!("HubSpot deal: {deal}")),
            ..Invoice::default()
        }))
        .await
        .unwrap();
    let id = estimate.0.id.clone().unwrap();
    let number = estimate.0.doc_number.clone().unwrap();

    let preview = InitialSyncOptions {
        dry_run: true,
        ..InitialSyncOptions::default()
    };
    let dry = e2e.stack.initial_sync(&preview, &|_| {}).await.unwrap();
    let estimates = dry
        .mirrored
        .iter()
        .find(|m| m.label() == "estimate")
        .expect("the dry run has an estimate row");
    assert_eq!((estimates.qbo_records, estimates.queued), (1, 0));

    let real = e2e
        .stack
        .initial_sync(&InitialSyncOptions::default(), &|_| {})
        .await
        .unwrap();
    let labels: Vec<String> = real.mirrored.iter().map(|m| m.label()).collect();
    assert_eq!(labels, ["invoice", "estimate", "payment"]);
    assert_eq!(real.mirrored[1].queued, 1);

    let shown = eventually("the deal shows the backfilled estimate", || async {
        let deal = records.get(ObjectType::Deals, &deal, DEAL_PROPERTIES).await;
        (deal.get("qbo_latest_estimate_id") == Some(id.as_str())).then_some(deal)
    })
    .await;
    assert_eq!(
        shown.get("qbo_latest_estimate_number"),
        Some(number.as_str())
    );
    assert_eq!(shown.get("qbo_latest_estimate_total"), Some("150"));
    let notes = eventually("one estimate note", || async {
        let notes = records.notes_of(&deal).await;
        (notes.len() == 1).then_some(notes)
    })
    .await;
    assert!(
        notes[0].contains(&format!("estimate {number} sent for approval")),
        "{notes:?}"
    );
    e2e.shutdown().await;
}
