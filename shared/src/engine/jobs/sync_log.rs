//! Turns finished units into per-record sync status and log history (invariant 6): the outcome
//! in the user's terms, failure attempts with backoff retries, and "needs attention".

use async_trait::async_trait;

use crate::engine::sync::RecordOutcomes;
use crate::engine::sync::describe::{conflict_note, describe_exclusion, describe_problem};
use crate::engine::sync::plan::Outcome;
use crate::engine::sync::session::Session;
use crate::engine::sync::unit::{UnitReport, UnitResult};
use crate::ports::{
    FailureDetail, Job, JobQueue, JobReason, Lane, LinkStore, RecordRef, StoreError, SyncLogEntry,
    SyncOutcome, SyncStatus,
};

use super::retry_schedule::{record_backoff, retries_left};

/// What to store for a report: the outcome, and whether it is a failure that may be retried.
enum Recorded {
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
                note.extend(problems.iter().map(describe_problem));
                Recorded::Outcome(SyncOutcome::Synced {
                    note: (!note.is_empty()).then(|| note.join("; ")),
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
    let store: &dyn LinkStore = session.store;
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
            let status = match &recorded {
                Recorded::Nothing => continue,
                Recorded::Outcome(outcome) => SyncStatus {
                    kind: session.kind,
                    side: anchor.side,
                    id: anchor.id.clone(),
                    counterpart_id,
                    outcome: outcome.clone(),
                    attempts: 0,
                    next_retry_at: None,
                    needs_attention: false,
                    updated_at: session.now,
                },
                Recorded::Failure { detail, retry } => {
                    let attempts = previous
                        .as_ref()
                        .filter(|p| matches!(p.outcome, SyncOutcome::Failed(_)))
                        .map_or(0, |p| p.attempts)
                        + 1;
                    let again = *retry && retries_left(attempts);
                    let next_retry_at = again.then(|| {
                        session.now
                            + chrono::Duration::from_std(record_backoff(attempts))
                                .unwrap_or(chrono::Duration::MAX)
                    });
                    if again && anchor == report.unit.primary() {
                        retry_at = Some((anchor.clone(), record_backoff(attempts)));
                    }
                    SyncStatus {
                        kind: session.kind,
                        side: anchor.side,
                        id: anchor.id.clone(),
                        counterpart_id,
                        outcome: SyncOutcome::Failed(detail.clone()),
                        attempts,
                        next_retry_at,
                        needs_attention: !again,
                        updated_at: session.now,
                    }
                }
            };
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
            let job = Job::new(
                connection.clone(),
                session.kind,
                anchor.side,
                anchor.id.clone(),
                JobReason::Retry,
                session.now,
            );
            if let Err(error) = queue.enqueue(Lane::Live, vec![job], Some(delay)).await {
                // The poller or the next change brings the record back; say so loudly.
                tracing::error!(%error, record = %anchor.id, "could not schedule a retry job");
            }
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
