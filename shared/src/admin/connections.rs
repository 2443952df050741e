//! `GET /api/connections` and `GET /api/connections/{id}`: each stored connection as JSON (ids,
//! environment, status, and per object kind its state and direction), and `load_connection`.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;

use super::context::AdminContext;
use super::error::ApiError;
use crate::model::{ConnectionId, Direction, ObjectKind, SyncState};
use crate::ports::{ConnectionRecord, ConnectionStatus};

/// One connection as listed. `status` is the stored status, or `"error"` (with `error`) for a
/// record that cannot be read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectionSummary {
    pub id: String,
    pub portal_id: Option<String>,
    pub realm_id: Option<String>,
    pub environment: Option<String>,
    pub status: SummaryStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A stored status, or `error` for a record that cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum SummaryStatus {
    Stored(ConnectionStatus),
    Error(ErrorStatus),
}

/// Serializes as `"error"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorStatus {
    Error,
}

impl ConnectionSummary {
    pub fn of(record: &ConnectionRecord) -> Self {
        let connection = &record.connection;
        ConnectionSummary {
            id: connection.id.to_string(),
            portal_id: Some(connection.hubspot_portal_id.clone()),
            realm_id: Some(connection.qbo_realm_id.clone()),
            environment: Some(record.environment.clone()),
            status: SummaryStatus::Stored(record.status),
            error: None,
        }
    }

    /// A connection whose record could not be read: its id and why.
    pub fn broken(id: impl Into<String>, error: impl Into<String>) -> Self {
        ConnectionSummary {
            id: id.into(),
            portal_id: None,
            realm_id: None,
            environment: None,
            status: SummaryStatus::Error(ErrorStatus::Error),
            error: Some(error.into()),
        }
    }
}

/// One object kind of a connection: whether it syncs and which way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ObjectSummary {
    pub state: SyncState,
    pub direction: Direction,
}

/// `GET /api/connections/{id}`: the summary plus `objects` by kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectionDetail {
    #[serde(flatten)]
    pub summary: ConnectionSummary,
    pub objects: std::collections::BTreeMap<ObjectKind, ObjectSummary>,
}

impl ConnectionDetail {
    pub fn of(record: &ConnectionRecord) -> Self {
        let settings = &record.connection.settings;
        let objects = ObjectKind::ALL
            .into_iter()
            .map(|kind| {
                let direction = if kind.is_two_way() {
                    settings.object(kind).direction
                } else {
                    // Invoices and payments are mirrored from QBO into HubSpot only.
                    Direction::ToHubspot
                };
                let state = settings.state(kind);
                (kind, ObjectSummary { state, direction })
            })
            .collect();
        ConnectionDetail {
            summary: ConnectionSummary::of(record),
            objects,
        }
    }
}

/// The connection `id` names, or 404 (400 when it is not a connection id at all).
pub async fn load_connection(ctx: &AdminContext, id: &str) -> Result<ConnectionRecord, ApiError> {
    let id: ConnectionId = id
        .parse()
        .map_err(|e| ApiError::invalid_field("id", format!("{e}")))?;
    ctx.sync
        .store
        .get_connection(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no connection {id}")))
}

pub async fn list(
    State(ctx): State<AdminContext>,
) -> Result<Json<Vec<ConnectionSummary>>, ApiError> {
    let listing = ctx.sync.store.list_connections().await?;
    let readable = listing.records.iter().map(ConnectionSummary::of);
    // An unreadable record shows as that connection's error; the others list as usual.
    let broken = listing.broken.iter().map(|b| ConnectionSummary {
        portal_id: b.portal_id.clone(),
        realm_id: b.realm_id.clone(),
        environment: b.environment.clone(),
        ..ConnectionSummary::broken(b.id.to_string(), b.error.clone())
    });
    Ok(Json(readable.chain(broken).collect()))
}

pub async fn get(
    State(ctx): State<AdminContext>,
    Path(id): Path<String>,
) -> Result<Json<ConnectionDetail>, ApiError> {
    let record = load_connection(&ctx, &id).await?;
    Ok(Json(ConnectionDetail::of(&record)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Connection, ConnectionSettings};
    use serde_json::json;

    fn record() -> ConnectionRecord {
        let mut settings = ConnectionSettings::default();
        settings.product.state = SyncState::Deleted;
        settings.contact.direction = Direction::ToQuickbooks;
        settings.invoices.invoice_sync = SyncState::Disabled;
        ConnectionRecord {
            connection: Connection {
                id: ConnectionId::new("c1").unwrap(),
                hubspot_portal_id: "123".into(),
                qbo_realm_id: "456".into(),
                settings,
            },
            environment: "sandbox".into(),
            status: ConnectionStatus::Connected,
        }
    }

    #[test]
    fn a_detail_has_the_summary_fields_and_every_kind() {
        let value = serde_json::to_value(ConnectionDetail::of(&record())).unwrap();
        assert_eq!(
            value,
            json!({
                "id": "c1", "portal_id": "123", "realm_id": "456",
                "environment": "sandbox", "status": "connected",
                "objects": {
                    "contact": {"state": "enabled", "direction": "to_quickbooks"},
                    "company": {"state": "disabled", "direction": "two_way"},
                    "product": {"state": "deleted", "direction": "two_way"},
                    "invoice": {"state": "disabled", "direction": "to_hubspot"},
                    "payment": {"state": "disabled", "direction": "to_hubspot"},
                }
            })
        );
    }

    #[test]
    fn a_broken_record_shows_as_an_error_with_its_reason() {
        let value = serde_json::to_value(ConnectionSummary::broken("c2", "bad JSON")).unwrap();
        assert_eq!(value["status"], "error");
        assert_eq!(value["error"], "bad JSON");
        assert_eq!(value["id"], "c2");
    }
}
