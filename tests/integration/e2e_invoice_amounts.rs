//! The mirror's amounts against QBO's to the cent (docs/hubspot.md §2.8): the docs samples and
//! generated invoices (lines, discounts, tax, shipping, currency, part payments) made in the QBO
//! sandbox, which computes totals like QBO (docs/quickbooks.md §17), mirrored into HubSpot.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hqsync::engine::invoicing::invoices::amounts::InvoiceAmounts;
use hqsync::engine::invoicing::invoices::properties as inv;
use hqsync::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use hqsync::hubspot::ObjectType;
use hqsync::hubspot::batch::BatchReadOptions;
use hqsync::quickbooks::entities::{Customer, Invoice, Ref};
use hqsync_tests::fixtures;
use hqsync_tests::invoicing::{InvoiceRecords, InvoiceSandboxes, dec, today};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// Both sandboxes, a contact-linked customer per currency, items and the mirror.
struct Rig {
    sandboxes: InvoiceSandboxes,
    mirror: InvoiceMirror,
    /// (QBO customer, its currency when not the home one).
    customers: Vec<(String, Option<&'static str>)>,
    items: Vec<String>,
    /// Invoices made so far (each gets its own memo).
    made: AtomicUsize,
}

impl Rig {
    /// Shipping and multicurrency switched on (docs/quickbooks.md §17.8), a USD and a EUR
    /// customer linked to contacts, three items.
    async fn start() -> Rig {
        let sandboxes = InvoiceSandboxes::start().await;
        let switched = reqwest::Client::new()
            .post(format!("{}/_sandbox/preferences", sandboxes.qb.base_url()))
            .json(&json!({"allowShipping": true, "multiCurrency": true}))
            .send()
            .await
            .unwrap();
        assert!(switched.status().is_success(), "{switched:?}");
        let records = &sandboxes.records;
        let (home, _) = records.linked_customer("Ada Home", "ada@example.com").await;
        let euro = euro_customer(records).await;
        let mut items = Vec::new();
        for (name, price) in [("Consulting", "150"), ("Widget", "12.75"), ("Pump", "9.5")] {
            items.push(records.item(name, price).await);
        }
        let mirror = InvoiceMirror::new(
            Arc::new(records.hubspot.clone()),
            Arc::new(records.qbo.clone()),
            InvoiceSyncSettings {
                require_linked_items: false,
                ..InvoiceSyncSettings::default()
            },
        );
        Rig {
            sandboxes,
            mirror,
            customers: vec![(home, None), (euro, Some("EUR"))],
            items,
            made: AtomicUsize::new(0),
        }
    }

