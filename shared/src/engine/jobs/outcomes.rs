//! The one outcome recorder of every flow: per-record sync status and log history, the outcome
//! in the user's terms, failure attempts with backoff retries, and "needs attention".

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::engine::sync::RecordOutcomes;
use crate::engine::sync::describe::{conflict_note, describe_exclusion, field_warning};
use crate::engine::sync::plan::Outcome;
use crate::engine::sync::session::Session;
use crate::engine::sync::unit::{UnitReport, UnitResult};
use crate::model::ObjectKind;
use crate::ports::{
    FailureDetail, Job, JobQueue, JobReason, RecordRef, StatusLog, StoreError, SyncLogEntry,
    SyncOutcome, SyncStatus,
};
use crate::ports::{Origin, lane_for};

use super::context::SyncContext;
use super::disposition::Disposition;
use super::retry_schedule::{MAX_RECORD_ATTEMPTS, STORE_RETRY, record_backoff, retries_left};

/// What a finished record or job came to: nothing worth a status, an outcome, or a failure
/// that may be retried.
pub(crate) enum Recorded {
    Nothing,
    Outcome(SyncOutcome),
    Failure { detail: FailureDetail, retry: bool },
}

fn recorded(report: &UnitReport) -> Recorded {
    let notes = &report.unit.notes;
    match &report.result {
        UnitResult::Failed { detail, retry } => Recorded::Failure {
            detail: detail.clone(),
            retry: *retry,
        },
        UnitResult::Planned {
            outcome,
            conflicts,
            problems,
        } => match outcome {
            Outcome::SyncOff | Outcome::NothingToSync => Recorded::Nothing,
            Outcome::Excluded(exclusion) => Recorded::Outcome(SyncOutcome::Excluded {
                filter: describe_exclusion(exclusion),
            }),
            Outcome::Unsyncable { side, reason } => Recorded::Failure {
                detail: FailureDetail {
                    code: None,
                    message: reason.clone(),
                    suggested_fix: Some(format!(
                        "Fill in the missing fields so a {side} record can be created"
                    )),
                },
                retry: false,
            },
            _ if !conflicts.is_empty() => Recorded::Outcome(SyncOutcome::Conflict {
                conflicts: conflicts.iter().map(conflict_note).collect(),
            }),
            other => {
                let mut note: Vec<String> = notes.clone();
                if let Outcome::Inactive { side } = other {
                    note.push(format!("inactive on {side}: fields are not synced"));
                }
                Recorded::Outcome(SyncOutcome::Synced {
                    note: (!note.is_empty()).then(|| note.join("; ")),
                    warnings: problems.iter().map(field_warning).collect(),
                })
            }
        },
    }
}

/// Same status apart from the time it was written.
fn same_status(a: &SyncStatus, b: &SyncStatus) -> bool {
    SyncStatus {
        updated_at: b.updated_at,
        ..a.clone()
    } == *b
}

