//! A job group's received QBO payments applied in one pass (docs/hubspot.md §9.5): their
//! invoices mirrored together, every deal note in one batch create, every token in one update.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;

use super::batch_writes::{InvoiceTokens, input_outcome, settle_group};
use super::capability::is_portal_refusal;
use super::cash::cash_per_invoice;
use super::mirror::{PaymentMirror, PaymentSyncReport, invoice_number};
use super::note::{PaymentEvent, PaymentNote, payment_note_html};
use super::records::PaymentRecordFacts;
use super::tokens::PaymentTokens;
use crate::engine::invoicing::invoices::properties::QBO_BILL_EMAIL;
use crate::engine::invoicing::invoices::{InvoiceSyncError, MirroredInvoice};
use crate::engine::invoicing::receivables::refresh::{moves_receivables, note_touched};
use crate::hubspot::associations::type_ids;
use crate::hubspot::batch::BatchWriteOutcome;
use crate::hubspot::{CreateInput, InlineAssociation, PropertyWrites};
use crate::quickbooks::entities::Payment;

type Result<T> = std::result::Result<T, InvoiceSyncError>;

/// One invoice one payment of the group paid: its note, and its payment record's facts.
struct Applied {
    /// Position of the payment in the group.
    payment: usize,
    invoice: String,
    note: PaymentNote,
    record: Option<PaymentRecordFacts>,
    /// Positions of its notes in the group's batch create; `None` when noted already (its token
    /// is recorded) or the invoice has no HubSpot copy.
    notes: Option<Vec<usize>>,
}

type Tokens = InvoiceTokens<PaymentTokens>;

impl<'a> PaymentMirror<'a> {
    /// Applies received payments `payments` (distinct, read from QBO, no credit memo applied,
    /// not voided) as one pass: the invoices they paid mirrored together
    /// (`InvoiceMirror::sync_invoices`), then every note not yet written in one notes
    /// `batch/create`, the payment records, and every changed invoice's tokens in one
    /// `batch/update`. One answer per payment, in order. A note or token write HubSpot refuses
    /// fails its own payment with HubSpot's message; the others finish. A token is recorded only
    /// for notes created, so a repeat adds no note; a crash between the notes and the token
    /// update repeats them once (at least once). `Err`: the group's invoice mirror failed.
    pub(super) async fn received_together(
        &self,
        payments: &[Payment],
        today: NaiveDate,
    ) -> Result<Vec<Result<PaymentSyncReport>>> {
        let mut mirrored = self.mirror_paid_invoices(payments, today).await?;
        let mut reports = vec![
            PaymentSyncReport {
                moves_last_payment: true,
                ..PaymentSyncReport::default()
            };
            payments.len()
        ];
        let mut failed: Vec<Option<InvoiceSyncError>> = payments.iter().map(|_| None).collect();
        let mut applied = Vec::new();
        for (k, payment) in payments.iter().enumerate() {
            // An invoice the group could not mirror is mirrored by its payment, which then
            // reports that invoice's own error.
            for (invoice_id, _) in cash_per_invoice(payment) {
                if mirrored.contains_key(&invoice_id) {
                    continue;
                }
                match self.invoices.sync_invoice(&invoice_id, today).await {
                    Ok(m) => {
                        mirrored.insert(invoice_id, m);
                    }
                    Err(e) => {
                        failed[k] = Some(e);
                        break;
                    }
                }
            }
            if failed[k].is_some() {
                continue;
            }
            for (invoice_id, amount) in cash_per_invoice(payment) {
                let m = &mirrored[&invoice_id];
                let report = &mut reports[k];
                report.invoices.push(invoice_id.clone());
                report.invoice_numbers.push(invoice_number(m));
                touched(m, report);
                let (note, record) = received_facts(payment, m, amount, today);
                applied.push(Applied {
                    payment: k,
                    invoice: invoice_id,
                    note,
                    record,
                    notes: None,
                });
            }
        }
        let mut tokens: BTreeMap<String, Tokens> = mirrored
            .iter()
            .map(|(id, m)| (id.clone(), Tokens::new(PaymentTokens::of(&m.properties))))
            .collect();

        let notes = self.create_notes(&mut applied, &mirrored, &tokens).await;
        for a in &applied {
            let Some(positions) = &a.notes else {
                continue;
            };
            match positions
                .iter()
                .find_map(|&n| input_outcome(&notes, n, "create").err())
            {
                None => {
                    let kept = tokens.get_mut(&a.invoice).expect("tokens of every invoice");
                    kept.now.insert(a.note.event.token(&a.note.payment_id));
                    kept.changed_by(a.payment);
                    reports[a.payment].notes_created += positions.len();
                }
                Some(error) => {
                    failed[a.payment].get_or_insert(error.into());
                }
            }
        }

        self.create_records(&applied, &mirrored, &mut tokens, &mut reports, &mut failed)
            .await;
        Ok(settle_group(
            self.invoices,
            &tokens,
            &mirrored,
            PaymentTokens::value,
            reports,
            failed,
        )
        .await)
    }

