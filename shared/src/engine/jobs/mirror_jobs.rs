//! The worker's one-way jobs: QBO invoices mirrored into HubSpot (payments and credit forms in
//! `payment_jobs`), and "Create QuickBooks invoice" executions; outcomes recorded.

use std::time::{Duration, Instant};

use chrono::NaiveDate;

use crate::engine::invoicing::action::{
    ActionError, ActionResult, DocAction, DocActionJob, ExecutionRecords, output_names,
};
use crate::engine::invoicing::invoices::{
    InvoiceMirror, InvoiceSyncError, MirrorOutcome, MirroredInvoice, UnlinkedRecords,
};
use crate::engine::invoicing::receivables::ReceivablesFlow;
use crate::engine::invoicing::receivables::refresh::moves_receivables;
use crate::model::kinds::QboOnlyForm;

use super::action_parties::SyncedParties;
use super::active::active_connection;
use super::context::SyncContext;
use super::disposition::{Disposition, out_of_time};
use super::estimate_jobs::{estimate_id, mirror_estimate};
use super::gateways::Invoicing;
use super::outcomes::{Recorded, record_job};
use super::payment_jobs::run_payment_group;
use super::retry_schedule::{STORE_RETRY, gateway_wait};
use super::two_way::process_group;
use crate::model::{ConnectionId, ObjectKind, Side, SyncState};
use crate::ports::{
    ConnectionRecord, FailureDetail, FieldWarning, GatewayError, Job, JobReason, SyncOutcome,
};

/// What a finished job did, in the user's words, and the HubSpot/QBO record on the other end.
#[derive(Clone)]
pub(super) struct Finished {
    pub(super) note: String,
    pub(super) counterpart_id: Option<String>,
    /// Synced, with something a person should look at (an invoice whose deal is not clear).
    pub(super) warnings: Vec<FieldWarning>,
}

/// How a job ended.
#[derive(Clone)]
pub(super) enum JobEnd {
    Finished(Finished),
    /// Not done; recorded as a failure. `retry` = worth trying again automatically.
    Failed {
        detail: FailureDetail,
        retry: bool,
    },
    /// Hand the job back (throttling, transient faults, tokens).
    Later {
        delay: Duration,
        reason: String,
    },
}

/// Processes the invoice/payment jobs of one connection and kind; one answer per job.
pub(super) async fn process_mirror_group(
    ctx: &SyncContext,
    connection_id: &ConnectionId,
    kind: ObjectKind,
    jobs: &[&Job],
    stop_at: Option<Instant>,
) -> Vec<Disposition> {
    let all = |d: Disposition| vec![d; jobs.len()];
    let connection = match active_connection(ctx, connection_id).await {
        Ok(connection) => connection,
        Err(disposition) => return all(disposition),
    };
    let invoicing = match ctx.gateways.invoicing(&connection).await {
        Ok(invoicing) => invoicing,
        Err(error) => {
            return all(match later(&error) {
                Some(end) => disposition(end),
                None => Disposition::Dropped {
                    reason: error.to_string(),
                },
            });
        }
    };
    let state = connection.connection.settings.state(kind);
    let mut answers: Vec<Option<Disposition>> = jobs.iter().map(|_| None).collect();
    // QBO invoices of the group are mirrored together, and its QBO payments and credit forms
    // applied together (docs/hubspot.md §9.5); estimates and workflow executions one job at a
    // time.
    let mut invoice_jobs = Vec::new();
    let mut payment_jobs = Vec::new();
    for (k, job) in jobs.iter().enumerate() {
        if stop_at.is_some_and(|t| Instant::now() >= t) {
            answers[k] = Some(out_of_time());
            continue;
        }
        // Mirrored kinds flow from QBO only; HubSpot-side work is a workflow execution.
        if job.action.is_none() && job.side == Side::Hubspot {
            answers[k] = Some(Disposition::Dropped {
                reason: format!("HubSpot {kind} changes are not synced back to QuickBooks"),
            });
            continue;
        }
        // Workflow executions run whatever the mirror settings say: the user asked for them.
        if job.action.is_none() && state != SyncState::Enabled {
            answers[k] = Some(Disposition::Dropped {
                reason: format!("{kind} sync is {state:?} for {connection_id}"),
            });
            continue;
        }
        if kind == ObjectKind::Invoice
            && job.action.is_none()
            && QboOnlyForm::of_job_id(&job.id).is_none()
        {
            invoice_jobs.push(k);
            continue;
        }
        if kind == ObjectKind::Payment && job.action.is_none() {
            payment_jobs.push(k);
            continue;
        }
        let end = run_job(ctx, &connection, &invoicing, kind, job).await;
        answers[k] = Some(answer(ctx, job, end).await);
    }
    if stop_at.is_some_and(|t| Instant::now() >= t) {
        for k in invoice_jobs.drain(..).chain(payment_jobs.drain(..)) {
            answers[k] = Some(out_of_time());
        }
    }
    if !payment_jobs.is_empty() {
        let group: Vec<&Job> = payment_jobs.iter().map(|&k| jobs[k]).collect();
        let ends = run_payment_group(ctx, &invoicing, &group).await;
        for (k, end) in payment_jobs.into_iter().zip(ends) {
            answers[k] = Some(answer(ctx, jobs[k], end).await);
        }
    }
    if !invoice_jobs.is_empty() {
        let group: Vec<&Job> = invoice_jobs.iter().map(|&k| jobs[k]).collect();
        let ends = run_invoice_group(ctx, &connection, &invoicing, &group).await;
        for (k, end) in invoice_jobs.into_iter().zip(ends) {
            answers[k] = Some(answer(ctx, jobs[k], end).await);
        }
    }
    answers
        .into_iter()
        .map(|a| a.expect("every job of the group is answered"))
        .collect()
}

