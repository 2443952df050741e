//! The one poll and sweep schedule of every runtime: the poll (what changed since each watermark,
//! as jobs) and the daily sweep (the two-way reconciliation, then overdue invoices), and when.

use std::time::Duration;

use crate::model::{ConnectionId, ObjectKind, Side, SyncState};
use crate::ports::{Cursor, GatewayError, Job, JobReason, QueuedVersion, StoreError};
use crate::ports::{Origin, lane_for};

use chrono::{DateTime, TimeDelta, Utc};

use super::super::sync::initial_sync::{InitialSyncOptions, MirroredBackfill, initial_sync};
use super::SyncContext;
use super::overdue::sweep_overdue_invoices;
use super::poll_versions::{already_known, queued_version, remembered};

/// How far before the watermark each poll starts again, so changes stamped slightly out of
/// order (clock skew, commits landing late) are not missed. A change already known at its
/// version is not queued again (poll_versions.rs).
pub const POLL_OVERLAP: Duration = Duration::from_secs(120);

fn overlap() -> chrono::Duration {
    chrono::Duration::from_std(POLL_OVERLAP).unwrap_or(chrono::Duration::zero())
}

/// The version a deletion is remembered at among the queued versions.
const DELETED: &str = "deleted";

/// The per-connection lease a poll holds, so two polls of one connection never overlap (a slow
/// poll and the next schedule, or an async retry of the poller); a sweep job takes it too.
pub const POLL_LEASE: &str = "poll";
/// How long the poll lease lasts at most: one connection's poll takes seconds; a crashed
/// holder's lease frees itself after this.
pub const POLL_LEASE_TTL: Duration = Duration::from_secs(120);

/// What one poll of one connection did.
#[derive(Debug, Default)]
pub struct PollReport {
    /// Jobs enqueued.
    pub jobs: usize,
    /// Changed records whose version is the one the link already holds (our own writes).
    pub skipped_echoes: usize,
    /// Changed mirrored records (and deletions) an earlier poll already queued at this version.
    pub skipped_queued: usize,
    /// Sides and kinds whose watermark was set for the first time (nothing polled).
    pub started: Vec<(Side, ObjectKind)>,
    /// Sides and kinds that could not be polled this time; their watermark did not move.
    pub failures: Vec<(Side, ObjectKind, GatewayError)>,
}

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("unknown connection {0}")]
    UnknownConnection(ConnectionId),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not enqueue poll jobs: {0}")]
    Queue(#[from] crate::ports::QueueError),
    #[error("gateways for the connection: {0}")]
    Gateways(GatewayError),
    /// Another poll (or a sweep job) of this connection holds [`POLL_LEASE`]: skipped.
    #[error("another poll of {0} is running")]
    Busy(ConnectionId),
}

/// The sides the poller asks about `kind`: both for two-way kinds; only QBO for the mirrored
/// kinds (invoices, payments), whose HubSpot side is never a source.
pub fn polled_sides(kind: ObjectKind) -> &'static [Side] {
    if kind.is_two_way() {
        &Side::BOTH
    } else {
        &[Side::Quickbooks]
    }
}

/// Polls every enabled kind on its source sides (see [`polled_sides`]) of `connection_id`,
/// under the connection's [`POLL_LEASE`] ([`PollError::Busy`] when another poll holds it).
pub async fn poll_connection(
    ctx: &SyncContext,
    connection_id: &ConnectionId,
) -> Result<PollReport, PollError> {
    let holder = format!("poll-{}", uuid::Uuid::new_v4().simple());
    let lease = ctx
        .store
        .acquire_lease(
            connection_id,
            POLL_LEASE,
            &holder,
            POLL_LEASE_TTL,
            ctx.clock.now(),
        )
        .await?;
    if lease.is_none() {
        return Err(PollError::Busy(connection_id.clone()));
    }
    let result = poll_under_lease(ctx, connection_id).await;
    if let Err(error) = ctx
        .store
        .release_lease(connection_id, POLL_LEASE, &holder)
        .await
    {
        tracing::warn!(connection = %connection_id, %error, "could not release the poll lease; it expires by itself");
    }
    result
}

