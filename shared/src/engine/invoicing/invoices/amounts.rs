//! The amounts of a QBO invoice as HubSpot shows them (subtotal, discount, shipping, tax, total,
//! balance), read from its lines and `TxnTaxDetail` exactly as QBO computed them (to the cent).

use rust_decimal::Decimal;
use serde_json::Value;

use crate::quickbooks::entities::{Invoice, Line};

/// The `ItemRef` of QBO's shipping line (docs/quickbooks.md §17.1): kept out of the subtotal.
pub const SHIPPING_ITEM_ID: &str = "SHIPPING_ITEM_ID";

/// One invoice's amounts, in the invoice's currency. QBO computed every one of them; nothing
/// here is recomputed from rates, so the mirror shows QBO's figures to the cent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InvoiceAmounts {
    /// Sum of the sales lines, shipping excluded (QBO's `SubTotalLineDetail`, §17.1).
    pub subtotal: Decimal,
    /// Sum of the `DiscountLineDetail` lines (§17.2).
    pub discount: Decimal,
    /// Sum of the shipping lines (§17.1).
    pub shipping: Decimal,
    /// `TxnTaxDetail.TotalTax` (§17.3).
    pub tax: Decimal,
    /// `TotalAmt` (§17.5).
    pub total: Decimal,
    /// `Balance`: what is still owed (0 once voided).
    pub balance: Decimal,
    /// `GlobalTaxCalculation` is `TaxInclusive`: the line amounts already hold the tax (§17.4).
    pub tax_inclusive: bool,
}

impl InvoiceAmounts {
    /// The amounts of `invoice` as QBO returned it.
    pub fn of(invoice: &Invoice) -> Self {
        let mut amounts = InvoiceAmounts::default();
        for line in &invoice.line {
            let amount = line.amount.unwrap_or_default();
            if is_shipping(line) {
                amounts.shipping += amount;
            } else if line.sales_item_line_detail.is_some() && !line.is_subtotal() {
                amounts.subtotal += amount;
            } else if line.detail_type.as_deref() == Some("DiscountLineDetail") {
                amounts.discount += amount;
            }
        }
        amounts.tax = invoice
            .extra
            .get("TxnTaxDetail")
            .and_then(|d| d.get("TotalTax"))
            .and_then(decimal)
            .unwrap_or_default();
        amounts.tax_inclusive = invoice
            .extra
            .get("GlobalTaxCalculation")
            .and_then(Value::as_str)
            == Some("TaxInclusive");
        amounts.total = invoice.total_amt.unwrap_or_default();
        amounts.balance = invoice.balance.unwrap_or(amounts.total);
        amounts
    }

    /// The total the parts add up to: subtotal − discount + shipping + tax (the tax is inside
    /// the line amounts when inclusive), per docs/quickbooks.md §17.5. Equal to `total` for
    /// every invoice QBO computed; the mirror's tests hold it to that.
    pub fn parts_total(&self) -> Decimal {
        let tax = if self.tax_inclusive {
            Decimal::ZERO
        } else {
            self.tax
        };
        self.subtotal - self.discount + self.shipping + tax
    }
}

/// Whether `line` is QBO's shipping line (a sales line on `SHIPPING_ITEM_ID`).
pub fn is_shipping(line: &Line) -> bool {
    line.sales_item_line_detail
        .as_ref()
        .and_then(|d| d.item_ref.as_ref())
        .is_some_and(|r| r.value == SHIPPING_ITEM_ID)
}

/// A JSON number or numeric string as a decimal (QBO sends amounts as numbers).
fn decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(n) => n.to_string().parse().ok(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str, entity: &str) -> Invoice {
        let path = format!(
            "{}/../tests/fixtures/quickbooks/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let body: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        serde_json::from_value(body.get(entity).cloned().unwrap_or(body)).unwrap()
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn the_documented_invoice_has_its_subtotal_tax_and_total() {
        let a = InvoiceAmounts::of(&fixture("invoice-read-response.json", "Invoice"));
        assert_eq!(a.subtotal, d("335.25"));
        assert_eq!(a.discount, Decimal::ZERO);
        assert_eq!(a.tax, d("26.82"));
        assert_eq!(a.total, d("362.07"));
        assert_eq!(a.balance, d("362.07"));
        assert_eq!(a.parts_total(), a.total);
    }

    #[test]
    fn the_documented_discounted_estimate_has_its_discount() {
        // Same line and totals model as an invoice (docs/quickbooks.md §17.7).
        let a = InvoiceAmounts::of(&fixture("estimate-read-response-discount.json", "Estimate"));
        assert_eq!(a.subtotal, d("35.00"));
        assert_eq!(a.discount, d("3.50"));
        assert_eq!(a.tax, Decimal::ZERO);
        assert_eq!(a.total, d("31.50"));
        assert_eq!(a.parts_total(), a.total);
    }

    #[test]
    fn shipping_stays_out_of_the_subtotal_and_inclusive_tax_is_not_added_twice() {
        let invoice: Invoice = serde_json::from_value(serde_json::json!({
            "Line": [
                {"DetailType": "SalesItemLineDetail", "Amount": 113.0,
                 "SalesItemLineDetail": {"ItemRef": {"value": "5"}}},
                {"DetailType": "SalesItemLineDetail", "Amount": 10.0,
                 "SalesItemLineDetail": {"ItemRef": {"value": "SHIPPING_ITEM_ID"}}},
                {"DetailType": "SubTotalLineDetail", "Amount": 113.0, "SubTotalLineDetail": {}}
            ],
            "GlobalTaxCalculation": "TaxInclusive",
            "TxnTaxDetail": {"TotalTax": 13.0},
            "TotalAmt": 123.0,
            "Balance": 23.0
        }))
        .unwrap();
        let a = InvoiceAmounts::of(&invoice);
        assert_eq!(
            (a.subtotal, a.shipping, a.tax),
            (d("113"), d("10"), d("13"))
        );
        assert!(a.tax_inclusive);
        assert_eq!(a.parts_total(), d("123"));
        assert_eq!(a.balance, d("23"));
    }
}
