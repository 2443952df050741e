//! `TaxCode` (docs/quickbooks.md §4.6, §13): read/query only; US pseudo codes `TAX`/`NON`,
//! real codes for non-US lines. Not in CDC: cache and refresh.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::field_types::MetaData;
use super::impl_entity;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct TaxCode {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<MetaData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taxable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_group: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl_entity!(TaxCode, "TaxCode", "taxcode");
