//! Customers (docs/quickbooks.md §4.1): defaults on create, DisplayName built from name parts,
//! uniqueness across customers, vendors and employees (6240), length and character rules; the
//! hierarchy is `customer_tree`, the balances `customer_balance`.

use serde_json::{Map, Value, json};

use super::customer_balance::refresh_customer_balance;
use super::customer_tree::{parent_of, place, refresh_below};
use super::fields::{
    check_email, check_lengths, check_no_control_chars, check_no_forbidden_chars, flag_or_true,
    money_field, money_value, text,
};
use super::{ChangeOp, Company, NameSpace, body_id, check_update, is_sparse, merge_update};
use crate::quickbooks::entity_kind::EntityKind;
use crate::quickbooks::fault::Fault;

/// §4.1 table: field length limits.
const LIMITS: &[(&str, usize)] = &[
    ("DisplayName", 500),
    ("Title", 16),
    ("Suffix", 16),
    ("GivenName", 100),
    ("MiddleName", 100),
    ("FamilyName", 100),
    ("CompanyName", 100),
    ("PrintOnCheckName", 110),
    ("PrimaryEmailAddr.Address", 100),
    ("PrimaryPhone.FreeFormNumber", 30),
    ("Mobile.FreeFormNumber", 30),
    ("AlternatePhone.FreeFormNumber", 30),
    ("Fax.FreeFormNumber", 30),
    ("Notes", 2000),
    ("WebAddr.URI", 1000),
    ("BillAddr.City", 255),
    ("BillAddr.PostalCode", 30),
    ("BillAddr.Line1", 500),
    ("BillAddr.Line2", 500),
    ("ShipAddr.City", 255),
    ("ShipAddr.PostalCode", 30),
    ("ShipAddr.Line1", 500),
];

/// §4.1: these must not contain `:`, tab or newline.
const NAME_FIELDS: &[&str] = &[
    "DisplayName",
    "Title",
    "GivenName",
    "MiddleName",
    "FamilyName",
    "Suffix",
    "PrintOnCheckName",
];

/// Read-only or write-once fields a full update keeps (§4.1 table: `Balance` is write-on-create,
/// `CurrencyRef` cannot change; `BalanceWithJobs`, `FullyQualifiedName` and `Level` are
/// read-only, https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer).
const KEEP_ON_UPDATE: &[&str] = &[
    "Balance",
    "BalanceWithJobs",
    "CurrencyRef",
    "FullyQualifiedName",
    "Level",
];

/// Whether `name` is taken by a customer, vendor or employee other than `except`
/// (§4.1: unique across all three; compared case-insensitively, UNVERIFIED exact rule).
pub fn display_name_taken(company: &Company, name: &str, except: Option<&str>) -> bool {
    company
        .name_owner(NameSpace::People, name)
        .is_some_and(|(kind, id)| !(*kind == EntityKind::Customer && except == Some(id.as_str())))
}

