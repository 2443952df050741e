//! Initial sync and poller tests: the dry-run preview writes nothing; the real run links,
//! creates in batches, sets watermarks; mirrored kinds are backfilled and polled from QBO only.

use std::sync::Mutex;
use std::time::Duration;

use serde_json::json;

use super::test_harness::{Harness, values};
use crate::engine::jobs::schedule::poll_connection;
use crate::engine::sync::initial_sync::{
    InitialSyncOptions, MirroredBackfill, SyncProgress, initial_sync,
};
use crate::model::{ConnectionSettings, ObjectKind, Side, SyncState};
use crate::ports::{Cursors, GatewayError, Job, JobQueue, JobReason, Lane, Links, StatusLog};

const CONTACT: ObjectKind = ObjectKind::Contact;
const PRODUCT: ObjectKind = ObjectKind::Product;
const INVOICE: ObjectKind = ObjectKind::Invoice;
const PAYMENT: ObjectKind = ObjectKind::Payment;

/// Ada on both sides, Bob only in HubSpot (his name is taken in QBO by another Bob), Carol
/// only in QBO; a product on both sides by SKU and one only in HubSpot.
async fn seeded() -> Harness {
    let h = Harness::new().await;
    h.hubspot_contact("ada@analytical.example", "Ada", "Lovelace");
    h.hubspot_contact("bob@builder.example", "Bob", "Builder");
    h.qbo_customer("ADA@analytical.example", "Ada", "Lovelace");
    h.qbo_customer("carol@example.com", "Carol", "Shaw");
    h.qbo_customer("bob@other.example", "Bob", "Builder");
    h.hubspot.insert(
        PRODUCT,
        values(&[
            ("hs_sku", json!("CONS-1")),
            ("name", json!("Consulting")),
            ("price", json!("150")),
        ]),
    );
    h.hubspot.insert(
        PRODUCT,
        values(&[("hs_sku", json!("TRAIN-1")), ("name", json!("Training"))]),
    );
    h.qbo.insert(
        PRODUCT,
        values(&[
            ("Sku", json!("cons-1")),
            ("Name", json!("Consulting hour")),
            ("UnitPrice", json!(150)),
        ]),
    );
    h
}

fn options(dry_run: bool) -> InitialSyncOptions {
    InitialSyncOptions {
        dry_run,
        ..InitialSyncOptions::default()
    }
}

#[tokio::test]
async fn a_dry_run_previews_links_creates_and_collisions_and_writes_nothing() {
    let h = seeded().await;
    let progress = Mutex::new(Vec::new());
    let report = initial_sync(&h.ctx.sync_ports(), &h.conn, &options(true), &|p| {
        progress.lock().unwrap().push(p)
    })
    .await
    .unwrap();
    assert!(report.dry_run);
    let contacts = report
        .kinds
        .iter()
        .find(|k| k.kind == Some(CONTACT))
        .unwrap();
    assert_eq!((contacts.hubspot_records, contacts.qbo_records), (2, 3));
    assert_eq!(contacts.new_links, 1);
    assert_eq!(contacts.creates.get(&Side::Quickbooks), Some(&1));
    assert_eq!(contacts.creates.get(&Side::Hubspot), Some(&2));
    assert_eq!(contacts.collisions, 1, "{contacts:?}");
    assert!(contacts.samples["collisions"][0].contains("Bob Builder (2)"));
    assert_eq!(contacts.samples["links"].len(), 1);
    let products = report
        .kinds
        .iter()
        .find(|k| k.kind == Some(PRODUCT))
        .unwrap();
    assert_eq!(products.new_links, 1);
    assert_eq!(products.creates.get(&Side::Quickbooks), Some(&1));
    // The linked pair differs in name: the policy picks one, so one side gets an update.
    assert_eq!(products.updates.values().sum::<usize>(), 1, "{products:?}");

    // Nothing written anywhere.
    for gateway in [&h.hubspot, &h.qbo] {
        let calls = gateway.calls();
        assert_eq!(
            calls.create + calls.update + calls.deactivate + calls.ensure_schema,
            0
        );
    }
    assert!(h.links(CONTACT).await.is_empty() && h.links(PRODUCT).await.is_empty());
    assert!(h.store.recent_log(&h.conn, 10).await.unwrap().is_empty());
    assert!(
        h.store
            .get_cursor(&h.conn, Side::Hubspot, CONTACT)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        h.queue.pending(Lane::Live).await.unwrap() + h.queue.pending(Lane::Bulk).await.unwrap(),
        0
    );
    // Progress was reported for listing and planning.
    let progress = progress.into_inner().unwrap();
    assert!(progress.contains(&SyncProgress::Listing {
        kind: CONTACT,
        side: Side::Quickbooks,
        records: 3
    }));
    assert!(progress.contains(&SyncProgress::Syncing {
        kind: CONTACT,
        done: 5,
        total: 5
    }));
}

