//! `QboError`: every QBO failure as a typed variant (stale object, duplicate name, throttled...),
//! parsed from both fault casings, XML throttle bodies and missing bodies (docs/quickbooks.md §10).

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::http::{ClassifyRetry, RetryClass};

use super::limits::THROTTLE_WAIT;

/// One entry of a fault's `Error` array. `code` is always kept as a string (§10.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultError {
    pub code: String,
    pub message: String,
    pub detail: Option<String>,
    pub element: Option<String>,
}

/// A fault as QBO reported it, with the HTTP status and the `intuit_tid` trace id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFault {
    /// HTTP status; 200 for faults inside a batch item.
    pub status: u16,
    /// `Fault.type` (`ValidationFault`, `SystemFault`, `AUTHENTICATION`, `SERVICE`...).
    pub fault_type: Option<String>,
    pub errors: Vec<FaultError>,
    pub intuit_tid: Option<String>,
}

impl ApiFault {
    /// The first error's code, if any.
    pub fn code(&self) -> Option<&str> {
        self.errors.first().map(|e| e.code.as_str())
    }

    /// The first error's `Detail` (for 6000 this says what the business rule was).
    pub fn detail(&self) -> Option<&str> {
        self.errors.first().and_then(|e| e.detail.as_deref())
    }

    fn has_code(&self, codes: &[&str]) -> bool {
        self.errors.iter().any(|e| codes.contains(&e.code.as_str()))
    }
}

impl fmt::Display for ApiFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if self.errors.is_empty() {
            write!(f, ", no fault body")?;
        }
        for e in &self.errors {
            write!(f, "; code {} {}", e.code, e.message)?;
            if let Some(detail) = e.detail.as_deref().filter(|d| !d.is_empty()) {
                write!(f, ": {detail}")?;
            }
            if let Some(element) = e.element.as_deref().filter(|d| !d.is_empty()) {
                write!(f, " (element {element})")?;
            }
        }
        if let Some(tid) = &self.intuit_tid {
            write!(f, " [intuit_tid {tid}]")?;
        }
        Ok(())
    }
}

/// Everything a QBO call can fail with. API faults keep the whole [`ApiFault`] (codes, details,
/// `intuit_tid`); secrets never appear (401 details naming the token are redacted).
#[derive(Debug, thiserror::Error)]
pub enum QboError {
    /// 5010: the `SyncToken` sent is not the current one; re-read and re-apply.
    #[error("stale object (SyncToken out of date): {0}")]
    StaleObject(ApiFault),
    /// 6240: `DisplayName`/`Name` already used (customers, vendors, employees; items).
    #[error("duplicate name: {0}")]
    DuplicateName(ApiFault),
    /// 6140: `DocNumber` already used.
    #[error("duplicate document number: {0}")]
    DuplicateDocNumber(ApiFault),
    /// 610: the object does not exist or a referenced object is inactive.
    #[error("object not found: {0}")]
    NotFound(ApiFault),
    /// 2500: a `*Ref.value` points to a missing or inactive object.
    #[error("invalid reference: {0}")]
    InvalidReference(ApiFault),
    /// 6000: a business rule failed; `Detail` says which.
    #[error("business validation failed: {0}")]
    BusinessValidation(ApiFault),
    /// HTTP 429 / code 3001. Never a record failure: wait `retry_after` (60 s unless told).
    #[error("throttled (wait {retry_after:?}): {fault}")]
    Throttled {
        fault: ApiFault,
        retry_after: Duration,
    },
    /// HTTP 401 / code 3200: the access token expired or is malformed; refresh once.
    #[error("authentication failed: {0}")]
    Authentication(ApiFault),
    /// HTTP 403 / 3100, or 120: not authorized for this company; the user must reconnect.
    #[error("authorization failed: {0}")]
    Authorization(ApiFault),
    /// 6190: the company's subscription ended; pause the connection.
    #[error("company inactive: {0}")]
    CompanyInactive(ApiFault),
    /// 6210: the books are closed for that date.
    #[error("accounting period closed: {0}")]
    PeriodClosed(ApiFault),
    /// 5xx or a `SystemFault` (10000): may pass, retried with backoff.
    #[error("QuickBooks service error: {0}")]
    Transient(ApiFault),
    /// Other request validation faults (2010, 2020, 2050, 2170, 2210, 4000, 4001, 4002, 6070...).
    #[error("request rejected: {0}")]
    Validation(ApiFault),
    /// A fault none of the above describes.
    #[error("QuickBooks error: {0}")]
    Other(ApiFault),
    /// The request never got an HTTP answer (connect, timeout, reset).
    #[error("QuickBooks request failed: {0}")]
    Transport(#[source] reqwest::Error),
    /// A success response whose body did not have the documented shape.
    #[error("unexpected QuickBooks response for {context}: {message}{}", tid_suffix(.intuit_tid))]
    Decode {
        context: String,
        message: String,
        intuit_tid: Option<String>,
    },
    /// Input the client refused to send (too-long requestid, bad id, empty batch...).
    #[error("invalid QuickBooks request: {0}")]
    InvalidRequest(String),
    /// CDC only looks back 30 days (§7): re-read with queries instead.
    #[error(
        "CDC changedSince {changed_since} is older than the 30-day look-back; re-sync by query"
    )]
    CdcWindowTooOld {
        changed_since: chrono::DateTime<chrono::FixedOffset>,
    },
}

