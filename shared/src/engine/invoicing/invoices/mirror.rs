//! Applies the invoice plan: reads the QBO invoice, resolves its customer's contact (and company),
//! products and deal, writes the HubSpot invoice and refreshes the deal in one pass.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};

use super::error::InvoiceSyncError;
use super::lines::item_ids;
use super::properties::{
    CompanyFacts, DEFAULT_CURRENCY, HS_OPEN, HS_STATUS, HS_VOIDED, QBO_INVOICE_ID,
    QBO_LAST_UPDATED, QBO_LINES_SIGNATURE, QBO_PAYMENT_NOTES, QBO_STATUS, hubspot_status,
    invoice_currency, invoice_properties, invoice_property_definitions, new_invoice_properties,
};
use super::settings::InvoiceSyncSettings;
use super::write_plan::{
    PartyLookup, WritePlan, lines_unchanged, recorded_deals, same_version_echo,
};
use crate::engine::invoicing::customer_party::{CustomerParty, linked_party_record};
use crate::engine::invoicing::deal::properties::deal_group;
use crate::engine::invoicing::deal::{
    DealReference, InvoiceStage, deal_property_definitions, invoice_stage, is_voided,
    parse_deal_reference, resolve_by_owner,
};
use crate::engine::invoicing::receivables::deal::{
    KnownInvoices, LatestCandidate, refresh_deals_knowing,
};
use crate::engine::invoicing::receivables::properties::{
    deal_receivables_definitions, receivables_group,
};
use crate::engine::invoicing::receivables::refresh::customer_record_properties;
use crate::hubspot::associations::type_ids;
use crate::hubspot::batch::BatchReadOptions;
use crate::hubspot::{
    CreateInput, GetOptions, HubspotError, HubspotObject, InlineAssociation, ObjectType,
    PropertyWrites,
};
use crate::ports::invoicing::{HubspotInvoicing, QboInvoicing};
use crate::quickbooks::QboError;
use crate::quickbooks::entities::Invoice;

type Result<T> = std::result::Result<T, InvoiceSyncError>;

/// What happened to the HubSpot side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MirrorOutcome {
    Created,
    Updated,
    /// Already up to date: QBO's version (SyncToken), the status (overdue moves with the
    /// date), the lines and the deal all match what was mirrored, so nothing was written.
    Unchanged,
    /// Status moved to `voided` (QBO void or delete).
    Voided,
    /// HubSpot refused the status change, so the record was archived.
    Archived,
    /// Nothing to mirror (deleted or voided before it was ever mirrored, or disabled).
    Skipped,
}

/// The result of one invoice sync.
#[derive(Debug, Clone)]
pub struct MirroredInvoice {
    pub outcome: MirrorOutcome,
    pub hubspot_id: Option<String>,
    pub deal: Option<DealReference>,
    /// Every deal the HubSpot invoice is associated with after the sync.
    pub deals: Vec<String>,
    /// The deals whose latest-invoice values and receivables this sync already refreshed
    /// (after its own write), so a job's receivables pass skips them.
    pub deals_refreshed: Vec<String>,
    /// The HubSpot contact the invoice belongs to, when this sync resolved it or read it with
    /// the invoice.
    pub contact: Option<String>,
    /// The HubSpot company the invoice belongs to, when this sync resolved it (the customer
    /// is a company under `[customers] model = "company"`, docs/admin.md §6).
    pub company: Option<String>,
    /// The QBO invoice as read (absent when deleted).
    pub invoice: Option<Invoice>,
    /// The invoice's currency (its `CurrencyRef`, else the company's home currency).
    pub currency: String,
    /// The HubSpot invoice's properties after the sync (for payment bookkeeping).
    pub properties: PropertyWrites,
    /// Why no deal was chosen although the contact has open deals (the candidates, the fix):
    /// the invoice is mirrored to the contact and its status carries this as a warning.
    pub deal_attention: Option<String>,
    /// The customer's HubSpot record (its contact, or its company under the company model) as
    /// this sync read it, with its receivables values, so the job's receivables pass does not
    /// read it again (`ReceivablesFlow::refresh_after_mirrored`, docs/hubspot.md §9.5).
    pub customer_record: Option<HubspotObject>,
}

