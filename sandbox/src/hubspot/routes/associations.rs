//! Associations v4 (docs/hubspot.md §3): per-record default/typed associate, remove, list;
//! batch associate-default/create/read/archive/labels-archive; association labels.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::objects::{AssociationSpec, IdRef, check_specs};
use super::{QueryParams, batch_inputs, batch_response, body, kind, record_id};
use crate::hubspot::app::SharedHub;
use crate::hubspot::errors::{ApiError, BatchError};
use crate::hubspot::object_types::ObjectKind;
use crate::hubspot::store::{Actor, Store};

/// docs/hubspot.md §3: batch read takes up to 1,000 inputs. UNVERIFIED: the same cap is used
/// for the other v4 batch endpoints.
pub const MAX_V4_BATCH: usize = 1_000;
/// docs/hubspot.md §3: per-record list `limit` max 500.
pub const MAX_LIST: usize = 500;

pub fn router() -> axum::Router<SharedHub> {
    let mut r = Router::new();
    for prefix in ["/crm/v4/objects", "/crm/objects/2026-03"] {
        r = r
            .route(
                &format!("{prefix}/{{object_type}}/{{id}}/associations/{{to_type}}"),
                get(list),
            )
            .route(
                &format!(
                    "{prefix}/{{object_type}}/{{id}}/associations/default/{{to_type}}/{{to_id}}"
                ),
                put(associate_default),
            )
            .route(
                &format!("{prefix}/{{object_type}}/{{id}}/associations/{{to_type}}/{{to_id}}"),
                put(associate_typed).delete(remove),
            );
    }
    for prefix in ["/crm/v4/associations", "/crm/associations/2026-03"] {
        r = r
            .route(
                &format!("{prefix}/{{from_type}}/{{to_type}}/batch/associate/default"),
                post(batch_default),
            )
            .route(
                &format!("{prefix}/{{from_type}}/{{to_type}}/batch/create"),
                post(batch_create),
            )
            .route(
                &format!("{prefix}/{{from_type}}/{{to_type}}/batch/read"),
                post(batch_read),
            )
            .route(
                &format!("{prefix}/{{from_type}}/{{to_type}}/batch/archive"),
                post(batch_archive),
            )
            .route(
                &format!("{prefix}/{{from_type}}/{{to_type}}/batch/labels/archive"),
                post(batch_labels_archive),
            )
            .route(
                &format!("{prefix}/{{from_type}}/{{to_type}}/labels"),
                get(labels).post(create_label),
            );
    }
    r.route(
        "/crm/associations/v4/{from_type}/{to_type}/labels",
        get(labels).post(create_label),
    )
}

fn type_json(store: &Store, from: ObjectKind, to: ObjectKind, type_id: u32) -> Value {
    let t = store.catalog.get(from, to, type_id);
    json!({
        "category": t.map_or("HUBSPOT_DEFINED", |t| t.category),
        "typeId": type_id,
        "label": t.and_then(|t| t.label.clone()),
    })
}

fn spec_json(store: &Store, from: ObjectKind, to: ObjectKind, type_id: u32) -> Value {
    json!({
        "associationCategory": store.catalog.get(from, to, type_id).map_or("HUBSPOT_DEFINED", |t| t.category),
        "associationTypeId": type_id,
    })
}

/// The default association both ways (fixture `associations-v4-put-default-response.json`).
fn default_results(
    store: &Store,
    from: ObjectKind,
    from_id: u64,
    to: ObjectKind,
    to_id: u64,
) -> Result<(u32, Vec<Value>), ApiError> {
    let t = store.catalog.default_between(from, to).ok_or_else(|| {
        ApiError::bad_request(format!(
            "No default association type between {} and {}",
            from.path_name(),
            to.path_name()
        ))
    })?;
    let results = vec![
        json!({"from": {"id": from_id.to_string()}, "to": {"id": to_id.to_string()}, "associationSpec": spec_json(store, from, to, t.type_id)}),
        json!({"from": {"id": to_id.to_string()}, "to": {"id": from_id.to_string()}, "associationSpec": spec_json(store, to, from, t.reverse_id)}),
    ];
    Ok((t.type_id, results))
}