/// A job's disposition once its end is recorded (a store failure hands it back).
async fn answer(ctx: &SyncContext, job: &Job, end: JobEnd) -> Disposition {
    let recorded = match &end {
        JobEnd::Later { .. } => None,
        JobEnd::Finished(_) | JobEnd::Failed { .. } => record(ctx, job, &end).await,
    };
    recorded.unwrap_or_else(|| disposition(end))
}

/// The QBO invoice jobs of one group mirrored together (`InvoiceMirror::sync_invoices`): the
/// unlinked customers and items of the whole group are linked first, in one pass, and the
/// receivables refreshed once per customer; one end per job, in order.
async fn run_invoice_group(
    ctx: &SyncContext,
    connection: &ConnectionRecord,
    invoicing: &Invoicing,
    jobs: &[&Job],
) -> Vec<JobEnd> {
    let today = ctx.clock.now().date_naive();
    let mut ends: Vec<Option<JobEnd>> = jobs.iter().map(|_| None).collect();
    // The same invoice twice (the worker coalesces repeats, but a caller may not) is mirrored
    // once and both jobs get that end.
    let first_of: Vec<usize> = jobs
        .iter()
        .map(|job| {
            jobs.iter()
                .position(|other| other.id == job.id)
                .expect("the job itself")
        })
        .collect();
    let mut pending: Vec<usize> = (0..jobs.len()).filter(|&k| first_of[k] == k).collect();
    let mut linked_first = false;
    while !pending.is_empty() {
        let ids: Vec<String> = pending.iter().map(|&k| jobs[k].id.clone()).collect();
        let results = match invoicing.mirror.sync_invoices(&ids, today).await {
            Ok(results) => results,
            Err(error) => {
                let end = ended(Err(error));
                for k in pending {
                    ends[k] = Some(end.clone());
                }
                break;
            }
        };
        let mut unlinked_jobs = Vec::new();
        let mut unlinked = Vec::new();
        let mut mirrored = Vec::new();
        for (k, result) in pending.into_iter().zip(results) {
            match result {
                Err(InvoiceSyncError::Unlinked(records)) if !linked_first => {
                    unlinked_jobs.push(k);
                    unlinked.push(records);
                }
                Err(InvoiceSyncError::Unlinked(records)) => {
                    ends[k] = Some(still_unlinked(&records));
                }
                Err(error) => ends[k] = Some(ended(Err(error))),
                Ok(invoice) => mirrored.push((k, invoice)),
            }
        }
        for (k, end) in finish_invoices(invoicing, mirrored, today).await {
            ends[k] = Some(end);
        }
        pending = Vec::new();
        if unlinked_jobs.is_empty() {
            break;
        }
        linked_first = true;
        match link_first(ctx, connection.id(), &unlinked).await {
            Some(end) => {
                for k in unlinked_jobs {
                    ends[k] = Some(end.clone());
                }
            }
            None => pending = unlinked_jobs,
        }
    }
    (0..jobs.len())
        .map(|k| {
            ends[first_of[k]]
                .clone()
                .expect("every invoice job is answered")
        })
        .collect()
}

