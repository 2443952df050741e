//! `Customer` (docs/quickbooks.md §4.1): a name-list entity, matched by e-mail or DisplayName,
//! made inactive rather than deleted. `DisplayName` is unique across customers, vendors, employees.

use rust_decimal::Decimal;
use rust_decimal::serde::arbitrary_precision_option as decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::field_types::{
    EmailAddress, MetaData, PhysicalAddress, Ref, TelephoneNumber, WebSiteAddress,
};
use super::impl_entity;

/// Characters QBO forbids in `DisplayName` and the name parts (§4.1).
pub const FORBIDDEN_NAME_CHARS: [char; 3] = [':', '\t', '\n'];
/// Longest `DisplayName` (§4.1).
pub const MAX_DISPLAY_NAME_LEN: usize = 500;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Customer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<MetaData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suffix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub print_on_check_name: Option<String>,
    /// Read-only `Parent:Child` form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fully_qualified_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_email_addr: Option<EmailAddress>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_phone: Option<TelephoneNumber>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile: Option<TelephoneNumber>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternate_phone: Option<TelephoneNumber>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fax: Option<TelephoneNumber>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_addr: Option<PhysicalAddress>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ship_addr: Option<PhysicalAddress>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_addr: Option<WebSiteAddress>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taxable: Option<bool>,
    /// Open A/R; writable on create only (opening balance).
    #[serde(skip_serializing_if = "Option::is_none", with = "decimal")]
    pub balance: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none", with = "decimal")]
    pub balance_with_jobs: Option<Decimal>,
    /// Fixed at creation (§4.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_ref: Option<Ref>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_ref: Option<Ref>,
    /// Every member not typed above (`domain`, `sparse`, `PreferredDeliveryMethod`...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl_entity!(Customer, "Customer", "customer", name_list);

impl Customer {
    /// The primary e-mail address, if any.
    pub fn email(&self) -> Option<&str> {
        self.primary_email_addr
            .as_ref()
            .and_then(|e| e.address.as_deref())
    }
}
