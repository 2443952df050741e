//! QBO error bodies ("Fault"s) with their HTTP statuses, one constructor per documented code,
//! so every route answers errors exactly as docs/quickbooks.md §10 shows them.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One entry of `Fault.Error`.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultError {
    pub message: String,
    pub detail: String,
    pub code: String,
    /// `None` omits `element` (query faults have none, §6.1).
    pub element: Option<String>,
}

/// The envelope casing: application faults use `Fault`/`Error`, gateway faults `fault`/`error`
/// with extra null members and an epoch-millis `time` (§10.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultCasing {
    Application,
    Gateway,
}

/// A complete error answer: status, `Fault.type`, errors and casing. `time` is added when rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub status: StatusCode,
    pub fault_type: &'static str,
    pub errors: Vec<FaultError>,
    pub casing: FaultCasing,
}

fn one(status: StatusCode, fault_type: &'static str, e: FaultError) -> Fault {
    Fault {
        status,
        fault_type,
        errors: vec![e],
        casing: FaultCasing::Application,
    }
}

fn validation(code: &str, message: &str, detail: String, element: Option<&str>) -> Fault {
    one(
        StatusCode::BAD_REQUEST,
        "ValidationFault",
        FaultError {
            message: message.to_owned(),
            detail,
            code: code.to_owned(),
            element: element.map(str::to_owned),
        },
    )
}

impl Fault {
    /// docs/quickbooks.md §5.4, fixture `error-5010-stale-object.json`.
    pub fn stale_object() -> Self {
        validation(
            "5010",
            "Stale Object Error",
            "Stale Object Error : You and QBO Sandbox were working on this at the same time. \
             QBO Sandbox finished before you did, so your work was not saved."
                .into(),
            Some(""),
        )
    }

    /// docs/quickbooks.md §4.1, §10.1 (docs wording, batch sample `batch-response.json`).
    pub fn duplicate_name() -> Self {
        validation(
            "6240",
            "Duplicate Name Exists Error",
            "The name supplied already exists. : Another customer, vendor or employee is already \
             using this name. Please use a different name."
                .into(),
            Some(""),
        )
    }

    /// docs/quickbooks.md §5.1, §10.2, fixture `error-610-object-not-found.json`.
    pub fn object_not_found() -> Self {
        validation(
            "610",
            "Object Not Found",
            "Object Not Found : Something you're trying to use has been made inactive. Check the \
             fields with accounts, customers, items, vendors or employees."
                .into(),
            Some(""),
        )
    }

    /// docs/quickbooks.md §10.2 (620: linking transactions of different customers).
    pub fn txn_cannot_be_linked(detail: String) -> Self {
        validation("620", "TxnID Cannot Be Linked", detail, Some(""))
    }

    /// docs/quickbooks.md §4.1, fixture `error-2020-required-param-missing.json`.
    pub fn required_param(field: &str) -> Self {
        validation(
            "2020",
            "Required param missing, need to supply the required value for the API",
            format!("Required parameter {field} is missing in the request"),
            Some(field),
        )
    }

    /// docs/quickbooks.md §4.1, fixture `error-2050-string-length.json`.
    pub fn string_length(field: &str, max: usize, supplied: usize) -> Self {
        validation(
            "2050",
            "String length is either shorter or longer than supported by specification",
            format!(
                "String length specified does not match the supported length. Min:0 Max:{max} \
                 supported. Supplied length:{supplied}"
            ),
            Some(field),
        )
    }

    /// docs/quickbooks.md §10.2 (2010), wording from the captured Detail in §10.1.
    pub fn invalid_property(parser_message: &str) -> Self {
        validation(
            "2010",
            "Request has invalid or unsupported property",
            format!("Property Name:{parser_message} specified is unsupported or invalid"),
            Some(""),
        )
    }

