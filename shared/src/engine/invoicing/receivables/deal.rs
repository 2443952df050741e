//! A deal's own receivables (docs/hubspot.md §4.1): its associated mirrored invoices' open
//! balances aged by their QBO due dates, written on the deal where they changed, together with
//! the latest-invoice values when the invoice being mirrored is the deal's latest (§2.8).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::aging::receivables;
use super::properties::{
    changed_properties, deal_receivables_definitions, deal_receivables_properties,
};
use super::refresh::open_of_mirrored;
use crate::engine::invoicing::deal::{deal_property_definitions, latest_invoice_deal_properties};
use crate::engine::invoicing::invoices::error::item_error;
use crate::engine::invoicing::invoices::properties::{
    QBO_BALANCE, QBO_DUE_DATE, QBO_LAST_UPDATED, QBO_STATUS,
};
use crate::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncError};
use crate::hubspot::batch::{BatchReadOptions, UpdateInput};
use crate::hubspot::{GetOptions, HubspotObject, ObjectType, PropertyWrites};
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
/// so an invoice or payment reads the deal's invoices once (docs/hubspot.md §9.5 call budget);
/// true when written. Calls: as [`refresh_deals`] for one deal.
pub async fn refresh_deal_values(
    mirror: &InvoiceMirror,
    deal_id: &str,
    latest: Option<LatestCandidate<'_>>,
    today: NaiveDate,
) -> Result<bool, InvoiceSyncError> {
    Ok(refresh_deals(mirror, &[(deal_id.to_owned(), latest)], today).await? > 0)
}

/// HubSpot invoice id -> its properties as the caller just wrote them (a job group's own
/// invoices): the deal pass takes them from here instead of reading them back.
pub type KnownInvoices = BTreeMap<String, PropertyWrites>;

