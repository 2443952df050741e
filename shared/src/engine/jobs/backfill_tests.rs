//! Fanned-out initial sync tests: page jobs list page by page and queue record jobs, the run
//! counts to done, it links like the inline initial sync, and a second start while running is
//! refused with the run.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::backfill::{RunState, StartError, initial_sync_progress, start_initial_sync};
use super::gateways::FixedGateways;
use super::test_harness::{Harness, values};
use super::{SyncContext, run_queue_once};
use crate::adapters::memory::MemoryGateway;
use crate::engine::sync::GatewayPair;
use crate::engine::sync::initial_sync::{InitialSyncOptions, initial_sync};
use crate::model::{ConnectionSettings, ObjectKind, Side, SyncState};
use crate::ports::{
    Clock, ConnectionStatus, Connections, Cursors, InitialSyncRuns, JobQueue, Lane, StatusLog,
};

const CONTACT: ObjectKind = ObjectKind::Contact;
const PRODUCT: ObjectKind = ObjectKind::Product;

/// A harness whose vendors list `page_size` records per page, with invoices off (the memory
/// harness has no invoicing), seeded with contacts and products on both sides.
async fn seeded(page_size: usize) -> (Harness, Arc<MemoryGateway>, Arc<MemoryGateway>) {
    let mut settings = ConnectionSettings::default();
    settings.invoices.invoice_sync = SyncState::Disabled;
    let mut h = Harness::with_settings(settings).await;
    let hubspot = Arc::new(MemoryGateway::hubspot(h.clock.clone()).with_page_size(page_size));
    let qbo = Arc::new(MemoryGateway::quickbooks(h.clock.clone()).with_page_size(page_size));
    h.ctx = SyncContext {
        gateways: Arc::new(FixedGateways::new(GatewayPair::new(
            hubspot.clone(),
            qbo.clone(),
        ))),
        ..h.ctx.clone()
    };
    let contact = |g: &MemoryGateway, side: Side, email: &str, first: &str, last: &str| {
        let v = match side {
            Side::Hubspot => values(&[
                ("email", json!(email)),
                ("firstname", json!(first)),
                ("lastname", json!(last)),
            ]),
            Side::Quickbooks => values(&[
                ("PrimaryEmailAddr.Address", json!(email)),
                ("GivenName", json!(first)),
                ("FamilyName", json!(last)),
                ("DisplayName", json!(format!("{first} {last}"))),
            ]),
        };
        g.insert(CONTACT, v);
    };
    contact(
        &hubspot,
        Side::Hubspot,
        "ada@analytical.example",
        "Ada",
        "Lovelace",
    );
    contact(
        &hubspot,
        Side::Hubspot,
        "bob@builder.example",
        "Bob",
        "Builder",
    );
    contact(&hubspot, Side::Hubspot, "dan@example.com", "Dan", "Day");
    contact(
        &qbo,
        Side::Quickbooks,
        "ADA@analytical.example",
        "Ada",
        "Lovelace",
    );
    contact(&qbo, Side::Quickbooks, "carol@example.com", "Carol", "Shaw");
    contact(
        &qbo,
        Side::Quickbooks,
        "bob@other.example",
        "Bob",
        "Builder",
    );
    contact(&qbo, Side::Quickbooks, "dan@example.com", "Dan", "Day");
    hubspot.insert(
        PRODUCT,
        values(&[("hs_sku", json!("CONS-1")), ("name", json!("Consulting"))]),
    );
    hubspot.insert(
        PRODUCT,
        values(&[("hs_sku", json!("TRAIN-1")), ("name", json!("Training"))]),
    );
    qbo.insert(
        PRODUCT,
        values(&[("Sku", json!("cons-1")), ("Name", json!("Consulting hour"))]),
    );
    (h, hubspot, qbo)
}

/// Runs the bulk lane until nothing is pending, moving the clock past hand-back delays.
async fn drain_bulk(h: &Harness) {
    for _ in 0..200 {
        let run = run_queue_once(&h.ctx, Lane::Bulk, 10).await.unwrap();
        if run.received == 0 {
            if h.queue.pending(Lane::Bulk).await.unwrap() == 0 {
                return;
            }
            h.clock.advance(Duration::from_secs(3600));
        }
    }
    panic!("the bulk lane never drained");
}

