//! Applies a QBO payment event: re-syncs each invoice it paid (balance, status, deal
//! properties), adds the deal notes once and, where the portal allows, one HubSpot payment
//! record per invoice paid; all remembered as tokens on the HubSpot invoice.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};

use super::capability::PaymentRecordsCapability;
use super::cash::has_cash;
use super::group::deal_note;
use super::note::{PaymentEvent, PaymentNote, payment_note_html};
use super::records::{PaymentRecordFacts, payment_record_properties};
use super::report_lists::add_once;
use super::tokens::PaymentTokens;
use crate::engine::invoicing::credits::{
    CreditForm, CreditMirror, CreditSyncReport, CreditTokens, uses_credit,
};
use crate::engine::invoicing::invoices::properties::{QBO_INVOICE_ID, QBO_PAYMENT_NOTES};
use crate::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncError, MirroredInvoice};
use crate::engine::invoicing::receivables::refresh::KnownRecords;
use crate::hubspot::associations::type_ids;
use crate::hubspot::search::{Filter, FilterGroup, Operator, SearchRequest};
use crate::hubspot::{CreateInput, HubspotError, InlineAssociation, ObjectType, PropertyWrites};
use crate::model::CustomerModel;
use crate::quickbooks::QboError;
use crate::quickbooks::entities::Payment;

type Result<T> = std::result::Result<T, InvoiceSyncError>;

/// What one payment sync did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PaymentSyncReport {
    /// QBO invoice ids whose HubSpot invoice was brought up to date.
    pub invoices: Vec<String>,
    /// Their numbers as people know them (DocNumber, else the Id), in the same order.
    pub invoice_numbers: Vec<String>,
    /// Notes created (one per deal per invoice per event; none on a repeat).
    pub notes_created: usize,
    /// HubSpot payment records created (one per invoice paid; none on a repeat).
    pub records_created: usize,
    /// HubSpot payment records archived because the QBO payment was voided or deleted.
    pub records_archived: usize,
    /// A record create was refused: the portal cannot record payments (remembered).
    pub records_refused: bool,
    /// The QBO customers and HubSpot deals of the invoices touched, whose receivables follow
    /// (docs/hubspot.md §4.1).
    pub customers: Vec<String>,
    pub deals: Vec<String>,
    /// The deals among `deals` whose receivables the invoice syncs already refreshed.
    pub deals_refreshed: Vec<String>,
    /// Whether the payment moves (or, voided or deleted, may move) its customer's last payment:
    /// it brings money; a payment that only applies credit does not (docs/hubspot.md §4.1).
    pub moves_last_payment: bool,
    /// The `customers`' HubSpot records as the invoice pass read them
    /// (`MirroredInvoice::customer_record`), so the receivables pass need not read them again
    /// (docs/hubspot.md §9.5).
    pub customer_records: KnownRecords,
}

/// What [`PaymentMirror::sync_group`] did: one answer per payment, one per credit form.
#[derive(Debug)]
pub struct GroupAnswers {
    pub payments: Vec<Result<PaymentSyncReport>>,
    pub forms: Vec<Result<CreditSyncReport>>,
}

/// Whose credit a plan of the group's credit pass is: a form job's, or a payment's.
enum CreditOwner {
    Form(usize),
    Payment(String),
}

/// A crediting payment's report: its cash part's, with what its memos' credit did (the
/// customers and deals whose receivables follow, docs/hubspot.md §4.1).
fn with_credit(
    mut report: PaymentSyncReport,
    credit: CreditSyncReport,
    payment: &Payment,
) -> PaymentSyncReport {
    for invoice in credit.invoices {
        if !report.invoices.contains(&invoice) {
            report.invoice_numbers.push(invoice.clone());
            report.invoices.push(invoice);
        }
    }
    report.notes_created += credit.notes_created;
    add_once(&mut report.customers, credit.customers);
    add_once(&mut report.deals, credit.deals);
    add_once(&mut report.deals_refreshed, credit.deals_refreshed);
    report.moves_last_payment = has_cash(payment);
    report
}

/// Mirrors QBO payments through an [`InvoiceMirror`].
#[derive(Debug)]
pub struct PaymentMirror<'a> {
    pub invoices: &'a InvoiceMirror,
    /// `Some`: also create HubSpot payment records where this says the portal may allow it.
    /// Records already created are archived on void/delete either way.
    pub records: Option<&'a PaymentRecordsCapability>,
}

