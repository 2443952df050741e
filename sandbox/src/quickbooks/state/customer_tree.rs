//! Sub-customers and jobs (docs/quickbooks.md §4.1): `ParentRef`, `Job` and `BillWithParent` as
//! sent, the derived read-only `Level` and `FullyQualifiedName`, and the hierarchy's rules.

use serde_json::{Map, Value};

use super::Company;
use super::fields::{flag_or_true, ref_id, ref_value, text};
use crate::quickbooks::entity_kind::EntityKind;
use crate::quickbooks::fault::Fault;

/// The deepest `Level`: "Zero specifies the top level of the hierarchy ... up to 5 levels"
/// (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer).
pub const MAX_LEVEL: u64 = 4;

/// The immediate parent of a stored customer, if it is a sub-customer.
pub fn parent_of(company: &Company, id: &str) -> Option<String> {
    company
        .get(EntityKind::Customer, id)
        .and_then(|c| ref_id(&c.body, "ParentRef"))
}

/// The customers whose `ParentRef` is `id`.
pub fn children(company: &Company, id: &str) -> Vec<String> {
    company
        .table(EntityKind::Customer)
        .filter(|(_, e)| ref_id(&e.body, "ParentRef").as_deref() == Some(id))
        .map(|(k, _)| k.to_string())
        .collect()
}

/// How many levels hang below `id` (0 for a customer without sub-customers).
fn depth_below(company: &Company, id: &str) -> u64 {
    children(company, id)
        .iter()
        .map(|child| 1 + depth_below(company, child))
        .max()
        .unwrap_or(0)
}

fn level_of(company: &Company, id: &str) -> u64 {
    company
        .get(EntityKind::Customer, id)
        .and_then(|c| c.body.get("Level"))
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

fn name_of(company: &Company, id: &str, field: &str) -> Option<String> {
    company
        .get(EntityKind::Customer, id)
        .and_then(|c| text(&c.body, field))
        .map(str::to_owned)
}

/// Places a customer being created (`id` None) or updated in the hierarchy, per the Customer
/// entity reference (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer):
/// `ParentRef` is "required for the create operation if this object is a sub-customer or Job"
/// (2020 for `Job: true` without it) and must name an active customer (2500); `Job` is true
/// exactly for a sub-customer; `BillWithParent` "is valid only if this entity is a Job or sub
/// Customer" (false otherwise); `Level` counts from 0 at the top, at most 4; and
/// `FullyQualifiedName` is "Parent:Customer:Job:Sub-job", both read-only. Sending `Job: false`
/// makes a sub-customer top-level again. A parent that is the customer itself or one of its
/// sub-customers, or a move deeper than five levels, is refused with 6000 (the wording is the
/// sandbox's: Intuit documents no message for them).
pub fn place(
    company: &Company,
    body: &mut Map<String, Value>,
    id: Option<&str>,
) -> Result<(), Fault> {
    body.remove("Level");
    body.remove("FullyQualifiedName");
    let job = body.get("Job").and_then(Value::as_bool);
    let parent = match ref_id(body, "ParentRef") {
        Some(_) if job == Some(false) => None,
        Some(parent) => Some(parent),
        None if job == Some(true) => return Err(Fault::required_param("ParentRef")),
        None => None,
    };
    let display = text(body, "DisplayName").unwrap_or_default().to_owned();
    let Some(parent) = parent else {
        body.remove("ParentRef");
        body.insert("Job".into(), false.into());
        body.insert("BillWithParent".into(), false.into());
        body.insert("Level".into(), 0.into());
        body.insert("FullyQualifiedName".into(), display.into());
        return Ok(());
    };
    let stored = company
        .get(EntityKind::Customer, &parent)
        .filter(|c| flag_or_true(&c.body, "Active"))
        .ok_or_else(|| Fault::invalid_reference("ParentRef"))?;
    if let Some(id) = id
        && (parent == id || is_below(company, &parent, id))
    {
        return Err(Fault::business_validation(
            "A customer cannot be its own parent or the sub-customer of one of its sub-customers.",
        ));
    }
    let level = level_of(company, &parent) + 1;
    let below = id.map_or(0, |id| depth_below(company, id));
    if level + below > MAX_LEVEL {
        return Err(Fault::business_validation(
            "Sub-customers can be nested at most 4 levels below the top-level customer.",
        ));
    }
    let parent_name = text(&stored.body, "FullyQualifiedName")
        .or_else(|| text(&stored.body, "DisplayName"))
        .unwrap_or_default()
        .to_owned();
    body.insert(
        "ParentRef".into(),
        ref_value(&parent, text(&stored.body, "DisplayName")),
    );
    body.insert("Job".into(), true.into());
    body.entry("BillWithParent").or_insert(false.into());
    body.insert("Level".into(), level.into());
    body.insert(
        "FullyQualifiedName".into(),
        format!("{parent_name}:{display}").into(),
    );
    Ok(())
}

/// Whether `id` is somewhere below `ancestor`.
fn is_below(company: &Company, id: &str, ancestor: &str) -> bool {
    let mut node = parent_of(company, id);
    let mut hops = 0;
    while let Some(current) = node {
        if current == ancestor {
            return true;
        }
        hops += 1;
        if hops > MAX_LEVEL + 1 {
            return false;
        }
        node = parent_of(company, &current);
    }
    false
}

/// After a customer's name or place changed, its sub-customers' derived `FullyQualifiedName`,
/// `Level` and `ParentRef.name` follow (derived fields: no new versions).
pub fn refresh_below(company: &mut Company, id: &str) {
    let (Some(full), Some(display)) = (
        name_of(company, id, "FullyQualifiedName"),
        name_of(company, id, "DisplayName"),
    ) else {
        return;
    };
    let level = level_of(company, id);
    for child in children(company, id) {
        let child_name = name_of(company, &child, "DisplayName").unwrap_or_default();
        company.patch_silently(
            EntityKind::Customer,
            &child,
            "FullyQualifiedName",
            format!("{full}:{child_name}").into(),
        );
        company.patch_silently(EntityKind::Customer, &child, "Level", (level + 1).into());
        company.patch_silently(
            EntityKind::Customer,
            &child,
            "ParentRef",
            ref_value(id, Some(&display)),
        );
        refresh_below(company, &child);
    }
}

#[cfg(test)]
mod tests;
