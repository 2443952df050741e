//! Credit memos and refund receipts end to end through both sandboxes (docs/quickbooks.md
//! §4.9): a memo applied through a payment lowers the HubSpot invoice's balance and status and
//! adds one deal note, however often it is delivered; its void restores the balance and
//! rewrites that note; a refund receipt for an invoice is noted once.

use std::sync::Arc;

use hqsync::engine::invoicing::credits::CreditMirror;
use hqsync::engine::invoicing::invoices::properties as inv;
use hqsync::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use hqsync::engine::invoicing::payments::PaymentMirror;
use hqsync::hubspot::ObjectType;
use hqsync::quickbooks::entities::{CreditMemo, LinkedTxn, Payment, Ref, RefundReceipt};
use hqsync_sandbox::quickbooks::QuickbooksSandbox;
use hqsync_tests::invoicing::{InvoiceSandboxes, LinkedDeal, dec, sales_line, today};
use serde_json::{Value, json};

/// Voids a QBO form the way the sandbox takes it (`?operation=void`, §4.9; the client has no
/// void for forms the engine never voids).
pub(crate) async fn void_form(
    qb: &QuickbooksSandbox,
    path: &str,
    id: &str,
    sync_token: &str,
) -> Value {
    let url = format!(
        "{}/v3/company/{}/{path}?operation=void",
        qb.base_url().trim_end_matches('/'),
        qb.config().realm_id
    );
    let answer = reqwest::Client::new()
        .post(url)
        .bearer_auth(&qb.config().dev_token)
        .header("Accept", "application/json")
        .json(&json!({"Id": id, "SyncToken": sync_token}))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    let voided = answer.json().await.unwrap();
    // This request is outside the client's per-second budget (docs/quickbooks.md §9): let the
    // second pass so the client's next calls are not throttled for QBO's 60 s.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    voided
}

fn linked(id: &str, txn_type: &str) -> Vec<LinkedTxn> {
    vec![LinkedTxn {
        txn_id: id.into(),
        txn_type: txn_type.into(),
        ..LinkedTxn::default()
    }]
}

struct Rig {
    sandboxes: InvoiceSandboxes,
    mirror: InvoiceMirror,
    deal: LinkedDeal,
    /// The QBO invoice (100.00) and its HubSpot copy.
    invoice: String,
    hubspot_invoice: String,
}

impl Rig {
    async fn start() -> Rig {
        let sandboxes = InvoiceSandboxes::start().await;
        let records = &sandboxes.records;
        let mirror = InvoiceMirror::new(
            Arc::new(records.hubspot.clone()),
            Arc::new(records.qbo.clone()),
            InvoiceSyncSettings {
                require_linked_items: false,
                ..InvoiceSyncSettings::default()
            },
        );
        let deal = records
            .linked_deal(
                ("Cora Credit", "cora@example.com"),
                ("Tuning", "100"),
                "Tuning job",
            )
            .await;
        let invoice = records.tagged_invoice(&deal, "1", "2099-06-01").await;
        let invoice = invoice.id.unwrap();
        let mirrored = mirror.sync_invoice(&invoice, today()).await.unwrap();
        let hubspot_invoice = mirrored.hubspot_id.unwrap();
        Rig {
            sandboxes,
            mirror,
            deal,
            invoice,
            hubspot_invoice,
        }
    }

