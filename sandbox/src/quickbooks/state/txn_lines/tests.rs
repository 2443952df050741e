//! Tests of the line rules and totals through `Company::write` (docs/quickbooks.md §17): the
//! docs samples to the cent, each refusal, currency, and a property test over generated invoices.

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::Seed;
use crate::quickbooks::entity_kind::EntityKind;
use crate::quickbooks::fault::Fault;
use crate::quickbooks::state::fields::money;
use crate::quickbooks::state::{Company, WriteOp, WriteOptions};

const NOW: i64 = 1_780_000_000_000;

fn dec(s: &str) -> Decimal {
    s.parse().expect("decimal literal")
}

fn write(c: &mut Company, kind: EntityKind, body: Value) -> Result<Value, Fault> {
    c.write(kind, WriteOp::Upsert, body, WriteOptions::default(), NOW)
}

fn amount(v: &Value) -> Decimal {
    money(v).unwrap_or_else(|| panic!("not an amount: {v}"))
}

/// A company with a customer "1" and a service item "1" (and an inventory item "2").
fn company() -> Company {
    let mut c = Company::new("1", -480, Seed::Empty, NOW);
    write(
        &mut c,
        EntityKind::Customer,
        json!({"DisplayName": "Sonnenschein"}),
    )
    .unwrap();
    write(
        &mut c,
        EntityKind::Item,
        json!({"Name": "Rock Fountain", "Type": "Service", "IncomeAccountRef": {"value": "1"}}),
    )
    .unwrap();
    write(
        &mut c,
        EntityKind::Item,
        json!({"Name": "Pump", "Type": "Inventory", "IncomeAccountRef": {"value": "79"},
               "AssetAccountRef": {"value": "81"}, "ExpenseAccountRef": {"value": "80"},
               "TrackQtyOnHand": true, "QtyOnHand": 10, "InvStartDate": "2026-01-01"}),
    )
    .unwrap();
    c
}