async fn poll_under_lease(
    ctx: &SyncContext,
    connection_id: &ConnectionId,
) -> Result<PollReport, PollError> {
    let connection = ctx
        .store
        .get_connection(connection_id)
        .await?
        .ok_or_else(|| PollError::UnknownConnection(connection_id.clone()))?;
    let gateways = ctx
        .gateways
        .gateways(&connection)
        .await
        .map_err(PollError::Gateways)?;
    let mut report = PollReport::default();
    for kind in ObjectKind::ALL {
        if connection.connection.settings.state(kind) != SyncState::Enabled {
            continue;
        }
        for &side in polled_sides(kind) {
            let Some(cursor) = ctx.store.get_cursor(connection_id, side, kind).await? else {
                // Nothing before now needs polling: the initial sync covers the past.
                let cursor = Cursor::at(ctx.clock.now());
                ctx.store
                    .put_cursor(connection_id, side, kind, &cursor)
                    .await?;
                report.started.push((side, kind));
                continue;
            };
            let since = cursor.watermark - overlap();
            let changes = match gateways.side(side).changed_since(kind, since).await {
                Ok(changes) => changes,
                Err(error) => {
                    report.failures.push((side, kind, error));
                    continue;
                }
            };
            // Two-way kinds know the last version of each record from its link; mirrored kinds
            // have none, so their cursor remembers what earlier polls queued (poll_versions.rs).
            let links = if kind.is_two_way() {
                let ids: Vec<String> = changes.records.iter().map(|r| r.id.clone()).collect();
                ctx.store.get_links(connection_id, kind, side, &ids).await?
            } else {
                Vec::new()
            };
            let known = |id: &str| match kind.is_two_way() {
                true => links
                    .iter()
                    .find(|l| l.id(side) == id)
                    .map(|l| l.version(side)),
                false => queued_version(&cursor.queued, id),
            };
            let now = ctx.clock.now();
            let mut jobs = Vec::new();
            let mut queued = Vec::new();
            for record in &changes.records {
                if already_known(record, known(&record.id)) {
                    match kind.is_two_way() {
                        true => report.skipped_echoes += 1,
                        false => report.skipped_queued += 1,
                    }
                    continue;
                }
                queued.push(QueuedVersion {
                    id: record.id.clone(),
                    version: record.version.clone(),
                    changed_at: record.modified_at,
                });
                jobs.push(Job::new(
                    connection_id.clone(),
                    kind,
                    side,
                    record.id.clone(),
                    JobReason::Poll,
                    now,
                ));
            }
            for id in &changes.deleted_ids {
                if !kind.is_two_way() && queued_version(&cursor.queued, id) == Some(DELETED) {
                    report.skipped_queued += 1;
                    continue;
                }
                // A deletion carries no time of its own: remembered until the watermark's
                // overlap has passed it.
                queued.push(QueuedVersion {
                    id: id.clone(),
                    version: DELETED.to_owned(),
                    changed_at: changes.watermark,
                });
                jobs.push(Job::new(
                    connection_id.clone(),
                    kind,
                    side,
                    id.clone(),
                    JobReason::Poll,
                    now,
                ));
            }
            if !jobs.is_empty() {
                let lane = lane_for(Origin::Poll {
                    records: jobs.len(),
                });
                report.jobs += ctx.queue.enqueue(lane, jobs, None).await?;
            }
            // Only after the jobs are safely queued does the watermark move (and the queued
            // versions are remembered).
            let watermark = changes.watermark.max(cursor.watermark);
            let queued = match kind.is_two_way() {
                true => Vec::new(),
                false => remembered(&cursor.queued, queued, watermark - overlap()),
            };
            let next = Cursor {
                watermark,
                last_full_sweep: cursor.last_full_sweep,
                queued,
            };
            ctx.store
                .put_cursor(connection_id, side, kind, &next)
                .await?;
        }
    }
    Ok(report)
}