    /// docs/quickbooks.md §10.2 (2170 Invalid Enumeration).
    pub fn invalid_enumeration(field: &str, value: &str) -> Self {
        validation(
            "2170",
            "Invalid Enumeration",
            format!("Invalid Enumeration : {value}"),
            Some(field),
        )
    }

    /// docs/quickbooks.md §4.1, §10.2 (2210, per a 3P KB).
    pub fn invalid_email(field: &str) -> Self {
        validation(
            "2210",
            "Email Address does not conform to RFC 822 syntax rules",
            "Email Address does not conform to RFC 822 syntax rules".into(),
            Some(field),
        )
    }

    /// docs/quickbooks.md §10.2, fixture `error-2500-invalid-reference.json`.
    pub fn invalid_reference(element: &str) -> Self {
        validation(
            "2500",
            "Invalid Reference Id",
            format!("Invalid Reference Id : {element}"),
            Some(element),
        )
    }

    /// docs/quickbooks.md §10.2, fixture `error-6000-business-validation.json`.
    pub fn business_validation(detail: &str) -> Self {
        validation(
            "6000",
            "A business validation error has occurred while processing your request",
            format!("Business Validation Error: {detail}"),
            Some(""),
        )
    }

    /// A control character (U+0000-U+001F other than tab and line breaks, U+007F) in any
    /// string. UNVERIFIED (docs/quickbooks.md §4.1): Intuit documents no answer; a third-party
    /// report shows 2040 "Invalid String" for characters QBO does not take.
    pub fn invalid_string(field: &str) -> Self {
        validation(
            "2040",
            "Invalid String",
            format!(
                "The String may contain unsupported or illegal chars: {field} contains a control character"
            ),
            Some(field),
        )
    }

    /// Forbidden characters (`:`, tab, newline) in a name field. UNVERIFIED (docs/quickbooks.md
    /// §4.1, §15 item 16): no captured response; modelled as a 6000 naming the field.
    pub fn forbidden_characters(field: &str) -> Self {
        validation(
            "6000",
            "A business validation error has occurred while processing your request",
            format!(
                "Business Validation Error: {field} cannot contain a colon (:), tab or newline."
            ),
            Some(field),
        )
    }

    /// Legacy IPP 6070 (docs/quickbooks.md §4.4: the stand-in rejects Amount != Qty x UnitPrice;
    /// current QBO behaviour UNVERIFIED, §15 item 14).
    pub fn amount_calculation(supplied: &str) -> Self {
        validation(
            "6070",
            "Amount calculation incorrect in the request",
            format!("Amount is not equal to Qty * UnitPrice. Supplied value:{supplied}"),
            Some(""),
        )
    }

    /// Legacy IPP 6090 for a discount line with neither amount nor percent (docs/quickbooks.md
    /// §17.2; current QBO behaviour UNVERIFIED, like 6070).
    pub fn discount_line_incomplete() -> Self {
        validation(
            "6090",
            "Discount Line missing required info.",
            "Discount amount or percent should be provided.".into(),
            Some(""),
        )
    }

    /// Legacy IPP 6100 for a US line tax code other than `TAX`/`NON` (docs/quickbooks.md §17.3;
    /// current QBO behaviour UNVERIFIED, like 6070).
    pub fn invalid_line_tax_code(supplied: &str) -> Self {
        validation(
            "6100",
            "Invalid Line TaxCode in the request",
            format!("Valid Line TaxCodes for US should be TAX or NON. Supplied value:{supplied}"),
            Some(""),
        )
    }

    /// docs/quickbooks.md §12, fixture `error-6140-duplicate-docnumber.json`.
    pub fn duplicate_doc_number(doc_number: &str, txn_type: &str, txn_id: &str) -> Self {
        validation(
            "6140",
            "Duplicate Document Number Error",
            format!(
                "Duplicate Document Number Error : You must specify a different number. This \
                 number has already been used. DocNumber={doc_number} is assigned to \
                 TxnType={txn_type} with TxnId={txn_id}"
            ),
            Some(""),
        )
    }

