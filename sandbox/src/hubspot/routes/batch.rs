//! Batch CRM endpoints (docs/hubspot.md §2.1, §2.2): read, create, update, upsert, archive;
//! 100 inputs at most, 207 multi-status with per-input errors, results matched by id/trace id.

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::objects::{
    CreateInput, apply_inline, check_create_status, id_text, render_full, resolve_inline,
};
use super::{QueryParams, batch_inputs, batch_response, body, kind, unordered};
use crate::hubspot::app::SharedHub;
use crate::hubspot::errors::{ApiError, BatchError};
use crate::hubspot::object_types::ObjectKind;
use crate::hubspot::record::{PropertySelection, Record};
use crate::hubspot::store::{Actor, PropertyWrites, Store, UniqueClaim};

/// docs/hubspot.md §2.2: 100 inputs per object batch request.
pub const MAX_BATCH: usize = 100;
/// docs/hubspot.md §2.2: 50 inputs when `propertiesWithHistory` is asked for.
pub const MAX_BATCH_WITH_HISTORY: usize = 50;

pub fn router() -> axum::Router<SharedHub> {
    let mut r = Router::new();
    for prefix in ["/crm/v3/objects", "/crm/objects/2026-03"] {
        r = r
            .route(&format!("{prefix}/{{object_type}}/batch/read"), post(read))
            .route(
                &format!("{prefix}/{{object_type}}/batch/create"),
                post(create),
            )
            .route(
                &format!("{prefix}/{{object_type}}/batch/update"),
                post(update),
            )
            .route(
                &format!("{prefix}/{{object_type}}/batch/upsert"),
                post(upsert),
            )
            .route(
                &format!("{prefix}/{{object_type}}/batch/archive"),
                post(archive),
            );
    }
    r
}

