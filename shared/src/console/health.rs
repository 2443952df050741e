//! `/connections/{id}/health`: counts in sync / conflict / excluded / failing / needs attention
//! per kind, and each failing record with the vendor's message, the fix and a Retry button.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::connections::api_problem;
use super::form::{NoFields, signed, signed_form};
use super::layout::{document, respond};
use super::objects::connection_nav;
use super::sign_in::see_other;
use crate::admin::AdminContext;
use crate::admin::connections::load_connection;
use crate::engine::status_report::status_report;

#[derive(Debug, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// `GET /connections/{id}/health`: `GET /api/connections/{id}/status`'s report as a page.
pub async fn show(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let signed = match signed(&ctx, &headers) {
        Ok(signed) => signed,
        Err(refused) => return refused.into_response(),
    };
    let record = match load_connection(&ctx, &id).await {
        Ok(record) => record,
        Err(error) => return api_problem(error, &signed, "No such connection"),
    };
    let report = match status_report(ctx.sync.store.as_ref(), record.id()).await {
        Ok(report) => report,
        Err(error) => return api_problem(error.into(), &signed, "Sync health"),
    };
    let id = record.id().to_string();
    let notice = (query.notice.as_deref() == Some("retried"))
        .then_some("Queued for a retry: its automatic retries start again from the first.");
    let body = html! {
        table id="health-counts" {
            thead { tr { th { "Kind" } th { "In sync" } th { "Conflict" } th { "Excluded" } th { "Failing" } th { "Needs attention" } } }
            tbody {
                @for counts in &report.kinds {
                    @let kind = counts.kind.map(|k| k.to_string()).unwrap_or_default();
                    tr id={ "health-" (kind) } {
                        td { (kind) }
                        td data-count="synced" { (counts.synced) }
                        td data-count="conflict" { (counts.conflict) }
                        td data-count="excluded" { (counts.excluded) }
                        td data-count="failed" { (counts.failed) }
                        td data-count="needs_attention" { (counts.needs_attention) }
                    }
                }
            }
        }
        h2 { "Failing records" }
        @if report.attention.is_empty() {
            p id="no-failures" { "None: every record synced, or is excluded by a filter." }
        } @else {
            table id="failing-records" {
                thead { tr { th { "Record" } th { "State" } th { "Vendor's message" } th { "Suggested fix" } th { "Action" } } }
                tbody {
                    @for (n, failing) in report.attention.iter().enumerate() {
                        tr id={ "failing-" (n) } {
                            td { (failing.kind.to_string()) " " (failing.id) " in " (failing.side.to_string()) }
                            td { (failing.state) " (" (failing.attempts) " attempts)" }
                            td { @if let Some(code) = &failing.code { code { (code) } " " } (failing.message) }
                            td { (failing.fix.as_deref().unwrap_or("-")) }
                            td {
                                form method="post" action={ "/connections/" (id) "/records/" (failing.kind.to_string()) "/" (failing.side.to_string()) "/" (failing.id) "/resync" } {
                                    input type="hidden" name="csrf_token" value=(signed.csrf_token);
                                    button id={ "retry-" (n) } type="submit" { "Retry" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let title = format!("{id}: sync health");
    respond(
        StatusCode::OK,
        document(&title, Some(&connection_nav(&signed, &id)), notice, body),
    )
}

/// `POST /connections/{id}/records/{kind}/{side}/{record_id}/resync`: the resync handler.
pub async fn retry(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Path(path): Path<(String, String, String, String)>,
    body: Bytes,
) -> Response {
    let signed = match signed_form::<NoFields>(&ctx, &headers, &body) {
        Ok((signed, _)) => signed,
        Err(refused) => return refused.into_response(),
    };
    let id = path.0.clone();
    match crate::admin::operations::records::resync(State(ctx), Path(path)).await {
        Ok(_) => see_other(&format!("/connections/{id}/health?notice=retried"), None),
        Err(error) => api_problem(error, &signed, "Retry refused"),
    }
}
