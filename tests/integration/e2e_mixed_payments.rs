//! A QBO payment that applies money and a credit memo to one invoice, through the whole local
//! pipeline: the deal gets the payment's note for the money and the memo's note, each once, and
//! a void says so in both (docs/quickbooks.md §4.9).

use std::sync::Arc;

use hqsync::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use hqsync::engine::invoicing::payments::PaymentMirror;
use hqsync::model::{ObjectKind, Side};
use hqsync::quickbooks::entities::{CreditMemo, Line, LinkedTxn, Payment, Ref};
use hqsync_tests::invoicing::{InvoiceRecords, dec, sales_line, today};

use crate::e2e_stack::{E2eOptions, E2eStack, eventually};

fn line(amount: &str, id: &str, txn_type: &str) -> Line {
    Line {
        amount: Some(dec(amount)),
        linked_txn: vec![LinkedTxn {
            txn_id: id.into(),
            txn_type: txn_type.into(),
            ..LinkedTxn::default()
        }],
        ..Line::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn money_and_a_credit_memo_on_one_invoice_note_both_once_and_a_void_says_so_in_both() {
    let e2e = E2eStack::start(E2eOptions::default(), |_, qb| {
        qb.limits.per_second = 0;
    })
    .await;
    let hubspot = e2e.stack.endpoints.hubspot_client().unwrap();
    let qbo = e2e.stack.endpoints.quickbooks_client().unwrap();
    let records = InvoiceRecords::over(hubspot.clone(), qbo.clone()).await;
    let customer = records.customer("Mia Mixed", "mia.mixed@example.com").await;
    let item = records.item("Repair", "100").await;
    let contact = eventually("customer linked", || {
        e2e.partner(ObjectKind::Contact, Side::Quickbooks, &customer)
    })
    .await;
    eventually("item linked", || {
        e2e.partner(ObjectKind::Product, Side::Quickbooks, &item)
    })
    .await;
    let deal = records.deal("Repair deal", Some(&contact)).await;
    let note = format!("HubSpot deal: {deal}");
    let invoice = records
        .invoice(&customer, &[(&item, "1", "100")], Some(&note), "2099-01-31")
        .await
        .id
        .unwrap();
    let mirror = InvoiceMirror::new(
        Arc::new(hubspot),
        Arc::new(qbo),
        InvoiceSyncSettings::default(),
    );
    mirror.ensure_schema().await.unwrap();
    eventually("invoice mirrored", || async {
        mirror.find_hubspot_invoice(&invoice).await.unwrap()
    })
    .await;

    // 30.00 of credit and 50.00 of money on the 100.00 invoice, in one payment.
    let memo: CreditMemo = records
        .qbo
        .create_idempotent(&CreditMemo {
            customer_ref: Some(Ref::to(customer.clone())),
            line: vec![sales_line(&item, "1", "30")],
            ..CreditMemo::default()
        })
        .await
        .unwrap();
    let memo_id = memo.id.unwrap();
    let payment: Payment = records
        .qbo
        .create_idempotent(&Payment {
            customer_ref: Some(Ref::to(customer.clone())),
            total_amt: Some(dec("50")),
            line: vec![
                line("80", &invoice, "Invoice"),
                line("30", &memo_id, "CreditMemo"),
            ],
            ..Payment::default()
        })
        .await
        .unwrap();
    let payment_id = payment.id.unwrap();

    let notes = eventually("the memo's and the money's notes", || async {
        let notes = records.notes_of(&deal).await;
        let memo_noted = notes.iter().any(|n| n.contains("credit memo"));
        let money_noted = notes
            .iter()
            .any(|n| n.contains("QuickBooks payment of 50 USD received"));
        (memo_noted && money_noted).then_some(notes)
    })
    .await;
    assert_eq!(notes.len(), 2, "one each: {notes:?}");
    let balance = eventually("balance 20", || async {
        let hs = mirror.find_hubspot_invoice(&invoice).await.unwrap()?;
        let balance = hs.get("qbo_balance").map(dec)?;
        (balance == dec("20")).then_some(balance)
    })
    .await;
    assert_eq!(balance, dec("20"));

    // Delivered again: nothing more.
    let payments = PaymentMirror::new(&mirror);
    for _ in 0..2 {
        let again = payments.sync_payment(&payment_id, today()).await.unwrap();
        assert_eq!(again.notes_created, 0, "{again:?}");
    }
    assert_eq!(records.notes_of(&deal).await.len(), 2);

    // Voided: the money's void is noted and the memo's note says its payment was voided.
    let current: Payment = records.qbo.read(&payment_id).await.unwrap();
    records
        .qbo
        .void_payment(&payment_id, current.sync_token.as_deref().unwrap())
        .await
        .unwrap();
    let notes = eventually("both notes say voided", || async {
        let notes = records.notes_of(&deal).await;
        let memo_voided = notes.iter().any(|n| {
            n.contains("credit memo") && n.contains("the payment that applied it was voided")
        });
        let money_voided = notes.iter().any(|n| {
            n.contains(&format!("QuickBooks payment {payment_id} for invoice"))
                && n.contains("was voided")
        });
        (memo_voided && money_voided).then_some(notes)
    })
    .await;
    assert_eq!(
        notes.len(),
        3,
        "the memo's note rewritten, the payment's void noted once: {notes:?}"
    );
    let again = payments.sync_payment(&payment_id, today()).await.unwrap();
    assert_eq!(again.notes_created, 0, "{again:?}");
    assert_eq!(records.notes_of(&deal).await.len(), 3);
    e2e.shutdown().await;
}
