//! Items, "Products & Services" (docs/quickbooks.md §4.2): Service, NonInventory and Inventory
//! with their required account references, unique `Name` (6240), lengths, no delete.

use serde_json::{Map, Value};

use super::fields::{
    check_lengths, check_no_control_chars, check_no_forbidden_chars, flag_or_true, ref_id,
    ref_value, text,
};
use super::{ChangeOp, Company, NameSpace, body_id, check_update, is_sparse, merge_update};
use crate::quickbooks::entity_kind::EntityKind;
use crate::quickbooks::fault::Fault;

/// §4.2: length limits.
const LIMITS: &[(&str, usize)] = &[
    ("Name", 100),
    ("Sku", 100),
    ("Description", 4000),
    ("PurchaseDesc", 1000),
];

/// The item types the API creates (§4.2; Group/Category and others are not creatable here).
const TYPES: &[&str] = &["Service", "NonInventory", "Inventory"];

const KEEP_ON_UPDATE: &[&str] = &["FullyQualifiedName"];

/// Whether an item other than `except` already has `name` (case-insensitive).
fn name_taken(company: &Company, name: &str, except: Option<&str>) -> bool {
    company
        .name_owner(NameSpace::Items, name)
        .is_some_and(|(_, id)| except != Some(id.as_str()))
}

/// Checks the type and its required references (§4.2) and fills reference names.
fn validate(company: &Company, body: &mut Map<String, Value>) -> Result<(), Fault> {
    if text(body, "Name").is_none() {
        return Err(Fault::required_param("Name"));
    }
    check_no_control_chars(body, "")?;
    check_lengths(body, LIMITS)?;
    check_no_forbidden_chars(body, &["Name"])?;
    let item_type = text(body, "Type")
        .ok_or_else(|| Fault::required_param("Type"))?
        .to_owned();
    if !TYPES.contains(&item_type.as_str()) {
        return Err(Fault::invalid_enumeration("Type", &item_type));
    }
    // §4.2: IncomeAccountRef required for Service and Inventory; the stand-in also requires it
    // for NonInventory (2020-style fault, UNVERIFIED — no captured response).
    let mut required = vec!["IncomeAccountRef"];
    if item_type == "Inventory" {
        required.extend(["AssetAccountRef", "ExpenseAccountRef"]);
        for field in ["InvStartDate", "QtyOnHand"] {
            if !body.contains_key(field) {
                return Err(Fault::required_param(field));
            }
        }
        if !matches!(body.get("TrackQtyOnHand"), Some(Value::Bool(true))) {
            return Err(Fault::required_param("TrackQtyOnHand"));
        }
    }
    for field in ["IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"] {
        let Some(account) = ref_id(body, field) else {
            if required.contains(&field) {
                return Err(Fault::required_param(field));
            }
            continue;
        };
        let stored = company
            .get(EntityKind::Account, &account)
            .filter(|a| flag_or_true(&a.body, "Active"))
            .ok_or_else(|| Fault::invalid_reference(field))?;
        let account_name = stored.body.get("Name").and_then(Value::as_str);
        body.insert(field.into(), ref_value(&account, account_name));
    }
    Ok(())
}

/// Create (no `Id`) or update (with `Id`).
pub fn upsert(
    company: &mut Company,
    body: Map<String, Value>,
    now_ms: i64,
) -> Result<Value, Fault> {
    match body_id(&body) {
        None => create(company, body, now_ms),
        Some(id) => update(company, &id, body, now_ms),
    }
}

fn create(
    company: &mut Company,
    mut body: Map<String, Value>,
    now_ms: i64,
) -> Result<Value, Fault> {
    for f in ["Id", "SyncToken", "sparse", "FullyQualifiedName"] {
        body.remove(f);
    }
    validate(company, &mut body)?;
    let name = text(&body, "Name").unwrap_or_default().to_owned();
    if name_taken(company, &name, None) {
        return Err(Fault::duplicate_name());
    }
    body.insert("FullyQualifiedName".into(), name.into());
    body.entry("Active").or_insert(true.into());
    body.entry("Taxable").or_insert(false.into());
    body.entry("UnitPrice").or_insert(0.into());
    body.entry("PurchaseCost").or_insert(0.into());
    body.entry("TrackQtyOnHand").or_insert(false.into());
    Ok(company.insert_new(EntityKind::Item, None, body, now_ms))
}

fn update(
    company: &mut Company,
    id: &str,
    body: Map<String, Value>,
    now_ms: i64,
) -> Result<Value, Fault> {
    let current = check_update(company, EntityKind::Item, id, &body)?;
    let mut merged = merge_update(&current, &body, is_sparse(&body), KEEP_ON_UPDATE);
    // §4.2: type cannot change away from Inventory.
    if text(&current, "Type") == Some("Inventory") && text(&merged, "Type") != Some("Inventory") {
        return Err(Fault::business_validation(
            "You can't change the type of an inventory item.",
        ));
    }
    validate(company, &mut merged)?;
    let name = text(&merged, "Name").unwrap_or_default().to_owned();
    if name_taken(company, &name, Some(id)) {
        return Err(Fault::duplicate_name());
    }
    merged.insert("FullyQualifiedName".into(), name.into());
    if !merged.contains_key("Active") {
        merged.insert("Active".into(), true.into());
    }
    let op = if flag_or_true(&current, "Active") && !flag_or_true(&merged, "Active") {
        ChangeOp::Deactivate
    } else {
        ChangeOp::Update
    };
    Ok(company.replace(EntityKind::Item, id, merged, op, now_ms))
}
