//! The daily overdue sweep's jobs: finds a connection's open mirrored invoices past their due
//! date (through the invoicing flow's search) and queues one Invoice/QBO job for each.

use chrono::{DateTime, Utc};

use super::SyncContext;
use crate::engine::invoicing::invoices::InvoiceSyncError;
use crate::model::{ConnectionId, ObjectKind, Side, SyncState};
use crate::ports::{GatewayError, Job, JobReason, QueueError, StoreError};
use crate::ports::{Origin, lane_for};

#[derive(Debug, thiserror::Error)]
pub enum InvoiceSweepError {
    #[error("unknown connection {0}")]
    UnknownConnection(ConnectionId),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("invoice clients for the connection: {0}")]
    Gateways(GatewayError),
    #[error("searching overdue invoices: {0}")]
    Search(#[from] InvoiceSyncError),
    #[error("could not queue overdue invoices: {0}")]
    Queue(#[from] QueueError),
}

/// Queues a job for every open mirrored invoice of `connection_id` past its due date (today
/// by the context's clock) and returns how many were queued; 0 when invoice sync is not
/// enabled. The sweep only finds them: the worker re-reads QBO and writes HubSpot, so one
/// Lambda run covers many connections within its time limit.
pub async fn sweep_overdue_invoices(
    ctx: &SyncContext,
    connection_id: &ConnectionId,
) -> Result<usize, InvoiceSweepError> {
    let connection = ctx
        .store
        .get_connection(connection_id)
        .await?
        .ok_or_else(|| InvoiceSweepError::UnknownConnection(connection_id.clone()))?;
    if connection.connection.settings.state(ObjectKind::Invoice) != SyncState::Enabled {
        return Ok(0);
    }
    let invoicing = ctx
        .gateways
        .invoicing(&connection)
        .await
        .map_err(InvoiceSweepError::Gateways)?;
    let now = ctx.clock.now();
    let candidates = invoicing
        .mirror
        .overdue_candidates(now.date_naive())
        .await?;
    enqueue_overdue(ctx, connection_id, candidates, now).await
}

/// Queues one Invoice/QBO job (reason Poll, bulk lane: nobody is waiting on it) per QBO
/// invoice id; returns how many the queue took.
pub async fn enqueue_overdue(
    ctx: &SyncContext,
    connection_id: &ConnectionId,
    qbo_ids: Vec<String>,
    now: DateTime<Utc>,
) -> Result<usize, InvoiceSweepError> {
    if qbo_ids.is_empty() {
        return Ok(0);
    }
    let jobs = qbo_ids
        .into_iter()
        .map(|id| {
            Job::new(
                connection_id.clone(),
                ObjectKind::Invoice,
                Side::Quickbooks,
                id,
                JobReason::Poll,
                now,
            )
        })
        .collect();
    Ok(ctx
        .queue
        .enqueue(lane_for(Origin::Bulk), jobs, None)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::jobs::test_harness::Harness;
    use crate::model::ConnectionSettings;
    use crate::ports::Lane;
    use crate::ports::{Clock, JobQueue};

    #[tokio::test]
    async fn overdue_invoices_become_bulk_poll_jobs_on_the_qbo_side() {
        let h = Harness::new().await;
        let now = h.clock.now();
        let queued = enqueue_overdue(&h.ctx, &h.conn, vec!["41".into(), "42".into()], now)
            .await
            .unwrap();
        assert_eq!(queued, 2);
        assert_eq!(h.queue.pending(Lane::Live).await.unwrap(), 0);
        let jobs = h.queue.receive(Lane::Bulk, 10).await.unwrap();
        let mut ids: Vec<&str> = jobs.iter().map(|d| d.job.id.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(ids, ["41", "42"]);
        for delivery in &jobs {
            let job = &delivery.job;
            assert_eq!(
                (job.kind, job.side, job.reason),
                (ObjectKind::Invoice, Side::Quickbooks, JobReason::Poll)
            );
            assert_eq!(job.connection, h.conn);
        }
        assert_eq!(
            enqueue_overdue(&h.ctx, &h.conn, Vec::new(), now)
                .await
                .unwrap(),
            0
        );
    }

    #[tokio::test]
    async fn the_sweep_skips_connections_without_invoice_sync() {
        let mut settings = ConnectionSettings::default();
        settings.invoices.invoice_sync = SyncState::Disabled;
        let disabled = Harness::with_settings(settings).await;
        assert_eq!(
            sweep_overdue_invoices(&disabled.ctx, &disabled.conn)
                .await
                .unwrap(),
            0
        );
        // Enabled, the sweep goes on to the invoice clients (the harness has none): it did not
        // skip, and says why it failed.
        let enabled = Harness::new().await;
        let error = sweep_overdue_invoices(&enabled.ctx, &enabled.conn)
            .await
            .unwrap_err();
        assert!(matches!(error, InvoiceSweepError::Gateways(_)), "{error:?}");
        assert_eq!(enabled.queue.pending(Lane::Bulk).await.unwrap(), 0);
    }
}