/// A voided payment comes back zeroed, without lines, "Voided" in PrivateNote (§5.5).
/// UNVERIFIED (docs/quickbooks.md §7): no explicit void marker exists.
pub fn is_voided_payment(payment: &Payment) -> bool {
    payment.total_amt.unwrap_or_default().is_zero()
        && payment.line.is_empty()
        && payment
            .private_note
            .as_deref()
            .is_some_and(|n| n.starts_with("Voided"))
}

impl<'a> PaymentMirror<'a> {
    /// Notes and invoice properties only (no payment records are created).
    pub fn new(invoices: &'a InvoiceMirror) -> Self {
        PaymentMirror {
            invoices,
            records: None,
        }
    }

    /// Also creates HubSpot payment records where the portal allows it, as `capability` has
    /// found (pass the same one for every call of a connection).
    pub fn with_records(
        invoices: &'a InvoiceMirror,
        capability: &'a PaymentRecordsCapability,
    ) -> Self {
        PaymentMirror {
            invoices,
            records: Some(capability),
        }
    }

    /// Brings HubSpot up to date with QBO payment `payment_id` (created, updated, voided or
    /// deleted). Safe to repeat: notes and payment records already written are not written
    /// again.
    pub async fn sync_payment(
        &self,
        payment_id: &str,
        today: NaiveDate,
    ) -> Result<PaymentSyncReport> {
        let mut answers = self.sync_payments(&[payment_id.to_owned()], today).await?;
        answers.pop().expect("one answer per payment")
    }

    /// Brings HubSpot up to date with QBO payments `ids` (one job group), one answer per id in
    /// order ([`Self::sync_group`] without credit forms).
    pub async fn sync_payments(
        &self,
        ids: &[String],
        today: NaiveDate,
    ) -> Result<Vec<Result<PaymentSyncReport>>> {
        Ok(self.sync_group(ids, &[], today).await?.payments)
    }

    /// Brings HubSpot up to date with the payment jobs of one group: QBO payments `ids` and the
    /// credit memos and refund receipts `forms`, one answer each in order. The received money
    /// is applied in one pass (`group.rs`: the invoices mirrored as one group, one notes batch
    /// create, one token batch update), the credit (the forms, and the memos the payments
    /// apply) in one credit pass (`credits/group.rs`); voided and deleted payments one at a
    /// time. A repeated id is applied once; its later copies answer an empty report. `Err`: a
    /// failure of the whole group.
    pub async fn sync_group(
        &self,
        ids: &[String],
        forms: &[(CreditForm, String)],
        today: NaiveDate,
    ) -> Result<GroupAnswers> {
        self.invoices.ensure_schema().await?;
        let credits = CreditMirror::new(self.invoices);
        let mut answers: BTreeMap<String, Result<PaymentSyncReport>> = BTreeMap::new();
        let mut received: Vec<Payment> = Vec::new();
        let mut crediting: Vec<Payment> = Vec::new();
        for id in ids {
            let seen = |p: &Payment| p.id.as_ref() == Some(id);
            if answers.contains_key(id) || received.iter().any(seen) || crediting.iter().any(seen) {
                continue;
            }
            let payment = match self.invoices.qbo.read_payment(id).await {
                Ok(mut p) => {
                    p.id = Some(id.clone());
                    Some(p)
                }
                Err(QboError::NotFound(_)) => None,
                Err(e) => {
                    answers.insert(id.clone(), Err(e.into()));
                    continue;
                }
            };
            match payment {
                // A payment that uses a credit memo's credit is the memo's application (§4.9);
                // the money it brings besides is a payment like any other (cash.rs).
                Some(p) if uses_credit(&p) => {
                    if has_cash(&p) {
                        received.push(p.clone());
                    }
                    crediting.push(p);
                }
                Some(p) if !is_voided_payment(&p) => received.push(p),
                other => {
                    let deleted = other.is_none();
                    let answer = self.removed(id, other.as_ref(), deleted, today).await;
                    answers.insert(id.clone(), answer);
                }
            }
        }

        // The credit pass: the forms, then the memos each crediting payment applies.
        let mut plans = Vec::new();
        let mut owners = Vec::new();
        let mut form_answers: Vec<Option<Result<CreditSyncReport>>> =
            forms.iter().map(|_| None).collect();
        for (j, (form, id)) in forms.iter().enumerate() {
            match credits.form_plan(*form, id).await {
                Ok(plan) => {
                    plans.push(plan);
                    owners.push(CreditOwner::Form(j));
                }
                Err(e) => form_answers[j] = Some(Err(e)),
            }
        }
        let mut credited: BTreeMap<String, Result<CreditSyncReport>> = BTreeMap::new();
        for payment in &crediting {
            let id = payment.id.clone().unwrap_or_default();
            match credits.payment_plans(payment).await {
                Ok(mine) => {
                    owners.extend(mine.iter().map(|_| CreditOwner::Payment(id.clone())));
                    plans.extend(mine);
                    credited.insert(id, Ok(CreditSyncReport::default()));
                }
                Err(e) => {
                    credited.insert(id, Err(e));
                }
            }
        }
        let applied = match plans.is_empty() {
            true => Vec::new(),
            false => credits.apply_all(&plans, today).await?,
        };
        for (owner, answer) in owners.into_iter().zip(applied) {
            match owner {
                CreditOwner::Form(j) => form_answers[j] = Some(answer),
                CreditOwner::Payment(id) => {
                    let so_far = credited
                        .entry(id)
                        .or_insert(Ok(CreditSyncReport::default()));
                    match (so_far, answer) {
                        (Ok(report), Ok(more)) => report.add(more),
                        (so_far @ Ok(_), Err(e)) => *so_far = Err(e),
                        (Err(_), _) => {}
                    }
                }
            }
        }

        // The money pass: the received payments and the crediting payments' cash.
        let mut cash: BTreeMap<String, Result<PaymentSyncReport>> = BTreeMap::new();
        if !received.is_empty() {
            let together = self.received_together(&received, today).await?;
            for (payment, answer) in received.iter().zip(together) {
                cash.insert(payment.id.clone().unwrap_or_default(), answer);
            }
        }
        for payment in &crediting {
            let id = payment.id.clone().unwrap_or_default();
            let money = cash.remove(&id).unwrap_or(Ok(PaymentSyncReport::default()));
            let credit = credited
                .remove(&id)
                .unwrap_or(Ok(CreditSyncReport::default()));
            let answer = match (money, credit) {
                (Ok(report), Ok(credit)) => Ok(with_credit(report, credit, payment)),
                (Err(e), _) | (_, Err(e)) => Err(e),
            };
            answers.insert(id, answer);
        }
        answers.extend(cash);
        Ok(GroupAnswers {
            payments: ids
                .iter()
                .map(|id| {
                    answers
                        .remove(id)
                        .unwrap_or_else(|| Ok(PaymentSyncReport::default()))
                })
                .collect(),
            forms: form_answers
                .into_iter()
                .map(|a| a.expect("every form is answered"))
                .collect(),
        })
    }