#[tokio::test]
async fn the_real_run_links_and_creates_in_batches_and_a_second_run_writes_nothing() {
    let h = seeded().await;
    let report = initial_sync(&h.ctx.sync_ports(), &h.conn, &options(false), &|_| {})
        .await
        .unwrap();
    let contacts = report
        .kinds
        .iter()
        .find(|k| k.kind == Some(CONTACT))
        .unwrap();
    assert_eq!(contacts.new_links, 1);
    assert_eq!(contacts.creates.get(&Side::Quickbooks), Some(&1));
    assert_eq!(contacts.creates.get(&Side::Hubspot), Some(&2));
    assert_eq!(contacts.collisions, 1);
    assert_eq!(contacts.failed, 0);
    assert_eq!(h.hubspot.records(CONTACT).len(), 4);
    assert_eq!(h.qbo.records(CONTACT).len(), 4);
    assert_eq!(h.links(CONTACT).await.len(), 4);
    assert_eq!(h.links(PRODUCT).await.len(), 2);
    assert!(
        h.qbo
            .records(CONTACT)
            .iter()
            .any(|r| r.values["DisplayName"] == json!("Bob Builder (2)"))
    );
    // Creates are batched: one call per side per chunk (plus one retry for the collision).
    assert_eq!(h.hubspot.calls().create, 1, "both new contacts in one call");
    assert!(h.qbo.calls().create <= 3, "{:?}", h.qbo.calls());
    assert_eq!(h.hubspot.calls().ensure_schema, 1);
    // Watermarks are set so the poller takes over.
    for side in Side::BOTH {
        let cursor = h
            .store
            .get_cursor(&h.conn, side, CONTACT)
            .await
            .unwrap()
            .unwrap();
        assert!(cursor.last_full_sweep.is_some());
    }

    h.hubspot.reset_calls();
    h.qbo.reset_calls();
    let again = initial_sync(&h.ctx.sync_ports(), &h.conn, &options(false), &|_| {})
        .await
        .unwrap();
    for kind in &again.kinds {
        assert_eq!(
            kind.new_links
                + kind.creates.values().sum::<usize>()
                + kind.updates.values().sum::<usize>(),
            0,
            "{kind:?}"
        );
    }
    for gateway in [&h.hubspot, &h.qbo] {
        let calls = gateway.calls();
        assert_eq!(
            calls.create + calls.update + calls.deactivate,
            0,
            "{calls:?}"
        );
    }
}

#[tokio::test]
async fn the_poller_turns_changes_into_jobs_and_skips_its_own_writes() {
    let h = seeded().await;
    initial_sync(&h.ctx.sync_ports(), &h.conn, &options(false), &|_| {})
        .await
        .unwrap();
    h.clock.advance(Duration::from_secs(300));
    let quiet = poll_connection(&h.ctx, &h.conn).await.unwrap();
    assert_eq!(quiet.jobs, 0, "{quiet:?}");

    h.clock.advance(Duration::from_secs(300));
    let ada = h
        .hubspot
        .records(CONTACT)
        .into_iter()
        .find(|r| r.values["email"] == json!("ada@analytical.example"))
        .unwrap();
    h.hubspot
        .edit(CONTACT, &ada.id, values(&[("city", json!("London"))]));
    let poll = poll_connection(&h.ctx, &h.conn).await.unwrap();
    assert_eq!(poll.jobs, 1, "{poll:?}");
    h.drain(5).await;
    let qbo_id = h
        .store
        .get_link(&h.conn, CONTACT, Side::Hubspot, &ada.id)
        .await
        .unwrap()
        .unwrap()
        .qbo_id;
    assert_eq!(
        h.qbo.get(CONTACT, &qbo_id).unwrap().values["BillAddr.City"],
        json!("London")
    );

    // Our write to QBO and the edit itself come back in the overlap window: both are echoes.
    h.clock.advance(Duration::from_secs(10));
    let echo = poll_connection(&h.ctx, &h.conn).await.unwrap();
    assert_eq!(echo.jobs, 0, "{echo:?}");
    assert!(echo.skipped_echoes >= 2);

    // A throttled side keeps its watermark and is reported.
    let before = h
        .store
        .get_cursor(&h.conn, Side::Quickbooks, CONTACT)
        .await
        .unwrap();
    h.clock.advance(Duration::from_secs(10));
    h.qbo.fail_next_calls([GatewayError::Throttled {
        wait: Duration::from_secs(60),
    }]);
    let throttled = poll_connection(&h.ctx, &h.conn).await.unwrap();
    assert_eq!(throttled.failures.len(), 1);
    assert_eq!(
        h.store
            .get_cursor(&h.conn, Side::Quickbooks, CONTACT)
            .await
            .unwrap(),
        before
    );
}

