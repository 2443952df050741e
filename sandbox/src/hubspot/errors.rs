//! HubSpot error bodies (docs/hubspot.md §9.3, §9.4 and the captured fixtures), built in one
//! place: `ApiError` for whole-request errors and `BatchError` for entries inside a 207.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::object_types::ObjectKind;

/// The response header carrying the same id as the body's `correlationId` (docs/hubspot.md §9.2).
pub const CORRELATION_HEADER: &str = "x-hubspot-correlation-id";

/// A whole-request HubSpot error: status plus body fields (without `correlationId`, which is
/// added when the response is built, together with the header).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    /// Body fields in HubSpot's order (`status`, `message`, then the rest).
    pub body: Map<String, Value>,
}

fn body(message: impl Into<String>, category: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("status".into(), "error".into());
    m.insert("message".into(), message.into().into());
    m.insert("category".into(), category.into());
    m
}

impl ApiError {
    fn new(status: StatusCode, body: Map<String, Value>) -> Self {
        Self { status, body }
    }

    /// The `message` field.
    pub fn message(&self) -> &str {
        self.body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The `category` field.
    pub fn category(&self) -> &str {
        self.body
            .get("category")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// docs/hubspot.md §9.4 (401, fixture `error-401-invalid-authentication.json`). Also used for
    /// expired tokens: UNVERIFIED whether HubSpot words those differently.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            body(
                "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                "INVALID_AUTHENTICATION",
            ),
        )
    }

    /// docs/hubspot.md §9.4 404 (fixture `error-404-object-not-found.json`, two spaces included).
    pub fn object_not_found(id: &str) -> Self {
        let mut b = body(
            "Object not found.  objectId are usually numeric.",
            "OBJECT_NOT_FOUND",
        );
        b.insert("context".into(), json!({"id": [id]}));
        Self::new(StatusCode::NOT_FOUND, b)
    }

    /// A 404 for something that is not a CRM record (a property, a group, a route).
    /// UNVERIFIED wording.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, body(message, "OBJECT_NOT_FOUND"))
    }

    /// docs/hubspot.md §9.4 generic 400 with per-property `errors[]` (fixture `error-400-validation.json`).
    pub fn validation(message: impl Into<String>, errors: Vec<Value>) -> Self {
        let mut b = body(message, "VALIDATION_ERROR");
        if !errors.is_empty() {
            b.insert("errors".into(), Value::Array(errors));
        }
        Self::new(StatusCode::BAD_REQUEST, b)
    }

    /// A 400 `VALIDATION_ERROR` with only a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::validation(message, Vec::new())
    }

    /// docs/hubspot.md §2.2: more than 100 inputs (fixture `error-400-batch-inputs-over-100.json`).
    pub fn batch_too_large() -> Self {
        Self::bad_request(
            "The maximum number of inputs supported in a batch is 100. Please reduce the number of items and try again",
        )
    }

    /// docs/hubspot.md §2.5: creating a contact whose email exists (fixture
    /// `error-409-contact-exists.json`; no `context`). For other objects' unique properties the
    /// same shape with the object's label is used: UNVERIFIED wording.
    pub fn already_exists(kind: ObjectKind, existing_id: u64) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            body(
                format!(
                    "{} already exists. Existing ID: {existing_id}",
                    kind.label()
                ),
                "CONFLICT",
            ),
        )
    }

    /// docs/hubspot.md §2.5: a unique value clash on update (fixture
    /// `error-400-unique-value-conflict.json`). UNVERIFIED that PATCH answers this (the doc
    /// calls it the most likely answer).
    pub fn unique_value_taken(
        portal_id: u64,
        kind: ObjectKind,
        property: &str,
        value: &str,
        written_id: u64,
        holder_id: u64,
    ) -> Self {
        Self::bad_request(format!(
            "Cannot set PropertyValueCoordinates{{portalId={portal_id}, objectTypeId=ObjectTypeId{{legacyObjectType={}}}, propertyName={property}, value={value}}} on {written_id}. {holder_id} already has that value.",
            kind.legacy_name()
        ))
    }

    /// A 409 for a property or group that exists. UNVERIFIED body: category and wording.
    pub fn object_already_exists(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, body(message, "OBJECT_ALREADY_EXISTS"))
    }

    /// Creating a payment on a portal without HubSpot payments or Stripe (docs/hubspot.md §2.9:
    /// "the account must be set up to collect payments through either HubSpot payments or
    /// Stripe payment processing"). UNVERIFIED (§2.9, §9.4): no source shows the refusal. The
    /// sandbox answers 403 `MISSING_SCOPES` in the §9.4 error shape, because the gate is a
    /// permission of the account, not a fault in the request body, and 403 is the status §9.4
    /// lists for "not allowed although the token is valid"; no scopes are named since adding
    /// one would not help.
    pub fn payments_not_set_up() -> Self {
        let mut b = body(
            "This account is not set up to collect payments through HubSpot payments or Stripe payment processing, so payments cannot be created through the API.",
            "MISSING_SCOPES",
        );
        b.insert("subCategory".into(), "PAYMENTS_NOT_SET_UP".into());
        Self::new(StatusCode::FORBIDDEN, b)
    }

    /// docs/hubspot.md §9.3 burst 429 (fixture `error-429-ten-secondly.json`).
    pub fn ten_secondly_limit() -> Self {
        let mut b = Map::new();
        b.insert("status".into(), "error".into());
        b.insert(
            "message".into(),
            "You have reached your ten_secondly_rolling limit.".into(),
        );
        b.insert("errorType".into(), "RATE_LIMIT".into());
        b.insert("policyName".into(), "TEN_SECONDLY_ROLLING".into());
        Self::new(StatusCode::TOO_MANY_REQUESTS, b)
    }

    /// docs/hubspot.md §2.4/§9.3 search 429 (fixture `error-429-search-secondly.json`).
    pub fn secondly_limit() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            body("You have reached your secondly limit.", "RATE_LIMITS"),
        )
    }

    /// An error for an injected fault status (the control API's `faults`).
    /// UNVERIFIED wording for 5xx; 423 and 477 follow docs/hubspot.md §9.4's descriptions.
    pub fn injected(status: StatusCode) -> Self {
        match status.as_u16() {
            401 => Self::unauthorized(),
            429 => Self::ten_secondly_limit(),
            423 => Self::new(
                status,
                body(
                    "Locked: attempting to sync a large volume of data. Locks will last for 2 seconds.",
                    "LOCKED",
                ),
            ),
            477 => Self::new(
                status,
                body("Migration in progress.", "MIGRATION_IN_PROGRESS"),
            ),
            s if s >= 500 => Self::new(
                status,
                body(
                    format!("Internal error ({s}), injected by the sandbox."),
                    "INTERNAL_ERROR",
                ),
            ),
            s => Self::new(
                status,
                body(
                    format!("Error {s}, injected by the sandbox."),
                    "VALIDATION_ERROR",
                ),
            ),
        }
    }
}

