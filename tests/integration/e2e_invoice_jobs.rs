//! Invoices, payments and the workflow action through the whole local pipeline: QBO
//! webhooks -> jobs -> worker -> HubSpot, and the signed action request -> job -> callback.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use hqsync::engine::invoicing::invoices::properties as inv;
use hqsync::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use hqsync::hubspot::{GetOptions, HubspotObject, ObjectType, PropertyDefinition};
use hqsync::local::webhook_server::CREATE_INVOICE_ACTION_PATH;
use hqsync::model::{ConnectionSettings, ObjectKind, Side, SyncState};
use hqsync::ports::{Job, JobReason, Lane, SyncOutcome, SyncStatus};
use hqsync::quickbooks::entities::Invoice;
use hqsync_tests::invoicing::{InvoiceRecords, dec, sales_line};
use hqsync_tests::sandbox_stats::requests_served;
use hqsync_tests::workflow_action::{action_execution, post_signed_action};
use rust_decimal::Decimal;
use serde_json::json;

use crate::e2e_stack::{E2eOptions, E2eStack, eventually};

/// A stack without the poller (so only webhooks make jobs) and the given settings.
async fn start(settings: ConnectionSettings) -> Rig {
    let e2e = E2eStack::start(
        E2eOptions {
            poll_interval: None,
            settings,
            ..E2eOptions::default()
        },
        |_, _| {},
    )
    .await;
    Rig::over(e2e).await
}

/// The stack, a person's records rig over the stack's clients (reached through `Deref`), and
/// a mirror used only to read HubSpot invoices.
struct Rig {
    e2e: E2eStack,
    records: InvoiceRecords,
    reader: InvoiceMirror,
}

impl Deref for Rig {
    type Target = InvoiceRecords;

    fn deref(&self) -> &InvoiceRecords {
        &self.records
    }
}

impl Rig {
    async fn over(e2e: E2eStack) -> Rig {
        let hubspot = e2e.stack.endpoints.hubspot_client().unwrap();
        let qbo = e2e.stack.endpoints.quickbooks_client().unwrap();
        let reader = InvoiceMirror::new(
            Arc::new(hubspot.clone()),
            Arc::new(qbo.clone()),
            InvoiceSyncSettings::default(),
        );
        // The invoice properties exist from the first mirrored invoice on; reading before
        // that must see "no invoice" rather than an unknown id property.
        reader.ensure_schema().await.unwrap();
        Rig {
            e2e,
            records: InvoiceRecords::over(hubspot, qbo).await,
            reader,
        }
    }

    /// The HubSpot record the pipeline linked to QBO record `id` (waits for it).
    async fn linked(&self, kind: ObjectKind, id: &str) -> String {
        eventually(&format!("QBO {kind} {id} linked"), || {
            self.e2e.partner(kind, Side::Quickbooks, id)
        })
        .await
    }

    /// A one-line QBO invoice, due 2099-01-31, tagged with `deal` if given.
    async fn invoice(
        &self,
        customer: &str,
        item: &str,
        qty: &str,
        price: &str,
        deal: Option<&str>,
    ) -> Invoice {
        let note = deal.map(|d| format!("Per the call. HubSpot deal: {d}"));
        self.records
            .invoice(
                customer,
                &[(item, qty, price)],
                note.as_deref(),
                "2099-01-31",
            )
            .await
    }

    /// A QBO payment applying `applied` (invoice id, amount); its id.
    async fn pay(&self, customer: &str, applied: &[(&str, &str)], reference: &str) -> String {
        self.records
            .pay(customer, applied, reference)
            .await
            .id
            .unwrap()
    }

    async fn status(&self, kind: ObjectKind, side: Side, id: &str) -> Option<SyncStatus> {
        self.e2e
            .stack
            .ctx
            .store
            .get_status(self.e2e.stack.connection_id(), kind, side, id)
            .await
            .unwrap()
    }