/// Mirrors QBO invoices of one connection into HubSpot, through the invoicing ports.
#[derive(Debug)]
pub struct InvoiceMirror {
    pub hubspot: Arc<dyn HubspotInvoicing>,
    pub qbo: Arc<dyn QboInvoicing>,
    pub settings: InvoiceSyncSettings,
    schema: tokio::sync::OnceCell<()>,
    company: tokio::sync::OnceCell<CompanyFacts>,
    /// HubSpot refused a create naming `open` (`create::create_open`): new invoices are
    /// created as drafts and opened by a second write from then on.
    pub(super) open_on_create_refused: std::sync::atomic::AtomicBool,
}

impl InvoiceMirror {
    pub fn new(
        hubspot: Arc<dyn HubspotInvoicing>,
        qbo: Arc<dyn QboInvoicing>,
        settings: InvoiceSyncSettings,
    ) -> Self {
        InvoiceMirror {
            hubspot,
            qbo,
            settings,
            schema: tokio::sync::OnceCell::new(),
            company: tokio::sync::OnceCell::new(),
            open_on_create_refused: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The company's home currency (QBO Preferences, read once per mirror: one mirror serves
    /// one connection) and web-app host (docs/quickbooks.md §4.6, §17.6).
    pub async fn company(&self) -> Result<CompanyFacts> {
        self.company
            .get_or_try_init(|| async {
                let preferences = self.qbo.preferences().await?;
                let home_currency = preferences
                    .currency_prefs
                    .as_ref()
                    .and_then(|c| c.home_currency.as_ref())
                    .map(|r| r.value.clone())
                    .filter(|c| !c.trim().is_empty())
                    .unwrap_or_else(|| DEFAULT_CURRENCY.to_owned());
                Ok::<CompanyFacts, InvoiceSyncError>(CompanyFacts {
                    home_currency,
                    web_app_base: self.settings.qbo_web_app_base.clone(),
                })
            })
            .await
            .cloned()
    }

    /// Creates the invoice and deal properties once per mirror (idempotent on HubSpot's side).
    pub async fn ensure_schema(&self) -> Result<()> {
        self.schema
            .get_or_try_init(|| async {
                self.hubspot
                    .ensure_properties(ObjectType::Invoices, &invoice_property_definitions())
                    .await?;
                // The contact and item lookups read by the link properties; they exist even
                // where the two-way sync of that kind never ran (then nothing is linked yet).
                self.hubspot.ensure_link_properties().await?;
                self.hubspot
                    .ensure_property_group(ObjectType::Deals, &deal_group())
                    .await?;
                self.hubspot
                    .ensure_properties(ObjectType::Deals, &deal_property_definitions())
                    .await?;
                // The deal refresh writes the deal's receivables too (docs/hubspot.md §4.1).
                self.hubspot
                    .ensure_property_group(ObjectType::Deals, &receivables_group())
                    .await?;
                self.hubspot
                    .ensure_properties(ObjectType::Deals, &deal_receivables_definitions())
                    .await?;
                Ok::<(), InvoiceSyncError>(())
            })
            .await
            .map(drop)
    }

    /// The mirrored HubSpot invoice of QBO invoice `qbo_id`, if any.
    pub async fn find_hubspot_invoice(&self, qbo_id: &str) -> Result<Option<HubspotObject>> {
        let options = GetOptions {
            properties: mirrored_invoice_properties(),
            // Its deals and contact come with it (`associations=`, docs/hubspot.md §2.1): one
            // call, not two more association reads (docs/hubspot.md §9.1 call budget).
            associations: [ObjectType::Deals, ObjectType::Contacts]
                .map(|t| t.path_name().to_owned())
                .to_vec(),
            id_property: Some(QBO_INVOICE_ID.into()),
            ..GetOptions::default()
        };
        match self.hubspot.get_invoice(qbo_id, &options).await {
            Ok(found) => Ok(Some(found)),
            Err(HubspotError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Brings the HubSpot invoice of QBO invoice `qbo_id` up to date as of `today`.
    pub async fn sync_invoice(&self, qbo_id: &str, today: NaiveDate) -> Result<MirroredInvoice> {
        self.ensure_schema().await?;
        let existing = self.find_hubspot_invoice(qbo_id).await?;
        let invoice = match self.qbo.read_invoice(qbo_id).await {
            Ok(i) => Some(i),
            Err(QboError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        match (invoice, existing) {
            (None, None) => Ok(skipped(None)),
            (Some(inv), None) if is_voided(&inv) => Ok(skipped(Some(inv))),
            (None, Some(hs)) => self.void_removed(hs, None, today).await,
            (Some(inv), Some(hs)) if is_voided(&inv) => {
                self.void_removed(hs, Some(inv), today).await
            }
            (Some(inv), existing) => self.write(inv, existing, today).await,
        }
    }

    async fn write(
        &self,
        invoice: Invoice,
        existing: Option<HubspotObject>,
        today: NaiveDate,
    ) -> Result<MirroredInvoice> {
        let company = self.company().await?;
        if let Some(echo) = same_version_echo(&invoice, existing.as_ref(), today, &company) {
            return Ok(echo);
        }
        let (party, record) = self.linked_party(&invoice).await?;
        // Only the balance or status moved: the line items stay and no product is read.
        let products = match lines_unchanged(&invoice, existing.as_ref()) {
            true => None,
            false => Some(self.linked_products(&item_ids(&invoice)).await?),
        };
        let mut plan = self
            .plan_write(invoice, existing, party, products.as_ref())
            .await?;
        plan.customer_record = record;
        if plan.existing.is_some()
            && let Some(unchanged) = plan.clone().unchanged(today, &company)
        {
            return Ok(unchanged);
        }
        let (id, outcome, properties) = match &plan.existing {
            None => {
                let mut props = new_invoice_properties(&plan.invoice, today, &company);
                plan.insert_signatures(&mut props);
                let created = self.create_open(&plan, &props).await?;
                // Paid before it was first mirrored: one more step (draft -> open -> paid).
                let status = hubspot_status(invoice_stage(&plan.invoice, today));
                let status = match status {
                    HS_OPEN => HS_OPEN,
                    next => self.move_status(&created, next).await?,
                };
                props.insert(HS_STATUS.into(), status.into());
                (created, MirrorOutcome::Created, props)
            }
            Some(hs) => {
                let mut props = update_properties(&plan, hs, today, &company);
                self.update_with_status(&hs.id, &mut props).await?;
                if hs.get(QBO_LINES_SIGNATURE) != Some(plan.signature.as_str()) {
                    let old = self
                        .associated(ObjectType::Invoices, &hs.id, ObjectType::LineItems)
                        .await?;
                    self.create_line_items(&hs.id, plan.lines.clone()).await?;
                    if !old.is_empty() {
                        self.hubspot.archive_line_items(&old).await?;
                    }
                }
                if let Some(d) = &plan.deal
                    && !plan.deal_recorded
                {
                    self.hubspot
                        .associate_default(
                            ObjectType::Invoices,
                            &hs.id,
                            ObjectType::Deals,
                            d.deal_id(),
                        )
                        .await?;
                }
                let mut merged = hs.properties.clone();
                merged.extend(props);
                (hs.id.clone(), MirrorOutcome::Updated, merged)
            }
        };
        if let Some(d) = &plan.deal {
            self.refresh_deal(d.deal_id(), &id, &plan.invoice, &properties, today)
                .await?;
        }
        let deals_refreshed = plan.deal.iter().map(|d| d.deal_id().to_owned()).collect();
        Ok(plan.mirrored(outcome, id, properties, deals_refreshed, &company))
    }

    /// QBO voided or deleted the invoice: mark it voided (archive where HubSpot refuses).
    pub(super) async fn void_removed(
        &self,
        hs: HubspotObject,
        invoice: Option<Invoice>,
        today: NaiveDate,
    ) -> Result<MirroredInvoice> {
        let company = self.company().await?;
        let mut props = match &invoice {
            Some(inv) => invoice_properties(inv, today, &company),
            None => PropertyWrites::new(),
        };
        props.insert(QBO_STATUS.into(), InvoiceStage::Voided.value().into());
        props.insert(super::properties::QBO_BALANCE.into(), "0".into());
        props.insert(QBO_LAST_UPDATED.into(), Utc::now().to_rfc3339());
        self.hubspot.update_invoice(&hs.id, &props).await?;
        let deals = recorded_deals(&hs);
        let mut status = PropertyWrites::new();
        status.insert(HS_STATUS.into(), HS_VOIDED.into());
        // UNVERIFIED (docs/hubspot.md §2.8): whether `voided` can be written; archive if not.
        let outcome = match self.hubspot.update_invoice(&hs.id, &status).await {
            Ok(_) => MirrorOutcome::Voided,
            Err(HubspotError::Validation { .. }) | Err(HubspotError::Conflict { .. }) => {
                self.hubspot.archive_invoice(&hs.id).await?;
                MirrorOutcome::Archived
            }
            Err(e) => return Err(e.into()),
        };
        let voided = invoice.clone().unwrap_or_else(|| voided_stand_in(&hs));
        let mut properties = hs.properties.clone();
        properties.extend(props);
        for deal in &deals {
            self.refresh_deal(deal, &hs.id, &voided, &properties, today)
                .await?;
        }
        properties.insert("hs_object_id".into(), hs.id.clone());
        let currency = match &invoice {
            Some(inv) => invoice_currency(inv, &company),
            None => hs
                .get("hs_currency")
                .map(str::to_owned)
                .unwrap_or(company.home_currency),
        };
        Ok(MirroredInvoice {
            outcome,
            hubspot_id: Some(hs.id),
            deal: deals.first().cloned().map(DealReference::Recorded),
            deals_refreshed: deals.clone(),
            deals,
            contact: None,
            company: None,
            currency,
            invoice,
            properties,
            deal_attention: None,
            customer_record: None,
        })
    }

    /// The HubSpot contact (and under `[customers] model = "company"` the company) linked to
    /// the invoice's customer by the two-way sync, or the customer's `(Id, name)` when it is
    /// not linked yet; with the linked record read with its receivables values (for the job's
    /// receivables pass, docs/hubspot.md §9.5).
    pub(super) async fn linked_party(
        &self,
        invoice: &Invoice,
    ) -> Result<(PartyLookup, Option<HubspotObject>)> {
        let customer = invoice.customer_ref.as_ref().ok_or_else(|| {
            InvoiceSyncError::NeedsAttention("the QuickBooks invoice has no customer".into())
        })?;
        match linked_party_record(
            &*self.hubspot,
            self.settings.customer_model,
            &customer.value,
            &customer_record_properties(),
        )
        .await?
        {
            Some((party, record)) => Ok((Ok(party), Some(record))),
            None => Ok((Err((customer.value.clone(), customer.name.clone())), None)),
        }
    }

    /// QBO item id -> HubSpot product id, for the invoice's items that are linked.
    pub(super) async fn linked_products(&self, ids: &[String]) -> Result<BTreeMap<String, String>> {
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let options = BatchReadOptions {
            properties: vec!["qbo_item_id".into()],
            id_property: Some("qbo_item_id".into()),
            ..BatchReadOptions::default()
        };
        let read = self
            .hubspot
            .read_records(ObjectType::Products, ids, &options)
            .await?;
        Ok(read
            .found
            .into_iter()
            .filter_map(|p| Some((p.get("qbo_item_id")?.to_owned(), p.id)))
            .collect())
    }

    /// Deal resolution in its documented order (see `engine::invoicing::deal::resolution`):
    /// the deal, and why none was chosen when the contact's open deals leave it open.
    pub(super) async fn resolve_deal(
        &self,
        invoice: &Invoice,
        recorded: Option<&String>,
        party: &CustomerParty,
        products: &BTreeMap<String, String>,
    ) -> Result<(Option<DealReference>, Option<String>)> {
        if let Some(id) = recorded {
            return Ok((Some(DealReference::Recorded(id.clone())), None));
        }
        if let Some(id) =
            parse_deal_reference(invoice, self.settings.deal_reference_field.as_deref())
        {
            return Ok((Some(DealReference::InvoiceTag(id)), None));
        }
        // Converted from an estimate without the tag: the estimate's deal (docs/hubspot.md §2.13).
        if let Some(id) = crate::engine::invoicing::estimates::mirror::deal_of_source_estimate(
            &*self.qbo,
            invoice,
            self.settings.deal_reference_field.as_deref(),
        )
        .await?
        {
            return Ok((Some(DealReference::InvoiceTag(id)), None));
        }
        let Some(owner) = party.deal_owner() else {
            return Ok((None, None));
        };
        if !self.settings.contact_open_deal_fallback {
            return Ok((None, None));
        }
        Ok(resolve_by_owner(&*self.hubspot, owner, invoice, products).await?)
    }

    pub(super) async fn create_line_items(
        &self,
        invoice_id: &str,
        lines: Vec<PropertyWrites>,
    ) -> Result<()> {
        let inputs = lines
            .into_iter()
            .map(|props| {
                let mut input = CreateInput::new(props);
                input.associations.push(InlineAssociation::to(
                    invoice_id,
                    type_ids::LINE_ITEM_TO_INVOICE,
                ));
                input
            })
            .collect();
        let outcome = self.hubspot.create_line_items(inputs).await;
        if let Some((_, e)) = outcome.failed().next() {
            return Err(InvoiceSyncError::NeedsAttention(format!(
                "line items of invoice {invoice_id} could not be created: {}",
                e.message
            )));
        }
        Ok(())
    }

    /// Moves `id` to HubSpot status `next`, answering the status it has afterwards: HubSpot may
    /// refuse `paid`/`voided` by PATCH (UNVERIFIED, docs/hubspot.md §2.8); then it stays `open`
    /// and `qbo_status` alone shows QBO's state.
    pub(super) async fn move_status(&self, id: &str, next: &'static str) -> Result<&'static str> {
        let mut status = PropertyWrites::new();
        status.insert(HS_STATUS.into(), next.into());
        match self.hubspot.update_invoice(id, &status).await {
            Ok(()) => Ok(next),
            Err(HubspotError::Validation { .. }) | Err(HubspotError::Conflict { .. }) => {
                Ok(HS_OPEN)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// One update of the mirrored values; when it carries a status HubSpot refuses, the same
    /// update again without the status (the amounts and `qbo_status` still follow QBO).
    pub(super) async fn update_with_status(
        &self,
        id: &str,
        props: &mut PropertyWrites,
    ) -> Result<()> {
        match self.hubspot.update_invoice(id, props).await {
            Err(HubspotError::Validation { .. }) | Err(HubspotError::Conflict { .. })
                if props.contains_key(HS_STATUS) =>
            {
                props.remove(HS_STATUS);
                Ok(self.hubspot.update_invoice(id, props).await?)
            }
            other => Ok(other?),
        }
    }

    /// Ids of `to` records associated with `from`.
    pub async fn associated(
        &self,
        from: ObjectType,
        id: &str,
        to: ObjectType,
    ) -> Result<Vec<String>> {
        Ok(self.hubspot.associated_ids(from, id, to).await?)
    }

    /// Writes `invoice`'s values onto the deal when it is the deal's most recently updated
    /// QBO invoice (by `qbo_last_updated`, ties to the invoice being synced), and the deal's
    /// receivables in the same pass (the deal read with its invoices, the other invoices read,
    /// one write). `properties` are the HubSpot invoice's after this sync's write, so it is not
    /// read back.
    pub(super) async fn refresh_deal(
        &self,
        deal_id: &str,
        hubspot_invoice_id: &str,
        invoice: &Invoice,
        properties: &PropertyWrites,
        today: NaiveDate,
    ) -> Result<()> {
        let latest = LatestCandidate {
            hubspot_id: hubspot_invoice_id,
            invoice,
        };
        let known: KnownInvoices = [(hubspot_invoice_id.to_owned(), properties.clone())].into();
        refresh_deals_knowing(self, &[(deal_id.to_owned(), Some(latest))], &known, today).await?;
        Ok(())
    }
}

/// The properties a mirrored HubSpot invoice is read with.
pub(super) fn mirrored_invoice_properties() -> Vec<String> {
    invoice_property_definitions()
        .into_iter()
        .map(|d| d.name)
        .chain([HS_STATUS.to_owned(), "hs_currency".to_owned()])
        .collect()
}

/// The create of a new HubSpot invoice for `plan` with `props`: the contact, the company under
/// `[customers] model = "company"` and the deal inline (docs/hubspot.md §2.8).
pub(super) fn create_input(plan: &WritePlan, props: &PropertyWrites) -> CreateInput {
    let mut input = CreateInput::new(props.clone());
    input.associations.push(InlineAssociation::to(
        &plan.contact,
        type_ids::INVOICE_TO_CONTACT,
    ));
    if let Some(company) = &plan.party.company {
        input
            .associations
            .push(InlineAssociation::to(company, type_ids::INVOICE_TO_COMPANY));
    }
    if let Some(d) = &plan.deal {
        input.associations.push(InlineAssociation::to(
            d.deal_id(),
            type_ids::INVOICE_TO_DEAL,
        ));
    }
    input
}

/// The update of existing HubSpot invoice `hs` for `plan`: the mirrored values, the lines'
/// signature and the status when it moved.
pub(super) fn update_properties(
    plan: &WritePlan,
    hs: &HubspotObject,
    today: NaiveDate,
    company: &CompanyFacts,
) -> PropertyWrites {
    let mut props = invoice_properties(&plan.invoice, today, company);
    plan.insert_signatures(&mut props);
    let status = hubspot_status(invoice_stage(&plan.invoice, today));
    if hs.get(HS_STATUS) != Some(status) {
        props.insert(HS_STATUS.into(), status.into());
    }
    props
}

pub(super) fn skipped(invoice: Option<Invoice>) -> MirroredInvoice {
    MirroredInvoice {
        outcome: MirrorOutcome::Skipped,
        hubspot_id: None,
        deal: None,
        deals: Vec::new(),
        deals_refreshed: Vec::new(),
        contact: None,
        company: None,
        currency: String::new(),
        invoice,
        properties: PropertyWrites::new(),
        deal_attention: None,
        customer_record: None,
    }
}

/// A deleted QBO invoice has nothing to read: the deal shows it from HubSpot's copy, voided.
fn voided_stand_in(hs: &HubspotObject) -> Invoice {
    Invoice {
        id: hs.get(QBO_INVOICE_ID).map(str::to_owned),
        doc_number: hs.get(super::properties::QBO_DOC_NUMBER).map(str::to_owned),
        total_amt: Some(Default::default()),
        balance: Some(Default::default()),
        private_note: Some("Voided (deleted in QuickBooks)".into()),
        bill_email: hs
            .get(super::properties::QBO_BILL_EMAIL)
            .map(crate::quickbooks::entities::EmailAddress::new),
        ..Invoice::default()
    }
}

/// Tokens of payment notes written for a mirrored invoice.
pub fn payment_note_tokens(properties: &PropertyWrites) -> Vec<String> {
    properties
        .get(QBO_PAYMENT_NOTES)
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Ensures the stage helper stays in use for callers that only hold a mirror.
pub fn stage_of(invoice: &Invoice, today: NaiveDate) -> InvoiceStage {
    invoice_stage(invoice, today)
}
