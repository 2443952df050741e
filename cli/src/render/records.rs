//! Each side's records of a kind as a table, with the columns a person checks (names, email,
//! phone, SKU, price, active) and each record's sync status from the store.

use std::collections::HashMap;

use comfy_table::Table;
use hqsync::model::{ObjectKind, Record, Side};
use hqsync::ports::{SyncOutcome, SyncStatus};

use super::table;

/// `(title, native path)` of the columns shown for `kind` on `side`.
pub fn columns(kind: ObjectKind, side: Side) -> &'static [(&'static str, &'static str)] {
    match (kind, side) {
        (ObjectKind::Contact, Side::Hubspot) => &[
            ("first name", "firstname"),
            ("last name", "lastname"),
            ("email", "email"),
            ("company", "company"),
            ("phone", "phone"),
        ],
        (ObjectKind::Contact, Side::Quickbooks) => &[
            ("DisplayName", "DisplayName"),
            ("email", "PrimaryEmailAddr.Address"),
            ("company", "CompanyName"),
            ("phone", "PrimaryPhone.FreeFormNumber"),
        ],
        (ObjectKind::Company, side) => hqsync::model::descriptor(ObjectKind::Company).columns(side),
        (ObjectKind::Product, Side::Hubspot) => {
            &[("name", "name"), ("SKU", "hs_sku"), ("price", "price")]
        }
        (ObjectKind::Product, Side::Quickbooks) => {
            &[("Name", "Name"), ("Sku", "Sku"), ("UnitPrice", "UnitPrice")]
        }
        (ObjectKind::Invoice, Side::Hubspot) => &[
            ("number", "qbo_doc_number"),
            ("status", "qbo_status"),
            ("balance", "qbo_balance"),
        ],
        (ObjectKind::Invoice, Side::Quickbooks) => &[
            ("DocNumber", "DocNumber"),
            ("TotalAmt", "TotalAmt"),
            ("Balance", "Balance"),
            ("DueDate", "DueDate"),
        ],
        (ObjectKind::Payment, Side::Hubspot) => &[
            ("amount", "hs_initial_amount"),
            ("status", "hs_latest_status"),
        ],
        (ObjectKind::Payment, Side::Quickbooks) => &[
            ("TotalAmt", "TotalAmt"),
            ("TxnDate", "TxnDate"),
            ("PaymentRefNum", "PaymentRefNum"),
        ],
    }
}

/// A native value as text ("" when absent).
pub fn value_text(record: &Record, path: &str) -> String {
    match record.value(path) {
        None => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The status cell: outcome, linked id, attention flag.
pub fn status_text(status: Option<&SyncStatus>) -> String {
    let Some(status) = status else {
        return "not synced yet".into();
    };
    let mut text = status.outcome.label().to_owned();
    if let Some(other) = &status.counterpart_id {
        text.push_str(&format!(" ⇄ {other}"));
    }
    match &status.outcome {
        SyncOutcome::Synced {
            note: Some(note), ..
        } => text.push_str(&format!(" ({note})")),
        SyncOutcome::Excluded { filter } => text.push_str(&format!(" ({filter})")),
        SyncOutcome::Failed(detail) => text.push_str(&format!(": {}", detail.message)),
        _ => {}
    }
    if let SyncOutcome::Synced { warnings, .. } = &status.outcome {
        for warning in warnings {
            text.push_str(&format!(
                " — warning: {} {}",
                warning.field, warning.message
            ));
        }
    }
    if status.needs_attention {
        text.push_str(" — needs attention");
    }
    text
}

/// Statuses by `(side, id)`.
pub fn index_statuses(statuses: Vec<SyncStatus>) -> HashMap<(Side, String), SyncStatus> {
    statuses
        .into_iter()
        .map(|s| ((s.side, s.id.clone()), s))
        .collect()
}

/// `records` (one kind, one side), sorted by id number, with their sync status.
pub fn records_table(
    kind: ObjectKind,
    side: Side,
    records: &[Record],
    statuses: &HashMap<(Side, String), SyncStatus>,
) -> Table {
    let columns = columns(kind, side);
    let mut header = vec!["id"];
    header.extend(columns.iter().map(|(title, _)| *title));
    header.extend(["active", "sync status"]);
    let mut t = table(&header);
    let mut sorted: Vec<&Record> = records.iter().collect();
    sorted.sort_by_key(|r| (r.id.len(), r.id.clone()));
    for record in sorted {
        let mut row = vec![record.id.clone()];
        row.extend(columns.iter().map(|(_, path)| value_text(record, path)));
        row.push(if record.active { "yes" } else { "no" }.into());
        row.push(status_text(statuses.get(&(side, record.id.clone()))));
        t.add_row(row);
    }
    t
}
