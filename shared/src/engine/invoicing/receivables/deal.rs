//! A deal's own receivables (docs/hubspot.md §4.1): its associated mirrored invoices' open
//! balances aged by their QBO due dates, written on the deal where they changed.

use chrono::NaiveDate;

use super::aging::receivables;
use super::properties::{
    changed_properties, deal_receivables_properties, receivables_property_names,
};
use super::refresh::open_of_mirrored;
use crate::engine::invoicing::invoices::properties::{QBO_BALANCE, QBO_DUE_DATE, QBO_STATUS};
use crate::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncError};
use crate::hubspot::batch::BatchReadOptions;
use crate::hubspot::{GetOptions, ObjectType};

/// HubSpot's batch read limit (docs/hubspot.md §2.2).
const BATCH_READ: usize = 100;

/// Recomputes deal `deal_id` from its mirrored invoices as of `today`; true when written.
/// Calls: 1 association read, 1 invoice batch read per 100 invoices, 1 deal read, at most 1
/// deal write.
pub async fn refresh_deal(
    mirror: &InvoiceMirror,
    deal_id: &str,
    today: NaiveDate,
) -> Result<bool, InvoiceSyncError> {
    let ids = mirror
        .hubspot
        .associated_ids(ObjectType::Deals, deal_id, ObjectType::Invoices)
        .await?;
    let options = BatchReadOptions {
        properties: [QBO_BALANCE, QBO_DUE_DATE, QBO_STATUS, "hs_currency"]
            .map(str::to_owned)
            .to_vec(),
        ..BatchReadOptions::default()
    };
    let mut open = Vec::new();
    let mut currency = None;
    for chunk in ids.chunks(BATCH_READ) {
        let read = mirror.hubspot.read_invoices(chunk, &options).await?;
        for invoice in &read.found {
            if let Some(o) = open_of_mirrored(invoice) {
                open.push(o);
                currency = currency.or_else(|| invoice.get("hs_currency").map(str::to_owned));
            }
        }
    }
    let currency = match currency {
        Some(c) => c,
        None => mirror.company().await?.home_currency,
    };
    let wanted = deal_receivables_properties(&receivables(&open, None, &currency, today));
    let deal = mirror
        .hubspot
        .get_record(
            ObjectType::Deals,
            deal_id,
            &GetOptions {
                properties: receivables_property_names(),
                ..GetOptions::default()
            },
        )
        .await?;
    let changed = changed_properties(&deal.properties, &wanted);
    if changed.is_empty() {
        return Ok(false);
    }
    mirror
        .hubspot
        .update_record(ObjectType::Deals, deal_id, &changed)
        .await?;
    Ok(true)
}
