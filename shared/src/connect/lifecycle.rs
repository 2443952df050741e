//! A connection after it exists: the status a reconnect leads to, disconnect (tokens revoked at
//! the vendors, links kept), delete (also forgets every kind), and Intuit's disconnect landing.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::failure::ConnectFailure;
use super::page::Page;
use super::vendors::{VendorAuth, VendorFailure};
use crate::admin::connections::load_connection;
use crate::admin::{AdminContext, ApiError, Session};
use crate::model::{ConnectionId, ObjectKind, Side};
use crate::ports::{ConnectionRecord, ConnectionStatus, StoreError};

/// Whether the connection has synced before (a cursor of any kind on either side): a
/// reconnect then resumes syncing from those cursors rather than waiting for an initial sync.
async fn has_synced(ctx: &AdminContext, id: &ConnectionId) -> Result<bool, StoreError> {
    for kind in ObjectKind::ALL {
        for side in [Side::Hubspot, Side::Quickbooks] {
            if ctx.sync.store.get_cursor(id, side, kind).await?.is_some() {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// The status after one side got new tokens: still `disconnected` while the other side has
/// none; else a paused-by-failure connection (reconnect-required, disconnected) becomes
/// active again when it had synced (the poller catches up from its cursors) or `connected`
/// when it never did. Active, paused and connected stay as they were.
pub async fn after_reconnect(
    ctx: &AdminContext,
    mut record: ConnectionRecord,
) -> Result<ConnectionRecord, ConnectFailure> {
    let id = record.id().clone();
    let mut both = true;
    for side in [Side::Hubspot, Side::Quickbooks] {
        both &= ctx.vault.tokens(&id, side).await?.is_some();
    }
    let next = match record.status {
        ConnectionStatus::ReconnectRequired | ConnectionStatus::Disconnected if !both => {
            ConnectionStatus::Disconnected
        }
        ConnectionStatus::ReconnectRequired | ConnectionStatus::Disconnected => {
            if has_synced(ctx, &id).await? {
                ConnectionStatus::Active
            } else {
                ConnectionStatus::Connected
            }
        }
        unchanged => unchanged,
    };
    if next != record.status {
        record.status = next;
        ctx.sync.store.put_connection(&record).await?;
    }
    Ok(record)
}

/// What happened to one side's tokens at disconnect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SideOutcome {
    Revoked,
    /// The vendor no longer knew the token (already revoked or expired).
    AlreadyInvalid,
    /// Nothing was stored for that side.
    NoTokens,
    /// The vendor could not be asked (delete goes on regardless; disconnect stops).
    Failed(String),
}

/// `POST /api/connections/{id}/disconnect` and the first half of `DELETE`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disconnected {
    pub id: String,
    pub status: ConnectionStatus,
    pub hubspot: SideOutcome,
    pub quickbooks: SideOutcome,
}

/// Revokes both sides' refresh tokens at the vendors (which ends their access tokens too).
async fn revoke_both(
    ctx: &AdminContext,
    record: &ConnectionRecord,
) -> Result<[SideOutcome; 2], ApiError> {
    let vendors = VendorAuth::new(ctx.vendor_urls.clone(), ctx.vault.app_credentials().await?);
    let mut outcomes = [SideOutcome::NoTokens, SideOutcome::NoTokens];
    for (slot, side) in outcomes.iter_mut().zip([Side::Hubspot, Side::Quickbooks]) {
        let Some(tokens) = ctx.vault.tokens(record.id(), side).await? else {
            continue;
        };
        *slot = match vendors
            .revoke(side, &record.environment, &tokens.refresh_token)
            .await
        {
            Ok(super::vendors::Revoked::Revoked) => SideOutcome::Revoked,
            Ok(super::vendors::Revoked::AlreadyInvalid) => SideOutcome::AlreadyInvalid,
            Err(VendorFailure::NotConfigured(what)) => {
                SideOutcome::Failed(format!("the app credentials have no {what}"))
            }
            Err(other) => SideOutcome::Failed(other.to_string()),
        };
    }
    Ok(outcomes)
}

pub async fn disconnect(
    State(ctx): State<AdminContext>,
    Path(id): Path<String>,
) -> Result<Json<Disconnected>, ApiError> {
    let mut record = load_connection(&ctx, &id).await?;
    let [hubspot, quickbooks] = revoke_both(&ctx, &record).await?;
    for (side, outcome) in [(Side::Hubspot, &hubspot), (Side::Quickbooks, &quickbooks)] {
        if let SideOutcome::Failed(why) = outcome {
            // Nothing changed: the tokens still work and the admin can try again.
            return Err(ApiError::Unavailable(format!(
                "could not revoke the {side} tokens ({why}); nothing was changed, try again"
            )));
        }
    }
    // The status first: a job that finds the tokens gone meanwhile sees a connection that is
    // no longer active and leaves it disconnected (instead of marking it reconnect-required).
    record.status = ConnectionStatus::Disconnected;
    ctx.sync.store.put_connection(&record).await?;
    ctx.vault.delete_tokens(record.id()).await?;
    crate::admin::audit::append(
        &ctx,
        "connection.disconnect",
        Some(record.id()),
        format!("hubspot {hubspot:?}, quickbooks {quickbooks:?}"),
    )
    .await;
    Ok(Json(Disconnected {
        id: record.id().to_string(),
        status: record.status,
        hubspot,
        quickbooks,
    }))
}

/// `DELETE /api/connections/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deleted {
    pub id: String,
    pub deleted: bool,
    pub hubspot: SideOutcome,
    pub quickbooks: SideOutcome,
    /// The kinds whose links, cursors and statuses were forgotten.
    pub forgot: Vec<ObjectKind>,
    /// What stays: nothing is deleted at the vendors.
    pub kept: String,
}

pub async fn delete(
    State(ctx): State<AdminContext>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    let record = load_connection(&ctx, &id).await?;
    // Deleting must always be possible: a vendor that cannot be reached is reported, and its
    // token is dropped with the rest (it expires on its own at the vendor).
    let [hubspot, quickbooks] = revoke_both(&ctx, &record).await?;
    ctx.vault.delete_tokens(record.id()).await?;
    for kind in ObjectKind::ALL {
        ctx.sync.store.forget_kind(record.id(), kind).await?;
    }
    ctx.sync.store.delete_connection(record.id()).await?;
    crate::admin::audit::append(
        &ctx,
        "connection.delete",
        Some(record.id()),
        format!("hubspot {hubspot:?}, quickbooks {quickbooks:?}"),
    )
    .await;
    Ok(Json(Deleted {
        id: record.id().to_string(),
        deleted: true,
        hubspot,
        quickbooks,
        forgot: ObjectKind::ALL.to_vec(),
        kept: "Every contact, product, invoice and payment stays in HubSpot and in QuickBooks; only HQSync's links between them, its cursors and its sync statuses are gone.".into(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct DisconnectedQuery {
    #[serde(rename = "realmId")]
    pub realm_id: Option<String>,
}

/// `GET /oauth/quickbooks/disconnected`: the app's "Disconnect URL", where Intuit sends the
/// browser of a user who disconnected HQSync from QuickBooks. Anyone can open this URL, so it
/// changes nothing: the connection shows reconnect-required once Intuit refuses its tokens
/// (the token refresh records that). A signed-in admin also sees which connections sync that
/// company, with their reconnect links.
pub async fn quickbooks_disconnected(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Query(query): Query<DisconnectedQuery>,
) -> Response {
    let page = Page::new(StatusCode::OK, "HQSync was disconnected in QuickBooks")
        .says("QuickBooks no longer lets HQSync reach this company. Syncing it stops; the connection shows \"reconnect required\" as soon as QuickBooks refuses its tokens. Links and settings are kept.");
    let session: Option<Session> = ctx.auth.session_of(&headers, ctx.sync.clock.now());
    let Some(_) = session else {
        // Like every admin route, nothing more without a session.
        let mut page =
            page.says("An admin can reconnect it: sign in to HQSync and open the connection.");
        page.status = StatusCode::UNAUTHORIZED;
        return page.into_response();
    };
    let Some(realm) = query.realm_id else {
        return page.into_response();
    };
    let mut page = page;
    match ctx.sync.store.connections_for_realm(&realm).await {
        Ok(ids) if !ids.is_empty() => {
            for id in ids {
                page = page.link(
                    format!("/connect?connection={id}&side=quickbooks"),
                    format!("Reconnect {id} to QuickBooks"),
                );
            }
        }
        Ok(_) => page = page.says(format!("No connection syncs company {realm}.")),
        Err(error) => {
            tracing::error!(%error, "could not look up the connections of a disconnected company");
        }
    }
    page.into_response()
}
