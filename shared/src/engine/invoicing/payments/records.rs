//! The HubSpot payment record (`commerce_payments`, docs/hubspot.md §2.9) of one QBO payment
//! applied to one invoice: its properties, and the method mapping from QBO's method names.

use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;

use crate::hubspot::PropertyWrites;
use crate::hubspot::values::{format_decimal, format_epoch_ms};

/// §2.9 `hs_processor_type` value for payments taken in QuickBooks.
pub const PROCESSOR_QUICKBOOKS: &str = "quickbooks";
/// §2.9 `hs_latest_status`: QBO records money already received.
pub const STATUS_SUCCEEDED: &str = "succeeded";

/// What one payment record says.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentRecordFacts {
    /// Amount applied to this invoice.
    pub amount: Decimal,
    pub currency: String,
    /// The QBO payment's `TxnDate`.
    pub date: NaiveDate,
    /// The QBO payment method's name (`PaymentMethodRef.name`).
    pub method: Option<String>,
    /// `PaymentRefNum`.
    pub reference: Option<String>,
    pub customer_email: Option<String>,
}

/// §2.9 `hs_payment_method_type` for a QBO payment method name: only the obvious ones
/// (cash, check, card brands, ACH, wire); everything else, or no method, is `other`.
pub fn payment_method_type(qbo_method_name: Option<&str>) -> &'static str {
    let Some(name) = qbo_method_name else {
        return "other";
    };
    let name = name.trim().to_ascii_lowercase();
    let has = |parts: &[&str]| parts.iter().any(|p| name.contains(p));
    // "ach" as a word only ("each", "Bach" are not ACH).
    let is_ach = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w == "ach");
    if name == "cash" {
        "cash"
    } else if has(&["check", "cheque"]) && !has(&["e-check", "echeck"]) {
        "check"
    } else if has(&[
        "card",
        "visa",
        "mastercard",
        "master card",
        "amex",
        "american express",
        "discover",
        "diners",
    ]) {
        "card"
    } else if is_ach || has(&["e-check", "echeck"]) {
        "ach"
    } else if has(&["wire"]) {
        "wire_transfer"
    } else {
        "other"
    }
}

/// The create properties: amount, currency, date (epoch ms at midnight UTC, as invoice dates,
/// §2.8), `succeeded`, processor `quickbooks`, method type, reference and customer e-mail.
pub fn payment_record_properties(facts: &PaymentRecordFacts) -> PropertyWrites {
    let mut w = PropertyWrites::new();
    w.insert("hs_initial_amount".into(), format_decimal(facts.amount));
    w.insert("hs_currency_code".into(), facts.currency.clone());
    let midnight = facts.date.and_hms_opt(0, 0, 0).expect("midnight exists");
    w.insert(
        "hs_initiated_date".into(),
        format_epoch_ms(Utc.from_utc_datetime(&midnight)),
    );
    w.insert("hs_latest_status".into(), STATUS_SUCCEEDED.into());
    w.insert("hs_processor_type".into(), PROCESSOR_QUICKBOOKS.into());
    w.insert(
        "hs_payment_method_type".into(),
        payment_method_type(facts.method.as_deref()).into(),
    );
    if let Some(r) = facts.reference.as_ref().filter(|r| !r.trim().is_empty()) {
        w.insert("hs_reference_number".into(), r.clone());
    }
    if let Some(e) = facts
        .customer_email
        .as_ref()
        .filter(|e| !e.trim().is_empty())
    {
        w.insert("hs_customer_email".into(), e.clone());
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qbo_method_names_map_to_hubspot_method_types() {
        for (name, expected) in [
            (Some("Cash"), "cash"),
            (Some("Check"), "check"),
            (Some("cheque"), "check"),
            (Some("Visa"), "card"),
            (Some("MasterCard"), "card"),
            (Some("American Express"), "card"),
            (Some("Credit Card"), "card"),
            (Some("Discover"), "card"),
            (Some("ACH"), "ach"),
            (Some("E-Check"), "ach"),
            (Some("Wire transfer"), "wire_transfer"),
            (Some("PayPal"), "other"),
            (Some("Paid each month"), "other"),
            (Some("Cash App"), "other"),
            (None, "other"),
        ] {
            assert_eq!(payment_method_type(name), expected, "{name:?}");
        }
    }

    #[test]
    fn properties_carry_the_applied_amount_as_a_succeeded_quickbooks_payment() {
        let facts = PaymentRecordFacts {
            amount: "60.50".parse().unwrap(),
            currency: "EUR".into(),
            date: "2026-05-01".parse().unwrap(),
            method: Some("Visa".into()),
            reference: Some("CHK-1".into()),
            customer_email: Some(String::new()),
        };
        let w = payment_record_properties(&facts);
        assert_eq!(w["hs_initial_amount"], "60.50");
        assert_eq!(w["hs_currency_code"], "EUR");
        assert_eq!(w["hs_initiated_date"], "1777593600000");
        assert_eq!(w["hs_latest_status"], "succeeded");
        assert_eq!(w["hs_processor_type"], "quickbooks");
        assert_eq!(w["hs_payment_method_type"], "card");
        assert_eq!(w["hs_reference_number"], "CHK-1");
        assert!(
            !w.contains_key("hs_customer_email"),
            "blank e-mail left out"
        );
    }
}
