//! The fanned-out initial sync: starting a run (prepare the accounts, record the run, make a
//! connected connection active, queue the first page job per kind and side) and its progress.
//! The daily sweep starts the same kind of run on an active connection (`RunScope::Sweep`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::sync::initial_sync::{InitialSyncError, prepare_connection};
use crate::mapping::MappingSet;
use crate::model::{ConnectionId, ObjectKind, Side, SyncState};
use crate::ports::{
    BackfillPage, ConnectionStatus, InitialSyncRun, Job, Lane, QueueError, RunCounts, StoreError,
};
use crate::ports::{Origin, lane_for};

use super::context::SyncContext;

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Pages still to list or record jobs still to finish.
    Running,
    /// Every page listed and every record job finished (some records may have failed).
    Done,
    /// Everything finished, but a page could not be listed: records after it were never queued.
    Failed,
}

/// The progress of one kind (`GET /api/connections/{id}/initial-sync`'s `kinds[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KindProgress {
    pub kind: ObjectKind,
    pub listed: u64,
    pub queued: u64,
    pub done: u64,
    pub failed: u64,
    /// Page jobs not finished yet (0 once both sides are listed).
    pub pages_pending: u64,
}

/// A run's progress, as the admin API answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunProgress {
    pub run_id: String,
    pub state: RunState,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub kinds: Vec<KindProgress>,
    /// Jobs waiting on the bulk lane (of this run or any other work).
    pub pending_jobs: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Pages and record jobs of `counts` not finished yet.
fn open_work(counts: &RunCounts) -> (u64, u64) {
    let pages = counts
        .pages_queued
        .saturating_sub(counts.pages_done + counts.pages_failed);
    let records = counts.queued.saturating_sub(counts.done + counts.failed);
    (pages, records)
}

/// The state of `run`: running while a page or record job is open, then done, or failed when
/// a page was given up.
pub fn run_state(run: &InitialSyncRun) -> RunState {
    let open = run.kinds.values().any(|c| open_work(c) != (0, 0));
    if open {
        RunState::Running
    } else if run.kinds.values().any(|c| c.pages_failed > 0) {
        RunState::Failed
    } else {
        RunState::Done
    }
}

/// `run` as progress, with `pending_jobs` waiting on the bulk lane. A job counted twice (a
/// redelivery) never shows more finished than queued.
pub fn progress_of(run: &InitialSyncRun, pending_jobs: usize) -> RunProgress {
    RunProgress {
        run_id: run.id.clone(),
        state: run_state(run),
        started_at: run.started_at,
        kinds: run
            .kinds
            .iter()
            .map(|(kind, c)| {
                let failed = c.failed.min(c.queued);
                KindProgress {
                    kind: *kind,
                    listed: c.listed,
                    queued: c.queued,
                    done: c.done.min(c.queued - failed),
                    failed,
                    pages_pending: open_work(c).0,
                }
            })
            .collect(),
        pending_jobs,
        error: run.error.clone(),
    }
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("unknown connection {0}")]
    UnknownConnection(ConnectionId),
    #[error(
        "connection {connection} is {status:?}; only a connected or active connection can start an initial sync"
    )]
    NotStartable {
        connection: ConnectionId,
        status: ConnectionStatus,
    },
    #[error("no object kind is enabled on {0}; enable one in the settings first")]
    NothingEnabled(ConnectionId),
    /// One is running: its progress.
    #[error("initial sync {} is still running", .0.run_id)]
    AlreadyRunning(Box<RunProgress>),
    #[error("another start of an initial sync of {0} got in the way; try again")]
    Raced(ConnectionId),
    #[error("invalid settings: {0}")]
    Settings(String),
    #[error(transparent)]
    Prepare(InitialSyncError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// The sides a kind's backfill lists: both for two-way kinds, QBO for mirrored ones.
pub fn listed_sides(kind: ObjectKind) -> &'static [Side] {
    if kind.is_two_way() {
        &Side::BOTH
    } else {
        &[Side::Quickbooks]
    }
}

/// The progress of the connection's latest run, if it ever ran one.
pub async fn initial_sync_progress(
    ctx: &SyncContext,
    connection_id: &ConnectionId,
) -> Result<Option<RunProgress>, StartError> {
    let Some(run) = ctx.store.get_initial_sync(connection_id).await? else {
        return Ok(None);
    };
    let pending = ctx.queue.pending(Lane::Bulk).await?;
    Ok(Some(progress_of(&run, pending)))
}

