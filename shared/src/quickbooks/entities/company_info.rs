//! `CompanyInfo` (docs/quickbooks.md §4.6): company name, country and `NameValue` feature flags,
//! read with `GET /companyinfo/{realmId}`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::field_types::{MetaData, PhysicalAddress};
use super::impl_entity;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct CompanyInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<MetaData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_addr: Option<PhysicalAddress>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub name_value: Vec<NameValue>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl_entity!(CompanyInfo, "CompanyInfo", "companyinfo");

impl CompanyInfo {
    /// A `NameValue` flag such as `ItemCategoriesFeature`.
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.name_value
            .iter()
            .find(|nv| nv.name == name)
            .map(|nv| nv.value.as_str())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct NameValue {
    pub name: String,
    pub value: String,
}
