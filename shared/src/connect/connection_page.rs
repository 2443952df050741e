//! `GET /connections/{id}`: the page of one connection, where the connect flow ends — which
//! portal syncs with which company, its status in words, and what to do next.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::binding::Caller;
use super::failure::ConnectFailure;
use super::page::Page;
use super::start::sign_in_first;
use crate::admin::AdminContext;
use crate::model::ConnectionId;
use crate::ports::{ConnectionRecord, ConnectionStatus};

/// The page of `record`.
pub fn page(record: &ConnectionRecord) -> Page {
    let id = record.id();
    let c = &record.connection;
    let mut page = Page::new(StatusCode::OK, format!("Connection {id}"))
        .says(format!(
            "HubSpot portal {} is connected to QuickBooks company {} ({} environment).",
            c.hubspot_portal_id, c.qbo_realm_id, record.environment
        ))
        .says(format!("Status: {}.", status_sentence(record.status)));
    page = match record.status {
        ConnectionStatus::Connected => page.says(format!(
            "Next: preview the initial sync (`hqsync preview --connection {id}`, or POST /api/connections/{id}/preview), then start it (`hqsync initial-sync --connection {id}`, or POST /api/connections/{id}/initial-sync)."
        )),
        ConnectionStatus::ReconnectRequired | ConnectionStatus::Disconnected => page.says(
            "Reconnect the side that lost its authorization with the links below; links and settings are kept, and syncing resumes from where it stopped.",
        ),
        ConnectionStatus::Active | ConnectionStatus::Paused => page.says(format!(
            "Sync health: `hqsync status --api URL --connection {id}`, or GET /api/connections/{id}/status."
        )),
    };
    page.link(
        format!("/connect?connection={id}&side=hubspot"),
        "Reconnect HubSpot",
    )
    .link(
        format!("/connect?connection={id}&side=quickbooks"),
        "Reconnect QuickBooks",
    )
    .link("/connect", "Connect another portal and company")
}

fn status_sentence(status: ConnectionStatus) -> &'static str {
    match status {
        ConnectionStatus::Active => "syncing",
        ConnectionStatus::Paused => "paused by an admin",
        ConnectionStatus::ReconnectRequired => {
            "paused: a vendor refused its tokens, so it must be reconnected"
        }
        ConnectionStatus::Connected => "connected, not syncing yet",
        ConnectionStatus::Disconnected => "disconnected: its tokens were revoked",
    }
}

pub async fn show(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !Caller::of(&ctx.auth, &headers, ctx.sync.clock.now()).is_admin() {
        return sign_in_first().into_response();
    }
    let id: ConnectionId = match id.parse() {
        Ok(id) => id,
        Err(error) => return ConnectFailure::BadRequest(format!("{error}")).into_response(),
    };
    match ctx.sync.store.get_connection(&id).await {
        Ok(Some(record)) => page(&record).into_response(),
        Ok(None) => ConnectFailure::NoConnection(id).into_response(),
        Err(error) => ConnectFailure::Store(error).into_response(),
    }
}
