//! The I/O of deal resolution's last step: reads the customer's deals (its contact's, or its
//! company's) and the open ones' line items, then lets the pure rule in `resolution` choose.

use std::collections::BTreeMap;

use super::resolution::{
    DEAL_MATCH_PROPERTIES, DealReference, LINE_MATCH_PROPERTIES, choose_open_deal_by_lines,
    invoice_line_keys, open_deal_outcome_of,
};
use crate::hubspot::batch::BatchReadOptions;
use crate::hubspot::{HubspotError, ObjectType};
use crate::ports::invoicing::HubspotInvoicing;
use crate::quickbooks::entities::Invoice;

/// The contact's open deal whose line items, else amount, match `invoice` (docs/architecture.md
/// §4, deal resolution), and the warning listing the candidates when none or several do.
/// `products` maps QBO item id to the linked HubSpot product id. Calls: one association read
/// and one deal batch read; when the invoice has item lines, one association read per open
/// deal and one line-item batch read.
pub async fn resolve_by_contact(
    hubspot: &dyn HubspotInvoicing,
    contact: &str,
    invoice: &Invoice,
    products: &BTreeMap<String, String>,
) -> Result<(Option<DealReference>, Option<String>), HubspotError> {
    resolve_by_owner(hubspot, (ObjectType::Contacts, contact), invoice, products).await
}

/// As [`resolve_by_contact`] over the deals of `owner`: the QBO customer's HubSpot record, a
/// contact or (under `[customers] model = "company"`, docs/admin.md §6) a company.
pub async fn resolve_by_owner(
    hubspot: &dyn HubspotInvoicing,
    owner: (ObjectType, &str),
    invoice: &Invoice,
    products: &BTreeMap<String, String>,
) -> Result<(Option<DealReference>, Option<String>), HubspotError> {
    let ids = hubspot
        .associated_ids(owner.0, owner.1, ObjectType::Deals)
        .await?;
    if ids.is_empty() {
        return Ok((None, None));
    }
    let options = |names: &[&str]| BatchReadOptions {
        properties: names.iter().map(|p| (*p).to_owned()).collect(),
        ..BatchReadOptions::default()
    };
    let deals = hubspot
        .read_records(ObjectType::Deals, &ids, &options(DEAL_MATCH_PROPERTIES))
        .await?
        .found;
    let invoice_lines = invoice_line_keys(invoice, products);
    let mut lines_of = BTreeMap::new();
    if !invoice_lines.is_empty() {
        let mut owner = BTreeMap::new();
        for deal in deals
            .iter()
            .filter(|d| d.get("hs_is_closed") != Some("true"))
        {
            for item in hubspot
                .associated_ids(ObjectType::Deals, &deal.id, ObjectType::LineItems)
                .await?
            {
                owner.insert(item, deal.id.clone());
            }
        }
        if !owner.is_empty() {
            let item_ids: Vec<String> = owner.keys().cloned().collect();
            let read = hubspot
                .read_line_items(&item_ids, &options(LINE_MATCH_PROPERTIES))
                .await?;
            for item in read.found {
                if let Some(deal) = owner.get(&item.id) {
                    lines_of
                        .entry(deal.clone())
                        .or_insert_with(Vec::new)
                        .push(item);
                }
            }
        }
    }
    let total = invoice.total_amt.unwrap_or_default();
    let choice = choose_open_deal_by_lines(&deals, &lines_of, &invoice_lines, total);
    let owner_name = match owner.0 {
        ObjectType::Companies => "company",
        _ => "contact",
    };
    Ok(open_deal_outcome_of(owner_name, choice, total))
}