/// Records every report: statuses of its anchors, one log entry when something changed, and a
/// delayed retry job for failures with attempts left.
async fn record_reports(
    session: &Session<'_>,
    queue: &dyn JobQueue,
    reports: &[UnitReport],
) -> Result<(), StoreError> {
    let store: &dyn StatusLog = session.store;
    let connection = session.connection_id();
    let mut log = Vec::new();
    for report in reports {
        let recorded = recorded(report);
        if matches!(recorded, Recorded::Nothing) {
            continue;
        }
        let mut changed = !report.actions.is_empty();
        let mut logged_outcome = None;
        let mut retry_at = None;
        for anchor in &report.unit.anchors {
            let previous = store
                .get_status(connection, session.kind, anchor.side, &anchor.id)
                .await?;
            let counterpart_id = report.id(anchor.side.other()).map(str::to_owned);
            let Some(next) = next_status(
                session.kind,
                anchor,
                previous.as_ref(),
                &recorded,
                counterpart_id,
                session.now,
            ) else {
                continue;
            };
            if let Some(delay) = next.retry_in
                && anchor == report.unit.primary()
            {
                retry_at = Some((anchor.clone(), delay));
            }
            let status = next.status;
            if previous.as_ref().is_some_and(|p| same_status(p, &status)) {
                continue;
            }
            // Nothing happened (an echo, a repeated signal): keep the last real outcome unless
            // it was a failure that this clean pass resolves.
            let in_sync = matches!(
                report.result,
                UnitResult::Planned {
                    outcome: Outcome::InSync,
                    ..
                }
            );
            let was_failed = previous
                .as_ref()
                .is_some_and(|p| matches!(p.outcome, SyncOutcome::Failed(_)));
            if in_sync && previous.is_some() && !was_failed {
                continue;
            }
            // A first status of a record already in sync is stored but not worth a log line.
            changed |= !in_sync || was_failed;
            logged_outcome.get_or_insert(status.outcome.clone());
            store.put_status(connection, &status).await?;
        }
        if let Some((anchor, delay)) = retry_at {
            let job = Job {
                // The merge hint comes back with the retry (docs/architecture.md §13).
                merged_into: report.unit.merged_into.as_ref().map(|r| r.id.clone()),
                ..Job::new(
                    connection.clone(),
                    session.kind,
                    anchor.side,
                    anchor.id.clone(),
                    JobReason::Retry,
                    session.now,
                )
            };
            schedule_retry(queue, job, delay).await;
        }
        if changed {
            let primary: &RecordRef = report.unit.primary();
            let outcome = match (logged_outcome, &recorded) {
                (Some(outcome), _) => outcome,
                (None, Recorded::Outcome(outcome)) => outcome.clone(),
                (None, Recorded::Failure { detail, .. }) => SyncOutcome::Failed(detail.clone()),
                (None, Recorded::Nothing) => continue,
            };
            let action = if report.actions.is_empty() {
                outcome.label().to_owned()
            } else {
                report.actions.join("; ")
            };
            log.push(SyncLogEntry {
                at: session.now,
                kind: session.kind,
                side: primary.side,
                id: primary.id.clone(),
                counterpart_id: report.id(primary.side.other()).map(str::to_owned),
                outcome,
                action,
            });
        }
    }
    if !log.is_empty() {
        store.append_log(connection, &log).await?;
    }
    Ok(())
}

/// A record's next status, and the delay of its retry job when it gets one.
pub(crate) struct NextStatus {
    pub status: SyncStatus,
    pub retry_in: Option<Duration>,
}

/// The one place statuses, attempts and backoff are decided, for every flow: an outcome resets
/// the attempts; a failure counts consecutive failed attempts, and is retried after
/// `record_backoff` while attempts are left, else "needs attention". `None` for `Nothing`.
pub(crate) fn next_status(
    kind: ObjectKind,
    record: &RecordRef,
    previous: Option<&SyncStatus>,
    recorded: &Recorded,
    counterpart_id: Option<String>,
    now: DateTime<Utc>,
) -> Option<NextStatus> {
    let status = |outcome, attempts, next_retry_at, needs_attention| SyncStatus {
        kind,
        side: record.side,
        id: record.id.clone(),
        counterpart_id,
        outcome,
        attempts,
        next_retry_at,
        needs_attention,
        updated_at: now,
    };
    match recorded {
        Recorded::Nothing => None,
        Recorded::Outcome(outcome) => Some(NextStatus {
            status: status(outcome.clone(), 0, None, false),
            retry_in: None,
        }),
        Recorded::Failure { detail, retry } => {
            let attempts = previous
                .filter(|p| matches!(p.outcome, SyncOutcome::Failed(_)))
                .map_or(0, |p| p.attempts)
                + 1;
            let again = *retry && retries_left(attempts);
            let delay = record_backoff(attempts);
            let next_retry_at = again
                .then(|| now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX));
            Some(NextStatus {
                status: status(
                    SyncOutcome::Failed(detail.clone()),
                    attempts,
                    next_retry_at,
                    !again,
                ),
                retry_in: again.then_some(delay),
            })
        }
    }
}

/// Queues `job` again after `delay` on the live lane; a failure is logged (the poller or the
/// next change brings the record back).
pub(crate) async fn schedule_retry(queue: &dyn JobQueue, job: Job, delay: Duration) {
    if let Err(error) = queue
        .enqueue(lane_for(Origin::Single), vec![job.clone()], Some(delay))
        .await
    {
        tracing::error!(%error, record = %job.id, "could not schedule a retry job");
    }
}

