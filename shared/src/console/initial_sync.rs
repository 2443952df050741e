//! `/connections/{id}/initial-sync`: the initial sync's preview per kind (counts and examples)
//! and its Start form, then the run's progress, through the API's preview, start and progress.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::connections::api_problem;
use super::form::{NoFields, Signed, signed, signed_form};
use super::layout::{document, refreshing_document, respond};
use super::mapping_rows::wire_name;
use super::objects::connection_nav;
use super::sign_in::see_other;
use crate::admin::connections::load_connection;
use crate::admin::operations::{initial_sync, preview};
use crate::admin::{AdminContext, ApiError};
use crate::engine::jobs::backfill::{RunProgress, RunState};
use crate::engine::sync::contact_merges::ContactMerges;
use crate::engine::sync::initial_sync::{InitialSyncReport, KindPreview};
use crate::model::Side;
use crate::ports::ConnectionRecord;

/// Seconds between reloads of the page while a run is in progress.
const REFRESH_SECONDS: u32 = 2;

#[derive(Debug, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// The latest run's progress through `GET /api/connections/{id}/initial-sync`'s handler
/// (`None`: never ran).
async fn latest_run(ctx: &AdminContext, id: &str) -> Result<Option<RunProgress>, ApiError> {
    match initial_sync::progress(State(ctx.clone()), Path(id.to_owned())).await {
        Ok(Json(progress)) => Ok(Some(progress)),
        Err(ApiError::NotFound(_)) => Ok(None),
        Err(error) => Err(error),
    }
}

/// `GET /connections/{id}/initial-sync`.
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
    let notice = (query.notice.as_deref() == Some("started"))
        .then_some("Started: the initial sync runs on the bulk lane; this page follows it.");
    render(&ctx, &signed, &record, StatusCode::OK, notice, None).await
}

/// The page: the latest run's progress (reloading while it runs), else the preview and Start.
async fn render(
    ctx: &AdminContext,
    signed: &Signed,
    record: &ConnectionRecord,
    status: StatusCode,
    notice: Option<&str>,
    problem: Option<&str>,
) -> Response {
    let id = record.id().to_string();
    let run = match latest_run(ctx, &id).await {
        Ok(run) => run,
        Err(error) => return api_problem(error, signed, "Initial sync"),
    };
    let running = run.as_ref().is_some_and(|r| r.state == RunState::Running);
    // A dry run lists both sides: only when no run is in progress (the page reloads meanwhile).
    let preview = if running {
        None
    } else {
        Some(
            preview::preview(State(ctx.clone()), Path(id.clone()))
                .await
                .map(|Json(report)| report),
        )
    };
    let body = html! {
        @if let Some(problem) = problem {
            p.problem id="problem" role="alert" { (problem) }
        }
        @if let Some(run) = &run {
            (progress_section(&id, run))
        }
        @match &preview {
            Some(Ok(report)) => {
                (preview_section(report))
                form id="initial-sync-form" method="post" action={ "/connections/" (id) "/initial-sync" } {
                    input type="hidden" name="csrf_token" value=(signed.csrf_token);
                    p { "Start writes what the preview shows: links, then creates on each side. Records already linked are only brought up to date." }
                    button id="initial-sync-start" type="submit" { "Start the initial sync" }
                }
            }
            Some(Err(error)) => {
                p.problem id="preview-unavailable" role="alert" { "The preview cannot be made right now: " (error.to_string()) }
            }
            None => {}
        }
    };
    let title = format!("{id}: initial sync");
    let nav = connection_nav(signed, &id);
    let html = if running {
        refreshing_document(&title, Some(&nav), notice, REFRESH_SECONDS, body)
    } else {
        document(&title, Some(&nav), notice, body)
    };
    respond(status, html)
}

fn state_words(state: RunState) -> &'static str {
    match state {
        RunState::Running => "Running: the page reloads every 2 seconds.",
        RunState::Done => "Done.",
        RunState::Failed => {
            "Failed: a page of records could not be listed, so the records after it were not synced."
        }
    }
}

/// The progress bar's `(value, max)`: record jobs finished (done or failed) of those queued.
/// Nothing queued yet while running: `None`, an indeterminate bar; an empty finished run is full.
fn bar(run: &RunProgress) -> Option<(u64, u64)> {
    let queued: u64 = run.kinds.iter().map(|k| k.queued).sum();
    let finished: u64 = run.kinds.iter().map(|k| k.done + k.failed).sum();
    match (queued, run.state) {
        (0, RunState::Running) => None,
        (0, _) => Some((1, 1)),
        (queued, _) => Some((finished.min(queued), queued)),
    }
}

