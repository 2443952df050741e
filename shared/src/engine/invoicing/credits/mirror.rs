//! Applies a QBO credit memo or refund receipt change: re-mirrors each invoice it credits
//! (through the invoice mirror), writes one note per deal (and contact) once, and rewrites
//! those notes in place when the form is voided, deleted or no longer applied.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::note::{CreditEvent, CreditForm, CreditNote, Removal};
use super::tokens::CreditTokens;
use crate::engine::invoicing::invoices::properties::{QBO_INVOICE_ID, QBO_PAYMENT_NOTES};
use crate::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncError, MirroredInvoice};
use crate::engine::invoicing::payments::mirror::is_voided_payment;
use crate::engine::invoicing::payments::report_lists::add_once;
use crate::engine::invoicing::receivables::refresh::moves_receivables;
use crate::hubspot::search::{Filter, FilterGroup, Operator, SearchRequest};
use crate::quickbooks::QboError;
use crate::quickbooks::entities::{CreditMemo, Payment};

type Result<T> = std::result::Result<T, InvoiceSyncError>;

/// Reads of a credit memo per sync when it reads live but unapplied (memo_plan): the first,
/// and re-reads while it keeps changing under the sync.
const MEMO_READ_ROUNDS: u32 = 3;

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
    /// Records what a re-mirrored invoice's receivables depend on (docs/hubspot.md §4.1): its
    /// customer and deals only when this mirror moved them (`moves_receivables`); an unchanged
    /// invoice's were refreshed by whoever mirrored the change (a credit never moves the last
    /// payment).
    pub(super) fn touched(&mut self, mirrored: &MirroredInvoice) {
        if !moves_receivables(mirrored.outcome) {
            return;
        }
        let customer = mirrored
            .invoice
            .as_ref()
            .and_then(|i| i.customer_ref.as_ref())
            .map(|c| c.value.clone());
        add_once(&mut self.customers, customer);
        add_once(&mut self.deals, mirrored.deals.iter().cloned());
        add_once(
            &mut self.deals_refreshed,
            mirrored.deals_refreshed.iter().cloned(),
        );
    }

    /// Adds `other` (another form of the same sync) to this report.
    pub(crate) fn add(&mut self, other: CreditSyncReport) {
        self.invoices.extend(other.invoices);
        self.notes_created += other.notes_created;
        self.notes_updated += other.notes_updated;
        add_once(&mut self.customers, other.customers);
        add_once(&mut self.deals, other.deals);
        add_once(&mut self.deals_refreshed, other.deals_refreshed);
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
pub(crate) struct FormFacts {
    pub(super) form: CreditForm,
    pub(super) id: String,
    pub(super) number: String,
    pub(super) date: Option<NaiveDate>,
    /// `None`: live; else how it stopped counting.
    pub(super) removed: Option<Removal>,
    /// The payments that apply a credit memo now (recorded on its invoices, so its note can
    /// say why once it is no longer applied).
    pub(super) appliers: Vec<String>,
}

/// What one form's sync has to do: note the invoices it applies to (with the amount), or,
/// when it no longer counts, rewrite the notes on the invoices it was noted on.
pub(crate) struct FormPlan {
    pub(super) facts: FormFacts,
    pub(super) applied: Vec<(String, Decimal)>,
    /// The invoices its notes were written on (searched only when it no longer counts).
    pub(super) noted: Vec<String>,
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

    /// The plans of the credit memos `payment` applies (its webhook, CDC or poll), one per
    /// memo; each memo's other payments are read, this one is known. Its cash, if any, is not
    /// noted here (`payments::cash`).
    pub(crate) async fn payment_plans(&self, payment: &Payment) -> Result<Vec<FormPlan>> {
        let mut memos: Vec<&str> = credit_memos_of(payment).collect();
        memos.dedup();
        let mut plans = Vec::new();
        for memo in memos {
            plans.push(self.memo_plan(memo, Some(payment)).await?);
        }
        Ok(plans)
    }

    /// Brings HubSpot up to date with QBO credit memo `memo_id` (created, applied, voided,
    /// deleted). Safe to repeat: a note is written once and rewritten at most once.
    pub async fn sync_credit_memo(
        &self,
        memo_id: &str,
        today: NaiveDate,
    ) -> Result<CreditSyncReport> {
        let forms = [(CreditForm::CreditMemo, memo_id.to_owned())];
        self.sync_forms(&forms, today)
            .await?
            .pop()
            .expect("one answer per form")
    }

    /// Brings HubSpot up to date with QBO refund receipt `receipt_id`: the invoices it links
    /// (QBO changes no invoice balance for a refund, §4.9) get their note. A receipt that
    /// names no invoice is not mirrored.
    pub async fn sync_refund_receipt(
        &self,
        receipt_id: &str,
        today: NaiveDate,
    ) -> Result<CreditSyncReport> {
        let forms = [(CreditForm::RefundReceipt, receipt_id.to_owned())];
        self.sync_forms(&forms, today)
            .await?
            .pop()
            .expect("one answer per form")
    }

    /// Brings HubSpot up to date with the credit memos and refund receipts `forms` (one job
    /// group), one answer per form in order: each form read (with a credit memo's payments),
    /// then all of them applied in one pass (`group.rs`). `Err`: a failure of the whole group.
    pub async fn sync_forms(
        &self,
        forms: &[(CreditForm, String)],
        today: NaiveDate,
    ) -> Result<Vec<Result<CreditSyncReport>>> {
        self.invoices.ensure_schema().await?;
        let mut plans = Vec::new();
        let mut answers: Vec<Option<Result<CreditSyncReport>>> = Vec::new();
        for (form, id) in forms {
            match self.form_plan(*form, id).await {
                Ok(plan) => {
                    plans.push(plan);
                    answers.push(None);
                }
                Err(e) => answers.push(Some(Err(e))),
            }
        }
        let mut applied = self.apply_all(&plans, today).await?.into_iter();
        Ok(answers
            .into_iter()
            .map(|answer| answer.unwrap_or_else(|| applied.next().expect("one answer per plan")))
            .collect())
    }

    /// The plan of form `id` (a job's credit memo or refund receipt).
    pub(crate) async fn form_plan(&self, form: CreditForm, id: &str) -> Result<FormPlan> {
        match form {
            CreditForm::CreditMemo => self.memo_plan(id, None).await,
            CreditForm::RefundReceipt => self.receipt_plan(id).await,
        }
    }

    /// What credit memo `memo_id` applies now (its payments read, `known` excepted), or where it
    /// was noted when it no longer counts.
    async fn memo_plan(&self, memo_id: &str, known: Option<&Payment>) -> Result<FormPlan> {
        let mut memo = self.read_memo(memo_id).await?;
        let mut rounds = 1;
        let (applied, appliers) = loop {
            let (applied, appliers) = self.credit_applied(memo.as_ref(), memo_id, known).await?;
            // A live memo no payment applies is rewritten "no longer applied", once and for good
            // (credits/group.rs): unless it still reads the same after its payments were read, it
            // changed meanwhile (QBO has no transactions: a void releases the payments' credit
            // first, docs/quickbooks.md §4.9) and its new state decides.
            let live_unapplied =
                memo.as_ref().is_some_and(|m| !m.is_voided()) && applied.is_empty();
            if !live_unapplied || rounds == MEMO_READ_ROUNDS {
                break (applied, appliers);
            }
            let again = self.read_memo(memo_id).await?;
            let unchanged = matches!((&memo, &again), (Some(a), Some(b))
                if a.sync_token.is_some() && a.sync_token == b.sync_token);
            if unchanged {
                break (applied, appliers);
            }
            memo = again;
            rounds += 1;
        };
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
        self.plan(facts, applied).await
    }

    /// Credit memo `memo_id` as QBO has it now (`None`: deleted).
    async fn read_memo(&self, memo_id: &str) -> Result<Option<CreditMemo>> {
        match self.invoices.qbo.read_credit_memo(memo_id).await {
            Ok(m) => Ok(Some(m)),
            Err(QboError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The memo's credit per invoice in the payments it links (one read each, `known` not
    /// read again), and those payments; none for a voided or deleted memo.
    async fn credit_applied(
        &self,
        memo: Option<&CreditMemo>,
        memo_id: &str,
        known: Option<&Payment>,
    ) -> Result<(Vec<(String, Decimal)>, Vec<String>)> {
        let mut applied: Vec<(String, Decimal)> = Vec::new();
        let mut appliers = Vec::new();
        let Some(m) = memo.filter(|m| !m.is_voided()) else {
            return Ok((applied, appliers));
        };
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
        Ok((applied, appliers))
    }

    /// What refund receipt `receipt_id` applies to (the whole refund on each invoice it links),
    /// or where it was noted when voided or deleted.
    async fn receipt_plan(&self, receipt_id: &str) -> Result<FormPlan> {
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
        self.plan(facts, applied).await
    }

    /// The plan of a form: when it no longer counts, the invoices it was noted on are found by
    /// their token.
    async fn plan(&self, facts: FormFacts, applied: Vec<(String, Decimal)>) -> Result<FormPlan> {
        let noted = match facts.removed {
            Some(_) => self.noted_invoices(&facts).await?,
            None => Vec::new(),
        };
        Ok(FormPlan {
            facts,
            applied,
            noted,
        })
    }

    /// The QBO ids of the invoices the form's notes were written on. Search is eventually
    /// consistent (docs/hubspot.md §2.4): a note written a moment before the form's void or
    /// deletion may be missed, and nothing signals it again (a known gap, §2.4).
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
    pub(super) async fn why_unapplied(
        &self,
        tokens: &CreditTokens,
        facts: &FormFacts,
    ) -> Result<Removal> {
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

pub(super) fn note(
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