/// How often the sweep runs: template.yaml's daily schedule, and the local poller's.
pub const SWEEP_EVERY: TimeDelta = TimeDelta::hours(24);

/// What one sweep of one connection did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    /// Records synced or linked, plus jobs queued (invoices and payments never backfilled,
    /// overdue invoices).
    pub jobs: usize,
    /// Kinds whose reconciliation left records failed (they are retried as usual).
    pub failures: Vec<String>,
    /// Parts of the sweep that could not run at all; a sweep with errors stays due.
    pub errors: Vec<String>,
}

/// The daily sweep of `connection_id`: the full two-way reconciliation (mirrored kinds are
/// queued whole only if never backfilled: the poller and the overdue sweep keep them current
/// without re-queueing every invoice daily), then the overdue invoices.
pub async fn sweep_connection(ctx: &SyncContext, connection_id: &ConnectionId) -> SweepReport {
    let mut report = SweepReport::default();
    let options = InitialSyncOptions {
        mirrored: MirroredBackfill::IfNeverDone,
        ..InitialSyncOptions::default()
    };
    match initial_sync(&ctx.sync_ports(), connection_id, &options, &|_| {}).await {
        Ok(synced) => {
            for kind in &synced.kinds {
                report.jobs += kind.new_links
                    + kind.creates.values().sum::<usize>()
                    + kind.updates.values().sum::<usize>();
                if kind.failed > 0 {
                    report
                        .failures
                        .push(format!("{:?}: {} records failed", kind.kind, kind.failed));
                }
            }
            report.jobs += synced.mirrored.iter().map(|m| m.queued).sum::<usize>();
            tracing::info!(connection = %connection_id, kinds = synced.kinds.len(), backfilled = synced.mirrored.len(), "swept");
        }
        Err(error) => {
            tracing::error!(connection = %connection_id, %error, "sweep failed");
            report.errors.push(format!("reconciliation: {error}"));
        }
    }
    match sweep_overdue_invoices(ctx, connection_id).await {
        Ok(jobs) => {
            report.jobs += jobs;
            tracing::info!(connection = %connection_id, jobs, "overdue invoices queued");
        }
        Err(error) => {
            tracing::error!(connection = %connection_id, %error, "overdue sweep failed");
            report.errors.push(format!("overdue invoices: {error}"));
        }
    }
    report
}

/// When the next sweep is due on a runtime that keeps its own time (the local poller):
/// [`SWEEP_EVERY`] after the last one that finished, at once if none did. A failed sweep
/// stays due, so the next poll tries again.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepSchedule {
    last_done: Option<DateTime<Utc>>,
}

impl SweepSchedule {
    /// A schedule whose last sweep finished at `last_done` (e.g. [`last_full_sweep`]).
    pub fn since(last_done: Option<DateTime<Utc>>) -> Self {
        SweepSchedule { last_done }
    }

    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.last_done.is_none_or(|last| now - last >= SWEEP_EVERY)
    }

    pub fn done(&mut self, now: DateTime<Utc>) {
        self.last_done = Some(now);
    }
}