#[tokio::test]
async fn api_calls_stay_batched_for_backfill_and_steady_state() {
    let h = Harness::new().await;
    let n = 300;
    for i in 0..n {
        h.hubspot_contact(
            &format!("p{i}@example.com"),
            "Person",
            &format!("Number{i}"),
        );
    }
    // Half of QBO overlaps HubSpot by email, half is new.
    for i in (n / 2)..(n + n / 2) {
        h.qbo_customer(
            &format!("p{i}@example.com"),
            "Person",
            &format!("Number{i}"),
        );
    }
    initial_sync(&h.ctx.sync_ports(), &h.conn, &options(false), &|_| {})
        .await
        .unwrap();
    assert_eq!(h.links(CONTACT).await.len(), n + n / 2);
    assert_eq!(h.hubspot.records(CONTACT).len(), n + n / 2);
    assert_eq!(h.qbo.records(CONTACT).len(), n + n / 2);
    let records = (2 * n) as f64;
    let (hs, qb) = (h.hubspot.calls(), h.qbo.calls());
    eprintln!(
        "backfill of {n}+{n} contacts: HubSpot {} calls ({:.3}/record), QBO {} calls ({:.3}/record)",
        hs.total(),
        f64::from(hs.total()) / records,
        qb.total(),
        f64::from(qb.total()) / records
    );
    assert!(f64::from(hs.total()) / records < 0.1, "{hs:?}");
    assert!(f64::from(qb.total()) / records < 0.1, "{qb:?}");

    // Steady state: 50 edits arrive as one batch of jobs.
    h.clock.advance(Duration::from_secs(60));
    h.hubspot.reset_calls();
    h.qbo.reset_calls();
    let edited: Vec<_> = h.hubspot.records(CONTACT).into_iter().take(50).collect();
    let jobs = edited
        .iter()
        .map(|r| {
            h.hubspot
                .edit(CONTACT, &r.id, values(&[("city", json!("Leeds"))]));
            h.job(CONTACT, Side::Hubspot, &r.id)
        })
        .collect();
    h.run(jobs).await;
    let (hs, qb) = (h.hubspot.calls(), h.qbo.calls());
    eprintln!(
        "50 changes: HubSpot {} calls, QBO {} calls ({} reads, {} updates)",
        hs.total(),
        qb.total(),
        qb.read,
        qb.update
    );
    assert_eq!((hs.read, qb.read, qb.update), (1, 1, 1), "{hs:?} {qb:?}");
    assert_eq!(qb.records_updated, 50);
}

/// A QBO invoice as the gateway lists it (the memory fake stores any kind generically).
fn qbo_invoice(h: &Harness, doc_number: &str) -> String {
    h.qbo
        .insert(
            INVOICE,
            values(&[("DocNumber", json!(doc_number)), ("TotalAmt", json!(100))]),
        )
        .id
}

fn qbo_payment(h: &Harness, amount: u32) -> String {
    h.qbo
        .insert(PAYMENT, values(&[("TotalAmt", json!(amount))]))
        .id
}

fn without_invoices() -> ConnectionSettings {
    let mut settings = ConnectionSettings::default();
    settings.invoices.invoice_sync = SyncState::Disabled;
    settings
}

/// Every job waiting on `lane`, in queue order.
async fn queued(h: &Harness, lane: Lane) -> Vec<Job> {
    h.queue
        .receive(lane, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.job)
        .collect()
}

