//! Single-record CRM endpoints (docs/hubspot.md §2.1): get, list with `after` paging, create
//! (with inline associations), update, archive, and contacts merge (§2.5).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{QueryParams, body, kind, record_id};
use crate::hubspot::app::SharedHub;
use crate::hubspot::errors::ApiError;
use crate::hubspot::object_types::ObjectKind;
use crate::hubspot::record::{PropertySelection, Record};
use crate::hubspot::store::{Actor, PropertyWrites, Store, WriteCtx};

pub fn router() -> axum::Router<SharedHub> {
    let mut r = Router::new();
    for prefix in ["/crm/v3/objects", "/crm/objects/2026-03"] {
        r = r
            .route(&format!("{prefix}/{{object_type}}"), get(list).post(create))
            .route(
                &format!("{prefix}/{{object_type}}/{{id}}"),
                get(read).patch(update).delete(archive),
            )
            .route(&format!("{prefix}/{{object_type}}/merge"), post(merge))
            .route(
                &format!("{prefix}/{{object_type}}/gdpr-delete"),
                post(gdpr_delete),
            );
    }
    r
}

/// One inline association on create (docs/hubspot.md §2.1).
#[derive(Debug, Clone, Deserialize)]
pub struct InlineAssociation {
    pub to: IdRef,
    #[serde(default)]
    pub types: Vec<AssociationSpec>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IdRef {
    #[serde(deserialize_with = "id_text")]
    pub id: String,
}

/// docs/hubspot.md §3 `{associationCategory, associationTypeId}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociationSpec {
    #[serde(default)]
    pub association_category: Option<String>,
    pub association_type_id: u32,
}

/// Ids arrive as strings or numbers.
pub fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected an id, got {other}"
        ))),
    }
}

/// A create input: `{properties, associations}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateInput {
    #[serde(default)]
    pub properties: Map<String, Value>,
    #[serde(default)]
    pub associations: Vec<InlineAssociation>,
    #[serde(default)]
    pub object_write_trace_id: Option<String>,
}

/// Checks typed association specs between two kinds: known ids, matching category.
pub fn check_specs(
    store: &Store,
    from: ObjectKind,
    to: ObjectKind,
    specs: &[AssociationSpec],
) -> Result<Vec<u32>, ApiError> {
    specs
        .iter()
        .map(|s| {
            let t = store
                .catalog
                .get(from, to, s.association_type_id)
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "{} is not a valid association type id between {} and {}",
                        s.association_type_id,
                        from.path_name(),
                        to.path_name()
                    ))
                })?;
            match &s.association_category {
                Some(c) if c != t.category => Err(ApiError::bad_request(format!(
                    "association type {} is {}, not {c}",
                    t.type_id, t.category
                ))),
                _ => Ok(t.type_id),
            }
        })
        .collect()
}

/// Resolved inline associations: (target kind, target id, type ids).
pub type ResolvedAssociations = Vec<(ObjectKind, u64, Vec<u32>)>;

/// Checks inline associations: known type ids from `kind`, live targets.
pub fn resolve_inline(
    store: &Store,
    kind: ObjectKind,
    assocs: &[InlineAssociation],
) -> Result<ResolvedAssociations, ApiError> {
    let mut out = Vec::new();
    for a in assocs {
        let mut to_kind = None;
        let mut ids = Vec::new();
        for spec in &a.types {
            let t = store
                .catalog
                .by_id_from(kind, spec.association_type_id)
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "{} is not a valid association type id from {}",
                        spec.association_type_id,
                        kind.path_name()
                    ))
                })?;
            if let Some(c) = &spec.association_category
                && c != t.category
            {
                return Err(ApiError::bad_request(format!(
                    "association type {} is {}, not {c}",
                    t.type_id, t.category
                )));
            }
            to_kind = Some(t.to);
            ids.push(t.type_id);
        }
        let Some(to_kind) = to_kind else {
            return Err(ApiError::bad_request(
                "An association needs at least one type",
            ));
        };
        let to_id =
            a.to.id
                .parse::<u64>()
                .ok()
                .filter(|id| store.record(to_kind, *id).is_some_and(|r| !r.is_archived()))
                .ok_or_else(|| {
                    // UNVERIFIED wording and status.
                    ApiError::bad_request(format!(
                        "Association target {} of type {} does not exist",
                        a.to.id,
                        to_kind.path_name()
                    ))
                })?;
        out.push((to_kind, to_id, ids));
    }
    Ok(out)
}