    /// Creates `body` (an Invoice in QBO's JSON) in QBO, pays `paid_percent` of its total,
    /// mirrors it, and checks every HubSpot amount against QBO's; the QBO invoice as it ended.
    async fn mirror_and_compare(&self, mut body: Value, paid_percent: u32) -> Invoice {
        let records = &self.sandboxes.records;
        // A body of its own: the client's requestid is derived from the body (§5.1).
        let n = self.made.fetch_add(1, Ordering::Relaxed);
        body["PrivateNote"] = json!(format!("amounts case {n}"));
        let draft: Invoice = serde_json::from_value(body).unwrap();
        let mut created = records.qbo.create_idempotent(&draft).await.unwrap();
        let id = created.id.clone().unwrap();
        let paid = (created.total_amt.unwrap_or_default() * Decimal::from(paid_percent)
            / Decimal::from(100))
        .round_dp(2);
        if !paid.is_zero() {
            let amount = paid;
            let customer = created.customer_ref.clone().unwrap().value;
            records
                .pay(&customer, &[(&id, &amount.to_string())], "PART")
                .await;
            created = records.qbo.read::<Invoice>(&id).await.unwrap();
        }
        let mirrored = self.mirror.sync_invoice(&id, today()).await.unwrap();
        let hs_id = mirrored.hubspot_id.expect("mirrored");
        let hs = records
            .get(
                ObjectType::Invoices,
                &hs_id,
                &[
                    inv::QBO_SUBTOTAL,
                    inv::QBO_DISCOUNT,
                    inv::QBO_SHIPPING,
                    inv::QBO_TAX,
                    inv::QBO_TOTAL,
                    inv::QBO_BALANCE,
                    inv::HS_STATUS,
                    "hs_currency",
                ],
            )
            .await;
        let amount = |name: &str| -> Decimal {
            hs.get(name)
                .unwrap_or_else(|| panic!("{name} missing"))
                .parse()
                .unwrap()
        };
        // What QBO itself says, read from its JSON rather than through the mirror's code.
        let qbo = serde_json::to_value(&created).unwrap();
        let number = |v: &Value| -> Decimal { v.to_string().parse().unwrap_or_default() };
        let lines = qbo["Line"].as_array().unwrap();
        let of_type = |t: &str| -> Decimal {
            lines
                .iter()
                .filter(|l| l["DetailType"] == t)
                .map(|l| number(&l["Amount"]))
                .sum()
        };
        let shipping: Decimal = lines
            .iter()
            .filter(|l| l["SalesItemLineDetail"]["ItemRef"]["value"] == "SHIPPING_ITEM_ID")
            .map(|l| number(&l["Amount"]))
            .sum();
        assert_eq!(amount(inv::QBO_TOTAL), number(&qbo["TotalAmt"]), "{qbo}");
        assert_eq!(amount(inv::QBO_BALANCE), number(&qbo["Balance"]), "{qbo}");
        assert_eq!(
            amount(inv::QBO_SUBTOTAL),
            of_type("SubTotalLineDetail"),
            "{qbo}"
        );
        assert_eq!(
            amount(inv::QBO_DISCOUNT),
            of_type("DiscountLineDetail"),
            "{qbo}"
        );
        assert_eq!(amount(inv::QBO_SHIPPING), shipping, "{qbo}");
        assert_eq!(
            amount(inv::QBO_TAX),
            number(&qbo["TxnTaxDetail"]["TotalTax"]),
            "{qbo}"
        );
        assert_eq!(
            InvoiceAmounts::of(&created).parts_total(),
            amount(inv::QBO_TOTAL),
            "the parts add up to the total: {qbo}"
        );
        let currency = qbo["CurrencyRef"]["value"].as_str().unwrap_or("USD");
        assert_eq!(hs.get("hs_currency"), Some(currency));
        let status = if created.balance.unwrap_or_default().is_zero() {
            inv::HS_PAID
        } else {
            inv::HS_OPEN
        };
        assert_eq!(hs.get(inv::HS_STATUS), Some(status), "{qbo}");
        // HubSpot's own line model: the line items' amounts add up to the sales lines and
        // shipping (the discount and tax are invoice amounts, docs/hubspot.md §2.8).
        let line_ids = records
            .associated(ObjectType::Invoices, &hs_id, ObjectType::LineItems)
            .await;
        let read = records
            .hubspot
            .batch_read(
                ObjectType::LineItems,
                &line_ids,
                &BatchReadOptions {
                    properties: vec!["amount".into()],
                    ..BatchReadOptions::default()
                },
            )
            .await
            .unwrap();
        let billed: Decimal = read
            .found
            .iter()
            .map(|l| l.get("amount").unwrap().parse::<Decimal>().unwrap())
            .sum();
        assert_eq!(
            billed,
            amount(inv::QBO_SUBTOTAL) + amount(inv::QBO_SHIPPING),
            "{qbo}"
        );
        created
    }

