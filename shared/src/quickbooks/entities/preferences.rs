//! `Preferences` (docs/quickbooks.md §4.6, §12, §13): one per company; the settings that change
//! how we create invoices (custom transaction numbers, multi-currency, sales tax).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::field_types::{MetaData, Ref};
use super::impl_entity;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Preferences {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<MetaData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sales_forms_prefs: Option<SalesFormsPrefs>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_prefs: Option<CurrencyPrefs>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_prefs: Option<TaxPrefs>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl_entity!(Preferences, "Preferences", "preferences");

impl Preferences {
    /// `SalesFormsPrefs.CustomTxnNumbers`: with it on, invoices created without a DocNumber
    /// get none (§12). Absent means off.
    pub fn custom_txn_numbers(&self) -> bool {
        self.sales_forms_prefs
            .as_ref()
            .and_then(|p| p.custom_txn_numbers)
            .unwrap_or(false)
    }

    pub fn multi_currency_enabled(&self) -> bool {
        self.currency_prefs
            .as_ref()
            .and_then(|p| p.multi_currency_enabled)
            .unwrap_or(false)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct SalesFormsPrefs {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_txn_numbers: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_shipping: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct CurrencyPrefs {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_currency_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_currency: Option<Ref>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct TaxPrefs {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub using_sales_tax: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_tax_enabled: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