fn tid_suffix(tid: &Option<String>) -> String {
    tid.as_ref()
        .map(|t| format!(" [intuit_tid {t}]"))
        .unwrap_or_default()
}

impl QboError {
    /// The fault behind this error, if QBO sent one.
    pub fn fault(&self) -> Option<&ApiFault> {
        use QboError::*;
        match self {
            StaleObject(f)
            | DuplicateName(f)
            | DuplicateDocNumber(f)
            | NotFound(f)
            | InvalidReference(f)
            | BusinessValidation(f)
            | Authentication(f)
            | Authorization(f)
            | CompanyInactive(f)
            | PeriodClosed(f)
            | Transient(f)
            | Validation(f)
            | Other(f) => Some(f),
            Throttled { fault, .. } => Some(fault),
            Transport(_) | Decode { .. } | InvalidRequest(_) | CdcWindowTooOld { .. } => None,
        }
    }

    /// Intuit's trace id for this failure (log it; Intuit support asks for it).
    pub fn intuit_tid(&self) -> Option<&str> {
        match self {
            QboError::Decode { intuit_tid, .. } => intuit_tid.as_deref(),
            other => other.fault().and_then(|f| f.intuit_tid.as_deref()),
        }
    }

    /// Adds `intuit_tid` to a decode error that has none (the answer's trace id).
    pub(crate) fn with_intuit_tid(self, tid: Option<String>) -> QboError {
        match self {
            QboError::Decode {
                context,
                message,
                intuit_tid: None,
            } => QboError::Decode {
                context,
                message,
                intuit_tid: tid,
            },
            other => other,
        }
    }

    /// The first fault code, if any.
    pub fn code(&self) -> Option<&str> {
        self.fault().and_then(ApiFault::code)
    }

    /// Builds the typed error for a non-success HTTP response. `body` may be JSON in either
    /// casing, XML (throttle faults were captured as XML, §9) or empty. UNVERIFIED (§15 item 8):
    /// the JSON casing of a 429 body; throttling is keyed on HTTP 429 or code 3001 either way.
    pub fn from_response(
        status: u16,
        intuit_tid: Option<String>,
        retry_after: Option<Duration>,
        body: &[u8],
    ) -> QboError {
        let (fault_type, errors) = parse_fault_body(body).unwrap_or_default();
        Self::classify(
            ApiFault {
                status,
                fault_type,
                errors,
                intuit_tid,
            },
            retry_after,
        )
    }