/// Records one job of a mirrored kind: its status, one log line (`note`, or the failure with
/// its attempt), and a retry job while attempts are left. `counterpart_id` `None` keeps the
/// stored counterpart, `Some` replaces it. `Some` when the store failed and the job must come back.
pub(crate) async fn record_job(
    ctx: &SyncContext,
    job: &Job,
    recorded: Recorded,
    counterpart_id: Option<Option<String>>,
    note: Option<String>,
) -> Option<Disposition> {
    let now = ctx.clock.now();
    let record = RecordRef::new(job.side, job.id.clone());
    let previous = match ctx
        .store
        .get_status(&job.connection, job.kind, job.side, &job.id)
        .await
    {
        Ok(previous) => previous,
        Err(error) => return Some(store_retry(error)),
    };
    let counterpart_id =
        counterpart_id.unwrap_or_else(|| previous.as_ref().and_then(|p| p.counterpart_id.clone()));
    let next = next_status(
        job.kind,
        &record,
        previous.as_ref(),
        &recorded,
        counterpart_id,
        now,
    )?;
    let action = match (note, &next.status.outcome) {
        (Some(note), _) => note,
        (None, SyncOutcome::Failed(detail)) => format!(
            "failed (attempt {} of {MAX_RECORD_ATTEMPTS}): {}",
            next.status.attempts, detail.message
        ),
        (None, outcome) => outcome.label().to_owned(),
    };
    let entry = SyncLogEntry {
        at: now,
        kind: job.kind,
        side: job.side,
        id: job.id.clone(),
        counterpart_id: next.status.counterpart_id.clone(),
        outcome: next.status.outcome.clone(),
        action,
    };
    if let Err(error) = ctx.store.put_status(&job.connection, &next.status).await {
        return Some(store_retry(error));
    }
    if let Err(error) = ctx.store.append_log(&job.connection, &[entry]).await {
        tracing::error!(%error, "could not append to the sync log");
    }
    if let Some(delay) = next.retry_in {
        let again = Job {
            reason: JobReason::Retry,
            seen_at: now,
            // A retry is the record's own: its initial sync run already counted it as failed.
            backfill: None,
            ..job.clone()
        };
        schedule_retry(ctx.queue.as_ref(), again, delay).await;
    }
    None
}

fn store_retry(error: StoreError) -> Disposition {
    Disposition::RetryAfter {
        delay: STORE_RETRY,
        reason: error.to_string(),
    }
}

/// The outcome recorder the two-way sync hands its finished units to.
pub(crate) struct UnitOutcomes;

#[async_trait]
impl RecordOutcomes for UnitOutcomes {
    async fn record(
        &self,
        session: &Session<'_>,
        queue: &dyn JobQueue,
        reports: &[UnitReport],
    ) -> Result<(), StoreError> {
        record_reports(session, queue, reports).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Side;

    fn failure(retry: bool) -> Recorded {
        Recorded::Failure {
            detail: FailureDetail {
                code: None,
                message: "no".into(),
                suggested_fix: None,
            },
            retry,
        }
    }

    #[test]
    fn failures_count_attempts_back_off_and_run_out_while_outcomes_reset_them() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let record = RecordRef::new(Side::Quickbooks, "7");
        let next = |previous: Option<&SyncStatus>, recorded: &Recorded| {
            next_status(ObjectKind::Invoice, &record, previous, recorded, None, now).unwrap()
        };
        let first = next(None, &failure(true));
        assert_eq!(first.status.attempts, 1);
        assert_eq!(first.retry_in, Some(record_backoff(1)));
        assert!(!first.status.needs_attention && first.status.next_retry_at.is_some());

        let mut last = first;
        for _ in 1..MAX_RECORD_ATTEMPTS {
            last = next(Some(&last.status), &failure(true));
        }
        assert_eq!(last.status.attempts, MAX_RECORD_ATTEMPTS);
        assert_eq!(last.retry_in, None, "attempts ran out");
        assert!(last.status.needs_attention);

        let not_retried = next(None, &failure(false));
        assert!(not_retried.retry_in.is_none() && not_retried.status.needs_attention);

        let synced = next(
            Some(&last.status),
            &Recorded::Outcome(SyncOutcome::Synced {
                note: None,
                warnings: Vec::new(),
            }),
        );
        assert_eq!(synced.status.attempts, 0);
        assert!(!synced.status.needs_attention && synced.retry_in.is_none());
        assert!(
            next_status(
                ObjectKind::Invoice,
                &record,
                None,
                &Recorded::Nothing,
                None,
                now
            )
            .is_none()
        );
    }
}
