//! Applies a QBO credit memo or refund receipt change: re-mirrors each invoice it credits
//! (through the invoice mirror), writes one note per deal (and contact) once, and rewrites
//! those notes in place when the form is voided, deleted or no longer applied.

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;

use super::note::{CreditEvent, CreditForm, CreditNote, Removal, credit_note_html};
use super::tokens::CreditTokens;
use crate::engine::invoicing::invoices::properties::{QBO_INVOICE_ID, QBO_PAYMENT_NOTES};
use crate::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncError, MirroredInvoice};
use crate::engine::invoicing::payments::mirror::is_voided_payment;
use crate::hubspot::associations::type_ids;
use crate::hubspot::search::{Filter, FilterGroup, Operator, SearchRequest};
use crate::hubspot::{CreateInput, InlineAssociation, ObjectType, PropertyWrites};
use crate::quickbooks::QboError;
use crate::quickbooks::entities::Payment;

type Result<T> = std::result::Result<T, InvoiceSyncError>;

/// What one credit sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreditSyncReport {
    /// QBO invoice ids whose HubSpot invoice was brought up to date.
    pub invoices: Vec<String>,
    /// Notes created (one per deal and invoice per form; none on a repeat).
    pub notes_created: usize,
    /// Notes rewritten because the form was voided, deleted or unapplied.
    pub notes_updated: usize,
    /// The QBO customers of those invoices, whose receivables follow (docs/hubspot.md §4.1).
    pub customers: Vec<String>,
    /// The HubSpot deals of those invoices, and those their mirror already refreshed.
    pub deals: Vec<String>,
    pub deals_refreshed: Vec<String>,
}

impl CreditSyncReport {
    /// Records what a re-mirrored invoice's receivables depend on.
    fn touched(&mut self, mirrored: &MirroredInvoice) {
        let customer = mirrored
            .invoice
            .as_ref()
            .and_then(|i| i.customer_ref.as_ref())
            .map(|c| c.value.clone());
        for (list, values) in [
            (
                &mut self.customers,
                customer.into_iter().collect::<Vec<_>>(),
            ),
            (&mut self.deals, mirrored.deals.clone()),
            (&mut self.deals_refreshed, mirrored.deals_refreshed.clone()),
        ] {
            for value in values {
                if !list.contains(&value) {
                    list.push(value);
                }
            }
        }
    }
}

/// Whether a payment uses a credit memo's credit (a line linking a `CreditMemo`, §4.9).
pub fn uses_credit(payment: &Payment) -> bool {
    credit_memos_of(payment).next().is_some()
}

fn credit_memos_of(payment: &Payment) -> impl Iterator<Item = &str> {
    payment
        .line
        .iter()
        .flat_map(|l| l.linked_txn.iter())
        .filter(|l| l.txn_type == "CreditMemo")
        .map(|l| l.txn_id.as_str())
}

/// The facts of the form that every note of one sync shares.
struct FormFacts {
    form: CreditForm,
    id: String,
    number: String,
    date: Option<NaiveDate>,
    /// `None`: live; else how it stopped counting.
    removed: Option<Removal>,
    /// The payments that apply a credit memo now (recorded on its invoices, so its note can
    /// say why once it is no longer applied).
    appliers: Vec<String>,
}

/// Mirrors QBO credit memos and refund receipts through an [`InvoiceMirror`].
#[derive(Debug)]
pub struct CreditMirror<'a> {
    pub invoices: &'a InvoiceMirror,
}

impl<'a> CreditMirror<'a> {
    pub fn new(invoices: &'a InvoiceMirror) -> Self {
        CreditMirror { invoices }
    }

    /// A payment that uses credit memos (its webhook, CDC or poll): each memo's sync, which
    /// reads the memo's payments itself. The payment's cash, if any, is not noted here.
    pub async fn sync_payment_credits(
        &self,
        payment: &Payment,
        today: NaiveDate,
    ) -> Result<CreditSyncReport> {
        let mut report = CreditSyncReport::default();
        let mut memos: Vec<&str> = credit_memos_of(payment).collect();
        memos.dedup();
        for memo in memos {
            let one = self.memo_with(memo, Some(payment), today).await?;
            report.invoices.extend(one.invoices);
            report.notes_created += one.notes_created;
            report.notes_updated += one.notes_updated;
        }
        Ok(report)
    }