/// The oldest full reconciliation stored on the connection's two-way cursors (an initial sync
/// or a sweep sets it), `None` if an enabled kind was never reconciled: where a local poller
/// that starts after an initial sync picks up the daily schedule.
pub async fn last_full_sweep(
    ctx: &SyncContext,
    connection_id: &ConnectionId,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let Some(connection) = ctx.store.get_connection(connection_id).await? else {
        return Ok(None);
    };
    let mut oldest: Option<DateTime<Utc>> = None;
    for kind in ObjectKind::TWO_WAY {
        if connection.connection.settings.state(kind) != SyncState::Enabled {
            continue;
        }
        for side in Side::BOTH {
            let swept = ctx
                .store
                .get_cursor(connection_id, side, kind)
                .await?
                .and_then(|c| c.last_full_sweep);
            let Some(swept) = swept else {
                return Ok(None);
            };
            oldest = Some(oldest.map_or(swept, |o| o.min(swept)));
        }
    }
    Ok(oldest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweep_is_due_at_start_then_a_day_after_the_last_one_that_finished() {
        let start: DateTime<Utc> = "2026-05-10T08:00:00Z".parse().unwrap();
        let mut schedule = SweepSchedule::default();
        assert!(schedule.is_due(start));
        // A failed sweep is not marked done, so it stays due.
        assert!(schedule.is_due(start + TimeDelta::seconds(30)));
        schedule.done(start);
        assert!(!schedule.is_due(start + TimeDelta::seconds(30)));
        assert!(!schedule.is_due(start + SWEEP_EVERY - TimeDelta::seconds(1)));
        assert!(schedule.is_due(start + SWEEP_EVERY));
        // Resumed from a stored reconciliation an hour ago: not due for 23 hours.
        let resumed = SweepSchedule::since(Some(start - TimeDelta::hours(1)));
        assert!(!resumed.is_due(start));
        assert!(resumed.is_due(start + TimeDelta::hours(23)));
    }

    #[tokio::test]
    async fn a_second_poll_over_the_same_window_queues_no_mirrored_change_again() {
        use crate::engine::jobs::test_harness::{Harness, values};
        use crate::ports::JobQueue;
        use serde_json::json;

        let h = Harness::new().await;
        // The first poll only sets the watermark.
        let first = poll_connection(&h.ctx, &h.conn).await.unwrap();
        assert_eq!(first.jobs, 0);
        h.clock.advance(Duration::from_secs(1));
        let invoices: Vec<String> = (0..3)
            .map(|n| {
                h.qbo
                    .insert(ObjectKind::Invoice, values(&[("DocNumber", json!(n))]))
                    .id
            })
            .collect();
        h.clock.advance(Duration::from_secs(1));
        let polled = poll_connection(&h.ctx, &h.conn).await.unwrap();
        assert_eq!(polled.jobs, 3, "{polled:?}");
        // The jobs ran (taken off the queue); one-second polls inside the 120-s overlap.
        let taken = h
            .queue
            .receive(crate::ports::Lane::Live, 100)
            .await
            .unwrap();
        assert_eq!(taken.len(), 3);
        let receipts: Vec<_> = taken.into_iter().map(|d| d.receipt).collect();
        h.queue.ack(&receipts).await.unwrap();
        for _ in 0..3 {
            h.clock.advance(Duration::from_secs(1));
            let again = poll_connection(&h.ctx, &h.conn).await.unwrap();
            assert_eq!(again.jobs, 0, "nothing changed since: {again:?}");
        }
        // A new version of one invoice is queued once.
        h.qbo
            .edit(
                ObjectKind::Invoice,
                &invoices[1],
                values(&[("DocNumber", json!("1b"))]),
            )
            .unwrap();
        h.clock.advance(Duration::from_secs(1));
        let changed = poll_connection(&h.ctx, &h.conn).await.unwrap();
        assert_eq!(changed.jobs, 1, "{changed:?}");
    }

    #[tokio::test]
    async fn the_last_full_sweep_is_the_oldest_reconciled_cursor_and_none_before_any() {
        use crate::engine::jobs::test_harness::Harness;
        use crate::model::ConnectionSettings;
        use crate::ports::Clock;

        // No invoice clients in the harness: invoices off, so the overdue part has nothing to do.
        let mut settings = ConnectionSettings::default();
        settings.invoices.invoice_sync = SyncState::Disabled;
        let h = Harness::with_settings(settings).await;
        assert_eq!(last_full_sweep(&h.ctx, &h.conn).await.unwrap(), None);
        let report = sweep_connection(&h.ctx, &h.conn).await;
        assert!(report.errors.is_empty(), "{report:?}");
        assert_eq!(
            last_full_sweep(&h.ctx, &h.conn).await.unwrap(),
            Some(h.clock.now()),
            "the sweep's reconciliation set every two-way cursor"
        );
    }
}
