//! The worker's side of a fanned-out initial sync: a page job lists one page, queues one record
//! job per record and the next page job (a kind's last page hands over to its estimates);
//! finished record jobs are counted into their run.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::engine::sync::waits::gateway_wait;
use crate::model::kinds::QboOnlyForm;
use crate::model::{ConnectionId, ObjectKind};
use crate::ports::{
    BackfillPage, BackfillTag, Cursor, InitialSyncRuns, Job, JobReason, RunCounts, StoreError,
    SyncOutcome,
};
use crate::ports::{Origin, lane_for};

use super::active::active_connection;
use super::backfill::RunScope;
use super::context::SyncContext;
use super::disposition::{Disposition, JobResult};
use super::retry_schedule::{STORE_RETRY, TRANSIENT_RETRY};
use super::sweep_unchanged::unchanged_ids;

/// Runs one page job: lists page `page` of the job's kind and side, queues its records (reason
/// Backfill, tagged with the run) and the next page on the bulk lane, and counts them; after
/// the last page it sets the side's cursor so the poller takes over from the run's start.
pub(crate) async fn run_page_job(
    ctx: &SyncContext,
    job: &Job,
    run_id: &str,
    page: &BackfillPage,
) -> Disposition {
    let connection = match active_connection(ctx, &job.connection).await {
        Ok(connection) => connection,
        Err(disposition) => return disposition,
    };
    let run = match ctx.store.get_initial_sync(&job.connection).await {
        Ok(Some(run)) if run.id == run_id => run,
        Ok(_) => {
            return Disposition::Dropped {
                reason: format!("initial sync {run_id} was replaced by a newer run"),
            };
        }
        Err(error) => return store_retry(error),
    };
    if connection.connection.settings.state(job.kind) != crate::model::SyncState::Enabled {
        let reason = format!("{} sync was turned off during the initial sync", job.kind);
        return give_up_page(ctx, job, run_id, reason).await;
    }
    let gateways = match ctx.gateways.gateways(&connection).await {
        Ok(gateways) => gateways,
        Err(error) => {
            return Disposition::RetryAfter {
                delay: gateway_wait(&error).unwrap_or(TRANSIENT_RETRY),
                reason: error.to_string(),
            };
        }
    };
    let form = match page.form.as_deref() {
        None => None,
        Some(entity) => match QboOnlyForm::exactly(entity) {
            Some(form) => Some(form),
            None => {
                let reason = format!("page job names no QuickBooks form {entity:?}");
                return give_up_page(ctx, job, run_id, reason).await;
            }
        },
    };
    let side = gateways.side(job.side);
    let listed = match form {
        None => side.list_page(job.kind, page.after.clone()).await,
        Some(form) => side.list_form_page(form, page.after.clone()).await,
    };
    let listed = match listed {
        Ok(listed) => listed,
        Err(error) => {
            return match gateway_wait(&error) {
                Some(delay) => Disposition::RetryAfter {
                    delay,
                    reason: error.to_string(),
                },
                None => {
                    let listing = page.form.clone().unwrap_or_else(|| job.kind.to_string());
                    let reason = format!(
                        "listing page {} of {listing} on {} failed: {error}",
                        page.number, job.side
                    );
                    give_up_page(ctx, job, run_id, reason).await
                }
            };
        }
    };
    let now = ctx.clock.now();
    let unchanged = if RunScope::of_run(run_id) == RunScope::Sweep {
        unchanged_ids(
            ctx,
            &connection.connection.settings,
            &gateways,
            job,
            &listed.records,
        )
        .await
    } else {
        BTreeSet::new()
    };
    let records: Vec<Job> = listed
        .records
        .iter()
        .filter(|record| !unchanged.contains(&record.id))
        .map(|record| Job {
            backfill: Some(BackfillTag {
                run: run_id.to_owned(),
                page: None,
            }),
            ..Job::new(
                job.connection.clone(),
                job.kind,
                job.side,
                record.id.clone(),
                JobReason::Backfill,
                now,
            )
        })
        .collect();
    let queued = match ctx
        .queue
        .enqueue(lane_for(Origin::Bulk), records, None)
        .await
    {
        Ok(written) => written,
        Err(error) => return retry(error.to_string()),
    };
    let mut delta = RunCounts {
        listed: listed.records.len() as u64,
        queued: queued as u64,
        pages_done: 1,
        unchanged: unchanged.len() as u64,
        ..RunCounts::default()
    };
    match listed.next {
        Some(after) => {
            let next = Job::backfill_page(
                job.connection.clone(),
                job.kind,
                job.side,
                run_id,
                BackfillPage {
                    number: page.number + 1,
                    after: Some(after),
                    form: page.form.clone(),
                },
                now,
            );
            if let Err(error) = ctx
                .queue
                .enqueue(lane_for(Origin::Bulk), vec![next], None)
                .await
            {
                // Listing this page again re-queues its records; waiting ones coalesce.
                return retry(error.to_string());
            }
            delta.pages_queued = 1;
        }
        None => {
            // The kind's own listing ends: the poller takes over from the run's start (the
            // kind's CDC request brings its forms' changes too).
            if form.is_none()
                && let Err(disposition) = set_cursor(ctx, job, run.started_at, now).await
            {
                return disposition;
            }
            // The next form listed with the kind (estimates after invoices), counted into the
            // kind's pages.
            if let Some(next_form) = next_form(job.kind, form) {
                let next = Job::backfill_page(
                    job.connection.clone(),
                    job.kind,
                    job.side,
                    run_id,
                    BackfillPage {
                        number: 1,
                        after: None,
                        form: Some(next_form.entity.to_owned()),
                    },
                    now,
                );
                if let Err(error) = ctx
                    .queue
                    .enqueue(lane_for(Origin::Bulk), vec![next], None)
                    .await
                {
                    return retry(error.to_string());
                }
                delta.pages_queued = 1;
            }
        }
    }
    if let Err(error) = ctx
        .store
        .count_initial_sync(&job.connection, run_id, job.kind, &delta, None)
        .await
    {
        tracing::warn!(%error, run = run_id, "could not count a listed page");
    }
    Disposition::Done
}

