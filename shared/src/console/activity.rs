//! `/connections/{id}/activity`: the recent syncs (the sync log), the conflicts among them with
//! both values and the rule that decided, and the admin audit log (who, what, when).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{Markup, html};

use super::connections::api_problem;
use super::form::signed;
use super::layout::{connection_nav, document, respond};
use super::outcome::{outcome_detail, outcome_words};
use crate::admin::AdminContext;
use crate::admin::connections::load_connection;
use crate::model::Side;
use crate::ports::{AuditEntry, SyncLogEntry, SyncOutcome};

/// Sync log entries shown (the newest first).
pub const RECENT_SYNCS: usize = 100;
/// Audit entries shown, among the newest [`AUDIT_LOOKBACK`].
pub const RECENT_AUDIT: usize = 100;
const AUDIT_LOOKBACK: usize = 1000;

fn at(time: DateTime<Utc>) -> Markup {
    html! { time datetime=(time.to_rfc3339()) { (time.format("%Y-%m-%d %H:%M:%S UTC")) } }
}

/// Which way the entry's change went: from the side it was seen on to the other.
fn direction(entry: &SyncLogEntry) -> &'static str {
    match entry.side {
        Side::Hubspot => "HubSpot → QuickBooks",
        Side::Quickbooks => "QuickBooks → HubSpot",
    }
}

fn record_cell(entry: &SyncLogEntry) -> Markup {
    html! {
        (entry.kind.to_string()) " " (entry.id) " in " (entry.side.to_string())
        @if let Some(counterpart) = &entry.counterpart_id { ", linked to " (counterpart) }
    }
}

/// `GET /connections/{id}/activity`: `StatusLog::recent_log` and the audit log
/// (`GET /api/audit?connection=`), newest first.
pub async fn show(
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
        Err(error) => return api_problem(error, &signed, "No such connection"),
    };
    let log = match ctx.sync.store.recent_log(record.id(), RECENT_SYNCS).await {
        Ok(log) => log,
        Err(error) => return api_problem(error.into(), &signed, "Activity"),
    };
    let audit: Vec<AuditEntry> = match ctx.admin_store.recent_audit(AUDIT_LOOKBACK).await {
        Ok(entries) => entries
            .into_iter()
            .filter(|e| e.connection.as_ref().is_none_or(|c| c == record.id()))
            .take(RECENT_AUDIT)
            .collect(),
        Err(error) => return api_problem(error.into(), &signed, "Activity"),
    };
    let conflicts: Vec<&SyncLogEntry> = log
        .iter()
        .filter(|e| matches!(e.outcome, SyncOutcome::Conflict { .. }))
        .collect();
    let id = record.id().to_string();
    let body = html! {
        section aria-labelledby="conflicts-heading" {
            h2 id="conflicts-heading" { "Conflicts" }
            p { "A field changed on both sides since the last sync: the connection's rule chose which value both sides keep." }
            @if conflicts.is_empty() {
                p id="no-conflicts" { "None among the recent syncs." }
            } @else {
                div.table-scroll role="region" aria-label="Conflicts" tabindex="0" {
                    table id="activity-conflicts" {
                        thead { tr { th { "When" } th { "Record" } th { "Field" } th { "HubSpot value" } th { "QuickBooks value" } th { "Kept" } th { "Rule" } } }
                        tbody {
                            @for (n, entry) in conflicts.iter().enumerate() {
                                @if let SyncOutcome::Conflict { conflicts: notes } = &entry.outcome {
                                    @for (m, note) in notes.iter().enumerate() {
                                        tr id={ "conflict-" (n) "-" (m) } data-field=(note.field) {
                                            td { (at(entry.at)) }
                                            td { (record_cell(entry)) }
                                            td { (note.field) }
                                            td.hubspot-value { (note.hubspot_value.as_deref().unwrap_or("(empty)")) }
                                            td.quickbooks-value { (note.quickbooks_value.as_deref().unwrap_or("(empty)")) }
                                            td data-winner=(note.winner.as_str()) { @match note.winner { Side::Hubspot => { "HubSpot's" } Side::Quickbooks => { "QuickBooks'" } } }
                                            td.rule { (note.rule) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="syncs-heading" {
            h2 id="syncs-heading" { "Recent syncs" }
            @if log.is_empty() {
                p id="no-syncs" { "Nothing synced yet." }
            } @else {
                div.table-scroll role="region" aria-label="Recent syncs" tabindex="0" {
                    table id="activity-syncs" {
                        thead { tr { th { "When" } th { "Kind" } th { "Record" } th { "Direction" } th { "Outcome" } th { "What happened" } } }
                        tbody {
                            @for (n, entry) in log.iter().enumerate() {
                                tr id={ "sync-" (n) } data-outcome=(entry.outcome.label()) {
                                    td { (at(entry.at)) }
                                    td { (entry.kind.to_string()) }
                                    td { (record_cell(entry)) }
                                    td { (direction(entry)) }
                                    td { (outcome_words(&entry.outcome, false)) }
                                    td { p { (entry.action) } (outcome_detail(&entry.outcome)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="audit-heading" {
            h2 id="audit-heading" { "Admin audit log" }
            p { "Every change made through the console or the admin API, on this connection or on the whole deployment." }
            @if audit.is_empty() {
                p id="no-audit" { "No admin change yet." }
            } @else {
                div.table-scroll role="region" aria-label="Admin audit log" tabindex="0" {
                    table id="activity-audit" {
                        thead { tr { th { "When" } th { "Who" } th { "What" } th { "Details" } } }
                        tbody {
                            @for (n, entry) in audit.iter().enumerate() {
                                tr id={ "audit-" (n) } data-action=(entry.action) {
                                    td { (at(entry.at)) }
                                    td { (entry.actor) }
                                    td { code { (entry.action) } }
                                    td { (entry.detail) @if entry.connection.is_none() { " (every connection)" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let title = format!("{id}: activity");
    respond(
        StatusCode::OK,
        document(&title, Some(&connection_nav(&signed, &id)), None, body),
    )
}
