//! What writing one QBO invoice into HubSpot takes, decided before any write: the version
//! check, its party and products (read by the caller, one invoice or a whole group), the lines
//! and the deal. Shared by the one-invoice path (`mirror`) and the group path (`group`).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::error::{InvoiceSyncError, UnlinkedRecords};
use super::lines::{item_ids, lines_signature, plan_line_items, source_signature};
use super::mirror::{InvoiceMirror, MirrorOutcome, MirroredInvoice};
use super::properties::{
    CompanyFacts, QBO_LINES_SIGNATURE, QBO_LINES_SOURCE, QBO_STATUS, QBO_SYNC_TOKEN,
    invoice_currency, invoice_properties,
};
use crate::engine::invoicing::customer_party::CustomerParty;
use crate::engine::invoicing::deal::DealReference;
use crate::hubspot::{HubspotObject, ObjectType, PropertyWrites};
use crate::quickbooks::entities::Invoice;

type Result<T> = std::result::Result<T, InvoiceSyncError>;

/// The invoice's customer as the two-way sync linked it, or its `(Id, name)` when unlinked.
pub(super) type PartyLookup = std::result::Result<CustomerParty, (String, Option<String>)>;

/// One invoice to create or update, everything decided.
#[derive(Debug, Clone)]
pub(super) struct WritePlan {
    pub invoice: Invoice,
    pub existing: Option<HubspotObject>,
    pub party: CustomerParty,
    pub contact: String,
    /// The line items to write when `signature` differs from the copy's (empty when the
    /// lines were found unchanged without reading the products, [`lines_unchanged`]).
    pub lines: Vec<PropertyWrites>,
    pub signature: String,
    /// [`source_signature`] of the invoice (`qbo_lines_source`).
    pub source: String,
    /// The customer's HubSpot record as read for this plan, with its receivables values.
    pub customer_record: Option<HubspotObject>,
    pub deal: Option<DealReference>,
    pub deal_attention: Option<String>,
    /// The chosen deal is already associated (or there is none).
    pub deal_recorded: bool,
    /// Every deal of the invoice after the write.
    pub deals: Vec<String>,
}

impl WritePlan {
    /// Writes the two line signatures (with and without products) into `props`.
    pub fn insert_signatures(&self, props: &mut PropertyWrites) {
        props.insert(QBO_LINES_SIGNATURE.into(), self.signature.clone());
        props.insert(QBO_LINES_SOURCE.into(), self.source.clone());
    }

    /// The plan's result once written (or found unchanged).
    pub fn mirrored(
        self,
        outcome: MirrorOutcome,
        hubspot_id: String,
        mut properties: PropertyWrites,
        deals_refreshed: Vec<String>,
        company: &CompanyFacts,
    ) -> MirroredInvoice {
        properties.insert("hs_object_id".into(), hubspot_id.clone());
        MirroredInvoice {
            outcome,
            hubspot_id: Some(hubspot_id),
            deal: self.deal,
            deals: self.deals,
            deals_refreshed,
            contact: Some(self.contact),
            company: self.party.company,
            currency: invoice_currency(&self.invoice, company),
            invoice: Some(self.invoice),
            properties,
            deal_attention: self.deal_attention,
            customer_record: self.customer_record,
        }
    }

    /// `Some` when HubSpot already shows this version, lines and deal: a repeat signal (our own
    /// payment re-mirror, a duplicated webhook, a poll overlap) writes nothing.
    pub fn unchanged(self, today: NaiveDate, company: &CompanyFacts) -> Option<MirroredInvoice> {
        let hs = self.existing.as_ref()?;
        if !self.deal_recorded
            || !is_unchanged(
                hs,
                &invoice_properties(&self.invoice, today, company),
                &self.signature,
            )
        {
            return None;
        }
        let (id, properties) = (hs.id.clone(), hs.properties.clone());
        Some(self.mirrored(
            MirrorOutcome::Unchanged,
            id,
            properties,
            Vec::new(),
            company,
        ))
    }
}