/// A new invoice's status against its inline associations (`Store::check_invoice_create`).
pub fn check_create_status(
    store: &Store,
    kind: ObjectKind,
    writes: &PropertyWrites,
    assocs: &ResolvedAssociations,
) -> Result<(), ApiError> {
    if kind != ObjectKind::Invoice {
        return Ok(());
    }
    let kinds: Vec<ObjectKind> = assocs.iter().map(|(to, _, _)| *to).collect();
    store.check_invoice_create(writes, &kinds)
}

/// Applies resolved associations from a new record.
pub fn apply_inline(
    store: &mut Store,
    kind: ObjectKind,
    id: u64,
    assocs: ResolvedAssociations,
    ctx: &mut WriteCtx,
) -> Result<(), ApiError> {
    for (to_kind, to_id, ids) in assocs {
        store.associate(kind, id, to_kind, to_id, &ids, ctx)?;
    }
    Ok(())
}

/// Renders a record with every property it has (create and update responses).
pub fn render_full(store: &Store, record: &Record) -> Value {
    let names = record.properties.keys().cloned().collect();
    record.render(&PropertySelection::Named(names), &store.schema)
}

/// Renders with `properties`/`propertiesWithHistory`/`associations` query semantics.
pub fn render_selected(
    store: &Store,
    record: &Record,
    props: Vec<String>,
    history: &[String],
    assoc_kinds: &[ObjectKind],
) -> Value {
    let sel = PropertySelection::from_names(props, record.kind.default_properties());
    let mut v = record.render(&sel, &store.schema);
    if !history.is_empty() {
        v["propertiesWithHistory"] = Value::Object(record.render_history(history));
    }
    let mut assocs = Map::new();
    for to in assoc_kinds {
        let results: Vec<Value> = store
            .associations(record.kind, record.id, *to)
            .into_iter()
            .flat_map(|(to_id, types)| types.into_iter().map(move |t| (to_id, t)))
            .map(|(to_id, t)| {
                let name = store
                    .catalog
                    .get(record.kind, *to, t)
                    .map_or_else(|| t.to_string(), |a| a.name.to_ascii_lowercase());
                json!({"id": to_id.to_string(), "type": name})
            })
            .collect();
        if !results.is_empty() {
            assocs.insert(to.path_name().to_owned(), json!({"results": results}));
        }
    }
    if !assocs.is_empty() {
        v["associations"] = Value::Object(assocs);
    }
    v
}

fn assoc_kinds(q: &QueryParams) -> Result<Vec<ObjectKind>, ApiError> {
    q.list("associations").iter().map(|s| kind(s)).collect()
}