/// The mirrored invoices' receivables in one pass for the whole group (every customer, the
/// deals its invoices left due, the customers' records the invoice sync read:
/// `ReceivablesFlow::refresh_after_mirrored`), then each job's note.
async fn finish_invoices(
    invoicing: &Invoicing,
    mirrored: Vec<(usize, MirroredInvoice)>,
    today: NaiveDate,
) -> Vec<(usize, JobEnd)> {
    // An unchanged invoice (the echo of a payment job that refreshed already) moves nothing.
    let moved = |m: &MirroredInvoice| moves_receivables(m.outcome);
    let moving: Vec<&MirroredInvoice> = mirrored
        .iter()
        .map(|(_, m)| m)
        .filter(|m| moved(m))
        .collect();
    let receivables = ReceivablesFlow::new(&invoicing.mirror, &invoicing.receivables)
        .refresh_after_mirrored(&moving, today)
        .await
        .map(|report| receivables_note(report.records_written + report.deals_written))
        .map_err(|e| ended(Err(e)));
    mirrored
        .into_iter()
        .map(|(k, m)| {
            let note = if moved(&m) {
                receivables.clone()
            } else {
                Ok(String::new())
            };
            let end = match note {
                Ok(note) => JobEnd::Finished(invoice_finished(m, &note)),
                Err(end) => end,
            };
            (k, end)
        })
        .collect()
}

/// What a receivables pass wrote, as the end of a job's note.
pub(super) fn receivables_note(written: usize) -> String {
    match written {
        0 => String::new(),
        n => format!("; receivables updated on {n} record(s)"),
    }
}

/// A mirrored invoice's job note, in the user's words.
fn invoice_finished(mirrored: MirroredInvoice, receivables: &str) -> Finished {
    let what = match mirrored.outcome {
        MirrorOutcome::Created => "created HubSpot invoice",
        MirrorOutcome::Updated => "updated HubSpot invoice",
        MirrorOutcome::Unchanged => "HubSpot invoice already up to date:",
        MirrorOutcome::Voided => "voided HubSpot invoice",
        MirrorOutcome::Archived => "archived HubSpot invoice",
        MirrorOutcome::Skipped => "nothing to mirror (voided or deleted before it was mirrored)",
    };
    let mut note = match &mirrored.hubspot_id {
        Some(hs) if mirrored.outcome != MirrorOutcome::Skipped => format!("{what} {hs}"),
        _ => what.to_owned(),
    };
    if let Some(deal) = &mirrored.deal {
        note.push_str(&format!(" on deal {}", deal.deal_id()));
    }
    note.push_str(receivables);
    let warnings = mirrored
        .deal_attention
        .map(|message| FieldWarning {
            field: crate::engine::invoicing::deal::DEAL_WARNING_FIELD.to_owned(),
            side: Side::Hubspot,
            message,
            fix: Some(crate::engine::invoicing::deal::deal_warning_fix()),
        })
        .into_iter()
        .collect();
    Finished {
        note,
        counterpart_id: mirrored.hubspot_id,
        warnings,
    }
}

/// Still unlinked after the linking pass: recorded, retried with backoff.
fn still_unlinked(unlinked: &UnlinkedRecords) -> JobEnd {
    JobEnd::Failed {
        detail: FailureDetail {
            code: None,
            message: unlinked.to_string(),
            suggested_fix: Some(
                "Check the contact/product sync settings (direction, entry filters) and the records' sync status; the invoice syncs once they are linked".into(),
            ),
        },
        retry: true,
    }
}

async fn run_job(
    ctx: &SyncContext,
    connection: &ConnectionRecord,
    invoicing: &Invoicing,
    kind: ObjectKind,
    job: &Job,
) -> JobEnd {
    let today = ctx.clock.now().date_naive();
    let portal = connection
        .connection
        .hubspot_portal_id
        .parse()
        .unwrap_or_default();
    if let Some(execution) = DocActionJob::from_job(job, portal) {
        return run_action(ctx, connection, &invoicing.mirror, &execution, today).await;
    }
    if let Some(estimate) = estimate_id(job) {
        // An estimate's deal is remembered by its job's status row (estimate_jobs.rs).
        return match mirror_estimate(ctx, &invoicing.mirror, job, estimate).await {
            Ok(result) => ended(result.map(|report| Finished {
                note: report.summary(),
                counterpart_id: report.deal,
                warnings: Vec::new(),
            })),
            Err(error) => JobEnd::Later {
                delay: STORE_RETRY,
                reason: error.to_string(),
            },
        };
    }
    // Invoices, payments and credit forms run with their groups (`payment_jobs`).
    ended(Err(InvoiceSyncError::NeedsAttention(format!(
        "{kind} {} is mirrored with its job group, not alone",
        job.id
    ))))
}

