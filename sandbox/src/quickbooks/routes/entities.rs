//! Entity reads and writes (docs/quickbooks.md §5): `GET /{entity}/{id}`, `POST /{entity}` for
//! create/update with `operation=delete|void` and `operation=update&include=void`, `requestid`
//! replay (§1), `Preferences` and `CompanyInfo`.

use std::hash::{DefaultHasher, Hash, Hasher};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use crate::quickbooks::app::{App, Replay, json_response};
use crate::quickbooks::config::RequestIdConflict;
use crate::quickbooks::entity_kind::EntityKind;
use crate::quickbooks::fault::Fault;
use crate::quickbooks::state::{WriteOp, WriteOptions};

/// §1: `requestid` at most 50 characters for normal operations.
pub const MAX_REQUEST_ID: usize = 50;

#[derive(Debug, Default, Deserialize)]
pub struct WriteParams {
    pub operation: Option<String>,
    pub include: Option<String>,
    pub requestid: Option<String>,
}

/// The kind named by a lower-case path segment (§1 URI pattern).
pub fn path_kind(segment: &str) -> Option<EntityKind> {
    EntityKind::from_name(segment)
}

/// An unknown resource path: 10000 SystemFault (§10.2; HTTP status not captured, 400 used).
fn unknown_resource() -> Fault {
    Fault::system(StatusCode::BAD_REQUEST)
}

pub fn body_hash(body: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    body.hash(&mut h);
    h.finish()
}

/// Answers from the replay store when `requestid` was seen (§1), or runs `work` and stores
/// its answer. A different body with the same id replays too unless the knob says reject (600).
pub fn with_request_id(
    app: &App,
    request_id: Option<&str>,
    max_len: usize,
    body: &[u8],
    work: impl FnOnce() -> (StatusCode, Value),
) -> Response {
    let Some(rid) = request_id.filter(|r| !r.is_empty()) else {
        let (status, body) = work();
        return json_response(status, body);
    };
    if rid.chars().count() > max_len {
        // UNVERIFIED: the docs state the limit (§1) but not the error; 2050 on `requestid`.
        return app.fault(Fault::string_length(
            "requestid",
            max_len,
            rid.chars().count(),
        ));
    }
    let hash = body_hash(body);
    if let Some(replay) = app.replays.lock().expect("replays lock").get(rid).cloned() {
        if replay.body_hash != hash && app.knobs().request_id_conflict == RequestIdConflict::Reject
        {
            return app.fault(Fault::request_id_exists());
        }
        return json_response(replay.status, replay.body);
    }
    let (status, response) = work();
    app.replays.lock().expect("replays lock").insert(
        rid.to_owned(),
        Replay {
            body_hash: hash,
            status,
            body: response.clone(),
        },
    );
    json_response(status, response)
}

/// The fault as `(status, body)` for storing.
fn fault_parts(app: &App, fault: Fault) -> (StatusCode, Value) {
    let fault = if fault.code() == "6240" && app.knobs().lowercase_duplicate_name_fault {
        fault.lowercased()
    } else {
        fault
    };
    (fault.status, fault.body(&app.time_text(), app.now_ms()))
}

/// The write a URL describes (§5.5).
pub fn write_op(operation: Option<&str>, include: Option<&str>) -> WriteOp {
    let includes_void =
        include.is_some_and(|i| i.split(',').any(|p| p.trim().eq_ignore_ascii_case("void")));
    match operation.map(str::to_ascii_lowercase).as_deref() {
        Some("delete") => WriteOp::Delete,
        Some("void") => WriteOp::Void,
        Some("update") if includes_void => WriteOp::UpdateVoid,
        _ => WriteOp::Upsert,
    }
}

/// `include=allowduplicatedocnum` (§5.7, §12).
pub fn write_options(include: Option<&str>) -> WriteOptions {
    WriteOptions {
        allow_duplicate_doc_number: include.is_some_and(|i| {
            i.split(',')
                .any(|p| p.trim().eq_ignore_ascii_case("allowduplicatedocnum"))
        }),
    }
}

