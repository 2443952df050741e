//! `/connections/{id}/health`: counts per outcome and kind, the failing records (vendor's
//! message, fix, links to both apps, Retry), and a record search with kind and outcome filters.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};

use super::connections::api_problem;
use super::form::{NoFields, Signed, signed, signed_form};
use super::layout::{connection_nav, document, respond};
use super::outcome::{outcome_detail, outcome_words};
use super::record_links::RecordLinks;
use super::sign_in::see_other;
use crate::admin::AdminContext;
use crate::admin::connections::load_connection;
use crate::admin::operations::records::{RecordFilter, StatusRow, find_records};
use crate::engine::status_report::{AttentionRecord, status_report};
use crate::model::{ObjectKind, Side};

/// Records listed per page of search results.
pub const PAGE_SIZE: usize = 50;
/// Results looked at at most (the API's search cap): `from` beyond it shows nothing more.
const MAX_RESULTS: usize = 1000;

/// The outcome filter's choices: the search's labels, in words.
const OUTCOME_CHOICES: [(&str, &str); 5] = [
    ("synced", "In sync"),
    ("conflict", "In sync after a conflict"),
    ("excluded", "Excluded"),
    ("failed", "Failing"),
    ("needs_attention", "Needs attention"),
];

/// The page's GET parameters: the notice, the search and its filters, the page's offset.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct HealthQuery {
    #[serde(default, skip_serializing)]
    notice: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outcome: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    from: Option<usize>,
}

impl HealthQuery {
    /// This search at another offset, as the page's URL.
    fn at(&self, id: &str, from: usize) -> String {
        let query = HealthQuery {
            from: Some(from),
            ..self.clone()
        };
        let encoded = serde_urlencoded::to_string(&query).unwrap_or_default();
        format!("/connections/{id}/health?{encoded}")
    }
}

/// `GET /connections/{id}/health`: `GET /api/connections/{id}/status`'s report and
/// `GET /api/connections/{id}/records`' search as one page.
pub async fn show(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HealthQuery>,
) -> Response {
    let signed = match signed(&ctx, &headers) {
        Ok(signed) => signed,
        Err(refused) => return refused.into_response(),
    };
    let record = match load_connection(&ctx, &id).await {
        Ok(record) => record,
        Err(error) => return api_problem(error, &signed, "No such connection"),
    };
    let filter = match RecordFilter::parse(
        query.kind.as_deref(),
        query.outcome.as_deref(),
        query.q.as_deref(),
    ) {
        Ok(filter) => filter,
        Err(error) => return api_problem(error, &signed, "Search refused"),
    };
    let report = match status_report(ctx.sync.store.as_ref(), record.id()).await {
        Ok(report) => report,
        Err(error) => return api_problem(error.into(), &signed, "Sync health"),
    };
    let from = query.from.unwrap_or(0).min(MAX_RESULTS);
    let mut found = match find_records(
        &ctx,
        record.id(),
        &filter,
        (from + PAGE_SIZE + 1).min(MAX_RESULTS),
    )
    .await
    {
        Ok(found) => found,
        Err(error) => return api_problem(error, &signed, "Sync health"),
    };
    let more = found.len() > from + PAGE_SIZE && from + PAGE_SIZE < MAX_RESULTS;
    let rows: Vec<StatusRow> = found.drain(..).skip(from).take(PAGE_SIZE).collect();
    let links = RecordLinks::of(&record, None);
    let id = record.id().to_string();
    let notice = (query.notice.as_deref() == Some("retried"))
        .then_some("Queued for a retry: its automatic retries start again from the first.");
    let body = html! {
        div.table-scroll role="region" aria-label="Records by outcome" tabindex="0" {
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
        }
        h2 { "Failing records" }
        @if report.attention.is_empty() {
            p id="no-failures" { "None: every record synced, or is excluded by a filter." }
        } @else {
            div.table-scroll role="region" aria-label="Failing records" tabindex="0" {
                table id="failing-records" {
                    thead { tr { th { "Record" } th { "State" } th { "Vendor's message" } th { "Suggested fix" } th { "Open" } th { "Action" } } }
                    tbody {
                        @for (n, failing) in report.attention.iter().enumerate() {
                            (failing_row(&signed, &links, &id, n, failing))
                        }
                    }
                }
            }
        }
        h2 id="records-heading" { "Records" }
        (search_form(&query))
        @if rows.is_empty() {
            p id="no-records" { "No record matches." }
        } @else {
            div.table-scroll role="region" aria-label="Records found" tabindex="0" {
                table id="records" aria-labelledby="records-heading" {
                    thead { tr { th { "Record" } th { "Outcome" } th { "Details" } th { "Open" } th { "Action" } } }
                    tbody {
                        @for row in &rows { (record_row(&signed, &links, &id, row)) }
                    }
                }
            }
        }
        p.pages {
            @if from > 0 {
                a id="health-previous" href=(query.at(&id, from.saturating_sub(PAGE_SIZE))) { "Previous " (PAGE_SIZE) }
                " "
            }
            @if more {
                a id="health-next" href=(query.at(&id, from + PAGE_SIZE)) { "Next " (PAGE_SIZE) }
            }
        }
    };
    let title = format!("{id}: sync health");
    respond(
        StatusCode::OK,
        document(&title, Some(&connection_nav(&signed, &id)), notice, body),
    )
}