fn sale(amount: &str, tax: &str) -> Value {
    json!({"DetailType": "SalesItemLineDetail", "Amount": amount.parse::<f64>().unwrap(),
           "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "TaxCodeRef": {"value": tax}}})
}

fn percent_off(percent: u32) -> Value {
    json!({"DetailType": "DiscountLineDetail",
           "DiscountLineDetail": {"PercentBased": true, "DiscountPercent": percent}})
}

/// The docs invoice's three TAX lines (335.25, fixture `invoice-read-response.json`) with
/// the docs estimate's 10 % discount line (fixture `estimate-read-response-discount.json`).
fn docs_lines() -> Value {
    json!([
        sale("275", "TAX"),
        sale("12.75", "TAX"),
        sale("47.5", "TAX"),
        percent_off(10)
    ])
}

#[test]
fn ten_percent_off_a_taxed_invoice_to_the_cent() {
    let mut c = company();
    let after = write(
        &mut c,
        EntityKind::Invoice,
        json!({"CustomerRef": {"value": "1"}, "ApplyTaxAfterDiscount": true, "Line": docs_lines()}),
    )
    .unwrap();
    let lines = after["Line"].as_array().unwrap();
    assert_eq!(lines[3]["DetailType"], "SubTotalLineDetail");
    assert_eq!(amount(&lines[3]["Amount"]), dec("335.25"));
    assert_eq!(
        amount(&lines[4]["Amount"]),
        dec("33.53"),
        "33.525 rounds up"
    );
    let tax = &after["TxnTaxDetail"];
    assert_eq!(tax["TxnTaxCodeRef"]["value"], "2");
    assert_eq!(
        amount(&tax["TaxLine"][0]["TaxLineDetail"]["NetAmountTaxable"]),
        dec("301.72")
    );
    assert_eq!(
        tax["TaxLine"][0]["TaxLineDetail"]["TaxRateRef"]["value"],
        "3"
    );
    assert_eq!(amount(&tax["TotalTax"]), dec("24.14"));
    assert_eq!(amount(&after["TotalAmt"]), dec("325.86"));
    assert_eq!(amount(&after["Balance"]), dec("325.86"));
    let before = write(
        &mut c,
        EntityKind::Invoice,
        json!({"CustomerRef": {"value": "1"}, "ApplyTaxAfterDiscount": false, "Line": docs_lines()}),
    )
    .unwrap();
    assert_eq!(amount(&before["TxnTaxDetail"]["TotalTax"]), dec("26.82"));
    assert_eq!(amount(&before["TotalAmt"]), dec("328.54"));
    // The company default decides when the transaction does not say (§17.2).
    c.set_tax_after_discount_default(true);
    let default = write(
        &mut c,
        EntityKind::Invoice,
        json!({"CustomerRef": {"value": "1"}, "Line": docs_lines()}),
    )
    .unwrap();
    assert_eq!(default["ApplyTaxAfterDiscount"], true);
    assert_eq!(amount(&default["TotalAmt"]), dec("325.86"));
}

#[test]
fn the_docs_estimate_comes_back_as_sampled() {
    let mut c = company();
    let est = write(
        &mut c,
        EntityKind::Estimate,
        json!({"CustomerRef": {"value": "1"}, "Line": [sale("35", "NON"), percent_off(10)]}),
    )
    .unwrap();
    let types: Vec<&str> = est["Line"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["DetailType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "SalesItemLineDetail",
            "SubTotalLineDetail",
            "DiscountLineDetail"
        ]
    );
    assert_eq!(amount(&est["Line"][2]["Amount"]), dec("3.5"));
    assert_eq!(
        est["Line"][2]["DiscountLineDetail"]["DiscountAccountRef"]["value"],
        "86"
    );
    assert_eq!(est["TxnTaxDetail"], json!({"TotalTax": 0}));
    assert_eq!(amount(&est["TotalAmt"]), dec("31.5"));
    assert_eq!(est["TxnStatus"], "Pending");
    assert!(est.get("Balance").is_none(), "estimates have no balance");
}

#[test]
fn receipts_are_paid_and_credit_memos_are_open_credit() {
    let mut c = company();
    let lines = json!([sale("100", "TAX")]);
    let receipt = write(
        &mut c,
        EntityKind::SalesReceipt,
        json!({"CustomerRef": {"value": "1"}, "Line": lines}),
    )
    .unwrap();
    assert_eq!(amount(&receipt["TotalAmt"]), dec("108"));
    assert_eq!(amount(&receipt["Balance"]), Decimal::ZERO);
    assert_eq!(receipt["DepositToAccountRef"]["value"], "4");
    let memo = write(
        &mut c,
        EntityKind::CreditMemo,
        json!({"CustomerRef": {"value": "1"}, "Line": lines}),
    )
    .unwrap();
    assert_eq!(amount(&memo["Balance"]), dec("108"));
    assert_eq!(amount(&memo["RemainingCredit"]), dec("108"));
    let customer = c.read(EntityKind::Customer, "1").unwrap();
    assert_eq!(
        amount(&customer["Balance"]),
        dec("-108"),
        "open credit lowers the balance"
    );
    let refund = write(
        &mut c,
        EntityKind::RefundReceipt,
        json!({"CustomerRef": {"value": "1"}, "Line": lines}),
    )
    .unwrap();
    assert_eq!(amount(&refund["Balance"]), Decimal::ZERO);
    let updated = write(
        &mut c,
        EntityKind::CreditMemo,
        json!({"Id": memo["Id"], "SyncToken": "0", "sparse": true, "Line": [sale("50", "NON")]}),
    )
    .unwrap();
    assert_eq!(amount(&updated["TotalAmt"]), dec("50"));
    assert_eq!(updated["SyncToken"], "1");
    let customer = c.read(EntityKind::Customer, "1").unwrap();
    assert_eq!(amount(&customer["Balance"]), dec("-50"));
}

#[test]
fn non_us_companies_refuse_a_line_without_a_tax_code() {
    let mut c = company();
    c.set_country("CA", NOW);
    let err = write(
        &mut c,
        EntityKind::Invoice,
        json!({"CustomerRef": {"value": "1"}, "Line": [
            {"DetailType": "SalesItemLineDetail", "Amount": 100,
             "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}]}),
    )
    .unwrap_err();
    // Fixture error-6000-business-validation.json (a Canadian company).
    assert_eq!(err.code(), "6000");
    assert_eq!(
        err.errors[0].detail,
        "Business Validation Error: Make sure all your transactions have a GST/HST rate before you save."
    );
    let pseudo = write(
        &mut c,
        EntityKind::Invoice,
        json!({"CustomerRef": {"value": "1"}, "Line": [sale("100", "TAX")]}),
    )
    .unwrap_err();
    assert_eq!(pseudo.code(), "2500", "no US pseudo codes outside the US");
    let hst = write(
        &mut c,
        EntityKind::Invoice,
        json!({"CustomerRef": {"value": "1"}, "Line": [sale("100", "5"), sale("50", "7")]}),
    )
    .unwrap();
    assert_eq!(hst["GlobalTaxCalculation"], "TaxExcluded");
    assert!(hst.get("ApplyTaxAfterDiscount").is_none());
    // 13 % of 100, then GST 5 % and QST 9.975 % of 50.
    assert_eq!(amount(&hst["TxnTaxDetail"]["TotalTax"]), dec("20.49"));
    assert_eq!(hst["TxnTaxDetail"]["TaxLine"].as_array().unwrap().len(), 3);
    assert_eq!(amount(&hst["TotalAmt"]), dec("170.49"));
    let inclusive = write(
        &mut c,
        EntityKind::Invoice,
        json!({"CustomerRef": {"value": "1"}, "GlobalTaxCalculation": "TaxInclusive",
               "Line": [sale("113", "5")]}),
    )
    .unwrap();
    assert_eq!(amount(&inclusive["TxnTaxDetail"]["TotalTax"]), dec("13"));
    assert_eq!(amount(&inclusive["TotalAmt"]), dec("113"));
    let none = write(
        &mut c,
        EntityKind::Invoice,
        json!({"CustomerRef": {"value": "1"}, "GlobalTaxCalculation": "NotApplicable",
               "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 100,
                         "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}]}),
    )
    .unwrap();
    assert_eq!(amount(&none["TotalAmt"]), dec("100"));
    let bad = write(
        &mut c,
        EntityKind::Invoice,
        json!({"CustomerRef": {"value": "1"}, "GlobalTaxCalculation": "Sometimes",
               "Line": [sale("1", "5")]}),
    )
    .unwrap_err();
    assert_eq!(bad.code(), "2170");
}

#[test]
fn foreign_currency_needs_multicurrency_and_gets_home_totals() {
    let mut c = company();
    let euro = write(
        &mut c,
        EntityKind::Customer,
        json!({"DisplayName": "Euro Kunde", "CurrencyRef": {"value": "EUR"}}),
    )
    .unwrap();
    let invoice = json!({"CustomerRef": {"value": euro["Id"]}, "Line": [sale("100", "NON")]});
    let off = write(&mut c, EntityKind::Invoice, invoice.clone()).unwrap_err();
    assert_eq!(off.code(), "6000");
    assert!(off.errors[0].detail.contains("Multicurrency"), "{off}");
    c.set_multicurrency(true, NOW).unwrap();
    assert!(
        c.set_multicurrency(false, NOW).is_err(),
        "cannot be turned off"
    );
    let on = write(&mut c, EntityKind::Invoice, invoice).unwrap();
    assert_eq!(on["CurrencyRef"]["value"], "EUR");
    assert_eq!(amount(&on["ExchangeRate"]), dec("1.1"));
    assert_eq!(amount(&on["HomeTotalAmt"]), dec("110"));
    assert_eq!(amount(&on["HomeBalance"]), dec("110"));
    let rated = write(
        &mut c,
        EntityKind::Invoice,
        json!({"CustomerRef": {"value": euro["Id"]}, "ExchangeRate": 1.2345,
               "Line": [sale("33.33", "NON")]}),
    )
    .unwrap();
    assert_eq!(
        amount(&rated["HomeTotalAmt"]),
        dec("41.15"),
        "33.33 x 1.2345 = 41.1459"
    );
    let mismatch = write(
        &mut c,
        EntityKind::Invoice,
        json!({"CustomerRef": {"value": euro["Id"]}, "CurrencyRef": {"value": "GBP"},
               "Line": [sale("1", "NON")]}),
    )
    .unwrap_err();
    assert_eq!(mismatch.code(), "6000");
    let home = write(
        &mut c,
        EntityKind::Invoice,
        json!({"CustomerRef": {"value": "1"}, "Line": [sale("10", "NON")]}),
    )
    .unwrap();
    assert_eq!(amount(&home["ExchangeRate"]), Decimal::ONE);
    assert!(home.get("HomeTotalAmt").is_none());
}

#[test]
fn inventory_lines_need_a_quantity_and_shipping_needs_the_preference() {
    let mut c = company();
    let err = write(
        &mut c,
        EntityKind::Invoice,
        json!({"CustomerRef": {"value": "1"}, "Line": [{"DetailType": "SalesItemLineDetail",
               "Amount": 12.75, "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}]}),
    )
    .unwrap_err();
    assert_eq!(err.code(), "2020");
    assert_eq!(
        err.errors[0].element.as_deref(),
        Some("Line.SalesItemLineDetail.Qty")
    );
    let shipping = json!({"DetailType": "SalesItemLineDetail", "Amount": 10,
        "SalesItemLineDetail": {"ItemRef": {"value": "SHIPPING_ITEM_ID"}, "TaxCodeRef": {"value": "TAX"}}});
    let invoice = json!({"CustomerRef": {"value": "1"}, "ApplyTaxAfterDiscount": true,
        "Line": [sale("100", "TAX"), percent_off(10), shipping]});
    let off = write(&mut c, EntityKind::Invoice, invoice.clone()).unwrap_err();
    assert_eq!(off.code(), "2500");
    c.set_allow_shipping(true, NOW);
    let on = write(&mut c, EntityKind::Invoice, invoice).unwrap();
    // 100 - 10 discount + 10 shipping, tax 8 % of (90 + 10).
    assert_eq!(
        amount(&on["Line"][1]["Amount"]),
        dec("100"),
        "subtotal excludes shipping"
    );
    assert_eq!(amount(&on["TxnTaxDetail"]["TotalTax"]), dec("8"));
    assert_eq!(amount(&on["TotalAmt"]), dec("108"));
}

#[test]
fn payments_lower_the_balance_of_a_discounted_taxed_invoice() {
    let mut c = company();
    let inv = write(
        &mut c,
        EntityKind::Invoice,
        json!({"CustomerRef": {"value": "1"}, "ApplyTaxAfterDiscount": true, "Line": docs_lines()}),
    )
    .unwrap();
    write(
        &mut c,
        EntityKind::Payment,
        json!({"CustomerRef": {"value": "1"}, "TotalAmt": 100,
               "Line": [{"Amount": 100, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}]}),
    )
    .unwrap();
    let read = c
        .read(EntityKind::Invoice, inv["Id"].as_str().unwrap())
        .unwrap();
    assert_eq!(amount(&read["Balance"]), dec("225.86"));
    assert_eq!(amount(&read["TotalAmt"]), dec("325.86"));
}

#[test]
fn us_line_codes_discount_details_and_cents_follow_the_legacy_rules() {
    let mut c = company();
    let line = |tax: &str| {
        json!({"DetailType": "SalesItemLineDetail", "Amount": 10.004,
               "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "TaxCodeRef": {"value": tax}}})
    };
    let code = write(
        &mut c,
        EntityKind::Invoice,
        json!({"CustomerRef": {"value": "1"}, "Line": [line("2")]}),
    )
    .unwrap_err();
    assert_eq!(code.code(), "6100");
    let discount = write(
        &mut c,
        EntityKind::Invoice,
        json!({"CustomerRef": {"value": "1"}, "Line": [line("NON"),
               {"DetailType": "DiscountLineDetail", "DiscountLineDetail": {"PercentBased": true}}]}),
    )
    .unwrap_err();
    assert_eq!(discount.code(), "6090");
    let cents = write(
        &mut c,
        EntityKind::Invoice,
        json!({"CustomerRef": {"value": "1"}, "Line": [line("NON")]}),
    )
    .unwrap();
    assert_eq!(cents["Line"][0]["Amount"], json!(10));
    assert_eq!(cents["TotalAmt"], json!(10));
}

/// A generated line: amount in cents, taxable or not, or a percent discount.
#[derive(Debug, Clone)]
enum Gen {
    Sale(u32, bool),
    Shipping(u32),
    Discount(u8),
}

fn gen_line() -> impl Strategy<Value = Gen> {
    prop_oneof![
        6 => (1u32..100_000, any::<bool>()).prop_map(|(c, t)| Gen::Sale(c, t)),
        1 => (1u32..5_000).prop_map(Gen::Shipping),
        1 => (0u8..=30).prop_map(Gen::Discount),
    ]
}

fn cents(c: u32) -> Value {
    crate::quickbooks::state::fields::money_value(Decimal::new(i64::from(c), 2))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// TotalAmt = Σ sales lines − discount + tax + shipping, all to the cent, and the
    /// balance never exceeds the total (docs/quickbooks.md §17).
    #[test]
    fn totals_add_up_to_the_cent(
        lines in proptest::collection::vec(gen_line(), 1..8),
        after in any::<bool>(),
        paid in 0u32..50_000,
    ) {
        let mut c = company();
        c.set_allow_shipping(true, NOW);
        let body: Vec<Value> = lines.iter().map(|l| match l {
            Gen::Sale(a, t) => json!({"DetailType": "SalesItemLineDetail", "Amount": cents(*a),
                "SalesItemLineDetail": {"ItemRef": {"value": "1"},
                    "TaxCodeRef": {"value": if *t { "TAX" } else { "NON" }}}}),
            Gen::Shipping(a) => json!({"DetailType": "SalesItemLineDetail", "Amount": cents(*a),
                "SalesItemLineDetail": {"ItemRef": {"value": "SHIPPING_ITEM_ID"}}}),
            Gen::Discount(p) => percent_off(u32::from(*p)),
        }).collect();
        let result = write(&mut c, EntityKind::Invoice,
            json!({"CustomerRef": {"value": "1"}, "ApplyTaxAfterDiscount": after, "Line": body}));
        let inv = match result {
            Ok(inv) => inv,
            // Several discounts can exceed the subtotal; that refusal is the only one.
            Err(f) => { prop_assert_eq!(f.code(), "6000"); return Ok(()); }
        };
        let mut subtotal = Decimal::ZERO;
        let mut shipping = Decimal::ZERO;
        let mut discount = Decimal::ZERO;
        for line in inv["Line"].as_array().unwrap() {
            let a = amount(&line["Amount"]);
            prop_assert_eq!(a, a.round_dp(2));
            match (line["DetailType"].as_str().unwrap(),
                   line["SalesItemLineDetail"]["ItemRef"]["value"].as_str()) {
                ("SalesItemLineDetail", Some("SHIPPING_ITEM_ID")) => shipping += a,
                ("SalesItemLineDetail", _) => subtotal += a,
                ("DiscountLineDetail", _) => discount += a,
                ("SubTotalLineDetail", _) => {}
                (other, _) => prop_assert!(false, "unexpected line {other}"),
            }
        }
        let tax = amount(&inv["TxnTaxDetail"]["TotalTax"]);
        let total = amount(&inv["TotalAmt"]);
        prop_assert_eq!(tax, tax.round_dp(2));
        prop_assert_eq!(total, subtotal - discount + tax + shipping);
        let line_taxes: Decimal = inv["TxnTaxDetail"]["TaxLine"].as_array().into_iter().flatten()
            .map(|t| amount(&t["Amount"])).sum();
        prop_assert_eq!(line_taxes, tax);
        let pay = Decimal::new(i64::from(paid), 2).min(total);
        if pay > Decimal::ZERO {
            write(&mut c, EntityKind::Payment, json!({"CustomerRef": {"value": "1"},
                "TotalAmt": crate::quickbooks::state::fields::money_value(pay),
                "Line": [{"Amount": crate::quickbooks::state::fields::money_value(pay),
                          "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}]})).unwrap();
        }
        let read = c.read(EntityKind::Invoice, inv["Id"].as_str().unwrap()).unwrap();
        let balance = amount(&read["Balance"]);
        prop_assert!(balance <= total);
        prop_assert_eq!(balance, total - pay);
    }
}
