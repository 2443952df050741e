//! The five "latest QuickBooks invoice" deal properties in the "QuickBooks" group (
//! docs/hubspot.md §4): their definitions and their values for one invoice.

use chrono::NaiveDate;

use super::stage::{InvoiceStage, invoice_stage};
use crate::hubspot::values::{format_date, format_decimal};
use crate::hubspot::{PropertyDefinition, PropertyGroup, PropertyWrites};
use crate::quickbooks::entities::Invoice;

pub const DEAL_GROUP_NAME: &str = "quickbooks";
pub const AMOUNT_DUE: &str = "qbo_latest_invoice_amount_due";
pub const RECIPIENT: &str = "qbo_latest_invoice_recipient";
pub const NUMBER: &str = "qbo_latest_invoice_number";
pub const STATUS: &str = "qbo_latest_invoice_status";
pub const DUE_DATE: &str = "qbo_latest_invoice_due_date";

/// The deal property group (docs/hubspot.md §4: `{"name":"quickbooks","label":"QuickBooks"}`).
pub fn deal_group() -> PropertyGroup {
    PropertyGroup {
        name: DEAL_GROUP_NAME.into(),
        label: "QuickBooks".into(),
        display_order: -1,
    }
}

/// The five definitions, as suggested in docs/hubspot.md §4.
pub fn deal_property_definitions() -> Vec<PropertyDefinition> {
    vec![
        PropertyDefinition::currency(
            AMOUNT_DUE,
            "Latest QuickBooks invoice amount due",
            DEAL_GROUP_NAME,
        ),
        PropertyDefinition::text(
            RECIPIENT,
            "Latest QuickBooks invoice recipient",
            DEAL_GROUP_NAME,
        ),
        PropertyDefinition::text(NUMBER, "Latest QuickBooks invoice number", DEAL_GROUP_NAME),
        PropertyDefinition::select(
            STATUS,
            "Latest QuickBooks invoice status",
            DEAL_GROUP_NAME,
            InvoiceStage::ALL.iter().map(|s| (s.label(), s.value())),
        ),
        PropertyDefinition {
            kind: "date".into(),
            field_type: "date".into(),
            ..PropertyDefinition::text(
                DUE_DATE,
                "Latest QuickBooks invoice due date",
                DEAL_GROUP_NAME,
            )
        },
    ]
}

/// The recipient shown on the deal: the bill-to e-mail, else the customer's name.
pub fn invoice_recipient(invoice: &Invoice) -> String {
    invoice
        .bill_email
        .as_ref()
        .and_then(|e| e.address.clone())
        .or_else(|| invoice.customer_ref.as_ref().and_then(|r| r.name.clone()))
        .unwrap_or_default()
}

/// The five values for `invoice` on `today`. A voided invoice has nothing due.
pub fn latest_invoice_deal_properties(invoice: &Invoice, today: NaiveDate) -> PropertyWrites {
    let stage = invoice_stage(invoice, today);
    let due = if stage == InvoiceStage::Voided {
        rust_decimal::Decimal::ZERO
    } else {
        invoice.balance.unwrap_or_default()
    };
    let mut writes = PropertyWrites::new();
    writes.insert(AMOUNT_DUE.into(), format_decimal(due));
    writes.insert(RECIPIENT.into(), invoice_recipient(invoice));
    writes.insert(
        NUMBER.into(),
        invoice
            .doc_number
            .clone()
            .or_else(|| invoice.id.clone())
            .unwrap_or_default(),
    );
    writes.insert(STATUS.into(), stage.value().into());
    writes.insert(
        DUE_DATE.into(),
        invoice.due_date.map(format_date).unwrap_or_default(),
    );
    writes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quickbooks::entities::{EmailAddress, Ref};

    #[test]
    fn the_five_values_follow_the_invoice() {
        let invoice = Invoice {
            id: Some("42".into()),
            doc_number: Some("1045".into()),
            total_amt: Some("300".parse().unwrap()),
            balance: Some("120.50".parse().unwrap()),
            due_date: Some("2026-06-01".parse().unwrap()),
            bill_email: Some(EmailAddress::new("ada@example.com")),
            customer_ref: Some(Ref::to("7")),
            ..Invoice::default()
        };
        let today = "2026-05-01".parse().unwrap();
        let w = latest_invoice_deal_properties(&invoice, today);
        assert_eq!(w[AMOUNT_DUE], "120.50");
        assert_eq!(w[RECIPIENT], "ada@example.com");
        assert_eq!(w[NUMBER], "1045");
        assert_eq!(w[STATUS], "partially_paid");
        assert_eq!(w[DUE_DATE], format_date("2026-06-01".parse().unwrap()));
        let late = latest_invoice_deal_properties(&invoice, "2026-06-02".parse().unwrap());
        assert_eq!(late[STATUS], "overdue");
    }

    #[test]
    fn definitions_are_in_the_quickbooks_group_with_six_status_options() {
        let defs = deal_property_definitions();
        assert_eq!(defs.len(), 5);
        assert!(defs.iter().all(|d| d.group_name == DEAL_GROUP_NAME));
        let status = defs.iter().find(|d| d.name == STATUS).unwrap();
        assert_eq!(status.options.len(), 6);
        assert_eq!(status.kind, "enumeration");
    }
}
