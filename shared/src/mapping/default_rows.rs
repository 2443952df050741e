//! The default mapping tables, one row per field: HubSpot contact ⇄ QBO Customer and HubSpot
//! product ⇄ QBO Item (docs/hubspot.md §10.2, UNVERIFIED there as HubSpot's own defaults).

use crate::model::{ObjectKind, TransformKind};

/// One default row. Its canonical field name is the HubSpot property name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultRow {
    pub hubspot_property: &'static str,
    pub qbo_field: &'static str,
    pub transform: TransformKind,
    /// Rank among the kind's match keys (1 = tried first); `None` = not a match key.
    pub match_rank: Option<u8>,
}

const fn row(
    hubspot_property: &'static str,
    qbo_field: &'static str,
    transform: TransformKind,
) -> DefaultRow {
    DefaultRow {
        hubspot_property,
        qbo_field,
        transform,
        match_rank: None,
    }
}

const fn key(
    hubspot_property: &'static str,
    qbo_field: &'static str,
    transform: TransformKind,
    rank: u8,
) -> DefaultRow {
    DefaultRow {
        hubspot_property,
        qbo_field,
        transform,
        match_rank: Some(rank),
    }
}

use TransformKind::{Decimal, Email, Phone, Text};

/// HubSpot contact ⇄ QBO Customer.
pub const CONTACT_ROWS: &[DefaultRow] = &[
    key("email", "PrimaryEmailAddr.Address", Email, 1),
    row("firstname", "GivenName", Text),
    row("lastname", "FamilyName", Text),
    row("company", "CompanyName", Text),
    row("phone", "PrimaryPhone.FreeFormNumber", Phone),
    row("mobilephone", "Mobile.FreeFormNumber", Phone),
    row("address", "BillAddr.Line1", Text),
    row("city", "BillAddr.City", Text),
    row("state", "BillAddr.CountrySubDivisionCode", Text),
    row("zip", "BillAddr.PostalCode", Text),
    row("country", "BillAddr.Country", Text),
    row("website", "WebAddr.URI", Text),
];

/// HubSpot product ⇄ QBO Item.
pub const PRODUCT_ROWS: &[DefaultRow] = &[
    key("hs_sku", "Sku", Text, 1),
    key("name", "Name", Text, 2),
    row("description", "Description", Text),
    row("price", "UnitPrice", Decimal),
    row("hs_cost_of_goods_sold", "PurchaseCost", Decimal),
];

pub fn default_rows(kind: ObjectKind) -> &'static [DefaultRow] {
    match kind {
        ObjectKind::Contact => CONTACT_ROWS,
        ObjectKind::Product => PRODUCT_ROWS,
        ObjectKind::Invoice | ObjectKind::Payment => &[],
    }
}
