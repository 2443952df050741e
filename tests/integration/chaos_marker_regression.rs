//! Item 2 in the chaos harness (docs/chaos.md §2, docs/architecture.md §5 invariant 2): the
//! worker crashes between a create and its link write, a person changes the new record's
//! match key before the retry, and the retry still leaves exactly one record.

use hqsync::model::{ObjectKind, Side};
use hqsync_cli::chaos::history::Event;
use hqsync_cli::chaos::{ChaosOptions, Forced, run};

async fn crash_then_rekey(kind: ObjectKind, side: Side) {
    forced_crash(Forced::CrashThenRekey { kind, side }, kind, side).await;
}

async fn forced_crash(forced: Forced, kind: ObjectKind, side: Side) -> Vec<String> {
    let outcome = run(&ChaosOptions {
        seed: 7,
        ops: 0,
        progress_every: 0,
        forced: vec![forced],
        connections: 1,
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
    lines
}

// The QBO customer created from a HubSpot contact carries no marker; its own job (the person's
// edit) runs before the contact's retry and finds the contact through the pending create the
// crashed attempt left (engine/sync/pending_creates.rs), instead of copying it into a second
// HubSpot contact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_crash_after_a_qbo_create_then_a_new_email_keeps_one_customer() {
    crash_then_rekey(ObjectKind::Contact, Side::Hubspot).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_crash_after_a_hubspot_create_then_a_new_email_keeps_one_contact() {
    crash_then_rekey(ObjectKind::Contact, Side::Quickbooks).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_crash_after_a_qbo_item_create_then_a_new_sku_keeps_one_item() {
    crash_then_rekey(ObjectKind::Product, Side::Hubspot).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_crash_after_a_hubspot_product_create_then_a_new_sku_keeps_one_product() {
    crash_then_rekey(ObjectKind::Product, Side::Quickbooks).await;
}

// QBO forgets its requestids (how long it keeps them is unverified) and the crashed job's retry
// runs before the edited customer's webhook: the retry finds the customer through its pending
// create (by the unique name it wrote) instead of creating a renamed second one.
async fn retry_first_without_replay(kind: ObjectKind) {
    let side = Side::Hubspot;
    let lines = forced_crash(Forced::CrashRekeyRetryFirst { kind, side }, kind, side).await;
    let forgot = lines
        .iter()
        .position(|l| l.contains("QBO forgets") && !l.contains("forgets 0 "))
        .unwrap_or_else(|| panic!("QBO forgot the create's requestid: {lines:#?}"));
    let first_delivery_after = lines[forgot..]
        .iter()
        .position(|l| l.contains(" delivery "))
        .map_or(usize::MAX, |at| at + forgot);
    let retried = lines[forgot..]
        .iter()
        .position(|l| l.contains("step Live done=1"))
        .map(|at| at + forgot)
        .unwrap_or_else(|| panic!("the crashed job ran again: {lines:#?}"));
    assert!(
        retried < first_delivery_after,
        "the retry ran before the edited record's webhook was delivered: {lines:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_a_retry_without_requestid_replay_finds_its_customer_after_a_new_email() {
    retry_first_without_replay(ObjectKind::Contact).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_a_retry_without_requestid_replay_finds_its_item_after_a_new_sku() {
    retry_first_without_replay(ObjectKind::Product).await;
}
