//! End-to-end invoicing through both sandboxes: QBO invoices mirrored into HubSpot
//! with contact, deal and line items; updates, void, delete; payments and their deal notes;
//! the deal's latest-invoice properties; the dev route of the workflow actions (their documents:
//! e2e_workflow_actions).

use std::ops::Deref;
use std::sync::Arc;

use chrono::NaiveDate;
use hqsync::engine::invoicing::invoices::properties as inv;
use hqsync::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings, MirrorOutcome};
use hqsync::engine::invoicing::payments::PaymentMirror;
use hqsync::hubspot::associations::type_ids;
use hqsync::hubspot::{CreateInput, HubspotClient, InlineAssociation, ObjectType, PropertyWrites};
use hqsync::quickbooks::entities::{Customer, Invoice, Payment};
use hqsync_sandbox::hubspot::HubspotSandbox;
use hqsync_sandbox::quickbooks::QuickbooksSandbox;
use hqsync_tests::invoicing::{InvoiceRecords, InvoiceSandboxes, LinkedDeal, dec, today};
use hqsync_tests::sandbox_stats::requests_served;
use hqsync_tests::workflow_action::{action_execution, post_signed_action};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde_json::json;

fn props(pairs: &[(&str, &str)]) -> PropertyWrites {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Both sandboxes, the records rig over their clients (reached through `Deref`) and a mirror.
struct Rig {
    hs: HubspotSandbox,
    qb: QuickbooksSandbox,
    records: InvoiceRecords,
    mirror: InvoiceMirror,
}

impl Deref for Rig {
    type Target = InvoiceRecords;

    fn deref(&self) -> &InvoiceRecords {
        &self.records
    }
}

impl Rig {
    async fn start(settings: InvoiceSyncSettings) -> Rig {
        let InvoiceSandboxes { hs, qb, records } = InvoiceSandboxes::start().await;
        // The mirror alone, without the product sync that would link every item: unlinked items
        // become line items without a product (the worker's dependency step is tested in
        // e2e_invoice_jobs).
        let settings = InvoiceSyncSettings {
            require_linked_items: false,
            ..settings
        };
        let mirror = InvoiceMirror::new(
            Arc::new(records.hubspot.clone()),
            Arc::new(records.qbo.clone()),
            settings,
        );
        Rig {
            hs,
            qb,
            records,
            mirror,
        }
    }

    async fn shutdown(self) {
        self.hs.shutdown().await;
        self.qb.shutdown().await;
    }

    /// Ada's customer linked to a contact, "Consulting" at 100 linked to a product, and her
    /// deal "Engine".
    async fn ada_and_her_engine_deal(&self) -> LinkedDeal {
        self.linked_deal(
            ("Ada Invoicee", "ada@example.com"),
            ("Consulting", "100"),
            "Engine",
        )
        .await
    }
}

const INVOICE_PROPS: &[&str] = &[
    "hs_invoice_status",
    "hs_currency",
    "hs_invoice_billable",
    inv::QBO_INVOICE_ID,
    inv::QBO_DOC_NUMBER,
    inv::QBO_TOTAL,
    inv::QBO_BALANCE,
    inv::QBO_STATUS,
    inv::QBO_DUE_DATE,
    inv::QBO_INVOICE_URL,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_qbo_invoice_becomes_an_open_hubspot_invoice_kept_up_to_date_then_voided() {
    let rig = Rig::start(InvoiceSyncSettings::default()).await;
    let (customer, contact) = rig.linked_customer("Ada Invoicee", "ada@example.com").await;
    let (consulting, consulting_product) = rig.linked_item("Consulting", "150").await;
    let unlinked_item = rig.item("Travel", "80").await;
    let deal = rig.deal("Analytical engine", Some(&contact)).await;
    let qbo_invoice = rig
        .invoice(
            &customer,
            &[(&consulting, "2", "150"), (&unlinked_item, "1", "80")],
            Some(&format!("Per Ada. HubSpot deal: {deal}")),
            "2099-01-31",
        )
        .await;
    let qbo_id = qbo_invoice.id.clone().unwrap();

    let first = rig.mirror.sync_invoice(&qbo_id, today()).await.unwrap();
    assert_eq!(first.outcome, MirrorOutcome::Created);
    let hs_id = first.hubspot_id.clone().unwrap();
    let hs = rig.get(ObjectType::Invoices, &hs_id, INVOICE_PROPS).await;
    assert_eq!(hs.get("hs_invoice_status"), Some("open"));
    assert_eq!(hs.get("hs_currency"), Some("USD"));
    assert_eq!(hs.get("hs_invoice_billable"), Some("false"));
    assert_eq!(hs.get(inv::QBO_INVOICE_ID), Some(qbo_id.as_str()));
    assert_eq!(
        hs.get(inv::QBO_DOC_NUMBER),
        qbo_invoice.doc_number.as_deref()
    );
    assert_eq!(hs.get(inv::QBO_TOTAL).map(dec), Some(dec("380")));
    assert_eq!(hs.get(inv::QBO_BALANCE).map(dec), Some(dec("380")));
    assert_eq!(hs.get(inv::QBO_STATUS), Some("waiting_to_be_sent"));
    assert!(hs.get(inv::QBO_INVOICE_URL).unwrap().ends_with(&qbo_id));
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
    assert_eq!(lines.len(), 2);
    let mut products = Vec::new();
    for id in &lines {
        let li = rig
            .get(
                ObjectType::LineItems,
                id,
                &["name", "quantity", "price", "hs_product_id"],
            )
            .await;
        products.push((
            li.get("name").unwrap_or("").to_owned(),
            li.get("hs_product_id").map(str::to_owned),
        ));
    }
    products.sort();
    assert_eq!(
        products,
        [
            ("Consulting".to_owned(), Some(consulting_product)),
            ("Travel".to_owned(), None)
        ]
    );
    let deal_props = rig.deal_props(&deal).await;
    assert_eq!(
        deal_props["qbo_latest_invoice_status"],
        "waiting_to_be_sent"
    );
    assert_eq!(
        dec(&deal_props["qbo_latest_invoice_amount_due"]),
        dec("380")
    );
    assert_eq!(
        deal_props["qbo_latest_invoice_recipient"],
        "billing@example.com"
    );

    // A repeat changes nothing and creates nothing.
    let again = rig.mirror.sync_invoice(&qbo_id, today()).await.unwrap();
    assert_eq!(again.outcome, MirrorOutcome::Unchanged);
    assert_eq!(again.hubspot_id.as_deref(), Some(hs_id.as_str()));
    assert_eq!(
        rig.associated(ObjectType::Invoices, &hs_id, ObjectType::LineItems)
            .await,
        lines
    );

    // An update in QBO: new due date, one line dropped, a new number.
    let current: Invoice = rig.qbo.read(&qbo_id).await.unwrap();
    let mut patch = Invoice {
        id: current.id.clone(),
        sync_token: current.sync_token.clone(),
        due_date: Some("2099-03-31".parse().unwrap()),
        doc_number: Some("A-77".into()),
        line: current
            .line
            .iter()
            .filter(|l| !l.is_subtotal())
            .take(1)
            .cloned()
            .collect(),
        ..Invoice::default()
    };
    patch.line[0].id = None;
    rig.qbo.sparse_update(&patch).await.unwrap();
    let updated = rig.mirror.sync_invoice(&qbo_id, today()).await.unwrap();
    assert_eq!(updated.outcome, MirrorOutcome::Updated);
    let hs = rig.get(ObjectType::Invoices, &hs_id, INVOICE_PROPS).await;
    assert_eq!(hs.get(inv::QBO_DOC_NUMBER), Some("A-77"));
    assert_eq!(hs.get(inv::QBO_TOTAL).map(dec), Some(dec("300")));
    assert_eq!(hs.get(inv::QBO_DUE_DATE), Some("2099-03-31"));
    let new_lines = rig
        .associated(ObjectType::Invoices, &hs_id, ObjectType::LineItems)
        .await;
    assert_eq!(new_lines.len(), 1);
    assert!(
        !lines.contains(&new_lines[0]),
        "line items are replaced, not edited"
    );
    assert_eq!(
        rig.deal_props(&deal).await["qbo_latest_invoice_number"],
        "A-77"
    );

    // Void in QBO: the HubSpot invoice is voided and the deal says so.
    let current: Invoice = rig.qbo.read(&qbo_id).await.unwrap();
    rig.qbo
        .void_invoice(&qbo_id, current.sync_token.as_deref().unwrap())
        .await
        .unwrap();
    let voided = rig.mirror.sync_invoice(&qbo_id, today()).await.unwrap();
    assert!(matches!(
        voided.outcome,
        MirrorOutcome::Voided | MirrorOutcome::Archived
    ));
    let hs = rig.get(ObjectType::Invoices, &hs_id, INVOICE_PROPS).await;
    assert_eq!(hs.get("hs_invoice_status"), Some("voided"));
    assert_eq!(hs.get(inv::QBO_STATUS), Some("voided"));
    let deal_props = rig.deal_props(&deal).await;
    assert_eq!(deal_props["qbo_latest_invoice_status"], "voided");
    assert_eq!(
        dec(&deal_props["qbo_latest_invoice_amount_due"]),
        Decimal::ZERO
    );

    // Delete in QBO: a second invoice is mirrored, then deleted.
    let second = rig
        .invoice(&customer, &[(&consulting, "1", "150")], None, "2099-01-31")
        .await;
    let second_id = second.id.clone().unwrap();
    let mirrored = rig.mirror.sync_invoice(&second_id, today()).await.unwrap();
    assert_eq!(
        mirrored.deal, None,
        "no tag, and the contact's open deal does not have the invoice's amount"
    );
    let why = mirrored.deal_attention.as_deref().unwrap_or_default();
    assert!(
        why.contains(&deal) && why.contains("HubSpot deal: <id>"),
        "the candidate and the fix: {why}"
    );
    rig.qbo
        .delete_invoice(&second_id, second.sync_token.as_deref().unwrap())
        .await
        .unwrap();
    let gone = rig.mirror.sync_invoice(&second_id, today()).await.unwrap();
    assert!(matches!(
        gone.outcome,
        MirrorOutcome::Voided | MirrorOutcome::Archived
    ));
    let hs2 = rig.mirror.find_hubspot_invoice(&second_id).await.unwrap();
    if let Some(hs2) = hs2 {
        assert_eq!(hs2.get(inv::QBO_STATUS), Some("voided"));
    }
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlinked_customer_needs_attention_and_the_contacts_open_deal_with_the_amount_is_chosen()
{
    let rig = Rig::start(InvoiceSyncSettings::default()).await;
    let stranger = rig
        .qbo
        .create_idempotent(&Customer {
            display_name: Some("Nobody Linked".into()),
            ..Customer::default()
        })
        .await
        .unwrap();
    let item = rig.item("Widget", "10").await;
    let orphan = rig
        .invoice(
            stranger.id.as_deref().unwrap(),
            &[(&item, "1", "10")],
            None,
            "2099-01-01",
        )
        .await;
    let err = rig
        .mirror
        .sync_invoice(orphan.id.as_deref().unwrap(), today())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("Nobody Linked") && err.to_string().contains("not linked"),
        "{err}"
    );
    assert!(
        rig.mirror
            .find_hubspot_invoice(orphan.id.as_deref().unwrap())
            .await
            .unwrap()
            .is_none()
    );

    let (customer, contact) = rig
        .linked_customer("Grace Invoicee", "grace@example.com")
        .await;
    // Two open deals; one has the invoice's amount (2 x 10), a closed one has it too.
    rig.deal_with_amount("Support plan", &contact, "500").await;
    let deal = rig.deal_with_amount("Compiler", &contact, "20").await;
    rig.create(
        ObjectType::Deals,
        &[
            ("dealname", "Old compiler"),
            ("dealstage", "closedwon"),
            ("pipeline", "default"),
            ("amount", "20"),
        ],
        vec![InlineAssociation::to(&contact, type_ids::DEAL_TO_CONTACT)],
    )
    .await;
    let invoice = rig
        .invoice(&customer, &[(&item, "2", "10")], None, "2099-01-01")
        .await;
    let mirrored = rig
        .mirror
        .sync_invoice(invoice.id.as_deref().unwrap(), today())
        .await
        .unwrap();
    assert_eq!(
        mirrored.deal.as_ref().map(|d| d.deal_id().to_owned()),
        Some(deal.clone())
    );
    assert_eq!(
        rig.deal_props(&deal).await["qbo_latest_invoice_amount_due"]
            .parse::<Decimal>()
            .unwrap(),
        dec("20")
    );
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_update_balances_and_note_each_event_once_on_the_deal() {
    let rig = Rig::start(InvoiceSyncSettings::default()).await;
    let linked = rig.ada_and_her_engine_deal().await;
    let (customer, deal) = (linked.customer.clone(), linked.deal.clone());
    let a = rig.tagged_invoice(&linked, "1", "2099-01-01").await;
    let b = rig.tagged_invoice(&linked, "2", "2099-01-01").await;
    let (a_id, b_id) = (a.id.clone().unwrap(), b.id.clone().unwrap());
    rig.mirror.sync_invoice(&a_id, today()).await.unwrap();
    rig.mirror.sync_invoice(&b_id, today()).await.unwrap();
    let payments = PaymentMirror::new(&rig.mirror);

    // Partial payment of A.
    let partial = rig.pay(&customer, &[(&a_id, "40")], "CHK-1").await;
    let report = payments
        .sync_payment(partial.id.as_deref().unwrap(), today())
        .await
        .unwrap();
    assert_eq!(report.invoices, vec![a_id.clone()]);
    assert_eq!(report.notes_created, 1);
    let hs_a = rig
        .mirror
        .find_hubspot_invoice(&a_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hs_a.get(inv::QBO_BALANCE).map(dec), Some(dec("60")));
    assert_eq!(hs_a.get(inv::QBO_STATUS), Some("partially_paid"));
    let notes = rig.notes_of(&deal).await;
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0].contains("40")
            && notes[0].contains("CHK-1")
            && notes[0].contains("Remaining balance: 60"),
        "{}",
        notes[0]
    );
    // Repeat: no second note.
    let again = payments
        .sync_payment(partial.id.as_deref().unwrap(), today())
        .await
        .unwrap();
    assert_eq!(again.notes_created, 0);
    assert_eq!(rig.notes_of(&deal).await.len(), 1);

    // One payment across both invoices pays them off.
    let both = rig
        .pay(&customer, &[(&a_id, "60"), (&b_id, "200")], "WIRE-9")
        .await;
    let report = payments
        .sync_payment(both.id.as_deref().unwrap(), today())
        .await
        .unwrap();
    assert_eq!(report.notes_created, 2);
    for id in [&a_id, &b_id] {
        let hs = rig.mirror.find_hubspot_invoice(id).await.unwrap().unwrap();
        assert_eq!(hs.get(inv::QBO_STATUS), Some("paid"), "{id}");
        assert_eq!(hs.get(inv::QBO_BALANCE).map(dec), Some(Decimal::ZERO));
    }
    assert_eq!(rig.notes_of(&deal).await.len(), 3);
    assert_eq!(
        rig.deal_props(&deal).await["qbo_latest_invoice_status"],
        "paid"
    );

    // Voiding the second payment reopens both balances and says so once per invoice.
    let current: Payment = rig.qbo.read(both.id.as_deref().unwrap()).await.unwrap();
    rig.qbo
        .void_payment(
            both.id.as_deref().unwrap(),
            current.sync_token.as_deref().unwrap(),
        )
        .await
        .unwrap();
    let report = payments
        .sync_payment(both.id.as_deref().unwrap(), today())
        .await
        .unwrap();
    assert_eq!(report.notes_created, 2);
    let hs_b = rig
        .mirror
        .find_hubspot_invoice(&b_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hs_b.get(inv::QBO_BALANCE).map(dec), Some(dec("200")));
    let notes = rig.notes_of(&deal).await;
    assert_eq!(notes.iter().filter(|n| n.contains("was voided")).count(), 2);
    assert_eq!(
        payments
            .sync_payment(both.id.as_deref().unwrap(), today())
            .await
            .unwrap()
            .notes_created,
        0
    );

    // Deleting the first payment: a note saying so; A's balance is back to 100.
    let current: Payment = rig.qbo.read(partial.id.as_deref().unwrap()).await.unwrap();
    rig.qbo
        .delete_payment(
            partial.id.as_deref().unwrap(),
            current.sync_token.as_deref().unwrap(),
        )
        .await
        .unwrap();
    let report = payments
        .sync_payment(partial.id.as_deref().unwrap(), today())
        .await
        .unwrap();
    assert_eq!(report.notes_created, 1);
    assert!(
        rig.notes_of(&deal)
            .await
            .iter()
            .any(|n| n.contains("was deleted"))
    );
    let hs_a = rig
        .mirror
        .find_hubspot_invoice(&a_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hs_a.get(inv::QBO_BALANCE).map(dec), Some(dec("100")));
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deal_follows_its_most_recently_updated_invoice() {
    let rig = Rig::start(InvoiceSyncSettings::default()).await;
    let linked = rig.ada_and_her_engine_deal().await;
    let deal = linked.deal.clone();
    let first = rig.tagged_invoice(&linked, "1", "2099-01-01").await;
    rig.mirror
        .sync_invoice(first.id.as_deref().unwrap(), today())
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let second = rig.tagged_invoice(&linked, "3", "2099-02-01").await;
    rig.mirror
        .sync_invoice(second.id.as_deref().unwrap(), today())
        .await
        .unwrap();
    assert_eq!(
        dec(&rig.deal_props(&deal).await["qbo_latest_invoice_amount_due"]),
        dec("300")
    );
    // Re-syncing the older, unchanged invoice does not take the deal back.
    rig.mirror
        .sync_invoice(first.id.as_deref().unwrap(), today())
        .await
        .unwrap();
    assert_eq!(
        dec(&rig.deal_props(&deal).await["qbo_latest_invoice_amount_due"]),
        dec("300")
    );
    // Updating the older one makes it the latest.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let current: Invoice = rig.qbo.read(first.id.as_deref().unwrap()).await.unwrap();
    rig.qbo
        .sparse_update(&Invoice {
            id: current.id.clone(),
            sync_token: current.sync_token.clone(),
            doc_number: Some("LATEST".into()),
            ..Invoice::default()
        })
        .await
        .unwrap();
    rig.mirror
        .sync_invoice(first.id.as_deref().unwrap(), today())
        .await
        .unwrap();
    let props = rig.deal_props(&deal).await;
    assert_eq!(props["qbo_latest_invoice_number"], "LATEST");
    assert_eq!(dec(&props["qbo_latest_invoice_amount_due"]), dec("100"));
    rig.shutdown().await;
}

/// API calls per synced invoice and per payment of the mirror called directly (printed;
/// `cargo test e2e_invoices::api_calls -- --nocapture`), with generous bounds so a regression
/// to per-line or per-record loops fails. Through the pipeline, with timings: the
/// `invoice_flows` benchmark.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_calls_per_synced_invoice_and_per_payment() {
    const N: u64 = 5;
    let rig = Rig::start(InvoiceSyncSettings::default()).await;
    let linked = rig
        .linked_deal(
            ("Bench Customer", "bench@example.com"),
            ("Bench A", "10"),
            "Bench",
        )
        .await;
    let (customer, a, tag) = (linked.customer.clone(), linked.item.clone(), linked.tag());
    let (b, _) = rig.linked_item("Bench B", "20").await;
    rig.mirror.ensure_schema().await.unwrap();
    let mut invoices = Vec::new();
    for _ in 0..N {
        let i = rig
            .invoice(
                &customer,
                &[(&a, "1", "10"), (&b, "2", "20")],
                Some(&tag),
                "2099-01-01",
            )
            .await;
        invoices.push(i.id.unwrap());
    }
    let (hs0, qb0) = (
        requests_served(&rig.hs.base_url()).await,
        rig.qbo.requests_sent(),
    );
    for id in &invoices {
        rig.mirror.sync_invoice(id, today()).await.unwrap();
    }
    let (hs1, qb1) = (
        requests_served(&rig.hs.base_url()).await,
        rig.qbo.requests_sent(),
    );
    let mut payments = Vec::new();
    for id in &invoices {
        payments.push(rig.pay(&customer, &[(id, "15")], "P").await.id.unwrap());
    }
    let (hs2, qb2) = (
        requests_served(&rig.hs.base_url()).await,
        rig.qbo.requests_sent(),
    );
    let payment_mirror = PaymentMirror::new(&rig.mirror);
    for id in &payments {
        payment_mirror.sync_payment(id, today()).await.unwrap();
    }
    let (hs3, qb3) = (
        requests_served(&rig.hs.base_url()).await,
        rig.qbo.requests_sent(),
    );
    let per_invoice = ((hs1 - hs0) as f64 / N as f64, (qb1 - qb0) as f64 / N as f64);
    let per_payment = ((hs3 - hs2) as f64 / N as f64, (qb3 - qb2) as f64 / N as f64);
    println!(
        "new invoice (2 lines, contact, deal): {:.1} HubSpot + {:.1} QBO calls; payment (1 invoice, 1 deal note): {:.1} HubSpot + {:.1} QBO calls",
        per_invoice.0, per_invoice.1, per_payment.0, per_payment.1
    );
    assert!(
        per_invoice.0 <= 12.0 && per_invoice.1 <= 2.0,
        "{per_invoice:?}"
    );
    assert!(
        per_payment.0 <= 16.0 && per_payment.1 <= 3.0,
        "{per_payment:?}"
    );
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_sweep_marks_past_due_invoices_overdue_without_a_qbo_event() {
    let rig = Rig::start(InvoiceSyncSettings::default()).await;
    let linked = rig
        .linked_deal(
            ("Late Payer", "late@example.com"),
            ("Late item", "50"),
            "Late",
        )
        .await;
    let early = rig.tagged_invoice(&linked, "1", "2099-01-10").await;
    let later = rig.tagged_invoice(&linked, "2", "2099-06-10").await;
    let synced_on: NaiveDate = "2099-01-01".parse().unwrap();
    for i in [&early, &later] {
        rig.mirror
            .sync_invoice(i.id.as_deref().unwrap(), synced_on)
            .await
            .unwrap();
    }
    assert_eq!(rig.sweep_status(&early).await, "waiting_to_be_sent");
    let swept = rig
        .mirror
        .sweep_overdue("2099-02-01".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        swept,
        vec![early.id.clone().unwrap()],
        "only the past-due one"
    );
    assert_eq!(rig.sweep_status(&early).await, "overdue");
    assert_eq!(rig.sweep_status(&later).await, "waiting_to_be_sent");
    rig.shutdown().await;
}

impl Rig {
    async fn sweep_status(&self, invoice: &Invoice) -> String {
        self.mirror
            .find_hubspot_invoice(invoice.id.as_deref().unwrap())
            .await
            .unwrap()
            .unwrap()
            .get(inv::QBO_STATUS)
            .unwrap_or("")
            .to_owned()
    }
}

/// `hqsync dev` serves the action: a signed execution gets `BLOCK` at once, then the callback
/// is completed by the in-process runner; an unsigned one is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dev_stack_serves_the_action_and_completes_its_callback() {
    use crate::e2e_stack::{E2eOptions, E2eStack};
    use hqsync::local::webhook_server::CREATE_INVOICE_ACTION_PATH;

    let e2e = E2eStack::start(E2eOptions::default(), |_, _| {}).await;
    let deal = {
        let client =
            HubspotClient::builder(SecretString::from(e2e.hubspot.config().dev_token.clone()))
                .base_url(e2e.hubspot.base_url())
                .build()
                .unwrap();
        let input = CreateInput::new(props(&[
            ("dealname", "Empty deal"),
            ("dealstage", "appointmentscheduled"),
            ("pipeline", "default"),
        ]));
        client
            .create_object(ObjectType::Deals, &input)
            .await
            .unwrap()
            .id
    };
    let url = format!("{}{CREATE_INVOICE_ACTION_PATH}", e2e.webhook_base);
    let body = action_execution(
        "dev-cb-1",
        e2e.hubspot.config().portal_id,
        &deal,
        json!({"due_in_days": "30"}),
    );
    let unsigned = reqwest::Client::new()
        .post(&url)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    let answer = post_signed_action(&url, &e2e.hubspot.config().client_secret, body).await;
    assert_eq!(answer.status().as_u16(), 200);
    let block: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(block["outputFields"]["hs_execution_state"], "BLOCK");
    let mut completed = Vec::new();
    for _ in 0..100 {
        completed = e2e.hubspot.action_callbacks();
        if !completed.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(completed.len(), 1, "the runner completes the callback");
    assert_eq!(completed[0].0, "dev-cb-1");
    let fields = &completed[0].1["outputFields"];
    assert_eq!(fields["hs_execution_state"], "FAIL_CONTINUE");
    assert!(
        fields["error_message"]
            .as_str()
            .unwrap()
            .contains("no line items"),
        "{fields}"
    );
    e2e.shutdown().await;
}
