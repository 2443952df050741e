//! `/` signed in: every connection with its status, last sync and lag, and the connect,
//! reconnect, disconnect and delete actions (docs/console.md §4), through the API's handlers.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use serde::Deserialize;

use super::form::{NoFields, Signed, signed, signed_form};
use super::layout::{document, problem_page, respond};
use super::sign_in::{form_page, see_other};
use crate::admin::connections::load_connection;
use crate::admin::{AdminContext, ApiError};
use crate::model::{ObjectKind, Side};
use crate::ports::{ConnectionRecord, ConnectionStatus};

#[derive(Debug, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// The sentence a `?notice=` code stands for (fixed texts: nothing from the URL is shown).
fn notice_text(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "disconnected" => {
            Some("Disconnected: both sides' tokens were revoked; links and settings are kept.")
        }
        "deleted" => Some(
            "Deleted: HQSync forgot the connection's links, cursors and statuses; every record stays in HubSpot and QuickBooks.",
        ),
        "signed-out" => Some("Signed out."),
        _ => None,
    }
}

/// The status in words, and the CSS class / API name it shows with.
pub fn status_words(status: ConnectionStatus) -> (&'static str, &'static str) {
    match status {
        ConnectionStatus::Active => ("Syncing", "active"),
        ConnectionStatus::Paused => ("Paused by an admin", "paused"),
        ConnectionStatus::Connected => (
            "Not syncing yet: connected, start the initial sync",
            "connected",
        ),
        ConnectionStatus::ReconnectRequired => (
            "Reconnect required: a vendor refused its tokens",
            "reconnect-required",
        ),
        ConnectionStatus::Disconnected => ("Disconnected: its tokens were revoked", "disconnected"),
    }
}

/// When it last synced a record (the newest status) and how far polling lags (now minus the
/// oldest cursor watermark: changes after it are not all queued yet).
pub(crate) async fn timing(
    ctx: &AdminContext,
    record: &ConnectionRecord,
) -> (Option<DateTime<Utc>>, Option<chrono::Duration>) {
    let mut last = None;
    let mut oldest = None;
    for kind in ObjectKind::ALL {
        if let Ok(statuses) = ctx.sync.store.list_statuses(record.id(), kind).await {
            last = statuses.iter().map(|s| s.updated_at).chain(last).max();
        }
        for side in [Side::Hubspot, Side::Quickbooks] {
            if let Ok(Some(cursor)) = ctx.sync.store.get_cursor(record.id(), side, kind).await {
                oldest = Some(
                    oldest.map_or(cursor.watermark, |o: DateTime<Utc>| o.min(cursor.watermark)),
                );
            }
        }
    }
    let lag = oldest.map(|o| (ctx.sync.clock.now() - o).max(chrono::Duration::zero()));
    (last, lag)
}

pub(crate) fn lag_words(lag: chrono::Duration) -> String {
    match lag.num_seconds() {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s => format!("{} h", s / 3600),
    }
}

