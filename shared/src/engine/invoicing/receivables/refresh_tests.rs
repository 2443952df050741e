//! Tests of keeping receivables current on the invoicing fakes (docs/hubspot.md §4.1): the
//! customer's record and its deal after a mirror, no write when nothing changed, and the sweep
//! moving the aging with the calendar.

use std::sync::Arc;

use chrono::NaiveDate;

use super::properties::*;
use super::refresh::{KnownRecords, ReceivablesFlow, ReceivablesSchema};
use crate::adapters::invoicing_fakes::{FakeHubspot, FakeQbo};
use crate::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use crate::hubspot::ObjectType;
use crate::quickbooks::entities::{Invoice, Payment};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn invoice(id: &str, customer: &str, balance: &str, due: &str) -> Invoice {
    serde_json::from_value(serde_json::json!({
        "Id": id, "SyncToken": "0", "DocNumber": format!("10{id}"),
        "TxnDate": "2026-01-01", "DueDate": due,
        "CustomerRef": {"value": customer},
        "CurrencyRef": {"value": "EUR"},
        "Line": [{"Amount": balance, "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "3"}, "Qty": 1, "UnitPrice": balance}}],
        "TotalAmt": balance, "Balance": balance,
    }))
    .unwrap()
}

struct Rig {
    hs: Arc<FakeHubspot>,
    qbo: Arc<FakeQbo>,
    mirror: InvoiceMirror,
    schema: ReceivablesSchema,
    contact: String,
}

fn rig() -> Rig {
    let hs = Arc::new(FakeHubspot::default());
    let qbo = Arc::new(FakeQbo::default());
    let contact = hs.add(ObjectType::Contacts, &[("qbo_customer_id", "7")]);
    hs.add(ObjectType::Products, &[("qbo_item_id", "3")]);
    let mirror = InvoiceMirror::new(hs.clone(), qbo.clone(), InvoiceSyncSettings::default());
    Rig {
        hs,
        qbo,
        mirror,
        schema: ReceivablesSchema::default(),
        contact,
    }
}

impl Rig {
    fn flow(&self) -> ReceivablesFlow<'_> {
        ReceivablesFlow::new(&self.mirror, &self.schema)
    }

    fn contact_value(&self, name: &str) -> Option<String> {
        self.hs
            .all(ObjectType::Contacts)
            .into_iter()
            .find(|c| c.id == self.contact)
            .and_then(|c| c.get(name).map(str::to_owned))
    }
}

#[tokio::test]
async fn a_customer_refresh_writes_its_receivables_once_and_then_nothing() {
    let r = rig();
    r.qbo.put_invoice(invoice("41", "7", "100", "2026-03-01"));
    r.qbo.put_invoice(invoice("42", "7", "40.50", "2026-02-10"));
    r.qbo.put_invoice(invoice("43", "8", "999", "2026-01-01"));
    r.qbo.put_payment(
        serde_json::from_value::<Payment>(serde_json::json!({
            "Id": "90", "TxnDate": "2026-02-20", "TotalAmt": 25, "CustomerRef": {"value": "7"}
        }))
        .unwrap(),
    );
    let today = date("2026-03-15");
    let report = r
        .flow()
        .refresh_after_payments(&["7".to_owned()], &[], &[], &KnownRecords::new(), today)
        .await
        .unwrap();
    assert_eq!((report.customers, report.records_written), (1, 1));
    assert_eq!(r.contact_value(OPEN_BALANCE).as_deref(), Some("140.50"));
    assert_eq!(r.contact_value(OVERDUE).as_deref(), Some("140.50"));
    assert_eq!(r.contact_value(DAYS_1_30).as_deref(), Some("100"));
    assert_eq!(r.contact_value(DAYS_31_60).as_deref(), Some("40.50"));
    assert_eq!(r.contact_value(OPEN_INVOICES).as_deref(), Some("2"));
    assert_eq!(r.contact_value(CURRENCY).as_deref(), Some("EUR"));
    assert_eq!(r.contact_value(LAST_PAYMENT_AMOUNT).as_deref(), Some("25"));
    assert!(r.contact_value(LAST_PAYMENT_DATE).is_some());

    let again = r
        .flow()
        .refresh_after_payments(&["7".to_owned()], &[], &[], &KnownRecords::new(), today)
        .await
        .unwrap();
    assert_eq!((again.records_written, again.records_unchanged), (0, 1));

    // After an invoice change the stored last payment is kept (no payment query).
    r.qbo.put_invoice(invoice("44", "7", "9.50", "2026-04-01"));
    let after_invoice = r
        .flow()
        .refresh_after_invoice("7", &[], today)
        .await
        .unwrap();
    assert_eq!(after_invoice.records_written, 1);
    assert_eq!(r.contact_value(OPEN_BALANCE).as_deref(), Some("150.00"));
    assert_eq!(r.contact_value(LAST_PAYMENT_AMOUNT).as_deref(), Some("25"));
}

#[tokio::test]
async fn the_sweep_moves_aging_with_the_calendar_and_keeps_the_last_payment() {
    let r = rig();
    r.qbo.put_invoice(invoice("41", "7", "100", "2026-03-01"));
    r.flow()
        .refresh_after_payments(
            &["7".to_owned()],
            &[],
            &[],
            &KnownRecords::new(),
            date("2026-03-31"),
        )
        .await
        .unwrap();
    assert_eq!(r.contact_value(DAYS_1_30).as_deref(), Some("100"));
    // 30 days past due on 03-31, 31 on 04-01: the edge between two buckets.
    let same_day = r.flow().sweep(date("2026-03-31")).await.unwrap();
    assert_eq!((same_day.customers, same_day.records_written), (1, 0));
    let next_day = r.flow().sweep(date("2026-04-01")).await.unwrap();
    assert_eq!(next_day.records_written, 1);
    assert_eq!(r.contact_value(DAYS_1_30).as_deref(), Some("0"));
    assert_eq!(r.contact_value(DAYS_31_60).as_deref(), Some("100"));
    assert_eq!(r.contact_value(OPEN_BALANCE).as_deref(), Some("100"));
}

#[tokio::test]
async fn a_mirrored_invoice_refreshes_its_deal_with_its_own_invoices_only() {
    let r = rig();
    let deal = r.hs.add(ObjectType::Deals, &[("dealname", "Renewal")]);
    r.qbo.put_invoice(invoice("41", "7", "100", "2026-03-01"));
    let mirrored = r
        .mirror
        .sync_invoice("41", date("2026-03-15"))
        .await
        .unwrap();
    let hs_invoice = mirrored.hubspot_id.unwrap();
    r.hs.link(ObjectType::Deals, &deal, ObjectType::Invoices, &hs_invoice);
    r.qbo.put_invoice(invoice("42", "7", "60", "2026-04-01"));
    let report = r
        .flow()
        .refresh_after_payments(
            &["7".to_owned()],
            &[],
            std::slice::from_ref(&deal),
            &KnownRecords::new(),
            date("2026-03-15"),
        )
        .await
        .unwrap();
    assert_eq!(report.deals_written, 1);
    let deal =
        r.hs.all(ObjectType::Deals)
            .into_iter()
            .find(|d| d.id == deal)
            .unwrap();
    assert_eq!(deal.get(OPEN_BALANCE), Some("100"));
    assert_eq!(deal.get(DAYS_1_30), Some("100"));
    assert_eq!(deal.get(OPEN_INVOICES), Some("1"));
    assert_eq!(deal.get(LAST_PAYMENT_DATE), None);
    assert_eq!(r.contact_value(OPEN_BALANCE).as_deref(), Some("160"));
}

#[tokio::test]
async fn a_deal_whose_invoice_associations_are_paged_counts_all_of_them() {
    let r = rig();
    let deal = r.hs.add(ObjectType::Deals, &[("dealname", "Renewal")]);
    let as_of = date("2026-03-15");
    for (id, balance) in [("41", "100"), ("42", "60"), ("43", "15")] {
        r.qbo.put_invoice(invoice(id, "7", balance, "2026-03-01"));
        let mirrored = r.mirror.sync_invoice(id, as_of).await.unwrap();
        let hs_invoice = mirrored.hubspot_id.unwrap();
        r.hs.link(ObjectType::Deals, &deal, ObjectType::Invoices, &hs_invoice);
    }
    // HubSpot pages a GET's associations (docs/hubspot.md §2.1): the deal read brings the
    // first invoice only, and the rest are read through the associations API.
    r.hs.page_associations_by(1);
    let report = r
        .flow()
        .refresh_after_payments(
            &["7".to_owned()],
            &[],
            std::slice::from_ref(&deal),
            &KnownRecords::new(),
            as_of,
        )
        .await
        .unwrap();
    assert_eq!(report.deals_written, 1);
    let deal =
        r.hs.all(ObjectType::Deals)
            .into_iter()
            .find(|d| d.id == deal)
            .unwrap();
    assert_eq!(deal.get(OPEN_BALANCE), Some("175"));
    assert_eq!(deal.get(OPEN_INVOICES), Some("3"));
}

#[tokio::test]
async fn a_payment_groups_pass_writes_the_last_payment_of_the_paid_customers_only() {
    let r = rig();
    let other = r.hs.add(
        ObjectType::Contacts,
        &[
            ("qbo_customer_id", "8"),
            (LAST_PAYMENT_AMOUNT, "5"),
            (LAST_PAYMENT_DATE, "2026-01-05"),
        ],
    );
    r.qbo.put_invoice(invoice("41", "7", "100", "2026-03-01"));
    r.qbo.put_invoice(invoice("43", "8", "50", "2026-03-01"));
    for (id, customer, amount) in [("90", "7", 25), ("91", "8", 30)] {
        r.qbo.put_payment(
            serde_json::from_value::<Payment>(serde_json::json!({
                "Id": id, "TxnDate": "2026-02-20", "TotalAmt": amount,
                "CustomerRef": {"value": customer}
            }))
            .unwrap(),
        );
    }
    // Customer 7 paid (and was credited too): it goes with the paid. Customer 8 was only
    // credited: its stored last payment stays, though QBO holds a later one.
    let paid = ["7".to_owned()];
    let credited = ["8".to_owned(), "7".to_owned()];
    let report = r
        .flow()
        .refresh_after_payments(
            &paid,
            &credited,
            &[],
            &KnownRecords::new(),
            date("2026-03-15"),
        )
        .await
        .unwrap();
    assert_eq!((report.customers, report.records_written), (2, 2));
    assert_eq!(r.contact_value(LAST_PAYMENT_AMOUNT).as_deref(), Some("25"));
    assert_eq!(r.contact_value(OPEN_BALANCE).as_deref(), Some("100"));
    let other =
        r.hs.all(ObjectType::Contacts)
            .into_iter()
            .find(|c| c.id == other)
            .unwrap();
    assert_eq!(other.get(OPEN_BALANCE), Some("50"));
    assert_eq!(other.get(LAST_PAYMENT_AMOUNT), Some("5"));
    assert_eq!(other.get(LAST_PAYMENT_DATE), Some("2026-01-05"));
}
