//! `Item` ("Products & Services", docs/quickbooks.md §4.2): a name-list entity with a unique
//! `Name` (≤ 100), optional `Sku`, and the income account a Service/NonInventory item needs.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::serde::arbitrary_precision_option as decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::field_types::{MetaData, Ref};
use super::impl_entity;

/// Longest item `Name` (§4.2).
pub const MAX_ITEM_NAME_LEN: usize = 100;

/// `Item.Type`; values other than the three we create are kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum ItemType {
    Service,
    NonInventory,
    Inventory,
    Other(String),
}

impl From<String> for ItemType {
    fn from(s: String) -> Self {
        match s.as_str() {
            "Service" => ItemType::Service,
            "NonInventory" => ItemType::NonInventory,
            "Inventory" => ItemType::Inventory,
            _ => ItemType::Other(s),
        }
    }
}

impl From<ItemType> for String {
    fn from(t: ItemType) -> Self {
        match t {
            ItemType::Service => "Service".into(),
            ItemType::NonInventory => "NonInventory".into(),
            ItemType::Inventory => "Inventory".into(),
            ItemType::Other(s) => s,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Item {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<MetaData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    pub item_type: Option<ItemType>,
    /// Sales description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purchase_desc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", with = "decimal")]
    pub unit_price: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none", with = "decimal")]
    pub purchase_cost: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taxable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fully_qualified_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub income_account_ref: Option<Ref>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expense_account_ref: Option<Ref>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset_account_ref: Option<Ref>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_qty_on_hand: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", with = "decimal")]
    pub qty_on_hand: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inv_start_date: Option<NaiveDate>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl_entity!(Item, "Item", "item", name_list);
