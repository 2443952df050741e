//! QBO estimates through the whole local pipeline: an estimate tagged with its deal (in QBO or by
//! the "Create QuickBooks estimate" action) shows on the deal (latest-estimate properties, one
//! note rewritten as it moves), and one converted to an invoice links both ways (docs/hubspot.md
//! §2.13).

use std::sync::Arc;

use hqsync::engine::invoicing::estimates::{EstimateMirror, NoteChange};
use hqsync::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use hqsync::hubspot::ObjectType;
use hqsync::local::webhook_server::CREATE_INVOICE_ACTION_PATH;
use hqsync::model::{ObjectKind, Side};
use hqsync::quickbooks::entities::{Estimate, Invoice, LinkedTxn, Ref};
use hqsync_tests::invoicing::{InvoiceRecords, sales_line};
use hqsync_tests::workflow_action::{action_execution, post_signed_action};
use serde_json::json;

use crate::e2e_stack::{E2eOptions, E2eStack, eventually};

pub(crate) const DEAL_PROPERTIES: &[&str] = &[
    "qbo_latest_estimate_id",
    "qbo_latest_estimate_number",
    "qbo_latest_estimate_status",
    "qbo_latest_estimate_total",
    "qbo_latest_estimate_url",
    "qbo_latest_estimate_invoice",
    "qbo_estimate_notes",
];

/// Shared with e2e_estimate_deletes.rs.
pub(crate) struct Rig {
    pub(crate) e2e: E2eStack,
    pub(crate) records: InvoiceRecords,
    customer: String,
    item: String,
    product: String,
    pub(crate) deal: String,
}

impl Rig {
    /// Both vendors' webhooks on, a linked customer and item, and a deal.
    pub(crate) async fn start() -> Rig {
        let e2e = E2eStack::start(E2eOptions::default(), |_, qb| {
            qb.limits.per_second = 0;
        })
        .await;
        let records = InvoiceRecords::over(
            e2e.stack.endpoints.hubspot_client().unwrap(),
            e2e.stack.endpoints.quickbooks_client().unwrap(),
        )
        .await;
        let customer = records.customer("Esme Estimate", "esme@example.com").await;
        let item = records.item("Survey", "120").await;
        let contact = eventually("customer linked", || {
            e2e.partner(ObjectKind::Contact, Side::Quickbooks, &customer)
        })
        .await;
        let product = eventually("item linked", || {
            e2e.partner(ObjectKind::Product, Side::Quickbooks, &item)
        })
        .await;
        let deal = records.deal("Survey deal", Some(&contact)).await;
        Rig {
            e2e,
            records,
            customer,
            item,
            product,
            deal,
        }
    }

    /// A QBO estimate of `qty` surveys tagged with the deal, as our action writes it.
    pub(crate) async fn estimate(&self, qty: &str) -> Estimate {
        self.records
            .qbo
            .create_idempotent(&Estimate(Invoice {
                customer_ref: Some(Ref::to(self.customer.clone())),
                line: vec![sales_line(&self.item, qty, "120")],
                private_note: Some(format!("HubSpot deal: {}", self.deal)),
                extra: [("ExpirationDate".to_owned(), json!("2099-05-01"))]
                    .into_iter()
                    .collect(),
                ..Invoice::default()
            }))
            .await
            .unwrap()
    }

    /// A mirror over the same sandboxes, to read or repeat what the pipeline did.
    pub(crate) fn mirror(&self) -> InvoiceMirror {
        InvoiceMirror::new(
            Arc::new(self.records.hubspot.clone()),
            Arc::new(self.records.qbo.clone()),
            InvoiceSyncSettings::default(),
        )
    }

    pub(crate) async fn deal_value(&self, name: &str) -> String {
        let deal = self
            .records
            .get(ObjectType::Deals, &self.deal, DEAL_PROPERTIES)
            .await;
        deal.get(name).unwrap_or_default().to_owned()
    }

    /// Waits until deal property `name` reads `value`.
    pub(crate) async fn deal_shows(&self, name: &str, value: &str) {
        eventually(&format!("deal {name} = {value:?}"), || async {
            (self.deal_value(name).await == value).then_some(())
        })
        .await
    }

