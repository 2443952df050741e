//! Whether a job group's connection may run: known, active and with valid settings, else the
//! disposition of all its jobs (dropped when unknown, handed back while paused, while its
//! stored settings do not validate, or while the store is unavailable).

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
    // Settings written past the API (by hand in the table) are checked by the same
    // `validate` as every write path: this connection's jobs wait, the others run on.
    if let Err(error) = connection.connection.settings.validate() {
        tracing::warn!(connection = %connection_id, %error, "invalid stored settings; jobs handed back");
        return Err(Disposition::RetryAfter {
            delay: PAUSED_RETRY,
            reason: invalid_settings_reason(connection_id, &error),
        });
    }
    Ok(connection)
}

/// Why a connection's jobs wait: its id, the field and what to do.
fn invalid_settings_reason(
    connection_id: &ConnectionId,
    error: &crate::model::SettingsError,
) -> String {
    format!(
        "connection {connection_id} has invalid settings ({error}); its jobs wait until they \
         are fixed (PUT /api/connections/{connection_id}/settings)"
    )
}