async fn read(
    State(hub): State<SharedHub>,
    Path((object_type, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    let q = QueryParams::parse(raw.as_deref());
    let id_property = q.get("idProperty");
    let store = hub.store();
    if let Some(p) = id_property {
        store.check_id_property(kind, p)?;
    }
    let record = store
        .find(kind, &id, id_property, q.flag("archived"))
        .ok_or_else(|| ApiError::object_not_found(&id))?;
    let kinds = assoc_kinds(&q)?;
    Ok(Json(render_selected(
        &store,
        record,
        q.list("properties"),
        &q.list("propertiesWithHistory"),
        &kinds,
    ))
    .into_response())
}

/// UNVERIFIED (docs/hubspot.md §2.1): the list `limit` maximum; the sandbox caps at 100.
const LIST_MAX: usize = 100;

async fn list(
    State(hub): State<SharedHub>,
    Path(object_type): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    let q = QueryParams::parse(raw.as_deref());
    let limit = match q.get("limit") {
        None => 10,
        Some(l) => l
            .parse::<usize>()
            .map_err(|_| ApiError::bad_request(format!("limit must be an integer, got {l}")))?
            .clamp(1, LIST_MAX),
    };
    // docs/hubspot.md §2.1: `after` is an opaque cursor; here, the next id to return.
    let after = match q.get("after") {
        None => 0,
        Some(a) => a
            .parse::<u64>()
            .map_err(|_| ApiError::bad_request(format!("after is not a valid cursor: {a}")))?,
    };
    let archived = q.flag("archived");
    let kinds = assoc_kinds(&q)?;
    let store = hub.store();
    let mut page: Vec<&Record> = store
        .records(kind)
        .filter(|r| r.id >= after && r.is_archived() == archived)
        .take(limit + 1)
        .collect();
    let next = (page.len() > limit)
        .then(|| page.pop().map(|r| r.id))
        .flatten();
    let results: Vec<Value> = page
        .into_iter()
        .map(|r| {
            render_selected(
                &store,
                r,
                q.list("properties"),
                &q.list("propertiesWithHistory"),
                &kinds,
            )
        })
        .collect();
    let mut v = json!({"results": results});
    if let Some(next) = next {
        v["paging"] = json!({"next": {
            "after": next.to_string(),
            "link": format!("?after={next}"),
        }});
    }
    Ok(Json(v).into_response())
}

async fn create(
    State(hub): State<SharedHub>,
    Extension(actor): Extension<Actor>,
    Path(object_type): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    let input: CreateInput = body(&bytes)?;
    hub.write(actor, |store, ctx| {
        let writes = store.check_create(kind, &input.properties, &[])?;
        // UNVERIFIED (docs/hubspot.md §2.9): whether the portal gate is checked before or after
        // the body; here a valid body is needed to reach it.
        hub.check_create_allowed(kind)?;
        let assocs = resolve_inline(store, kind, &input.associations)?;
        check_create_status(store, kind, &writes, &assocs)?;
        let id = store.apply_create(kind, writes, ctx);
        apply_inline(store, kind, id, assocs, ctx)?;
        let record = store.record(kind, id).expect("just created");
        Ok((StatusCode::CREATED, Json(render_full(store, record))).into_response())
    })
}

#[derive(Debug, Deserialize)]
struct UpdateInput {
    #[serde(default)]
    properties: Map<String, Value>,
}

async fn update(
    State(hub): State<SharedHub>,
    Extension(actor): Extension<Actor>,
    Path((object_type, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    let q = QueryParams::parse(raw.as_deref());
    let input: UpdateInput = body(&bytes)?;
    hub.write(actor, |store, ctx| {
        let id_property = q.get("idProperty");
        if let Some(p) = id_property {
            store.check_id_property(kind, p)?;
        }
        let record_id = store
            .find(kind, &id, id_property, false)
            .map(|r| r.id)
            .ok_or_else(|| ApiError::object_not_found(&id))?;
        let writes = store.check_update(kind, record_id, &input.properties, &[])?;
        store.apply_update(kind, record_id, writes, ctx);
        let record = store.record(kind, record_id).expect("exists");
        Ok(Json(render_full(store, record)).into_response())
    })
}

async fn archive(
    State(hub): State<SharedHub>,
    Extension(actor): Extension<Actor>,
    Path((object_type, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    hub.write(actor, |store, ctx| {
        let Ok(record_id) = record_id(&id) else {
            return Ok(StatusCode::NO_CONTENT.into_response());
        };
        // UNVERIFIED: archiving a missing or archived id answers 204 (idempotent) rather than 404.
        if store
            .record(kind, record_id)
            .is_none_or(Record::is_archived)
        {
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        store.archive(kind, record_id, ctx)?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MergeInput {
    #[serde(deserialize_with = "id_text")]
    primary_object_id: String,
    #[serde(deserialize_with = "id_text")]
    object_id_to_merge: String,
}

async fn merge(
    State(hub): State<SharedHub>,
    Extension(actor): Extension<Actor>,
    Path(object_type): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    // docs/hubspot.md §2.1: merge exists for contacts and deals.
    if !matches!(kind, ObjectKind::Contact | ObjectKind::Deal) {
        return Err(ApiError::bad_request(format!(
            "Merging is not supported for {}",
            kind.path_name()
        )));
    }
    let input: MergeInput = body(&bytes)?;
    let primary = record_id(&input.primary_object_id)?;
    let secondary = record_id(&input.object_id_to_merge)?;
    let new_id = hub.merge_new_ids();
    hub.write(actor, |store, ctx| {
        let id = store.merge_records(kind, primary, secondary, new_id, ctx)?;
        let record = store.record(kind, id).expect("exists");
        Ok(Json(render_full(store, record)).into_response())
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GdprDeleteInput {
    #[serde(deserialize_with = "id_text")]
    object_id: String,
    #[serde(default)]
    id_property: Option<String>,
}

/// docs/hubspot.md §2.1/§2.5: `POST /crm/v3/objects/contacts/gdpr-delete`, permanent; 204.
async fn gdpr_delete(
    State(hub): State<SharedHub>,
    Extension(actor): Extension<Actor>,
    Path(object_type): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    if kind != ObjectKind::Contact {
        return Err(ApiError::bad_request(format!(
            "GDPR delete is for contacts, not {}",
            kind.path_name()
        )));
    }
    let input: GdprDeleteInput = body(&bytes)?;
    hub.write(actor, |store, ctx| {
        if let Some(p) = &input.id_property {
            store.check_id_property(kind, p)?;
        }
        let id = store
            .find(kind, &input.object_id, input.id_property.as_deref(), false)
            .or_else(|| store.find(kind, &input.object_id, input.id_property.as_deref(), true))
            .map(|r| r.id)
            .ok_or_else(|| ApiError::object_not_found(&input.object_id))?;
        store.gdpr_delete(kind, id, ctx)?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}
