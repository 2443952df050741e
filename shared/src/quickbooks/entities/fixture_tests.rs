//! Every recorded entity payload parses into its typed struct and serialises back to the same
//! JSON: typed fields keep their values and untyped members survive in `extra`.

use rust_decimal::Decimal;
use serde_json::Value;

use super::*;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../tests/fixtures/quickbooks/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Parses `value` as `E`, then checks that serialising it gives `value` back.
fn round_trip<E: Entity + std::fmt::Debug>(value: &Value) -> E {
    let entity: E = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("{} did not parse: {e}", E::NAME));
    let back = serde_json::to_value(&entity).unwrap();
    assert_eq!(&back, value, "{} round trip lost or changed data", E::NAME);
    entity
}

fn wrapped<E: Entity + std::fmt::Debug>(name: &str) -> E {
    let body = fixture(name);
    round_trip::<E>(&body[E::NAME])
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn customer_read_create_and_query_payloads_round_trip() {
    let c: Customer = wrapped("customer-read-response.json");
    assert_eq!(c.id.as_deref(), Some("2"));
    assert_eq!(c.sync_token.as_deref(), Some("0"));
    assert_eq!(c.display_name.as_deref(), Some("Bill's Windsurf Shop"));
    assert_eq!(c.email(), Some("surf@example.com"));
    assert_eq!(c.balance, Some(dec("85.0")));
    assert_eq!(
        c.meta_data.unwrap().create_time.unwrap().to_rfc3339(),
        "2014-09-11T16:49:28-07:00"
    );
    assert_eq!(c.extra.get("domain"), Some(&Value::from("QBO")));
    assert_eq!(
        c.bill_addr.unwrap().extra.get("Lat"),
        Some(&Value::from("37.4307072"))
    );

    let created: Customer = wrapped("customer-create-response.json");
    assert_eq!(created.id.as_deref(), Some("67"));
    assert_eq!(created.currency_ref.unwrap().value, "USD");

    let request = fixture("customer-create-request.json");
    let req: Customer = round_trip(&request);
    assert!(
        req.id.is_none() && req.sync_token.is_none(),
        "absent stays absent"
    );

    let page = fixture("customer-query-response.json");
    let customers = page["QueryResponse"]["Customer"].as_array().unwrap();
    assert_eq!(customers.len(), 2);
    for c in customers {
        round_trip::<Customer>(c);
    }
}

#[test]
fn item_payloads_round_trip_with_types_and_money() {
    let item: Item = wrapped("item-read-response.json");
    assert_eq!(item.name.as_deref(), Some("Pump"));
    assert_eq!(item.item_type, Some(ItemType::Inventory));
    assert_eq!(item.unit_price, Some(dec("15")));
    assert_eq!(item.qty_on_hand, Some(dec("25")));
    assert_eq!(item.inv_start_date.unwrap().to_string(), "2017-01-31");
    assert_eq!(item.income_account_ref.unwrap().value, "79");

    let page = fixture("item-query-response.json");
    let items = page["QueryResponse"]["Item"].as_array().unwrap();
    assert_eq!(items.len(), 19);
    let mut kinds = std::collections::BTreeSet::new();
    for value in items {
        let item: Item = round_trip(value);
        kinds.insert(String::from(item.item_type.unwrap()));
    }
    assert!(
        kinds.contains("Service") && kinds.contains("Inventory"),
        "{kinds:?}"
    );
}

#[test]
fn invoice_payload_round_trips_with_lines_and_links() {
    let inv: Invoice = wrapped("invoice-read-response.json");
    assert_eq!(inv.total_amt, Some(dec("362.07")));
    assert_eq!(inv.txn_date.unwrap().to_string(), "2014-09-19");
    let sales: Vec<_> = inv.line.iter().filter(|l| !l.is_subtotal()).collect();
    assert!(inv.line.iter().any(Line::is_subtotal));
    let first = sales[0].sales_item_line_detail.as_ref().unwrap();
    assert_eq!(first.item_ref.as_ref().unwrap().value, "5");
    assert_eq!(first.unit_price, Some(dec("275")));
    assert_eq!(sales[1].amount, Some(dec("12.75")));
    assert!(!inv.linked_txn.is_empty());

    let deleted = fixture("invoice-delete-response.json");
    assert_eq!(deleted["Invoice"]["status"], "Deleted");
    let marker: Invoice = round_trip(&deleted["Invoice"]);
    assert_eq!(marker.id.as_deref(), Some("33"));
    assert_eq!(marker.extra.get("status"), Some(&Value::from("Deleted")));
}

#[test]
fn payment_payload_round_trips_and_names_the_invoices_it_pays() {
    let p: Payment = wrapped("payment-read-response.json");
    assert_eq!(p.total_amt, Some(dec("65.0")));
    assert_eq!(p.unapplied_amt, Some(dec("10.0")));
    let applied: Vec<_> = p.applied_invoices().collect();
    assert_eq!(applied, vec![("70", Some(dec("55.0")))]);
    assert!(p.line[0].extra.contains_key("LineEx"), "LineEx kept");
}

#[test]
fn account_preferences_and_company_info_round_trip() {
    let a: Account = wrapped("account-read-response.json");
    assert_eq!(a.classification.as_deref(), Some("Liability"));
    assert_eq!(a.current_balance, Some(dec("-1091.23")));

    let prefs: Preferences = wrapped("preferences-read-response.json");
    assert!(!prefs.custom_txn_numbers());
    assert!(
        prefs
            .sales_forms_prefs
            .unwrap()
            .extra
            .contains_key("CustomField")
    );

    let info: CompanyInfo = wrapped("companyinfo-read-response.json");
    assert_eq!(info.company_name.as_deref(), Some("Larry's Bakery"));
    assert!(!info.name_value.is_empty());
}

#[test]
fn entities_found_in_batch_and_cdc_payloads_parse() {
    let batch = fixture("batch-response.json");
    let receipts = &batch["BatchItemResponse"][3]["QueryResponse"]["SalesReceipt"];
    // SalesReceipt is not a typed entity; its lines still use the shared line type.
    let lines: Vec<Line> = serde_json::from_value(receipts[0]["Line"].clone()).unwrap();
    assert_eq!(lines[0].amount, Some(dec("337.5")));
    let cdc = fixture("cdc-response.json");
    let customers = &cdc["CDCResponse"][0]["QueryResponse"][0]["Customer"];
    for c in customers.as_array().unwrap() {
        round_trip::<Customer>(c);
    }
}