#[tokio::test]
async fn the_poller_turns_a_qbo_invoice_change_into_an_invoice_job_and_never_polls_hubspot_for_it()
{
    let h = Harness::new().await;
    let invoice = qbo_invoice(&h, "1001");
    let first = poll_connection(&h.ctx, &h.conn).await.unwrap();
    assert!(first.started.contains(&(Side::Quickbooks, INVOICE)));
    assert!(first.started.contains(&(Side::Quickbooks, PAYMENT)));
    assert!(!first.started.contains(&(Side::Hubspot, INVOICE)));
    assert!(!first.started.contains(&(Side::Hubspot, PAYMENT)));
    assert_eq!(first.jobs, 0, "the past is the backfill's");

    h.clock.advance(Duration::from_secs(300));
    h.qbo
        .edit(INVOICE, &invoice, values(&[("TotalAmt", json!(120))]));
    let poll = poll_connection(&h.ctx, &h.conn).await.unwrap();
    assert_eq!(poll.jobs, 1, "{poll:?}");
    assert!(poll.failures.is_empty(), "{poll:?}");
    let jobs = queued(&h, Lane::Live).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        (
            jobs[0].kind,
            jobs[0].side,
            jobs[0].id.as_str(),
            jobs[0].reason
        ),
        (INVOICE, Side::Quickbooks, invoice.as_str(), JobReason::Poll)
    );
    for kind in [INVOICE, PAYMENT] {
        assert!(
            h.store
                .get_cursor(&h.conn, Side::Hubspot, kind)
                .await
                .unwrap()
                .is_none(),
            "no HubSpot {kind} cursor"
        );
    }
}