    /// Brings HubSpot up to date with QBO credit memo `memo_id` (created, applied, voided,
    /// deleted). Safe to repeat: a note is written once and rewritten at most once.
    pub async fn sync_credit_memo(
        &self,
        memo_id: &str,
        today: NaiveDate,
    ) -> Result<CreditSyncReport> {
        self.memo_with(memo_id, None, today).await
    }

    /// As [`Self::sync_credit_memo`], with one of the memo's payments already read (`known`),
    /// so it is not read again.
    async fn memo_with(
        &self,
        memo_id: &str,
        known: Option<&Payment>,
        today: NaiveDate,
    ) -> Result<CreditSyncReport> {
        self.invoices.ensure_schema().await?;
        let memo = match self.invoices.qbo.read_credit_memo(memo_id).await {
            Ok(m) => Some(m),
            Err(QboError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let mut applied: Vec<(String, Decimal)> = Vec::new();
        let mut appliers = Vec::new();
        if let Some(m) = memo.as_ref().filter(|m| !m.is_voided()) {
            for payment_id in m.linked("Payment") {
                let before = applied.len();
                if let Some(p) = known.filter(|p| p.id.as_deref() == Some(payment_id.as_str())) {
                    applied.extend(credit_per_invoice(p, memo_id));
                } else {
                    let payment = match self.invoices.qbo.read_payment(&payment_id).await {
                        Ok(p) => p,
                        Err(QboError::NotFound(_)) => continue,
                        Err(e) => return Err(e.into()),
                    };
                    applied.extend(credit_per_invoice(&payment, memo_id));
                }
                if applied.len() > before {
                    appliers.push(payment_id);
                }
            }
        }
        let facts = FormFacts {
            form: CreditForm::CreditMemo,
            id: memo_id.to_owned(),
            number: number(memo.as_ref().and_then(|m| m.doc_number.clone()), memo_id),
            date: memo.as_ref().and_then(|m| m.txn_date),
            removed: match &memo {
                None => Some(Removal::Deleted),
                Some(m) if m.is_voided() => Some(Removal::Voided),
                Some(_) if applied.is_empty() => Some(Removal::Unapplied),
                Some(_) => None,
            },
            appliers,
        };
        self.apply(&facts, applied, today).await
    }

    /// Brings HubSpot up to date with QBO refund receipt `receipt_id`: the invoices it links
    /// (QBO changes no invoice balance for a refund, §4.9) get their note. A receipt that
    /// names no invoice is not mirrored.
    pub async fn sync_refund_receipt(
        &self,
        receipt_id: &str,
        today: NaiveDate,
    ) -> Result<CreditSyncReport> {
        self.invoices.ensure_schema().await?;
        let receipt = match self.invoices.qbo.read_refund_receipt(receipt_id).await {
            Ok(r) => Some(r),
            Err(QboError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let mut applied = Vec::new();
        if let Some(r) = receipt.as_ref().filter(|r| !r.is_voided()) {
            let invoices = r.linked("Invoice");
            // The whole refund on its one invoice; split evenly is no better a guess, so
            // several invoices each show the receipt's total (UNVERIFIED, §4.9).
            for invoice in invoices {
                applied.push((invoice, r.total_amt.unwrap_or_default()));
            }
        }
        let facts = FormFacts {
            form: CreditForm::RefundReceipt,
            id: receipt_id.to_owned(),
            number: number(
                receipt.as_ref().and_then(|r| r.doc_number.clone()),
                receipt_id,
            ),
            date: receipt.as_ref().and_then(|r| r.txn_date),
            removed: match &receipt {
                None => Some(Removal::Deleted),
                Some(r) if r.is_voided() => Some(Removal::Voided),
                Some(_) => None,
            },
            appliers: Vec::new(),
        };
        self.apply(&facts, applied, today).await
    }

    /// Re-mirrors the invoices the form applies to and notes them once; when it no longer
    /// counts, the invoices it was noted on (found by their token) are re-mirrored and their
    /// notes rewritten.
    async fn apply(
        &self,
        facts: &FormFacts,
        applied: Vec<(String, Decimal)>,
        today: NaiveDate,
    ) -> Result<CreditSyncReport> {
        let mut report = CreditSyncReport::default();
        for (invoice_id, amount) in applied {
            let mirrored = self.invoices.sync_invoice(&invoice_id, today).await?;
            report.touched(&mirrored);
            report.invoices.push(invoice_id);
            self.note_applied(&mirrored, facts, amount, &mut report)
                .await?;
        }
        if let Some(how) = facts.removed {
            for qbo_id in self.noted_invoices(facts).await? {
                let mirrored = self.invoices.sync_invoice(&qbo_id, today).await?;
                report.touched(&mirrored);
                report.invoices.push(qbo_id);
                let how = match how {
                    Removal::Unapplied => self.why_unapplied(&mirrored, facts).await?,
                    other => other,
                };
                self.note_removed(&mirrored, facts, how, &mut report)
                    .await?;
            }
        }
        Ok(report)
    }

    /// The QBO ids of the invoices the form's notes were written on. Search is eventually
    /// consistent (docs/hubspot.md §2.4): a note written a moment ago may be missed once and
    /// found by the next signal.
    async fn noted_invoices(&self, facts: &FormFacts) -> Result<Vec<String>> {
        let request = SearchRequest {
            filter_groups: vec![FilterGroup {
                filters: vec![Filter::compare(
                    QBO_PAYMENT_NOTES,
                    Operator::ContainsToken,
                    CreditTokens::noted_token(facts.form, &facts.id),
                )],
            }],
            properties: vec![QBO_INVOICE_ID.into(), QBO_PAYMENT_NOTES.into()],
            ..SearchRequest::default()
        };
        let found = self.invoices.hubspot.search_invoices(&request).await?;
        Ok(found
            .results
            .into_iter()
            .filter(|hs| CreditTokens::of(&hs.properties).noted(facts.form, &facts.id))
            .filter_map(|hs| hs.get(QBO_INVOICE_ID).map(str::to_owned))
            .collect())
    }

    /// Why a credit memo noted on this invoice is no longer applied: a payment recorded as
    /// applying it was voided or deleted (one payment read each), else just unapplied.
    async fn why_unapplied(
        &self,
        mirrored: &MirroredInvoice,
        facts: &FormFacts,
    ) -> Result<Removal> {
        let tokens = CreditTokens::of(&mirrored.properties);
        if tokens.removal_noted(facts.form, &facts.id) {
            // Already rewritten: nothing to decide (note_removed writes nothing).
            return Ok(Removal::Unapplied);
        }
        for payment in tokens.applied_by(&facts.id) {
            match self.invoices.qbo.read_payment(&payment).await {
                Ok(p) if is_voided_payment(&p) => {
                    return Ok(Removal::PaymentRemoved { deleted: false });
                }
                Ok(_) => {}
                Err(QboError::NotFound(_)) => {
                    return Ok(Removal::PaymentRemoved { deleted: true });
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Removal::Unapplied)
    }

    async fn note_applied(
        &self,
        mirrored: &MirroredInvoice,
        facts: &FormFacts,
        amount: Decimal,
        report: &mut CreditSyncReport,
    ) -> Result<()> {
        let Some(invoice_id) = &mirrored.hubspot_id else {
            return Ok(());
        };
        let mut tokens = CreditTokens::of(&mirrored.properties);
        let new_appliers = facts.form == CreditForm::CreditMemo
            && tokens.add_applied_by(&facts.id, &facts.appliers);
        if tokens.noted(facts.form, &facts.id) {
            return match new_appliers {
                true => self.save(invoice_id, &tokens).await,
                false => Ok(()),
            };
        }
        let body = credit_note_html(&note(mirrored, facts, CreditEvent::Applied, Some(amount)));
        let mut written = Vec::new();
        for deal in &mirrored.deals {
            let mut props = PropertyWrites::new();
            props.insert("hs_timestamp".into(), Utc::now().to_rfc3339());
            props.insert("hs_note_body".into(), body.clone());
            let mut input = CreateInput::new(props);
            input
                .associations
                .push(InlineAssociation::to(deal, type_ids::NOTE_TO_DEAL));
            if let Some(contact) = &mirrored.contact {
                input
                    .associations
                    .push(InlineAssociation::to(contact, type_ids::NOTE_TO_CONTACT));
            }
            if let Some(company) = &mirrored.company {
                input
                    .associations
                    .push(InlineAssociation::to(company, type_ids::NOTE_TO_COMPANY));
            }
            written.push(self.invoices.hubspot.create_note(&input).await?.id);
        }
        report.notes_created += written.len();
        tokens.set_noted(facts.form, &facts.id, &written);
        self.save(invoice_id, &tokens).await
    }

    async fn note_removed(
        &self,
        mirrored: &MirroredInvoice,
        facts: &FormFacts,
        how: Removal,
        report: &mut CreditSyncReport,
    ) -> Result<()> {
        let Some(invoice_id) = &mirrored.hubspot_id else {
            return Ok(());
        };
        let mut tokens = CreditTokens::of(&mirrored.properties);
        if !tokens.noted(facts.form, &facts.id) || tokens.removal_noted(facts.form, &facts.id) {
            return Ok(());
        }
        let body = credit_note_html(&note(mirrored, facts, CreditEvent::Removed { how }, None));
        for note_id in tokens.notes(facts.form, &facts.id) {
            let mut props = PropertyWrites::new();
            props.insert("hs_note_body".into(), body.clone());
            match self
                .invoices
                .hubspot
                .update_record(ObjectType::Notes, &note_id, &props)
                .await
            {
                // A note someone deleted stays deleted.
                Ok(()) | Err(crate::hubspot::HubspotError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            report.notes_updated += 1;
        }
        tokens.set_removal_noted(facts.form, &facts.id);
        self.save(invoice_id, &tokens).await
    }

    async fn save(&self, invoice_id: &str, tokens: &CreditTokens) -> Result<()> {
        let mut record = PropertyWrites::new();
        record.insert(QBO_PAYMENT_NOTES.into(), tokens.value());
        self.invoices
            .hubspot
            .update_invoice(invoice_id, &record)
            .await?;
        Ok(())
    }
}

/// The memo's credit in `payment`, spread over the payment's invoice lines in order.
fn credit_per_invoice(payment: &Payment, memo_id: &str) -> Vec<(String, Decimal)> {
    let mut credit: Decimal = payment
        .line
        .iter()
        .filter(|l| {
            l.linked_txn
                .iter()
                .any(|t| t.txn_type == "CreditMemo" && t.txn_id == memo_id)
        })
        .filter_map(|l| l.amount)
        .sum();
    let mut out = Vec::new();
    for (invoice, amount) in payment.applied_invoices() {
        if credit <= Decimal::ZERO {
            break;
        }
        let take = amount.unwrap_or_default().min(credit);
        if take > Decimal::ZERO {
            out.push((invoice.to_owned(), take));
            credit -= take;
        }
    }
    out
}

fn number(doc_number: Option<String>, id: &str) -> String {
    doc_number.unwrap_or_else(|| id.to_owned())
}

fn note(
    mirrored: &MirroredInvoice,
    facts: &FormFacts,
    event: CreditEvent,
    amount: Option<Decimal>,
) -> CreditNote {
    let invoice = mirrored.invoice.as_ref();
    CreditNote {
        form: facts.form,
        event,
        number: facts.number.clone(),
        amount,
        currency: mirrored.currency.clone(),
        date: facts.date,
        invoice_number: invoice
            .and_then(|i| i.doc_number.clone().or_else(|| i.id.clone()))
            .or_else(|| mirrored.properties.get(QBO_INVOICE_ID).cloned())
            .unwrap_or_default(),
        remaining_balance: invoice.and_then(|i| i.balance).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quickbooks::entities::{Line, LinkedTxn, Ref};

    fn line(amount: i64, txn_type: &str, id: &str) -> Line {
        Line {
            amount: Some(Decimal::from(amount)),
            linked_txn: vec![LinkedTxn {
                txn_id: id.into(),
                txn_type: txn_type.into(),
                ..LinkedTxn::default()
            }],
            ..Line::default()
        }
    }

    #[test]
    fn a_memos_credit_is_spread_over_the_payments_invoices_in_order() {
        let payment = Payment {
            customer_ref: Some(Ref::to("1")),
            line: vec![
                line(20, "Invoice", "10"),
                line(50, "Invoice", "11"),
                line(30, "CreditMemo", "5"),
                line(5, "CreditMemo", "6"),
            ],
            ..Payment::default()
        };
        assert!(uses_credit(&payment));
        assert_eq!(
            credit_per_invoice(&payment, "5"),
            [
                ("10".to_owned(), Decimal::from(20)),
                ("11".to_owned(), Decimal::from(10))
            ]
        );
        assert!(credit_per_invoice(&payment, "7").is_empty());
        assert!(!uses_credit(&Payment {
            line: vec![line(20, "Invoice", "10")],
            ..Payment::default()
        }));
    }
}