/// The search form: `q` (e-mail, SKU or name), `kind` and `outcome` (GET, so a search is a link).
fn search_form(query: &HealthQuery) -> Markup {
    let kind = query.kind.as_deref().unwrap_or("");
    let outcome = query.outcome.as_deref().unwrap_or("");
    html! {
        form id="health-filter" method="get" role="search" {
            label for="health-search" { "E-mail, SKU or name" }
            input id="health-search" type="search" name="q" value=(query.q.as_deref().unwrap_or(""));
            label for="health-kind" { "Kind" }
            select id="health-kind" name="kind" {
                option value="" selected[kind.is_empty()] { "Every kind" }
                @for k in ObjectKind::ALL {
                    option value=(k.as_str()) selected[kind == k.as_str()] { (k.as_str()) "s" }
                }
            }
            label for="health-outcome" { "Outcome" }
            select id="health-outcome" name="outcome" {
                option value="" selected[outcome.is_empty()] { "Any outcome" }
                @for (value, words) in OUTCOME_CHOICES {
                    option value=(value) selected[outcome == value] { (words) }
                }
            }
            p { button id="health-submit" type="submit" { "Search" } }
        }
    }
}

/// Each side's id of a record: its own and its counterpart's.
fn ids_by_side<'a>(
    side: Side,
    id: &'a str,
    counterpart: Option<&'a str>,
) -> [(Side, Option<&'a str>); 2] {
    match side {
        Side::Hubspot => [(Side::Hubspot, Some(id)), (Side::Quickbooks, counterpart)],
        Side::Quickbooks => [(Side::Hubspot, counterpart), (Side::Quickbooks, Some(id))],
    }
}

/// "Open in HubSpot" / "Open in QuickBooks", in a new tab without an opener or referrer;
/// `id_of(side)` is each link's element id.
fn open_links(
    links: &RecordLinks,
    kind: ObjectKind,
    ids: [(Side, Option<&str>); 2],
    id_of: impl Fn(Side) -> String,
) -> Markup {
    html! {
        @for (side, record) in ids {
            @if let Some(href) = record.and_then(|record| links.open(side, kind, record)) {
                a id=(id_of(side)) href=(href) target="_blank" rel="noopener noreferrer" {
                    @match side { Side::Hubspot => { "Open in HubSpot" } Side::Quickbooks => { "Open in QuickBooks" } }
                }
                br;
            }
        }
    }
}

fn retry_form(
    signed: &Signed,
    id: &str,
    kind: ObjectKind,
    side: Side,
    record: &str,
    button_id: &str,
) -> Markup {
    html! {
        form method="post" action={ "/connections/" (id) "/records/" (kind) "/" (side) "/" (record) "/resync" } {
            input type="hidden" name="csrf_token" value=(signed.csrf_token);
            button id=(button_id) type="submit" { "Retry" }
        }
    }
}

fn side_tag(side: Side) -> &'static str {
    match side {
        Side::Hubspot => "hubspot",
        Side::Quickbooks => "qbo",
    }
}

fn failing_row(
    signed: &Signed,
    links: &RecordLinks,
    id: &str,
    n: usize,
    failing: &AttentionRecord,
) -> Markup {
    let ids = ids_by_side(failing.side, &failing.id, None);
    html! {
        tr id={ "failing-" (n) } {
            td { (failing.kind.to_string()) " " (failing.id) " in " (failing.side.to_string()) }
            td { (failing.state) " (" (failing.attempts) " attempts)" }
            td { @if let Some(code) = &failing.code { code { (code) } " " } (failing.message) }
            td { (failing.fix.as_deref().unwrap_or("-")) }
            td { (open_links(links, failing.kind, ids, |side| format!("failing-{n}-open-{}", side_tag(side)))) }
            td { (retry_form(signed, id, failing.kind, failing.side, &failing.id, &format!("retry-{n}"))) }
        }
    }
}

fn record_row(signed: &Signed, links: &RecordLinks, id: &str, row: &StatusRow) -> Markup {
    let status = &row.status;
    let key = format!("{}-{}-{}", status.kind, status.side, status.id);
    let ids = ids_by_side(status.side, &status.id, status.counterpart_id.as_deref());
    let kind = status.kind;
    html! {
        tr id={ "record-" (key) } data-outcome=(if status.needs_attention { "needs_attention" } else { row.label }) {
            td {
                @if let Some(display) = &row.display { strong { (display) } br; }
                @if let Some(name) = &row.name { (name) br; }
                (kind.to_string()) " " (status.id) " in " (status.side.to_string())
                @if let Some(counterpart) = &status.counterpart_id { ", linked to " (counterpart) }
            }
            td { (outcome_words(&status.outcome, status.needs_attention)) }
            td { (outcome_detail(&status.outcome)) }
            td { (open_links(links, kind, ids, |side| format!("open-{}-{key}", side_tag(side)))) }
            td {
                @if row.label == "failed" {
                    (retry_form(signed, id, kind, status.side, &status.id, &format!("retry-{key}")))
                }
            }
        }
    }
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
