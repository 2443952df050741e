//! The poller: per connection, enabled kind and source side, asks the vendor what changed since
//! the stored watermark (minus an overlap margin), turns it into jobs, then advances the watermark.

use std::time::Duration;

use crate::model::{ConnectionId, ObjectKind, Side, SyncState};
use crate::ports::{Cursor, GatewayError, Job, JobReason, Lane, RecordRef, StoreError};

use super::jobs::SyncContext;

/// How far before the watermark each poll starts again, so changes stamped slightly out of
/// order (clock skew, commits landing late) are not missed. Repeats are harmless signals.
pub const POLL_OVERLAP: Duration = Duration::from_secs(120);

/// What one poll of one connection did.
#[derive(Debug, Default)]
pub struct PollReport {
    /// Jobs enqueued.
    pub jobs: usize,
    /// Changed records whose version is the one the link already holds (our own writes).
    pub skipped_echoes: usize,
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

/// Polls every enabled kind on its source sides (see [`polled_sides`]) of `connection_id`.
pub async fn poll_connection(
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
                let cursor = Cursor {
                    watermark: ctx.clock.now(),
                    last_full_sweep: None,
                };
                ctx.store
                    .put_cursor(connection_id, side, kind, &cursor)
                    .await?;
                report.started.push((side, kind));
                continue;
            };
            let since = cursor.watermark
                - chrono::Duration::from_std(POLL_OVERLAP).unwrap_or(chrono::Duration::zero());
            let changes = match gateways.side(side).changed_since(kind, since).await {
                Ok(changes) => changes,
                Err(error) => {
                    report.failures.push((side, kind, error));
                    continue;
                }
            };
            // Mirrored kinds have no links, so nothing of theirs can be an echo.
            let links = if kind.is_two_way() {
                let ids: Vec<String> = changes.records.iter().map(|r| r.id.clone()).collect();
                ctx.store.get_links(connection_id, kind, side, &ids).await?
            } else {
                Vec::new()
            };
            let now = ctx.clock.now();
            let mut jobs = Vec::new();
            let mut seen: Vec<RecordRef> = Vec::new();
            for record in &changes.records {
                let echo = links
                    .iter()
                    .any(|l| l.id(side) == record.id && l.version(side) == record.version);
                if echo {
                    report.skipped_echoes += 1;
                    continue;
                }
                seen.push(RecordRef::new(side, record.id.clone()));
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
                report.jobs += ctx.queue.enqueue(Lane::Live, jobs, None).await?;
            }
            // Only after the jobs are safely queued does the watermark move.
            let next = Cursor {
                watermark: changes.watermark.max(cursor.watermark),
                last_full_sweep: cursor.last_full_sweep,
            };
            ctx.store
                .put_cursor(connection_id, side, kind, &next)
                .await?;
        }
    }
    Ok(report)
}
