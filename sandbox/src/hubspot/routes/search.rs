//! `POST .../{objectType}/search` (docs/hubspot.md §2.4) over the lagging search index:
//! archived records never match; fresh writes show up after the configured delay.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::{body, kind};
use crate::hubspot::app::SharedHub;
use crate::hubspot::errors::ApiError;
use crate::hubspot::record::{PropertySelection, Record};
use crate::hubspot::search::{
    SearchRequest, check_request, query_matches, record_matches, sort_rows,
};

pub fn router() -> axum::Router<SharedHub> {
    let mut r = Router::new();
    for prefix in ["/crm/v3/objects", "/crm/objects/2026-03"] {
        r = r.route(&format!("{prefix}/{{object_type}}/search"), post(search));
    }
    r
}

async fn search(
    State(hub): State<SharedHub>,
    Path(object_type): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let kind = kind(&object_type)?;
    let req: SearchRequest = if bytes.is_empty() {
        SearchRequest::default()
    } else {
        body(&bytes)?
    };
    let page = check_request(&req).map_err(ApiError::bad_request)?;
    let now = hub.clock.now_ms();
    let mut guard = hub.store();
    // Promote versions whose indexing delay has passed, then read without cloning.
    for record in guard.records_mut(kind) {
        record.search_version(now);
    }
    let store = &*guard;
    let schema = &store.schema;
    let type_of = |name: &str| schema.property(kind, name).map(|p| p.property_type);
    let rows: Vec<(u64, &Record)> = store
        .records(kind)
        .filter(|r| !r.is_archived())
        .filter(|r| {
            r.indexed.as_ref().is_some_and(|v| {
                record_matches(&v.properties, &req.filter_groups, &type_of)
                    && req
                        .query
                        .as_deref()
                        .is_none_or(|q| query_matches(&v.properties, q, kind.query_properties()))
            })
        })
        .map(|r| (r.id, r))
        .collect();
    let rows = sort_rows(
        rows,
        |r| &r.indexed.as_ref().expect("filtered on indexed").properties,
        req.sorts.first().map(|s| s.key()),
        &type_of,
    );
    let total = rows.len();
    let selection =
        PropertySelection::from_names(req.properties.clone(), kind.default_search_properties());
    let results: Vec<Value> = rows
        .iter()
        .skip(page.offset)
        .take(page.limit)
        .filter_map(|(_, record)| {
            let version = record.indexed.as_ref()?;
            let props = record.render_properties(&version.properties, &selection, schema);
            Some(record.render_with(props, version.updated_at_ms))
        })
        .collect();
    let mut v = json!({"total": total, "results": results});
    let next = page.offset + page.limit;
    if next < total {
        // docs/hubspot.md §2.4: `after` is an offset; absent on the last page.
        v["paging"] = json!({"next": {"after": next.to_string()}});
    }
    Ok(Json(v).into_response())
}