/// What a run covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunScope {
    /// An initial sync an admin started: every enabled kind, on a connected or active connection.
    InitialSync,
    /// The daily sweep: every enabled two-way kind, and the mirrored
    /// kinds only if never backfilled (the poller and the overdue sweep keep those current
    /// without re-queueing every invoice daily); active connections only.
    Sweep,
}

impl RunScope {
    fn id_prefix(self) -> &'static str {
        match self {
            RunScope::InitialSync => "run",
            RunScope::Sweep => "sweep",
        }
    }

    /// The scope of the run with id `run_id` (its prefix says it).
    pub fn of_run(run_id: &str) -> RunScope {
        match run_id.strip_prefix(RunScope::Sweep.id_prefix()) {
            Some(rest) if rest.starts_with('-') => RunScope::Sweep,
            _ => RunScope::InitialSync,
        }
    }
}

/// Starts an initial sync of every enabled kind, fanned out on the bulk lane: prepares both
/// accounts, records the run (one at a time per connection: a running one answers
/// [`StartError::AlreadyRunning`]), makes a connected connection active and queues one page
/// job per kind and side. The worker does the rest (`backfill_pages`).
pub async fn start_initial_sync(
    ctx: &SyncContext,
    connection_id: &ConnectionId,
) -> Result<RunProgress, StartError> {
    start_run(ctx, connection_id, RunScope::InitialSync).await
}

/// [`start_initial_sync`] for `scope`.
pub async fn start_run(
    ctx: &SyncContext,
    connection_id: &ConnectionId,
    scope: RunScope,
) -> Result<RunProgress, StartError> {
    let mut connection = ctx
        .store
        .get_connection(connection_id)
        .await?
        .ok_or_else(|| StartError::UnknownConnection(connection_id.clone()))?;
    let startable = match scope {
        RunScope::InitialSync => matches!(
            connection.status,
            ConnectionStatus::Active | ConnectionStatus::Connected
        ),
        RunScope::Sweep => connection.status == ConnectionStatus::Active,
    };
    if !startable {
        return Err(StartError::NotStartable {
            connection: connection_id.clone(),
            status: connection.status,
        });
    }
    let current = ctx.store.get_initial_sync(connection_id).await?;
    if let Some(run) = &current
        && run_state(run) == RunState::Running
    {
        return Err(already_running(ctx, run).await?);
    }
    let settings = &connection.connection.settings;
    let mut kinds: Vec<ObjectKind> = Vec::new();
    for kind in ObjectKind::ALL {
        if settings.state(kind) != SyncState::Enabled {
            continue;
        }
        if scope == RunScope::Sweep
            && !kind.is_two_way()
            && ctx
                .store
                .get_cursor(connection_id, Side::Quickbooks, kind)
                .await?
                .is_some_and(|c| c.last_full_sweep.is_some())
        {
            continue;
        }
        kinds.push(kind);
    }
    if kinds.is_empty() {
        return Err(StartError::NothingEnabled(connection_id.clone()));
    }
    let two_way: Vec<ObjectKind> = kinds.iter().copied().filter(|k| k.is_two_way()).collect();
    for kind in &two_way {
        MappingSet::build(*kind, settings.object(*kind))
            .map_err(|e| StartError::Settings(e.to_string()))?;
    }
    let gateways = ctx
        .gateways
        .gateways(&connection)
        .await
        .map_err(|e| StartError::Prepare(InitialSyncError::Gateways(e)))?;
    prepare_connection(&gateways, &two_way)
        .await
        .map_err(StartError::Prepare)?;

    let now = ctx.clock.now();
    let run = InitialSyncRun {
        id: format!("{}-{}", scope.id_prefix(), uuid::Uuid::new_v4().simple()),
        started_at: now,
        kinds: kinds
            .iter()
            .map(|k| {
                let counts = RunCounts {
                    pages_queued: listed_sides(*k).len() as u64,
                    ..RunCounts::default()
                };
                (*k, counts)
            })
            .collect::<BTreeMap<_, _>>(),
        error: None,
    };
    let replacing = current.as_ref().map(|r| r.id.as_str());
    if !ctx
        .store
        .replace_initial_sync(connection_id, &run, replacing)
        .await?
    {
        // Another start won the race: answer with its run.
        return Err(match ctx.store.get_initial_sync(connection_id).await? {
            Some(other) => already_running(ctx, &other).await?,
            None => StartError::Raced(connection_id.clone()),
        });
    }
    if connection.status == ConnectionStatus::Connected {
        connection.status = ConnectionStatus::Active;
        ctx.store.put_connection(&connection).await?;
    }
    let pages: Vec<Job> = kinds
        .iter()
        .flat_map(|kind| {
            listed_sides(*kind).iter().map(|side| {
                Job::backfill_page(
                    connection_id.clone(),
                    *kind,
                    *side,
                    &run.id,
                    BackfillPage {
                        number: 1,
                        after: None,
                        form: None,
                    },
                    now,
                )
            })
        })
        .collect();
    if let Err(error) = ctx.queue.enqueue(lane_for(Origin::Bulk), pages, None).await {
        // The run would wait for pages nobody lists: give them up so it ends failed.
        for kind in &kinds {
            let delta = RunCounts {
                pages_failed: listed_sides(*kind).len() as u64,
                ..RunCounts::default()
            };
            let reason = format!("could not queue the first pages: {error}");
            ctx.store
                .count_initial_sync(connection_id, &run.id, *kind, &delta, Some(&reason))
                .await?;
        }
        return Err(StartError::Queue(error));
    }
    let pending = ctx.queue.pending(Lane::Bulk).await?;
    Ok(progress_of(&run, pending))
}

