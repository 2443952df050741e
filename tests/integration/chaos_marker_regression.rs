//! Item 2 in the chaos harness (docs/chaos.md §2, docs/architecture.md §5 invariant 2): the
//! worker crashes between a create and its link write, a person changes the new record's
//! match key before the retry, and the retry still leaves exactly one record.

use hqsync::model::{ObjectKind, Side};
use hqsync_cli::chaos::history::Event;
use hqsync_cli::chaos::{ChaosOptions, Forced, run};

async fn crash_then_rekey(kind: ObjectKind, side: Side) {
    let outcome = run(&ChaosOptions {
        seed: 7,
        ops: 0,
        progress_every: 0,
        forced: vec![Forced::CrashThenRekey { kind, side }],
    })
    .await
    .expect("the chaos run starts and finishes");
    let lines: Vec<String> = outcome.history.events().iter().map(Event::line).collect();
    let other = side.other();
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("fault Crash after Create on {other}"))),
        "the worker crashed after creating on {other}: {lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("person edits the match key")),
        "the new record's match key was edited before the retry: {lines:#?}"
    );
    let rekeyed = outcome
        .history
        .edits()
        .filter(|e| e.side == other && e.kind == kind)
        .count();
    assert_eq!(rekeyed, 1, "one person edit on the created record");
    let v = &outcome.verdict;
    assert_eq!(
        (v.duplicates, v.lost_updates, v.unconverged),
        (0, 0, 0),
        "exactly one record per side, linked, holding the new key: {:#?}",
        v.details
    );
    assert!(outcome.quiesced, "{:?}", outcome.info);
    assert!(
        outcome
            .final_state
            .iter()
            .filter(|l| l.starts_with("link "))
            .count()
            == 1,
        "one link: {:#?}",
        outcome.final_state
    );
    assert_eq!(
        outcome
            .final_state
            .iter()
            .filter(|l| l.starts_with("record "))
            .count(),
        2,
        "one record on each side: {:#?}",
        outcome.final_state
    );
}

// A known gap, found by this harness: the QBO customer created from a HubSpot contact carries
// no marker, so when its own job (the person's edit) runs before the contact's retry, the sync
// copies it into a second HubSpot contact and the retry then reports "a duplicate"
// (docs/chaos.md §8). Run with --ignored to see it.
#[ignore = "engine gap: a QBO record created from HubSpot has no marker (docs/chaos.md §8)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_crash_after_a_qbo_create_then_a_new_email_keeps_one_customer() {
    crash_then_rekey(ObjectKind::Contact, Side::Hubspot).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_crash_after_a_hubspot_create_then_a_new_email_keeps_one_contact() {
    crash_then_rekey(ObjectKind::Contact, Side::Quickbooks).await;
}

#[ignore = "engine gap: a QBO record created from HubSpot has no marker (docs/chaos.md §8)"]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_crash_after_a_qbo_item_create_then_a_new_sku_keeps_one_item() {
    crash_then_rekey(ObjectKind::Product, Side::Hubspot).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_crash_after_a_hubspot_product_create_then_a_new_sku_keeps_one_product() {
    crash_then_rekey(ObjectKind::Product, Side::Quickbooks).await;
}