/// `GET /`: the sign-in form without a session, the connections with one.
pub async fn home(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let Ok(signed) = signed(&ctx, &headers) else {
        return form_page(StatusCode::OK, notice_text(query.notice.as_deref()));
    };
    let listing = match ctx.sync.store.list_connections().await {
        Ok(listing) => listing,
        Err(error) => {
            tracing::error!(%error, "console: listing connections failed");
            return problem_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Connections",
                "The connections cannot be listed right now; try again shortly.",
                Some(&signed.nav(Vec::new())),
            );
        }
    };
    let mut rows = Vec::new();
    for record in &listing.records {
        let (last, lag) = timing(&ctx, record).await;
        rows.push(row(&signed, record, last, lag));
    }
    let body = html! {
        section aria-labelledby="connect-heading" {
            h2 id="connect-heading" { "Connect" }
            ul {
                @if ctx.vendor_urls.quickbooks_base_url.is_some() {
                    li { a id="connect-local" href="/connect?environment=local" { "Connect the built-in sandboxes" } }
                }
                li { a id="connect-sandbox" href="/connect?environment=sandbox" { "Connect a HubSpot account to a QuickBooks sandbox company" } }
                li { a id="connect-production" href="/connect?environment=production" { "Connect a HubSpot account to a QuickBooks company" } }
            }
        }
        section aria-labelledby="connections-heading" {
            h2 id="connections-heading" { "Connections" }
            @if rows.is_empty() && listing.broken.is_empty() {
                p id="no-connections" { "None yet: connect a HubSpot account and a QuickBooks company above." }
            } @else {
                div.table-scroll role="region" aria-label="Connections" tabindex="0" {
                    table id="connections" {
                        thead { tr { th { "Connection" } th { "Status" } th { "Last sync" } th { "Lag" } th { "Actions" } } }
                        tbody {
                            @for r in &rows { (r) }
                            @for broken in &listing.broken {
                                tr id={ "connection-" (broken.id) } {
                                    td { (broken.id.to_string()) }
                                    td.status-disconnected colspan="4" { "Cannot be read: " (broken.error) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    respond(
        StatusCode::OK,
        document(
            "Connections",
            Some(&signed.nav(Vec::new())),
            notice_text(query.notice.as_deref()),
            body,
        ),
    )
}

fn row(
    signed: &Signed,
    record: &ConnectionRecord,
    last: Option<DateTime<Utc>>,
    lag: Option<chrono::Duration>,
) -> Markup {
    let id = record.id().to_string();
    let c = &record.connection;
    let (words, class) = status_words(record.status);
    html! {
        tr id={ "connection-" (id) } {
            td {
                a id={ "open-" (id) } href={ "/connections/" (id) } { (id) }
                " · "
                a id={ "objects-" (id) } href={ "/connections/" (id) "/objects/contact" } { "Objects" }
                " · "
                a id={ "health-" (id) } href={ "/connections/" (id) "/health" } { "Sync health" }
                br;
                "HubSpot portal " (c.hubspot_portal_id) ", QuickBooks company " (c.qbo_realm_id) " (" (record.environment) ")"
            }
            td class={ "status-" (class) } data-status=(class) { (words) }
            td { @match last { Some(at) => { time datetime=(at.to_rfc3339()) { (at.format("%Y-%m-%d %H:%M UTC")) } } None => { "Never" } } }
            td { @match lag { Some(lag) => { (lag_words(lag)) } None => { "-" } } }
            td {
                a id={ "reconnect-hubspot-" (id) } href={ "/connect?connection=" (id) "&side=hubspot" } { "Reconnect HubSpot" }
                " · "
                a id={ "reconnect-quickbooks-" (id) } href={ "/connect?connection=" (id) "&side=quickbooks" } { "Reconnect QuickBooks" }
                @if record.status != ConnectionStatus::Disconnected {
                    form.inline method="post" action={ "/connections/" (id) "/disconnect" } {
                        input type="hidden" name="csrf_token" value=(signed.csrf_token);
                        " " button id={ "disconnect-" (id) } type="submit" { "Disconnect" }
                    }
                }
                " "
                a id={ "delete-" (id) } href={ "/connections/" (id) "/delete" } { "Delete…" }
            }
        }
    }
}

/// A refused API call as a page: its status and message.
pub fn api_problem(error: ApiError, signed: &Signed, title: &str) -> Response {
    problem_page(
        error.status(),
        title,
        &error.to_string(),
        Some(&signed.nav(Vec::new())),
    )
}

/// `POST /connections/{id}/disconnect`: `POST /api/connections/{id}/disconnect`'s handler.
pub async fn disconnect(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let signed = match signed_form::<NoFields>(&ctx, &headers, &body) {
        Ok((signed, _)) => signed,
        Err(refused) => return refused.into_response(),
    };
    match crate::connect::lifecycle::disconnect(State(ctx), Path(id)).await {
        Ok(_) => see_other("/?notice=disconnected", None),
        Err(error) => api_problem(error, &signed, "Disconnect failed"),
    }
}

/// `GET /connections/{id}/delete`: what deleting does and does not do, and the confirm form.
pub async fn confirm_delete(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let signed = match signed(&ctx, &headers) {
        Ok(signed) => signed,
        Err(refused) => return refused.into_response(),
    };
    let record = match load_connection(&ctx, &id).await {
        Ok(record) => record,
        Err(error) => return api_problem(error, &signed, "Delete a connection"),
    };
    let id = record.id().to_string();
    let body = html! {
        p { "Deleting connection " strong { (id) } " (HubSpot portal " (record.connection.hubspot_portal_id) ", QuickBooks company " (record.connection.qbo_realm_id) "):" }
        ul id="delete-effects" {
            li { "revokes HQSync's tokens at HubSpot and at QuickBooks;" }
            li { "forgets every link, cursor and sync status of its contacts, products, invoices and payments, and its settings;" }
            li { "stops syncing at once." }
        }
        p id="delete-keeps" { "It does not delete anything in HubSpot or in QuickBooks: every contact, product, invoice and payment stays in both systems. Connecting them again later starts with a fresh initial sync." }
        form id="delete-form" method="post" action={ "/connections/" (id) "/delete" } {
            input type="hidden" name="csrf_token" value=(signed.csrf_token);
            button.danger id="confirm-delete" type="submit" { "Delete connection " (id) }
            " "
            a id="cancel-delete" href="/" { "Cancel" }
        }
    };
    respond(
        StatusCode::OK,
        document(
            "Delete a connection",
            Some(&signed.nav(Vec::new())),
            None,
            body,
        ),
    )
}

/// `POST /connections/{id}/delete`: `DELETE /api/connections/{id}`'s handler.
pub async fn delete(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let signed = match signed_form::<NoFields>(&ctx, &headers, &body) {
        Ok((signed, _)) => signed,
        Err(refused) => return refused.into_response(),
    };
    match crate::connect::lifecycle::delete(State(ctx), Path(id)).await {
        Ok(_) => see_other("/?notice=deleted", None),
        Err(error) => api_problem(error, &signed, "Delete failed"),
    }
}