async fn already_running(
    ctx: &SyncContext,
    run: &InitialSyncRun,
) -> Result<StartError, StartError> {
    let pending = ctx.queue.pending(Lane::Bulk).await?;
    Ok(StartError::AlreadyRunning(Box::new(progress_of(
        run, pending,
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn run(counts: &[(ObjectKind, RunCounts)]) -> InitialSyncRun {
        InitialSyncRun {
            id: "run-1".into(),
            started_at: DateTime::UNIX_EPOCH,
            kinds: counts.iter().copied().collect(),
            error: None,
        }
    }

    #[test]
    fn a_run_is_running_until_every_page_and_record_job_finished() {
        let listing = RunCounts {
            pages_queued: 2,
            pages_done: 1,
            listed: 3,
            queued: 3,
            done: 3,
            ..RunCounts::default()
        };
        assert_eq!(
            run_state(&run(&[(ObjectKind::Contact, listing)])),
            RunState::Running
        );
        let syncing = RunCounts {
            pages_done: 2,
            done: 2,
            ..listing
        };
        assert_eq!(
            run_state(&run(&[(ObjectKind::Contact, syncing)])),
            RunState::Running
        );
        let finished = RunCounts {
            failed: 1,
            ..syncing
        };
        assert_eq!(
            run_state(&run(&[(ObjectKind::Contact, finished)])),
            RunState::Done,
            "failed records do not fail the run"
        );
        let gave_up = RunCounts {
            pages_done: 1,
            pages_failed: 1,
            ..finished
        };
        assert_eq!(
            run_state(&run(&[
                (ObjectKind::Contact, finished),
                (ObjectKind::Invoice, gave_up)
            ])),
            RunState::Failed
        );
    }

    #[test]
    fn progress_never_shows_more_finished_than_queued() {
        let counted_twice = RunCounts {
            pages_queued: 1,
            pages_done: 1,
            listed: 2,
            queued: 2,
            done: 3,
            failed: 0,
            ..RunCounts::default()
        };
        let progress = progress_of(&run(&[(ObjectKind::Product, counted_twice)]), 4);
        assert_eq!(progress.state, RunState::Done);
        assert_eq!(progress.pending_jobs, 4);
        let kind = &progress.kinds[0];
        assert_eq!(
            (
                kind.listed,
                kind.queued,
                kind.done,
                kind.failed,
                kind.pages_pending
            ),
            (2, 2, 2, 0, 0)
        );
        let wire = serde_json::to_value(&progress).unwrap();
        assert_eq!(wire["state"], "done");
        assert_eq!(wire["kinds"][0]["kind"], "product");
        assert!(wire.get("error").is_none());
    }
}
