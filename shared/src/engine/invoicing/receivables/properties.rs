//! The receivables properties (docs/hubspot.md §4.1): their definitions in the "QuickBooks
//! receivables" group (number, currency and date types, so lists, workflows and reports can
//! filter on them), their values for one `Receivables`, and the subset that changed.

use std::collections::BTreeMap;

use crate::hubspot::values::{CLEAR, format_date, format_decimal, parse_date, parse_decimal};
use crate::hubspot::{PropertyDefinition, PropertyGroup, PropertyWrites};

use super::aging::Receivables;

pub const RECEIVABLES_GROUP: &str = "quickbooks_receivables";
pub const OPEN_BALANCE: &str = "qbo_ar_open_balance";
pub const OVERDUE: &str = "qbo_ar_overdue_amount";
pub const CURRENT: &str = "qbo_ar_current";
pub const DAYS_1_30: &str = "qbo_ar_1_30_days";
pub const DAYS_31_60: &str = "qbo_ar_31_60_days";
pub const DAYS_61_90: &str = "qbo_ar_61_90_days";
pub const OVER_90: &str = "qbo_ar_over_90_days";
pub const OPEN_INVOICES: &str = "qbo_ar_open_invoices";
pub const CURRENCY: &str = "qbo_ar_currency";
pub const LAST_PAYMENT_DATE: &str = "qbo_ar_last_payment_date";
pub const LAST_PAYMENT_AMOUNT: &str = "qbo_ar_last_payment_amount";