/// A version already mirrored onto a recorded deal (our own echo, a duplicated webhook, a
/// payment's invoice update after the payment job): nothing to read or write. The recorded
/// deal wins resolution, so the contact and products need no lookup.
pub(super) fn same_version_echo(
    invoice: &Invoice,
    existing: Option<&HubspotObject>,
    today: NaiveDate,
    company: &CompanyFacts,
) -> Option<MirroredInvoice> {
    let hs = existing?;
    let recorded = recorded_deals(hs);
    let first = recorded.first()?;
    if !is_same_version(hs, &invoice_properties(invoice, today, company)) {
        return None;
    }
    let mut properties = hs.properties.clone();
    properties.insert("hs_object_id".into(), hs.id.clone());
    Some(MirroredInvoice {
        outcome: MirrorOutcome::Unchanged,
        hubspot_id: Some(hs.id.clone()),
        deal: Some(DealReference::Recorded(first.clone())),
        deals_refreshed: Vec::new(),
        contact: associated_once(hs, ObjectType::Contacts).into_iter().next(),
        company: None,
        currency: invoice_currency(invoice, company),
        invoice: Some(invoice.clone()),
        properties,
        deal_attention: None,
        deals: recorded,
        customer_record: None,
    })
}

/// Whether the copy `existing` already has `invoice`'s lines (the same
/// [`source_signature`]) on a recorded deal: then neither the products (for the line items)
/// nor deal resolution need a read, and the line items stay (docs/hubspot.md §9.5).
pub(super) fn lines_unchanged(invoice: &Invoice, existing: Option<&HubspotObject>) -> bool {
    existing.is_some_and(|hs| {
        !recorded_deals(hs).is_empty()
            && hs.get(QBO_LINES_SIGNATURE).is_some()
            && hs.get(QBO_LINES_SOURCE) == Some(source_signature(invoice).as_str())
    })
}

impl InvoiceMirror {
    /// Plans the write of `invoice` over its HubSpot copy `existing` with its party and the
    /// group's linked products (QBO item id -> HubSpot product id; `None` when the lines are
    /// unchanged, [`lines_unchanged`], and the copy's line items stay). `Unlinked` names what
    /// the two-way sync must link first; the deal is resolved here (docs/hubspot.md §8).
    pub(super) async fn plan_write(
        &self,
        invoice: Invoice,
        existing: Option<HubspotObject>,
        party: PartyLookup,
        products: Option<&BTreeMap<String, String>>,
    ) -> Result<WritePlan> {
        let recorded = existing.as_ref().map(recorded_deals).unwrap_or_default();
        let mut unlinked = UnlinkedRecords {
            customer_model: self.settings.customer_model,
            ..UnlinkedRecords::default()
        };
        if self.settings.require_linked_items
            && let Some(products) = products
        {
            unlinked.items = item_ids(&invoice)
                .into_iter()
                .filter(|id| !products.contains_key(id))
                .collect();
        }
        let party = match party {
            Ok(party) if unlinked.is_empty() => party,
            Ok(_) => return Err(InvoiceSyncError::Unlinked(unlinked)),
            Err(customer) => {
                unlinked.customer = Some(customer);
                return Err(InvoiceSyncError::Unlinked(unlinked));
            }
        };
        let contact = party_contact(&party)?;
        let source = source_signature(&invoice);
        let kept = existing
            .as_ref()
            .and_then(|hs| hs.get(QBO_LINES_SIGNATURE))
            .map(str::to_owned);
        let no_products = BTreeMap::new();
        let (lines, signature) = match (products, kept) {
            (None, Some(kept)) => (Vec::new(), kept),
            (products, _) => {
                let lines = plan_line_items(&invoice, products.unwrap_or(&no_products));
                let signature = lines_signature(&lines);
                (lines, signature)
            }
        };
        let (deal, deal_attention) = self
            .resolve_deal(
                &invoice,
                recorded.first(),
                &party,
                products.unwrap_or(&no_products),
            )
            .await?;
        let deal_recorded = deal
            .as_ref()
            .is_none_or(|d| recorded.iter().any(|r| r == d.deal_id()));
        let mut deals = recorded;
        if let Some(d) = &deal
            && !deal_recorded
        {
            deals.push(d.deal_id().to_owned());
        }
        Ok(WritePlan {
            invoice,
            existing,
            party,
            contact,
            lines,
            signature,
            source,
            customer_record: None,
            deal,
            deal_attention,
            deal_recorded,
            deals,
        })
    }
}

/// Whether the HubSpot invoice shows this QBO version (SyncToken) in this derived status. The
/// lines are not compared: they change only with the version, except when an item is linked
/// to a product later, which the next QBO edit of the invoice picks up.
fn is_same_version(hs: &HubspotObject, planned: &PropertyWrites) -> bool {
    let same = |name: &str| {
        planned
            .get(name)
            .is_some_and(|v| !v.is_empty() && hs.get(name) == Some(v.as_str()))
    };
    same(QBO_SYNC_TOKEN) && same(QBO_STATUS)
}