    /// Legacy IPP 600 for a reused `requestid` with a different body (docs/quickbooks.md §1,
    /// UNVERIFIED; only with `RequestIdConflict::Reject`).
    pub fn request_id_exists() -> Self {
        validation(
            "600",
            "RequestId already exists in the system, duplicate request is detected",
            "RequestId already exists in the system, duplicate request is detected".into(),
            Some(""),
        )
    }

    /// Delete of a name-list entity (docs/quickbooks.md §5.5: not supported). The code is
    /// UNVERIFIED: python-quickbooks maps 500-599 to "unsupported" (§10.2 sources).
    pub fn unsupported_operation(operation: &str) -> Self {
        validation(
            "500",
            "Unsupported Operation",
            format!("Operation {operation} is not supported."),
            Some(""),
        )
    }

    /// docs/quickbooks.md §6.1 (4000, `QueryParserError`).
    pub fn query_parser(detail: &str) -> Self {
        validation(
            "4000",
            "Error parsing query",
            format!("QueryParserError: {detail}"),
            None,
        )
    }

    /// docs/quickbooks.md §6.1 (4001, `QueryValidationError`).
    pub fn query_validation(detail: &str) -> Self {
        validation(
            "4001",
            "Invalid query",
            format!("QueryValidationError: {detail}"),
            None,
        )
    }

    /// docs/quickbooks.md §9, fixture `error-429-throttle.json` (JSON rendering; no Retry-After).
    pub fn throttled() -> Self {
        one(
            StatusCode::TOO_MANY_REQUESTS,
            "SERVICE",
            FaultError {
                message: "message=ThrottleExceeded; errorCode=003001; statusCode=429".into(),
                detail: "The request limit was reached.  Try again later".into(),
                code: "3001".into(),
                element: None,
            },
        )
    }

    /// docs/quickbooks.md §10.1, fixture `error-401-authentication-lowercase.json`.
    /// `shown_token` is a shortened token (the capture shows `AB0173…`), never the whole secret.
    pub fn authentication(detail: String) -> Self {
        Fault {
            status: StatusCode::UNAUTHORIZED,
            fault_type: "AUTHENTICATION",
            errors: vec![FaultError {
                message: "message=AuthenticationFailed; errorCode=003200; statusCode=401".into(),
                detail,
                code: "3200".into(),
                element: None,
            }],
            casing: FaultCasing::Gateway,
        }
    }

    /// docs/quickbooks.md §10.1 (403 form: same envelope, code 3100, `type` SERVICE).
    pub fn authorization() -> Self {
        Fault {
            status: StatusCode::FORBIDDEN,
            fault_type: "SERVICE",
            errors: vec![FaultError {
                message: "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403"
                    .into(),
                detail: String::new(),
                code: "3100".into(),
                element: None,
            }],
            casing: FaultCasing::Gateway,
        }
    }

    /// docs/quickbooks.md §10.2 (10000 `SystemFault`), used for injected 5xx and unknown paths.
    pub fn system(status: StatusCode) -> Self {
        one(
            status,
            "SystemFault",
            FaultError {
                message: "An application error has occurred while processing your request".into(),
                detail: "System Failure Error: An unexpected error occurred while accessing or \
                         saving your data. Please wait a few minutes and try again."
                    .into(),
                code: "10000".into(),
                element: Some(String::new()),
            },
        )
    }

    /// Renders the fault with the intermittent lowercase envelope (§10.1, 6240 variant).
    pub fn lowercased(mut self) -> Self {
        self.casing = FaultCasing::Gateway;
        self
    }

    /// The first error's code.
    pub fn code(&self) -> &str {
        self.errors.first().map_or("", |e| e.code.as_str())
    }

