//! `HubspotError`: every failure of a HubSpot call, parsed from HubSpot's error body
//! (docs/hubspot.md §9.3, §9.4) into typed cases, and how each case is retried (`ClassifyRetry`).

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::http::{ClassifyRetry, RetryClass};

use super::limits;

/// HubSpot's error body (`Error` / `StandardError` in the spec). Every field is optional
/// because captured bodies differ (§9.4: "Treat every field as optional when parsing").
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ApiErrorBody {
    pub status: Option<String>,
    pub message: Option<String>,
    pub correlation_id: Option<String>,
    /// Open set of strings (§9.4: "parse `category` as a string, not a closed enum").
    pub category: Option<String>,
    pub sub_category: Option<String>,
    pub errors: Vec<ApiErrorDetail>,
    pub context: Option<Value>,
    pub links: Option<Value>,
    /// Rate-limit bodies (§9.3).
    pub error_type: Option<String>,
    pub policy_name: Option<String>,
    pub group_name: Option<String>,
    /// OAuth bodies use RFC 6749 fields next to the legacy ones (§1.3).
    #[serde(rename = "error")]
    pub oauth_error: Option<String>,
    #[serde(rename = "error_description")]
    pub oauth_error_description: Option<String>,
}

/// One entry of `errors[]` (§9.4).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ApiErrorDetail {
    pub message: Option<String>,
    #[serde(rename = "in")]
    pub in_: Option<String>,
    pub code: Option<String>,
    pub sub_category: Option<String>,
    pub context: Option<Value>,
}

impl ApiErrorBody {
    /// Parses a body; a body that is not HubSpot's JSON keeps its text (shortened) as `message`.
    pub fn parse(bytes: &[u8]) -> Self {
        serde_json::from_slice(bytes).unwrap_or_else(|_| {
            let text = String::from_utf8_lossy(bytes);
            ApiErrorBody {
                message: (!text.trim().is_empty()).then(|| text.chars().take(500).collect()),
                ..Default::default()
            }
        })
    }

    pub fn message(&self) -> &str {
        self.message.as_deref().unwrap_or("")
    }

