//! A credit memo voided while a job is syncing it (between the job's read of the memo and its
//! read of the memo's payments): its note must still end up saying it was voided.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use hqsync::engine::invoicing::credits::CreditMirror;
use hqsync::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use hqsync::engine::invoicing::payments::PaymentMirror;
use hqsync::model::DocKind;
use hqsync::ports::invoicing::{
    QboCatalog, QboCompanySetup, QboCredits, QboInvoices, QboPayments, QboReceivables,
};
use hqsync::quickbooks::entities::{
    Account, CompanyInfo, CreditMemo, Customer, Invoice, Item, Line, LinkedTxn, Payment,
    Preferences, Ref, RefundReceipt,
};
use hqsync::quickbooks::{QboClient, QboError, RequestId};
use hqsync_tests::invoicing::{InvoiceSandboxes, dec, sales_line, today};
use serde_json::json;

type Result<T> = std::result::Result<T, QboError>;

/// The QBO client, except that the first credit memo it reads is voided in the sandbox right
/// after the read answered: the flow holds the memo as it was, then reads its payments as they
/// are now (QBO has no transactions; a user may void at any moment).
#[derive(Debug)]
struct VoidAfterMemoRead {
    inner: QboClient,
    /// The sandbox's company URL (`.../v3/company/{realm}`) and its dev token.
    company_url: String,
    token: String,
    armed: AtomicBool,
}

impl VoidAfterMemoRead {
    /// Voids credit memo `id` as a user would (`?operation=void`, docs/quickbooks.md §4.9).
    async fn void(&self, id: &str, sync_token: &str) {
        let answer = reqwest::Client::new()
            .post(format!("{}/creditmemo?operation=void", self.company_url))
            .bearer_auth(&self.token)
            .header("Accept", "application/json")
            .json(&json!({"Id": id, "SyncToken": sync_token}))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "{}", answer.status());
        // Outside the client's per-second budget (docs/quickbooks.md §9): let the second pass.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
}

#[async_trait]
impl QboCredits for VoidAfterMemoRead {
    async fn read_credit_memo(&self, id: &str) -> Result<CreditMemo> {
        let memo = QboCredits::read_credit_memo(&self.inner, id).await?;
        if self.armed.swap(false, Ordering::SeqCst) {
            self.void(id, memo.sync_token.as_deref().unwrap()).await;
        }
        Ok(memo)
    }

    async fn read_refund_receipt(&self, id: &str) -> Result<RefundReceipt> {
        QboCredits::read_refund_receipt(&self.inner, id).await
    }
}

#[async_trait]
impl QboPayments for VoidAfterMemoRead {
    async fn read_payment(&self, id: &str) -> Result<Payment> {
        QboPayments::read_payment(&self.inner, id).await
    }
}

#[async_trait]
impl QboInvoices for VoidAfterMemoRead {
    async fn read_invoice(&self, id: &str) -> Result<Invoice> {
        QboInvoices::read_invoice(&self.inner, id).await
    }
    async fn create_invoice(&self, invoice: &Invoice, request_id: &RequestId) -> Result<Invoice> {
        QboInvoices::create_invoice(&self.inner, invoice, request_id).await
    }
    async fn send_invoice(&self, id: &str, send_to: Option<&str>) -> Result<Invoice> {
        QboInvoices::send_invoice(&self.inner, id, send_to).await
    }
    async fn create_sales_doc(
        &self,
        kind: DocKind,
        doc: &Invoice,
        request_id: &RequestId,
    ) -> Result<Invoice> {
        QboInvoices::create_sales_doc(&self.inner, kind, doc, request_id).await
    }
    async fn read_sales_doc(&self, kind: DocKind, id: &str) -> Result<Invoice> {
        QboInvoices::read_sales_doc(&self.inner, kind, id).await
    }
    async fn customer_sales_docs(&self, kind: DocKind, customer_id: &str) -> Result<Vec<Invoice>> {
        QboInvoices::customer_sales_docs(&self.inner, kind, customer_id).await
    }
}

#[async_trait]
impl QboReceivables for VoidAfterMemoRead {
    async fn open_invoices_of(&self, customer_id: &str) -> Result<Vec<Invoice>> {
        QboReceivables::open_invoices_of(&self.inner, customer_id).await
    }
    async fn latest_payment_of(&self, customer_id: &str) -> Result<Option<Payment>> {
        QboReceivables::latest_payment_of(&self.inner, customer_id).await
    }
    async fn all_open_invoices(&self) -> Result<Vec<Invoice>> {
        QboReceivables::all_open_invoices(&self.inner).await
    }
}

