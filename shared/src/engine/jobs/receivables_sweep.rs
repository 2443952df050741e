//! The daily sweep's receivables step (docs/hubspot.md §4.1): every customer with an open
//! invoice recomputed as of today, so the aging buckets move with the calendar.

use super::SyncContext;
use super::overdue::InvoiceSweepError;
use crate::engine::invoicing::receivables::{ReceivablesFlow, ReceivablesReport};
use crate::model::{ConnectionId, ObjectKind, SyncState};

/// Recomputes the connection's customers with open invoices (nothing when invoice sync is off).
pub async fn sweep_receivables(
    ctx: &SyncContext,
    connection_id: &ConnectionId,
) -> Result<ReceivablesReport, InvoiceSweepError> {
    let connection = ctx
        .store
        .get_connection(connection_id)
        .await?
        .ok_or_else(|| InvoiceSweepError::UnknownConnection(connection_id.clone()))?;
    if connection.connection.settings.state(ObjectKind::Invoice) != SyncState::Enabled {
        return Ok(ReceivablesReport::default());
    }
    let invoicing = ctx
        .gateways
        .invoicing(&connection)
        .await
        .map_err(InvoiceSweepError::Gateways)?;
    let today = ctx.clock.now().date_naive();
    Ok(
        ReceivablesFlow::new(&invoicing.mirror, &invoicing.receivables)
            .sweep(today)
            .await?,
    )
}
