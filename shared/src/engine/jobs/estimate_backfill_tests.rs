//! Estimates in the initial sync: listed after invoices and before payments, one bulk job each
//! (`Estimate:41` on the invoice kind), counted in the dry run, paged and counted by the
//! fanned-out run, and left alone when invoice sync is off.

use std::sync::Arc;

use serde_json::json;

use super::SyncContext;
use super::backfill::{initial_sync_progress, start_initial_sync};
use super::backfill_pages::run_page_job;
use super::gateways::FixedGateways;
use super::test_harness::{Harness, values};
use crate::adapters::memory::MemoryGateway;
use crate::engine::sync::GatewayPair;
use crate::engine::sync::initial_sync::{InitialSyncOptions, initial_sync};
use crate::model::kinds::QboOnlyForm;
use crate::model::{ConnectionSettings, ObjectKind, Side, SyncState};
use crate::ports::{Cursors, Job, JobQueue, JobReason, Lane};

const INVOICE: ObjectKind = ObjectKind::Invoice;
const PAYMENT: ObjectKind = ObjectKind::Payment;

fn estimate_form() -> &'static QboOnlyForm {
    QboOnlyForm::exactly("Estimate").expect("estimates are a QBO-only form")
}

/// Two invoices, three estimates and a payment in QBO; returns the estimates' job ids.
fn seed(qbo: &MemoryGateway) -> (Vec<String>, Vec<String>, Vec<String>) {
    let invoices = (0..2)
        .map(|i| {
            qbo.insert(INVOICE, values(&[("DocNumber", json!(format!("INV-{i}")))]))
                .id
        })
        .collect();
    let estimates = (0..3)
        .map(|i| {
            qbo.insert_form(
                estimate_form(),
                values(&[("DocNumber", json!(format!("EST-{i}")))]),
            )
            .id
        })
        .collect();
    let payments = vec![qbo.insert(PAYMENT, values(&[("TotalAmt", json!(5))])).id];
    (invoices, estimates, payments)
}

/// Every job waiting on `lane`, in queue order (taken off the queue).
async fn take_all(h: &Harness, lane: Lane) -> Vec<Job> {
    h.queue
        .receive(lane, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.job)
        .collect()
}

fn options(dry_run: bool) -> InitialSyncOptions {
    InitialSyncOptions {
        dry_run,
        ..InitialSyncOptions::default()
    }
}

#[tokio::test]
async fn the_backfill_queues_invoices_then_estimates_then_payments_one_job_each() {
    let h = Harness::new().await;
    let (invoices, estimates, payments) = seed(&h.qbo);
    assert!(estimates.iter().all(|id| id.starts_with("Estimate:")));
    let report = initial_sync(&h.ctx.sync_ports(), &h.conn, &options(false), &|_| {})
        .await
        .unwrap();
    let rows: Vec<(String, usize, usize)> = report
        .mirrored
        .iter()
        .map(|m| (m.label(), m.qbo_records, m.queued))
        .collect();
    assert_eq!(
        rows,
        [
            ("invoice".to_owned(), 2, 2),
            ("estimate".to_owned(), 3, 3),
            ("payment".to_owned(), 1, 1)
        ]
    );
    let jobs = take_all(&h, Lane::Bulk).await;
    let got: Vec<(ObjectKind, &str)> = jobs.iter().map(|j| (j.kind, j.id.as_str())).collect();
    let expected: Vec<(ObjectKind, &str)> = invoices
        .iter()
        .map(|id| (INVOICE, id.as_str()))
        .chain(estimates.iter().map(|id| (INVOICE, id.as_str())))
        .chain(payments.iter().map(|id| (PAYMENT, id.as_str())))
        .collect();
    assert_eq!(
        got, expected,
        "estimates ride on invoice jobs, after the invoices"
    );
    assert!(
        jobs.iter()
            .all(|j| j.side == Side::Quickbooks && j.reason == JobReason::Backfill)
    );
    let wire = serde_json::to_value(&report).unwrap();
    assert_eq!(wire["mirrored"][1]["form"], "Estimate");
    assert!(wire["mirrored"][0].get("form").is_none());
}

