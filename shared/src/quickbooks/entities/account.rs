//! `Account` (docs/quickbooks.md §4.3): read to find the income account an item needs
//! (`AccountType = 'Income'`); a name-list entity, inactivated not deleted.

use rust_decimal::Decimal;
use rust_decimal::serde::arbitrary_precision_option as decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::field_types::{MetaData, Ref};
use super::impl_entity;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Account {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<MetaData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fully_qualified_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_sub_type: Option<String>,
    /// Read-only: Asset, Liability, Equity, Revenue, Expense.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", with = "decimal")]
    pub current_balance: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acct_num: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_ref: Option<Ref>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl_entity!(Account, "Account", "account", name_list);
