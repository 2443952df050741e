//! Typed QBO entities: the fields HQSync uses are typed, every other member is kept in `extra`
//! so a read-modify-write loses nothing; absent fields stay absent (docs/quickbooks.md §3, §4).

pub mod account;
pub mod company_info;
pub mod credit_forms;
pub mod customer;
pub mod field_types;
pub mod invoice;
pub mod item;
pub mod payment;
pub mod preferences;
pub mod sales_doc;
pub mod tax_code;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use account::Account;
pub use company_info::CompanyInfo;
pub use credit_forms::{CreditMemo, RefundReceipt};
pub use customer::Customer;
pub use field_types::{
    EmailAddress, Line, LinkedTxn, MetaData, PhysicalAddress, Ref, SalesItemLineDetail,
    TelephoneNumber, WebSiteAddress,
};
pub use invoice::Invoice;
pub use item::{Item, ItemType};
pub use payment::Payment;
pub use preferences::Preferences;
pub use sales_doc::{Estimate, SalesReceipt};
pub use tax_code::TaxCode;

/// A QBO entity the client can read, write and query.
pub trait Entity: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Response wrapper key and query entity name (`Customer`).
    const NAME: &'static str;
    /// URL path segment (`customer`, §1).
    const PATH: &'static str;
    /// Whether queries hide inactive records unless asked (name lists, §6).
    const NAME_LIST: bool = false;
    fn id(&self) -> Option<&str>;
    fn sync_token(&self) -> Option<&str>;
}

/// Name-list entities: never deleted, only made inactive (`Active=false`), and hidden from
/// queries unless `Active IN (true,false)` is added (§5.5, §6).
pub trait NameListEntity: Entity {}

/// Name-list entities by QBO name, for code that only has the name (CDC, webhooks): queries
/// hide their inactive records by default (§6).
pub const NAME_LIST_ENTITIES: [&str; 9] = [
    "Customer",
    "Vendor",
    "Employee",
    "Item",
    "Account",
    "Class",
    "Department",
    "Term",
    "PaymentMethod",
];

/// Whether `entity` (a QBO entity name, any case) is a name list.
pub fn is_name_list(entity: &str) -> bool {
    NAME_LIST_ENTITIES
        .iter()
        .any(|n| n.eq_ignore_ascii_case(entity))
}

/// Implements [`Entity`] for a struct with `id` and `sync_token` fields.
macro_rules! impl_entity {
    ($ty:ty, $name:literal, $path:literal) => {
        impl_entity!($ty, $name, $path, false);
    };
    ($ty:ty, $name:literal, $path:literal, name_list) => {
        impl_entity!($ty, $name, $path, true);
        impl $crate::quickbooks::entities::NameListEntity for $ty {}
    };
    ($ty:ty, $name:literal, $path:literal, $name_list:literal) => {
        impl $crate::quickbooks::entities::Entity for $ty {
            const NAME: &'static str = $name;
            const PATH: &'static str = $path;
            const NAME_LIST: bool = $name_list;
            fn id(&self) -> Option<&str> {
                self.id.as_deref()
            }
            fn sync_token(&self) -> Option<&str> {
                self.sync_token.as_deref()
            }
        }
    };
}
pub(crate) use impl_entity;

#[cfg(test)]
mod fixture_tests;
