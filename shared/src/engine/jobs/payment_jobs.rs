//! The worker's payment jobs: a group's QBO payments, and the credit memos and refund receipts
//! riding on payment jobs, each applied in one pass, the receivables refreshed once for the group.

use chrono::NaiveDate;

use crate::engine::invoicing::credits::{CreditForm, CreditSyncReport};
use crate::engine::invoicing::invoices::InvoiceSyncError;
use crate::engine::invoicing::payments::report_lists::add_once;
use crate::engine::invoicing::payments::{PaymentMirror, PaymentSyncReport};
use crate::engine::invoicing::receivables::ReceivablesFlow;
use crate::engine::invoicing::receivables::refresh::{KnownRecords, deals_still_due};
use crate::model::kinds::QboOnlyForm;
use crate::ports::Job;
use crate::quickbooks::Entity;
use crate::quickbooks::entities::CreditMemo;

use super::context::SyncContext;
use super::gateways::Invoicing;
use super::mirror_jobs::{Finished, JobEnd, ended, receivables_note};

type Answer<T> = Result<T, InvoiceSyncError>;

/// What a payment job names: a QBO payment, or a credit form riding on payment jobs.
#[derive(Clone, PartialEq)]
enum Subject {
    Payment(String),
    Form(CreditForm, String),
}

impl Subject {
    fn of(job: &Job) -> Subject {
        match QboOnlyForm::of_job_id(&job.id) {
            Some((form, id)) if form.entity == CreditMemo::NAME => {
                Subject::Form(CreditForm::CreditMemo, id.to_owned())
            }
            Some((_, id)) => Subject::Form(CreditForm::RefundReceipt, id.to_owned()),
            None => Subject::Payment(job.id.clone()),
        }
    }
}

/// What one subject's pass did (its error, or its report).
enum Done {
    Payment(Answer<PaymentSyncReport>),
    Form(Answer<CreditSyncReport>),
}

/// The payment jobs of one group (QBO payments, credit memos, refund receipts): the money
/// applied in one pass and the credit in one (`PaymentMirror::sync_group`), then the
/// receivables of every customer they touched and the deals still due, once for the group
/// (docs/hubspot.md §4.1); one end per job, in order. The same subject twice is applied once
/// and both jobs get its end.
pub(super) async fn run_payment_group(
    ctx: &SyncContext,
    invoicing: &Invoicing,
    jobs: &[&Job],
) -> Vec<JobEnd> {
    let today = ctx.clock.now().date_naive();
    let mut subjects: Vec<Subject> = Vec::new();
    for job in jobs {
        let subject = Subject::of(job);
        if !subjects.contains(&subject) {
            subjects.push(subject);
        }
    }
    let done = match apply(invoicing, &subjects, today).await {
        Ok(done) => done,
        Err(error) => {
            let end = ended(Err(error));
            return jobs.iter().map(|_| end.clone()).collect();
        }
    };
    // Payments that bring money move their customers' last payment too; credit only balances.
    let mut paid: Vec<String> = Vec::new();
    let mut credited: Vec<String> = Vec::new();
    let mut touched: Vec<String> = Vec::new();
    let mut refreshed: Vec<String> = Vec::new();
    let mut known = KnownRecords::new();
    for answer in &done {
        if let Done::Payment(Ok(r)) = answer {
            known.extend(r.customer_records.clone());
        }
        let (customers, of, deals, deals_refreshed) = match answer {
            Done::Payment(Ok(r)) if r.moves_last_payment => {
                (&mut paid, &r.customers, &r.deals, &r.deals_refreshed)
            }
            Done::Payment(Ok(r)) => (&mut credited, &r.customers, &r.deals, &r.deals_refreshed),
            Done::Form(Ok(r)) => (&mut credited, &r.customers, &r.deals, &r.deals_refreshed),
            Done::Payment(Err(_)) | Done::Form(Err(_)) => continue,
        };
        add_once(customers, of.iter().cloned());
        add_once(&mut touched, deals.iter().cloned());
        add_once(&mut refreshed, deals_refreshed.iter().cloned());
    }
    credited.retain(|c| !paid.contains(c));
    let deals = deals_still_due(&touched, &refreshed);
    let receivables = refresh_receivables(invoicing, &paid, &credited, &deals, &known, today)
        .await
        .map_err(|e| ended(Err(e)));
    let ends: Vec<JobEnd> = done
        .into_iter()
        .zip(&subjects)
        .map(|(answer, subject)| {
            let finished = match answer {
                Done::Payment(Ok(report)) => payment_finished(&report),
                Done::Form(Ok(report)) => form_finished(subject, &report),
                Done::Payment(Err(e)) | Done::Form(Err(e)) => return ended(Err(e)),
            };
            match &receivables {
                Ok(note) => JobEnd::Finished(Finished {
                    note: finished.note + note,
                    ..finished
                }),
                Err(end) => end.clone(),
            }
        })
        .collect();
    jobs.iter()
        .map(|job| {
            let subject = Subject::of(job);
            let k = subjects
                .iter()
                .position(|s| *s == subject)
                .expect("its subject");
            ends[k].clone()
        })
        .collect()
}