/// Whether the HubSpot invoice already shows this version of the QBO invoice: the same
/// SyncToken (any QBO edit, payment or void moves it), the same derived status and the same
/// lines. Text properties compared as written, so a mismatch only costs an update.
fn is_unchanged(hs: &HubspotObject, planned: &PropertyWrites, lines_signature: &str) -> bool {
    is_same_version(hs, planned) && hs.get(QBO_LINES_SIGNATURE) == Some(lines_signature)
}

/// The contact a new or updated invoice is associated with: HubSpot opens an invoice only with
/// one contact (docs/hubspot.md §2.8), so a company customer without contacts waits for one.
fn party_contact(party: &CustomerParty) -> Result<String> {
    match (&party.contact, &party.company) {
        (Some(contact), _) => Ok(contact.clone()),
        (None, company) => Err(InvoiceSyncError::NeedsAttention(format!(
            "HubSpot company {} has no contact, and HubSpot opens an invoice only with one \
             associated contact; associate a contact with the company (its \"Primary\" \
             company), then retry",
            company.as_deref().unwrap_or("?")
        ))),
    }
}

/// The deals a HubSpot invoice read with its associations is associated with, once each (a
/// labelled and an unlabelled association name the same deal twice).
pub(super) fn recorded_deals(hs: &HubspotObject) -> Vec<String> {
    associated_once(hs, ObjectType::Deals)
}

pub(super) fn associated_once(hs: &HubspotObject, to: ObjectType) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for id in hs.associated_ids(to.path_name()) {
        if !ids.iter().any(|d| d == id) {
            ids.push(id.to_owned());
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hubspot::objects::{AssociationRef, AssociationRefs};
    use crate::quickbooks::entities::{Line, Ref, SalesItemLineDetail};

    fn invoice(qty: &str) -> Invoice {
        Invoice {
            line: vec![Line {
                amount: Some("40".parse().unwrap()),
                detail_type: Some("SalesItemLineDetail".into()),
                sales_item_line_detail: Some(SalesItemLineDetail {
                    item_ref: Some(Ref {
                        value: "5".into(),
                        name: Some("Widget".into()),
                    }),
                    qty: Some(qty.parse().unwrap()),
                    unit_price: Some("40".parse().unwrap()),
                    ..Default::default()
                }),
                ..Line::default()
            }],
            ..Invoice::default()
        }
    }

    /// A copy mirrored from `mirrored` (its lines linked to product 901), on `deal` if any.
    fn copy(mirrored: &Invoice, deal: Option<&str>) -> HubspotObject {
        let products = BTreeMap::from([("5".to_owned(), "901".to_owned())]);
        let mut hs = HubspotObject {
            id: "100".into(),
            ..HubspotObject::default()
        };
        hs.properties.insert(
            QBO_LINES_SIGNATURE.into(),
            lines_signature(&plan_line_items(mirrored, &products)),
        );
        hs.properties
            .insert(QBO_LINES_SOURCE.into(), source_signature(mirrored));
        if let Some(deal) = deal {
            hs.associations.insert(
                "deals".into(),
                AssociationRefs {
                    results: vec![AssociationRef {
                        id: deal.into(),
                        kind: None,
                    }],
                    paging: None,
                },
            );
        }
        hs
    }

    #[test]
    fn only_a_change_of_the_lines_on_a_recorded_deal_needs_the_products() {
        let mirrored = invoice("2");
        // The balance moved (a payment): same lines, the copy keeps its line items.
        let mut paid = mirrored.clone();
        paid.balance = Some("10".parse().unwrap());
        assert!(lines_unchanged(&paid, Some(&copy(&mirrored, Some("7")))));
        // A quantity changed: new line items, so the products are read.
        assert!(!lines_unchanged(
            &invoice("3"),
            Some(&copy(&mirrored, Some("7")))
        ));
        // No recorded deal (resolution may look at the products) or no copy yet.
        assert!(!lines_unchanged(&paid, Some(&copy(&mirrored, None))));
        assert!(!lines_unchanged(&paid, None));
        // A copy mirrored before `qbo_lines_source` existed reads them once.
        let mut older = copy(&mirrored, Some("7"));
        older.properties.remove(QBO_LINES_SOURCE);
        assert!(!lines_unchanged(&paid, Some(&older)));
    }
}