    /// Picks the variant for a fault: codes first (they are more specific than the status),
    /// then the HTTP status.
    pub fn classify(mut fault: ApiFault, retry_after: Option<Duration>) -> QboError {
        let status = fault.status;
        if status == 429 || fault.has_code(&["3001", "003001"]) {
            return QboError::Throttled {
                fault,
                retry_after: retry_after.unwrap_or(THROTTLE_WAIT),
            };
        }
        if fault.has_code(&["120"]) || fault.has_code(&["3100"]) || status == 403 {
            return QboError::Authorization(fault);
        }
        if status == 401 || fault.has_code(&["3200"]) {
            redact_token_details(&mut fault);
            return QboError::Authentication(fault);
        }
        let first_specific = fault.errors.iter().find_map(|e| match e.code.as_str() {
            "5010" => Some(QboError::StaleObject as fn(ApiFault) -> QboError),
            "6240" => Some(QboError::DuplicateName as fn(ApiFault) -> QboError),
            "6140" => Some(QboError::DuplicateDocNumber as fn(ApiFault) -> QboError),
            "610" => Some(QboError::NotFound as fn(ApiFault) -> QboError),
            "2500" => Some(QboError::InvalidReference as fn(ApiFault) -> QboError),
            "6000" => Some(QboError::BusinessValidation as fn(ApiFault) -> QboError),
            "6190" => Some(QboError::CompanyInactive as fn(ApiFault) -> QboError),
            "6210" => Some(QboError::PeriodClosed as fn(ApiFault) -> QboError),
            _ => None,
        });
        if let Some(variant) = first_specific {
            return variant(fault);
        }
        let system_fault =
            fault.fault_type.as_deref() == Some("SystemFault") || fault.has_code(&["10000"]);
        if status >= 500 || system_fault {
            return QboError::Transient(fault);
        }
        let validation = fault.errors.iter().any(|e| {
            e.code
                .parse::<u32>()
                .is_ok_and(|c| (2000..5000).contains(&c) || (6000..7000).contains(&c))
        }) || fault.fault_type.as_deref() == Some("ValidationFault");
        if validation {
            QboError::Validation(fault)
        } else {
            QboError::Other(fault)
        }
    }
}

impl ClassifyRetry for QboError {
    fn retry_class(&self) -> RetryClass {
        match self {
            QboError::Throttled { retry_after, .. } => RetryClass::Throttled { wait: *retry_after },
            QboError::Transient(_) => RetryClass::Transient { retry_after: None },
            QboError::Transport(e) if !e.is_builder() => {
                RetryClass::Transient { retry_after: None }
            }
            _ => RetryClass::Permanent,
        }
    }
}

/// 401 details name the access token ("Token expired: AB01..."), which must never reach logs.
fn redact_token_details(fault: &mut ApiFault) {
    for e in &mut fault.errors {
        if let Some(detail) = &e.detail
            && detail.to_ascii_lowercase().contains("token")
        {
            let kept = detail.split(':').next().unwrap_or("").trim().to_string();
            e.detail = Some(format!("{kept}: [redacted]"));
        }
    }
}

