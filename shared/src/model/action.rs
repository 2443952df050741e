//! A workflow execution of "Create QuickBooks invoice / estimate / sales receipt" as the worker
//! needs it: the document kind, the callback to complete and the input fields (docs/hubspot.md §6.2).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The QBO sales document a workflow action creates (docs/quickbooks.md §17.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    #[default]
    Invoice,
    Estimate,
    SalesReceipt,
}

impl DocKind {
    pub const ALL: [DocKind; 3] = [DocKind::Invoice, DocKind::Estimate, DocKind::SalesReceipt];

    /// The QBO entity name (`Invoice`, `Estimate`, `SalesReceipt`).
    pub fn qbo_entity(self) -> &'static str {
        match self {
            DocKind::Invoice => "Invoice",
            DocKind::Estimate => "Estimate",
            DocKind::SalesReceipt => "SalesReceipt",
        }
    }

    /// The wire name: the action URL's `document` parameter and the output fields' infix.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Invoice => "invoice",
            DocKind::Estimate => "estimate",
            DocKind::SalesReceipt => "sales_receipt",
        }
    }

    /// The user's word for it ("invoice", "estimate", "sales receipt").
    pub fn label(self) -> &'static str {
        match self {
            DocKind::Invoice => "invoice",
            DocKind::Estimate => "estimate",
            DocKind::SalesReceipt => "sales receipt",
        }
    }

    pub fn parse(text: &str) -> Option<DocKind> {
        DocKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// Invoices are due (`DueDate`, `SalesTermRef`), estimates expire (`ExpirationDate`), a
    /// sales receipt is paid when made and has neither (docs/quickbooks.md §17.5).
    pub fn has_due_date(self) -> bool {
        self != DocKind::SalesReceipt
    }
}

impl std::fmt::Display for DocKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// The action's input fields (docs/hubspot.md §6.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ActionInputs {
    pub due_in_days: Option<u32>,
    /// A fixed due date (estimates: the expiration date); wins over `due_in_days`.
    pub due_date: Option<NaiveDate>,
    /// A QBO Term id (`SalesTermRef`); QBO derives the due date from it when none is given.
    pub terms: Option<String>,
    /// A QBO TaxCode id for every line, over the items' own codes and the connection default.
    pub tax_code: Option<String>,
    /// A discount on the whole document, in percent (10 = 10 %), besides the line items' own.
    pub discount_percent: Option<Decimal>,
    pub memo: Option<String>,
    pub send_email: bool,
}

/// One workflow execution: `callback_id` is unique per execution and reused by HubSpot's
/// retries, so it is the idempotency key of everything the execution creates (§6.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionExecution {
    pub callback_id: String,
    /// Absent in jobs queued before estimates and sales receipts existed: an invoice.
    #[serde(default)]
    pub doc_kind: DocKind,
    pub inputs: ActionInputs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_kinds_parse_their_wire_names_and_old_jobs_are_invoices() {
        for kind in DocKind::ALL {
            assert_eq!(DocKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(DocKind::parse("Sales_Receipt"), Some(DocKind::SalesReceipt));
        assert_eq!(DocKind::parse("quote"), None);
        let old: ActionExecution = serde_json::from_str(
            r#"{"callback_id":"c","inputs":{"due_in_days":3,"memo":null,"send_email":false}}"#,
        )
        .unwrap();
        assert_eq!(old.doc_kind, DocKind::Invoice);
        assert_eq!(old.inputs.due_in_days, Some(3));
    }
}