    /// Waits until the deal has exactly one note and it contains `text`; the note.
    pub(crate) async fn one_note_saying(&self, text: &str) -> String {
        eventually(&format!("one deal note saying {text:?}"), || async {
            let notes = self.records.notes_of(&self.deal).await;
            match notes.as_slice() {
                [one] if one.contains(text) => Some(one.clone()),
                _ => None,
            }
        })
        .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_estimate_tagged_with_its_deal_shows_on_the_deal_and_follows_its_status() {
    let rig = Rig::start().await;
    let estimate = rig.estimate("2").await;
    let id = estimate.0.id.clone().unwrap();
    let number = estimate.0.doc_number.clone().unwrap();
    rig.deal_shows("qbo_latest_estimate_number", &number).await;
    let note = rig
        .one_note_saying(&format!("estimate {number} sent for approval"))
        .await;
    assert!(
        note.contains("240.00 USD") && note.contains("2099-05-01"),
        "{note}"
    );
    assert_eq!(rig.deal_value("qbo_latest_estimate_id").await, id);
    assert_eq!(
        rig.deal_value("qbo_latest_estimate_status").await,
        "pending"
    );
    assert_eq!(rig.deal_value("qbo_latest_estimate_total").await, "240");
    assert!(
        rig.deal_value("qbo_latest_estimate_url")
            .await
            .ends_with(&format!("/app/estimate?txnId={id}"))
    );

    // Accepted in QBO: the same note is rewritten, the deal's status follows.
    let accepted: Estimate = rig
        .records
        .qbo
        .sparse_update(&Estimate(Invoice {
            id: Some(id.clone()),
            sync_token: estimate.0.sync_token.clone(),
            extra: [("TxnStatus".to_owned(), json!("Accepted"))]
                .into_iter()
                .collect(),
            ..Invoice::default()
        }))
        .await
        .unwrap();
    rig.deal_shows("qbo_latest_estimate_status", "accepted")
        .await;
    rig.one_note_saying(&format!("estimate {number} is accepted"))
        .await;

    // A repeated delivery of the same version adds and rewrites nothing.
    let token = accepted.0.sync_token.clone().unwrap();
    let bookkeeping = rig.deal_value("qbo_estimate_notes").await;
    assert!(
        bookkeeping.ends_with(&format!("@{token}#{number}")),
        "{bookkeeping}"
    );
    let mirror = rig.mirror();
    for _ in 0..2 {
        let again = EstimateMirror::new(&mirror)
            .sync_estimate(&id)
            .await
            .unwrap();
        assert_eq!(again.note, Some(NoteChange::Unchanged), "{again:?}");
        assert!(!again.latest_written, "{again:?}");
    }
    assert_eq!(rig.records.notes_of(&rig.deal).await.len(), 1);
    assert_eq!(rig.deal_value("qbo_estimate_notes").await, bookkeeping);
    rig.e2e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_estimate_converted_to_an_invoice_links_both_ways() {
    let rig = Rig::start().await;
    let estimate = rig.estimate("1").await;
    let id = estimate.0.id.clone().unwrap();
    let number = estimate.0.doc_number.clone().unwrap();
    rig.one_note_saying(&format!("estimate {number} sent for approval"))
        .await;

    // Converted in QBO: the invoice links the estimate and carries no deal tag of its own.
    let invoice: Invoice = rig
        .records
        .qbo
        .create_idempotent(&Invoice {
            customer_ref: Some(Ref::to(rig.customer.clone())),
            line: vec![sales_line(&rig.item, "1", "120")],
            due_date: Some("2099-06-30".parse().unwrap()),
            linked_txn: vec![LinkedTxn {
                txn_id: id.clone(),
                txn_type: "Estimate".into(),
                ..LinkedTxn::default()
            }],
            ..Invoice::default()
        })
        .await
        .unwrap();
    let invoice_id = invoice.id.clone().unwrap();
    let invoice_number = invoice.doc_number.clone().unwrap();

    // QBO's side: the estimate links the invoice back and is closed.
    let closed: Estimate = rig.records.qbo.read(&id).await.unwrap();
    assert_eq!(closed.0.extra["TxnStatus"], "Closed");
    assert!(
        closed
            .0
            .linked_txn
            .iter()
            .any(|l| l.txn_type == "Invoice" && l.txn_id == invoice_id),
        "{:?}",
        closed.0.linked_txn
    );

    // HubSpot's side: the invoice records its estimate and reaches the estimate's deal; the
    // estimate's note and the deal say what it became.
    let reader = rig.mirror();
    let mirrored = eventually("invoice mirrored", || async {
        reader.find_hubspot_invoice(&invoice_id).await.unwrap()
    })
    .await;
    assert_eq!(mirrored.get("qbo_estimate_id"), Some(id.as_str()));
    let deals = mirrored.associated_ids("deals");
    assert!(
        !deals.is_empty() && deals.iter().all(|d| *d == rig.deal),
        "the estimate's deal: {deals:?}"
    );
    rig.deal_shows("qbo_latest_estimate_invoice", &invoice_number)
        .await;
    assert_eq!(rig.deal_value("qbo_latest_estimate_status").await, "closed");
    eventually("the estimate's note says converted", || async {
        let notes = rig.records.notes_of(&rig.deal).await;
        let converted = format!("estimate {number} converted to invoice {invoice_number}");
        notes
            .iter()
            .any(|n| n.contains(&converted))
            .then_some(notes)
    })
    .await;
    rig.e2e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_estimate_made_by_the_workflow_action_shows_on_its_deal() {
    let rig = Rig::start().await;
    rig.records
        .deal_line_item(&rig.deal, &rig.product, "3", "120")
        .await;
    let url = format!(
        "{}{CREATE_INVOICE_ACTION_PATH}?document=estimate",
        rig.e2e.webhook_base
    );
    let hubspot = rig.e2e.hubspot.config();
    let body = action_execution(
        "est-deal-1",
        hubspot.portal_id,
        &rig.deal,
        json!({"due_date": "2099-04-01"}),
    );
    let answer = post_signed_action(&url, &hubspot.client_secret, body).await;
    assert_eq!(answer.status().as_u16(), 200);
    let fields = eventually("the action's callback", || async {
        rig.e2e
            .hubspot
            .action_callbacks()
            .into_iter()
            .find(|(c, _)| c == "est-deal-1")
            .map(|(_, body)| body["outputFields"].clone())
    })
    .await;
    assert_eq!(fields["hs_execution_state"], "SUCCESS", "{fields}");
    let number = fields["qbo_estimate_number"].as_str().unwrap().to_owned();
    // The estimate's own QBO webhook brings it back onto the deal it was made from.
    rig.deal_shows("qbo_latest_estimate_number", &number).await;
    assert_eq!(
        rig.deal_value("qbo_latest_estimate_id").await,
        fields["qbo_estimate_id"].as_str().unwrap()
    );
    assert_eq!(rig.deal_value("qbo_latest_estimate_total").await, "360");
    let note = rig
        .one_note_saying(&format!("estimate {number} sent for approval"))
        .await;
    assert!(note.contains("2099-04-01"), "{note}");
    rig.e2e.shutdown().await;
}