    /// The invoices `payments` paid, mirrored as one group. An invoice the group could not
    /// mirror is left out (its payment mirrors it alone).
    async fn mirror_paid_invoices(
        &self,
        payments: &[Payment],
        today: NaiveDate,
    ) -> Result<BTreeMap<String, MirroredInvoice>> {
        let mut wanted: Vec<String> = Vec::new();
        for payment in payments {
            for (invoice_id, _) in cash_per_invoice(payment) {
                if !wanted.contains(&invoice_id) {
                    wanted.push(invoice_id);
                }
            }
        }
        self.invoices.sync_invoices_kept(&wanted, today).await
    }

    /// Every note of `applied` not written yet (one per deal of its invoice), in one batch
    /// create; each `Applied` learns the positions of its notes.
    async fn create_notes(
        &self,
        applied: &mut [Applied],
        mirrored: &BTreeMap<String, MirroredInvoice>,
        tokens: &BTreeMap<String, Tokens>,
    ) -> BatchWriteOutcome {
        let stamp = Utc::now().to_rfc3339();
        let mut inputs = Vec::new();
        for a in applied.iter_mut() {
            let m = &mirrored[&a.invoice];
            let token = a.note.event.token(&a.note.payment_id);
            if m.hubspot_id.is_none() || tokens[&a.invoice].now.contains(&token) {
                continue;
            }
            let body = payment_note_html(&a.note);
            let first = inputs.len();
            inputs.extend(m.deals.iter().map(|deal| deal_note(deal, &body, &stamp)));
            a.notes = Some((first..inputs.len()).collect());
        }
        if inputs.is_empty() {
            return BatchWriteOutcome::default();
        }
        self.invoices.hubspot.create_notes(inputs).await
    }

    /// The payment records not created yet of the payments still going, in one batch create
    /// (HubSpot documents `commerce_payments` `batch/create`, docs/hubspot.md §2.9), unless the
    /// portal is known not to allow them. A refusal is remembered, not an error; another
    /// refused input fails its payment.
    async fn create_records(
        &self,
        applied: &[Applied],
        mirrored: &BTreeMap<String, MirroredInvoice>,
        tokens: &mut BTreeMap<String, Tokens>,
        reports: &mut [PaymentSyncReport],
        failed: &mut [Option<InvoiceSyncError>],
    ) {
        let Some(capability) = self.records.filter(|c| c.should_try()) else {
            return;
        };
        let mut inputs = Vec::new();
        let mut owners = Vec::new();
        for a in applied {
            let (Some(facts), None) = (&a.record, &failed[a.payment]) else {
                continue;
            };
            let m = &mirrored[&a.invoice];
            let Some(invoice_id) = m.hubspot_id.as_deref() else {
                continue;
            };
            if tokens[&a.invoice]
                .now
                .record_of(&a.note.payment_id)
                .is_some()
            {
                continue;
            }
            match self.record_input(m, invoice_id, facts).await {
                Ok(input) => {
                    inputs.push(input);
                    owners.push(a);
                }
                Err(e) => failed[a.payment] = Some(e),
            }
        }
        if inputs.is_empty() {
            return;
        }
        let outcome = self.invoices.hubspot.create_payment_records(inputs).await;
        for (n, a) in owners.into_iter().enumerate() {
            match input_outcome(&outcome, n, "create") {
                Ok(created) => {
                    capability.mark_available();
                    let kept = tokens.get_mut(&a.invoice).expect("tokens of every invoice");
                    kept.now.set_record(&a.note.payment_id, &created.id);
                    kept.changed_by(a.payment);
                    reports[a.payment].records_created += 1;
                }
                Err(error) if is_portal_refusal(&error) => {
                    capability.mark_refused();
                    reports[a.payment].records_refused = true;
                }
                Err(error) => {
                    failed[a.payment].get_or_insert(error.into());
                }
            }
        }
    }
}