/// The fault object in either casing: `{"Fault":{"Error":[..],"type"}}` or
/// `{"fault":{"error":[..],"type"}}` (§10.1).
#[derive(Debug, Deserialize)]
pub(crate) struct RawFault {
    #[serde(rename = "Error", alias = "error", default)]
    errors: Option<Vec<RawFaultError>>,
    #[serde(rename = "type", default)]
    fault_type: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawFaultError {
    #[serde(rename = "Message", alias = "message", default)]
    message: Option<String>,
    #[serde(rename = "Detail", alias = "detail", default)]
    detail: Option<String>,
    #[serde(default)]
    code: Option<Value>,
    #[serde(default)]
    element: Option<String>,
}

impl RawFault {
    pub(crate) fn into_parts(self) -> (Option<String>, Vec<FaultError>) {
        let errors = self
            .errors
            .unwrap_or_default()
            .into_iter()
            .map(|e| FaultError {
                code: match e.code {
                    Some(Value::String(s)) => s,
                    Some(Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                },
                message: e.message.unwrap_or_default(),
                detail: e.detail,
                element: e.element,
            })
            .collect();
        (self.fault_type, errors)
    }

    /// Builds the typed error for a fault found inside a batch item or a 2xx body.
    pub(crate) fn into_error(self, status: u16, intuit_tid: Option<String>) -> QboError {
        let (fault_type, errors) = self.into_parts();
        QboError::classify(
            ApiFault {
                status,
                fault_type,
                errors,
                intuit_tid,
            },
            None,
        )
    }
}

#[derive(Debug, Deserialize)]
struct FaultEnvelope {
    #[serde(rename = "Fault", alias = "fault", default)]
    fault: Option<RawFault>,
}

/// Looks for a fault in a JSON value of either casing (used on 2xx bodies too, defensively).
pub(crate) fn fault_in(value: &Value) -> Option<RawFault> {
    let obj = value.as_object()?;
    let fault = obj.get("Fault").or_else(|| obj.get("fault"))?;
    if fault.is_null() {
        return None;
    }
    serde_json::from_value(fault.clone()).ok()
}

fn parse_fault_body(body: &[u8]) -> Option<(Option<String>, Vec<FaultError>)> {
    let text = std::str::from_utf8(body).ok()?.trim();
    if text.starts_with('<') {
        return parse_xml_fault(text);
    }
    let envelope: FaultEnvelope = serde_json::from_str(text).ok()?;
    envelope.fault.map(RawFault::into_parts)
}

/// Reads the one XML fault shape QBO was captured sending (the 429 throttle, §9). Hand-written
/// because this single, flat shape does not justify an XML parser dependency.
fn parse_xml_fault(text: &str) -> Option<(Option<String>, Vec<FaultError>)> {
    let attr = |name: &str, within: &str| -> Option<String> {
        let start = within.find(&format!("{name}=\""))? + name.len() + 2;
        let end = within[start..].find('"')? + start;
        Some(within[start..end].to_string())
    };
    let element = |tag: &str, within: &str| -> Option<String> {
        let open = format!("<{tag}>");
        let start = within.find(&open)? + open.len();
        let end = within[start..].find(&format!("</{tag}>"))? + start;
        Some(xml_unescape(&within[start..end]))
    };
    let fault_at = text.find("<Fault")?;
    let fault_text = &text[fault_at..];
    let fault_type = attr("type", &fault_text[..fault_text.find('>')?]);
    let mut errors = Vec::new();
    let mut rest = fault_text;
    while let Some(at) = rest.find("<Error") {
        let from_here = &rest[at..];
        let end = from_here
            .find("</Error>")
            .map(|e| e + "</Error>".len())
            .unwrap_or(from_here.len());
        let block = &from_here[..end];
        let head = &block[..block.find('>').unwrap_or(block.len())];
        errors.push(FaultError {
            code: attr("code", head).unwrap_or_default(),
            message: element("Message", block).unwrap_or_default(),
            detail: element("Detail", block),
            element: attr("element", head),
        });
        rest = &from_here[end..];
    }
    Some((fault_type, errors))
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../tests/fixtures/quickbooks/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn from_fixture(status: u16, name: &str) -> QboError {
        QboError::from_response(status, Some("tid-1".into()), None, &fixture(name))
    }

    #[test]
    fn application_faults_map_to_their_variants() {
        type IsExpected = fn(&QboError) -> bool;
        let cases: &[(&str, IsExpected)] = &[
            ("error-5010-stale-object.json", |e| {
                matches!(e, QboError::StaleObject(_))
            }),
            ("error-6240-duplicate-name.json", |e| {
                matches!(e, QboError::DuplicateName(_))
            }),
            ("error-6140-duplicate-docnumber.json", |e| {
                matches!(e, QboError::DuplicateDocNumber(_))
            }),
            ("error-610-object-not-found.json", |e| {
                matches!(e, QboError::NotFound(_))
            }),
            ("error-2500-invalid-reference.json", |e| {
                matches!(e, QboError::InvalidReference(_))
            }),
            ("error-6000-business-validation.json", |e| {
                matches!(e, QboError::BusinessValidation(_))
            }),
            ("error-2020-required-param-missing.json", |e| {
                matches!(e, QboError::Validation(_))
            }),
            ("error-2050-string-length.json", |e| {
                matches!(e, QboError::Validation(_))
            }),
            ("error-4000-query-parser.json", |e| {
                matches!(e, QboError::Validation(_))
            }),
            ("error-4001-maxresults-too-large.json", |e| {
                matches!(e, QboError::Validation(_))
            }),
            ("error-4001-property-not-queryable.json", |e| {
                matches!(e, QboError::Validation(_))
            }),
        ];
        for (name, is_expected) in cases {
            let err = from_fixture(400, name);
            assert!(is_expected(&err), "{name} classified as {err:?}");
            assert_eq!(err.intuit_tid(), Some("tid-1"), "{name} keeps intuit_tid");
            assert_eq!(err.retry_class(), RetryClass::Permanent, "{name}");
        }
    }

    #[test]
    fn business_validation_keeps_its_detail() {
        let err = from_fixture(400, "error-6000-business-validation.json");
        assert_eq!(err.code(), Some("6000"));
        assert_eq!(
            err.fault().unwrap().detail(),
            Some(
                "Business Validation Error: Make sure all your transactions have a GST/HST rate before you save."
            )
        );
    }

    #[test]
    fn several_errors_in_one_fault_are_all_kept() {
        let err = from_fixture(400, "error-2050-string-length.json");
        let fault = err.fault().unwrap();
        assert_eq!(fault.errors.len(), 2);
        assert_eq!(fault.errors[0].element.as_deref(), Some("DocNumber"));
        assert_eq!(fault.errors[1].code, "2020");
    }

    #[test]
    fn the_lowercase_duplicate_name_variant_is_the_same_error() {
        let err = from_fixture(400, "error-6240-duplicate-name-lowercase-variant.json");
        let QboError::DuplicateName(fault) = &err else {
            panic!("got {err:?}")
        };
        assert_eq!(fault.errors[0].message, "Duplicate Name Exists Error");
        assert_eq!(fault.fault_type.as_deref(), Some("ValidationFault"));
    }

    #[test]
    fn the_gateway_401_is_authentication_and_never_shows_the_token() {
        let err = from_fixture(401, "error-401-authentication-lowercase.json");
        assert!(matches!(err, QboError::Authentication(_)), "{err:?}");
        assert_eq!(err.code(), Some("3200"));
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("ACCESS_TOKEN_PLACEHOLDER"), "{shown}");
        assert!(shown.contains("Token expired: [redacted]"), "{shown}");
    }

