//! The QBO field paths a mapping row may read and write, per entity, with their JSON type and
//! length limit (docs/quickbooks.md §4.1 Customer, §4.2 Item). Custom mappings are checked here.

use rust_decimal::Decimal;

use crate::model::{CanonicalValue, ObjectKind, descriptor};

/// The JSON type QBO uses for a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QboFieldType {
    /// JSON string (names, addresses, reference ids, enumerations).
    Text,
    /// JSON number, decimal (amounts: never f64).
    Decimal,
    /// JSON boolean.
    Bool,
    /// JSON string `YYYY-MM-DD`.
    Date,
}

impl QboFieldType {
    /// What QBO answers for a field of this type that holds nothing, when that is a value
    /// rather than an absent field: amounts read back as `0` and flags as `false` (all 19 items
    /// of the recorded `item-query-response.json` carry `UnitPrice`, `PurchaseCost` and
    /// `Taxable`, 0/false where never set; both customers of `customer-query-response.json`
    /// carry `Taxable`). QBO cannot tell "no value" from these, so the mapping treats them alike.
    pub fn unset_value(self) -> Option<CanonicalValue> {
        match self {
            Self::Decimal => Some(CanonicalValue::decimal(Decimal::ZERO)),
            Self::Bool => Some(CanonicalValue::boolean(false)),
            Self::Text | Self::Date => None,
        }
    }
}

/// One writable QBO field path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QboField {
    pub path: &'static str,
    pub ty: QboFieldType,
    /// Maximum length in characters for text fields (over-length writes fail with 2050).
    pub max_len: Option<usize>,
}

const fn text(path: &'static str, max_len: usize) -> QboField {
    QboField {
        path,
        ty: QboFieldType::Text,
        max_len: Some(max_len),
    }
}

const fn typed(path: &'static str, ty: QboFieldType) -> QboField {
    QboField {
        path,
        ty,
        max_len: None,
    }
}

/// Writable Customer fields. `Active` (deletion policy), `Balance` and `CurrencyRef` (create-only)
/// are deliberately absent; `DisplayName` is derived on create (mapping::naming).
const CUSTOMER_FIELDS: &[QboField] = &[
    text("DisplayName", 500),
    text("Title", 16),
    text("GivenName", 100),
    text("MiddleName", 100),
    text("FamilyName", 100),
    text("Suffix", 16),
    text("CompanyName", 100),
    text("PrintOnCheckName", 110),
    text("PrimaryEmailAddr.Address", 100),
    text("PrimaryPhone.FreeFormNumber", 30),
    text("Mobile.FreeFormNumber", 30),
    text("AlternatePhone.FreeFormNumber", 30),
    text("Fax.FreeFormNumber", 30),
    text("BillAddr.Line1", 500),
    text("BillAddr.Line2", 500),
    text("BillAddr.Line3", 500),
    text("BillAddr.Line4", 500),
    text("BillAddr.Line5", 500),
    text("BillAddr.City", 255),
    text("BillAddr.CountrySubDivisionCode", 255),
    text("BillAddr.PostalCode", 30),
    text("BillAddr.Country", 255),
    text("ShipAddr.Line1", 500),
    text("ShipAddr.Line2", 500),
    text("ShipAddr.Line3", 500),
    text("ShipAddr.Line4", 500),
    text("ShipAddr.Line5", 500),
    text("ShipAddr.City", 255),
    text("ShipAddr.CountrySubDivisionCode", 255),
    text("ShipAddr.PostalCode", 30),
    text("ShipAddr.Country", 255),
    text("Notes", 1024), // docs say 2000, the XSD 1024: take the smaller
    text("WebAddr.URI", 1000),
    typed("Taxable", QboFieldType::Bool),
    text("PreferredDeliveryMethod", 20),
    text("SalesTermRef.value", 20),
    text("PaymentMethodRef.value", 20),
    text("CustomerTypeRef.value", 20),
];

/// Writable Item fields. `Type` and the account refs come from `NewItemSettings` on create.
const ITEM_FIELDS: &[QboField] = &[
    text("Name", 100),
    text("Sku", 100),
    text("Description", 4000),
    text("PurchaseDesc", 1000),
    typed("UnitPrice", QboFieldType::Decimal),
    typed("PurchaseCost", QboFieldType::Decimal),
    typed("Taxable", QboFieldType::Bool),
    text("SalesTaxCodeRef.value", 20),
    text("ClassRef.value", 20),
];

/// The writable fields of the QBO entity that `kind` maps to (its descriptor's `qbo.entity`).
pub fn qbo_fields(kind: ObjectKind) -> &'static [QboField] {
    let facts = descriptor(kind);
    if !facts.is_two_way() {
        // Mirrored kinds have fixed properties (`engine::invoicing::invoices::properties`), no
        // mappings.
        return &[];
    }
    entity_fields(facts.qbo.entity)
}

/// The writable fields of a QBO entity mappings may use.
fn entity_fields(entity: &str) -> &'static [QboField] {
    match entity {
        "Customer" => CUSTOMER_FIELDS,
        "Item" => ITEM_FIELDS,
        _ => &[],
    }
}

/// Name fields where QBO forbids `:`, tab and newline (docs/quickbooks.md §4.1; the error QBO
/// returns is UNVERIFIED, so we refuse such values before writing).
const NO_SEPARATOR_FIELDS: &[&str] = &[
    "DisplayName",
    "Title",
    "GivenName",
    "MiddleName",
    "FamilyName",
    "Suffix",
    "PrintOnCheckName",
];

/// Fields QBO will not clear: Item `Name` is required; Customer `DisplayName` and
/// `PrintOnCheckName` cannot be removed by a sparse update (docs/quickbooks.md §4.1, §4.2).
const UNCLEARABLE_FIELDS: &[&str] = &["Name", "DisplayName", "PrintOnCheckName"];

/// Whether QBO refuses to clear the field at `path`.
pub fn cannot_clear(path: &str) -> bool {
    UNCLEARABLE_FIELDS.contains(&path)
}

/// Whether QBO rejects `:`, tab and newline in the field at `path`.
pub fn forbids_separators(path: &str) -> bool {
    NO_SEPARATOR_FIELDS.contains(&path)
}

/// The field at `path` (exact, case-sensitive as QBO's JSON is) of `kind`'s QBO entity.
pub fn qbo_field(kind: ObjectKind, path: &str) -> Option<&'static QboField> {
    qbo_fields(kind).iter().find(|f| f.path == path)
}