    async fn removed(
        &self,
        payment_id: &str,
        payment: Option<&Payment>,
        deleted: bool,
        today: NaiveDate,
    ) -> Result<PaymentSyncReport> {
        let mut report = PaymentSyncReport {
            moves_last_payment: true,
            ..PaymentSyncReport::default()
        };
        // The payment's lines are gone; the invoices it was noted on remember it.
        // Search is eventually consistent (docs/hubspot.md §2.4): a note written a moment
        // before the void or deletion may be missed, and nothing signals it again (§2.4).
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
        let found = self.invoices.hubspot.search_invoices(&request).await?;
        let mut memos: Vec<String> = Vec::new();
        for hs in found.results {
            let Some(qbo_id) = hs.get(QBO_INVOICE_ID).map(str::to_owned) else {
                continue;
            };
            let mut mirrored = self.invoices.sync_invoice(&qbo_id, today).await?;
            report.invoices.push(qbo_id);
            report.invoice_numbers.push(invoice_number(&mirrored));
            let note = PaymentNote {
                event: PaymentEvent::Removed { deleted },
                payment_id: payment_id.to_owned(),
                amount: None,
                currency: mirrored.currency.clone(),
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
            for memo in CreditTokens::of(&mirrored.properties).memos_applied_by(payment_id) {
                if !memos.contains(&memo) {
                    memos.push(memo);
                }
            }
            self.apply_removal(&mut mirrored, note, &mut report).await?;
        }
        // Credit memos it applied besides its money: their notes say it was voided too, now
        // rather than when the memos' own changes arrive (credits::mirror, either order).
        for memo in memos {
            let credits = CreditMirror::new(self.invoices)
                .sync_credit_memo(&memo, today)
                .await?;
            report.notes_created += credits.notes_created;
        }
        Ok(report)
    }

    /// A voided or deleted payment on one invoice it was noted on: the note to each deal of the
    /// invoice unless its token is recorded, the payment record archived unless its token is
    /// gone, then the tokens in one invoice update. A crash before that update can repeat a note
    /// once (at least once); a failed archive still records the note token first.
    async fn apply_removal(
        &self,
        mirrored: &mut MirroredInvoice,
        note: PaymentNote,
        report: &mut PaymentSyncReport,
    ) -> Result<()> {
        crate::engine::invoicing::receivables::refresh::note_touched(
            mirrored,
            &mut report.customers,
            &mut report.deals,
            &mut report.deals_refreshed,
        );
        let Some(invoice_id) = &mirrored.hubspot_id else {
            return Ok(());
        };
        let before = PaymentTokens::of(&mirrored.properties);
        let mut tokens = before.clone();
        let token = note.event.token(&note.payment_id);
        if !tokens.contains(&token) {
            report.notes_created += self.write_notes(&mirrored.deals, &note).await?;
            tokens.insert(token);
        }
        let stepped = self
            .archive_record(&note.payment_id, &mut tokens, report)
            .await;
        if tokens != before {
            let saved = self.save_tokens(invoice_id, &tokens).await;
            if saved.is_ok() {
                mirrored
                    .properties
                    .insert(QBO_PAYMENT_NOTES.into(), tokens.value());
            }
            stepped?;
            return saved;
        }
        stepped
    }

    /// One note per deal of the invoice (the deals the invoice sync just saw).
    async fn write_notes(&self, deals: &[String], note: &PaymentNote) -> Result<usize> {
        let stamp = Utc::now().to_rfc3339();
        let body = payment_note_html(note);
        for deal in deals {
            self.invoices
                .hubspot
                .create_note(&deal_note(deal, &body, &stamp))
                .await?;
        }
        Ok(deals.len())
    }

    /// The create of the payment record of `facts` on the mirrored invoice: associated with the
    /// invoice, its contact and, under the company model, its company (docs/admin.md §6); those
    /// this sync did not resolve are read.
    pub(super) async fn record_input(
        &self,
        mirrored: &MirroredInvoice,
        invoice_id: &str,
        facts: &PaymentRecordFacts,
    ) -> Result<CreateInput> {
        let contacts = match &mirrored.contact {
            Some(contact) => vec![contact.clone()],
            None => {
                self.invoices
                    .associated(ObjectType::Invoices, invoice_id, ObjectType::Contacts)
                    .await?
            }
        };
        let mut input = CreateInput::new(payment_record_properties(facts));
        input.associations.push(InlineAssociation::to(
            invoice_id,
            type_ids::PAYMENT_TO_INVOICE,
        ));
        if let Some(contact) = contacts.first() {
            input
                .associations
                .push(InlineAssociation::to(contact, type_ids::PAYMENT_TO_CONTACT));
        }
        // Only under the company model is the invoice's company read when this sync did not
        // resolve it.
        let company = match &mirrored.company {
            Some(company) => Some(company.clone()),
            None if self.invoices.settings.customer_model == CustomerModel::Company => self
                .invoices
                .associated(ObjectType::Invoices, invoice_id, ObjectType::Companies)
                .await?
                .into_iter()
                .next(),
            None => None,
        };
        if let Some(company) = company {
            input
                .associations
                .push(InlineAssociation::to(company, type_ids::PAYMENT_TO_COMPANY));
        }
        Ok(input)
    }

    /// Archives the payment record created for `payment_id` (HubSpot keeps it in the recycle
    /// bin for 90 days, §2.9), then forgets it. Archive rather than `refunded`: the QBO
    /// payment was voided or deleted (it never happened), not paid back.
    async fn archive_record(
        &self,
        payment_id: &str,
        tokens: &mut PaymentTokens,
        report: &mut PaymentSyncReport,
    ) -> Result<()> {
        let Some(record) = tokens.record_of(payment_id).map(str::to_owned) else {
            return Ok(());
        };
        match self.invoices.hubspot.archive_payment_record(&record).await {
            Ok(()) | Err(HubspotError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        tokens.remove_record(payment_id);
        report.records_archived += 1;
        Ok(())
    }

    async fn save_tokens(&self, invoice_id: &str, tokens: &PaymentTokens) -> Result<()> {
        let mut record = PropertyWrites::new();
        record.insert(QBO_PAYMENT_NOTES.into(), tokens.value());
        self.invoices
            .hubspot
            .update_invoice(invoice_id, &record)
            .await?;
        Ok(())
    }
}

pub(super) fn invoice_number(m: &MirroredInvoice) -> String {
    m.invoice
        .as_ref()
        .and_then(|i| i.doc_number.clone().or_else(|| i.id.clone()))
        .or_else(|| m.properties.get(QBO_INVOICE_ID).cloned())
        .unwrap_or_default()
}
