//! `/connections/{id}/dead-letters`: the connection's jobs the settle policy gave up on, with
//! their reason, and Redrive (one, or all of them) through the API's dead-letters redrive.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;
use serde_json::json;

use super::connections::api_problem;
use super::form::{signed, signed_form};
use super::layout::{connection_nav, document, respond};
use super::sign_in::see_other;
use crate::admin::connections::load_connection;
use crate::admin::operations::dead_letters as api;
use crate::admin::{AdminContext, ApiError};
use crate::model::ConnectionId;
use crate::ports::{DeadLetter, Lane};

/// Letters looked at per lane (the API's cap).
const MAX_LETTERS: usize = 1000;

fn lane_name(lane: Lane) -> &'static str {
    match lane {
        Lane::Live => "live",
        Lane::Bulk => "bulk",
    }
}

/// Every lane's dead letters whose job belongs to `connection` (a letter whose message no
/// longer parses names no connection, so it is listed on every connection's page).
async fn letters_of(
    ctx: &AdminContext,
    connection: &ConnectionId,
) -> Result<Vec<DeadLetter>, ApiError> {
    let mut letters = Vec::new();
    for lane in [Lane::Live, Lane::Bulk] {
        letters.extend(
            ctx.dead_letters
                .list_dead_letters(lane, MAX_LETTERS)
                .await?
                .into_iter()
                .filter(|l| {
                    l.job
                        .as_ref()
                        .is_none_or(|job| &job.connection == connection)
                }),
        );
    }
    Ok(letters)
}

#[derive(Debug, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
    redriven: Option<usize>,
}

/// `GET /connections/{id}/dead-letters`.
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
    let letters = match letters_of(&ctx, record.id()).await {
        Ok(letters) => letters,
        Err(error) => return api_problem(error, &signed, "Dead letters"),
    };
    let id = record.id().to_string();
    let action = format!("/connections/{id}/dead-letters/redrive");
    let notice = (query.notice.as_deref() == Some("redriven")).then(|| {
        format!(
            "Redriven: {} job(s) went back to the lane they came from.",
            query.redriven.unwrap_or(0)
        )
    });
    let body = html! {
        p { "Jobs HQSync gave up on after repeated failures, with the reason. Fix the cause (see sync health), then redrive: each job goes back to the lane it came from and is synced again." }
        @if letters.is_empty() {
            p id="no-dead-letters" { "None: no job of this connection was given up on." }
        } @else {
            form id="dead-letters-redrive-all" method="post" action=(action) {
                input type="hidden" name="csrf_token" value=(signed.csrf_token);
                button id="dead-letter-redrive-all" type="submit" { "Redrive all " (letters.len()) }
            }
            div.table-scroll role="region" aria-label="Dead letters" tabindex="0" {
                table id="dead-letters" {
                    thead { tr { th { "Job" } th { "Lane" } th { "Why it was given up on" } th { "Receives" } th { "When" } th { "Action" } } }
                    tbody {
                        @for letter in &letters {
                            tr id={ "dead-letter-" (letter.id) } {
                                td {
                                    @match &letter.job {
                                        Some(job) => { (job.kind.to_string()) " " (job.id) " in " (job.side.to_string()) " (" (format!("{:?}", job.reason).to_lowercase()) ")" }
                                        None => { "A message that no longer reads as a job" }
                                    }
                                }
                                td { (lane_name(letter.lane)) }
                                td { (letter.reason.as_deref().unwrap_or("Moved by the queue's redrive policy (the worker stopped before settling it)")) }
                                td { (letter.receive_count) }
                                td {
                                    @match letter.dead_lettered_at {
                                        Some(at) => { time datetime=(at.to_rfc3339()) { (at.format("%Y-%m-%d %H:%M UTC")) } }
                                        None => { "-" }
                                    }
                                }
                                td {
                                    form method="post" action=(action) {
                                        input type="hidden" name="csrf_token" value=(signed.csrf_token);
                                        input type="hidden" name="lane" value=(lane_name(letter.lane));
                                        input type="hidden" name="letter" value=(letter.id);
                                        button id={ "dead-letter-redrive-" (letter.id) } type="submit" { "Redrive" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let title = format!("{id}: dead letters");
    respond(
        StatusCode::OK,
        document(
            &title,
            Some(&connection_nav(&signed, &id)),
            notice.as_deref(),
            body,
        ),
    )
}

#[derive(Debug, Deserialize)]
pub struct RedriveForm {
    lane: Option<String>,
    letter: Option<String>,
}

/// `POST /connections/{id}/dead-letters/redrive`: one letter (`lane` and `letter`), or every
/// letter of this connection, through `POST /api/dead-letters/redrive`'s handler per lane.
pub async fn redrive(
    State(ctx): State<AdminContext>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (signed, form) = match signed_form::<RedriveForm>(&ctx, &headers, &body) {
        Ok(found) => found,
        Err(refused) => return refused.into_response(),
    };
    let record = match load_connection(&ctx, &id).await {
        Ok(record) => record,
        Err(error) => return api_problem(error, &signed, "No such connection"),
    };
    let requests: Vec<serde_json::Value> = match (&form.lane, &form.letter) {
        (Some(lane), Some(letter)) => vec![json!({"lane": lane, "ids": [letter]})],
        _ => {
            let letters = match letters_of(&ctx, record.id()).await {
                Ok(letters) => letters,
                Err(error) => return api_problem(error, &signed, "Redrive refused"),
            };
            [Lane::Live, Lane::Bulk]
                .into_iter()
                .filter_map(|lane| {
                    let ids: Vec<&str> = letters
                        .iter()
                        .filter(|l| l.lane == lane)
                        .map(|l| l.id.as_str())
                        .collect();
                    (!ids.is_empty()).then(|| json!({"lane": lane_name(lane), "ids": ids}))
                })
                .collect()
        }
    };
    let mut redriven = 0;
    for request in requests {
        match api::redrive(State(ctx.clone()), Bytes::from(request.to_string())).await {
            Ok(answer) => redriven += answer.0["redriven"].as_u64().unwrap_or(0),
            Err(error) => return api_problem(error, &signed, "Redrive refused"),
        }
    }
    see_other(
        &format!(
            "/connections/{}/dead-letters?notice=redriven&redriven={redriven}",
            record.id()
        ),
        None,
    )
}
