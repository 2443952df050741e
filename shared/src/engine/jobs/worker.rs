//! The worker: takes a batch of jobs, groups them by connection and kind, runs each group
//! through its kind's flow (`dispatch`) and each initial sync page job through the page flow,
//! runs each connection's sweep job, counts finished initial sync record jobs into their run, and
//! answers one disposition each; a repeated signal for the same record in one batch is run
//! once (SQS cannot coalesce waiting messages); a job left without an answer is handed back.

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use crate::model::{ConnectionId, ObjectKind};
use crate::ports::Job;

use super::backfill_pages::{count_record_jobs, run_page_job};
use super::context::SyncContext;
use super::dispatch::FLOWS;
use super::disposition::{Disposition, JobResult, no_answer, out_of_time};
use super::sweep_job::run_sweep_job;

/// Processes `jobs` and returns one result per job, in input order.
pub async fn process_jobs(ctx: &SyncContext, jobs: Vec<Job>) -> Vec<JobResult> {
    process_jobs_until(ctx, jobs, None).await
}

/// [`process_jobs`] that starts no new work after `stop_at` (a Lambda's deadline minus the
/// time one group may take): jobs not started are handed back at once, none is half done.
pub async fn process_jobs_until(
    ctx: &SyncContext,
    jobs: Vec<Job>,
    stop_at: Option<Instant>,
) -> Vec<JobResult> {
    let mut groups: BTreeMap<(ConnectionId, ObjectKind), Vec<usize>> = BTreeMap::new();
    let mut dispositions: Vec<Option<Disposition>> = vec![None; jobs.len()];
    let mut subjects = HashSet::new();
    for (i, job) in jobs.iter().enumerate() {
        // The same record twice in a batch (SQS delivers what it holds; the local queues
        // coalesce waiting signals already): the first job re-reads the record for both, the
        // repeat is done. Initial sync record jobs each count into their run, so they stay.
        if job.backfill.is_none() && !subjects.insert(job.subject()) {
            dispositions[i] = Some(Disposition::Done);
            continue;
        }
        if job.is_sweep() {
            dispositions[i] = Some(if stop_at.is_some_and(|t| Instant::now() >= t) {
                out_of_time()
            } else {
                run_sweep_job(ctx, job).await
            });
            continue;
        }
        if let Some((run, page)) = job.backfill_page_of() {
            dispositions[i] = Some(if stop_at.is_some_and(|t| Instant::now() >= t) {
                out_of_time()
            } else {
                run_page_job(ctx, job, run, page).await
            });
            continue;
        }
        groups
            .entry((job.connection.clone(), job.kind))
            .or_default()
            .push(i);
    }
    for ((connection, kind), indexes) in groups {
        let group: Vec<&Job> = indexes.iter().map(|&i| &jobs[i]).collect();
        let answers = if stop_at.is_some_and(|t| Instant::now() >= t) {
            vec![out_of_time(); group.len()]
        } else {
            FLOWS.run(ctx, &connection, kind, &group, stop_at).await
        };
        for (i, answer) in indexes.into_iter().zip(answers) {
            dispositions[i] = Some(answer);
        }
    }
    let results: Vec<JobResult> = jobs
        .into_iter()
        .zip(dispositions)
        .map(|(job, disposition)| JobResult {
            job,
            // A flow that answered fewer jobs than it was given: nothing is known about the
            // rest, so they come back rather than being deleted unseen.
            disposition: disposition.unwrap_or_else(no_answer),
        })
        .collect();
    count_record_jobs(ctx, &results).await;
    results
}