/// The group's payments and forms applied (`PaymentMirror::sync_group`), one answer per
/// subject in order.
async fn apply(invoicing: &Invoicing, subjects: &[Subject], today: NaiveDate) -> Answer<Vec<Done>> {
    let payment_ids: Vec<String> = subjects
        .iter()
        .filter_map(|s| match s {
            Subject::Payment(id) => Some(id.clone()),
            Subject::Form(..) => None,
        })
        .collect();
    let forms: Vec<(CreditForm, String)> = subjects
        .iter()
        .filter_map(|s| match s {
            Subject::Form(form, id) => Some((*form, id.clone())),
            Subject::Payment(_) => None,
        })
        .collect();
    let answers = PaymentMirror::with_records(&invoicing.mirror, &invoicing.payment_records)
        .sync_group(&payment_ids, &forms, today)
        .await?;
    let mut payments = answers.payments.into_iter();
    let mut credits = answers.forms.into_iter();
    Ok(subjects
        .iter()
        .map(|s| match s {
            Subject::Payment(_) => Done::Payment(payments.next().expect("one per payment")),
            Subject::Form(..) => Done::Form(credits.next().expect("one per form")),
        })
        .collect())
}

/// A payment job's note, in the user's words (the receivables' part follows).
fn payment_finished(report: &PaymentSyncReport) -> Finished {
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
    Finished {
        note,
        counterpart_id: None,
        warnings: Vec::new(),
    }
}

/// A credit memo or refund receipt job's note (model/kinds/forms.rs names the form).
fn form_finished(subject: &Subject, report: &CreditSyncReport) -> Finished {
    let (entity, id) = match subject {
        Subject::Form(CreditForm::CreditMemo, id) => ("CreditMemo", id),
        Subject::Form(CreditForm::RefundReceipt, id) => ("RefundReceipt", id),
        Subject::Payment(id) => ("Payment", id),
    };
    let mut note = match report.invoices.as_slice() {
        [] => format!("{entity} {id} credits no mirrored invoice"),
        ids => format!("{entity} {id}: updated invoice(s) {}", ids.join(", ")),
    };
    if report.notes_created > 0 {
        note.push_str(&format!("; {} note(s)", report.notes_created));
    }
    if report.notes_updated > 0 {
        note.push_str(&format!("; {} note(s) rewritten", report.notes_updated));
    }
    Finished {
        note,
        counterpart_id: None,
        warnings: Vec::new(),
    }
}

/// The receivables a group's payments and forms moved (docs/hubspot.md §4.1), in one pass
/// (`ReceivablesFlow::refresh_after_payments`): the paid customers with their last payment, the
/// customers only credited keeping theirs (a credit does not move it), the deals still due; the
/// records the invoice pass read (`known`) are not read again. The note says what was written.
async fn refresh_receivables(
    invoicing: &Invoicing,
    paid: &[String],
    credited: &[String],
    deals: &[String],
    known: &KnownRecords,
    today: NaiveDate,
) -> Result<String, InvoiceSyncError> {
    if paid.is_empty() && credited.is_empty() && deals.is_empty() {
        return Ok(receivables_note(0));
    }
    let flow = ReceivablesFlow::new(&invoicing.mirror, &invoicing.receivables);
    let report = flow
        .refresh_after_payments(paid, credited, deals, known, today)
        .await?;
    let written = report.records_written + report.deals_written;
    Ok(receivables_note(written))
}
