//! The worker: takes a batch of jobs, groups them by connection and kind, syncs each group's
//! records in bounded re-plan rounds, records outcomes, and answers one disposition per job.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::mapping::MappingSet;
use crate::model::{ConnectionId, ObjectKind, SyncState};
use crate::ports::{
    Clock, ConnectionRecord, ConnectionStatus, Job, JobQueue, Lane, LinkStore, QueueError,
    RecordRef,
};

use crate::engine::sync::apply::apply;
use crate::engine::sync::prepare::{PrepareResult, prepare};
use crate::engine::sync::record_source::{RecordSource, Snapshot};
use crate::engine::sync::session::{Session, gateway_failure};
use crate::engine::sync::unit::{Step, Unit, UnitReport};

use super::gateways::GatewayDirectory;
use super::mirror_jobs::process_mirror_group;
use super::retry_schedule::{MAX_PLAN_ROUNDS, PAUSED_RETRY, TRANSIENT_RETRY};
use super::sync_log::record_reports;

/// The ports the engine runs on.
#[derive(Clone)]
pub struct SyncContext {
    pub store: Arc<dyn LinkStore>,
    pub queue: Arc<dyn JobQueue>,
    pub clock: Arc<dyn Clock>,
    pub gateways: Arc<dyn GatewayDirectory>,
}

/// What the caller should do with a job after the worker looked at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Handled: synced, excluded, or failed with its own retry scheduled. Delete the job.
    Done,
    /// Give the job back to the queue after `delay` (throttling, transient faults, a key being
    /// created by another job, a paused connection). Not a record failure.
    RetryAfter { delay: Duration, reason: String },
    /// The job can never be processed (unknown connection, sync off); delete it.
    Dropped { reason: String },
}

/// The answer for one job.
#[derive(Debug, Clone, PartialEq)]
pub struct JobResult {
    pub job: Job,
    pub disposition: Disposition,
}

/// Processes `jobs` and returns one result per job, in input order.
pub async fn process_jobs(ctx: &SyncContext, jobs: Vec<Job>) -> Vec<JobResult> {
    process_jobs_until(ctx, jobs, None).await
}

/// The answer for jobs the worker had no time left to start.
pub(super) fn out_of_time() -> Disposition {
    Disposition::RetryAfter {
        delay: Duration::ZERO,
        reason: "the invocation ran out of time before this job started; handed back".into(),
    }
}

/// [`process_jobs`] that starts no new work after `stop_at` (a Lambda's deadline minus the
/// time one group may take): jobs not started are handed back at once, none is half done.
pub async fn process_jobs_until(
    ctx: &SyncContext,
    jobs: Vec<Job>,
    stop_at: Option<Instant>,
) -> Vec<JobResult> {
    let mut groups: BTreeMap<(ConnectionId, ObjectKind), Vec<usize>> = BTreeMap::new();
    for (i, job) in jobs.iter().enumerate() {
        groups
            .entry((job.connection.clone(), job.kind))
            .or_default()
            .push(i);
    }
    let mut dispositions: Vec<Option<Disposition>> = vec![None; jobs.len()];
    for ((connection, kind), indexes) in groups {
        let group: Vec<&Job> = indexes.iter().map(|&i| &jobs[i]).collect();
        let answers = if stop_at.is_some_and(|t| Instant::now() >= t) {
            vec![out_of_time(); group.len()]
        } else if kind.is_two_way() {
            process_group(ctx, &connection, kind, &group).await
        } else {
            process_mirror_group(ctx, &connection, kind, &group, stop_at).await
        };
        for (i, answer) in indexes.into_iter().zip(answers) {
            dispositions[i] = Some(answer);
        }
    }
    jobs.into_iter()
        .zip(dispositions)
        .map(|(job, disposition)| JobResult {
            job,
            disposition: disposition.unwrap_or(Disposition::Done),
        })
        .collect()
}

/// The connection a group of jobs belongs to, if it is active; else what to do with the jobs.
pub(super) async fn active_connection(
    ctx: &SyncContext,
    connection_id: &ConnectionId,
) -> Result<ConnectionRecord, Disposition> {
    let connection = match ctx.store.get_connection(connection_id).await {
        Ok(Some(connection)) => connection,
        Ok(None) => {
            return Err(Disposition::Dropped {
                reason: format!("unknown connection {connection_id}"),
            });
        }
        Err(error) => {
            return Err(Disposition::RetryAfter {
                delay: TRANSIENT_RETRY,
                reason: error.to_string(),
            });
        }
    };
    if connection.status != ConnectionStatus::Active {
        return Err(Disposition::RetryAfter {
            delay: PAUSED_RETRY,
            reason: format!("connection {connection_id} is {:?}", connection.status),
        });
    }
    Ok(connection)
}

