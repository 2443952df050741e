//! Value types shared by several QBO entities: references, metadata, addresses, phone and e-mail
//! wrappers, lines and linked transactions (docs/quickbooks.md §3, §4.4, §4.5).

use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::serde::arbitrary_precision_option as decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `{"value": "<Id>", "name": "<display name>"}`; `name` is informational only (§3).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Ref {
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Ref {
    pub fn to(id: impl Into<String>) -> Self {
        Self {
            value: id.into(),
            name: None,
        }
    }
}

/// `MetaData`: read-only create/update times, in the company's offset (§1, §3).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct MetaData {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_time: Option<DateTime<FixedOffset>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated_time: Option<DateTime<FixedOffset>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"Address": "..."}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct EmailAddress {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl EmailAddress {
    pub fn new(address: impl Into<String>) -> Self {
        Self {
            address: Some(address.into()),
            extra: Map::new(),
        }
    }
}

/// `{"FreeFormNumber": "..."}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct TelephoneNumber {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_form_number: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"URI": "..."}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WebSiteAddress {
    #[serde(rename = "URI", skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `PhysicalAddress` (`BillAddr`, `ShipAddr`...). `Lat`/`Long` stay in `extra` (§4.1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct PhysicalAddress {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line3: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line4: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line5: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_sub_division_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"TxnId","TxnType"[,"TxnLineId"]}` (§4.4, §4.5).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct LinkedTxn {
    pub txn_id: String,
    pub txn_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub txn_line_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One transaction line (invoice sales lines, payment application lines). `LineNum` and other
/// detail types stay in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Line {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", with = "decimal")]
    pub amount: Option<Decimal>,
    /// `SalesItemLineDetail`, `SubTotalLineDetail`, `DiscountLineDetail`, `DescriptionOnly`...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sales_item_line_detail: Option<SalesItemLineDetail>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub linked_txn: Vec<LinkedTxn>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Line {
    /// Whether QBO appended this line itself (the subtotal; never send it back, §5.2).
    pub fn is_subtotal(&self) -> bool {
        self.detail_type.as_deref() == Some("SubTotalLineDetail")
    }
}

/// `SalesItemLineDetail` of an invoice line (§4.4).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct SalesItemLineDetail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_ref: Option<Ref>,
    #[serde(skip_serializing_if = "Option::is_none", with = "decimal")]
    pub qty: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none", with = "decimal")]
    pub unit_price: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_code_ref: Option<Ref>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_date: Option<NaiveDate>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