    /// The `Fault` object alone (as inside a batch item, §8).
    pub fn fault_object(&self) -> Value {
        let errors: Vec<Value> = self
            .errors
            .iter()
            .map(|e| {
                let mut m = serde_json::Map::new();
                m.insert("Message".into(), e.message.clone().into());
                m.insert("Detail".into(), e.detail.clone().into());
                m.insert("code".into(), e.code.clone().into());
                if let Some(el) = &e.element {
                    m.insert("element".into(), el.clone().into());
                }
                Value::Object(m)
            })
            .collect();
        json!({"Error": errors, "type": self.fault_type})
    }

    /// The full response body. `time` is the company-time text (application casing) or epoch
    /// millis (gateway casing).
    pub fn body(&self, time_text: &str, time_ms: i64) -> Value {
        match self.casing {
            FaultCasing::Application => json!({"Fault": self.fault_object(), "time": time_text}),
            FaultCasing::Gateway => {
                let errors: Vec<Value> = self
                    .errors
                    .iter()
                    .map(|e| {
                        json!({"message": e.message, "detail": e.detail, "code": e.code,
                               "element": e.element.clone().filter(|s| !s.is_empty())})
                    })
                    .collect();
                json!({
                    "warnings": null, "intuitObject": null,
                    "fault": {"error": errors, "type": self.fault_type},
                    "report": null, "queryResponse": null, "batchItemResponse": [],
                    "attachableResponse": [], "syncErrorResponse": null, "requestId": null,
                    "time": time_ms, "status": null, "cdcresponse": []
                })
            }
        }
    }
}

/// The throttle fault as QBO was captured sending it: XML, even to `Accept: application/json`
/// (docs/quickbooks.md §9, ruckus/quickbooks-ruby `too_many_requests_error.xml`).
pub fn throttle_xml(time_text: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <IntuitResponse time=\"{time_text}\" xmlns=\"http://schema.intuit.com/finance/v3\">\n\
         <Fault type=\"SERVICE\">\n<Error code=\"3001\">\n\
         <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>\n\
         <Detail>The request limit was reached.  Try again later</Detail>\n\
         </Error>\n</Fault>\n</IntuitResponse>\n"
    )
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.errors.first() {
            Some(e) => write!(
                f,
                "{} {} ({}): {}",
                self.status.as_u16(),
                e.code,
                e.message,
                e.detail
            ),
            None => write!(f, "{} {}", self.status.as_u16(), self.fault_type),
        }
    }
}

impl std::error::Error for Fault {}

/// A fault ready to answer, with its time already fixed.
#[derive(Debug, Clone)]
pub struct FaultResponse {
    pub fault: Fault,
    pub time_text: String,
    pub time_ms: i64,
}

impl IntoResponse for FaultResponse {
    fn into_response(self) -> Response {
        let body = self.fault.body(&self.time_text, self.time_ms);
        let mut response = (self.fault.status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            "intuit_tid",
            axum::http::HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
                .expect("uuid is a valid header"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_fault_matches_fixture_shape() {
        let body = Fault::stale_object().body("2026-01-01T00:00:00.000-08:00", 0);
        let e = &body["Fault"]["Error"][0];
        assert_eq!(e["code"], "5010");
        assert_eq!(e["Message"], "Stale Object Error");
        assert_eq!(e["element"], "");
        assert_eq!(body["Fault"]["type"], "ValidationFault");
        assert!(body["time"].is_string());
    }

    #[test]
    fn gateway_fault_is_lowercase_with_epoch_time() {
        let body = Fault::authentication("Token expired: abc…".into()).body("", 1730024394085);
        assert_eq!(body["fault"]["error"][0]["code"], "3200");
        assert!(body["fault"]["error"][0]["element"].is_null());
        assert_eq!(body["time"], 1730024394085i64);
        assert!(body.get("Fault").is_none());
    }

    #[test]
    fn query_faults_have_no_element() {
        let body = Fault::query_validation("value 1500 is too large. Max allowed value is 1000")
            .body("t", 0);
        assert!(body["Fault"]["Error"][0].get("element").is_none());
        assert_eq!(body["Fault"]["Error"][0]["code"], "4001");
    }
}