#[tokio::test]
async fn a_dry_run_counts_estimates_and_queues_nothing() {
    let h = Harness::new().await;
    seed(&h.qbo);
    let report = initial_sync(&h.ctx.sync_ports(), &h.conn, &options(true), &|_| {})
        .await
        .unwrap();
    let rows: Vec<(String, usize, usize)> = report
        .mirrored
        .iter()
        .map(|m| (m.label(), m.qbo_records, m.queued))
        .collect();
    assert_eq!(
        rows,
        [
            ("invoice".to_owned(), 2, 0),
            ("estimate".to_owned(), 3, 0),
            ("payment".to_owned(), 1, 0)
        ]
    );
    assert_eq!(h.queue.pending(Lane::Bulk).await.unwrap(), 0);
}

#[tokio::test]
async fn with_invoice_sync_disabled_no_estimate_is_listed() {
    let mut settings = ConnectionSettings::default();
    settings.invoices.invoice_sync = SyncState::Disabled;
    let h = Harness::with_settings(settings).await;
    seed(&h.qbo);
    let report = initial_sync(&h.ctx.sync_ports(), &h.conn, &options(true), &|_| {})
        .await
        .unwrap();
    assert!(report.mirrored.is_empty(), "{report:?}");
}

#[tokio::test]
async fn the_fanned_out_run_pages_estimates_after_invoices_and_counts_them_with_invoices() {
    let mut h = Harness::new().await;
    let qbo = Arc::new(MemoryGateway::quickbooks(h.clock.clone()).with_page_size(2));
    let hubspot = Arc::new(MemoryGateway::hubspot(h.clock.clone()).with_page_size(2));
    h.ctx = SyncContext {
        gateways: Arc::new(FixedGateways::new(GatewayPair::new(
            hubspot.clone(),
            qbo.clone(),
        ))),
        ..h.ctx.clone()
    };
    let (invoices, estimates, payments) = seed(&qbo);
    start_initial_sync(&h.ctx, &h.conn).await.unwrap();

    // Run the page jobs only, in queue order, keeping the record jobs they queue.
    let mut records = Vec::new();
    let mut pages = Vec::new();
    for _ in 0..20 {
        let jobs = take_all(&h, Lane::Bulk).await;
        if jobs.is_empty() {
            break;
        }
        for job in jobs {
            match job.backfill_page_of() {
                Some((run, page)) => {
                    let (run, page) = (run.to_owned(), page.clone());
                    pages.push((job.kind, page.form.clone(), job.id.clone()));
                    run_page_job(&h.ctx, &job, &run, &page).await;
                }
                None => records.push(job),
            }
        }
    }
    let estimate_pages: Vec<&str> = pages
        .iter()
        .filter(|(kind, form, _)| *kind == INVOICE && form.as_deref() == Some("Estimate"))
        .map(|(_, _, id)| id.as_str())
        .collect();
    assert_eq!(
        estimate_pages.len(),
        2,
        "3 estimates, 2 per page: {pages:?}"
    );
    assert!(
        estimate_pages[0].ends_with(":page:Estimate:1"),
        "{estimate_pages:?}"
    );
    let queued = |kind: ObjectKind| -> Vec<String> {
        records
            .iter()
            .filter(|j| j.kind == kind)
            .map(|j| j.id.clone())
            .collect()
    };
    let invoice_jobs = queued(INVOICE);
    let expected: Vec<String> = invoices.iter().chain(&estimates).cloned().collect();
    assert_eq!(invoice_jobs, expected, "invoices, then their estimates");
    assert_eq!(queued(PAYMENT), payments);
    assert!(
        records
            .iter()
            .all(|j| j.backfill_run().is_some() && j.reason == JobReason::Backfill)
    );

    let progress = initial_sync_progress(&h.ctx, &h.conn)
        .await
        .unwrap()
        .unwrap();
    let invoice = progress.kinds.iter().find(|k| k.kind == INVOICE).unwrap();
    assert_eq!((invoice.listed, invoice.queued), (5, 5), "{invoice:?}");
    assert_eq!(invoice.pages_pending, 0, "{invoice:?}");
    let cursor = h
        .store
        .get_cursor(&h.conn, Side::Quickbooks, INVOICE)
        .await
        .unwrap()
        .expect("the poller takes over after the invoices' last page");
    assert!(cursor.last_full_sweep.is_some());
}
