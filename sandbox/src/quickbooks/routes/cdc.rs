//! Change data capture (docs/quickbooks.md §7): `GET /cdc?entities=..&changedSince=..` within
//! 30 days, at most 1000 objects per request, deleted objects as `status: Deleted`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::FixedOffset;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::quickbooks::app::{App, json_response};
use crate::quickbooks::entity_kind::EntityKind;
use crate::quickbooks::fault::Fault;
use crate::quickbooks::query::eval::parse_instant;
use crate::quickbooks::state::Company;

/// §7: look-back limit.
pub const MAX_LOOKBACK_DAYS: i64 = 30;
/// §7: "A given CDC request returns a maximum of 1000 objects" (per request, across entities).
pub const MAX_OBJECTS: usize = 1000;

#[derive(Debug, Default, Deserialize)]
pub struct CdcParams {
    pub entities: Option<String>,
    #[serde(rename = "changedSince")]
    pub changed_since: Option<String>,
}

/// `changedSince` as the query endpoint reads times: with an offset, or without one in the
/// company's time zone (python-quickbooks sends `2026-12-06T21:08:22`, which QBO accepts).
fn parse_since(text: &str, offset: FixedOffset) -> Option<i64> {
    parse_instant(text, offset).map(|t| t.timestamp_millis())
}

/// The `QueryResponse` groups for `kinds` changed at or after `since_ms`, capped at 1000
/// objects in total; each group holds updated objects by last update, then deleted ones.
pub fn changes(company: &Company, kinds: &[EntityKind], since_ms: i64) -> Vec<Value> {
    let mut budget = MAX_OBJECTS;
    let mut groups = Vec::new();
    for kind in kinds {
        // Sort references and clone only what fits under the cap.
        let mut live: Vec<(i64, &Map<String, Value>)> = company
            .table(*kind)
            .filter(|(_, e)| e.updated_ms >= since_ms)
            .map(|(_, e)| (e.updated_ms, &e.body))
            .collect();
        live.sort_by_key(|(t, _)| *t);
        let mut deleted: Vec<_> = company
            .tombstones()
            .iter()
            .filter(|t| t.kind == *kind && t.deleted_ms >= since_ms)
            .collect();
        deleted.sort_by_key(|t| t.deleted_ms);
        let objects: Vec<Value> = live
            .into_iter()
            .map(|(_, body)| Value::Object(body.clone()))
            .chain(deleted.into_iter().map(|t| {
                json!({"domain": "QBO", "status": "Deleted", "Id": t.id.to_string(),
                       "MetaData": {"LastUpdatedTime": company.meta_time(t.deleted_ms)}})
            }))
            .take(budget)
            .collect();
        budget -= objects.len();
        if objects.is_empty() {
            continue;
        }
        let mut group = Map::new();
        let n = objects.len();
        group.insert(kind.name().into(), Value::Array(objects));
        group.insert("startPosition".into(), 1.into());
        group.insert("maxResults".into(), n.into());
        groups.push(Value::Object(group));
    }
    if groups.is_empty() {
        groups.push(json!({}));
    }
    groups
}

pub async fn cdc(
    State(app): State<App>,
    Path(_realm): Path<String>,
    Query(params): Query<CdcParams>,
) -> Response {
    // UNVERIFIED (§9): CDC is data-out, so it is counted as a metered read.
    if let Err(f) = app.count_read() {
        return app.fault(f);
    }
    let Some(entities) = params.entities.filter(|e| !e.trim().is_empty()) else {
        return app.fault(Fault::required_param("entities"));
    };
    let Some(since_text) = params.changed_since.filter(|e| !e.trim().is_empty()) else {
        return app.fault(Fault::required_param("changedSince"));
    };
    let mut kinds = Vec::new();
    for name in entities.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match EntityKind::from_name(name).filter(|k| k.in_cdc()) {
            Some(k) if !kinds.contains(&k) => kinds.push(k),
            Some(_) => {}
            // UNVERIFIED: the docs list unsupported CDC entities (§7) but not the error.
            None => {
                return app.fault(Fault::query_validation(&format!(
                    "Metadata not found for Entity: {name}"
                )));
            }
        }
    }
    let now = app.now_ms();
    let company = app.company.lock().expect("company lock");
    let Some(since) = parse_since(&since_text, company.offset()) else {
        drop(company);
        return app.fault(Fault::invalid_property(&format!(
            "changedSince={since_text}"
        )));
    };
    if since < now - MAX_LOOKBACK_DAYS * 24 * 3600 * 1000 {
        drop(company);
        // UNVERIFIED: §7 says "older -> error" without the body; modelled as a 6000.
        return app.fault(Fault::business_validation(
            "changedSince must be within the last 30 days. Use a query to read older changes.",
        ));
    }
    let groups = changes(&company, &kinds, since);
    drop(company);
    json_response(
        StatusCode::OK,
        app.wrapped("CDCResponse", json!([{"QueryResponse": groups}])),
    )
}