#[tokio::test]
async fn the_fanned_out_run_lists_page_by_page_and_links_like_the_inline_sync() {
    let (inline, inline_hs, inline_qb) = seeded(2).await;
    initial_sync(
        &inline.ctx.sync_ports(),
        &inline.conn,
        &InitialSyncOptions::default(),
        &|_| {},
    )
    .await
    .unwrap();

    let (h, hubspot, qbo) = seeded(2).await;
    let mut record = h.store.get_connection(&h.conn).await.unwrap().unwrap();
    record.status = ConnectionStatus::Connected;
    h.store.put_connection(&record).await.unwrap();

    let started = start_initial_sync(&h.ctx, &h.conn).await.unwrap();
    assert_eq!(started.state, RunState::Running);
    assert_eq!(
        started.kinds.iter().map(|k| k.kind).collect::<Vec<_>>(),
        vec![CONTACT, PRODUCT]
    );
    assert_eq!(started.kinds[0].pages_pending, 2, "one first page per side");
    assert_eq!(started.pending_jobs, 4);
    let status = h
        .store
        .get_connection(&h.conn)
        .await
        .unwrap()
        .unwrap()
        .status;
    assert_eq!(status, ConnectionStatus::Active, "connected becomes active");
    assert_eq!(
        hubspot.calls().ensure_schema,
        1,
        "the accounts are prepared"
    );

    match start_initial_sync(&h.ctx, &h.conn).await {
        Err(StartError::AlreadyRunning(progress)) => {
            assert_eq!(progress.run_id, started.run_id);
        }
        other => panic!("a second start while running: {other:?}"),
    }

    drain_bulk(&h).await;
    let done = initial_sync_progress(&h.ctx, &h.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.state, RunState::Done, "{done:?}");
    assert_eq!(done.pending_jobs, 0);
    let contacts = &done.kinds[0];
    assert!(contacts.listed >= 7, "{contacts:?}");
    assert_eq!(contacts.queued, contacts.done + contacts.failed);
    assert_eq!(contacts.failed, 0, "{contacts:?}");
    assert!(
        hubspot.calls().list_page >= 3 && qbo.calls().list_page >= 3,
        "listed page by page: {:?} {:?}",
        hubspot.calls(),
        qbo.calls()
    );

    for kind in [CONTACT, PRODUCT] {
        assert_eq!(
            h.links(kind).await.len(),
            inline.links(kind).await.len(),
            "{kind}: the same links as the inline initial sync"
        );
        for (fanned, inline) in [(&hubspot, &inline_hs), (&qbo, &inline_qb)] {
            assert_eq!(
                fanned.records(kind).len(),
                inline.records(kind).len(),
                "{kind}: no duplicates created"
            );
        }
        for side in Side::BOTH {
            let cursor = h
                .store
                .get_cursor(&h.conn, side, kind)
                .await
                .unwrap()
                .expect("the poller takes over after the last page");
            assert!(cursor.last_full_sweep.is_some());
            let run = h.store.get_initial_sync(&h.conn).await.unwrap().unwrap();
            assert!(cursor.watermark <= run.started_at);
        }
    }
    assert!(
        qbo.records(CONTACT)
            .iter()
            .any(|r| r.values["DisplayName"] == json!("Bob Builder (2)")),
        "the collision got its suffix as in the inline run"
    );

    let again = start_initial_sync(&h.ctx, &h.conn).await.unwrap();
    assert_ne!(
        again.run_id, started.run_id,
        "a finished run can be followed by a new one"
    );
}

