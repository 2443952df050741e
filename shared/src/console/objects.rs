//! `/connections/{id}/objects/{kind}`: one kind's settings page — enable, disable, delete with
//! a confirmation, direction and conflict policy — through the settings and objects handlers.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::connections::api_problem;
use super::form::{NoFields, Signed, signed, signed_form};
use super::layout::{document, respond};
use super::sign_in::see_other;
use crate::admin::connections::load_connection;
use crate::admin::{AdminContext, ApiError};
use crate::model::{ObjectKind, SyncState};
use crate::ports::ConnectionRecord;

/// The nav of a connection's pages (one list for every page: `layout::connection_nav`).
pub use super::layout::connection_nav;

/// The connection and kind of a page's path: a "No such ..." page (404) for an unknown one.
pub(super) async fn load(
    ctx: &AdminContext,
    signed: &Signed,
    id: &str,
    kind: &str,
) -> Result<(ConnectionRecord, ObjectKind), Response> {
    let kind: ObjectKind = kind.parse().map_err(|e: crate::model::UnknownName| {
        api_problem(ApiError::NotFound(e.to_string()), signed, "No such object")
    })?;
    let record = load_connection(ctx, id)
        .await
        .map_err(|error| api_problem(error, signed, "No such connection"))?;
    Ok((record, kind))
}

fn state_words(state: SyncState) -> &'static str {
    match state {
        SyncState::Enabled => "Enabled: syncing",
        SyncState::Disabled => "Disabled: not syncing; links and statuses are kept",
        SyncState::Deleted => "Deleted: links, cursors and statuses forgotten",
    }
}

/// `GET /connections/{id}/objects/{kind}`.
pub async fn show(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Path((id, kind)): Path<(String, String)>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let signed = match signed(&ctx, &headers) {
        Ok(signed) => signed,
        Err(refused) => return refused.into_response(),
    };
    let (record, kind) = match load(&ctx, &signed, &id, &kind).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let notice = match query.notice.as_deref() {
        Some("saved") => Some("Saved."),
        Some("enabled") => Some("Enabled: it syncs again (preview the initial sync to catch up)."),
        Some("disabled") => Some("Disabled: it stops syncing; links and statuses are kept."),
        Some("deleted") => Some(
            "Deleted: its links, cursors and statuses are forgotten; every record stays in both systems.",
        ),
        _ => None,
    };
    let id = record.id().to_string();
    let settings = &record.connection.settings;
    let state = settings.state(kind);
    let object = settings.object(kind);
    let action = |name: &str| format!("/connections/{id}/objects/{kind}/{name}");
    let direction = serde_json::to_value(object.direction).unwrap_or_default();
    let winner = serde_json::to_value(object.conflict.default).unwrap_or_default();
    let body = html! {
        p id="object-state" data-state=(serde_json::to_value(state).unwrap_or_default().as_str().unwrap_or_default()) { (state_words(state)) }
        div.actions {
            @if state != SyncState::Enabled {
                form.inline method="post" action=(action("enable")) {
                    input type="hidden" name="csrf_token" value=(signed.csrf_token);
                    button id="enable" type="submit" { "Enable" }
                }
            }
            @if state == SyncState::Enabled {
                form.inline method="post" action=(action("disable")) {
                    input type="hidden" name="csrf_token" value=(signed.csrf_token);
                    button id="disable" type="submit" { "Disable" }
                }
            }
            " "
            a id="delete-object" href=(action("delete")) { "Delete…" }
        }
        p { a id="open-initial-sync" href={ "/connections/" (id) "/initial-sync" } { "Initial sync" } ": preview what it would link and create on each side, then start it and follow its progress." }
        @if kind.is_two_way() {
            h2 { "Direction and conflicts" }
            form id="object-settings" method="post" action={ "/connections/" (id) "/objects/" (kind) } {
                input type="hidden" name="csrf_token" value=(signed.csrf_token);
                label for="direction" { "Direction" }
                select id="direction" name="direction" {
                    @for (value, label) in [("two_way", "Both ways"), ("to_quickbooks", "HubSpot to QuickBooks only"), ("to_hubspot", "QuickBooks to HubSpot only")] {
                        option value=(value) selected[direction == value] { (label) }
                    }
                }
                label for="conflict" { "When a field changed on both sides" }
                select id="conflict" name="conflict" {
                    @for (value, label) in [("newest_wins", "The newest change wins"), ("hubspot_wins", "HubSpot wins"), ("quickbooks_wins", "QuickBooks wins")] {
                        option value=(value) selected[winner == value] { (label) }
                    }
                }
                p { button id="save-object-settings" type="submit" { "Save" } }
            }
            h2 { "Mappings and filters" }
            p { a id="open-mappings" href={ "/connections/" (id) "/objects/" (kind) "/mappings" } { "Field mappings and filters" } ": which HubSpot property keeps which QuickBooks field, and which records enter the sync." }
        } @else {
            p { "Mirrored from QuickBooks into HubSpot only: there is no direction or mapping to set." }
        }
    };
    let title = format!("{id}: {}", kind.plural());
    respond(
        StatusCode::OK,
        document(&title, Some(&connection_nav(&signed, &id)), notice, body),
    )
}