/// The property group, the same on contacts, companies and deals.
pub fn receivables_group() -> PropertyGroup {
    PropertyGroup {
        name: RECEIVABLES_GROUP.into(),
        label: "QuickBooks receivables".into(),
        display_order: -1,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Type {
    Money,
    Count,
    Date,
    Text,
}

/// Every property: name, label, type, and whether a deal has it (a deal shows its own
/// invoices' receivables; the last payment belongs to the customer).
const PROPERTIES: [(&str, &str, Type, bool); 11] = [
    (OPEN_BALANCE, "QuickBooks open balance", Type::Money, true),
    (OVERDUE, "QuickBooks overdue amount", Type::Money, true),
    (
        CURRENT,
        "QuickBooks A/R current (not yet due)",
        Type::Money,
        true,
    ),
    (
        DAYS_1_30,
        "QuickBooks A/R 1-30 days past due",
        Type::Money,
        true,
    ),
    (
        DAYS_31_60,
        "QuickBooks A/R 31-60 days past due",
        Type::Money,
        true,
    ),
    (
        DAYS_61_90,
        "QuickBooks A/R 61-90 days past due",
        Type::Money,
        true,
    ),
    (
        OVER_90,
        "QuickBooks A/R over 90 days past due",
        Type::Money,
        true,
    ),
    (OPEN_INVOICES, "QuickBooks open invoices", Type::Count, true),
    (
        CURRENCY,
        "QuickBooks receivables currency",
        Type::Text,
        true,
    ),
    (
        LAST_PAYMENT_DATE,
        "QuickBooks last payment date",
        Type::Date,
        false,
    ),
    (
        LAST_PAYMENT_AMOUNT,
        "QuickBooks last payment amount",
        Type::Money,
        false,
    ),
];

fn definition(name: &str, label: &str, kind: Type) -> PropertyDefinition {
    let base = PropertyDefinition::text(name, label, RECEIVABLES_GROUP);
    match kind {
        Type::Money => PropertyDefinition {
            kind: "number".into(),
            field_type: "number".into(),
            number_display_hint: Some("currency".into()),
            ..base
        },
        Type::Count => PropertyDefinition {
            kind: "number".into(),
            field_type: "number".into(),
            ..base
        },
        Type::Date => PropertyDefinition {
            kind: "date".into(),
            field_type: "date".into(),
            ..base
        },
        Type::Text => base,
    }
}

/// The definitions on the HubSpot record linked to a QBO customer (contact or company).
pub fn customer_receivables_definitions() -> Vec<PropertyDefinition> {
    PROPERTIES
        .iter()
        .map(|(name, label, kind, _)| definition(name, label, *kind))
        .collect()
}

/// The definitions on a deal: its own invoices' subset.
pub fn deal_receivables_definitions() -> Vec<PropertyDefinition> {
    PROPERTIES
        .iter()
        .filter(|(_, _, _, on_deal)| *on_deal)
        .map(|(name, label, kind, _)| definition(name, label, *kind))
        .collect()
}

/// The names to read before writing (every property of the customer's record).
pub fn receivables_property_names() -> Vec<String> {
    PROPERTIES.iter().map(|p| p.0.to_owned()).collect()
}

/// Every value for `r` (a customer without payments clears the last-payment pair).
pub fn receivables_properties(r: &Receivables) -> PropertyWrites {
    let mut w = PropertyWrites::new();
    let money = |w: &mut PropertyWrites, name: &str, v| {
        w.insert(name.to_owned(), format_decimal(v));
    };
    money(&mut w, OPEN_BALANCE, r.balance);
    money(&mut w, OVERDUE, r.overdue);
    money(&mut w, CURRENT, r.aging.current);
    money(&mut w, DAYS_1_30, r.aging.days_1_30);
    money(&mut w, DAYS_31_60, r.aging.days_31_60);
    money(&mut w, DAYS_61_90, r.aging.days_61_90);
    money(&mut w, OVER_90, r.aging.over_90);
    w.insert(OPEN_INVOICES.into(), r.open_invoices.to_string());
    w.insert(CURRENCY.into(), r.currency.clone());
    match &r.last_payment {
        Some(p) => {
            w.insert(LAST_PAYMENT_DATE.into(), format_date(p.date));
            money(&mut w, LAST_PAYMENT_AMOUNT, p.amount);
        }
        None => {
            w.insert(LAST_PAYMENT_DATE.into(), CLEAR.into());
            w.insert(LAST_PAYMENT_AMOUNT.into(), CLEAR.into());
        }
    }
    w
}

/// The deal's subset of `r`.
pub fn deal_receivables_properties(r: &Receivables) -> PropertyWrites {
    let mut w = receivables_properties(r);
    w.remove(LAST_PAYMENT_DATE);
    w.remove(LAST_PAYMENT_AMOUNT);
    w
}

fn kind_of(name: &str) -> Type {
    PROPERTIES
        .iter()
        .find(|p| p.0 == name)
        .map_or(Type::Text, |p| p.2)
}

/// Whether HubSpot's stored `have` already means `want` (HubSpot may echo `125.1` for
/// `125.10`, and a date as `YYYY-MM-DD` or epoch ms, docs/hubspot.md §2.1).
fn same_value(name: &str, have: Option<&str>, want: &str) -> bool {
    let have = have.unwrap_or_default().trim();
    if have.is_empty() || want.is_empty() {
        return have.is_empty() && want.is_empty();
    }
    match kind_of(name) {
        Type::Money | Type::Count => {
            matches!((parse_decimal(have), parse_decimal(want)), (Ok(a), Ok(b)) if a == b)
        }
        Type::Date => matches!((parse_date(have), parse_date(want)), (Ok(a), Ok(b)) if a == b),
        Type::Text => have == want,
    }
}

/// The part of `wanted` that differs from the record's `current` properties: only these are
/// written, so an unchanged customer costs no write.
pub fn changed_properties(
    current: &BTreeMap<String, String>,
    wanted: &PropertyWrites,
) -> PropertyWrites {
    wanted
        .iter()
        .filter(|(name, want)| !same_value(name, current.get(*name).map(String::as_str), want))
        .map(|(name, want)| (name.clone(), want.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::invoicing::receivables::{LastPayment, OpenInvoice, receivables};

    fn sample() -> Receivables {
        let open = [OpenInvoice {
            balance: "125.10".parse().unwrap(),
            due_date: Some("2026-05-01".parse().unwrap()),
            txn_date: None,
        }];
        let paid = LastPayment {
            date: "2026-04-20".parse().unwrap(),
            amount: "50".parse().unwrap(),
        };
        receivables(&open, Some(paid), "CAD", "2026-06-15".parse().unwrap())
    }

    #[test]
    fn definitions_are_typed_for_lists_and_reports_and_grouped() {
        let defs = customer_receivables_definitions();
        assert_eq!(defs.len(), 11);
        assert!(defs.iter().all(|d| d.group_name == RECEIVABLES_GROUP));
        let by = |n: &str| defs.iter().find(|d| d.name == n).unwrap();
        assert_eq!(by(OPEN_BALANCE).kind, "number");
        assert_eq!(
            by(OPEN_BALANCE).number_display_hint.as_deref(),
            Some("currency")
        );
        assert_eq!(by(OPEN_INVOICES).number_display_hint, None);
        assert_eq!(by(LAST_PAYMENT_DATE).kind, "date");
        assert_eq!(by(CURRENCY).kind, "string");
        let deal: Vec<String> = deal_receivables_definitions()
            .into_iter()
            .map(|d| d.name)
            .collect();
        assert_eq!(deal.len(), 9);
        assert!(!deal.iter().any(|n| n.contains("last_payment")));
    }

    #[test]
    fn values_follow_the_receivables_and_the_deal_has_no_last_payment() {
        let w = receivables_properties(&sample());
        assert_eq!(w[OPEN_BALANCE], "125.10");
        assert_eq!(w[OVERDUE], "125.10");
        assert_eq!(w[DAYS_31_60], "125.10");
        assert_eq!(w[CURRENT], "0");
        assert_eq!(w[OPEN_INVOICES], "1");
        assert_eq!(w[CURRENCY], "CAD");
        assert_eq!(
            w[LAST_PAYMENT_DATE],
            format_date("2026-04-20".parse().unwrap())
        );
        assert_eq!(w[LAST_PAYMENT_AMOUNT], "50");
        let d = deal_receivables_properties(&sample());
        assert!(!d.contains_key(LAST_PAYMENT_DATE));
        assert_eq!(d[OPEN_BALANCE], "125.10");
    }

    #[test]
    fn only_changed_values_are_written_whatever_form_hubspot_echoes() {
        let wanted = receivables_properties(&sample());
        let mut current: BTreeMap<String, String> = wanted.clone();
        current.insert(OPEN_BALANCE.into(), "125.1".into());
        current.insert(LAST_PAYMENT_DATE.into(), "2026-04-20".into());
        assert!(changed_properties(&current, &wanted).is_empty());
        current.insert(DAYS_31_60.into(), "0".into());
        current.remove(CURRENCY);
        let changed = changed_properties(&current, &wanted);
        assert_eq!(
            changed.keys().map(String::as_str).collect::<Vec<_>>(),
            [DAYS_31_60, CURRENCY]
        );
        // Clearing an empty value is no change; clearing a set one is.
        let mut none = sample();
        none.last_payment = None;
        let wanted = receivables_properties(&none);
        let mut blank = current.clone();
        blank.remove(LAST_PAYMENT_DATE);
        blank.remove(LAST_PAYMENT_AMOUNT);
        assert!(!changed_properties(&blank, &wanted).contains_key(LAST_PAYMENT_DATE));
        assert_eq!(
            changed_properties(&current, &wanted)[LAST_PAYMENT_AMOUNT],
            ""
        );
    }
}
