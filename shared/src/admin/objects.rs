//! `POST /api/connections/{id}/objects/{kind}/{enable|disable|delete}`: one kind's sync state,
//! changed at once; delete also forgets that kind's links, cursors, statuses and claims now.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;

use super::audit;
use super::connections::load_connection;
use super::context::AdminContext;
use super::error::ApiError;
use crate::model::{ConnectionId, ObjectKind, Side, SyncState};
use crate::ports::ConnectionStatus;

/// What a delete forgot of the kind, counted just before forgetting (claims are dropped too,
/// and not counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Forgotten {
    /// Links between a HubSpot and a QBO record.
    pub links: usize,
    /// Sync statuses of records (both sides).
    pub statuses: usize,
    /// Poll cursors (at most one per side).
    pub cursors: usize,
}

/// What a delete leaves in place: every record at both vendors, and the sync log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kept {
    /// HubSpot records of the kind that were linked; they stay in HubSpot.
    pub hubspot_records: usize,
    /// QBO records of the kind that were linked; they stay in QuickBooks.
    pub quickbooks_records: usize,
    /// The sync log history stays.
    pub sync_log: bool,
    pub message: String,
}

/// The answer: the kind's new state, and what a delete forgot and kept, or where a fresh
/// preview is when a deleted kind is enabled again on a syncing connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectChange {
    pub kind: ObjectKind,
    pub state: SyncState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forgot: Option<Forgotten>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept: Option<Kept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
}

/// Forgets everything the connection remembers of `kind` now, through the store's one
/// `ForgetKind` (the one the worker also runs when a job of a deleted kind arrives), and says
/// what went. Records at the vendors are never touched.
pub async fn forget_now(
    ctx: &AdminContext,
    connection: &ConnectionId,
    kind: ObjectKind,
) -> Result<(Forgotten, Kept), ApiError> {
    let store = ctx.sync.store.as_ref();
    let links = store.list_links(connection, kind).await?.len();
    let statuses = store.list_statuses(connection, kind).await?.len();
    let mut cursors = 0;
    for side in Side::BOTH {
        if store.get_cursor(connection, side, kind).await?.is_some() {
            cursors += 1;
        }
    }
    store.forget_kind(connection, kind).await?;
    let (hubspot, qbo) = (
        kind.vendor_name(Side::Hubspot),
        kind.vendor_name(Side::Quickbooks),
    );
    Ok((
        Forgotten {
            links,
            statuses,
            cursors,
        },
        Kept {
            hubspot_records: links,
            quickbooks_records: links,
            sync_log: true,
            message: format!(
                "nothing was deleted at either vendor: the {links} linked HubSpot {hubspot} \
                 record(s) stay in HubSpot and their QuickBooks {qbo} record(s) stay in \
                 QuickBooks, now unlinked; the sync log stays"
            ),
        },
    ))
}

const ACTIONS: &str = "enable, disable, delete";

pub async fn change(
    State(ctx): State<AdminContext>,
    Path((id, kind, action)): Path<(String, String, String)>,
) -> Result<Json<ObjectChange>, ApiError> {
    let kind: ObjectKind = kind
        .parse()
        .map_err(|e: crate::model::UnknownName| ApiError::invalid_field("kind", e.to_string()))?;
    let target = match action.as_str() {
        "enable" => SyncState::Enabled,
        "disable" => SyncState::Disabled,
        "delete" => SyncState::Deleted,
        other => {
            return Err(ApiError::NotFound(format!(
                "no object action {other:?}; expected one of {ACTIONS}"
            )));
        }
    };
    let mut record = load_connection(&ctx, &id).await?;
    let connection_id = record.id().clone();
    let before = record.connection.settings.state(kind);
    if kind == ObjectKind::Payment
        && target == SyncState::Enabled
        && record.connection.settings.state(ObjectKind::Invoice) != SyncState::Enabled
    {
        return Err(ApiError::Conflict(
            "payments update mirrored invoices, so they sync only while invoices do: enable \
             invoice first"
                .into(),
        ));
    }
    let customers = record.connection.settings.customers;
    let model = customers.model;
    if target == SyncState::Enabled
        && model.is_other_customer_kind(kind)
        && !customers.syncs_other_kind(kind)
    {
        return Err(ApiError::Conflict(format!(
            "QBO customers are HubSpot {} on this connection, so {} do not sync: set \
             `[customers] model = \"{kind}\"` in the settings to make them the customers \
             (docs/admin.md §6)",
            model.customer_kind().plural(),
            kind.plural()
        )));
    }
    record.connection.settings.set_state(kind, target);
    ctx.sync.store.put_connection(&record).await?;
    let mut answer = ObjectChange {
        kind,
        state: record.connection.settings.state(kind),
        forgot: None,
        kept: None,
        preview: None,
    };
    let detail = match target {
        SyncState::Deleted => {
            let (forgot, kept) = forget_now(&ctx, &connection_id, kind).await?;
            let detail = format!(
                "{kind}: forgot {} link(s), {} status(es), {} cursor(s)",
                forgot.links, forgot.statuses, forgot.cursors
            );
            answer.forgot = Some(forgot);
            answer.kept = Some(kept);
            detail
        }
        SyncState::Enabled => {
            // A deleted kind starts over; a connection not yet syncing only changes settings
            // (its initial sync previews everything anyway).
            if before == SyncState::Deleted && record.status != ConnectionStatus::Connected {
                answer.preview = Some(format!("/api/connections/{connection_id}/preview"));
            }
            format!("{kind}: was {}", state_name(before))
        }
        SyncState::Disabled => format!("{kind}: was {}", state_name(before)),
    };
    let action = match target {
        SyncState::Enabled => "object.enable",
        SyncState::Disabled => "object.disable",
        SyncState::Deleted => "object.delete",
    };
    audit::append(&ctx, action, Some(&connection_id), detail).await;
    Ok(Json(answer))
}

fn state_name(state: SyncState) -> &'static str {
    match state {
        SyncState::Enabled => "enabled",
        SyncState::Disabled => "disabled",
        SyncState::Deleted => "deleted",
    }
}
