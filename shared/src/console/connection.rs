//! `GET /connections/{id}`: one connection's page, where the connect flow ends — which portal
//! syncs with which company, its status block (state, reason, last sync, lag) and what's next.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;

use super::connections::{api_problem, lag_words, status_words, timing};
use super::form::signed;
use super::layout::{connection_nav, document, problem_page, respond};
use crate::admin::AdminContext;
use crate::admin::connections::load_connection;
use crate::connect::binding::Caller;
use crate::ports::ConnectionStatus;

/// What the status means for the admin: why it is so and what to do (docs/console.md §4.1).
fn reason(status: ConnectionStatus) -> &'static str {
    match status {
        ConnectionStatus::Active => {
            "Webhooks and the five-minute poll keep both sides in sync; failing records are listed in sync health."
        }
        ConnectionStatus::Paused => {
            "An admin paused it: nothing is synced until it is resumed; links and settings are kept."
        }
        ConnectionStatus::Connected => {
            "Both sides are authorized but it is not syncing yet: preview the initial sync, then start it."
        }
        ConnectionStatus::ReconnectRequired => {
            "A vendor refused HQSync's refresh token (revoked, expired or the app was removed), so jobs are held: reconnect the side below; links and settings are kept, and syncing resumes from where it stopped."
        }
        ConnectionStatus::Disconnected => {
            "Its tokens were revoked at both vendors; links and settings are kept for a reconnect."
        }
    }
}

/// The status as a sentence (the connect flow's landing reads "Status: syncing.").
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

/// `GET /connections/{id}` (401 with the sign-in form without a session, 404 for an unknown id).
///
/// The connect flow ends here through the vendors' cross-site redirects, which do not carry
/// the `SameSite=Strict` session cookie: the flow's own binding cookie (`connect/binding.rs`)
/// then shows the page without the nav and its sign-out form (they need the session's CSRF
/// token); the next click, same-site, carries the session again.
pub async fn show(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let signed = match signed(&ctx, &headers) {
        Ok(signed) => Some(signed),
        Err(refused) => {
            let caller = Caller::of(&ctx.auth, &headers, ctx.sync.clock.now());
            if caller.binding.is_none() {
                return refused.into_response();
            }
            None
        }
    };
    let record = match load_connection(&ctx, &id).await {
        Ok(record) => record,
        Err(error) => {
            return match &signed {
                Some(signed) => api_problem(error, signed, "No such connection"),
                None => problem_page(
                    error.status(),
                    "No such connection",
                    &error.to_string(),
                    None,
                ),
            };
        }
    };
    let (last, lag) = timing(&ctx, &record).await;
    let id = record.id().to_string();
    let c = &record.connection;
    let (words, class) = status_words(record.status);
    let body = html! {
        p id="connection-accounts" {
            "HubSpot portal " (c.hubspot_portal_id) " is connected to QuickBooks company "
            (c.qbo_realm_id) " (" (record.environment) " environment)."
        }
        p { "Status: " (status_sentence(record.status)) "." }
        dl id="connection-status" {
            dt { "Status" }
            dd id="connection-state" class={ "status-" (class) } data-status=(class) { (words) }
            dt { "Why" }
            dd id="connection-reason" { (reason(record.status)) }
            dt { "Last sync" }
            dd id="connection-last-sync" {
                @match last {
                    Some(at) => { time datetime=(at.to_rfc3339()) { (at.format("%Y-%m-%d %H:%M UTC")) } }
                    None => { "Never" }
                }
            }
            dt { "Lag" }
            dd id="connection-lag" { @match lag { Some(lag) => { (lag_words(lag)) } None => { "-" } } }
        }
        h2 { "Next" }
        p id="connection-cli" {
            "From a terminal: " code { "hqsync preview --connection " (id) } ", then "
            code { "hqsync initial-sync --connection " (id) } "; its health: "
            code { "hqsync status --api URL --connection " (id) } "."
        }
        ul id="connection-next" {
            @if record.status == ConnectionStatus::Connected {
                li { a id="next-initial-sync" href={ "/connections/" (id) "/initial-sync" } { "Preview and start the initial sync" } }
            }
            li { a id="next-health" href={ "/connections/" (id) "/health" } { "Sync health: what is in sync, excluded or failing" } }
            li { a id="next-activity" href={ "/connections/" (id) "/activity" } { "Activity: recent syncs, conflicts and the audit log" } }
            li { a id="reconnect-hubspot" href={ "/connect?connection=" (id) "&side=hubspot" } { "Reconnect HubSpot" } }
            li { a id="reconnect-quickbooks" href={ "/connect?connection=" (id) "&side=quickbooks" } { "Reconnect QuickBooks" } }
            li { a id="connect-another" href="/connect" { "Connect another portal and company" } }
        }
    };
    respond(
        StatusCode::OK,
        document(
            &format!("Connection {id}"),
            signed.map(|signed| connection_nav(&signed, &id)).as_ref(),
            None,
            body,
        ),
    )
}
