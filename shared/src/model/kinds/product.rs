//! HubSpot product ⇄ QBO Item: the two-way kind matched by SKU then name, named by Name, and
//! created with the item type and accounts of `new_items` (docs/quickbooks.md §4.2).

use super::{Flow, HubspotCreate, HubspotFacts, KindDescriptor, LinkProperty, NameRule, QboFacts};
use super::{key, row};
use crate::model::TransformKind::{Decimal, Text};
use crate::model::{ConnectionSettings, NativeValues, ObjectKind};

pub(super) static PRODUCT: KindDescriptor = KindDescriptor {
    kind: ObjectKind::Product,
    name: "product",
    flow: Flow::TwoWay,
    hubspot: HubspotFacts {
        object_path: "products",
        object_type_id: "0-7",
        record_name: "product",
        qbo_id_property: "qbo_item_id",
        merged_ids_property: None,
        link_property: Some(LinkProperty {
            label: "QuickBooks item ID",
            group: "productinformation",
        }),
        unique_properties: &[],
        create: HubspotCreate::Allowed,
        columns: &[("name", "name"), ("SKU", "hs_sku"), ("price", "price")],
    },
    qbo: QboFacts {
        entity: "Item",
        unique_name: Some(NameRule {
            field: "Name",
            base: &[&["name"], &["hs_sku"]],
            suffix_key: "hs_sku",
        }),
        create_refusal: "the product has no name or SKU to name a QBO item by",
        create_defaults: Some(new_item_fields),
        default_type: Some("Service"),
        income_account_ref: Some("IncomeAccountRef"),
        columns: &[("Name", "Name"), ("Sku", "Sku"), ("UnitPrice", "UnitPrice")],
    },
    default_rows: &[
        key("hs_sku", "Sku", Text, 1),
        key("name", "Name", Text, 2),
        row("description", "Description", Text),
        row("price", "UnitPrice", Decimal),
        row("hs_cost_of_goods_sold", "PurchaseCost", Decimal),
    ],
    derived_rows: &[],
};

/// `Type` and the account references of an item created from a HubSpot product.
fn new_item_fields(settings: &ConnectionSettings, values: &mut NativeValues) {
    let items = &settings.new_items;
    values.insert("Type".into(), items.item_type.qbo_type().into());
    if let Some(id) = &items.income_account_id {
        values.insert("IncomeAccountRef.value".into(), id.as_str().into());
    }
    if let Some(id) = &items.expense_account_id {
        values.insert("ExpenseAccountRef.value".into(), id.as_str().into());
    }
}
