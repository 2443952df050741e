//! Record status: the connection's summary, search by kind, outcome and text (id, e-mail, SKU,
//! name), one record's status with its sync log, and a resync on the live lane.
//!
//! Resync clears "needs attention" and the failed-attempt count before queueing (reason
//! `retry`), so the record gets the full set of automatic retries again after a fix.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::connection::{connection_of, kind_of, side_of};
use crate::admin::audit;
use crate::admin::{AdminContext, ApiError};
use crate::engine::status_report::{StatusReport, status_report};
use crate::model::{CanonicalValue, ConnectionId, Link, ObjectKind, Side};
use crate::ports::{Job, JobReason, SyncLogEntry, SyncStatus};
use crate::ports::{Origin, lane_for};
use crate::quickbooks::throttle;

/// Rows answered when `limit` is not given, and at most.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;
/// Log entries looked at for one record's history.
const LOG_LOOKBACK: usize = 1000;
/// Canonical fields shown (and searched) as a record's display key, first present wins.
const DISPLAY_FIELDS: [&str; 6] = [
    "email",
    "sku",
    "display_name",
    "name",
    "company",
    "last_name",
];

pub async fn status(
    State(ctx): State<AdminContext>,
    Path(id): Path<String>,
) -> Result<Json<StatusReport>, ApiError> {
    let connection = connection_of(&ctx, &id).await?;
    let mut report = status_report(ctx.sync.store.as_ref(), connection.id()).await?;
    // This process's 429 pauses of the company (docs/architecture.md §14).
    report.throttling = Some(throttle::pauses_of(&connection.connection.qbo_realm_id));
    Ok(Json(report))
}

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    kind: Option<String>,
    /// synced | conflict | excluded | failed | needs_attention
    outcome: Option<String>,
    q: Option<String>,
    limit: Option<usize>,
}

/// One status row: the stored status plus the record's display key and searchable values
/// (from the link's baseline, for linked records).
#[derive(Debug, Serialize)]
pub struct StatusRow {
    #[serde(flatten)]
    pub status: SyncStatus,
    /// synced, conflict, excluded or failed.
    pub label: &'static str,
    /// E-mail, SKU or name of the record, when known.
    pub display: Option<String>,
    /// The record's name (display name, name or company) when known and not the display key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

const OUTCOMES: &str = "synced, conflict, excluded, failed, needs_attention";

pub async fn search(
    State(ctx): State<AdminContext>,
    Path(id): Path<String>,
    Query(query): Query<SearchQuery>,
) -> Result<Json<Vec<StatusRow>>, ApiError> {
    let connection = connection_of(&ctx, &id).await?;
    let filter = RecordFilter::parse(
        query.kind.as_deref(),
        query.outcome.as_deref(),
        query.q.as_deref(),
    )?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT);
    Ok(Json(
        find_records(&ctx, connection.id(), &filter, limit).await?,
    ))
}

/// What a record search asks for: kinds, an outcome label (or `needs_attention`), and text
/// to find in ids and the linked values (e-mail, SKU, name, ...). Shared by the API's search
/// and the console's sync health (docs/console.md §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFilter {
    pub kinds: Vec<ObjectKind>,
    pub outcome: Option<String>,
    /// Lower-case, trimmed; `None` when empty.
    pub needle: Option<String>,
}

impl RecordFilter {
    /// The filter of raw query values; empty values mean "any". An unknown kind or outcome
    /// is an error naming the field.
    pub fn parse(
        kind: Option<&str>,
        outcome: Option<&str>,
        q: Option<&str>,
    ) -> Result<Self, ApiError> {
        let kinds: Vec<ObjectKind> = match kind.filter(|k| !k.is_empty()) {
            Some(kind) => vec![kind_of(kind)?],
            None => ObjectKind::ALL.to_vec(),
        };
        let outcome = outcome.filter(|o| !o.is_empty());
        if let Some(outcome) = outcome
            && !OUTCOMES.split(", ").any(|o| o == outcome)
        {
            return Err(ApiError::invalid_field(
                "outcome",
                format!("unknown outcome {outcome:?}; expected one of {OUTCOMES}"),
            ));
        }
        let needle = q.map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty());
        Ok(RecordFilter {
            kinds,
            outcome: outcome.map(str::to_owned),
            needle,
        })
    }
}

