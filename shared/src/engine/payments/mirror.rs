//! Applies a QBO payment event: re-syncs each invoice it paid (balance, status, deal
//! properties) and adds the deal notes once, remembered as tokens on the HubSpot invoice.

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;

use super::note::{PaymentEvent, PaymentNote, payment_note_html};
use crate::engine::invoices::mirror::payment_note_tokens;
use crate::engine::invoices::properties::{QBO_INVOICE_ID, QBO_PAYMENT_NOTES, invoice_currency};
use crate::engine::invoices::{InvoiceMirror, InvoiceSyncError, MirroredInvoice};
use crate::hubspot::associations::type_ids;
use crate::hubspot::search::{Filter, FilterGroup, Operator, SearchRequest};
use crate::hubspot::{CreateInput, InlineAssociation, ObjectType, PropertyWrites};
use crate::quickbooks::QboError;
use crate::quickbooks::entities::Payment;

type Result<T> = std::result::Result<T, InvoiceSyncError>;

/// What one payment sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentSyncReport {
    /// QBO invoice ids whose HubSpot invoice was brought up to date.
    pub invoices: Vec<String>,
    /// Notes created (one per deal per invoice per event; none on a repeat).
    pub notes_created: usize,
}

/// Mirrors QBO payments through an [`InvoiceMirror`].
#[derive(Debug)]
pub struct PaymentMirror<'a> {
    pub invoices: &'a InvoiceMirror,
}

/// A voided payment comes back zeroed, without lines, "Voided" in PrivateNote (§5.5).
/// UNVERIFIED (quickbooks-api.md §7): no explicit void marker exists.
pub fn is_voided_payment(payment: &Payment) -> bool {
    payment.total_amt.unwrap_or_default().is_zero()
        && payment.line.is_empty()
        && payment
            .private_note
            .as_deref()
            .is_some_and(|n| n.starts_with("Voided"))
}

impl<'a> PaymentMirror<'a> {
    pub fn new(invoices: &'a InvoiceMirror) -> Self {
        PaymentMirror { invoices }
    }