/// §4.1: without `DisplayName`, QBO builds it from the name parts.
fn name_from_parts(body: &Map<String, Value>) -> Option<String> {
    let parts: Vec<&str> = ["Title", "GivenName", "MiddleName", "FamilyName", "Suffix"]
        .iter()
        .filter_map(|f| text(body, f))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn validate(body: &Map<String, Value>) -> Result<(), Fault> {
    check_no_control_chars(body, "")?;
    check_lengths(body, LIMITS)?;
    check_no_forbidden_chars(body, NAME_FIELDS)?;
    check_email(body, "PrimaryEmailAddr")
}

/// Gives addresses an internal `Id` as QBO does (fixtures show `BillAddr.Id`).
fn number_addresses(company: &mut Company, body: &mut Map<String, Value>) {
    for field in ["BillAddr", "ShipAddr"] {
        if let Some(Value::Object(addr)) = body.get_mut(field)
            && !addr.contains_key("Id")
        {
            let id = company.next_address_id();
            addr.insert("Id".into(), id.into());
        }
    }
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
    body.remove("Id");
    body.remove("SyncToken");
    body.remove("sparse");
    body.remove("BalanceWithJobs");
    let display = match text(&body, "DisplayName") {
        Some(name) => name.to_owned(),
        None => name_from_parts(&body).ok_or_else(|| Fault::required_param("DisplayName"))?,
    };
    body.insert("DisplayName".into(), display.clone().into());
    validate(&body)?;
    if display_name_taken(company, &display, None) {
        return Err(Fault::duplicate_name());
    }
    place(company, &mut body, None)?;
    let opening = money_field(&body, "Balance").unwrap_or_default();
    body.insert("Balance".into(), money_value(opening));
    body.insert("BalanceWithJobs".into(), money_value(opening));
    body.entry("PrintOnCheckName")
        .or_insert_with(|| display.clone().into());
    body.entry("Active").or_insert(true.into());
    body.entry("Taxable").or_insert(true.into());
    body.entry("PreferredDeliveryMethod")
        .or_insert("Print".into());
    body.entry("CurrencyRef")
        .or_insert(json!({"value": "USD", "name": "United States Dollar"}));
    number_addresses(company, &mut body);
    let created = company.insert_new(EntityKind::Customer, None, body, now_ms);
    let id = created["Id"].as_str().unwrap_or_default().to_owned();
    if !opening.is_zero() {
        company.opening_balances.insert(id.clone(), opening);
    }
    if let Some(parent) = parent_of(company, &id) {
        refresh_customer_balance(company, &parent);
    }
    Ok(company.read(EntityKind::Customer, &id).unwrap_or(created))
}

fn update(
    company: &mut Company,
    id: &str,
    body: Map<String, Value>,
    now_ms: i64,
) -> Result<Value, Fault> {
    let current = check_update(company, EntityKind::Customer, id, &body)?;
    let sparse = is_sparse(&body);
    let mut merged = merge_update(&current, &body, sparse, KEEP_ON_UPDATE);
    // §5.2: DisplayName and PrintOnCheckName cannot be removed; keep them when not sent.
    for field in ["DisplayName", "PrintOnCheckName"] {
        if text(&merged, field).is_none()
            && let Some(v) = current.get(field)
        {
            merged.insert(field.into(), v.clone());
        }
    }
    validate(&merged)?;
    let display = text(&merged, "DisplayName").unwrap_or_default().to_owned();
    if display_name_taken(company, &display, Some(id)) {
        return Err(Fault::duplicate_name());
    }
    place(company, &mut merged, Some(id))?;
    if !merged.contains_key("Active") {
        merged.insert("Active".into(), true.into());
    }
    number_addresses(company, &mut merged);
    let was_active = flag_or_true(&current, "Active");
    let op = if was_active && !flag_or_true(&merged, "Active") {
        ChangeOp::Deactivate
    } else {
        ChangeOp::Update
    };
    let old_parent = parent_of(company, id);
    company.replace(EntityKind::Customer, id, merged, op, now_ms);
    refresh_below(company, id);
    refresh_customer_balance(company, id);
    if let Some(old) = old_parent {
        refresh_customer_balance(company, &old);
    }
    company.read(EntityKind::Customer, id)
}

/// Seeds a vendor or employee name (they only matter for DisplayName uniqueness, §4.1).
pub fn seed_other_name(company: &mut Company, kind: EntityKind, name: &str, now_ms: i64) {
    let mut body = Map::new();
    body.insert("DisplayName".into(), name.into());
    body.insert("PrintOnCheckName".into(), name.into());
    body.insert("Active".into(), true.into());
    if let Some((given, family)) = name.split_once(' ') {
        body.insert("GivenName".into(), given.into());
        body.insert("FamilyName".into(), family.into());
    }
    company.insert_new(kind, None, body, now_ms);
}