/// Up to `limit` statuses matching `filter`, kind by kind, newest first within a kind.
pub async fn find_records(
    ctx: &AdminContext,
    connection: &ConnectionId,
    filter: &RecordFilter,
    limit: usize,
) -> Result<Vec<StatusRow>, ApiError> {
    let store = ctx.sync.store.as_ref();
    let mut rows = Vec::new();
    for kind in filter.kinds.iter().copied() {
        let links = index_links(store.list_links(connection, kind).await?);
        let mut statuses = store.list_statuses(connection, kind).await?;
        statuses.sort_by_key(|s| std::cmp::Reverse(s.updated_at));
        for status in statuses {
            let wanted = match filter.outcome.as_deref() {
                None => true,
                Some("needs_attention") => status.needs_attention,
                Some(label) => status.outcome.label() == label,
            };
            if !wanted {
                continue;
            }
            let link = links.get(&(status.side, status.id.clone()));
            if let Some(needle) = &filter.needle
                && !matches_text(&status, link, needle)
            {
                continue;
            }
            let display = link.and_then(display_of);
            let name = link
                .and_then(name_of)
                .filter(|name| display.as_ref() != Some(name));
            rows.push(StatusRow {
                label: status.outcome.label(),
                display,
                name,
                status,
            });
            if rows.len() >= limit {
                return Ok(rows);
            }
        }
    }
    Ok(rows)
}

/// Links by each side's id.
fn index_links(links: Vec<Link>) -> HashMap<(Side, String), Link> {
    let mut by_id = HashMap::new();
    for link in links {
        by_id.insert((Side::Hubspot, link.hubspot_id.clone()), link.clone());
        by_id.insert((Side::Quickbooks, link.qbo_id.clone()), link);
    }
    by_id
}

fn display_of(link: &Link) -> Option<String> {
    DISPLAY_FIELDS
        .iter()
        .find_map(|field| link.baseline.get(*field))
        .map(CanonicalValue::as_text)
}

fn name_of(link: &Link) -> Option<String> {
    ["display_name", "name", "company"]
        .iter()
        .find_map(|field| link.baseline.get(*field))
        .map(CanonicalValue::as_text)
}

/// Whether `needle` (lower-case) is in the record's ids, failure message or the link's values.
fn matches_text(status: &SyncStatus, link: Option<&Link>, needle: &str) -> bool {
    let contains = |text: &str| text.to_lowercase().contains(needle);
    contains(&status.id)
        || status.counterpart_id.as_deref().is_some_and(contains)
        || link.is_some_and(|link| {
            link.baseline
                .iter()
                .filter(|(field, _)| !field.starts_with('@'))
                .any(|(_, value)| contains(&value.as_text()))
        })
}

type RecordPath = (String, String, String, String);

/// `{status, log}`: the record's stored status (or null) and its log entries, newest first.
pub async fn record(
    State(ctx): State<AdminContext>,
    Path((id, kind, side, record_id)): Path<RecordPath>,
) -> Result<Json<Value>, ApiError> {
    let connection = connection_of(&ctx, &id).await?;
    let (kind, side) = (kind_of(&kind)?, side_of(&side)?);
    let store = ctx.sync.store.as_ref();
    let status = store
        .get_status(connection.id(), kind, side, &record_id)
        .await?;
    let log: Vec<SyncLogEntry> = store
        .recent_log(connection.id(), LOG_LOOKBACK)
        .await?
        .into_iter()
        .filter(|e| e.kind == kind && is_about(e, side, &record_id))
        .collect();
    if status.is_none() && log.is_empty() {
        return Err(ApiError::NotFound(format!(
            "nothing is known about {kind} {record_id} on {side}"
        )));
    }
    Ok(Json(json!({"status": status, "log": log})))
}

/// Whether a log entry is about the record (as its subject or as the counterpart).
fn is_about(entry: &SyncLogEntry, side: Side, id: &str) -> bool {
    (entry.side == side && entry.id == id)
        || (entry.side == side.other() && entry.counterpart_id.as_deref() == Some(id))
}

/// Queues a live-lane job for the record (reason `retry`) through the one orchestration;
/// 202 `{"queued": n, "job": ...}`.
pub async fn resync(
    State(ctx): State<AdminContext>,
    Path((id, kind, side, record_id)): Path<RecordPath>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let connection = connection_of(&ctx, &id).await?;
    let (kind, side) = (kind_of(&kind)?, side_of(&side)?);
    if record_id.is_empty() {
        return Err(ApiError::invalid_field("record_id", "empty record id"));
    }
    let connection_id: &ConnectionId = connection.id();
    let store = ctx.sync.store.as_ref();
    let now = ctx.sync.clock.now();
    if let Some(mut status) = store
        .get_status(connection_id, kind, side, &record_id)
        .await?
        && (status.needs_attention || status.attempts > 0)
    {
        status.needs_attention = false;
        status.attempts = 0;
        status.next_retry_at = None;
        status.updated_at = now;
        store.put_status(connection_id, &status).await?;
    }
    let job = Job::new(
        connection_id.clone(),
        kind,
        side,
        record_id.clone(),
        JobReason::Retry,
        now,
    );
    let queued = ctx
        .sync
        .queue
        .enqueue(lane_for(Origin::Single), vec![job.clone()], None)
        .await?;
    audit::append(
        &ctx,
        "record.resync",
        Some(connection_id),
        format!("queued a resync of {kind} {record_id} on {side}"),
    )
    .await;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"queued": queued, "job": job})),
    ))
}
