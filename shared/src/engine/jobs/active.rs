//! Whether a job group's connection may run: known and active, else the disposition of all
//! its jobs (dropped when unknown, handed back while paused or the store is unavailable).

use crate::model::ConnectionId;
use crate::ports::{ConnectionRecord, ConnectionStatus};

use super::context::SyncContext;
use super::disposition::Disposition;
use super::retry_schedule::{PAUSED_RETRY, TRANSIENT_RETRY};

/// The connection a group of jobs belongs to, if it is active; else what to do with the jobs.
pub(crate) async fn active_connection(
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
