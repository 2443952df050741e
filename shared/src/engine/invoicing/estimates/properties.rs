//! The "latest QuickBooks estimate" deal properties (docs/hubspot.md §2.13) in the deal's
//! "QuickBooks" group: their definitions, their values for one estimate, which one is latest.

use super::facts::{EstimateFacts, EstimateStatus};
use crate::engine::invoicing::deal::properties::DEAL_GROUP_NAME;
use crate::hubspot::values::format_decimal;
use crate::hubspot::{PropertyDefinition, PropertyWrites};

pub const ESTIMATE_ID: &str = "qbo_latest_estimate_id";
pub const ESTIMATE_NUMBER: &str = "qbo_latest_estimate_number";
pub const ESTIMATE_STATUS: &str = "qbo_latest_estimate_status";
pub const ESTIMATE_TOTAL: &str = "qbo_latest_estimate_total";
pub const ESTIMATE_URL: &str = "qbo_latest_estimate_url";
/// The invoice the latest estimate was converted to (its number), empty until converted.
pub const ESTIMATE_INVOICE: &str = "qbo_latest_estimate_invoice";
/// Bookkeeping: the note written per estimate and the version it shows (`note::EstimateNotes`).
pub const ESTIMATE_NOTES: &str = "qbo_estimate_notes";

/// Every deal property the estimate mirror reads or writes.
pub fn estimate_deal_definitions() -> Vec<PropertyDefinition> {
    let text = |name: &str, label: &str| PropertyDefinition::text(name, label, DEAL_GROUP_NAME);
    vec![
        text(ESTIMATE_ID, "Latest QuickBooks estimate ID"),
        text(ESTIMATE_NUMBER, "Latest QuickBooks estimate number"),
        PropertyDefinition::select(
            ESTIMATE_STATUS,
            "Latest QuickBooks estimate status",
            DEAL_GROUP_NAME,
            EstimateStatus::ALL.iter().map(|s| (s.label(), s.value())),
        ),
        PropertyDefinition::currency(
            ESTIMATE_TOTAL,
            "Latest QuickBooks estimate total",
            DEAL_GROUP_NAME,
        ),
        text(ESTIMATE_URL, "Latest QuickBooks estimate link"),
        text(
            ESTIMATE_INVOICE,
            "Latest QuickBooks estimate converted to invoice",
        ),
        text(ESTIMATE_NOTES, "QuickBooks estimate notes written"),
    ]
}

/// The latest-estimate values for `facts`.
pub fn latest_estimate_properties(facts: &EstimateFacts) -> PropertyWrites {
    let mut writes = PropertyWrites::new();
    writes.insert(ESTIMATE_ID.into(), facts.id.clone());
    writes.insert(ESTIMATE_NUMBER.into(), facts.number.clone());
    writes.insert(ESTIMATE_STATUS.into(), facts.status.value().into());
    writes.insert(ESTIMATE_TOTAL.into(), format_decimal(facts.total));
    writes.insert(ESTIMATE_URL.into(), facts.url.clone());
    writes.insert(
        ESTIMATE_INVOICE.into(),
        facts.converted_to.clone().unwrap_or_default(),
    );
    writes
}

/// The latest-estimate values of a deal whose estimates are all deleted: empty.
pub fn cleared_latest_properties() -> PropertyWrites {
    [
        ESTIMATE_ID,
        ESTIMATE_NUMBER,
        ESTIMATE_STATUS,
        ESTIMATE_TOTAL,
        ESTIMATE_URL,
        ESTIMATE_INVOICE,
    ]
    .into_iter()
    .map(|name| (name.to_owned(), String::new()))
    .collect()
}

/// Whether estimate `id` is the deal's latest, given the id the deal shows now: none yet, the
/// same one, or a newer one (QBO ids grow with each new transaction, so the newest estimate
/// wins whatever order their changes arrive in).
pub fn is_latest(shown: Option<&str>, id: &str) -> bool {
    let number = |s: &str| s.parse::<u64>().ok();
    match shown.filter(|s| !s.is_empty()) {
        None => true,
        Some(shown) if shown == id => true,
        Some(shown) => match (number(shown), number(id)) {
            (Some(shown), Some(id)) => id > shown,
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_estimate_is_the_latest_whatever_order_its_changes_arrive_in() {
        assert!(is_latest(None, "7"));
        assert!(is_latest(Some(""), "7"));
        assert!(is_latest(Some("7"), "7"));
        assert!(is_latest(Some("7"), "12"));
        assert!(!is_latest(Some("12"), "7"));
        let names: Vec<String> = estimate_deal_definitions()
            .into_iter()
            .map(|d| d.name)
            .collect();
        let values = latest_estimate_properties(&EstimateFacts {
            id: "12".into(),
            number: "1004".into(),
            version: "0".into(),
            status: EstimateStatus::Accepted,
            total: "250.5".parse().unwrap(),
            currency: "USD".into(),
            expires: None,
            url: "u".into(),
            converted_to: None,
        });
        assert_eq!(values[ESTIMATE_STATUS], "accepted");
        assert_eq!(values[ESTIMATE_INVOICE], "");
        assert!(values.keys().all(|k| names.contains(k)), "{values:?}");
        let cleared = cleared_latest_properties();
        assert_eq!(
            cleared.keys().collect::<Vec<_>>(),
            values.keys().collect::<Vec<_>>(),
            "clearing empties every latest-estimate value"
        );
        assert!(cleared.values().all(String::is_empty));
    }
}
