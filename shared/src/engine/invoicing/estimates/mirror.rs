//! Applies a QBO estimate change: finds the deal its `HubSpot deal:` tag names, writes or
//! rewrites the estimate's one deal note and, when it is the deal's newest, the deal's
//! "latest QuickBooks estimate" properties; one deal read and at most one deal write. A deleted
//! estimate's deal (remembered by the caller) gets one note and its next live estimate.

use chrono::Utc;

use super::facts::{
    EstimateFacts, EstimateStatus, converted_invoices, estimate_url, expiration_date,
    source_estimate,
};
use super::note::{EstimateNotes, deleted_note_html, estimate_note_html};
use super::properties::{
    ESTIMATE_ID, ESTIMATE_NOTES, ESTIMATE_NUMBER, cleared_latest_properties,
    estimate_deal_definitions, is_latest, latest_estimate_properties,
};
use crate::engine::invoicing::deal::parse_deal_reference;
use crate::engine::invoicing::invoices::properties::invoice_currency;
use crate::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncError};
use crate::hubspot::associations::type_ids;
use crate::hubspot::{
    CreateInput, GetOptions, HubspotError, InlineAssociation, ObjectType, PropertyWrites,
};
use crate::model::DocKind;
use crate::ports::invoicing::QboInvoicing;
use crate::quickbooks::QboError;
use crate::quickbooks::entities::Invoice;

type Result<T> = std::result::Result<T, InvoiceSyncError>;

/// The deal of the estimate `invoice` was converted from (its `LinkedTxn`), by the estimate's
/// tag: one QBO read, only for a converted invoice that carries no tag of its own.
pub async fn deal_of_source_estimate(
    qbo: &dyn QboInvoicing,
    invoice: &Invoice,
    custom_field: Option<&str>,
) -> Result<Option<String>> {
    let Some(estimate) = source_estimate(invoice) else {
        return Ok(None);
    };
    match qbo.read_sales_doc(DocKind::Estimate, estimate).await {
        Ok(estimate) => Ok(parse_deal_reference(&estimate, custom_field)),
        Err(QboError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What happened to the estimate's deal note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteChange {
    Created,
    /// Rewritten in place for a new version (a note someone deleted stays deleted).
    Rewritten,
    /// It already shows this version.
    Unchanged,
}

/// What one estimate sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EstimateSyncReport {
    /// The estimate's number as people know it (DocNumber, else the Id).
    pub number: String,
    pub status: Option<EstimateStatus>,
    /// The deal it was mirrored onto.
    pub deal: Option<String>,
    pub note: Option<NoteChange>,
    /// Whether the deal's latest-estimate values were written.
    pub latest_written: bool,
    pub converted_to: Option<String>,
    /// Deleted in QBO: `note` is the note saying so (none when already said).
    pub deleted: bool,
    /// Why nothing was mirrored.
    pub skipped: Option<String>,
}

impl EstimateSyncReport {
    fn skipped(number: &str, why: &str) -> Self {
        EstimateSyncReport {
            number: number.to_owned(),
            skipped: Some(why.to_owned()),
            ..EstimateSyncReport::default()
        }
    }

    /// The sync status note, in the user's words.
    pub fn summary(&self) -> String {
        let mut text = format!("QuickBooks estimate {}", self.number);
        if let Some(why) = &self.skipped {
            text.push_str(&format!(" not mirrored: {why}"));
            return text;
        }
        if self.deleted {
            text.push_str(" deleted in QuickBooks");
            if let Some(deal) = &self.deal {
                text.push_str(&format!(", on deal {deal}"));
            }
            text.push_str(match self.note {
                Some(_) => ": note added",
                None => ": already noted",
            });
            if self.latest_written {
                text.push_str("; latest estimate values moved to the next estimate or cleared");
            }
            return text;
        }
        if let Some(status) = self.status {
            text.push_str(&format!(" ({})", status.label()));
        }
        if let Some(invoice) = &self.converted_to {
            text.push_str(&format!(", converted to invoice {invoice}"));
        }
        if let Some(deal) = &self.deal {
            text.push_str(&format!(" on deal {deal}"));
        }
        text.push_str(match self.note {
            Some(NoteChange::Created) => ": note added",
            Some(NoteChange::Rewritten) => ": note rewritten",
            Some(NoteChange::Unchanged) | None => ": note already up to date",
        });
        if self.latest_written {
            text.push_str("; latest estimate values written");
        }
        text
    }
}

/// Mirrors QBO estimates through an [`InvoiceMirror`]'s ports and settings.
#[derive(Debug)]
pub struct EstimateMirror<'a> {
    pub invoices: &'a InvoiceMirror,
}

