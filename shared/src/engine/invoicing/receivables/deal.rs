//! A deal's own receivables (docs/hubspot.md §4.1): its associated mirrored invoices' open
//! balances aged by their QBO due dates, written on the deal where they changed, together with
//! the latest-invoice values when the invoice being mirrored is the deal's latest (§2.8).

use chrono::NaiveDate;

use super::aging::receivables;
use super::properties::{changed_properties, deal_receivables_properties};
use super::refresh::open_of_mirrored;
use crate::engine::invoicing::deal::latest_invoice_deal_properties;
use crate::engine::invoicing::invoices::properties::{
    QBO_BALANCE, QBO_DUE_DATE, QBO_LAST_UPDATED, QBO_STATUS,
};
use crate::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncError};
use crate::hubspot::batch::BatchReadOptions;
use crate::hubspot::{GetOptions, HubspotObject, ObjectType};
use crate::quickbooks::entities::Invoice;

/// HubSpot's batch read limit (docs/hubspot.md §2.2).
const BATCH_READ: usize = 100;

/// The invoice a deal refresh follows: its values go on the deal when it is the deal's most
/// recently updated mirrored invoice (by `qbo_last_updated`, ties to this one).
#[derive(Debug, Clone, Copy)]
pub struct LatestCandidate<'a> {
    pub hubspot_id: &'a str,
    pub invoice: &'a Invoice,
}

/// Recomputes deal `deal_id` from its mirrored invoices as of `today`; true when written.
/// Calls: as [`refresh_deal_values`].
pub async fn refresh_deal(
    mirror: &InvoiceMirror,
    deal_id: &str,
    today: NaiveDate,
) -> Result<bool, InvoiceSyncError> {
    refresh_deal_values(mirror, deal_id, None, today).await
}

/// One pass over a deal for both its receivables and (with `latest`) its latest-invoice values,
/// so an invoice or payment reads the deal's invoices once (docs/hubspot.md §9.1 call budget);
/// true when written. Calls: 1 association read, 1 invoice batch read per 100 invoices, 1 deal
/// read, at most 1 deal write (only the changed values).
pub async fn refresh_deal_values(
    mirror: &InvoiceMirror,
    deal_id: &str,
    latest: Option<LatestCandidate<'_>>,
    today: NaiveDate,
) -> Result<bool, InvoiceSyncError> {
    let ids = mirror
        .hubspot
        .associated_ids(ObjectType::Deals, deal_id, ObjectType::Invoices)
        .await?;
    let options = BatchReadOptions {
        properties: [
            QBO_BALANCE,
            QBO_DUE_DATE,
            QBO_STATUS,
            QBO_LAST_UPDATED,
            "hs_currency",
        ]
        .map(str::to_owned)
        .to_vec(),
        ..BatchReadOptions::default()
    };
    let mut invoices = Vec::new();
    for chunk in ids.chunks(BATCH_READ) {
        invoices.extend(mirror.hubspot.read_invoices(chunk, &options).await?.found);
    }
    let mut open = Vec::new();
    let mut currency = None;
    for invoice in &invoices {
        if let Some(o) = open_of_mirrored(invoice) {
            open.push(o);
            currency = currency.or_else(|| invoice.get("hs_currency").map(str::to_owned));
        }
    }
    let currency = match currency {
        Some(c) => c,
        None => mirror.company().await?.home_currency,
    };
    let mut wanted = deal_receivables_properties(&receivables(&open, None, &currency, today));
    if let Some(latest) = latest
        && is_latest(&invoices, latest.hubspot_id)
    {
        wanted.extend(latest_invoice_deal_properties(latest.invoice, today));
    }
    let deal = mirror
        .hubspot
        .get_record(
            ObjectType::Deals,
            deal_id,
            &GetOptions {
                properties: wanted.keys().cloned().collect(),
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

/// Whether no other invoice of the deal was updated in QBO after `hubspot_id`.
fn is_latest(invoices: &[HubspotObject], hubspot_id: &str) -> bool {
    let stamp = |o: &HubspotObject| o.get(QBO_LAST_UPDATED).unwrap_or("").to_owned();
    let ours = invoices
        .iter()
        .find(|o| o.id == hubspot_id)
        .map(stamp)
        .unwrap_or_default();
    !invoices
        .iter()
        .any(|o| o.id != hubspot_id && stamp(o) > ours)
}