    /// Property names the error points at: `errors[].context.propertyName`, `errors[].in`,
    /// and the `"name"` fields of the JSON embedded in `message` for batch validation errors (§2.2).
    pub fn property_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for detail in &self.errors {
            if let Some(list) = detail
                .context
                .as_ref()
                .and_then(|c| c.get("propertyName"))
                .and_then(Value::as_array)
            {
                names.extend(list.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            if let Some(name) = &detail.in_ {
                names.push(name.clone());
            }
        }
        names.extend(embedded_property_names(self.message()));
        if let Some(name) = unique_clash(self.message()).and_then(|c| c.property) {
            names.push(name);
        }
        names.sort();
        names.dedup();
        names
    }

    /// Scopes named in a 403 `MISSING_SCOPES` body: `context.missingScopes`,
    /// `errors[].context.requiredGranularScopes` or the older `requiredScopes` (§9.4).
    pub fn scopes(&self) -> Vec<String> {
        let mut scopes = Vec::new();
        let mut take = |ctx: Option<&Value>| {
            for key in ["missingScopes", "requiredGranularScopes", "requiredScopes"] {
                if let Some(list) = ctx.and_then(|c| c.get(key)).and_then(Value::as_array) {
                    scopes.extend(list.iter().filter_map(Value::as_str).map(str::to_owned));
                }
            }
        };
        take(self.context.as_ref());
        for detail in &self.errors {
            take(detail.context.as_ref());
        }
        scopes
    }
}

/// `Property values were not valid: [{..."name":"missing"...}]` carries a JSON array inside the
/// message (§2.2); returns the `name`s in it.
fn embedded_property_names(message: &str) -> Vec<String> {
    let Some(start) = message.find('[') else {
        return Vec::new();
    };
    match serde_json::from_str::<Vec<Value>>(&message[start..]) {
        Ok(items) => items
            .iter()
            .filter_map(|v| v.get("name").and_then(Value::as_str))
            .map(str::to_owned)
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// What a unique-value clash message says (§2.5, fixture `error-400-unique-value-conflict.json`).
struct UniqueClash {
    property: Option<String>,
    holder_id: String,
}

/// Parses `"... propertyName=email, value=... on 552148386511. 552239500007 already has that value."`.
fn unique_clash(message: &str) -> Option<UniqueClash> {
    let end = message.find(" already has that value")?;
    let holder_id: String = message[..end]
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if holder_id.is_empty() {
        return None;
    }
    let property = message.find("propertyName=").map(|i| {
        message[i + "propertyName=".len()..]
            .chars()
            .take_while(|c| *c != ',' && *c != '}')
            .collect()
    });
    Some(UniqueClash {
        property,
        holder_id,
    })
}

/// The id of the record already holding a unique value, from a 409 or a 400 clash message.
pub(crate) fn conflict_holder(message: &str) -> Option<String> {
    existing_id(message).or_else(|| unique_clash(message).map(|c| c.holder_id))
}

/// `"Contact already exists. Existing ID: 15875483046"` → `15875483046` (§2.5: `Existing ID:\s*(\d+)`).
fn existing_id(message: &str) -> Option<String> {
    let rest = &message[message.find("Existing ID:")? + "Existing ID:".len()..];
    let id: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!id.is_empty()).then_some(id)
}

/// Which HubSpot limit a 429 hit (§9.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RateLimitPolicy {
    /// The 110 requests / 10 s burst bucket.
    TenSecondlyRolling,
    /// Search's 5 requests / s.
    Secondly,
    /// The account's daily cap: waiting inside a call cannot help.
    Daily,
    /// A policy name we do not know (kept as sent).
    Other(String),
}

impl RateLimitPolicy {
    /// From `policyName`, else from the message text ("You have reached your secondly limit."),
    /// since the captured search 429 has no `policyName` (§9.3: "Match on the message text").
    fn from_body(body: &ApiErrorBody) -> Self {
        let name = body.policy_name.as_deref().unwrap_or("");
        let msg = body.message().to_ascii_lowercase();
        match name {
            "TEN_SECONDLY_ROLLING" => Self::TenSecondlyRolling,
            "SECONDLY" => Self::Secondly,
            "DAILY" => Self::Daily,
            "" if msg.contains("ten_secondly") => Self::TenSecondlyRolling,
            "" if msg.contains("secondly limit") => Self::Secondly,
            "" if msg.contains("daily limit") => Self::Daily,
            "" => Self::Other(String::new()),
            other => Self::Other(other.to_owned()),
        }
    }
}

/// Every way a HubSpot call can fail. Never contains a token (tokens are only in headers).
#[derive(Debug, thiserror::Error)]
pub enum HubspotError {
    #[error("HubSpot rate limit {policy:?} hit: {}", body.message())]
    RateLimited {
        policy: RateLimitPolicy,
        /// From `Retry-After`, or the window from `X-HubSpot-RateLimit-Interval-Milliseconds`.
        retry_after: Option<Duration>,
        body: Box<ApiErrorBody>,
    },
    #[error("HubSpot object not found: {}", body.message())]
    NotFound { body: Box<ApiErrorBody> },
    #[error("HubSpot rejected the input (properties {properties:?}): {}", body.message())]
    Validation {
        properties: Vec<String>,
        body: Box<ApiErrorBody>,
    },
    /// 409, or 400 "already has that value": a unique value (e.g. email) is held by
    /// `existing_id` (§2.5: "treat both 409 CONFLICT and 400 with 'already has that value' as
    /// 'email taken'").
    #[error("HubSpot conflict (existing id {existing_id:?}): {}", body.message())]
    Conflict {
        existing_id: Option<String>,
        body: Box<ApiErrorBody>,
    },
    #[error("HubSpot authentication failed: {}", body.message())]
    Unauthorized { body: Box<ApiErrorBody> },
    #[error("HubSpot token lacks scopes {scopes:?}")]
    MissingScopes {
        scopes: Vec<String>,
        body: Box<ApiErrorBody>,
    },
    /// 5xx, 423 Locked, 477 Migration in Progress (§9.4).
    #[error("HubSpot transient failure {status}: {}", body.message())]
    Transient {
        status: u16,
        retry_after: Option<Duration>,
        body: Box<ApiErrorBody>,
    },
    /// Any other non-success status.
    #[error("HubSpot answered {status}: {}", body.message())]
    Api {
        status: u16,
        body: Box<ApiErrorBody>,
    },
    /// The OAuth token endpoint refused (RFC 6749 `error`, §1.3).
    #[error("HubSpot OAuth error {error}: {description}")]
    OAuth { error: String, description: String },
    /// The request never got an answer (connect failure, timeout, reset).
    #[error("HubSpot request failed ({}): {source}", if *.not_sent { "not sent" } else { "outcome unknown" })]
    Transport {
        /// True when the request certainly did not reach HubSpot (connect failure), so even a
        /// create may be retried.
        not_sent: bool,
        #[source]
        source: reqwest::Error,
    },
    /// HubSpot answered 2xx with a body we could not read.
    #[error("unreadable HubSpot response for {what}: {source}")]
    Decode {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    /// We refused to send a request HubSpot would reject (limits from the docs).
    #[error("invalid HubSpot request: {0}")]
    InvalidRequest(String),
}

pub type Result<T, E = HubspotError> = std::result::Result<T, E>;

impl HubspotError {
    /// Builds the typed error from a non-success status, its headers and its body.
    pub fn from_response(status: u16, headers: &reqwest::header::HeaderMap, bytes: &[u8]) -> Self {
        let body = Box::new(ApiErrorBody::parse(bytes));
        let retry_after = header_secs(headers, "retry-after");
        let category = body.category.as_deref().unwrap_or("");
        match status {
            429 => {
                let interval = headers
                    .get("x-hubspot-ratelimit-interval-milliseconds")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_millis);
                HubspotError::RateLimited {
                    policy: RateLimitPolicy::from_body(&body),
                    retry_after: retry_after.or(interval),
                    body,
                }
            }
            401 => HubspotError::Unauthorized { body },
            403 if category == "MISSING_SCOPES" || !body.scopes().is_empty() => {
                HubspotError::MissingScopes {
                    scopes: body.scopes(),
                    body,
                }
            }
            404 => HubspotError::NotFound { body },
            409 => HubspotError::Conflict {
                existing_id: conflict_holder(body.message()),
                body,
            },
            400 if unique_clash(body.message()).is_some() => HubspotError::Conflict {
                existing_id: unique_clash(body.message()).map(|c| c.holder_id),
                body,
            },
            400 => HubspotError::Validation {
                properties: body.property_names(),
                body,
            },
            423 | 477 | 500..=599 => HubspotError::Transient {
                status,
                retry_after: if status == 423 {
                    // §9.4: "Locks will last for 2 seconds".
                    Some(retry_after.unwrap_or_default().max(limits::LOCKED_WAIT))
                } else {
                    retry_after
                },
                body,
            },
            _ if category == "OBJECT_NOT_FOUND" => HubspotError::NotFound { body },
            _ => HubspotError::Api { status, body },
        }
    }

