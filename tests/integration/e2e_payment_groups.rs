//! Job groups of QBO payments and of credit memos through the worker (`process_jobs`) against
//! both sandboxes: the HubSpot calls are per group, not per document (docs/hubspot.md §9.5), a
//! re-delivered group adds no note, and a voided memo's note is rewritten in place.

use chrono::Utc;
use hqsync::engine::invoicing::invoices::properties as inv;
use hqsync::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use hqsync::engine::invoicing::payments::{PaymentEvent, PaymentTokens};
use hqsync::engine::invoicing::receivables::properties::{
    LAST_PAYMENT_AMOUNT, LAST_PAYMENT_DATE, OPEN_BALANCE,
};
use hqsync::engine::jobs::{Disposition, process_jobs};
use hqsync::hubspot::ObjectType;
use hqsync::model::kinds::QBO_ONLY_FORMS;
use hqsync::model::{ObjectKind, Side};
use hqsync::ports::{Job, JobReason, SyncOutcome};
use hqsync::quickbooks::entities::{CreditMemo, Line, LinkedTxn, Payment, Ref};
use hqsync_tests::invoicing::{InvoiceRecords, LinkedDeal, dec, sales_line};
use hqsync_tests::sandbox_stats::requests_served;

use crate::e2e_credit_memos::void_form;
use crate::e2e_stack::{E2eOptions, E2eStack};

/// Payments in the group (one per customer, deal and invoice).
const PAYMENTS: usize = 5;

/// The stack with no webhooks and no poller (only the jobs the test hands the worker run), a
/// person's clients, and `PAYMENTS` linked customers each with a deal and a mirrored invoice
/// of 100.00.
struct Rig {
    e2e: E2eStack,
    records: InvoiceRecords,
    linked: Vec<LinkedDeal>,
    invoices: Vec<String>,
    reader: InvoiceMirror,
}

impl Rig {
    /// `processing`: the portal is set up for payments, so payment records are created
    /// (docs/hubspot.md §2.9).
    async fn start(processing: bool) -> Rig {
        let e2e = E2eStack::start(
            E2eOptions {
                poll_interval: None,
                ..E2eOptions::default()
            },
            |hs, qb| {
                hs.webhook_url = None;
                hs.payment_processing = processing;
                qb.webhook_url = None;
            },
        )
        .await;
        let hubspot = e2e.stack.endpoints.hubspot_client().unwrap();
        let qbo = e2e.stack.endpoints.quickbooks_client().unwrap();
        let records = InvoiceRecords::over(hubspot.clone(), qbo.clone()).await;
        records.ensure_link_properties().await;
        let mut linked = Vec::new();
        let mut invoices = Vec::new();
        for c in 0..PAYMENTS {
            let deal = records
                .linked_deal(
                    (&format!("Payer {c}"), &format!("payer{c}@example.com")),
                    (&format!("Service {c}"), "100"),
                    &format!("Payer deal {c}"),
                )
                .await;
            let invoice = records.tagged_invoice(&deal, "1", "2099-01-31").await;
            invoices.push(invoice.id.unwrap());
            linked.push(deal);
        }
        let reader = InvoiceMirror::new(
            std::sync::Arc::new(hubspot),
            std::sync::Arc::new(qbo),
            InvoiceSyncSettings::default(),
        );
        let rig = Rig {
            e2e,
            records,
            linked,
            invoices,
            reader,
        };
        let mirrored = rig.run(ObjectKind::Invoice, &rig.invoices).await;
        assert!(
            mirrored.iter().all(|d| *d == Disposition::Done),
            "{mirrored:?}"
        );
        rig
    }

    /// `ids` of `kind` handed to the worker together (one job group); their dispositions.
    async fn run(&self, kind: ObjectKind, ids: &[String]) -> Vec<Disposition> {
        let jobs = ids
            .iter()
            .map(|id| {
                Job::new(
                    self.e2e.stack.connection_id().clone(),
                    kind,
                    Side::Quickbooks,
                    id,
                    JobReason::Webhook,
                    Utc::now(),
                )
            })
            .collect();
        process_jobs(&self.e2e.stack.ctx, jobs)
            .await
            .into_iter()
            .map(|r| r.disposition)
            .collect()
    }