/// The run's state, a `<progress>` of finished record jobs over queued ones, and counts per kind.
fn progress_section(id: &str, run: &RunProgress) -> Markup {
    let done: u64 = run.kinds.iter().map(|k| k.done).sum();
    let failed: u64 = run.kinds.iter().map(|k| k.failed).sum();
    let listed: u64 = run.kinds.iter().map(|k| k.listed).sum();
    let bar = bar(run);
    let state = wire_name(&run.state);
    html! {
        h2 { "Run " (run.run_id) }
        p id="initial-sync-state" data-state=(state) { (state_words(run.state)) }
        @match bar {
            Some((value, max)) => { progress id="initial-sync-progress" value=(value) max=(max) { (value) " of " (max) } }
            None => { progress id="initial-sync-progress" { "starting" } }
        }
        div.table-scroll role="region" aria-label="Initial sync by kind" tabindex="0" {
            table id="initial-sync-kinds" {
                thead { tr { th { "Kind" } th { "Listed" } th { "Queued" } th { "Done" } th { "Failed" } th { "Pages pending" } } }
                tbody {
                    @for kind in &run.kinds {
                        tr id={ "progress-" (kind.kind) } {
                            td { (kind.kind) }
                            td data-count="listed" { (kind.listed) }
                            td data-count="queued" { (kind.queued) }
                            td data-count="done" { (kind.done) }
                            td data-count="failed" { (kind.failed) }
                            td data-count="pages_pending" { (kind.pages_pending) }
                        }
                    }
                }
            }
        }
        @if let Some(error) = &run.error {
            p.problem id="initial-sync-error" { (error) }
        }
        @if run.state != RunState::Running {
            p id="initial-sync-totals" data-listed=(listed) data-done=(done) data-failed=(failed) {
                (listed) " records listed, " (done) " synced, " (failed) " failed. "
                a id="initial-sync-health" href={ "/connections/" (id) "/health" } { "Sync health" }
                " shows each record that failed and why."
            }
        }
    }
}

/// The preview's categories shown as counts, in order: `(data-count name, words, count)`.
fn counts(kind: &KindPreview) -> [(&'static str, &'static str, usize); 12] {
    let side =
        |map: &std::collections::BTreeMap<Side, usize>, side| map.get(&side).copied().unwrap_or(0);
    [
        ("hubspot_records", "HubSpot records", kind.hubspot_records),
        ("qbo_records", "QuickBooks records", kind.qbo_records),
        ("already_linked", "Already linked", kind.already_linked),
        ("new_links", "Links (matched)", kind.new_links),
        (
            "creates_hubspot",
            "Creates in HubSpot",
            side(&kind.creates, Side::Hubspot),
        ),
        (
            "creates_qbo",
            "Creates in QuickBooks",
            side(&kind.creates, Side::Quickbooks),
        ),
        ("collisions", "Name collisions", kind.collisions),
        ("ambiguous", "Ambiguous matches", kind.ambiguous),
        ("updates", "Updates", kind.updates.values().sum()),
        ("excluded", "Excluded by filters", kind.excluded),
        (
            "creates_avoided",
            "QuickBooks creates avoided (until billed)",
            kind.creates_avoided,
        ),
        ("failed", "Cannot sync", kind.failed),
    ]
}

fn sample_words(category: &str) -> &str {
    match category {
        "links" => "Links",
        "creates_hubspot" => "Creates in HubSpot",
        "creates_qbo" => "Creates in QuickBooks",
        "collisions" => "Name collisions",
        "ambiguous" => "Ambiguous matches",
        "updates_hubspot" => "Updates in HubSpot",
        "updates_qbo" => "Updates in QuickBooks",
        "excluded" => "Excluded",
        "creates_avoided" => "Created in QuickBooks only when billed",
        "failed" => "Cannot sync",
        other => other,
    }
}

/// `table#preview-counts` (a row per kind, `td[data-count]`) and each kind's examples.
fn preview_section(report: &InitialSyncReport) -> Markup {
    html! {
        h2 { "Preview" }
        p { "A dry run made now: nothing was written anywhere." }
        div.table-scroll role="region" aria-label="Preview counts" tabindex="0" {
            table id="preview-counts" {
                thead {
                    tr {
                        th { "Kind" }
                        @for (_, words, _) in counts(&KindPreview::default()) { th { (words) } }
                    }
                }
                tbody {
                    @for kind in &report.kinds {
                        @let name = kind.kind.map(|k| k.to_string()).unwrap_or_default();
                        tr id={ "preview-" (name) } {
                            td { (name) }
                            @for (key, _, count) in counts(kind) { td data-count=(key) { (count) } }
                        }
                    }
                }
            }
        }
        @if !report.mirrored.is_empty() {
            div.table-scroll role="region" aria-label="Mirrored kinds in the preview" tabindex="0" {
                table id="preview-mirrored" {
                    thead { tr { th { "Mirrored from QuickBooks" } th { "QuickBooks records to mirror" } } }
                    tbody {
                        @for kind in &report.mirrored {
                            tr id={ "preview-" (kind.label()) } { td { (kind.label()) } td data-count="qbo_records" { (kind.qbo_records) } }
                        }
                    }
                }
            }
        }
        @if let Some(merges) = &report.contact_merges {
            (contact_merges_section(merges))
        }
        @for kind in &report.kinds {
            @let name = kind.kind.map(|k| k.to_string()).unwrap_or_default();
            @if kind.samples.values().any(|s| !s.is_empty()) {
                section id={ "examples-" (name) } {
                    h3 { "Examples: " (name) "s" }
                    @for (category, samples) in &kind.samples {
                        h4 { (sample_words(category)) }
                        ul id={ "examples-" (name) "-" (category) } {
                            @for sample in samples { li { (sample) } }
                        }
                    }
                }
            }
        }
    }
}

