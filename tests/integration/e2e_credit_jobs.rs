//! Credit memos and refund receipts through the whole local pipeline: their own QBO webhooks
//! (and, separately, CDC polling) become payment jobs naming the form (docs/architecture.md §11).

use std::sync::Arc;

use hqsync::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use hqsync::engine::invoicing::receivables::properties::OPEN_BALANCE;
use hqsync::hubspot::ObjectType;
use hqsync::model::kinds::QBO_ONLY_FORMS;
use hqsync::model::{ObjectKind, Side};
use hqsync::ports::{SyncOutcome, SyncStatus};
use hqsync::quickbooks::entities::{CreditMemo, Line, LinkedTxn, Payment, Ref, RefundReceipt};
use hqsync_tests::invoicing::{InvoiceRecords, dec, sales_line};
use rust_decimal::Decimal;

use crate::e2e_credit_memos::void_form;
use crate::e2e_stack::{E2eOptions, E2eStack, eventually};

fn linked(id: &str, txn_type: &str) -> Vec<LinkedTxn> {
    vec![LinkedTxn {
        txn_id: id.into(),
        txn_type: txn_type.into(),
        ..LinkedTxn::default()
    }]
}

struct Rig {
    e2e: E2eStack,
    records: InvoiceRecords,
    customer: String,
    /// The HubSpot contact linked to `customer`, where its receivables show.
    contact: String,
    item: String,
    deal: String,
    invoice: String,
}

impl Rig {
    /// A stack (`webhooks` off: only the poller's CDC makes jobs) with a linked customer and
    /// item, a deal and its mirrored 100.00 invoice.
    async fn start(webhooks: bool) -> Rig {
        let e2e = E2eStack::start(
            E2eOptions {
                poll_interval: (!webhooks).then(|| std::time::Duration::from_secs(1)),
                ..E2eOptions::default()
            },
            |_, qb| {
                // The test's raw void shares the realm's per-second budget with the worker
                // and poller; rate limits are not what this test is about.
                qb.limits.per_second = 0;
                if !webhooks {
                    qb.webhook_url = None;
                }
            },
        )
        .await;
        let hubspot = e2e.stack.endpoints.hubspot_client().unwrap();
        let qbo = e2e.stack.endpoints.quickbooks_client().unwrap();
        let records = InvoiceRecords::over(hubspot.clone(), qbo.clone()).await;
        let customer = records.customer("Cory Memo", "cory.memo@example.com").await;
        let item = records.item("Overhaul", "100").await;
        let contact = eventually("customer linked", || {
            e2e.partner(ObjectKind::Contact, Side::Quickbooks, &customer)
        })
        .await;
        eventually("item linked", || {
            e2e.partner(ObjectKind::Product, Side::Quickbooks, &item)
        })
        .await;
        let deal = records.deal("Overhaul deal", Some(&contact)).await;
        let note = format!("HubSpot deal: {deal}");
        let invoice = records
            .invoice(&customer, &[(&item, "1", "100")], Some(&note), "2099-01-31")
            .await
            .id
            .unwrap();
        let reader = InvoiceMirror::new(
            Arc::new(hubspot),
            Arc::new(qbo),
            InvoiceSyncSettings::default(),
        );
        reader.ensure_schema().await.unwrap();
        eventually("invoice mirrored", || async {
            reader.find_hubspot_invoice(&invoice).await.unwrap()
        })
        .await;
        Rig {
            e2e,
            records,
            customer,
            contact,
            item,
            deal,
            invoice,
        }
    }

    /// The job status of QBO form `entity` `id` (recorded under the payment kind).
    async fn form_status(&self, entity: &str, id: &str) -> Option<SyncStatus> {
        let form = QBO_ONLY_FORMS.iter().find(|f| f.entity == entity).unwrap();
        self.e2e
            .stack
            .ctx
            .store
            .get_status(
                self.e2e.stack.connection_id(),
                ObjectKind::Payment,
                Side::Quickbooks,
                &form.job_id(id),
            )
            .await
            .unwrap()
            .filter(|s| matches!(s.outcome, SyncOutcome::Synced { .. }))
    }

