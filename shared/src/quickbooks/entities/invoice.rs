//! `Invoice` (docs/quickbooks.md §4.4): lines, customer, dates, computed `TotalAmt`/`Balance`,
//! payment links; voided with `?operation=void`, deleted with `?operation=delete` (§5.5).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::serde::arbitrary_precision_option as decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::field_types::{EmailAddress, Line, LinkedTxn, MetaData, Ref};
use super::impl_entity;

/// Longest `DocNumber` (§4.4, §12).
pub const MAX_DOC_NUMBER_LEN: usize = 21;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Invoice {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<MetaData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub txn_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_ref: Option<Ref>,
    /// Replaced as a whole when present in an update (§5.2); omit to keep the lines.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub line: Vec<Line>,
    /// Read-only, computed from the lines.
    #[serde(skip_serializing_if = "Option::is_none", with = "decimal")]
    pub total_amt: Option<Decimal>,
    /// Read-only open amount; `0` = fully paid.
    #[serde(skip_serializing_if = "Option::is_none", with = "decimal")]
    pub balance: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_ref: Option<Ref>,
    #[serde(skip_serializing_if = "Option::is_none", with = "decimal")]
    pub exchange_rate: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_memo: Option<Ref>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_email: Option<EmailAddress>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sales_term_ref: Option<Ref>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_status: Option<String>,
    /// Payment links are read-only and appear here when a payment is applied (§4.4).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub linked_txn: Vec<LinkedTxn>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl_entity!(Invoice, "Invoice", "invoice");

impl Invoice {
    /// Ids of the payments applied to this invoice.
    pub fn payment_ids(&self) -> impl Iterator<Item = &str> {
        self.linked_txn
            .iter()
            .filter(|l| l.txn_type == "Payment")
            .map(|l| l.txn_id.as_str())
    }
}