/// `section#contact-merges`: under the `company` customer model, which contacts fall under
/// which company customer (`td[data-count]` totals, then `table#contact-merges-examples`).
fn contact_merges_section(merges: &ContactMerges) -> Markup {
    let totals = [
        ("companies", "Companies with contacts", merges.companies),
        ("contacts", "Their contacts", merges.contacts),
        (
            "companies_with_several_contacts",
            "Companies with several contacts",
            merges.companies_with_several_contacts,
        ),
        (
            "into_existing_customer",
            "Into an existing QBO customer",
            merges.into_existing_customer,
        ),
        (
            "into_new_customer",
            "Into a new QBO customer",
            merges.into_new_customer,
        ),
        (
            "into_no_customer",
            "Into no customer",
            merges.into_no_customer,
        ),
    ];
    html! {
        section id="contact-merges" {
            h3 { "Contacts under company customers" }
            p { "Under the company customer model contacts are no QuickBooks customers: each company with contacts is one customer for all of them, billed at its primary contact's e-mail." }
            div.table-scroll role="region" aria-label="Contacts under company customers" tabindex="0" {
                table id="contact-merges-counts" {
                    thead { tr { @for (_, words, _) in &totals { th { (words) } } } }
                    tbody { tr { @for (key, _, count) in &totals { td data-count=(key) { (count) } } } }
                }
            }
            @if !merges.examples.is_empty() {
                div.table-scroll role="region" aria-label="Examples of contacts under company customers" tabindex="0" {
                    table id="contact-merges-examples" {
                        thead { tr { th { "Company" } th { "Contacts" } th { "E-mails" } th { "QuickBooks customer" } } }
                        tbody {
                            @for m in &merges.examples {
                                tr id={ "contact-merge-" (m.company_id) } {
                                    td { (m.company) }
                                    td data-count="contacts" { (m.contacts) }
                                    td { (m.emails.join(", ")) }
                                    td { (m.customer.words()) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /connections/{id}/initial-sync`: `POST /api/connections/{id}/initial-sync`'s handler;
/// 303 back with `?notice=started`, or the page again with 409 while a run is in progress.
pub async fn start(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let signed = match signed_form::<NoFields>(&ctx, &headers, &body) {
        Ok((signed, _)) => signed,
        Err(refused) => return refused.into_response(),
    };
    let record = match load_connection(&ctx, &id).await {
        Ok(record) => record,
        Err(error) => return api_problem(error, &signed, "No such connection"),
    };
    let page = format!("/connections/{}/initial-sync", record.id());
    match initial_sync::start(State(ctx.clone()), Path(record.id().to_string())).await {
        Ok(answer) if answer.status() == StatusCode::CONFLICT => {
            let problem = "An initial sync is already running, so nothing new was started: its progress is below.";
            render(
                &ctx,
                &signed,
                &record,
                StatusCode::CONFLICT,
                None,
                Some(problem),
            )
            .await
        }
        Ok(_) => see_other(&format!("{page}?notice=started"), None),
        Err(error) => {
            let problem = format!("Not started: {error}");
            render(&ctx, &signed, &record, error.status(), None, Some(&problem)).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::jobs::backfill::KindProgress;
    use crate::model::ObjectKind;

    fn run(state: RunState, queued: u64, done: u64, failed: u64) -> RunProgress {
        RunProgress {
            run_id: "run-1".into(),
            state,
            started_at: chrono::Utc::now(),
            kinds: vec![KindProgress {
                kind: ObjectKind::Contact,
                listed: queued,
                queued,
                done,
                failed,
                pages_pending: 0,
            }],
            pending_jobs: 0,
            error: None,
        }
    }

    #[test]
    fn the_bar_counts_finished_jobs_of_queued_ones_and_is_indeterminate_before_any() {
        assert_eq!(bar(&run(RunState::Running, 0, 0, 0)), None);
        assert_eq!(bar(&run(RunState::Running, 10, 3, 1)), Some((4, 10)));
        assert_eq!(bar(&run(RunState::Done, 0, 0, 0)), Some((1, 1)));
        assert_eq!(bar(&run(RunState::Failed, 4, 2, 2)), Some((4, 4)));
        let html = progress_section("local", &run(RunState::Running, 10, 3, 1)).into_string();
        assert!(html.contains("data-state=\"running\""), "{html}");
        assert!(
            !html.contains("initial-sync-totals"),
            "no totals while running: {html}"
        );
    }
}
