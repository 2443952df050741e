//! The HubSpot API routes, one module per API area, mounted under both the `/crm/v3`/`/crm/v4`
//! paths and the date-based `2026-03` paths (docs/hubspot.md §0 path mapping).

pub mod associations;
pub mod automation;
pub mod batch;
pub mod oauth;
pub mod objects;
pub mod properties;
pub mod search;

use axum::Router;
use axum::body::Bytes;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::app::SharedHub;
use super::errors::ApiError;
use super::object_types::ObjectKind;
use super::record::iso_ms;

/// The date-based API version (docs/hubspot.md §0).
pub const API_VERSION: &str = "2026-03";

/// All authenticated API routes (objects, batch, search, associations, properties).
pub fn api_router(hub: SharedHub) -> Router {
    Router::new()
        .merge(objects::router())
        .merge(batch::router())
        .merge(search::router())
        .merge(associations::router())
        .merge(properties::router())
        .merge(automation::router())
        .with_state(hub)
}

/// The `{objectType}` path segment: a name or a type id (docs/hubspot.md §0).
pub fn kind(segment: &str) -> Result<ObjectKind, ApiError> {
    // UNVERIFIED wording for unknown types.
    ObjectKind::parse(segment).ok_or_else(|| {
        ApiError::bad_request(format!("Unable to infer object type from: {segment}"))
    })
}

/// A record id path segment.
pub fn record_id(segment: &str) -> Result<u64, ApiError> {
    segment
        .parse::<u64>()
        .map_err(|_| ApiError::object_not_found(segment))
}

/// Parses a JSON body into `T`, answering HubSpot-style 400s.
pub fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("Invalid input JSON on line 1: {e}")))
}

/// Query parameters, with repeated and comma-separated lists.
#[derive(Debug, Default, Clone)]
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    pub fn parse(raw: Option<&str>) -> Self {
        Self(
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `properties=a,b&properties=c` -> [a, b, c].
    pub fn list(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }

    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

/// A batch response (docs/hubspot.md §2.2): `status`, `results`, optional `numErrors`/`errors`,
/// `startedAt`, `completedAt`.
pub fn batch_response(
    results: Vec<Value>,
    errors: Vec<Value>,
    started_ms: i64,
    completed_ms: i64,
) -> Value {
    let mut v = json!({"status": "COMPLETE", "results": results});
    if !errors.is_empty() {
        v["numErrors"] = errors.len().into();
        v["errors"] = Value::Array(errors);
    }
    v["startedAt"] = iso_ms(started_ms).into();
    v["completedAt"] = iso_ms(completed_ms).into();
    v
}

/// docs/hubspot.md §2.2: "Result order is not input order" (a captured two-input batch came
/// back reversed). The sandbox rotates results by one so a client matching by position fails
/// its tests; the exact order HubSpot uses is UNVERIFIED.
pub fn unordered(mut results: Vec<Value>) -> Vec<Value> {
    if results.len() > 1 {
        results.rotate_left(1);
    }
    results
}

/// `{"inputs": [...]}` with the 100-input cap (docs/hubspot.md §2.2).
pub fn batch_inputs<T: DeserializeOwned>(bytes: &Bytes, max: usize) -> Result<Vec<T>, ApiError> {
    #[derive(serde::Deserialize)]
    struct Inputs<T> {
        inputs: Vec<T>,
    }
    let v: Value = body(bytes)?;
    let count = v
        .get("inputs")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if count > max {
        return Err(if max == 100 {
            ApiError::batch_too_large()
        } else {
            ApiError::bad_request(format!(
                "The maximum number of inputs supported in a batch is {max}. Please reduce the number of items and try again"
            ))
        });
    }
    let parsed: Inputs<T> = serde_json::from_value(v)
        .map_err(|e| ApiError::bad_request(format!("Invalid input JSON: {e}")))?;
    Ok(parsed.inputs)
}
