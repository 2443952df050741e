//! `Payment` (docs/quickbooks.md §4.5): money received, applied to invoices through `Line[].LinkedTxn`;
//! voided with `?operation=update&include=void` (sparse), deleted with `?operation=delete` (§5.5).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::serde::arbitrary_precision_option as decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::field_types::{Line, MetaData, Ref};
use super::impl_entity;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Payment {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<MetaData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub txn_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none", with = "decimal")]
    pub total_amt: Option<Decimal>,
    /// Read-only.
    #[serde(skip_serializing_if = "Option::is_none", with = "decimal")]
    pub unapplied_amt: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_ref: Option<Ref>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method_ref: Option<Ref>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_ref_num: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deposit_to_account_ref: Option<Ref>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_ref: Option<Ref>,
    /// The application breakdown; all lines or none on update (§4.5).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub line: Vec<Line>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl_entity!(Payment, "Payment", "payment");

impl Payment {
    /// `(invoice id, amount applied)` for each line linked to an invoice.
    pub fn applied_invoices(&self) -> impl Iterator<Item = (&str, Option<Decimal>)> {
        self.line.iter().flat_map(|line| {
            line.linked_txn
                .iter()
                .filter(|l| l.txn_type == "Invoice")
                .map(move |l| (l.txn_id.as_str(), line.amount))
        })
    }
}