    /// The HubSpot calls `run` makes.
    async fn counted(&self, kind: ObjectKind, ids: &[String]) -> (u64, Vec<Disposition>) {
        let url = self.e2e.hubspot.base_url();
        let before = requests_served(&url).await;
        let answers = self.run(kind, ids).await;
        (requests_served(&url).await - before, answers)
    }

    /// A credit memo of `credit` for customer `k`, applied to its invoice by a payment of 0
    /// (docs/quickbooks.md §4.9); the memo's and the payment's ids.
    async fn applied_memo(&self, k: usize, credit: &str) -> (String, String) {
        let customer = &self.linked[k].customer;
        let memo: CreditMemo = self
            .records
            .qbo
            .create_idempotent(&CreditMemo {
                customer_ref: Some(Ref::to(customer.clone())),
                line: vec![sales_line(&self.linked[k].item, "1", credit)],
                ..CreditMemo::default()
            })
            .await
            .unwrap();
        let memo_id = memo.id.unwrap();
        let mut application = Payment {
            customer_ref: Some(Ref::to(customer.clone())),
            total_amt: Some(dec("0")),
            ..Payment::default()
        };
        for (id, txn_type) in [(&self.invoices[k], "Invoice"), (&memo_id, "CreditMemo")] {
            application.line.push(Line {
                amount: Some(dec(credit)),
                linked_txn: vec![LinkedTxn {
                    txn_id: id.clone(),
                    txn_type: txn_type.into(),
                    ..LinkedTxn::default()
                }],
                ..Line::default()
            });
        }
        let application: Payment = self
            .records
            .qbo
            .create_idempotent(&application)
            .await
            .unwrap();
        (memo_id, application.id.unwrap())
    }

    /// Pays `invoice` of customer `k` 40.00; the payment as QBO holds it.
    async fn pay(&self, k: usize) -> Payment {
        let invoice = &self.invoices[k];
        self.records
            .pay(
                &self.linked[k].customer,
                &[(invoice, "40")],
                &format!("GRP-{invoice}"),
            )
            .await
    }

    /// The recorded job note of payment `id` (synced), or the failure.
    async fn payment_status(&self, id: &str) -> SyncOutcome {
        self.e2e
            .stack
            .ctx
            .store
            .get_status(
                self.e2e.stack.connection_id(),
                ObjectKind::Payment,
                Side::Quickbooks,
                id,
            )
            .await
            .unwrap()
            .expect("a recorded status")
            .outcome
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_payments_as_one_job_group_cost_a_group_of_calls_and_a_redelivery_adds_no_note() {
    let rig = Rig::start(false).await;
    let mut payments = Vec::new();
    let mut paid_on = Vec::new();
    for k in 0..PAYMENTS {
        let payment = rig.pay(k).await;
        paid_on.push(payment.txn_date.expect("a payment date"));
        payments.push(payment.id.unwrap());
    }
    let (calls, answers) = rig.counted(ObjectKind::Payment, &payments).await;
    println!("{PAYMENTS} payments as one job group: {calls} HubSpot calls");
    assert!(
        answers.iter().all(|d| *d == Disposition::Done),
        "{answers:?}"
    );
    for (k, id) in payments.iter().enumerate() {
        let SyncOutcome::Synced { note, .. } = rig.payment_status(id).await else {
            panic!("payment {id} is not synced");
        };
        let note = note.unwrap_or_default();
        assert!(note.contains("1 deal note(s)"), "{id}: {note}");
        let notes = rig.records.notes_of(&rig.linked[k].deal).await;
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("payment of 40 USD"), "{}", notes[0]);
        let hs = rig
            .reader
            .find_hubspot_invoice(&rig.invoices[k])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hs.get(inv::QBO_BALANCE).map(dec), Some(dec("60")));
        assert!(
            PaymentTokens::of(&hs.properties).contains(&PaymentEvent::Received.token(id)),
            "{hs:?}"
        );
        // The group's receivables pass: the balance and this payment as the last one.
        let contact = rig
            .records
            .get(
                ObjectType::Contacts,
                &rig.linked[k].contact,
                &[OPEN_BALANCE, LAST_PAYMENT_AMOUNT, LAST_PAYMENT_DATE],
            )
            .await;
        assert_eq!(contact.get(OPEN_BALANCE).map(dec), Some(dec("60")));
        assert_eq!(contact.get(LAST_PAYMENT_AMOUNT).map(dec), Some(dec("40")));
        assert_eq!(
            contact
                .get(LAST_PAYMENT_DATE)
                .map(|d| hqsync::hubspot::values::parse_date(d).unwrap()),
            Some(paid_on[k]),
            "customer {k}'s last payment date"
        );
    }
    // Per group: the five invoices mirrored together (8: copies and their associations, the
    // contacts, one batch update, one deal pass), one notes batch create, the one refused
    // payment-record probe (the sandbox portal has no payment processing, docs/hubspot.md
    // §2.9), one token batch update; then one receivables batch write for the five customers
    // (their contacts as the invoice pass read them, no read; docs/hubspot.md §9.5).
    assert!(calls <= 12, "{calls} HubSpot calls for {PAYMENTS} payments");