/// One connection and a two-way kind: settings and gateways, then the units of the jobs.
pub(super) async fn process_group(
    ctx: &SyncContext,
    connection_id: &ConnectionId,
    kind: ObjectKind,
    jobs: &[&Job],
) -> Vec<Disposition> {
    let all = |d: Disposition| vec![d; jobs.len()];
    let connection = match active_connection(ctx, connection_id).await {
        Ok(connection) => connection,
        Err(disposition) => return all(disposition),
    };
    let object = connection.connection.settings.object(kind);
    if object.state == SyncState::Deleted
        && let Err(error) = ctx.store.forget_kind(connection_id, kind).await
    {
        // "Deleted" forgets links and cursors; try again with the next job of this kind.
        tracing::warn!(%error, %kind, "could not forget a deleted kind");
    }
    if object.state != SyncState::Enabled {
        return all(Disposition::Dropped {
            reason: format!("{kind} sync is {:?} for {connection_id}", object.state),
        });
    }
    let mappings = match MappingSet::build(kind, object) {
        Ok(mappings) => mappings,
        Err(error) => {
            return all(Disposition::Dropped {
                reason: format!("invalid settings: {error}"),
            });
        }
    };
    let gateways = match ctx.gateways.gateways(&connection).await {
        Ok(gateways) => gateways,
        Err(error) => {
            let step = gateway_failure(Unit::new(RecordRef::new(jobs[0].side, "")), &error);
            return all(disposition_of(&step));
        }
    };

    let mut units: Vec<Unit> = Vec::new();
    for job in jobs {
        let anchor = RecordRef::new(job.side, job.id.clone());
        if !units.iter().any(|u| u.anchors.contains(&anchor)) {
            units.push(Unit::new(anchor));
        }
    }
    let mut session = Session {
        connection: &connection,
        kind,
        mappings: &mappings,
        store: ctx.store.as_ref(),
        gateways: &gateways,
        now: ctx.clock.now(),
        consumed: HashMap::new(),
    };
    let steps = sync_units(&mut session, ctx.queue.as_ref(), units, None).await;

    let mut by_anchor: HashMap<RecordRef, Disposition> = HashMap::new();
    for step in &steps {
        let unit = match step {
            Step::Finished(report) => &report.unit,
            Step::Retry { unit, .. } | Step::Replan(unit) => unit,
        };
        for anchor in &unit.anchors {
            by_anchor.insert(anchor.clone(), disposition_of(step));
        }
    }
    jobs.iter()
        .map(|job| {
            by_anchor
                .get(&RecordRef::new(job.side, job.id.clone()))
                .cloned()
                .unwrap_or(Disposition::Done)
        })
        .collect()
}

fn disposition_of(step: &Step) -> Disposition {
    match step {
        Step::Finished(_) => Disposition::Done,
        Step::Retry { delay, reason, .. } => Disposition::RetryAfter {
            delay: *delay,
            reason: reason.clone(),
        },
        Step::Replan(_) => Disposition::RetryAfter {
            delay: TRANSIENT_RETRY,
            reason: "the records kept changing while being synced".into(),
        },
    }
}

/// Syncs `units` in up to `MAX_PLAN_ROUNDS` rounds (the first may read from `snapshot`),
/// records the finished ones, and returns the final step of every unit. Units still asking
/// for a re-plan after the last round are returned as `Step::Replan`.
pub(crate) async fn sync_units(
    session: &mut Session<'_>,
    queue: &dyn JobQueue,
    units: Vec<Unit>,
    snapshot: Option<&Snapshot>,
) -> Vec<Step> {
    let mut finals: Vec<Step> = Vec::new();
    let mut pending = units;
    for round in 0..MAX_PLAN_ROUNDS {
        if pending.is_empty() {
            break;
        }
        let source = match (round, snapshot) {
            (0, Some(snapshot)) => RecordSource::Snapshot(snapshot),
            _ => RecordSource::Live(session.gateways),
        };
        let mut ready = Vec::new();
        for result in prepare(session, std::mem::take(&mut pending), source).await {
            match result {
                PrepareResult::Ready(prepared) => ready.push(prepared),
                PrepareResult::Done(Step::Replan(unit)) => pending.push(unit),
                PrepareResult::Done(step) => finals.push(step),
                PrepareResult::AlreadyPaired => {}
            }
        }
        for step in apply(session, ready).await {
            match step {
                Step::Replan(unit) => pending.push(unit),
                other => finals.push(other),
            }
        }
    }
    finals.extend(pending.into_iter().map(Step::Replan));

    let reports: Vec<UnitReport> = finals
        .iter()
        .filter_map(|s| match s {
            Step::Finished(report) => Some(report.clone()),
            _ => None,
        })
        .collect();
    if let Err(error) = record_reports(session, queue, &reports).await {
        // The links are stored; only the status/log lines are missing. Say so, do not fail.
        tracing::error!(%error, "could not record sync outcomes");
    }
    finals
}

/// What one pass over a queue lane did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueRun {
    pub received: usize,
    pub done: usize,
    pub retried: usize,
    pub dropped: usize,
}

/// The local runtime's worker loop body: receives up to `max` jobs from `lane`, processes
/// them, acks the finished ones and hands the others back with their delay.
pub async fn run_queue_once(
    ctx: &SyncContext,
    lane: Lane,
    max: usize,
) -> Result<QueueRun, QueueError> {
    let deliveries = ctx.queue.receive(lane, max).await?;
    let mut run = QueueRun {
        received: deliveries.len(),
        ..QueueRun::default()
    };
    if deliveries.is_empty() {
        return Ok(run);
    }
    let jobs: Vec<Job> = deliveries.iter().map(|d| d.job.clone()).collect();
    let results = process_jobs(ctx, jobs).await;
    let mut acks = Vec::new();
    for (delivery, result) in deliveries.into_iter().zip(results) {
        match result.disposition {
            Disposition::Done => {
                run.done += 1;
                acks.push(delivery.receipt);
            }
            Disposition::Dropped { reason } => {
                tracing::warn!(job = ?delivery.job, %reason, "dropping a job");
                run.dropped += 1;
                acks.push(delivery.receipt);
            }
            Disposition::RetryAfter { delay, reason } => {
                tracing::info!(job = ?delivery.job, %reason, ?delay, "job handed back");
                run.retried += 1;
                ctx.queue.retry_later(&delivery.receipt, delay).await?;
            }
        }
    }
    ctx.queue.ack(&acks).await?;
    Ok(run)
}