    async fn balance_and_status(&self) -> (String, String) {
        let hs = self
            .sandboxes
            .records
            .get(
                ObjectType::Invoices,
                &self.hubspot_invoice,
                &[inv::QBO_BALANCE, inv::QBO_STATUS],
            )
            .await;
        (
            hs.get(inv::QBO_BALANCE).unwrap_or("").to_owned(),
            hs.get(inv::QBO_STATUS).unwrap_or("").to_owned(),
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_applied_credit_memo_lowers_the_balance_with_one_note_and_its_void_restores_it() {
    let rig = Rig::start().await;
    let records = &rig.sandboxes.records;
    let memo: CreditMemo = records
        .qbo
        .create_idempotent(&CreditMemo {
            customer_ref: Some(Ref::to(rig.deal.customer.clone())),
            line: vec![sales_line(&rig.deal.item, "1", "30")],
            ..CreditMemo::default()
        })
        .await
        .unwrap();
    let memo_id = memo.id.clone().unwrap();
    assert_eq!(memo.remaining_credit, Some(dec("30")));

    // Applying it is a payment of 0 whose lines link the invoice and the memo (§4.9).
    let mut application = Payment {
        customer_ref: Some(Ref::to(rig.deal.customer.clone())),
        total_amt: Some(dec("0")),
        txn_date: Some(today()),
        ..Payment::default()
    };
    for (id, txn_type) in [(&rig.invoice, "Invoice"), (&memo_id, "CreditMemo")] {
        application.line.push(hqsync::quickbooks::entities::Line {
            amount: Some(dec("30")),
            linked_txn: linked(id, txn_type),
            ..Default::default()
        });
    }
    let payment: Payment = records.qbo.create_idempotent(&application).await.unwrap();

    // The payment's webhook reaches the payment flow, which hands it to the credit flow.
    let report = PaymentMirror::new(&rig.mirror)
        .sync_payment(payment.id.as_deref().unwrap(), today())
        .await
        .unwrap();
    assert_eq!(report.notes_created, 1);
    let (balance, status) = rig.balance_and_status().await;
    assert_eq!(dec(&balance), dec("70"));
    assert_eq!(status, "partially_paid");
    let notes = records.notes_of(&rig.deal.deal).await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains("credit memo") && notes[0].contains("30.00 USD"),
        "{}",
        notes[0]
    );
    assert!(
        notes[0].contains("Remaining balance: 70.00 USD"),
        "{}",
        notes[0]
    );

    // The memo's own webhook, redelivered twice: still one note, nothing rewritten.
    let credits = CreditMirror::new(&rig.mirror);
    for _ in 0..2 {
        let again = credits.sync_credit_memo(&memo_id, today()).await.unwrap();
        assert_eq!((again.notes_created, again.notes_updated), (0, 0));
    }
    assert_eq!(records.notes_of(&rig.deal.deal).await.len(), 1);

    // Void the memo: QBO owes the invoice in full again; the note says so, no second note.
    let current: CreditMemo = records.qbo.read(&memo_id).await.unwrap();
    void_form(
        &rig.sandboxes.qb,
        "creditmemo",
        &memo_id,
        current.sync_token.as_deref().unwrap(),
    )
    .await;
    for expected_updates in [1, 0] {
        let voided = credits.sync_credit_memo(&memo_id, today()).await.unwrap();
        assert_eq!(voided.notes_created, 0);
        assert_eq!(voided.notes_updated, expected_updates);
    }
    let (balance, status) = rig.balance_and_status().await;
    assert_eq!(dec(&balance), dec("100"));
    assert_ne!(status, "partially_paid");
    let notes = records.notes_of(&rig.deal.deal).await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("was voided"), "{}", notes[0]);
    rig.sandboxes.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_receipt_for_an_invoice_is_noted_once_and_its_void_rewrites_the_note() {
    let rig = Rig::start().await;
    let records = &rig.sandboxes.records;
    let receipt: RefundReceipt = records
        .qbo
        .create_idempotent(&RefundReceipt {
            customer_ref: Some(Ref::to(rig.deal.customer.clone())),
            line: vec![sales_line(&rig.deal.item, "1", "15")],
            linked_txn: linked(&rig.invoice, "Invoice"),
            ..RefundReceipt::default()
        })
        .await
        .unwrap();
    let receipt_id = receipt.id.clone().unwrap();
    let credits = CreditMirror::new(&rig.mirror);
    let first = credits
        .sync_refund_receipt(&receipt_id, today())
        .await
        .unwrap();
    let again = credits
        .sync_refund_receipt(&receipt_id, today())
        .await
        .unwrap();
    assert_eq!((first.notes_created, again.notes_created), (1, 0));
    let notes = records.notes_of(&rig.deal.deal).await;
    assert_eq!(notes.len(), 1);
    assert!(notes[0].contains("refund of 15.00 USD"), "{}", notes[0]);
    // A refund changes no invoice balance in QBO (§4.9).
    assert_eq!(dec(&rig.balance_and_status().await.0), dec("100"));

    let current: RefundReceipt = records.qbo.read(&receipt_id).await.unwrap();
    void_form(
        &rig.sandboxes.qb,
        "refundreceipt",
        &receipt_id,
        current.sync_token.as_deref().unwrap(),
    )
    .await;
    let voided = credits
        .sync_refund_receipt(&receipt_id, today())
        .await
        .unwrap();
    assert_eq!((voided.notes_created, voided.notes_updated), (0, 1));
    let notes = records.notes_of(&rig.deal.deal).await;
    assert_eq!(notes.len(), 1);
    assert!(notes[0].contains("was voided"), "{}", notes[0]);
    rig.sandboxes.shutdown().await;
}
