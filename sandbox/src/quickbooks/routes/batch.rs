//! Batch (docs/quickbooks.md §8): up to 30 independent items per request (create, update,
//! delete, query), each answered with its entity, `QueryResponse` or its own `Fault`;
//! `optionsData` carries include-style options; `requestid` up to 36 characters (§1).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::entities::{WriteParams, with_request_id, write_op, write_options};
use super::query::run_statement;
use crate::quickbooks::app::App;
use crate::quickbooks::entity_kind::EntityKind;
use crate::quickbooks::fault::Fault;
use crate::quickbooks::state::WriteOp;

/// §8: at most 30 items per batch.
pub const MAX_ITEMS: usize = 30;
/// §1: a batch `requestid` is at most 36 characters.
pub const MAX_BATCH_REQUEST_ID: usize = 36;

/// Too many items. UNVERIFIED: the docs give the cap (§8), not the error; modelled as a 6000.
fn too_many(n: usize) -> Fault {
    Fault::business_validation(&format!(
        "The batch request has {n} items; the maximum is {MAX_ITEMS}."
    ))
}

/// A fault injected into one item (`Knobs::batch_item_fail_next`).
fn injected(code: &str) -> Fault {
    match code {
        "3001" => Fault::throttled(),
        "5010" => Fault::stale_object(),
        "10000" => Fault::system(StatusCode::INTERNAL_SERVER_ERROR),
        "610" => Fault::object_not_found(),
        other => Fault::business_validation(&format!("Injected fault {other}.")),
    }
}

fn item_fault(bid: &Value, fault: &Fault) -> Value {
    json!({"bId": bid, "Fault": fault.fault_object()})
}

/// One item's answer.
fn run_item(app: &App, item: &Map<String, Value>) -> Value {
    let bid = item.get("bId").cloned().unwrap_or(Value::Null);
    let next_fault = app
        .knobs
        .lock()
        .expect("knobs lock")
        .batch_item_fail_next
        .pop_front();
    if let Some(code) = next_fault {
        return item_fault(&bid, &injected(&code));
    }
    if let Some(statement) = item.get("Query").and_then(Value::as_str) {
        if let Err(f) = app.count_read() {
            return item_fault(&bid, &f);
        }
        return match run_statement(app, statement) {
            Ok(v) => json!({"bId": bid, "QueryResponse": v}),
            Err(f) => item_fault(&bid, &f),
        };
    }
    let Some((kind, body)) = item
        .iter()
        .find_map(|(k, v)| EntityKind::from_name(k).map(|kind| (kind, v.clone())))
    else {
        return item_fault(&bid, &Fault::invalid_property("BatchItemRequest"));
    };
    let options_data = item.get("optionsData").and_then(Value::as_str);
    let operation = item
        .get("operation")
        .and_then(Value::as_str)
        .unwrap_or("create");
    let mut body = body;
    let op = match operation.to_ascii_lowercase().as_str() {
        "create" => {
            if let Some(obj) = body.as_object_mut() {
                obj.remove("Id");
            }
            WriteOp::Upsert
        }
        "update" => {
            if body.get("Id").is_none() {
                return item_fault(&bid, &Fault::required_param("Id"));
            }
            match write_op(Some("update"), options_data) {
                WriteOp::UpdateVoid => WriteOp::UpdateVoid,
                _ => WriteOp::Upsert,
            }
        }
        "delete" => WriteOp::Delete,
        "void" => WriteOp::Void,
        other => return item_fault(&bid, &Fault::invalid_enumeration("operation", other)),
    };
    let options = write_options(options_data);
    match app.with_company(|c, now| c.write(kind, op, body, options, now)) {
        Ok(v) => json!({"bId": bid, kind.name(): v}),
        Err(f) => item_fault(&bid, &f),
    }
}

pub async fn batch(
    State(app): State<App>,
    Path(_realm): Path<String>,
    Query(params): Query<WriteParams>,
    body: Bytes,
) -> Response {
    let items: Vec<Map<String, Value>> = match serde_json::from_slice::<Value>(&body) {
        Ok(v) => match v.get("BatchItemRequest").and_then(Value::as_array) {
            Some(items) => items
                .iter()
                .filter_map(|i| i.as_object().cloned())
                .collect(),
            None => return app.fault(Fault::required_param("BatchItemRequest")),
        },
        Err(_) => {
            return app.fault(Fault::invalid_property(
                "failed to parse json object; a property specified is unsupported or invalid",
            ));
        }
    };
    if items.len() > MAX_ITEMS {
        return app.fault(too_many(items.len()));
    }
    with_request_id(
        &app,
        params.requestid.as_deref(),
        MAX_BATCH_REQUEST_ID,
        &body,
        || {
            let responses: Vec<Value> = items.iter().map(|item| run_item(&app, item)).collect();
            (
                StatusCode::OK,
                app.wrapped("BatchItemResponse", Value::Array(responses)),
            )
        },
    )
}