    /// The parsed error body, when HubSpot sent one.
    pub fn body(&self) -> Option<&ApiErrorBody> {
        match self {
            HubspotError::RateLimited { body, .. }
            | HubspotError::NotFound { body }
            | HubspotError::Validation { body, .. }
            | HubspotError::Conflict { body, .. }
            | HubspotError::Unauthorized { body }
            | HubspotError::MissingScopes { body, .. }
            | HubspotError::Transient { body, .. }
            | HubspotError::Api { body, .. } => Some(&**body),
            _ => None,
        }
    }

    /// HubSpot's `correlationId`, for support tickets and logs.
    pub fn correlation_id(&self) -> Option<&str> {
        self.body().and_then(|b| b.correlation_id.as_deref())
    }

    /// Whether HubSpot certainly did not process the request: a 429 (throttled before
    /// processing) or a connection that was never made.
    pub fn certainly_not_processed(&self) -> bool {
        matches!(
            self,
            HubspotError::RateLimited { .. } | HubspotError::Transport { not_sent: true, .. }
        )
    }
}

fn header_secs(headers: &reqwest::header::HeaderMap, name: &str) -> Option<Duration> {
    headers
        .get(name)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

impl ClassifyRetry for HubspotError {
    fn retry_class(&self) -> RetryClass {
        match self {
            HubspotError::RateLimited {
                policy,
                retry_after,
                ..
            } => match policy {
                RateLimitPolicy::Daily => RetryClass::Permanent,
                RateLimitPolicy::Secondly => RetryClass::Throttled {
                    wait: retry_after.unwrap_or(limits::SECONDLY_WAIT),
                },
                RateLimitPolicy::TenSecondlyRolling | RateLimitPolicy::Other(_) => {
                    RetryClass::Throttled {
                        wait: retry_after.unwrap_or(limits::TEN_SECONDLY_WAIT),
                    }
                }
            },
            HubspotError::Transient { retry_after, .. } => match retry_after {
                // A 477 may say "come back in 24 hours": hand it to the caller to reschedule.
                Some(wait) if *wait > limits::MAX_INLINE_RETRY_AFTER => RetryClass::Permanent,
                _ => RetryClass::Transient {
                    retry_after: *retry_after,
                },
            },
            HubspotError::Transport { .. } => RetryClass::Transient { retry_after: None },
            _ => RetryClass::Permanent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../tests/fixtures/hubspot/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn parse(status: u16, name: &str) -> HubspotError {
        HubspotError::from_response(status, &HeaderMap::new(), &fixture(name))
    }

    #[test]
    fn ten_secondly_429_throttles_for_the_window() {
        let err = parse(429, "error-429-ten-secondly.json");
        let HubspotError::RateLimited { policy, body, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*policy, RateLimitPolicy::TenSecondlyRolling);
        assert_eq!(
            body.correlation_id.as_deref(),
            Some("64f5906e-d941-43a8-88fe-367aa32bf1a7")
        );
        assert_eq!(
            err.retry_class(),
            RetryClass::Throttled {
                wait: Duration::from_secs(10)
            }
        );
    }

    #[test]
    fn the_interval_header_sets_the_ten_secondly_wait() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "X-HubSpot-RateLimit-Interval-Milliseconds",
            HeaderValue::from_static("4000"),
        );
        let err =
            HubspotError::from_response(429, &headers, &fixture("error-429-ten-secondly.json"));
        assert_eq!(
            err.retry_class(),
            RetryClass::Throttled {
                wait: Duration::from_secs(4)
            }
        );
    }

    #[test]
    fn search_429_without_policy_name_is_secondly_by_its_message() {
        let err = parse(429, "error-429-search-secondly.json");
        assert!(matches!(
            err,
            HubspotError::RateLimited {
                policy: RateLimitPolicy::Secondly,
                ..
            }
        ));
        assert_eq!(
            err.retry_class(),
            RetryClass::Throttled {
                wait: Duration::from_secs(1)
            }
        );
    }

    #[test]
    fn daily_limit_is_permanent() {
        let body = br#"{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","correlationId":"c033cdaa-2c40-4a64-ae48-b4cec88dad24","policyName":"DAILY","requestId":"3d3e35b7"}"#;
        let err = HubspotError::from_response(429, &HeaderMap::new(), body);
        assert!(matches!(
            err,
            HubspotError::RateLimited {
                policy: RateLimitPolicy::Daily,
                ..
            }
        ));
        assert_eq!(err.retry_class(), RetryClass::Permanent);
    }

    #[test]
    fn contact_exists_409_yields_the_existing_id() {
        let err = parse(409, "error-409-contact-exists.json");
        let HubspotError::Conflict { existing_id, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(existing_id.as_deref(), Some("15875483046"));
        assert_eq!(err.retry_class(), RetryClass::Permanent);
    }

    #[test]
    fn unique_value_400_is_a_conflict_naming_the_holder() {
        let err = parse(400, "error-400-unique-value-conflict.json");
        let HubspotError::Conflict { existing_id, body } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(existing_id.as_deref(), Some("552239500007"));
        assert_eq!(body.property_names(), vec!["email".to_owned()]);
    }

    #[test]
    fn validation_errors_name_their_properties() {
        let err = parse(400, "error-400-validation.json");
        let HubspotError::Validation { properties, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(properties, &vec!["discount".to_owned()]);
        let err = parse(400, "error-400-batch-inputs-over-100.json");
        assert!(
            matches!(err, HubspotError::Validation { ref properties, .. } if properties.is_empty())
        );
        assert!(err.to_string().contains("maximum number of inputs"));
    }

    #[test]
    fn auth_scope_and_not_found_bodies_are_typed() {
        assert!(matches!(
            parse(401, "error-401-invalid-authentication.json"),
            HubspotError::Unauthorized { .. }
        ));
        let err = parse(403, "error-403-missing-scopes.json");
        let HubspotError::MissingScopes { scopes, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(
            scopes,
            &vec!["crm.objects.custom.highly_sensitive.write.v2".to_owned()]
        );
        let err = parse(404, "error-404-object-not-found.json");
        assert!(matches!(err, HubspotError::NotFound { .. }));
        assert_eq!(err.retry_class(), RetryClass::Permanent);
    }

    #[test]
    fn server_errors_locks_and_migrations_are_transient() {
        let mut headers = HeaderMap::new();
        let err = HubspotError::from_response(502, &headers, b"<html>Bad gateway</html>");
        assert_eq!(
            err.retry_class(),
            RetryClass::Transient { retry_after: None }
        );
        assert!(err.to_string().contains("Bad gateway"));
        let err = HubspotError::from_response(423, &headers, b"");
        assert_eq!(
            err.retry_class(),
            RetryClass::Transient {
                retry_after: Some(Duration::from_secs(2))
            }
        );
        headers.insert("Retry-After", HeaderValue::from_static("30"));
        let err = HubspotError::from_response(477, &headers, b"");
        assert_eq!(
            err.retry_class(),
            RetryClass::Transient {
                retry_after: Some(Duration::from_secs(30))
            }
        );
        headers.insert("Retry-After", HeaderValue::from_static("86400"));
        let err = HubspotError::from_response(477, &headers, b"");
        assert_eq!(
            err.retry_class(),
            RetryClass::Permanent,
            "a day-long wait goes back to the caller"
        );
    }

    #[test]
    fn batch_validation_message_yields_embedded_property_names() {
        let body: Value =
            serde_json::from_slice(&fixture("batch-create-multi-status-response-207.json"))
                .unwrap();
        let err: ApiErrorBody = serde_json::from_value(body["errors"][0].clone()).unwrap();
        assert_eq!(err.property_names(), vec!["missing".to_owned()]);
    }
}