#[derive(Debug, Deserialize)]
struct IdInput {
    #[serde(deserialize_with = "id_text")]
    id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReadOptions {
    #[serde(default)]
    properties: Vec<String>,
    #[serde(default)]
    properties_with_history: Vec<String>,
    #[serde(default)]
    id_property: Option<String>,
}

/// docs/hubspot.md §2.2: per-input errors are reported only when every input has a unique
/// `objectWriteTraceId`; otherwise the first failure fails the whole request.
fn per_input_errors(trace_ids: &[Option<String>]) -> bool {
    let mut seen = HashSet::new();
    !trace_ids.is_empty()
        && trace_ids.iter().all(|t| {
            t.as_ref()
                .is_some_and(|t| !t.is_empty() && seen.insert(t.clone()))
        })
}

fn with_trace(mut v: Value, trace: &Option<String>) -> Value {
    if let Some(t) = trace {
        v["objectWriteTraceId"] = t.clone().into();
    }
    v
}

fn status(errors: &[Value], ok: StatusCode) -> StatusCode {
    if errors.is_empty() {
        ok
    } else {
        StatusCode::MULTI_STATUS
    }
}

async fn read(
    State(hub): State<SharedHub>,
    Path(object_type): Path<String>,
    RawQuery(raw): RawQuery,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    let options: ReadOptions = body(&bytes)?;
    let max = if options.properties_with_history.is_empty() {
        MAX_BATCH
    } else {
        MAX_BATCH_WITH_HISTORY
    };
    let inputs: Vec<IdInput> = match batch_inputs(&bytes, MAX_BATCH) {
        Ok(i) if i.len() > max => {
            return Err(ApiError::bad_request(
                "The maximum number of inputs supported in a batch request for property histories is 50. Please reduce the number of items and try again",
            ));
        }
        other => other?,
    };
    let archived = QueryParams::parse(raw.as_deref()).flag("archived");
    let started = hub.clock.now_ms();
    let store = hub.store();
    if let Some(p) = &options.id_property {
        store.check_id_property(kind, p)?;
    }
    let sel = PropertySelection::from_names(options.properties.clone(), kind.default_properties());
    let mut results = Vec::new();
    let mut missing = Vec::new();
    let mut seen = HashSet::new();
    for input in inputs {
        match store.find(kind, &input.id, options.id_property.as_deref(), archived) {
            Some(r) => {
                if seen.insert(r.id) {
                    let mut v = r.render(&sel, &store.schema);
                    if !options.properties_with_history.is_empty() {
                        v["propertiesWithHistory"] =
                            Value::Object(r.render_history(&options.properties_with_history));
                    }
                    results.push(v);
                }
            }
            None => missing.push(input.id),
        }
    }
    let errors = if missing.is_empty() {
        Vec::new()
    } else {
        // docs/hubspot.md §2.2: one error for all misses; an all-miss read is 207 too.
        vec![BatchError::not_found(kind, "get", missing).to_json()]
    };
    let code = status(&errors, StatusCode::OK);
    Ok((
        code,
        Json(batch_response(
            unordered(results),
            errors,
            started,
            hub.clock.now_ms(),
        )),
    )
        .into_response())
}

async fn create(
    State(hub): State<SharedHub>,
    Extension(actor): Extension<Actor>,
    Path(object_type): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    hub.check_create_allowed(kind)?;
    let inputs: Vec<CreateInput> = batch_inputs(&bytes, MAX_BATCH)?;
    let started = hub.clock.now_ms();
    let traces: Vec<Option<String>> = inputs
        .iter()
        .map(|i| i.object_write_trace_id.clone())
        .collect();
    let per_input = per_input_errors(&traces);
    hub.write(actor, |store, ctx| {
        let mut planned = Vec::new();
        let mut errors = Vec::new();
        let mut claims: Vec<UniqueClaim> = Vec::new();
        for input in &inputs {
            let provisional = store.peek_next_id() + planned.len() as u64;
            let checked = store
                .check_create(kind, &input.properties, &claims)
                .and_then(|w| Ok((w, resolve_inline(store, kind, &input.associations)?)))
                .and_then(|(w, a)| {
                    check_create_status(store, kind, &w, &a)?;
                    Ok((w, a))
                });
            match checked {
                Ok((writes, assocs)) => {
                    claims.extend(store.claims(kind, provisional, &writes));
                    planned.push((writes, assocs, input.object_write_trace_id.clone()));
                }
                Err(e) if per_input => errors.push(
                    BatchError::from_api(&e, input.object_write_trace_id.as_deref()).to_json(),
                ),
                Err(e) => return Err(e),
            }
        }
        let mut results = Vec::new();
        for (writes, assocs, trace) in planned {
            let id = store.apply_create(kind, writes, ctx);
            if let Err(e) = apply_inline(store, kind, id, assocs, ctx) {
                errors.push(BatchError::from_api(&e, trace.as_deref()).to_json());
            }
            let record = store.record(kind, id).expect("just created");
            results.push(with_trace(render_full(store, record), &trace));
        }
        let code = status(&errors, StatusCode::CREATED);
        Ok((
            code,
            Json(batch_response(
                unordered(results),
                errors,
                started,
                ctx.now_ms,
            )),
        )
            .into_response())
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateInput {
    #[serde(deserialize_with = "id_text")]
    id: String,
    #[serde(default)]
    id_property: Option<String>,
    #[serde(default)]
    properties: Map<String, Value>,
    #[serde(default)]
    object_write_trace_id: Option<String>,
}

/// docs/hubspot.md §2.2: a batch-update result carries only the properties written plus the
/// recalculated ones (`lastmodifieddate`, `hs_email_domain`), not the full record.
fn render_written(store: &Store, record: &Record, written: &[String]) -> Value {
    let mut names: Vec<String> = written.to_vec();
    names.push(record.kind.last_modified_property().into());
    match record.kind {
        ObjectKind::Contact => names.push("hs_email_domain".into()),
        ObjectKind::LineItem => names.push("amount".into()),
        _ => {}
    }
    let props: Map<String, Value> = record
        .properties
        .iter()
        .filter(|(k, _)| names.contains(k))
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    let _ = store;
    record.render_with(props, record.updated_at_ms)
}

async fn update(
    State(hub): State<SharedHub>,
    Extension(actor): Extension<Actor>,
    Path(object_type): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    let inputs: Vec<UpdateInput> = batch_inputs(&bytes, MAX_BATCH)?;
    let started = hub.clock.now_ms();
    let traces: Vec<Option<String>> = inputs
        .iter()
        .map(|i| i.object_write_trace_id.clone())
        .collect();
    let per_input = per_input_errors(&traces);
    hub.write(actor, |store, ctx| {
        let mut planned: Vec<(u64, PropertyWrites, Option<String>)> = Vec::new();
        let mut errors = Vec::new();
        let mut missing = Vec::new();
        let mut claims: Vec<UniqueClaim> = Vec::new();
        for input in &inputs {
            if let Some(p) = &input.id_property {
                store.check_id_property(kind, p)?;
            }
            let Some(id) = store
                .find(kind, &input.id, input.id_property.as_deref(), false)
                .map(|r| r.id)
            else {
                if per_input {
                    errors.push(
                        BatchError::from_api(
                            &ApiError::object_not_found(&input.id),
                            input.object_write_trace_id.as_deref(),
                        )
                        .to_json(),
                    );
                } else {
                    missing.push(input.id.clone());
                }
                continue;
            };
            if planned.iter().any(|(p, _, _)| *p == id) {
                // UNVERIFIED wording; HubSpot rejects duplicate ids in one batch.
                return Err(ApiError::bad_request(format!(
                    "Duplicate IDs found in batch input: [{id}]"
                )));
            }
            match store.check_update(kind, id, &input.properties, &claims) {
                Ok(writes) => {
                    claims.extend(store.claims(kind, id, &writes));
                    planned.push((id, writes, input.object_write_trace_id.clone()));
                }
                Err(e) if per_input => errors.push(
                    BatchError::from_api(&e, input.object_write_trace_id.as_deref()).to_json(),
                ),
                Err(e) => return Err(e),
            }
        }
        if !missing.is_empty() {
            errors.push(BatchError::not_found(kind, "update", missing).to_json());
        }
        let mut results = Vec::new();
        for (id, writes, trace) in planned {
            let written = store.apply_update(kind, id, writes, ctx);
            let record = store.record(kind, id).expect("exists");
            results.push(with_trace(render_written(store, record, &written), &trace));
        }
        let code = status(&errors, StatusCode::OK);
        Ok((
            code,
            Json(batch_response(
                unordered(results),
                errors,
                started,
                ctx.now_ms,
            )),
        )
            .into_response())
    })
}

async fn upsert(
    State(hub): State<SharedHub>,
    Extension(actor): Extension<Actor>,
    Path(object_type): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    // Upsert can create; the portal gate applies to the whole request (docs/hubspot.md §2.9).
    hub.check_create_allowed(kind)?;
    let inputs: Vec<UpdateInput> = batch_inputs(&bytes, MAX_BATCH)?;
    let started = hub.clock.now_ms();
    let traces: Vec<Option<String>> = inputs
        .iter()
        .map(|i| i.object_write_trace_id.clone())
        .collect();
    let per_input = per_input_errors(&traces);
    hub.write(actor, |store, ctx| {
        enum Plan {
            Update(u64, PropertyWrites),
            Create(PropertyWrites),
        }
        let mut planned = Vec::new();
        let mut errors = Vec::new();
        let mut claims: Vec<UniqueClaim> = Vec::new();
        for (n, input) in inputs.iter().enumerate() {
            // UNVERIFIED: upsert without idProperty; the sandbox asks for one (docs/hubspot.md
            // §2.5 example always sends it).
            let Some(id_property) = input.id_property.as_deref() else {
                return Err(ApiError::bad_request(format!(
                    "inputs[{n}].idProperty is required for upsert (email or a unique property)"
                )));
            };
            store.check_id_property(kind, id_property)?;
            let existing = store
                .find(kind, &input.id, Some(id_property), false)
                .map(|r| r.id);
            let checked = match existing {
                Some(id) => store
                    .check_update(kind, id, &input.properties, &claims)
                    .map(|w| {
                        claims.extend(store.claims(kind, id, &w));
                        Plan::Update(id, w)
                    }),
                None => {
                    let mut props = input.properties.clone();
                    if id_property != "hs_object_id" {
                        props.insert(id_property.to_owned(), Value::from(input.id.clone()));
                    }
                    let provisional = store.peek_next_id() + planned.len() as u64;
                    store.check_create(kind, &props, &claims).map(|w| {
                        claims.extend(store.claims(kind, provisional, &w));
                        Plan::Create(w)
                    })
                }
            };
            match checked {
                Ok(plan) => planned.push((plan, input.object_write_trace_id.clone())),
                Err(e) if per_input => errors.push(
                    BatchError::from_api(&e, input.object_write_trace_id.as_deref()).to_json(),
                ),
                Err(e) => return Err(e),
            }
        }
        let mut results = Vec::new();
        for (plan, trace) in planned {
            let (id, new) = match plan {
                Plan::Update(id, w) => {
                    store.apply_update(kind, id, w, ctx);
                    (id, false)
                }
                Plan::Create(w) => (store.apply_create(kind, w, ctx), true),
            };
            let record = store.record(kind, id).expect("exists");
            let mut v = with_trace(render_full(store, record), &trace);
            v["new"] = new.into();
            results.push(v);
        }
        let code = status(&errors, StatusCode::OK);
        Ok((
            code,
            Json(batch_response(
                unordered(results),
                errors,
                started,
                ctx.now_ms,
            )),
        )
            .into_response())
    })
}

async fn archive(
    State(hub): State<SharedHub>,
    Extension(actor): Extension<Actor>,
    Path(object_type): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    let inputs: Vec<IdInput> = batch_inputs(&bytes, MAX_BATCH)?;
    hub.write(actor, |store, ctx| {
        // Check first so a refused archive (e.g. an open invoice) changes nothing.
        let mut ids = Vec::new();
        for input in &inputs {
            if let Ok(id) = input.id.parse::<u64>()
                && store.record(kind, id).is_some_and(|r| !r.is_archived())
            {
                ids.push(id);
            }
        }
        for id in &ids {
            if kind == ObjectKind::Invoice {
                let r = store.record(kind, *id).expect("checked");
                let status = r.properties.get("hs_invoice_status").map(String::as_str);
                if !matches!(status, None | Some("draft")) {
                    return Err(ApiError::bad_request(format!(
                        "Only draft invoices can be deleted; {id} is {}",
                        status.unwrap_or_default()
                    )));
                }
            }
        }
        // UNVERIFIED: missing ids are skipped silently (204), as for single archive.
        for id in ids {
            store.archive(kind, id, ctx)?;
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}