    /// Waits until the deal has a note containing `text`; all its notes.
    async fn note_saying(&self, text: &str) -> Vec<String> {
        eventually(&format!("a deal note saying {text:?}"), || async {
            let notes = self.records.notes_of(&self.deal).await;
            notes.iter().any(|n| n.contains(text)).then_some(notes)
        })
        .await
    }

    /// A 30.00 credit memo applied to the invoice (a payment of 0 linking both, §4.9); its id.
    async fn applied_memo(&self) -> String {
        let memo: CreditMemo = self
            .records
            .qbo
            .create_idempotent(&CreditMemo {
                customer_ref: Some(Ref::to(self.customer.clone())),
                line: vec![sales_line(&self.item, "1", "30")],
                ..CreditMemo::default()
            })
            .await
            .unwrap();
        let memo_id = memo.id.unwrap();
        let mut application = Payment {
            customer_ref: Some(Ref::to(self.customer.clone())),
            total_amt: Some(dec("0")),
            ..Payment::default()
        };
        for (id, txn_type) in [(&self.invoice, "Invoice"), (&memo_id, "CreditMemo")] {
            application.line.push(Line {
                amount: Some(dec("30")),
                linked_txn: linked(id, txn_type),
                ..Line::default()
            });
        }
        let _: Payment = self
            .records
            .qbo
            .create_idempotent(&application)
            .await
            .unwrap();
        memo_id
    }

    /// Voids the memo in QBO and waits for its own job to have rewritten the deal note.
    async fn void_memo_and_see_it_noted(&self, memo_id: &str) {
        let current: CreditMemo = self.records.qbo.read(memo_id).await.unwrap();
        void_form(
            &self.e2e.quickbooks,
            "creditmemo",
            memo_id,
            current.sync_token.as_deref().unwrap(),
        )
        .await;
        let notes = self.note_saying("was voided").await;
        assert_eq!(notes.len(), 1, "rewritten in place: {notes:?}");
        // The credit no longer counts: the customer owes the invoice's whole 100.00 again.
        eventually("the contact's open balance back at 100", || async {
            let contact = self
                .records
                .get(ObjectType::Contacts, &self.contact, &[OPEN_BALANCE])
                .await;
            let balance = contact
                .get(OPEN_BALANCE)
                .and_then(|v| v.parse::<Decimal>().ok());
            (balance == Some(Decimal::from(100))).then_some(())
        })
        .await;
        let status = eventually("the memo's own job", || {
            self.form_status("CreditMemo", memo_id)
        })
        .await;
        let SyncOutcome::Synced { note, .. } = status.outcome else {
            unreachable!("filtered on Synced");
        };
        assert!(
            note.as_deref().is_some_and(|n| n.contains(&self.invoice)),
            "{note:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memos_own_webhook_brings_its_void_and_a_refund_receipts_its_note() {
    let rig = Rig::start(true).await;
    let memo = rig.applied_memo().await;
    let notes = rig.note_saying("credit memo").await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    rig.void_memo_and_see_it_noted(&memo).await;

    // A refund receipt reaches HubSpot only through its own webhook.
    let receipt: RefundReceipt = rig
        .records
        .qbo
        .create_idempotent(&RefundReceipt {
            customer_ref: Some(Ref::to(rig.customer.clone())),
            line: vec![sales_line(&rig.item, "1", "15")],
            linked_txn: linked(&rig.invoice, "Invoice"),
            ..RefundReceipt::default()
        })
        .await
        .unwrap();
    let notes = rig.note_saying("refund of 15.00 USD").await;
    assert_eq!(notes.len(), 2, "the memo's and the refund's: {notes:?}");
    let receipt_id = receipt.id.unwrap();
    eventually("the receipt's own job", || {
        rig.form_status("RefundReceipt", &receipt_id)
    })
    .await;
    rig.e2e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdc_polling_brings_a_memos_void_to_the_deal_note_without_webhooks() {
    let rig = Rig::start(false).await;
    let memo = rig.applied_memo().await;
    rig.note_saying("credit memo").await;
    rig.void_memo_and_see_it_noted(&memo).await;
    rig.e2e.shutdown().await;
}