/// Runs one write and returns `(status, wrapped body)`.
pub fn run_write(
    app: &App,
    kind: EntityKind,
    op: WriteOp,
    options: WriteOptions,
    body: &[u8],
) -> (StatusCode, Value) {
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => {
            return fault_parts(
                app,
                Fault::invalid_property(
                    "failed to parse json object; a property specified is unsupported or invalid",
                ),
            );
        }
    };
    match app.with_company(|c, now| c.write(kind, op, parsed, options, now)) {
        Ok(v) => (StatusCode::OK, app.wrapped(kind.name(), v)),
        Err(f) => fault_parts(app, f),
    }
}

/// `POST /v3/company/{realm}/{entity}`.
pub async fn post_entity(
    State(app): State<App>,
    Path((_realm, entity)): Path<(String, String)>,
    Query(params): Query<WriteParams>,
    body: Bytes,
) -> Response {
    let Some(kind) = path_kind(&entity) else {
        return app.fault(unknown_resource());
    };
    let op = write_op(params.operation.as_deref(), params.include.as_deref());
    let options = write_options(params.include.as_deref());
    with_request_id(
        &app,
        params.requestid.as_deref(),
        MAX_REQUEST_ID,
        &body,
        || run_write(&app, kind, op, options, &body),
    )
}

/// `POST /v3/company/{realm}/preferences` (sparse update, §4.6).
pub async fn post_entity_preferences(
    State(app): State<App>,
    Path(_realm): Path<String>,
    Query(params): Query<WriteParams>,
    body: Bytes,
) -> Response {
    with_request_id(
        &app,
        params.requestid.as_deref(),
        MAX_REQUEST_ID,
        &body,
        || {
            run_write(
                &app,
                EntityKind::Preferences,
                crate::quickbooks::state::WriteOp::Upsert,
                WriteOptions::default(),
                &body,
            )
        },
    )
}

/// `GET /v3/company/{realm}/{entity}/{id}` (§5.1): 610 when missing; a metered read (§9).
/// `companyinfo/{realmId}` reads the company's info (§4.6).
pub async fn get_entity(
    State(app): State<App>,
    Path((realm, entity, id)): Path<(String, String, String)>,
) -> Response {
    let Some(kind) = path_kind(&entity) else {
        return app.fault(unknown_resource());
    };
    if let Err(f) = app.count_read() {
        return app.fault(f);
    }
    let id = if kind == EntityKind::CompanyInfo && id == realm {
        "1".to_owned()
    } else {
        id
    };
    let result = app.company.lock().expect("company lock").read(kind, &id);
    match result {
        Ok(v) => json_response(StatusCode::OK, app.wrapped(kind.name(), v)),
        Err(f) => app.fault(f),
    }
}

/// `GET /v3/company/{realm}/preferences` (§4.6).
pub async fn get_preferences(State(app): State<App>, Path(_realm): Path<String>) -> Response {
    if let Err(f) = app.count_read() {
        return app.fault(f);
    }
    let prefs = app.company.lock().expect("company lock").preferences();
    json_response(StatusCode::OK, app.wrapped("Preferences", prefs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_forms_map_to_operations() {
        assert_eq!(write_op(Some("delete"), None), WriteOp::Delete);
        assert_eq!(write_op(Some("void"), None), WriteOp::Void);
        assert_eq!(write_op(Some("update"), Some("void")), WriteOp::UpdateVoid);
        assert_eq!(write_op(Some("update"), None), WriteOp::Upsert);
        assert_eq!(write_op(None, None), WriteOp::Upsert);
        assert!(write_options(Some("allowduplicatedocnum")).allow_duplicate_doc_number);
        assert!(!write_options(None).allow_duplicate_doc_number);
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SendParams {
    #[serde(rename = "sendTo")]
    pub send_to: Option<String>,
}

/// `POST /v3/company/{realm}/invoice/{id}/send[?sendTo=]` (§5.6).
pub async fn send(
    State(app): State<App>,
    Path((_realm, entity, id)): Path<(String, String, String)>,
    Query(params): Query<SendParams>,
) -> Response {
    if path_kind(&entity) != Some(EntityKind::Invoice) {
        return app.fault(unknown_resource());
    }
    match app.with_company(|c, now| c.send_invoice(&id, params.send_to.as_deref(), now)) {
        Ok(v) => json_response(StatusCode::OK, app.wrapped("Invoice", v)),
        Err(f) => app.fault(f),
    }
}