impl<'a> EstimateMirror<'a> {
    pub fn new(invoices: &'a InvoiceMirror) -> Self {
        EstimateMirror { invoices }
    }

    /// Brings estimate `id`'s deal up to date. Safe to repeat: the note is written once and
    /// rewritten only for a new version. One naming no deal is not mirrored; a deleted one
    /// is not known to any deal here (see [`EstimateMirror::sync_estimate_of`]).
    pub async fn sync_estimate(&self, id: &str) -> Result<EstimateSyncReport> {
        self.sync_estimate_of(id, None).await
    }

    /// [`EstimateMirror::sync_estimate`], where `remembered_deal` is the deal the estimate was
    /// last mirrored onto (the job's status row, docs/hubspot.md §2.13): a deleted estimate
    /// cannot be read, so only that deal learns of its deletion.
    pub async fn sync_estimate_of(
        &self,
        id: &str,
        remembered_deal: Option<&str>,
    ) -> Result<EstimateSyncReport> {
        self.invoices.ensure_schema().await?;
        let estimate = match self
            .invoices
            .qbo
            .read_sales_doc(DocKind::Estimate, id)
            .await
        {
            Ok(e) => e,
            Err(QboError::NotFound(_)) => {
                return match remembered_deal {
                    Some(deal) => self.forget_deleted(id, deal).await,
                    None => Ok(EstimateSyncReport::skipped(
                        id,
                        "deleted in QuickBooks before it was mirrored onto a deal",
                    )),
                };
            }
            Err(e) => return Err(e.into()),
        };
        let number = estimate.doc_number.clone().unwrap_or_else(|| id.to_owned());
        let field = self.invoices.settings.deal_reference_field.as_deref();
        let Some(deal) = parse_deal_reference(&estimate, field) else {
            return Ok(EstimateSyncReport::skipped(
                &number,
                "it names no HubSpot deal (no \"HubSpot deal: <id>\" tag in its memo)",
            ));
        };
        let facts = self.facts(id, &estimate, number).await?;
        let names = estimate_deal_definitions().into_iter().map(|d| d.name);
        let shown = match self
            .invoices
            .hubspot
            .get_record(ObjectType::Deals, &deal, &GetOptions::properties(names))
            .await
        {
            Ok(shown) => shown,
            Err(HubspotError::NotFound { .. }) => {
                return Err(InvoiceSyncError::NeedsAttention(format!(
                    "QuickBooks estimate {} names HubSpot deal {deal}, which does not exist; \
                     correct the \"HubSpot deal:\" tag in the estimate's memo",
                    facts.number
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let mut notes = EstimateNotes::parse(shown.get(ESTIMATE_NOTES));
        let note = self.write_note(&deal, &facts, &mut notes).await?;
        let mut writes = PropertyWrites::new();
        let latest = is_latest(shown.get(ESTIMATE_ID), &facts.id);
        if latest {
            writes.extend(latest_estimate_properties(&facts));
        }
        writes.insert(ESTIMATE_NOTES.into(), notes.value());
        writes.retain(|name, value| shown.get(name).unwrap_or_default() != value.as_str());
        let latest_written = latest && writes.keys().any(|k| k != ESTIMATE_NOTES);
        if !writes.is_empty() {
            self.write_deal(&deal, &writes).await?;
        }
        Ok(EstimateSyncReport {
            number: facts.number.clone(),
            status: Some(facts.status),
            deal: Some(deal),
            note: Some(note),
            latest_written,
            converted_to: facts.converted_to.clone(),
            deleted: false,
            skipped: None,
        })
    }

    /// Estimate `id` was deleted in QBO (a read answers 610): the deal it was mirrored onto
    /// forgets it, gets one note saying so (only while it still remembered it, so a repeated
    /// signal adds nothing) and, when it was the deal's latest, shows the deal's next most
    /// recent live estimate, or nothing. One deal read, the note, at most one deal write, and
    /// a QBO read per newer-first candidate until one is live.
    async fn forget_deleted(&self, id: &str, deal: &str) -> Result<EstimateSyncReport> {
        let names = estimate_deal_definitions().into_iter().map(|d| d.name);
        let shown = match self
            .invoices
            .hubspot
            .get_record(ObjectType::Deals, deal, &GetOptions::properties(names))
            .await
        {
            Ok(shown) => shown,
            Err(HubspotError::NotFound { .. }) => {
                return Ok(EstimateSyncReport::skipped(
                    id,
                    &format!("deleted in QuickBooks; its deal {deal} no longer exists"),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        let mut notes = EstimateNotes::parse(shown.get(ESTIMATE_NOTES));
        let forgotten = notes.remove(id);
        let was_latest = shown.get(ESTIMATE_ID) == Some(id);
        let number = forgotten
            .as_ref()
            .and_then(|t| t.number.clone())
            .or_else(|| {
                let shown_number = shown.get(ESTIMATE_NUMBER).filter(|n| !n.is_empty());
                was_latest
                    .then_some(shown_number)
                    .flatten()
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| id.to_owned());
        let mut writes = PropertyWrites::new();
        if was_latest {
            writes.extend(match self.next_latest(deal, &notes).await? {
                Some(facts) => latest_estimate_properties(&facts),
                None => cleared_latest_properties(),
            });
        }
        // The note first, then the deal that forgets the estimate: a crash between them
        // repeats the note once, as a new estimate's note would be (docs/hubspot.md §2.13).
        let note = match forgotten {
            Some(_) => {
                self.create_note(deal, deleted_note_html(&number)).await?;
                Some(NoteChange::Created)
            }
            None => None,
        };
        writes.insert(ESTIMATE_NOTES.into(), notes.value());
        writes.retain(|name, value| shown.get(name).unwrap_or_default() != value.as_str());
        let latest_written = was_latest && writes.keys().any(|k| k != ESTIMATE_NOTES);
        if !writes.is_empty() {
            self.write_deal(deal, &writes).await?;
        }
        Ok(EstimateSyncReport {
            number,
            status: None,
            deal: Some(deal.to_owned()),
            note,
            latest_written,
            converted_to: None,
            deleted: true,
            skipped: None,
        })
    }

    /// The facts of the deal's most recent estimate still live in QBO and still naming the
    /// deal, among those it has notes for.
    async fn next_latest(
        &self,
        deal: &str,
        notes: &EstimateNotes,
    ) -> Result<Option<EstimateFacts>> {
        let field = self.invoices.settings.deal_reference_field.as_deref();
        for id in notes.newest_first() {
            let estimate = match self
                .invoices
                .qbo
                .read_sales_doc(DocKind::Estimate, &id)
                .await
            {
                Ok(estimate) => estimate,
                // Deleted too: its own job notes it.
                Err(QboError::NotFound(_)) => continue,
                Err(e) => return Err(e.into()),
            };
            if parse_deal_reference(&estimate, field).as_deref() != Some(deal) {
                continue;
            }
            let number = estimate.doc_number.clone().unwrap_or_else(|| id.clone());
            return self.facts(&id, &estimate, number).await.map(Some);
        }
        Ok(None)
    }

    /// The facts of the estimate as read; the invoice it was converted to is read for its
    /// number (one QBO read, only for a converted estimate).
    async fn facts(&self, id: &str, estimate: &Invoice, number: String) -> Result<EstimateFacts> {
        let company = self.invoices.company().await?;
        let converted_to = match converted_invoices(estimate).first() {
            None => None,
            Some(invoice) => Some(match self.invoices.qbo.read_invoice(invoice).await {
                Ok(read) => read.doc_number.unwrap_or_else(|| invoice.clone()),
                Err(QboError::NotFound(_)) => invoice.clone(),
                Err(e) => return Err(e.into()),
            }),
        };
        Ok(EstimateFacts {
            id: id.to_owned(),
            number,
            version: estimate.sync_token.clone().unwrap_or_default(),
            status: EstimateStatus::of(estimate),
            total: estimate.total_amt.unwrap_or_default(),
            currency: invoice_currency(estimate, &company),
            expires: expiration_date(estimate),
            url: estimate_url(&company.web_app_base, id),
            converted_to,
        })
    }

    /// Creates the estimate's note on the deal, or rewrites it when it shows another version.
    async fn write_note(
        &self,
        deal: &str,
        facts: &EstimateFacts,
        notes: &mut EstimateNotes,
    ) -> Result<NoteChange> {
        let body = estimate_note_html(facts);
        let hubspot = &self.invoices.hubspot;
        if let Some((note, version)) = notes.note(&facts.id) {
            if version == facts.version {
                // An older token learns the number (written with the deal's next change).
                let note = note.to_owned();
                notes.set(&facts.id, &note, &facts.version, &facts.number);
                return Ok(NoteChange::Unchanged);
            }
            let note = note.to_owned();
            let mut props = PropertyWrites::new();
            props.insert("hs_note_body".into(), body);
            match hubspot
                .update_record(ObjectType::Notes, &note, &props)
                .await
            {
                // A note someone deleted stays deleted.
                Ok(()) | Err(HubspotError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            notes.set(&facts.id, &note, &facts.version, &facts.number);
            return Ok(NoteChange::Rewritten);
        }
        let created = self.create_note(deal, body).await?;
        notes.set(&facts.id, &created, &facts.version, &facts.number);
        Ok(NoteChange::Created)
    }

    /// Writes the estimate values to `deal`. Their properties are created only when HubSpot
    /// refuses the write (400 VALIDATION_ERROR, `PROPERTY_DOESNT_EXIST` for a property the
    /// portal lacks: its first estimate; the body's form:
    /// https://developers.hubspot.com/changelog/upcoming-property-validations-rules-will-be-enforced-for-apis-and-integrations),
    /// then the write is repeated once, so a sync costs no properties read (docs/hubspot.md
    /// §2.13). Reading a property that does not exist yet just answers no value.
    async fn write_deal(&self, deal: &str, writes: &PropertyWrites) -> Result<()> {
        let hubspot = &self.invoices.hubspot;
        match hubspot.update_record(ObjectType::Deals, deal, writes).await {
            Err(HubspotError::Validation { .. }) => {
                hubspot
                    .ensure_properties(ObjectType::Deals, &estimate_deal_definitions())
                    .await?;
                Ok(hubspot
                    .update_record(ObjectType::Deals, deal, writes)
                    .await?)
            }
            other => Ok(other?),
        }
    }

    /// Creates a note on `deal` (associated inline, 214); its id.
    async fn create_note(&self, deal: &str, body: String) -> Result<String> {
        let mut props = PropertyWrites::new();
        props.insert("hs_timestamp".into(), Utc::now().to_rfc3339());
        props.insert("hs_note_body".into(), body);
        let mut input = CreateInput::new(props);
        input
            .associations
            .push(InlineAssociation::to(deal, type_ids::NOTE_TO_DEAL));
        Ok(self.invoices.hubspot.create_note(&input).await?.id)
    }
}