#[tokio::test]
async fn a_page_that_cannot_be_listed_fails_the_run_with_the_reason() {
    let (h, _hubspot, qbo) = seeded(2).await;
    start_initial_sync(&h.ctx, &h.conn).await.unwrap();
    qbo.fail_next_calls((0..100).map(|_| crate::ports::GatewayError::Other {
        message: "QBO said no".into(),
    }));
    drain_bulk(&h).await;
    let progress = initial_sync_progress(&h.ctx, &h.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(progress.state, RunState::Failed, "{progress:?}");
    assert!(
        progress
            .error
            .as_deref()
            .is_some_and(|e| e.contains("QBO said no")),
        "{progress:?}"
    );
    assert!(
        h.store.recent_log(&h.conn, 1).await.is_ok(),
        "the store stays readable"
    );
}

#[tokio::test]
async fn a_page_that_keeps_throttling_is_dead_lettered_and_the_run_ends_failed() {
    let (h, hubspot, _qbo) = seeded(2).await;
    start_initial_sync(&h.ctx, &h.conn).await.unwrap();
    hubspot.fail_next_calls((0..200).map(|_| crate::ports::GatewayError::Throttled {
        wait: Duration::from_secs(10),
    }));
    drain_bulk(&h).await;
    let progress = initial_sync_progress(&h.ctx, &h.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(progress.state, RunState::Failed, "{progress:?}");
    assert!(
        progress
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with("gave up after 8 receives")),
        "the dead letter's reason is the run's error: {progress:?}"
    );
    use crate::ports::DeadLetters;
    let letters = h.queue.list_dead_letters(Lane::Bulk, 10).await.unwrap();
    assert!(
        letters.iter().any(|l| l
            .job
            .as_ref()
            .is_some_and(|j| j.backfill_page_of().is_some())),
        "the page job is kept as a dead letter for a redrive: {letters:?}"
    );
}

/// The daily sweep fanned out: one sweep job per connection on the bulk lane starts a sweep
/// run that reconciles page by page (each job deadline-bound), like the inline sweep; a second
/// sweep job queued before that run started (a retried poller invocation) does nothing.
#[tokio::test]
async fn the_sweep_job_reconciles_through_a_fanned_out_run_once() {
    use super::sweep_job::queue_sweeps;

    let (inline, _, _) = seeded(2).await;
    let inline_report = super::schedule::sweep_connection(&inline.ctx, &inline.conn).await;
    assert!(inline_report.errors.is_empty(), "{inline_report:?}");

    let (h, hubspot, _qbo) = seeded(2).await;
    assert_eq!(
        queue_sweeps(&h.ctx, std::slice::from_ref(&h.conn))
            .await
            .unwrap(),
        1
    );
    // The same sweep queued again by a retried invocation (coalesced or not, it must not run
    // a second reconciliation).
    let early = h.clock.now();
    h.clock.advance(Duration::from_secs(1));
    drain_bulk(&h).await;
    let run = h.store.get_initial_sync(&h.conn).await.unwrap().unwrap();
    assert!(run.id.starts_with("sweep-"), "{}", run.id);
    let progress = initial_sync_progress(&h.ctx, &h.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(progress.state, RunState::Done, "{progress:?}");
    for kind in [CONTACT, PRODUCT] {
        assert_eq!(
            h.links(kind).await.len(),
            inline.links(kind).await.len(),
            "{kind}: the same links as the inline sweep"
        );
    }
    assert!(hubspot.calls().list_page >= 3, "listed page by page");
    assert!(
        h.store
            .get_cursor(&h.conn, Side::Hubspot, CONTACT)
            .await
            .unwrap()
            .unwrap()
            .last_full_sweep
            .is_some()
    );

    let again = crate::ports::Job::sweep(h.conn.clone(), early);
    let results = h.run(vec![again]).await;
    assert_eq!(results[0].disposition, super::Disposition::Done);
    let still = h.store.get_initial_sync(&h.conn).await.unwrap().unwrap();
    assert_eq!(
        still.id, run.id,
        "no second run for a sweep queued before the first"
    );
}

/// A poll of the connection holds the poll lease: the sweep job waits for it, and a second poll
/// is refused while the first holds it.
#[tokio::test]
async fn polls_and_the_sweep_job_never_overlap_on_one_connection() {
    use super::schedule::{POLL_LEASE, POLL_LEASE_TTL, PollError, poll_connection};
    use crate::ports::Leases;

    let (h, _hubspot, _qbo) = seeded(2).await;
    let held = h
        .store
        .acquire_lease(
            &h.conn,
            POLL_LEASE,
            "poll-other",
            POLL_LEASE_TTL,
            h.clock.now(),
        )
        .await
        .unwrap();
    assert!(held.is_some());
    assert!(matches!(
        poll_connection(&h.ctx, &h.conn).await,
        Err(PollError::Busy(_))
    ));
    let sweep = crate::ports::Job::sweep(h.conn.clone(), h.clock.now());
    let results = h.run(vec![sweep]).await;
    assert!(
        matches!(&results[0].disposition, super::Disposition::RetryAfter { reason, .. } if reason.contains("lease")),
        "{:?}",
        results[0].disposition
    );
    assert!(h.store.get_initial_sync(&h.conn).await.unwrap().is_none());

    // Once the holder's lease expires, polls run again (and release it after).
    h.clock.advance(POLL_LEASE_TTL + Duration::from_secs(1));
    poll_connection(&h.ctx, &h.conn).await.unwrap();
    poll_connection(&h.ctx, &h.conn).await.unwrap();
}

/// Queues the daily sweep a day later, drains it and answers its contact counts.
async fn sweep_a_day_later(h: &Harness) -> crate::ports::RunCounts {
    h.clock.advance(Duration::from_secs(24 * 3600));
    super::sweep_job::queue_sweeps(&h.ctx, std::slice::from_ref(&h.conn))
        .await
        .unwrap();
    drain_bulk(h).await;
    let run = h.store.get_initial_sync(&h.conn).await.unwrap().unwrap();
    assert!(run.id.starts_with("sweep-"), "{}", run.id);
    run.kinds[&CONTACT]
}

/// A later sweep queues only what may need work: pairs whose versions on both sides and the
/// kind's settings are as their link recorded are counted unchanged and cost one batch read of
/// the other side per page instead of a record job each; an edit that no webhook or poll
/// delivered is still found and synced, and a settings change re-queues every pair.
#[tokio::test]
async fn a_later_sweep_skips_unchanged_pairs_but_finds_missed_edits_and_settings_changes() {
    let (h, hubspot, qbo) = seeded(2).await;
    let first = sweep_a_day_later(&h).await;
    let linked = h.links(CONTACT).await;
    assert!(linked.len() >= 3, "{linked:?}");
    // Pairs the first listing links can already count unchanged in the other side's listing.
    assert!(first.unchanged < first.listed / 2, "{first:?}");

    let second = sweep_a_day_later(&h).await;
    let listed_linked = 2 * linked.len() as u64;
    assert_eq!(second.unchanged, listed_linked, "{second:?}");
    assert_eq!(second.queued, second.listed - listed_linked, "{second:?}");

    // A person edits a linked contact in HubSpot and the webhook is lost.
    let ada = linked
        .iter()
        .find(|l| {
            hubspot
                .get(CONTACT, &l.hubspot_id)
                .is_some_and(|r| r.values.get("firstname") == Some(&json!("Ada")))
        })
        .expect("Ada is linked")
        .clone();
    hubspot
        .edit(
            CONTACT,
            &ada.hubspot_id,
            values(&[("firstname", json!("Augusta"))]),
        )
        .unwrap();
    let third = sweep_a_day_later(&h).await;
    assert_eq!(
        third.unchanged,
        listed_linked - 2,
        "the edited pair is queued from both listings: {third:?}"
    );
    assert_eq!(
        qbo.get(CONTACT, &ada.qbo_id)
            .unwrap()
            .values
            .get("GivenName"),
        Some(&json!("Augusta")),
        "the missed edit reached QBO"
    );

    // A settings change of the kind re-queues every pair once.
    let mut record = h.store.get_connection(&h.conn).await.unwrap().unwrap();
    record
        .connection
        .settings
        .contact
        .conflict
        .per_field
        .insert("phone".into(), crate::model::ConflictWinner::QuickbooksWins);
    h.store.put_connection(&record).await.unwrap();
    let fourth = sweep_a_day_later(&h).await;
    // Each pair is queued from at least one of its listings (the other may then find it
    // re-stamped already).
    assert!(
        fourth.queued >= linked.len() as u64 && fourth.unchanged < linked.len() as u64,
        "{fourth:?}"
    );
    let fifth = sweep_a_day_later(&h).await;
    assert_eq!(fifth.unchanged, listed_linked, "settled again: {fifth:?}");
}
