//! Receivables through both sandboxes (docs/hubspot.md §4.1): a customer with open invoices in
//! several aging buckets and a part payment gets its receivables on its contact and its deal;
//! a repeat costs the stated calls and writes nothing; the sweep moves the aging with the
//! calendar; the QBO customer's own `Balance` agrees.

use std::sync::Arc;

use chrono::NaiveDate;
use hqsync::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use hqsync::engine::invoicing::receivables::properties::*;
use hqsync::engine::invoicing::receivables::refresh::KnownRecords;
use hqsync::engine::invoicing::receivables::{ReceivablesFlow, ReceivablesSchema};
use hqsync::hubspot::ObjectType;
use hqsync::quickbooks::entities::Customer;
use hqsync_tests::invoicing::{InvoiceSandboxes, dec};
use hqsync_tests::sandbox_stats::requests_served;

const NAMES: &[&str] = &[
    OPEN_BALANCE,
    OVERDUE,
    CURRENT,
    DAYS_1_30,
    DAYS_31_60,
    DAYS_61_90,
    OVER_90,
    OPEN_INVOICES,
    CURRENCY,
    LAST_PAYMENT_DATE,
    LAST_PAYMENT_AMOUNT,
];

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customers_receivables_reach_its_contact_and_deal_and_age_with_the_calendar() {
    let InvoiceSandboxes { hs, qb, records } = InvoiceSandboxes::start().await;
    let mirror = InvoiceMirror::new(
        Arc::new(records.hubspot.clone()),
        Arc::new(records.qbo.clone()),
        InvoiceSyncSettings {
            require_linked_items: false,
            ..InvoiceSyncSettings::default()
        },
    );
    let schema = ReceivablesSchema::default();
    let flow = ReceivablesFlow::new(&mirror, &schema);
    let linked = records
        .linked_deal(
            ("Owen Owes", "owen@example.com"),
            ("Work", "100"),
            "Retainer",
        )
        .await;
    // As of 2099-06-30: not yet due, 20 days and 76 days past due.
    let current = records.tagged_invoice(&linked, "1", "2099-07-15").await;
    let late = records.tagged_invoice(&linked, "2", "2099-06-10").await;
    records
        .invoice(
            &linked.customer,
            &[(&linked.item, "3", "100")],
            None,
            "2099-04-15",
        )
        .await;
    let paid = records
        .pay(
            &linked.customer,
            &[(late.id.as_deref().unwrap(), "50")],
            "P1",
        )
        .await;
    let as_of = date("2099-06-30");
    for invoice in [&current, &late] {
        mirror
            .sync_invoice(invoice.id.as_deref().unwrap(), as_of)
            .await
            .unwrap();
    }
    let deals = vec![linked.deal.clone()];

    let first = flow
        .refresh_after_payments(
            std::slice::from_ref(&linked.customer),
            &[],
            &deals,
            &KnownRecords::new(),
            as_of,
        )
        .await
        .unwrap();
    // The deal is already current: each invoice sync refreshed its deal's receivables in the
    // same pass as its latest-invoice values (docs/hubspot.md §4.1), so only the contact is new.
    assert_eq!((first.records_written, first.deals_written), (1, 0));
    let contact = records
        .get(ObjectType::Contacts, &linked.contact, NAMES)
        .await;
    let value = |name: &str| contact.get(name).map(dec);
    assert_eq!(value(OPEN_BALANCE), Some(dec("550")));
    assert_eq!(value(CURRENT), Some(dec("100")));
    assert_eq!(value(DAYS_1_30), Some(dec("150")));
    assert_eq!(value(DAYS_61_90), Some(dec("300")));
    assert_eq!(value(OVERDUE), Some(dec("450")));
    assert_eq!(value(OPEN_INVOICES), Some(dec("3")));
    assert_eq!(value(LAST_PAYMENT_AMOUNT), Some(dec("50")));
    assert_eq!(contact.get(CURRENCY), Some("USD"));
    assert_eq!(
        contact
            .get(LAST_PAYMENT_DATE)
            .map(|d| hqsync::hubspot::values::parse_date(d).unwrap()),
        paid.txn_date
    );
    // The deal carries its own (tagged, mirrored) invoices only: not the untagged 300.
    let deal = records.get(ObjectType::Deals, &linked.deal, NAMES).await;
    assert_eq!(deal.get(OPEN_BALANCE).map(dec), Some(dec("250")));
    assert_eq!(deal.get(OPEN_INVOICES).map(dec), Some(dec("2")));
    assert_eq!(deal.get(LAST_PAYMENT_DATE), None);
    // QBO's own customer Balance agrees (the sandbox's Customer.Balance).
    let customer: Customer = records.qbo.read(&linked.customer).await.unwrap();
    assert_eq!(customer.balance, Some(dec("550")));
    assert_eq!(customer.balance_with_jobs, Some(dec("550")));

    // A repeat: 2 QBO queries, 1 contact read and 2 deal calls (the deal with its invoice
    // associations, its invoices), no write.
    let (hs0, qb0) = (
        requests_served(&hs.base_url()).await,
        records.qbo.requests_sent(),
    );
    let again = flow
        .refresh_after_payments(
            std::slice::from_ref(&linked.customer),
            &[],
            &deals,
            &KnownRecords::new(),
            as_of,
        )
        .await
        .unwrap();
    let (hs1, qb1) = (
        requests_served(&hs.base_url()).await,
        records.qbo.requests_sent(),
    );
    let hubspot_calls = hs1 - hs0;
    let qbo_calls = qb1 - qb0;
    println!(
        "receivables refresh of one customer and one deal: {hubspot_calls} HubSpot + {qbo_calls} QBO calls, no write"
    );
    assert_eq!((again.records_written, again.deals_written), (0, 0));
    assert_eq!(qbo_calls, 2);
    assert_eq!(hubspot_calls, 3);

    // Sixteen days later, without any QBO change, the sweep moves every invoice a bucket on.
    let (hs0, qb0) = (
        requests_served(&hs.base_url()).await,
        records.qbo.requests_sent(),
    );
    let swept = flow.sweep(date("2099-07-16")).await.unwrap();
    let (hs1, qb1) = (
        requests_served(&hs.base_url()).await,
        records.qbo.requests_sent(),
    );
    println!(
        "sweep of {} customer(s): {} HubSpot + {} QBO calls, {} write(s)",
        swept.customers,
        hs1 - hs0,
        qb1 - qb0,
        swept.records_written
    );
    assert_eq!((swept.customers, swept.records_written), (1, 1));
    let contact = records
        .get(ObjectType::Contacts, &linked.contact, NAMES)
        .await;
    let value = |name: &str| contact.get(name).map(dec);
    assert_eq!(value(CURRENT), Some(dec("0")));
    assert_eq!(value(DAYS_1_30), Some(dec("100")));
    assert_eq!(value(DAYS_31_60), Some(dec("150")));
    assert_eq!(value(OVER_90), Some(dec("300")));
    assert_eq!(value(OVERDUE), Some(dec("550")));
    assert_eq!(
        value(LAST_PAYMENT_AMOUNT),
        Some(dec("50")),
        "the sweep keeps it"
    );
    hs.shutdown().await;
    qb.shutdown().await;
}
