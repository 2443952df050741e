//! The HubSpot line items planned from a QBO invoice's sales lines: one new line item per line
//! (a line item has one parent), pointing at the linked product through `hs_product_id`.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use super::amounts::is_shipping;
use crate::hubspot::PropertyWrites;
use crate::hubspot::values::format_decimal;
use crate::quickbooks::entities::Invoice;

/// The QBO item ids the invoice's sales lines use (to look up their linked products); the
/// shipping line's pseudo item has no product.
pub fn item_ids(invoice: &Invoice) -> Vec<String> {
    let mut ids: Vec<String> = invoice
        .line
        .iter()
        .filter(|l| !is_shipping(l))
        .filter_map(|l| l.sales_item_line_detail.as_ref()?.item_ref.as_ref())
        .map(|r| r.value.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// One line item per sales line, shipping included (subtotal, discount and description-only
/// lines are skipped: the discount and tax are invoice amounts, `amounts`).
/// `products` maps QBO item id -> HubSpot product id for the linked items.
pub fn plan_line_items(
    invoice: &Invoice,
    products: &BTreeMap<String, String>,
) -> Vec<PropertyWrites> {
    invoice
        .line
        .iter()
        .filter(|l| !l.is_subtotal())
        .filter_map(|line| {
            let detail = line.sales_item_line_detail.as_ref()?;
            let item = detail.item_ref.as_ref();
            let amount = line.amount.unwrap_or_default();
            let qty = detail.qty.unwrap_or(Decimal::ONE);
            let price = detail.unit_price.unwrap_or_else(|| {
                if qty.is_zero() {
                    amount
                } else {
                    (amount / qty).round_dp(2)
                }
            });
            let name = item
                .and_then(|r| r.name.clone())
                .or_else(|| line.description.clone())
                .unwrap_or_else(|| "QuickBooks item".to_owned());
            let mut w = PropertyWrites::new();
            w.insert("name".into(), name);
            w.insert("quantity".into(), format_decimal(qty));
            w.insert("price".into(), format_decimal(price));
            if let Some(d) = &line.description {
                w.insert("description".into(), d.clone());
            }
            if let Some(product) = item.and_then(|r| products.get(&r.value)) {
                w.insert("hs_product_id".into(), product.clone());
            }
            Some(w)
        })
        .collect()
}

/// A digest of the invoice's lines as QBO has them, without the products they are linked to
/// (`qbo_lines_source`): while it holds, a re-mirror needs no product read (docs/hubspot.md
/// §9.5). A product linked later shows in the line items at the next change of the lines.
pub fn source_signature(invoice: &Invoice) -> String {
    lines_signature(&plan_line_items(invoice, &BTreeMap::new()))
}

/// A digest of planned line items; equal digests mean nothing to replace.
pub fn lines_signature(lines: &[PropertyWrites]) -> String {
    let mut hash = Sha256::new();
    for line in lines {
        for (k, v) in line {
            hash.update(k.as_bytes());
            hash.update([0x1f]);
            hash.update(v.as_bytes());
            hash.update([0x1e]);
        }
        hash.update([0x1d]);
    }
    hex::encode(&hash.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quickbooks::entities::{Line, Ref, SalesItemLineDetail};

    fn line(item: &str, name: &str, qty: &str, price: &str, amount: &str) -> Line {
        Line {
            amount: Some(amount.parse().unwrap()),
            detail_type: Some("SalesItemLineDetail".into()),
            sales_item_line_detail: Some(SalesItemLineDetail {
                item_ref: Some(Ref {
                    value: item.into(),
                    name: Some(name.into()),
                }),
                qty: Some(qty.parse().unwrap()),
                unit_price: Some(price.parse().unwrap()),
                ..Default::default()
            }),
            ..Line::default()
        }
    }

    #[test]
    fn each_sales_line_becomes_a_line_item_linked_where_the_item_is() {
        let subtotal = Line {
            amount: Some("450".parse().unwrap()),
            detail_type: Some("SubTotalLineDetail".into()),
            ..Line::default()
        };
        let invoice = Invoice {
            line: vec![
                line("5", "Consulting", "2", "150", "300"),
                line("9", "Widget", "3", "50", "150"),
                subtotal,
            ],
            ..Invoice::default()
        };
        let products = BTreeMap::from([("5".to_owned(), "901".to_owned())]);
        let planned = plan_line_items(&invoice, &products);
        assert_eq!(planned.len(), 2);
        assert_eq!(planned[0]["name"], "Consulting");
        assert_eq!(planned[0]["quantity"], "2");
        assert_eq!(planned[0]["price"], "150");
        assert_eq!(planned[0]["hs_product_id"], "901");
        assert!(!planned[1].contains_key("hs_product_id"));
        assert_eq!(item_ids(&invoice), ["5", "9"]);
        let again = plan_line_items(&invoice, &products);
        assert_eq!(lines_signature(&planned), lines_signature(&again));
        let unlinked = plan_line_items(&invoice, &BTreeMap::new());
        assert_ne!(lines_signature(&planned), lines_signature(&unlinked));
    }
}