    /// Brings HubSpot up to date with QBO payment `payment_id` (created, updated, voided or
    /// deleted). Safe to repeat: notes already written are not written again.
    pub async fn sync_payment(
        &self,
        payment_id: &str,
        today: NaiveDate,
    ) -> Result<PaymentSyncReport> {
        self.invoices.ensure_schema().await?;
        let payment = match self.invoices.qbo.read::<Payment>(payment_id).await {
            Ok(p) => Some(p),
            Err(QboError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        match payment {
            Some(p) if !is_voided_payment(&p) => self.received(&p, today).await,
            other => {
                let deleted = other.is_none();
                self.removed(payment_id, other.as_ref(), deleted, today)
                    .await
            }
        }
    }

    async fn received(&self, payment: &Payment, today: NaiveDate) -> Result<PaymentSyncReport> {
        let payment_id = payment.id.clone().unwrap_or_default();
        let mut report = PaymentSyncReport::default();
        let applied: Vec<(String, Option<Decimal>)> = payment
            .applied_invoices()
            .map(|(id, amount)| (id.to_owned(), amount))
            .collect();
        for (invoice_id, amount) in applied {
            let mirrored = self.invoices.sync_invoice(&invoice_id, today).await?;
            report.invoices.push(invoice_id);
            let note = |m: &MirroredInvoice| PaymentNote {
                event: PaymentEvent::Received,
                payment_id: payment_id.clone(),
                amount,
                currency: m.invoice.as_ref().map(invoice_currency).unwrap_or_default(),
                date: payment.txn_date,
                method: payment
                    .payment_method_ref
                    .as_ref()
                    .map(|r| r.name.clone().unwrap_or_else(|| r.value.clone())),
                reference: payment.payment_ref_num.clone(),
                invoice_number: invoice_number(m),
                remaining_balance: m
                    .invoice
                    .as_ref()
                    .and_then(|i| i.balance)
                    .unwrap_or_default(),
            };
            report.notes_created += self.note_once(&mirrored, note(&mirrored)).await?;
        }
        Ok(report)
    }

    async fn removed(
        &self,
        payment_id: &str,
        payment: Option<&Payment>,
        deleted: bool,
        today: NaiveDate,
    ) -> Result<PaymentSyncReport> {
        let mut report = PaymentSyncReport::default();
        // The payment's lines are gone; the invoices it was noted on remember it.
        // Search is eventually consistent (hubspot-api.md §2.4): a very recent note may be
        // missed here and then the retry finds it.
        let request = SearchRequest {
            filter_groups: vec![FilterGroup {
                filters: vec![Filter::compare(
                    QBO_PAYMENT_NOTES,
                    Operator::ContainsToken,
                    PaymentEvent::Received.token(payment_id),
                )],
            }],
            properties: vec![QBO_INVOICE_ID.into(), QBO_PAYMENT_NOTES.into()],
            ..SearchRequest::default()
        };
        let found = self
            .invoices
            .hubspot
            .search_all(ObjectType::Invoices, &request)
            .await?;
        for hs in found.results {
            let Some(qbo_id) = hs.get(QBO_INVOICE_ID).map(str::to_owned) else {
                continue;
            };
            let mirrored = self.invoices.sync_invoice(&qbo_id, today).await?;
            report.invoices.push(qbo_id);
            let note = PaymentNote {
                event: PaymentEvent::Removed { deleted },
                payment_id: payment_id.to_owned(),
                amount: None,
                currency: mirrored
                    .invoice
                    .as_ref()
                    .map(invoice_currency)
                    .unwrap_or_default(),
                date: payment.and_then(|p| p.txn_date),
                method: None,
                reference: payment.and_then(|p| p.payment_ref_num.clone()),
                invoice_number: invoice_number(&mirrored),
                remaining_balance: mirrored
                    .invoice
                    .as_ref()
                    .and_then(|i| i.balance)
                    .unwrap_or_default(),
            };
            report.notes_created += self.note_once(&mirrored, note).await?;
        }
        Ok(report)
    }

    /// Adds the note to each deal of the invoice unless its token is already recorded, then
    /// records the token. A crash between the two can repeat a note once (at least once).
    async fn note_once(&self, mirrored: &MirroredInvoice, note: PaymentNote) -> Result<usize> {
        let Some(invoice_id) = &mirrored.hubspot_id else {
            return Ok(0);
        };
        let token = note.event.token(&note.payment_id);
        let mut tokens = payment_note_tokens(&mirrored.properties);
        if tokens.contains(&token) {
            return Ok(0);
        }
        let hubspot = &self.invoices.hubspot;
        let deals = self
            .invoices
            .associated(ObjectType::Invoices, invoice_id, ObjectType::Deals)
            .await?;
        for deal in &deals {
            let mut props = PropertyWrites::new();
            props.insert("hs_timestamp".into(), Utc::now().to_rfc3339());
            props.insert("hs_note_body".into(), payment_note_html(&note));
            let mut input = CreateInput::new(props);
            input
                .associations
                .push(InlineAssociation::to(deal, type_ids::NOTE_TO_DEAL));
            hubspot.create_object(ObjectType::Notes, &input).await?;
        }
        tokens.push(token);
        let mut record = PropertyWrites::new();
        record.insert(QBO_PAYMENT_NOTES.into(), tokens.join(" "));
        hubspot
            .update_object(ObjectType::Invoices, invoice_id, &record, None)
            .await?;
        Ok(deals.len())
    }
}

fn invoice_number(m: &MirroredInvoice) -> String {
    m.invoice
        .as_ref()
        .and_then(|i| i.doc_number.clone().or_else(|| i.id.clone()))
        .or_else(|| m.properties.get(QBO_INVOICE_ID).cloned())
        .unwrap_or_default()
}