#[async_trait]
impl QboCompanySetup for VoidAfterMemoRead {
    async fn preferences(&self) -> Result<Preferences> {
        QboCompanySetup::preferences(&self.inner).await
    }
    async fn income_accounts(&self) -> Result<Vec<Account>> {
        QboCompanySetup::income_accounts(&self.inner).await
    }
    async fn company_info(&self) -> Result<CompanyInfo> {
        QboCompanySetup::company_info(&self.inner).await
    }
}

#[async_trait]
impl QboCatalog for VoidAfterMemoRead {
    async fn create_customer(
        &self,
        customer: &Customer,
        request_id: &RequestId,
    ) -> Result<Customer> {
        QboCatalog::create_customer(&self.inner, customer, request_id).await
    }
    async fn create_item(&self, item: &Item, request_id: &RequestId) -> Result<Item> {
        QboCatalog::create_item(&self.inner, item, request_id).await
    }
    async fn read_items(&self, ids: &[String]) -> Result<Vec<Item>> {
        QboCatalog::read_items(&self.inner, ids).await
    }
}

fn linked(id: &str, txn_type: &str) -> Vec<LinkedTxn> {
    vec![LinkedTxn {
        txn_id: id.into(),
        txn_type: txn_type.into(),
        ..LinkedTxn::default()
    }]
}

/// The memo's job reads it live, the void lands, the job reads the payment that applied it
/// (its credit already taken back): that is a void, not an "unapplied" memo. Were it noted as
/// unapplied, the void's own job would find the removal noted and the note would never say
/// "was voided" (a note is rewritten once, credits/group.rs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memo_voided_between_its_read_and_its_payments_read_is_noted_as_voided() {
    let sandboxes = InvoiceSandboxes::start().await;
    let records = &sandboxes.records;
    let settings = InvoiceSyncSettings {
        require_linked_items: false,
        ..InvoiceSyncSettings::default()
    };
    let mirror = InvoiceMirror::new(
        Arc::new(records.hubspot.clone()),
        Arc::new(records.qbo.clone()),
        settings.clone(),
    );
    let deal = records
        .linked_deal(
            ("Vera Void", "vera.void@example.com"),
            ("Service", "100"),
            "Service job",
        )
        .await;
    let invoice = records.tagged_invoice(&deal, "1", "2099-06-01").await;
    let invoice = invoice.id.unwrap();
    mirror.sync_invoice(&invoice, today()).await.unwrap();
    let memo: CreditMemo = records
        .qbo
        .create_idempotent(&CreditMemo {
            customer_ref: Some(Ref::to(deal.customer.clone())),
            line: vec![sales_line(&deal.item, "1", "30")],
            ..CreditMemo::default()
        })
        .await
        .unwrap();
    let memo_id = memo.id.unwrap();
    let mut application = Payment {
        customer_ref: Some(Ref::to(deal.customer.clone())),
        total_amt: Some(dec("0")),
        txn_date: Some(today()),
        ..Payment::default()
    };
    for (id, txn_type) in [(&invoice, "Invoice"), (&memo_id, "CreditMemo")] {
        application.line.push(Line {
            amount: Some(dec("30")),
            linked_txn: linked(id, txn_type),
            ..Line::default()
        });
    }
    let payment: Payment = records.qbo.create_idempotent(&application).await.unwrap();
    PaymentMirror::new(&mirror)
        .sync_payment(payment.id.as_deref().unwrap(), today())
        .await
        .unwrap();
    let notes = records.notes_of(&deal.deal).await;
    assert!(
        notes.len() == 1 && notes[0].contains("credit memo"),
        "{notes:?}"
    );

    // A second signal of the memo (its update by the application) is being synced when the
    // user voids it.
    let racing = InvoiceMirror::new(
        Arc::new(records.hubspot.clone()),
        Arc::new(VoidAfterMemoRead {
            inner: records.qbo.clone(),
            company_url: format!(
                "{}/v3/company/{}",
                sandboxes.qb.base_url().trim_end_matches('/'),
                sandboxes.qb.config().realm_id
            ),
            token: sandboxes.qb.config().dev_token.clone(),
            armed: AtomicBool::new(true),
        }),
        settings,
    );
    CreditMirror::new(&racing)
        .sync_credit_memo(&memo_id, today())
        .await
        .unwrap();
    // Then the void's own signal.
    CreditMirror::new(&mirror)
        .sync_credit_memo(&memo_id, today())
        .await
        .unwrap();

    let notes = records.notes_of(&deal.deal).await;
    assert_eq!(notes.len(), 1, "rewritten in place: {notes:?}");
    assert!(notes[0].contains("was voided"), "{}", notes[0]);
    sandboxes.shutdown().await;
}