    #[test]
    fn throttling_waits_sixty_seconds_unless_told() {
        let err = from_fixture(429, "error-429-throttle.json");
        assert_eq!(
            err.retry_class(),
            RetryClass::Throttled {
                wait: Duration::from_secs(60)
            }
        );
        let told = QboError::from_response(429, None, Some(Duration::from_secs(5)), b"");
        assert_eq!(
            told.retry_class(),
            RetryClass::Throttled {
                wait: Duration::from_secs(5)
            }
        );
        // A 3001 code is throttling even under another status (pre-2016 it came as 403, §9).
        let legacy = QboError::from_response(403, None, None, &fixture("error-429-throttle.json"));
        assert!(matches!(legacy, QboError::Throttled { .. }));
    }

    #[test]
    fn the_captured_xml_throttle_body_is_read() {
        let xml = br#"<IntuitResponse time="2016-12-07T15:27:09.527-08:00" xmlns="http://schema.intuit.com/finance/v3">
  <Fault type="SERVICE">
    <Error code="3001">
      <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>
      <Detail>The request limit was reached.  Try again later</Detail>
    </Error>
  </Fault>
</IntuitResponse>"#;
        let err = QboError::from_response(429, None, None, xml);
        let QboError::Throttled { fault, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(fault.fault_type.as_deref(), Some("SERVICE"));
        assert_eq!(fault.code(), Some("3001"));
        assert_eq!(
            fault.detail(),
            Some("The request limit was reached.  Try again later")
        );
    }

    #[test]
    fn missing_bodies_classify_by_status() {
        assert!(matches!(
            QboError::from_response(401, None, None, b""),
            QboError::Authentication(_)
        ));
        assert!(matches!(
            QboError::from_response(403, None, None, b""),
            QboError::Authorization(_)
        ));
        let unavailable = QboError::from_response(503, Some("t".into()), None, b"<html>");
        assert!(matches!(unavailable, QboError::Transient(_)));
        assert_eq!(
            unavailable.retry_class(),
            RetryClass::Transient { retry_after: None }
        );
        assert_eq!(unavailable.intuit_tid(), Some("t"));
    }

    #[test]
    fn authorization_company_and_period_codes() {
        let body = |code: &str| {
            format!(
                r#"{{"Fault":{{"Error":[{{"Message":"m","code":"{code}"}}],"type":"x"}},"time":1}}"#
            )
        };
        let e = QboError::from_response(401, None, None, body("120").as_bytes());
        assert!(
            matches!(e, QboError::Authorization(_)),
            "120 is authorization: {e:?}"
        );
        let e = QboError::from_response(403, None, None, body("3100").as_bytes());
        assert!(matches!(e, QboError::Authorization(_)));
        let e = QboError::from_response(400, None, None, body("6190").as_bytes());
        assert!(matches!(e, QboError::CompanyInactive(_)));
        let e = QboError::from_response(400, None, None, body("6210").as_bytes());
        assert!(matches!(e, QboError::PeriodClosed(_)));
        let e = QboError::from_response(500, None, None, body("10000").as_bytes());
        assert!(matches!(e, QboError::Transient(_)));
        let numeric = r#"{"fault":{"error":[{"message":"m","code":6240}]}}"#;
        let e = QboError::from_response(400, None, None, numeric.as_bytes());
        assert!(
            matches!(e, QboError::DuplicateName(_)),
            "numeric code: {e:?}"
        );
    }
}