/// Syncs the unlinked customers and items of a group's invoices through the two-way engine
/// (which links or creates them per the connection's settings), one group per kind. `Some`
/// when the jobs must wait instead.
async fn link_first(
    ctx: &SyncContext,
    connection: &ConnectionId,
    unlinked: &[UnlinkedRecords],
) -> Option<JobEnd> {
    let now = ctx.clock.now();
    let signal = |kind, id: &str| {
        Job::new(
            connection.clone(),
            kind,
            Side::Quickbooks,
            id,
            JobReason::Retry,
            now,
        )
    };
    let mut groups: Vec<(ObjectKind, Vec<Job>)> = Vec::new();
    let mut seen: Vec<(ObjectKind, String)> = Vec::new();
    for records in unlinked {
        let mut wanted: Vec<(ObjectKind, &str)> = Vec::new();
        if let Some((customer, _)) = &records.customer {
            wanted.push((records.customer_model.customer_kind(), customer));
        }
        wanted.extend(
            records
                .items
                .iter()
                .map(|id| (ObjectKind::Product, id.as_str())),
        );
        for (kind, id) in wanted {
            if seen.iter().any(|(k, i)| *k == kind && i == id) {
                continue;
            }
            seen.push((kind, id.to_owned()));
            match groups.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, jobs)) => jobs.push(signal(kind, id)),
                None => groups.push((kind, vec![signal(kind, id)])),
            }
        }
    }
    for (kind, group) in groups {
        let refs: Vec<&Job> = group.iter().collect();
        for answer in process_group(ctx, connection, kind, &refs).await {
            let (delay, reason) = match answer {
                Disposition::RetryAfter { delay, reason } => (delay, reason),
                Disposition::NotStarted { reason } => (Duration::ZERO, reason),
                Disposition::Done | Disposition::Dropped { .. } => continue,
            };
            return Some(JobEnd::Later {
                delay,
                reason: format!("linking the invoice's {kind} first: {reason}"),
            });
        }
    }
    None
}

async fn run_action(
    ctx: &SyncContext,
    connection: &ConnectionRecord,
    mirror: &InvoiceMirror,
    execution: &DocActionJob,
    today: NaiveDate,
) -> JobEnd {
    let parties = SyncedParties { ctx, connection };
    let action = DocAction {
        mirror,
        parties: &parties,
        records: ExecutionRecords {
            claims: ctx.store.as_ref(),
            connection: connection.id(),
            now: ctx.clock.now(),
        },
    };
    let kind = execution.doc_kind;
    match action.run(execution, today).await {
        Ok(ActionResult::Success(outputs)) => {
            let [id, number, ..] = output_names(kind);
            JobEnd::Finished(Finished {
                note: format!(
                    "workflow action created QuickBooks {kind} {}",
                    outputs
                        .get(&number)
                        .filter(|n| !n.is_empty())
                        .or_else(|| outputs.get(&id))
                        .map(String::as_str)
                        .unwrap_or("?")
                ),
                counterpart_id: outputs.get(&id).cloned(),
                warnings: Vec::new(),
            })
        }
        // Already reported to the workflow (FAIL_CONTINUE); recorded for the sync status too.
        Ok(ActionResult::Failed(message)) => JobEnd::Failed {
            detail: FailureDetail {
                code: None,
                message,
                suggested_fix: Some("Fix the deal, then re-enroll it in the workflow".into()),
            },
            retry: false,
        },
        Err(ActionError::Vendor(error)) => ended(Err(error)),
        Err(ActionError::Later { delay, reason }) => JobEnd::Later { delay, reason },
        Err(ActionError::Store(error)) => JobEnd::Later {
            delay: super::retry_schedule::TRANSIENT_RETRY,
            reason: format!("workflow execution record: {error}"),
        },
    }
}

/// A vendor or data failure as a job end.
pub(super) fn ended(result: Result<Finished, InvoiceSyncError>) -> JobEnd {
    let error = match result {
        Ok(finished) => return JobEnd::Finished(finished),
        Err(InvoiceSyncError::NeedsAttention(message)) => {
            return JobEnd::Failed {
                detail: FailureDetail {
                    code: None,
                    message,
                    suggested_fix: None,
                },
                retry: false,
            };
        }
        Err(InvoiceSyncError::Unlinked(unlinked)) => {
            return JobEnd::Failed {
                detail: FailureDetail {
                    code: None,
                    message: unlinked.to_string(),
                    suggested_fix: None,
                },
                retry: true,
            };
        }
        Err(InvoiceSyncError::Hubspot(e)) => (None, GatewayError::from(e)),
        Err(InvoiceSyncError::Quickbooks(e)) => {
            let code = e.fault().and_then(|f| f.code()).map(str::to_owned);
            (code, GatewayError::from(e))
        }
    };
    let (code, error) = error;
    later(&error).unwrap_or_else(|| JobEnd::Failed {
        detail: FailureDetail {
            code,
            message: error.to_string(),
            suggested_fix: None,
        },
        retry: true,
    })
}

