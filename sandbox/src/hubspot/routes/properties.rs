//! Properties API (docs/hubspot.md §4): read properties and groups, create custom properties
//! (incl. `hasUniqueValue`) and groups; 409 when they exist.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{batch_inputs, batch_response, body, kind};
use crate::hubspot::app::SharedHub;
use crate::hubspot::errors::{ApiError, BatchError};
use crate::hubspot::object_types::ObjectKind;
use crate::hubspot::schema::{GroupDef, PropertyDef, PropertyOption, PropertyType};
use crate::hubspot::store::Store;

pub fn router() -> axum::Router<SharedHub> {
    let mut r = Router::new();
    for prefix in ["/crm/v3/properties", "/crm/properties/2026-03"] {
        r = r
            .route(&format!("{prefix}/{{object_type}}"), get(list).post(create))
            .route(
                &format!("{prefix}/{{object_type}}/batch/create"),
                post(batch_create),
            )
            .route(
                &format!("{prefix}/{{object_type}}/batch/read"),
                post(batch_read),
            )
            .route(
                &format!("{prefix}/{{object_type}}/groups"),
                get(list_groups).post(create_group),
            )
            .route(
                &format!("{prefix}/{{object_type}}/groups/{{name}}"),
                get(read_group),
            )
            .route(&format!("{prefix}/{{object_type}}/{{name}}"), get(read));
    }
    r
}

/// docs/hubspot.md §4 `PropertyCreate`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyCreate {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default, rename = "type")]
    property_type: Option<String>,
    #[serde(default)]
    field_type: Option<String>,
    #[serde(default)]
    group_name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    options: Vec<PropertyOption>,
    #[serde(default)]
    has_unique_value: bool,
    #[serde(default)]
    hidden: bool,
    #[serde(default)]
    display_order: Option<i64>,
}

/// Checks a property create against the doc's rules and the existing schema.
fn check_property(
    store: &Store,
    kind: ObjectKind,
    input: &PropertyCreate,
    now_ms: i64,
) -> Result<PropertyDef, ApiError> {
    let required = [
        ("name", &input.name),
        ("label", &input.label),
        ("type", &input.property_type),
        ("fieldType", &input.field_type),
        ("groupName", &input.group_name),
    ];
    let missing: Vec<&str> = required
        .iter()
        .filter(|(_, v)| v.as_deref().is_none_or(|s| s.trim().is_empty()))
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::bad_request(format!(
            "Missing required fields for a property: {}",
            missing.join(", ")
        )));
    }
    let name = input.name.clone().unwrap_or_default();
    if store.schema.property(kind, &name).is_some() {
        // UNVERIFIED body: category OBJECT_ALREADY_EXISTS and this wording.
        return Err(ApiError::object_already_exists(format!(
            "Property named '{name}' already exists."
        )));
    }
    let type_text = input.property_type.clone().unwrap_or_default();
    let property_type: PropertyType = serde_json::from_value(Value::from(type_text.clone()))
        .map_err(|_| ApiError::bad_request(format!("Unknown property type {type_text}")))?;
    let field_type = input.field_type.clone().unwrap_or_default();
    if !property_type.accepts_field_type(&field_type) {
        return Err(ApiError::bad_request(format!(
            "fieldType {field_type} is not valid for type {type_text}"
        )));
    }
    if property_type == PropertyType::Enumeration && input.options.is_empty() {
        return Err(ApiError::bad_request(
            "An enumeration property needs options",
        ));
    }
    let group_name = input.group_name.clone().unwrap_or_default();
    if store.schema.group(kind, &group_name).is_none() {
        // UNVERIFIED: HubSpot's answer for an unknown group; the doc says to create it first.
        return Err(ApiError::bad_request(format!(
            "Property group {group_name} does not exist"
        )));
    }
    Ok(PropertyDef {
        name,
        label: input.label.clone().unwrap_or_default(),
        property_type,
        field_type,
        group_name,
        description: input.description.clone().unwrap_or_default(),
        options: input.options.clone(),
        has_unique_value: input.has_unique_value,
        read_only_value: false,
        calculated: false,
        hubspot_defined: false,
        hidden: input.hidden,
        display_order: input.display_order.unwrap_or(-1),
        created_at_ms: now_ms,
    })
}

async fn list(
    State(hub): State<SharedHub>,
    Path(object_type): Path<String>,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    let store = hub.store();
    let results: Vec<Value> = store
        .schema
        .properties(kind)
        .map(PropertyDef::to_json)
        .collect();
    Ok(Json(json!({"results": results})).into_response())
}

async fn read(
    State(hub): State<SharedHub>,
    Path((object_type, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    let store = hub.store();
    let p = store.schema.property(kind, &name).ok_or_else(|| {
        ApiError::not_found(format!(
            "Unable to find property {name} for object type {}",
            kind.path_name()
        ))
    })?;
    Ok(Json(p.to_json()).into_response())
}

async fn create(
    State(hub): State<SharedHub>,
    Path(object_type): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    let input: PropertyCreate = body(&bytes)?;
    let now = hub.clock.now_ms();
    let mut store = hub.store();
    let def = check_property(&store, kind, &input, now)?;
    let v = def.to_json();
    store.schema.add_property(kind, def);
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn batch_create(
    State(hub): State<SharedHub>,
    Path(object_type): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    let inputs: Vec<PropertyCreate> = batch_inputs(&bytes, 100)?;
    let now = hub.clock.now_ms();
    let mut store = hub.store();
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for input in &inputs {
        match check_property(&store, kind, input, now) {
            Ok(def) => {
                results.push(def.to_json());
                store.schema.add_property(kind, def);
            }
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
        Json(batch_response(results, errors, now, hub.clock.now_ms())),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct NameInput {
    name: String,
}

async fn batch_read(
    State(hub): State<SharedHub>,
    Path(object_type): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    let inputs: Vec<NameInput> = batch_inputs(&bytes, 100)?;
    let now = hub.clock.now_ms();
    let store = hub.store();
    let results: Vec<Value> = inputs
        .iter()
        .filter_map(|i| {
            store
                .schema
                .property(kind, &i.name)
                .map(PropertyDef::to_json)
        })
        .collect();
    Ok(Json(batch_response(results, Vec::new(), now, now)).into_response())
}

async fn list_groups(
    State(hub): State<SharedHub>,
    Path(object_type): Path<String>,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    let store = hub.store();
    let results: Vec<Value> = store.schema.groups(kind).map(GroupDef::to_json).collect();
    Ok(Json(json!({"results": results})).into_response())
}

async fn read_group(
    State(hub): State<SharedHub>,
    Path((object_type, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    let store = hub.store();
    let g = store
        .schema
        .group(kind, &name)
        .ok_or_else(|| ApiError::not_found(format!("Unable to find group {name}")))?;
    Ok(Json(g.to_json()).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupCreate {
    name: String,
    label: String,
    #[serde(default)]
    display_order: Option<i64>,
}

async fn create_group(
    State(hub): State<SharedHub>,
    Path(object_type): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    let input: GroupCreate = body(&bytes)?;
    let mut store = hub.store();
    if store.schema.group(kind, &input.name).is_some() {
        // UNVERIFIED body.
        return Err(ApiError::object_already_exists(format!(
            "A property group named '{}' already exists.",
            input.name
        )));
    }
    let g = GroupDef {
        name: input.name,
        label: input.label,
        display_order: input.display_order.unwrap_or(-1),
    };
    let v = g.to_json();
    store.schema.add_group(kind, g);
    Ok((StatusCode::CREATED, Json(v)).into_response())
}