    // The same group again (a re-delivery): nothing new is written.
    let (again, answers) = rig.counted(ObjectKind::Payment, &payments).await;
    println!("the same {PAYMENTS} payments re-delivered: {again} HubSpot calls");
    assert!(
        answers.iter().all(|d| *d == Disposition::Done),
        "{answers:?}"
    );
    for linked in &rig.linked {
        assert_eq!(rig.records.notes_of(&linked.deal).await.len(), 1);
    }
    // The copies' reads and one receivables batch read of the five contacts; no write.
    assert!(again <= 4, "{again} HubSpot calls");

    // The invoices' own update jobs after the payments' group: already mirrored, reads only.
    let (echo, _) = rig.counted(ObjectKind::Invoice, &rig.invoices).await;
    println!("their {PAYMENTS} invoices' update jobs afterwards: {echo} HubSpot calls");
    assert!(echo <= 3, "{echo} HubSpot calls");
    rig.e2e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_credit_memos_as_one_job_group_cost_a_group_of_calls_and_a_void_rewrites_its_note() {
    let rig = Rig::start(false).await;
    let memo_form = QBO_ONLY_FORMS
        .iter()
        .find(|f| f.entity == "CreditMemo")
        .unwrap();
    let mut memos = Vec::new();
    let mut applications = Vec::new();
    for k in 0..PAYMENTS {
        let (memo, application) = rig.applied_memo(k, "30").await;
        memos.push(memo);
        applications.push(application);
    }
    let jobs: Vec<String> = memos.iter().map(|id| memo_form.job_id(id)).collect();
    // Each memo's own job and the payment applying it, as their webhooks bring them: one
    // credit pass, one note per memo.
    let group: Vec<String> = jobs.iter().chain(&applications).cloned().collect();
    let (calls, answers) = rig.counted(ObjectKind::Payment, &group).await;
    println!(
        "{PAYMENTS} credit memos and the payments applying them as one job group: {calls} HubSpot calls"
    );
    assert!(
        answers.iter().all(|d| *d == Disposition::Done),
        "{answers:?}"
    );
    for (k, job) in jobs.iter().enumerate() {
        let SyncOutcome::Synced { note, .. } = rig.payment_status(job).await else {
            panic!("{job} is not synced");
        };
        let note = note.unwrap_or_default();
        assert!(note.contains(&rig.invoices[k]), "{job}: {note}");
        let notes = rig.records.notes_of(&rig.linked[k].deal).await;
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("credit memo"), "{}", notes[0]);
        let hs = rig
            .reader
            .find_hubspot_invoice(&rig.invoices[k])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hs.get(inv::QBO_BALANCE).map(dec), Some(dec("70")));
        // The group's receivables pass (one batch read and write of the customers).
        let contact = rig
            .records
            .get(
                ObjectType::Contacts,
                &rig.linked[k].contact,
                &[OPEN_BALANCE],
            )
            .await;
        assert_eq!(contact.get(OPEN_BALANCE).map(dec), Some(dec("70")));
    }
    // Per group: the five invoices mirrored together, one notes batch create, one token batch
    // update, one batch read and one batch write of the customers' receivables (a payment of 0
    // moves no last payment, so its customer is refreshed with the credited ones).
    assert!(
        calls <= 12,
        "{calls} HubSpot calls for {PAYMENTS} credit memos"
    );
    for application in &applications {
        let SyncOutcome::Synced { .. } = rig.payment_status(application).await else {
            panic!("payment {application} is not synced");
        };
    }
    let (again, _) = rig.counted(ObjectKind::Payment, &jobs).await;
    println!("the same {PAYMENTS} credit memos re-delivered: {again} HubSpot calls");
    for linked in &rig.linked {
        assert_eq!(rig.records.notes_of(&linked.deal).await.len(), 1);
    }
    assert!(again <= 3, "{again} HubSpot calls: the copies' reads only");

    // The first memo voided: its own job rewrites its note in place, the customer owes 100.
    let current: CreditMemo = rig.records.qbo.read(&memos[0]).await.unwrap();
    void_form(
        &rig.e2e.quickbooks,
        "creditmemo",
        &memos[0],
        current.sync_token.as_deref().unwrap(),
    )
    .await;
    let answers = rig.run(ObjectKind::Payment, &jobs[..1]).await;
    assert!(
        answers.iter().all(|d| *d == Disposition::Done),
        "{answers:?}"
    );
    let notes = rig.records.notes_of(&rig.linked[0].deal).await;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("was voided"), "{}", notes[0]);
    let contact = rig
        .records
        .get(
            ObjectType::Contacts,
            &rig.linked[0].contact,
            &[OPEN_BALANCE],
        )
        .await;
    assert_eq!(contact.get(OPEN_BALANCE).map(dec), Some(dec("100")));
    rig.e2e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_the_portal_takes_payments_a_groups_records_are_one_batch_create_made_once() {
    let rig = Rig::start(true).await;
    let mut payments = Vec::new();
    for k in 0..3 {
        payments.push(rig.pay(k).await.id.unwrap());
    }
    let (calls, answers) = rig.counted(ObjectKind::Payment, &payments).await;
    println!("3 payments with payment records as one job group: {calls} HubSpot calls");
    assert!(
        answers.iter().all(|d| *d == Disposition::Done),
        "{answers:?}"
    );
    let records_of = |k: usize| {
        let rig = &rig;
        async move {
            let hs = rig
                .reader
                .find_hubspot_invoice(&rig.invoices[k])
                .await
                .unwrap()
                .unwrap();
            rig.records
                .associated(ObjectType::Invoices, &hs.id, ObjectType::CommercePayments)
                .await
        }
    };
    for (k, id) in payments.iter().enumerate() {
        let SyncOutcome::Synced { note, .. } = rig.payment_status(id).await else {
            panic!("payment {id} is not synced");
        };
        let note = note.unwrap_or_default();
        assert!(note.contains("1 payment record(s)"), "{id}: {note}");
        assert_eq!(records_of(k).await.len(), 1, "payment {id}");
    }
    // The invoice group 8, notes 1, the records in one batch create (their contacts known
    // from the mirror, no association read), tokens 1, receivables 1 batch write (the
    // contacts as the invoice pass read them).
    assert!(calls <= 12, "{calls} HubSpot calls for 3 payments");

    let answers = rig.run(ObjectKind::Payment, &payments).await;
    assert!(
        answers.iter().all(|d| *d == Disposition::Done),
        "{answers:?}"
    );
    for k in 0..3 {
        assert_eq!(records_of(k).await.len(), 1, "made once");
    }
    rig.e2e.shutdown().await;
}