    /// Waits for the HubSpot invoice of QBO invoice `qbo_id` to satisfy `holds`.
    async fn hs_invoice_where(
        &self,
        what: &str,
        qbo_id: &str,
        holds: impl Fn(&HubspotObject) -> bool,
    ) -> HubspotObject {
        eventually(what, || async {
            self.reader
                .find_hubspot_invoice(qbo_id)
                .await
                .unwrap()
                .filter(|found| holds(found))
        })
        .await
    }

    async fn shutdown(self) {
        self.e2e.shutdown().await;
    }
}

fn synced(status: &SyncStatus) -> bool {
    matches!(status.outcome, SyncOutcome::Synced { .. })
}

fn note_of(status: &SyncStatus) -> String {
    match &status.outcome {
        SyncOutcome::Synced { note, .. } => note.clone().unwrap_or_default(),
        other => panic!("not synced: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlinked_customers_invoice_links_it_first_then_follows_updates_void_and_delete() {
    let rig = start(ConnectionSettings::default()).await;
    let deal = rig.deal("Pipeline deal", None).await;
    let pipeline = rig.e2e.stack.pipeline().expect("pipeline running");
    // Only the invoice's webhook becomes a job: the customer's and the item's are taken off
    // the queue, so the worker must link both itself before it can mirror the invoice.
    pipeline.pause();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let customer = rig.customer("Late Linker", "late.linker@example.com").await;
    let item = rig.item("Consulting", "150").await;
    let invoice = rig.invoice(&customer, &item, "2", "150", Some(&deal)).await;
    let invoice_id = invoice.id.clone().unwrap();
    let queue = rig.e2e.stack.ctx.queue.clone();
    let mut seen = (false, false, None);
    let started = std::time::Instant::now();
    while !(seen.0 && seen.1 && seen.2.is_some()) {
        assert!(
            started.elapsed() < crate::e2e_stack::CONVERGENCE_BOUND,
            "the three webhooks never queued: {seen:?}"
        );
        for delivery in queue.receive(Lane::Live, 10).await.unwrap() {
            let job = &delivery.job;
            match (job.kind, job.id.as_str()) {
                (ObjectKind::Contact, id) if id == customer => seen.0 = true,
                (ObjectKind::Product, id) if id == item => seen.1 = true,
                (ObjectKind::Invoice, id) if id == invoice_id => seen.2 = Some(job.clone()),
                _ => {}
            }
            queue.ack(&[delivery.receipt]).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let invoice_job = seen.2.clone().unwrap();
    assert_eq!(invoice_job.side, Side::Quickbooks);
    queue
        .enqueue(Lane::Live, vec![invoice_job], None)
        .await
        .unwrap();
    assert_eq!(
        rig.e2e
            .partner(ObjectKind::Contact, Side::Quickbooks, &customer)
            .await,
        None
    );
    pipeline.resume();

    let status = eventually("the invoice's status is Synced", || async {
        rig.status(ObjectKind::Invoice, Side::Quickbooks, &invoice_id)
            .await
            .filter(synced)
    })
    .await;
    let hs_id = status
        .counterpart_id
        .clone()
        .expect("the HubSpot invoice id");
    assert!(
        note_of(&status).contains("created HubSpot invoice"),
        "{status:?}"
    );
    let contact = rig.linked(ObjectKind::Contact, &customer).await;
    let product = rig.linked(ObjectKind::Product, &item).await;
    let hs = rig
        .reader
        .find_hubspot_invoice(&invoice_id)
        .await
        .unwrap()
        .expect("mirrored");
    assert_eq!(hs.id, hs_id);
    assert_eq!(hs.get(inv::QBO_TOTAL).map(dec), Some(dec("300")));
    assert_eq!(
        rig.associated(ObjectType::Invoices, &hs_id, ObjectType::Contacts)
            .await,
        vec![contact.clone()]
    );
    assert_eq!(
        rig.associated(ObjectType::Invoices, &hs_id, ObjectType::Deals)
            .await,
        vec![deal.clone()]
    );
    let lines = rig
        .associated(ObjectType::Invoices, &hs_id, ObjectType::LineItems)
        .await;
    assert_eq!(lines.len(), 1);
    let line = rig
        .hubspot
        .get_object(
            ObjectType::LineItems,
            &lines[0],
            &GetOptions::properties(["hs_product_id", "quantity"]),
        )
        .await
        .unwrap();
    assert_eq!(line.get("hs_product_id"), Some(product.as_str()));
    let contact_email = rig
        .hubspot
        .get_object(
            ObjectType::Contacts,
            &contact,
            &GetOptions::properties(["email"]),
        )
        .await
        .unwrap();
    assert_eq!(contact_email.get("email"), Some("late.linker@example.com"));

    // An amount and due-date change in QBO reaches the same HubSpot invoice.
    let current: Invoice = rig.qbo.read(&invoice_id).await.unwrap();
    rig.qbo
        .sparse_update(&Invoice {
            id: current.id.clone(),
            sync_token: current.sync_token.clone(),
            due_date: Some("2099-03-31".parse().unwrap()),
            line: vec![sales_line(&item, "3", "150")],
            ..Invoice::default()
        })
        .await
        .unwrap();
    let updated = rig
        .hs_invoice_where("the new amount and due date", &invoice_id, |hs| {
            hs.get(inv::QBO_TOTAL).map(dec) == Some(dec("450"))
                && hs.get(inv::QBO_DUE_DATE) == Some("2099-03-31")
        })
        .await;
    assert_eq!(updated.id, hs_id, "updated in place, not a second invoice");

    // Void in QBO -> voided in HubSpot.
    let current: Invoice = rig.qbo.read(&invoice_id).await.unwrap();
    rig.qbo
        .void_invoice(&invoice_id, current.sync_token.as_deref().unwrap())
        .await
        .unwrap();
    rig.hs_invoice_where("the void", &invoice_id, |hs| {
        hs.get("hs_invoice_status") == Some("voided")
    })
    .await;

    // Delete in QBO: a second invoice (its customer is linked now) is mirrored, then deleted.
    let second = rig.invoice(&customer, &item, "1", "150", None).await;
    let second_id = second.id.clone().unwrap();
    rig.hs_invoice_where("the second invoice mirrored", &second_id, |_| true)
        .await;
    rig.qbo
        .delete_invoice(&second_id, second.sync_token.as_deref().unwrap())
        .await
        .unwrap();
    eventually("the delete reached HubSpot", || async {
        match rig.reader.find_hubspot_invoice(&second_id).await.unwrap() {
            None => Some(()),
            Some(hs) => (hs.get(inv::QBO_STATUS) == Some("voided")).then_some(()),
        }
    })
    .await;
    // The job records its status after its last HubSpot write (the deal refresh), so wait for
    // it rather than read it the moment `qbo_status` turns voided.
    eventually("the delete job's status", || async {
        let last = rig
            .status(ObjectKind::Invoice, Side::Quickbooks, &second_id)
            .await?;
        let note = note_of(&last);
        (note.contains("voided") || note.contains("archived")).then_some(())
    })
    .await;
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_reach_the_invoices_and_note_each_deal_once_even_when_delivered_twice() {
    let e2e = E2eStack::start(
        E2eOptions {
            poll_interval: None,
            ..E2eOptions::default()
        },
        // Every QBO event is delivered twice (same CloudEvents id).
        |_, qb| qb.webhook_duplicate_rate = 1.0,
    )
    .await;
    let rig = Rig::over(e2e).await;
    let customer = rig.customer("Pay Master", "pay.master@example.com").await;
    let item = rig.item("Retainer", "100").await;
    let contact = rig.linked(ObjectKind::Contact, &customer).await;
    rig.linked(ObjectKind::Product, &item).await;
    let deal_a = rig.deal("Deal A", Some(&contact)).await;
    let deal_b = rig.deal("Deal B", Some(&contact)).await;
    let a = rig
        .invoice(&customer, &item, "1", "100", Some(&deal_a))
        .await;
    let a2 = rig
        .invoice(&customer, &item, "2", "100", Some(&deal_a))
        .await;
    let b = rig
        .invoice(&customer, &item, "3", "100", Some(&deal_b))
        .await;
    let ids: Vec<String> = [&a, &a2, &b]
        .iter()
        .map(|i| i.id.clone().unwrap())
        .collect();
    for id in &ids {
        rig.hs_invoice_where("mirrored", id, |_| true).await;
    }

    // A full payment of A.
    let full = rig.pay(&customer, &[(&ids[0], "100")], "CHK-FULL").await;
    let paid = rig
        .hs_invoice_where("A paid", &ids[0], |hs| {
            hs.get(inv::QBO_STATUS) == Some("paid")
        })
        .await;
    assert_eq!(paid.get(inv::QBO_BALANCE).map(dec), Some(Decimal::ZERO));
    // One payment across A2 (deal A) and B (deal B).
    let across = rig
        .pay(&customer, &[(&ids[1], "200"), (&ids[2], "300")], "WIRE-2")
        .await;
    for id in &ids[1..] {
        rig.hs_invoice_where("paid by the wire", id, |hs| {
            hs.get(inv::QBO_STATUS) == Some("paid")
                && hs.get(inv::QBO_BALANCE).map(dec) == Some(Decimal::ZERO)
        })
        .await;
    }
    let first = eventually("the wire's status", || async {
        rig.status(ObjectKind::Payment, Side::Quickbooks, &across)
            .await
            .filter(synced)
    })
    .await;

    // The same job once more (besides the duplicated webhooks): it runs, and notes nothing new.
    let job = Job::new(
        rig.e2e.stack.connection_id().clone(),
        ObjectKind::Payment,
        Side::Quickbooks,
        across.clone(),
        JobReason::Webhook,
        chrono::Utc::now(),
    );
    rig.e2e
        .stack
        .ctx
        .queue
        .enqueue(Lane::Live, vec![job], None)
        .await
        .unwrap();
    let again = eventually("the repeated payment job ran", || async {
        rig.status(ObjectKind::Payment, Side::Quickbooks, &across)
            .await
            .filter(|s| s.updated_at > first.updated_at)
    })
    .await;
    assert!(
        !note_of(&again).contains("deal note"),
        "a repeat writes no note: {again:?}"
    );

    let notes_a = rig.notes_of(&deal_a).await;
    let notes_b = rig.notes_of(&deal_b).await;
    assert_eq!(
        notes_a.len(),
        2,
        "the full payment and the wire: {notes_a:?}"
    );
    assert_eq!(notes_b.len(), 1, "{notes_b:?}");
    assert_eq!(
        notes_a.iter().filter(|n| n.contains("CHK-FULL")).count(),
        1,
        "{notes_a:?}"
    );
    assert!(
        notes_b[0].contains("WIRE-2") && notes_b[0].contains("300"),
        "{notes_b:?}"
    );
    let full_status = rig
        .status(ObjectKind::Payment, Side::Quickbooks, &full)
        .await
        .unwrap();
    assert!(note_of(&full_status).contains(&ids[0]), "{full_status:?}");
    rig.shutdown().await;
}

/// With the contact sync disabled, an invoice of customer `name` (never linked) must end Failed
/// naming the customer, with no HubSpot invoice and no contact created.
async fn an_unlinked_customers_invoice_fails_naming_it(rig: &Rig, name: &str) {
    let customer = rig.customer(name, "never@example.com").await;
    let item = rig.item("Widget", "10").await;
    rig.linked(ObjectKind::Product, &item).await;
    let invoice = rig.invoice(&customer, &item, "1", "10", None).await;
    let invoice_id = invoice.id.clone().unwrap();
    let status = eventually("a Failed status", || async {
        rig.status(ObjectKind::Invoice, Side::Quickbooks, &invoice_id)
            .await
            .filter(|s| matches!(s.outcome, SyncOutcome::Failed(_)))
    })
    .await;
    let SyncOutcome::Failed(detail) = &status.outcome else {
        unreachable!()
    };
    assert!(
        detail.message.contains(name) && detail.message.contains("not linked"),
        "{detail:?}"
    );
    assert!(status.attempts >= 1);
    assert!(
        status.needs_attention || status.next_retry_at.is_some(),
        "either retried later or waiting for a person: {status:?}"
    );
    assert!(
        rig.reader
            .find_hubspot_invoice(&invoice_id)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        rig.e2e
            .partner(ObjectKind::Contact, Side::Quickbooks, &customer)
            .await,
        None,
        "the disabled contact sync created no contact"
    );
}

fn contact_sync_disabled() -> ConnectionSettings {
    let mut settings = ConnectionSettings::default();
    settings.contact.state = SyncState::Disabled;
    settings
}

/// The contact sync ran once (its link property exists), then was disabled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_contact_sync_disabled_an_unlinked_customers_invoice_needs_attention() {
    let rig = start(contact_sync_disabled()).await;
    rig.hubspot
        .ensure_properties(
            ObjectType::Contacts,
            &[
                PropertyDefinition::text("qbo_customer_id", "QBO customer", "contactinformation")
                    .unique(),
            ],
        )
        .await
        .unwrap();
    an_unlinked_customers_invoice_fails_naming_it(&rig, "Never Linked").await;
    rig.shutdown().await;
}

/// A portal whose contact sync never ran has no `qbo_customer_id` property at all: the invoice
/// must still fail as "customer not linked", not as a vendor error about the property.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_portal_that_never_synced_contacts_an_invoice_needs_attention_naming_the_customer() {
    let rig = start(contact_sync_disabled()).await;
    an_unlinked_customers_invoice_fails_naming_it(&rig, "Never Synced").await;
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_invoice_sync_disabled_invoice_webhooks_are_dropped() {
    let mut settings = ConnectionSettings::default();
    settings.invoices.invoice_sync = SyncState::Disabled;
    let rig = start(settings).await;
    let customer = rig.customer("Off Invoicee", "off@example.com").await;
    let item = rig.item("Gadget", "10").await;
    rig.linked(ObjectKind::Contact, &customer).await;
    rig.linked(ObjectKind::Product, &item).await;
    let stats = rig.e2e.stack.pipeline().unwrap().stats();
    let dropped_before = stats.jobs_dropped.load(std::sync::atomic::Ordering::SeqCst);
    let invoice = rig.invoice(&customer, &item, "1", "10", None).await;
    let invoice_id = invoice.id.clone().unwrap();
    eventually("the invoice job dropped", || async {
        (stats.jobs_dropped.load(std::sync::atomic::Ordering::SeqCst) > dropped_before)
            .then_some(())
    })
    .await;
    assert!(
        rig.reader
            .find_hubspot_invoice(&invoice_id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        rig.status(ObjectKind::Invoice, Side::Quickbooks, &invoice_id)
            .await
            .is_none(),
        "a dropped job records no status"
    );
    rig.shutdown().await;
}

impl Rig {
    /// POSTs a HubSpot-signed (v3) "Create QuickBooks invoice" execution to the dev route.
    async fn post_action(&self, callback: &str, deal: &str) -> reqwest::Response {
        let url = format!("{}{CREATE_INVOICE_ACTION_PATH}", self.e2e.webhook_base);
        let hubspot = self.e2e.hubspot.config();
        let body = action_execution(
            callback,
            hubspot.portal_id,
            deal,
            json!({"due_in_days": "14", "memo": "Thanks"}),
        );
        post_signed_action(&url, &hubspot.client_secret, body).await
    }

    async fn callbacks_at_least(&self, n: usize) -> Vec<(String, serde_json::Value)> {
        eventually(&format!("{n} completed callback(s)"), || async {
            let all = self.e2e.hubspot.action_callbacks();
            (all.len() >= n).then_some(all)
        })
        .await
    }
}

async fn blocked(answer: reqwest::Response) {
    assert_eq!(answer.status().as_u16(), 200);
    let block: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(block["outputFields"]["hs_execution_state"], "BLOCK");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workflow_action_through_the_dev_route_creates_one_invoice_and_completes_the_callback()
{
    let rig = start(ConnectionSettings::default()).await;
    // A contact and a product the pipeline has linked already (the usual case).
    let contact = rig
        .create(
            ObjectType::Contacts,
            &[
                ("email", "action.buyer@example.com"),
                ("firstname", "Action"),
                ("lastname", "Buyer"),
            ],
            vec![],
        )
        .await
        .id;
    let item = rig.item("Setup fee", "250").await;
    let product = rig.linked(ObjectKind::Product, &item).await;
    let customer = eventually("the contact linked", || {
        rig.e2e
            .partner(ObjectKind::Contact, Side::Hubspot, &contact)
    })
    .await;
    let deal = rig.deal("Action deal", Some(&contact)).await;
    rig.deal_line_item(&deal, &product, "2", "250").await;

    blocked(rig.post_action("pipe-cb-1", &deal).await).await;
    let callbacks = rig.callbacks_at_least(1).await;
    assert_eq!(callbacks[0].0, "pipe-cb-1");
    let fields = &callbacks[0].1["outputFields"];
    assert_eq!(fields["hs_execution_state"], "SUCCESS", "{fields}");
    let invoice_id = fields["qbo_invoice_id"].as_str().unwrap().to_owned();
    let invoices = rig.qbo_invoices().await;
    assert_eq!(invoices.len(), 1);
    let created = &invoices[0];
    assert_eq!(created.id.as_deref(), Some(invoice_id.as_str()));
    assert_eq!(created.total_amt, Some(dec("500")));
    assert_eq!(
        created.customer_ref.as_ref().map(|r| r.value.as_str()),
        Some(customer.as_str())
    );
    assert_eq!(
        fields["qbo_invoice_number"].as_str(),
        created.doc_number.as_deref()
    );
    let status = rig
        .status(ObjectKind::Invoice, Side::Hubspot, &deal)
        .await
        .expect("the action's status");
    assert_eq!(status.counterpart_id.as_deref(), Some(invoice_id.as_str()));

    // HubSpot retries the same execution: completed again, still one QBO invoice.
    blocked(rig.post_action("pipe-cb-1", &deal).await).await;
    let callbacks = rig.callbacks_at_least(2).await;
    assert_eq!(callbacks[1].0, "pipe-cb-1");
    assert_eq!(
        callbacks[1].1["outputFields"]["qbo_invoice_id"],
        json!(invoice_id)
    );
    assert_eq!(rig.qbo_invoices().await.len(), 1);
    // The invoice the action made comes back as a QBO webhook and is mirrored onto the deal.
    let hs = rig
        .hs_invoice_where("the action's invoice mirrored", &invoice_id, |_| true)
        .await;
    assert_eq!(
        rig.associated(ObjectType::Invoices, &hs.id, ObjectType::Deals)
            .await,
        vec![deal.clone()]
    );

    // A deal without line items: FAIL_CONTINUE with the reason, and a Failed status.
    let empty = rig.deal("Empty action deal", Some(&contact)).await;
    blocked(rig.post_action("pipe-cb-2", &empty).await).await;
    let callbacks = rig.callbacks_at_least(3).await;
    assert_eq!(callbacks[2].0, "pipe-cb-2");
    let fields = &callbacks[2].1["outputFields"];
    assert_eq!(fields["hs_execution_state"], "FAIL_CONTINUE");
    assert!(
        fields["error_message"]
            .as_str()
            .unwrap()
            .contains("no line items"),
        "{fields}"
    );
    let failed = eventually("the empty deal's Failed status", || async {
        rig.status(ObjectKind::Invoice, Side::Hubspot, &empty)
            .await
            .filter(|s| matches!(s.outcome, SyncOutcome::Failed(_)))
    })
    .await;
    assert!(failed.needs_attention, "no automatic retry: {failed:?}");
    assert_eq!(rig.qbo_invoices().await.len(), 1);
    rig.shutdown().await;
}

/// API calls per invoice and per payment through the whole pipeline (printed; `cargo test
/// e2e_invoice_jobs::api_calls -- --nocapture`). Only generous call-count ceilings are
/// asserted, so a regression to per-line or per-record loops fails. Latency, wall time and
/// larger volumes are measured by the `invoice_flows` benchmark
/// (`cargo bench -p hqsync-tests --bench invoice_flows`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_calls_per_invoice_and_payment_through_the_pipeline() {
    const N: usize = 5;
    let rig = start(ConnectionSettings::default()).await;
    let (hs_url, qb_url) = (rig.e2e.hubspot.base_url(), rig.e2e.quickbooks.base_url());
    let customer = rig.customer("Bench Buyer", "bench.buyer@example.com").await;
    let item = rig.item("Bench item", "10").await;
    let contact = rig.linked(ObjectKind::Contact, &customer).await;
    rig.linked(ObjectKind::Product, &item).await;
    let deal = rig.deal("Bench deal", Some(&contact)).await;
    let settled = |kind: ObjectKind, id: String| {
        let rig = &rig;
        async move {
            eventually(&format!("{kind} {id} synced"), || async {
                rig.status(kind, Side::Quickbooks, &id).await.filter(synced)
            })
            .await
        }
    };
    // Warm-up: the first invoice also creates the invoice/deal properties.
    let warm = rig.invoice(&customer, &item, "1", "10", Some(&deal)).await;
    settled(ObjectKind::Invoice, warm.id.clone().unwrap()).await;

    let measure = || async {
        (
            requests_served(&hs_url).await,
            requests_served(&qb_url).await,
        )
    };
    let before = measure().await;
    let mut invoices = Vec::new();
    for i in 0..N {
        // Distinct bodies: the client's requestid is derived from the body, so equal creates
        // would be replays of one invoice.
        let qty = (i + 2).to_string();
        let invoice = rig.invoice(&customer, &item, &qty, "10", Some(&deal)).await;
        invoices.push(invoice.id.unwrap());
    }
    for id in &invoices {
        settled(ObjectKind::Invoice, id.clone()).await;
    }
    let mid = measure().await;
    let mut payments = Vec::new();
    for id in &invoices {
        payments.push(rig.pay(&customer, &[(id, "5")], "BENCH").await);
    }
    for id in &payments {
        settled(ObjectKind::Payment, id.clone()).await;
    }
    let after = measure().await;
    // Our own creates (one QBO request each) are not the pipeline's.
    let n = N as f64;
    let per_invoice = (
        (mid.0 - before.0) as f64 / n,
        (mid.1 - before.1 - N as u64) as f64 / n,
    );
    let per_payment = (
        (after.0 - mid.0) as f64 / n,
        (after.1 - mid.1 - N as u64) as f64 / n,
    );
    println!(
        "through the pipeline, per new invoice (1 line, contact, deal): {:.1} HubSpot + {:.1} QBO calls; \
         per payment (1 invoice, 1 deal note, plus the invoice's own update webhook): \
         {:.1} HubSpot + {:.1} QBO calls",
        per_invoice.0, per_invoice.1, per_payment.0, per_payment.1,
    );
    // The HubSpot budget of docs/hubspot.md §9.5: 4.8 to 7.2 per invoice and 11.8 to 12.8 per
    // payment when measured (the QBO sandbox delivers the invoices' webhooks in batches, so
    // their jobs are mirrored as groups). How they fall into groups depends on the machine's
    // load, down to one job per invoice (about 11.4), so this ceiling only refuses worse than
    // that (a per-line or per-association loop); what a group saves is pinned where the group
    // is fixed, in e2e_invoice_groups (50 invoices in at most 12 calls).
    assert!(
        per_invoice.0 <= 12.0 && per_invoice.1 <= 4.0,
        "{per_invoice:?}"
    );
    // The customer's receivables (docs/hubspot.md §4.1) add 2 QBO queries after a payment and
    // 1 after an invoice change, so a payment and its invoice's webhook cost up to 3 more.
    assert!(
        per_payment.0 <= 15.0 && per_payment.1 <= 7.0,
        "{per_payment:?}"
    );
    rig.shutdown().await;
}

/// An untagged invoice whose contact has two open deals of its amount reaches the contact and
/// no deal; its status is synced with a warning that lists both deals and says how to choose.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invoice_whose_deal_is_not_clear_is_synced_with_the_candidate_deals_listed() {
    let rig = start(ConnectionSettings::default()).await;
    let customer = rig.customer("Twin Deals", "twin.deals@example.com").await;
    let item = rig.item("Audit", "300").await;
    let contact = rig.linked(ObjectKind::Contact, &customer).await;
    rig.linked(ObjectKind::Product, &item).await;
    let first = rig
        .records
        .deal_with_amount("Audit 2026", &contact, "300")
        .await;
    let second = rig
        .records
        .deal_with_amount("Audit extension", &contact, "300.00")
        .await;
    let invoice = rig.invoice(&customer, &item, "1", "300", None).await;
    let invoice_id = invoice.id.clone().unwrap();
    let status = eventually("the invoice is synced", || async {
        rig.status(ObjectKind::Invoice, Side::Quickbooks, &invoice_id)
            .await
            .filter(synced)
    })
    .await;
    let SyncOutcome::Synced { warnings, .. } = &status.outcome else {
        unreachable!()
    };
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].field, "deal");
    for deal in [&first, &second] {
        assert!(warnings[0].message.contains(deal.as_str()), "{warnings:?}");
    }
    assert!(
        !note_of(&status).contains("on deal"),
        "no deal was guessed: {}",
        note_of(&status)
    );
    rig.shutdown().await;
}

/// Invoices arriving together (their webhooks batched into one job group, docs/hubspot.md
/// §9.5): the one HubSpot refuses (its deal tag names no deal) ends Failed with HubSpot's
/// message, and the others are Synced with their HubSpot invoices on their deal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_group_the_invoice_hubspot_refuses_fails_alone_with_hubspots_message() {
    let rig = start(ConnectionSettings::default()).await;
    let customer = rig.customer("Group Buyer", "group.buyer@example.com").await;
    let item = rig.item("Group item", "10").await;
    let contact = rig.linked(ObjectKind::Contact, &customer).await;
    rig.linked(ObjectKind::Product, &item).await;
    let deal = rig.deal("Group deal", Some(&contact)).await;
    let first = rig.invoice(&customer, &item, "1", "10", Some(&deal)).await;
    let refused = rig
        .invoice(&customer, &item, "2", "10", Some("999999999"))
        .await;
    let last = rig.invoice(&customer, &item, "3", "10", Some(&deal)).await;
    let refused_id = refused.id.clone().unwrap();
    let status = eventually("the refused invoice's Failed status", || async {
        rig.status(ObjectKind::Invoice, Side::Quickbooks, &refused_id)
            .await
            .filter(|s| matches!(s.outcome, SyncOutcome::Failed(_)))
    })
    .await;
    let SyncOutcome::Failed(detail) = &status.outcome else {
        unreachable!()
    };
    assert!(detail.message.contains("999999999"), "{detail:?}");
    for invoice in [&first, &last] {
        let id = invoice.id.clone().unwrap();
        eventually(&format!("invoice {id} synced"), || async {
            rig.status(ObjectKind::Invoice, Side::Quickbooks, &id)
                .await
                .filter(synced)
        })
        .await;
        let hs = rig.hs_invoice_where("mirrored", &id, |_| true).await;
        assert_eq!(
            rig.associated(ObjectType::Invoices, &hs.id, ObjectType::Deals)
                .await,
            vec![deal.clone()]
        );
    }
    assert!(
        rig.reader
            .find_hubspot_invoice(&refused_id)
            .await
            .unwrap()
            .is_none()
    );
    rig.shutdown().await;
}