#[derive(Debug, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ObjectForm {
    direction: String,
    conflict: String,
}

/// `POST /connections/{id}/objects/{kind}`: the stored settings with this kind's direction and
/// conflict winner replaced, through `PUT /api/connections/{id}/settings`'s handler (so
/// `ConnectionSettings::validate` decides, and a refusal names its field).
pub async fn save(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Path((id, kind)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (signed, form) = match signed_form::<ObjectForm>(&ctx, &headers, &body) {
        Ok(found) => found,
        Err(refused) => return refused.into_response(),
    };
    let (record, kind) = match load(&ctx, &signed, &id, &kind).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let mut settings = serde_json::to_value(&record.connection.settings).unwrap_or_default();
    let section = kind.to_string();
    settings[&section]["direction"] = form.direction.into();
    settings[&section]["conflict"]["default"] = form.conflict.into();
    let page = format!("/connections/{}/objects/{kind}", record.id());
    match put_settings(ctx, record.id().as_str(), settings.to_string()).await {
        Ok(()) => see_other(&format!("{page}?notice=saved"), None),
        Err(error) => api_problem(error, &signed, "Settings refused"),
    }
}

/// Stores `settings_json` through `PUT /api/connections/{id}/settings`'s handler: the one path
/// every console form that changes settings takes, so `ConnectionSettings::validate` decides,
/// the audit log records it and a kind set to `deleted` is forgotten (docs/console.md §2).
pub(super) async fn put_settings(
    ctx: AdminContext,
    id: &str,
    settings_json: String,
) -> Result<(), ApiError> {
    crate::admin::settings::put(
        State(ctx),
        Path(id.to_owned()),
        HeaderMap::new(),
        Bytes::from(settings_json),
    )
    .await
    .map(|_| ())
}

/// `GET /connections/{id}/objects/{kind}/delete`: what deleting a kind does and keeps.
pub async fn confirm_delete(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Path((id, kind)): Path<(String, String)>,
) -> Response {
    let signed = match signed(&ctx, &headers) {
        Ok(signed) => signed,
        Err(refused) => return refused.into_response(),
    };
    let (record, kind) = match load(&ctx, &signed, &id, &kind).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let id = record.id().to_string();
    let body = html! {
        ul id="delete-effects" {
            li { "stops syncing " (kind) "s at once;" }
            li { "forgets every " (kind) " link, cursor, sync status and claim (the objects API answers how many);" }
            li { "a later enable starts with a fresh initial sync of " (kind) "s." }
        }
        p id="delete-keeps" { "It does not delete any " (kind) " in HubSpot or in QuickBooks: they all stay in both systems, and the settings of other kinds are untouched." }
        form id="delete-object-form" method="post" action={ "/connections/" (id) "/objects/" (kind) "/delete" } {
            input type="hidden" name="csrf_token" value=(signed.csrf_token);
            button.danger id="confirm-delete-object" type="submit" { "Delete " (kind) " sync" }
            " "
            a id="cancel-delete-object" href={ "/connections/" (id) "/objects/" (kind) } { "Cancel" }
        }
    };
    let title = format!("Delete {kind} sync of {id}");
    respond(
        StatusCode::OK,
        document(&title, Some(&connection_nav(&signed, &id)), None, body),
    )
}

/// `POST /connections/{id}/objects/{kind}/{enable|disable|delete}`: the objects handler.
pub async fn change(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Path((id, kind, action)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let signed = match signed_form::<NoFields>(&ctx, &headers, &body) {
        Ok((signed, _)) => signed,
        Err(refused) => return refused.into_response(),
    };
    let page = format!("/connections/{id}/objects/{kind}");
    match crate::admin::objects::change(State(ctx), Path((id, kind, action.clone()))).await {
        Ok(_) => see_other(&format!("{page}?notice={action}d"), None),
        Err(error) => api_problem(error, &signed, "Change refused"),
    }
}

/// `POST /connections/{id}/objects/{kind}/delete`: [`change`] with `delete` (the path is also
/// the confirmation page's, so it has its own route).
pub async fn delete(
    state: State<AdminContext>,
    headers: HeaderMap,
    Path((id, kind)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    change(state, headers, Path((id, kind, "delete".to_owned())), body).await
}