/// The deal pass of [`refresh_deal_values`] for several deals at once (a job group's,
/// docs/hubspot.md §9.5); answers how many deals were written. Calls: as
/// [`refresh_deals_knowing`] knowing none of the invoices.
pub async fn refresh_deals(
    mirror: &InvoiceMirror,
    deals: &[(String, Option<LatestCandidate<'_>>)],
    today: NaiveDate,
) -> Result<usize, InvoiceSyncError> {
    refresh_deals_knowing(mirror, deals, &KnownInvoices::new(), today).await
}

/// [`refresh_deals`] with the invoices the caller just wrote in hand (`known`). Calls,
/// whatever the number of deals up to 100: for one deal, 1 read of the deal with its invoice
/// associations (`associations=invoices`, docs/hubspot.md §2.1; one more association read when
/// they run past the first page); for several, 1 association batch read (deal -> invoices,
/// §3) and 1 deal batch read; then 1 invoice batch read per 100 invoices not in `known` (none
/// when the deals hold only those) and at most 1 write of the values that changed.
pub async fn refresh_deals_knowing(
    mirror: &InvoiceMirror,
    deals: &[(String, Option<LatestCandidate<'_>>)],
    known: &KnownInvoices,
    today: NaiveDate,
) -> Result<usize, InvoiceSyncError> {
    let ids: Vec<String> = deals.iter().map(|(id, _)| id.clone()).collect();
    let (invoices_of, current) = match ids.as_slice() {
        [] => return Ok(0),
        [one] => read_one_deal(mirror, one).await?,
        many => read_deals(mirror, many).await?,
    };
    let mut unknown: Vec<String> = invoices_of
        .values()
        .flatten()
        .filter(|id| !known.contains_key(*id))
        .cloned()
        .collect();
    unknown.sort();
    unknown.dedup();
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
    let mut invoices: BTreeMap<String, HubspotObject> = known
        .iter()
        .map(|(id, properties)| {
            let invoice = HubspotObject {
                id: id.clone(),
                properties: properties.clone(),
                ..HubspotObject::default()
            };
            (id.clone(), invoice)
        })
        .collect();
    for chunk in unknown.chunks(BATCH_READ) {
        for invoice in mirror.hubspot.read_invoices(chunk, &options).await?.found {
            invoices.insert(invoice.id.clone(), invoice);
        }
    }
    let mut wanted_of: Vec<(String, PropertyWrites)> = Vec::with_capacity(deals.len());
    for (deal_id, latest) in deals {
        let theirs: Vec<HubspotObject> = invoices_of
            .get(deal_id)
            .into_iter()
            .flatten()
            .filter_map(|id| invoices.get(id).cloned())
            .collect();
        let mut open = Vec::new();
        let mut currency = None;
        for invoice in &theirs {
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
            && is_latest(&theirs, latest.hubspot_id)
        {
            wanted.extend(latest_invoice_deal_properties(latest.invoice, today));
        }
        wanted_of.push((deal_id.clone(), wanted));
    }
    let changes: Vec<UpdateInput> = wanted_of
        .into_iter()
        .filter_map(|(id, wanted)| {
            let deal = current.get(&id)?;
            let changed = changed_properties(&deal.properties, &wanted);
            (!changed.is_empty()).then_some(UpdateInput {
                id,
                properties: changed,
            })
        })
        .collect();
    match changes.as_slice() {
        [] => Ok(0),
        [one] => {
            mirror
                .hubspot
                .update_record(ObjectType::Deals, &one.id, &one.properties)
                .await?;
            Ok(1)
        }
        many => {
            let outcome = mirror.hubspot.update_records(ObjectType::Deals, many).await;
            if let Some((_, error)) = outcome.failed().next() {
                return Err(item_error(error).into());
            }
            Ok(outcome.written().count())
        }
    }
}

/// Deal id -> its invoices' ids, and deal id -> the deal with [`deal_property_names`].
type DealsRead = (
    BTreeMap<String, Vec<String>>,
    BTreeMap<String, HubspotObject>,
);

/// One deal read with its invoice associations (`associations=invoices` on the GET,
/// docs/hubspot.md §2.1): one call, and the association list read whole only when HubSpot
/// pages it.
async fn read_one_deal(mirror: &InvoiceMirror, id: &str) -> Result<DealsRead, InvoiceSyncError> {
    let invoices = ObjectType::Invoices.path_name();
    let options = GetOptions {
        properties: deal_property_names(),
        associations: vec![invoices.to_owned()],
        ..GetOptions::default()
    };
    let deal = mirror
        .hubspot
        .get_record(ObjectType::Deals, id, &options)
        .await?;
    let complete = deal
        .associations
        .get(invoices)
        .is_none_or(|refs| refs.is_complete());
    let mut theirs: Vec<String> = if complete {
        deal.associated_ids(invoices)
            .into_iter()
            .map(str::to_owned)
            .collect()
    } else {
        mirror
            .hubspot
            .associated_ids(ObjectType::Deals, id, ObjectType::Invoices)
            .await?
    };
    // A labelled and an unlabelled association name the same invoice twice.
    theirs.sort();
    theirs.dedup();
    Ok((
        [(id.to_owned(), theirs)].into(),
        [(id.to_owned(), deal)].into(),
    ))
}

/// Several deals: one association batch read (deal -> invoices, docs/hubspot.md §3) and one
/// deal batch read (a batch read brings no associations).
async fn read_deals(mirror: &InvoiceMirror, ids: &[String]) -> Result<DealsRead, InvoiceSyncError> {
    let invoices_of = mirror
        .hubspot
        .associated_ids_of_many(ObjectType::Deals, ids, ObjectType::Invoices)
        .await?;
    let options = BatchReadOptions {
        properties: deal_property_names(),
        ..BatchReadOptions::default()
    };
    let read = mirror
        .hubspot
        .read_records(ObjectType::Deals, ids, &options)
        .await?;
    let current = read.found.into_iter().map(|d| (d.id.clone(), d)).collect();
    Ok((invoices_of, current))
}

/// Every deal property the pass may write: the receivables (docs/hubspot.md §4.1) and the
/// latest invoice's values (§8).
fn deal_property_names() -> Vec<String> {
    deal_receivables_definitions()
        .into_iter()
        .chain(deal_property_definitions())
        .map(|d| d.name)
        .collect()
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
