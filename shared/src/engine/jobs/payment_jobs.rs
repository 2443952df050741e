//! The worker's payment jobs: a group's QBO payments applied in one pass with the receivables
//! refreshed once for the group, and the credit memo and refund receipt jobs (docs/hubspot.md §9.5).

use chrono::NaiveDate;

use crate::engine::invoicing::credits::CreditMirror;
use crate::engine::invoicing::invoices::InvoiceSyncError;
use crate::engine::invoicing::payments::{PaymentMirror, PaymentSyncReport};
use crate::engine::invoicing::receivables::ReceivablesFlow;
use crate::engine::invoicing::receivables::refresh::deals_still_due;
use crate::model::kinds::QboOnlyForm;
use crate::ports::Job;
use crate::quickbooks::Entity;
use crate::quickbooks::entities::CreditMemo;

use super::context::SyncContext;
use super::gateways::Invoicing;
use super::mirror_jobs::{Finished, JobEnd, ended, receivables_note};

/// The QBO payment jobs of one group applied together (`PaymentMirror::sync_payments`), then
/// the receivables of every customer they touched and the deals still due, once for the group
/// (docs/hubspot.md §4.1); one end per job, in order. The same payment twice is applied once
/// and both jobs get its end.
pub(super) async fn run_payment_group(
    ctx: &SyncContext,
    invoicing: &Invoicing,
    jobs: &[&Job],
) -> Vec<JobEnd> {
    let today = ctx.clock.now().date_naive();
    let mut ids: Vec<String> = Vec::new();
    for job in jobs {
        if !ids.contains(&job.id) {
            ids.push(job.id.clone());
        }
    }
    let payments = PaymentMirror::with_records(&invoicing.mirror, &invoicing.payment_records);
    let answers = match payments.sync_payments(&ids, today).await {
        Ok(answers) => answers,
        Err(error) => {
            let end = ended(Err(error));
            return jobs.iter().map(|_| end.clone()).collect();
        }
    };
    let mut customers: Vec<String> = Vec::new();
    let mut touched: Vec<String> = Vec::new();
    let mut refreshed: Vec<String> = Vec::new();
    for report in answers.iter().flatten() {
        for (list, values) in [
            (&mut customers, &report.customers),
            (&mut touched, &report.deals),
            (&mut refreshed, &report.deals_refreshed),
        ] {
            for value in values {
                if !list.contains(value) {
                    list.push(value.clone());
                }
            }
        }
    }
    let deals = deals_still_due(&touched, &refreshed);
    let receivables = refresh_receivables(invoicing, &customers, &deals, today)
        .await
        .map_err(|e| ended(Err(e)));
    let ends: Vec<JobEnd> = answers
        .into_iter()
        .map(|answer| match (answer, &receivables) {
            (Err(error), _) => ended(Err(error)),
            (Ok(_), Err(end)) => end.clone(),
            (Ok(report), Ok(note)) => JobEnd::Finished(payment_finished(&report, note)),
        })
        .collect();
    jobs.iter()
        .map(|job| {
            let k = ids.iter().position(|id| *id == job.id).expect("its id");
            ends[k].clone()
        })
        .collect()
}

/// A payment job's note, in the user's words.
fn payment_finished(report: &PaymentSyncReport, receivables: &str) -> Finished {
    let mut note = match report.invoice_numbers.as_slice() {
        [] => "applied to no mirrored invoice".to_owned(),
        numbers => format!("updated invoice(s) {}", numbers.join(", ")),
    };
    if report.notes_created > 0 {
        note.push_str(&format!("; {} deal note(s)", report.notes_created));
    }
    if report.records_created > 0 {
        note.push_str(&format!("; {} payment record(s)", report.records_created));
    }
    if report.records_archived > 0 {
        note.push_str(&format!(
            "; {} payment record(s) archived",
            report.records_archived
        ));
    }
    note.push_str(receivables);
    Finished {
        note,
        counterpart_id: None,
        warnings: Vec::new(),
    }
}

/// One attempt at mirroring QBO credit memo or refund receipt `id` (a payment job naming
/// the form, model/kinds/forms.rs) as its invoices' notes, then the receivables of their
/// customers and deals, which the credit lowered or raised again.
pub(super) async fn credit_form_once(
    invoicing: &Invoicing,
    form: &QboOnlyForm,
    id: &str,
    today: NaiveDate,
) -> Result<Finished, InvoiceSyncError> {
    let credits = CreditMirror::new(&invoicing.mirror);
    let report = if form.entity == CreditMemo::NAME {
        credits.sync_credit_memo(id, today).await?
    } else {
        credits.sync_refund_receipt(id, today).await?
    };
    let mut note = match report.invoices.as_slice() {
        [] => format!("{} {id} credits no mirrored invoice", form.entity),
        ids => format!(
            "{} {id}: updated invoice(s) {}",
            form.entity,
            ids.join(", ")
        ),
    };
    if report.notes_created > 0 {
        note.push_str(&format!("; {} note(s)", report.notes_created));
    }
    if report.notes_updated > 0 {
        note.push_str(&format!("; {} note(s) rewritten", report.notes_updated));
    }
    let deals = deals_still_due(&report.deals, &report.deals_refreshed);
    note.push_str(&refresh_receivables(invoicing, &report.customers, &deals, today).await?);
    Ok(Finished {
        note,
        counterpart_id: None,
        warnings: Vec::new(),
    })
}

/// The receivables of the customers (with their last payment) and deals a payment or credit
/// form touched (docs/hubspot.md §4.1); the note says what was written.
async fn refresh_receivables(
    invoicing: &Invoicing,
    customers: &[String],
    deals: &[String],
    today: NaiveDate,
) -> Result<String, InvoiceSyncError> {
    let flow = ReceivablesFlow::new(&invoicing.mirror, &invoicing.receivables);
    let mut written = 0;
    for (i, customer) in customers.iter().enumerate() {
        // The deals are refreshed once, with the first customer.
        let deals = if i == 0 { deals } else { &[] };
        let report = flow.refresh_customer(customer, deals, today).await?;
        written += report.records_written + report.deals_written;
    }
    Ok(receivables_note(written))
}