/// The note and payment-record facts of `payment`'s `amount` on the mirrored invoice.
fn received_facts(
    payment: &Payment,
    mirrored: &MirroredInvoice,
    amount: Option<Decimal>,
    today: NaiveDate,
) -> (PaymentNote, Option<PaymentRecordFacts>) {
    let currency = mirrored.currency.clone();
    let note = PaymentNote {
        event: PaymentEvent::Received,
        payment_id: payment.id.clone().unwrap_or_default(),
        amount,
        currency: currency.clone(),
        date: payment.txn_date,
        method: payment
            .payment_method_ref
            .as_ref()
            .map(|r| r.name.clone().unwrap_or_else(|| r.value.clone())),
        reference: payment.payment_ref_num.clone(),
        invoice_number: invoice_number(mirrored),
        remaining_balance: mirrored
            .invoice
            .as_ref()
            .and_then(|i| i.balance)
            .unwrap_or_default(),
    };
    // A line without an amount cannot be recorded (hs_initial_amount is required).
    let record = amount.map(|amount| PaymentRecordFacts {
        amount,
        currency,
        date: payment.txn_date.unwrap_or(today),
        method: payment
            .payment_method_ref
            .as_ref()
            .and_then(|r| r.name.clone()),
        reference: payment.payment_ref_num.clone(),
        customer_email: mirrored.properties.get(QBO_BILL_EMAIL).cloned(),
    });
    (note, record)
}

/// Records what the payment's receivables depend on (docs/hubspot.md §4.1): the invoice's
/// customer always (its last payment moved), its deals only when this mirror moved their
/// balances; an unchanged invoice's deals were refreshed by whoever mirrored the change.
fn touched(mirrored: &MirroredInvoice, report: &mut PaymentSyncReport) {
    note_touched(
        mirrored,
        &mut report.customers,
        &mut report.deals,
        &mut report.deals_refreshed,
    );
    let customer = mirrored
        .invoice
        .as_ref()
        .and_then(|i| i.customer_ref.as_ref());
    if let (Some(customer), Some(record)) = (customer, &mirrored.customer_record) {
        report
            .customer_records
            .insert(customer.value.clone(), record.clone());
    }
    if !moves_receivables(mirrored.outcome) {
        for deal in &mirrored.deals {
            if !report.deals_refreshed.contains(deal) {
                report.deals_refreshed.push(deal.clone());
            }
        }
    }
}

/// A note on `deal`'s timeline (note to deal, docs/hubspot.md §2.10).
pub(super) fn deal_note(deal: &str, body: &str, stamp: &str) -> CreateInput {
    let mut props = PropertyWrites::new();
    props.insert("hs_timestamp".into(), stamp.to_owned());
    props.insert("hs_note_body".into(), body.to_owned());
    let mut input = CreateInput::new(props);
    input
        .associations
        .push(InlineAssociation::to(deal, type_ids::NOTE_TO_DEAL));
    input
}