    async fn shutdown(self) {
        self.sandboxes.shutdown().await;
    }
}

/// A EUR customer (multicurrency on) linked by hand to a contact.
async fn euro_customer(records: &InvoiceRecords) -> String {
    let id = records
        .qbo
        .create_idempotent(&Customer {
            display_name: Some("Emmy Euro".into()),
            currency_ref: Some(Ref::to("EUR")),
            ..Customer::default()
        })
        .await
        .unwrap()
        .id
        .unwrap();
    records
        .create(
            ObjectType::Contacts,
            &[("email", "emmy@example.com"), ("qbo_customer_id", &id)],
            vec![],
        )
        .await;
    id
}

fn sale(item: &str, qty: u32, price: Decimal, tax: &str) -> Value {
    json!({"DetailType": "SalesItemLineDetail", "Amount": price * Decimal::from(qty),
           "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": qty,
                                   "UnitPrice": price, "TaxCodeRef": {"value": tax}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_samples_are_mirrored_with_qbos_amounts() {
    let rig = Rig::start().await;
    let (customer, _) = &rig.customers[0];
    // The docs invoice: three taxable lines at 8 % (335.25 + 26.82 = 362.07).
    let invoice = fixtures::json("quickbooks", "invoice-read-response.json")["Invoice"].clone();
    let lines: Vec<Value> = invoice["Line"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["DetailType"] == "SalesItemLineDetail")
        .zip(&rig.items)
        .map(|(l, item)| {
            let d = &l["SalesItemLineDetail"];
            sale(
                item,
                d["Qty"].as_u64().unwrap() as u32,
                d["UnitPrice"].to_string().parse().unwrap(),
                "TAX",
            )
        })
        .collect();
    let taxed = rig
        .mirror_and_compare(
            json!({"CustomerRef": {"value": customer},
                   "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"}}, "Line": lines}),
            0,
        )
        .await;
    assert_eq!(taxed.total_amt, Some(dec("362.07")));
    // The docs estimate's 10 % discount of 35.00, on an invoice (same totals, §17.7).
    let discounted = rig
        .mirror_and_compare(
            json!({"CustomerRef": {"value": customer}, "Line": [
                sale(&rig.items[0], 1, dec("35"), "NON"),
                {"DetailType": "DiscountLineDetail",
                 "DiscountLineDetail": {"PercentBased": true, "DiscountPercent": 10}}]}),
            0,
        )
        .await;
    assert_eq!(discounted.total_amt, Some(dec("31.50")));
    rig.shutdown().await;
}

/// One generated invoice: lines (item index, qty, price in cents), a discount, tax, shipping,
/// the customer (home or EUR) and how much of it is paid (percent of the total).
#[derive(Debug, Clone)]
struct Case {
    lines: Vec<(usize, u32, i64)>,
    /// `None`, `Some((true, percent))` or `Some((false, percent of the subtotal as an amount))`.
    discount: Option<(bool, u32)>,
    taxed: bool,
    tax_after_discount: bool,
    shipping_cents: i64,
    customer: usize,
    paid_percent: u32,
}

fn cases() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec((0usize..3, 1u32..6, 1i64..50_000), 1..5),
        prop::option::of((any::<bool>(), 0u32..=100)),
        any::<bool>(),
        any::<bool>(),
        prop_oneof![Just(0i64), 1i64..5_000],
        0usize..2,
        prop_oneof![Just(0u32), 1u32..=100],
    )
        .prop_map(
            |(lines, discount, taxed, tax_after_discount, shipping_cents, customer, paid)| Case {
                lines,
                discount,
                taxed,
                tax_after_discount,
                shipping_cents,
                customer,
                paid_percent: paid,
            },
        )
}

impl Case {
    fn body(&self, rig: &Rig) -> Value {
        let tax = if self.taxed { "TAX" } else { "NON" };
        let cents = |c: i64| Decimal::new(c, 2);
        let mut lines: Vec<Value> = self
            .lines
            .iter()
            .map(|(item, qty, price)| sale(&rig.items[*item], *qty, cents(*price), tax))
            .collect();
        let subtotal: i64 = self.lines.iter().map(|(_, q, p)| i64::from(*q) * p).sum();
        match self.discount {
            Some((true, percent)) => lines.push(json!({"DetailType": "DiscountLineDetail",
                "DiscountLineDetail": {"PercentBased": true, "DiscountPercent": percent.min(99)}})),
            Some((false, share)) => lines.push(json!({"DetailType": "DiscountLineDetail",
                "Amount": cents((subtotal * i64::from(share) / 100).max(1)),
                "DiscountLineDetail": {"PercentBased": false}})),
            None => {}
        }
        if self.shipping_cents > 0 {
            lines.push(json!({"DetailType": "SalesItemLineDetail",
                "Amount": cents(self.shipping_cents),
                "SalesItemLineDetail": {"ItemRef": {"value": "SHIPPING_ITEM_ID"},
                                        "TaxCodeRef": {"value": tax}}}));
        }
        let (customer, currency) = &rig.customers[self.customer];
        let mut body = json!({"CustomerRef": {"value": customer}, "Line": lines,
                              "ApplyTaxAfterDiscount": self.tax_after_discount});
        if self.taxed {
            body["TxnTaxDetail"] = json!({"TxnTaxCodeRef": {"value": "2"}});
        }
        if let Some(c) = currency {
            body["CurrencyRef"] = json!({"value": c});
        }
        body
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_invoices_are_mirrored_with_qbos_total_and_balance_to_the_cent() {
    let rig = Rig::start().await;
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = tokio::task::block_in_place(|| {
        runner.run(&cases(), |case| {
            handle.block_on(async {
                rig.mirror_and_compare(case.body(&rig), case.paid_percent)
                    .await;
            });
            Ok(())
        })
    });
    let made = rig.made.load(Ordering::Relaxed);
    rig.shutdown().await;
    outcome.unwrap();
    assert!(made >= 24, "every generated case made an invoice ({made})");
}