/// The failures the queue waits out (the two-way sync's policy, `gateway_wait`).
fn later(error: &GatewayError) -> Option<JobEnd> {
    gateway_wait(error).map(|delay| JobEnd::Later {
        delay,
        reason: error.to_string(),
    })
}

fn disposition(end: JobEnd) -> Disposition {
    match end {
        JobEnd::Later { delay, reason } => Disposition::RetryAfter { delay, reason },
        JobEnd::Finished(_) | JobEnd::Failed { .. } => Disposition::Done,
    }
}

/// Records a finished or failed job with the jobs' one outcome recorder; workflow executions
/// are not retried automatically (the workflow was told). `Some` when the store failed.
async fn record(ctx: &SyncContext, job: &Job, end: &JobEnd) -> Option<Disposition> {
    match end {
        JobEnd::Later { .. } => None,
        JobEnd::Finished(finished) => {
            let outcome = SyncOutcome::Synced {
                note: Some(finished.note.clone()),
                warnings: finished.warnings.clone(),
            };
            let counterpart = Some(finished.counterpart_id.clone());
            let note = Some(finished.note.clone());
            record_job(ctx, job, Recorded::Outcome(outcome), counterpart, note).await
        }
        JobEnd::Failed { detail, retry } => {
            let recorded = Recorded::Failure {
                detail: detail.clone(),
                retry: *retry && job.action.is_none(),
            };
            record_job(ctx, job, recorded, None, None).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::jobs::retry_schedule::UNAUTHORIZED_RETRY;
    use crate::quickbooks::QboError;
    use crate::quickbooks::error::{ApiFault, FaultError};

    fn fault(status: u16, code: &str, detail: &str) -> ApiFault {
        ApiFault {
            status,
            fault_type: Some("ValidationFault".into()),
            errors: vec![FaultError {
                code: code.into(),
                message: "rejected".into(),
                detail: Some(detail.into()),
                element: None,
            }],
            intuit_tid: Some("tid-1".into()),
        }
    }

    #[test]
    fn waits_go_back_to_the_queue_and_data_problems_are_recorded_with_the_vendors_words() {
        let throttled = ended(Err(InvoiceSyncError::Quickbooks(QboError::Throttled {
            fault: fault(429, "3001", "slow down"),
            retry_after: Duration::from_secs(42),
        })));
        assert!(
            matches!(throttled, JobEnd::Later { delay, .. } if delay == Duration::from_secs(42))
        );

        let invalid = ended(Err(InvoiceSyncError::Quickbooks(
            QboError::BusinessValidation(fault(400, "6000", "Amount is invalid")),
        )));
        let JobEnd::Failed { detail, retry } = invalid else {
            panic!("a validation fault is the record's failure");
        };
        assert_eq!(detail.code.as_deref(), Some("6000"));
        assert!(
            detail.message.contains("Amount is invalid"),
            "{}",
            detail.message
        );
        assert!(retry);

        let attention = ended(Err(InvoiceSyncError::NeedsAttention(
            "the QuickBooks invoice has no customer".into(),
        )));
        assert!(matches!(attention, JobEnd::Failed { retry: false, .. }));

        let unlinked = ended(Err(InvoiceSyncError::Unlinked(UnlinkedRecords {
            customer: Some(("58".into(), Some("Ada".into()))),
            items: vec!["7".into()],
            ..UnlinkedRecords::default()
        })));
        let JobEnd::Failed {
            detail,
            retry: true,
        } = unlinked
        else {
            panic!("unlinked records are retried with backoff");
        };
        assert!(detail.message.contains("Ada (58)") && detail.message.contains("items 7"));
    }

    #[test]
    fn only_queue_waits_hand_the_job_back() {
        let unauthorized = GatewayError::Unauthorized {
            message: "token revoked".into(),
        };
        assert!(
            matches!(later(&unauthorized), Some(JobEnd::Later { delay, .. }) if delay == UNAUTHORIZED_RETRY)
        );
        let other = GatewayError::Other {
            message: "no".into(),
        };
        assert!(later(&other).is_none());
        assert_eq!(
            disposition(JobEnd::Failed {
                detail: FailureDetail {
                    code: None,
                    message: "x".into(),
                    suggested_fix: None
                },
                retry: true
            }),
            Disposition::Done,
            "a recorded failure schedules its own retry job"
        );
    }
}