/// The form listed after `current` (the kind's own records when `None`) for `kind`.
fn next_form(
    kind: ObjectKind,
    current: Option<&'static QboOnlyForm>,
) -> Option<&'static QboOnlyForm> {
    let mut forms = QboOnlyForm::backfilled_with(kind);
    match current {
        None => forms.next(),
        Some(current) => forms.skip_while(|f| *f != current).nth(1),
    }
}

/// Sets the side's cursor after a full listing begun at `started`.
async fn set_cursor(
    ctx: &SyncContext,
    job: &Job,
    started: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Disposition> {
    let existing = ctx
        .store
        .get_cursor(&job.connection, job.side, job.kind)
        .await
        .map_err(store_retry)?;
    let cursor = Cursor {
        watermark: existing.map_or(started, |c| c.watermark.min(started)),
        last_full_sweep: Some(now),
        queued: Vec::new(),
    };
    ctx.store
        .put_cursor(&job.connection, job.side, job.kind, &cursor)
        .await
        .map_err(store_retry)
}

/// Ends a page job that can never list its page: counted as a failed page with `reason`.
async fn give_up_page(ctx: &SyncContext, job: &Job, run_id: &str, reason: String) -> Disposition {
    let delta = RunCounts {
        pages_failed: 1,
        ..RunCounts::default()
    };
    if let Err(error) = ctx
        .store
        .count_initial_sync(&job.connection, run_id, job.kind, &delta, Some(&reason))
        .await
    {
        return store_retry(error);
    }
    Disposition::Dropped { reason }
}

fn retry(reason: String) -> Disposition {
    Disposition::RetryAfter {
        delay: TRANSIENT_RETRY,
        reason,
    }
}

fn store_retry(error: StoreError) -> Disposition {
    Disposition::RetryAfter {
        delay: STORE_RETRY,
        reason: error.to_string(),
    }
}

/// Counts the finished record jobs of initial sync runs: done, or failed when the record's
/// status says it failed or the job was dropped. Jobs handed back count when they finish.
pub(crate) async fn count_record_jobs(ctx: &SyncContext, results: &[JobResult]) {
    let mut deltas: BTreeMap<(ConnectionId, String, ObjectKind), RunCounts> = BTreeMap::new();
    for result in results {
        let job = &result.job;
        let Some(run) = job.backfill_run() else {
            continue;
        };
        let failed = match &result.disposition {
            Disposition::RetryAfter { .. } | Disposition::NotStarted { .. } => continue,
            Disposition::Dropped { .. } => true,
            Disposition::Done => match ctx
                .store
                .get_status(&job.connection, job.kind, job.side, &job.id)
                .await
            {
                Ok(status) => status.is_some_and(|s| matches!(s.outcome, SyncOutcome::Failed(_))),
                Err(error) => {
                    tracing::warn!(%error, "could not read a backfilled record's status");
                    false
                }
            },
        };
        let delta = deltas
            .entry((job.connection.clone(), run.to_owned(), job.kind))
            .or_default();
        if failed {
            delta.failed += 1;
        } else {
            delta.done += 1;
        }
    }
    for ((connection, run, kind), delta) in deltas {
        if let Err(error) = ctx
            .store
            .count_initial_sync(&connection, &run, kind, &delta, None)
            .await
        {
            tracing::warn!(%error, %run, "could not count finished initial sync jobs");
        }
    }
}

/// Counts a dead-lettered job of an initial sync run: a record job as failed, a page job as a
/// failed page (with `reason` as the run's error).
pub async fn count_dead_letter<S: InitialSyncRuns + ?Sized>(
    store: &S,
    job: &Job,
    reason: &str,
) -> Result<(), StoreError> {
    let Some(tag) = &job.backfill else {
        return Ok(());
    };
    let (delta, error) = match &tag.page {
        Some(_) => (
            RunCounts {
                pages_failed: 1,
                ..RunCounts::default()
            },
            Some(reason),
        ),
        None => (
            RunCounts {
                failed: 1,
                ..RunCounts::default()
            },
            None,
        ),
    };
    store
        .count_initial_sync(&job.connection, &tag.run, job.kind, &delta, error)
        .await
}