#[tokio::test]
async fn with_invoice_sync_disabled_the_poller_polls_no_invoices_or_payments() {
    let h = Harness::with_settings(without_invoices()).await;
    let invoice = qbo_invoice(&h, "1001");
    let first = poll_connection(&h.ctx, &h.conn).await.unwrap();
    assert!(
        first.started.iter().all(|(_, kind)| kind.is_two_way()),
        "{first:?}"
    );
    h.clock.advance(Duration::from_secs(300));
    h.qbo
        .edit(INVOICE, &invoice, values(&[("TotalAmt", json!(120))]));
    qbo_payment(&h, 50);
    let poll = poll_connection(&h.ctx, &h.conn).await.unwrap();
    assert_eq!(poll.jobs, 0, "{poll:?}");
    for kind in [INVOICE, PAYMENT] {
        assert!(
            h.store
                .get_cursor(&h.conn, Side::Quickbooks, kind)
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn the_backfill_queues_one_bulk_job_per_qbo_invoice_then_payment_and_the_poller_starts_after_it()
 {
    let h = Harness::new().await;
    // More than one page (the fake lists 100 per page).
    let invoices: Vec<String> = (0..150)
        .map(|i| qbo_invoice(&h, &format!("INV-{i}")))
        .collect();
    let payments: Vec<String> = (0..3).map(|i| qbo_payment(&h, 10 + i)).collect();
    // The history is older than the poll overlap (changes inside it are re-read by design).
    h.clock.advance(Duration::from_secs(3600));
    let progress = Mutex::new(Vec::new());
    let report = initial_sync(&h.ctx.sync_ports(), &h.conn, &options(false), &|p| {
        progress.lock().unwrap().push(p)
    })
    .await
    .unwrap();
    let counts: Vec<(ObjectKind, usize, usize)> = report
        .mirrored
        .iter()
        .map(|m| (m.kind, m.qbo_records, m.queued))
        .collect();
    // The middle row is the invoices' estimates (none here, estimate_backfill_tests.rs).
    assert_eq!(
        counts,
        [(INVOICE, 150, 150), (INVOICE, 0, 0), (PAYMENT, 3, 3)]
    );

    assert!(queued(&h, Lane::Live).await.is_empty());
    let jobs = queued(&h, Lane::Bulk).await;
    let expected: Vec<(ObjectKind, &str)> = invoices
        .iter()
        .map(|id| (INVOICE, id.as_str()))
        .chain(payments.iter().map(|id| (PAYMENT, id.as_str())))
        .collect();
    let got: Vec<(ObjectKind, &str)> = jobs.iter().map(|j| (j.kind, j.id.as_str())).collect();
    assert_eq!(got, expected, "invoices first, one job each");
    assert!(
        jobs.iter()
            .all(|j| j.side == Side::Quickbooks && j.reason == JobReason::Backfill)
    );

    // Listing was reported page by page.
    let progress = progress.into_inner().unwrap();
    for records in [100, 150] {
        assert!(progress.contains(&SyncProgress::Listing {
            kind: INVOICE,
            side: Side::Quickbooks,
            records
        }));
    }

    // The QBO cursors are set, so the poller takes over without re-queueing the history.
    for kind in [INVOICE, PAYMENT] {
        let cursor = h
            .store
            .get_cursor(&h.conn, Side::Quickbooks, kind)
            .await
            .unwrap()
            .expect("cursor set by the backfill");
        assert!(cursor.last_full_sweep.is_some());
    }
    h.clock.advance(Duration::from_secs(600));
    let poll = poll_connection(&h.ctx, &h.conn).await.unwrap();
    assert!(poll.started.iter().all(|(_, k)| k.is_two_way()), "{poll:?}");
    assert_eq!(poll.jobs, 0, "{poll:?}");
}

#[tokio::test]
async fn a_dry_run_counts_qbo_invoices_and_payments_and_queues_nothing() {
    let h = Harness::new().await;
    qbo_invoice(&h, "1");
    qbo_invoice(&h, "2");
    qbo_payment(&h, 5);
    let report = initial_sync(&h.ctx.sync_ports(), &h.conn, &options(true), &|_| {})
        .await
        .unwrap();
    let counts: Vec<(ObjectKind, usize, usize)> = report
        .mirrored
        .iter()
        .map(|m| (m.kind, m.qbo_records, m.queued))
        .collect();
    assert_eq!(counts, [(INVOICE, 2, 0), (INVOICE, 0, 0), (PAYMENT, 1, 0)]);
    assert_eq!(h.queue.pending(Lane::Bulk).await.unwrap(), 0);
    assert_eq!(h.queue.pending(Lane::Live).await.unwrap(), 0);
    assert!(
        h.store
            .get_cursor(&h.conn, Side::Quickbooks, INVOICE)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn with_invoice_sync_disabled_the_backfill_lists_no_invoices_or_payments() {
    let h = Harness::with_settings(without_invoices()).await;
    qbo_invoice(&h, "1");
    qbo_payment(&h, 5);
    let progress = Mutex::new(Vec::new());
    let report = initial_sync(&h.ctx.sync_ports(), &h.conn, &options(false), &|p| {
        progress.lock().unwrap().push(p)
    })
    .await
    .unwrap();
    assert!(report.mirrored.is_empty(), "{report:?}");
    assert_eq!(h.queue.pending(Lane::Bulk).await.unwrap(), 0);
    let progress = progress.into_inner().unwrap();
    assert!(
        progress.iter().all(|p| match p {
            SyncProgress::Listing { kind, .. } | SyncProgress::Syncing { kind, .. } =>
                kind.is_two_way(),
        }),
        "{progress:?}"
    );
    // The two-way kinds were still listed, so listing ran at all.
    assert!(
        progress
            .iter()
            .any(|p| matches!(p, SyncProgress::Listing { kind: CONTACT, .. }))
    );
}

#[tokio::test]
async fn the_daily_sweep_backfills_a_mirrored_kind_only_once() {
    let h = Harness::new().await;
    let invoice = qbo_invoice(&h, "1");
    // The poller met invoices first (e.g. the connection predates invoice sync): its cursor
    // has no full sweep, so the daily sweep backfills the history once.
    poll_connection(&h.ctx, &h.conn).await.unwrap();
    let daily = InitialSyncOptions {
        mirrored: MirroredBackfill::IfNeverDone,
        ..InitialSyncOptions::default()
    };
    let first = initial_sync(&h.ctx.sync_ports(), &h.conn, &daily, &|_| {})
        .await
        .unwrap();
    assert_eq!(
        first
            .mirrored
            .iter()
            .map(|m| (m.kind, m.queued))
            .collect::<Vec<_>>(),
        [(INVOICE, 1), (INVOICE, 0), (PAYMENT, 0)]
    );
    let jobs = queued(&h, Lane::Bulk).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].id, invoice);

    h.clock.advance(Duration::from_secs(86_400));
    let second = initial_sync(&h.ctx.sync_ports(), &h.conn, &daily, &|_| {})
        .await
        .unwrap();
    assert!(second.mirrored.is_empty(), "{second:?}");
    // An explicit initial sync still backfills.
    let explicit = initial_sync(&h.ctx.sync_ports(), &h.conn, &options(false), &|_| {})
        .await
        .unwrap();
    assert_eq!(explicit.mirrored.len(), 3, "invoices, estimates, payments");
}