/// A fresh correlation id.
pub fn correlation_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let id = correlation_id();
        // Key order as in the fixtures: status, message, [errorType], correlationId, ...
        let mut ordered = Map::new();
        for key in ["status", "message", "errorType"] {
            if let Some(v) = self.body.get(key) {
                ordered.insert(key.into(), v.clone());
            }
        }
        ordered.insert("correlationId".into(), id.clone().into());
        for (k, v) in self.body {
            ordered.entry(k).or_insert(v);
        }
        let mut response = (self.status, axum::Json(Value::Object(ordered))).into_response();
        if let Ok(v) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(CORRELATION_HEADER, v);
        }
        if self.status.as_u16() == 477 {
            // docs/hubspot.md §9.2: 477 carries Retry-After in seconds.
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from_static("2"));
        }
        response
    }
}

/// One error inside a batch response's `errors[]` (docs/hubspot.md §2.2: `status`, `category`,
/// `message`, `context`).
#[derive(Debug, Clone, PartialEq)]
pub struct BatchError {
    pub category: String,
    pub message: String,
    pub context: Map<String, Value>,
}

impl BatchError {
    /// An error from a whole-request error, tagged with the input's `objectWriteTraceId`.
    pub fn from_api(error: &ApiError, trace_id: Option<&str>) -> Self {
        let mut context = error
            .body
            .get("context")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if let Some(t) = trace_id {
            context.insert("objectWriteTraceId".into(), json!([t]));
        }
        Self {
            category: error.category().to_owned(),
            message: error.message().to_owned(),
            context,
        }
    }

    /// docs/hubspot.md §2.2: ids (or `idProperty` values) a batch read/update did not find.
    pub fn not_found(kind: ObjectKind, verb: &str, ids: Vec<String>) -> Self {
        let mut context = Map::new();
        context.insert("ids".into(), json!(ids));
        Self {
            category: "OBJECT_NOT_FOUND".into(),
            message: format!(
                "Could not {verb} some {} objects, they may be deleted or not exist. Check that ids are valid.",
                kind.legacy_name()
            ),
            context,
        }
    }

    /// The JSON entry.
    pub fn to_json(&self) -> Value {
        json!({
            "status": "error",
            "category": self.category,
            "message": self.message,
            "context": self.context,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_message_carries_the_existing_id() {
        let e = ApiError::already_exists(ObjectKind::Contact, 15875483046);
        assert_eq!(e.status, StatusCode::CONFLICT);
        assert_eq!(
            e.message(),
            "Contact already exists. Existing ID: 15875483046"
        );
        assert_eq!(e.category(), "CONFLICT");
    }

    #[test]
    fn batch_error_keeps_context_and_adds_trace_id() {
        let e = ApiError::object_not_found("7");
        let b = BatchError::from_api(&e, Some("t1"));
        assert_eq!(b.context["id"], json!(["7"]));
        assert_eq!(b.context["objectWriteTraceId"], json!(["t1"]));
    }
}