async fn associate_default(
    State(hub): State<SharedHub>,
    Extension(actor): Extension<Actor>,
    Path((object_type, id, to_type, to_id)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    let (from, to) = (kind(&object_type)?, kind(&to_type)?);
    let (from_id, to_id) = (record_id(&id)?, record_id(&to_id)?);
    let started = hub.clock.now_ms();
    hub.write(actor, |store, ctx| {
        let (type_id, results) = default_results(store, from, from_id, to, to_id)?;
        store.associate(from, from_id, to, to_id, &[type_id], ctx)?;
        Ok(Json(batch_response(results, Vec::new(), started, ctx.now_ms)).into_response())
    })
}

fn pair_json(store: &Store, from: ObjectKind, from_id: u64, to: ObjectKind, to_id: u64) -> Value {
    let types = store
        .associations(from, from_id, to)
        .remove(&to_id)
        .unwrap_or_default();
    let labels: Vec<Value> = types
        .iter()
        .filter_map(|t| {
            store
                .catalog
                .get(from, to, *t)?
                .label
                .clone()
                .map(Value::from)
        })
        .collect();
    json!({
        "fromObjectTypeId": from.type_id(),
        "fromObjectId": from_id,
        "toObjectTypeId": to.type_id(),
        "toObjectId": to_id,
        "labels": labels,
    })
}

async fn associate_typed(
    State(hub): State<SharedHub>,
    Extension(actor): Extension<Actor>,
    Path((object_type, id, to_type, to_id)): Path<(String, String, String, String)>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let (from, to) = (kind(&object_type)?, kind(&to_type)?);
    let (from_id, to_id) = (record_id(&id)?, record_id(&to_id)?);
    let specs: Vec<AssociationSpec> = body(&bytes)?;
    hub.write(actor, |store, ctx| {
        let ids = check_specs(store, from, to, &specs)?;
        store.associate(from, from_id, to, to_id, &ids, ctx)?;
        Ok((
            StatusCode::CREATED,
            Json(pair_json(store, from, from_id, to, to_id)),
        )
            .into_response())
    })
}

async fn remove(
    State(hub): State<SharedHub>,
    Extension(actor): Extension<Actor>,
    Path((object_type, id, to_type, to_id)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    let (from, to) = (kind(&object_type)?, kind(&to_type)?);
    let (from_id, to_id) = (record_id(&id)?, record_id(&to_id)?);
    hub.write(actor, |store, ctx| {
        store.dissociate_all(from, from_id, to, to_id, ctx);
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

fn association_rows(store: &Store, from: ObjectKind, from_id: u64, to: ObjectKind) -> Vec<Value> {
    store
        .associations(from, from_id, to)
        .into_iter()
        .map(|(to_id, types)| {
            json!({
                "toObjectId": to_id,
                "associationTypes": types.iter().map(|t| type_json(store, from, to, *t)).collect::<Vec<_>>(),
            })
        })
        .collect()
}

async fn list(
    State(hub): State<SharedHub>,
    Path((object_type, id, to_type)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let (from, to) = (kind(&object_type)?, kind(&to_type)?);
    let from_id = record_id(&id)?;
    let q = QueryParams::parse(raw.as_deref());
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(MAX_LIST)
        .clamp(1, MAX_LIST);
    let offset = q
        .get("after")
        .and_then(|a| a.parse::<usize>().ok())
        .unwrap_or(0);
    let store = hub.store();
    let rec = store
        .record(from, from_id)
        .filter(|r| !r.is_archived())
        .ok_or_else(|| ApiError::object_not_found(&id))?;
    let rows = association_rows(&store, from, rec.id, to);
    let total = rows.len();
    let page: Vec<Value> = rows.into_iter().skip(offset).take(limit).collect();
    let mut v = json!({"results": page});
    if offset + limit < total {
        v["paging"] = json!({"next": {"after": (offset + limit).to_string()}});
    }
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize)]
struct PairInput {
    from: IdRef,
    to: IdRef,
    #[serde(default)]
    types: Vec<AssociationSpec>,
}

fn pair_ids(p: &PairInput) -> Result<(u64, u64), ApiError> {
    Ok((record_id(&p.from.id)?, record_id(&p.to.id)?))
}

async fn batch_default(
    State(hub): State<SharedHub>,
    Extension(actor): Extension<Actor>,
    Path((from_type, to_type)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let (from, to) = (kind(&from_type)?, kind(&to_type)?);
    let inputs: Vec<PairInput> = batch_inputs(&bytes, MAX_V4_BATCH)?;
    let started = hub.clock.now_ms();
    hub.write(actor, |store, ctx| {
        let mut results = Vec::new();
        let mut errors = Vec::new();
        for p in &inputs {
            let outcome = pair_ids(p).and_then(|(f, t)| {
                let (type_id, rows) = default_results(store, from, f, to, t)?;
                store.associate(from, f, to, t, &[type_id], ctx)?;
                Ok(rows)
            });
            match outcome {
                Ok(rows) => results.extend(rows),
                Err(e) => errors.push(BatchError::from_api(&e, None).to_json()),
            }
        }
        let code = if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::MULTI_STATUS
        };
        Ok((
            code,
            Json(batch_response(results, errors, started, ctx.now_ms)),
        )
            .into_response())
    })
}

async fn batch_create(
    State(hub): State<SharedHub>,
    Extension(actor): Extension<Actor>,
    Path((from_type, to_type)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let (from, to) = (kind(&from_type)?, kind(&to_type)?);
    let inputs: Vec<PairInput> = batch_inputs(&bytes, MAX_V4_BATCH)?;
    let started = hub.clock.now_ms();
    hub.write(actor, |store, ctx| {
        let mut results = Vec::new();
        let mut errors = Vec::new();
        for p in &inputs {
            let outcome = pair_ids(p).and_then(|(f, t)| {
                let ids = check_specs(store, from, to, &p.types)?;
                store.associate(from, f, to, t, &ids, ctx)?;
                Ok(pair_json(store, from, f, to, t))
            });
            match outcome {
                Ok(v) => results.push(v),
                Err(e) => errors.push(BatchError::from_api(&e, None).to_json()),
            }
        }
        let code = if errors.is_empty() {
            StatusCode::CREATED
        } else {
            StatusCode::MULTI_STATUS
        };
        Ok((
            code,
            Json(batch_response(results, errors, started, ctx.now_ms)),
        )
            .into_response())
    })
}

#[derive(Debug, Deserialize)]
struct ReadInput {
    #[serde(deserialize_with = "super::objects::id_text")]
    id: String,
}

async fn batch_read(
    State(hub): State<SharedHub>,
    Path((from_type, to_type)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let (from, to) = (kind(&from_type)?, kind(&to_type)?);
    let inputs: Vec<ReadInput> = batch_inputs(&bytes, MAX_V4_BATCH)?;
    let started = hub.clock.now_ms();
    let store = hub.store();
    let mut results = Vec::new();
    let mut missing = Vec::new();
    for input in inputs {
        let live = input
            .id
            .parse::<u64>()
            .ok()
            .and_then(|id| store.record(from, id))
            .filter(|r| !r.is_archived());
        match live {
            // UNVERIFIED: a record without associations is a result with an empty `to`.
            Some(r) => results.push(json!({
                "from": {"id": input.id},
                "to": association_rows(&store, from, r.id, to),
            })),
            None => missing.push(input.id),
        }
    }
    let errors = if missing.is_empty() {
        Vec::new()
    } else {
        vec![BatchError::not_found(from, "get", missing).to_json()]
    };
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::MULTI_STATUS
    };
    Ok((
        code,
        Json(batch_response(results, errors, started, hub.clock.now_ms())),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct ArchiveInput {
    from: IdRef,
    to: Vec<IdRef>,
}

async fn batch_archive(
    State(hub): State<SharedHub>,
    Extension(actor): Extension<Actor>,
    Path((from_type, to_type)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let (from, to) = (kind(&from_type)?, kind(&to_type)?);
    let inputs: Vec<ArchiveInput> = batch_inputs(&bytes, MAX_V4_BATCH)?;
    hub.write(actor, |store, ctx| {
        for input in &inputs {
            let Ok(f) = record_id(&input.from.id) else {
                continue;
            };
            for t in &input.to {
                if let Ok(t) = record_id(&t.id) {
                    store.dissociate_all(from, f, to, t, ctx);
                }
            }
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

async fn batch_labels_archive(
    State(hub): State<SharedHub>,
    Extension(actor): Extension<Actor>,
    Path((from_type, to_type)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let (from, to) = (kind(&from_type)?, kind(&to_type)?);
    let inputs: Vec<PairInput> = batch_inputs(&bytes, MAX_V4_BATCH)?;
    hub.write(actor, |store, ctx| {
        for p in &inputs {
            let Ok((f, t)) = pair_ids(p) else { continue };
            let ids: Vec<u32> = p.types.iter().map(|s| s.association_type_id).collect();
            store.dissociate(from, f, to, t, Some(&ids), ctx);
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

async fn labels(
    State(hub): State<SharedHub>,
    Path((from_type, to_type)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (from, to) = (kind(&from_type)?, kind(&to_type)?);
    let store = hub.store();
    let results: Vec<Value> = store
        .catalog
        .between(from, to)
        .into_iter()
        .map(|t| json!({"category": t.category, "typeId": t.type_id, "label": t.label}))
        .collect();
    Ok(Json(json!({"results": results})).into_response())
}

#[derive(Debug, Deserialize)]
struct LabelInput {
    label: String,
    name: String,
}

async fn create_label(
    State(hub): State<SharedHub>,
    Path((from_type, to_type)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let (from, to) = (kind(&from_type)?, kind(&to_type)?);
    let input: LabelInput = body(&bytes)?;
    if input.label.trim().is_empty() || input.name.trim().is_empty() {
        return Err(ApiError::bad_request("label and name are required"));
    }
    let mut store = hub.store();
    if store
        .catalog
        .between(from, to)
        .iter()
        .any(|t| t.label.as_deref() == Some(input.label.as_str()))
    {
        return Err(ApiError::object_already_exists(format!(
            "An association label named '{}' already exists",
            input.label
        )));
    }
    let (id, rev) = store.catalog.add_label(from, to, &input.label, &input.name);
    let results = vec![
        json!({"category": "USER_DEFINED", "typeId": id, "label": input.label}),
        json!({"category": "USER_DEFINED", "typeId": rev, "label": input.label}),
    ];
    Ok(Json(json!({"results": results})).into_response())
}
