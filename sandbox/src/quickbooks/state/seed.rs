//! Fills a new company: the reference data every company has, the seeded vendor and employee
//! names, and with `Seed::Demo` the demo customers, items, invoices and payments.

use serde_json::{Map, Value, json};

use super::{Company, WriteOp, WriteOptions, customers, reference};
use crate::Seed;
use crate::demo_data::{PEOPLE, PRODUCTS, QBO_EMPLOYEE_NAMES, QBO_VENDOR_NAMES};
use crate::quickbooks::entity_kind::EntityKind;

pub fn apply(company: &mut Company, seed: Seed, now_ms: i64) {
    reference::seed(company, now_ms);
    for name in QBO_VENDOR_NAMES {
        customers::seed_other_name(company, EntityKind::Vendor, name, now_ms);
    }
    for name in QBO_EMPLOYEE_NAMES {
        customers::seed_other_name(company, EntityKind::Employee, name, now_ms);
    }
    if seed == Seed::Demo {
        demo(company, now_ms);
    }
}

/// The demo data (`crate::demo_data`, `on_quickbooks`) written through the same code paths
/// as API calls, so it obeys every rule.
fn demo(company: &mut Company, now_ms: i64) {
    let mut customer_ids = Vec::new();
    for p in PEOPLE.iter().filter(|p| p.on_quickbooks) {
        let body = json!({
            "DisplayName": format!("{} {}", p.first_name, p.last_name),
            "GivenName": p.first_name, "FamilyName": p.last_name, "CompanyName": p.company,
            "PrimaryEmailAddr": {"Address": p.email},
            "PrimaryPhone": {"FreeFormNumber": p.phone},
            "BillAddr": {"Line1": p.street, "City": p.city, "CountrySubDivisionCode": p.region,
                         "PostalCode": p.postal_code, "Country": p.country}
        });
        if let Some(id) = write(company, EntityKind::Customer, body, now_ms) {
            customer_ids.push(id);
        }
    }
    let mut item_ids = Vec::new();
    for p in PRODUCTS.iter().filter(|p| p.on_quickbooks) {
        let mut body = Map::new();
        body.insert("Name".into(), p.name.into());
        body.insert("Type".into(), "Service".into());
        body.insert("Description".into(), p.description.into());
        body.insert("UnitPrice".into(), number(p.price));
        body.insert(
            "IncomeAccountRef".into(),
            json!({"value": reference::SERVICES_INCOME_ACCOUNT_ID}),
        );
        if !p.sku.is_empty() {
            body.insert("Sku".into(), p.sku.into());
        }
        if !p.cost.is_empty() {
            body.insert("PurchaseCost".into(), number(p.cost));
        }
        if let Some(id) = write(company, EntityKind::Item, Value::Object(body), now_ms) {
            item_ids.push((id, p.price));
        }
    }
    // Three invoices: one paid in full, one partly paid, one open.
    let plans: [(usize, usize, &str, Option<&str>); 3] = [
        (0, 0, "1", Some("full")),
        (1, 1, "2", Some("100")),
        (2, 2, "3", None),
    ];
    for (customer, item, qty, payment) in plans {
        let (Some(customer_id), Some((item_id, price))) = (
            customer_ids.get(customer),
            item_ids.get(item % item_ids.len().max(1)),
        ) else {
            continue;
        };
        let amount = (price.parse::<rust_decimal::Decimal>().unwrap_or_default()
            * qty.parse::<rust_decimal::Decimal>().unwrap_or_default())
        .round_dp(2);
        let invoice = json!({
            "CustomerRef": {"value": customer_id},
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": number(&amount.to_string()),
                      "SalesItemLineDetail": {"ItemRef": {"value": item_id},
                          "Qty": number(qty), "UnitPrice": number(price)}}]
        });
        let Some(invoice_id) = write(company, EntityKind::Invoice, invoice, now_ms) else {
            continue;
        };
        let paid = match payment {
            Some("full") => amount.to_string(),
            Some(part) => part.to_owned(),
            None => continue,
        };
        let body = json!({
            "CustomerRef": {"value": customer_id}, "TotalAmt": number(&paid),
            "Line": [{"Amount": number(&paid),
                      "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}]
        });
        write(company, EntityKind::Payment, body, now_ms);
    }
}

fn write(company: &mut Company, kind: EntityKind, body: Value, now_ms: i64) -> Option<String> {
    match company.write(kind, WriteOp::Upsert, body, WriteOptions::default(), now_ms) {
        Ok(v) => v["Id"].as_str().map(str::to_owned),
        Err(fault) => {
            tracing::warn!(?kind, code = fault.code(), "demo seed record rejected");
            None
        }
    }
}

fn number(text: &str) -> Value {
    super::fields::money(&Value::String(text.to_owned()))
        .map(super::fields::money_value)
        .unwrap_or(Value::Null)
}
