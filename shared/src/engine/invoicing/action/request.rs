//! The actions' execution request (docs/hubspot.md §6.2) as a job: the document kind from the
//! action URL, the inputs, and the immediate `BLOCK` answer with an expiration (§6.3).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::model::{ActionExecution, ConnectionId, DocKind};
use crate::ports::Job;
use serde_json::{Value, json};

/// How long HubSpot waits for the callback before giving up on the execution (§6.3: ISO-8601
/// duration; the default without one is UNVERIFIED, so we always send it).
pub const EXPIRATION: &str = "PT1H";

/// The action URL's query parameter naming the document (`?document=estimate`): the three
/// action definitions share one route, so one Lambda and one signature check serve them.
pub const DOCUMENT_PARAMETER: &str = "document";

pub use crate::model::ActionInputs;

/// One execution to run: the callback to complete, the deal it was enrolled with, and the
/// document it makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocActionJob {
    /// Unique per execution and reused by HubSpot's retries: the idempotency key (§6.2).
    pub callback_id: String,
    pub portal_id: u64,
    pub deal_id: String,
    pub doc_kind: DocKind,
    pub inputs: ActionInputs,
}

impl DocActionJob {
    /// The queue job that carries this execution to the worker for `connection`.
    pub fn to_job(&self, connection: ConnectionId, seen_at: DateTime<Utc>) -> Job {
        Job::create_invoice(
            connection,
            self.deal_id.clone(),
            ActionExecution {
                callback_id: self.callback_id.clone(),
                doc_kind: self.doc_kind,
                inputs: self.inputs.clone(),
            },
            seen_at,
        )
    }

    /// The execution an action job carries (`None` for other jobs); `portal_id` is the
    /// connection's portal, where the execution came from.
    pub fn from_job(job: &Job, portal_id: u64) -> Option<Self> {
        let execution = job.action.as_ref()?;
        Some(DocActionJob {
            callback_id: execution.callback_id.clone(),
            portal_id,
            deal_id: job.id.clone(),
            doc_kind: execution.doc_kind,
            inputs: execution.inputs.clone(),
        })
    }
}

/// Why an execution request is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid workflow action request: {0}")]
pub struct InvalidActionRequest(pub String);

/// A scalar that may be sent as a string or a number.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The document an action URL asks for: its `document` query parameter, an invoice without one.
pub fn document_of_url(url: &str) -> Result<DocKind, InvalidActionRequest> {
    let Some((_, query)) = url.split_once('?') else {
        return Ok(DocKind::Invoice);
    };
    let found = url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == DOCUMENT_PARAMETER)
        .map(|(_, value)| value.into_owned());
    match found {
        None => Ok(DocKind::Invoice),
        Some(value) => DocKind::parse(&value).ok_or_else(|| {
            InvalidActionRequest(format!(
                "{DOCUMENT_PARAMETER}={value:?} is not invoice, estimate or sales_receipt"
            ))
        }),
    }
}

/// Parses the body HubSpot POSTs to the action URL (§6.2) for a `doc_kind` action. Inputs come
/// from `inputFields`, falling back to the legacy `fields` duplicate.
pub fn parse_execution_request(
    body: &[u8],
    doc_kind: DocKind,
) -> Result<DocActionJob, InvalidActionRequest> {
    let bad = |m: &str| InvalidActionRequest(m.to_owned());
    let v: Value = serde_json::from_slice(body).map_err(|e| InvalidActionRequest(e.to_string()))?;
    let callback_id = v
        .get("callbackId")
        .and_then(text)
        .ok_or_else(|| bad("callbackId is missing"))?;
    let portal_id = v
        .pointer("/origin/portalId")
        .and_then(text)
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| bad("origin.portalId is missing"))?;
    let object_type = v
        .pointer("/object/objectType")
        .and_then(text)
        .unwrap_or_default();
    if !object_type.eq_ignore_ascii_case("DEAL") && object_type != "0-3" {
        return Err(InvalidActionRequest(format!(
            "the action runs on deals, not {object_type:?}"
        )));
    }
    let deal_id = v
        .pointer("/object/objectId")
        .and_then(text)
        .ok_or_else(|| bad("object.objectId is missing"))?;
    let input = |name: &str| {
        v.pointer(&format!("/inputFields/{name}"))
            .or_else(|| v.pointer(&format!("/fields/{name}")))
            .and_then(text)
    };
    let due_in_days = match input("due_in_days") {
        None => None,
        Some(d) => Some(
            d.parse::<f64>()
                .ok()
                .filter(|n| *n >= 0.0 && *n <= 3650.0 && n.fract() == 0.0)
                .map(|n| n as u32)
                .ok_or_else(|| {
                    InvalidActionRequest(format!("due_in_days {d:?} is not a whole number of days"))
                })?,
        ),
    };
    let due_date = input("due_date").map(|d| parse_date(&d)).transpose()?;
    let discount_percent = match input("discount_percent") {
        None => None,
        Some(d) => Some(
            d.parse::<Decimal>()
                .ok()
                .filter(|p| *p >= Decimal::ZERO && *p <= Decimal::ONE_HUNDRED)
                .ok_or_else(|| {
                    InvalidActionRequest(format!(
                        "discount_percent {d:?} is not a percentage from 0 to 100"
                    ))
                })?,
        ),
    };
    let send_email = input("send_email").is_some_and(|s| s.eq_ignore_ascii_case("true"));
    Ok(DocActionJob {
        callback_id,
        portal_id,
        deal_id,
        doc_kind,
        inputs: ActionInputs {
            due_in_days,
            due_date,
            terms: input("terms"),
            tax_code: input("tax_code"),
            discount_percent: discount_percent.filter(|p| !p.is_zero()),
            memo: input("memo"),
            send_email,
        },
    })
}

/// A date input: `YYYY-MM-DD`, or the epoch milliseconds HubSpot date properties hold (§4).
fn parse_date(text: &str) -> Result<NaiveDate, InvalidActionRequest> {
    if let Ok(date) = text.parse::<NaiveDate>() {
        return Ok(date);
    }
    text.parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .map(|t| t.date_naive())
        .ok_or_else(|| {
            InvalidActionRequest(format!("due_date {text:?} is not a date (YYYY-MM-DD)"))
        })
}

/// The immediate answer: `BLOCK` with an expiration; the worker completes it later (§6.3).
pub fn block_response() -> Value {
    json!({"outputFields": {"hs_execution_state": "BLOCK", "hs_expiration_duration": EXPIRATION}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_request_becomes_a_job() {
        let body = br#"{"callbackId":"ap-47355542-1589400750477-3-0",
          "origin":{"portalId":47355542,"actionDefinitionId":201903771},
          "object":{"objectId":108456792064,"objectType":"DEAL","properties":{"dealname":"x"}},
          "inputFields":{"due_in_days":"30","memo":"Thanks","send_email":"true"},
          "fields":{"due_in_days":"30"}}"#;
        let job = parse_execution_request(body, DocKind::Invoice).unwrap();
        assert_eq!(job.callback_id, "ap-47355542-1589400750477-3-0");
        assert_eq!(job.portal_id, 47355542);
        assert_eq!(job.deal_id, "108456792064");
        assert_eq!(job.inputs.due_in_days, Some(30));
        assert_eq!(job.inputs.memo.as_deref(), Some("Thanks"));
        assert!(job.inputs.send_email);
    }

    #[test]
    fn bad_requests_say_what_is_wrong() {
        let contact = br#"{"callbackId":"c","origin":{"portalId":1},"object":{"objectId":1,"objectType":"CONTACT"}}"#;
        assert!(
            parse_execution_request(contact, DocKind::Invoice)
                .unwrap_err()
                .0
                .contains("deals")
        );
        let no_callback =
            br#"{"origin":{"portalId":1},"object":{"objectId":1,"objectType":"DEAL"}}"#;
        assert!(
            parse_execution_request(no_callback, DocKind::Invoice)
                .unwrap_err()
                .0
                .contains("callbackId")
        );
        let bad_days = br#"{"callbackId":"c","origin":{"portalId":1},"object":{"objectId":1,"objectType":"DEAL"},"inputFields":{"due_in_days":"soon"}}"#;
        assert!(
            parse_execution_request(bad_days, DocKind::Invoice)
                .unwrap_err()
                .0
                .contains("due_in_days")
        );
        assert!(parse_execution_request(b"not json", DocKind::Invoice).is_err());
        let bad_discount = br#"{"callbackId":"c","origin":{"portalId":1},"object":{"objectId":1,"objectType":"DEAL"},"inputFields":{"discount_percent":"120"}}"#;
        assert!(
            parse_execution_request(bad_discount, DocKind::Estimate)
                .unwrap_err()
                .0
                .contains("discount_percent")
        );
    }

    #[test]
    fn an_execution_travels_as_a_job_and_comes_back_whole() {
        let body = br#"{"callbackId":"ap-1-2-3-0","origin":{"portalId":7},"object":{"objectId":55,"objectType":"DEAL"},"inputFields":{"due_in_days":"10","memo":"m"}}"#;
        let execution = parse_execution_request(body, DocKind::Invoice).unwrap();
        let connection = ConnectionId::new("acme").unwrap();
        let job = execution.to_job(connection, Utc::now());
        let wire = serde_json::to_string(&job).unwrap();
        assert!(
            wire.contains(r#""kind":"invoice""#) && wire.contains(r#""callback_id":"ap-1-2-3-0""#)
        );
        let back: Job = serde_json::from_str(&wire).unwrap();
        assert_eq!(DocActionJob::from_job(&back, 7), Some(execution));
        let signal = Job {
            action: None,
            ..back
        };
        assert_eq!(DocActionJob::from_job(&signal, 7), None);
    }

    #[test]
    fn the_block_answer_carries_an_expiration() {
        let v = block_response();
        assert_eq!(v["outputFields"]["hs_execution_state"], "BLOCK");
        assert_eq!(v["outputFields"]["hs_expiration_duration"], EXPIRATION);
    }
}

#[cfg(test)]
mod document_tests {
    use super::*;

    #[test]
    fn the_url_names_the_document_and_the_new_inputs_are_read() {
        let base = "https://h.example.com/hubspot/actions/create-invoice";
        assert_eq!(document_of_url(base), Ok(DocKind::Invoice));
        assert_eq!(
            document_of_url(&format!("{base}?document=estimate")),
            Ok(DocKind::Estimate)
        );
        assert_eq!(
            document_of_url(&format!("{base}?x=1&document=sales_receipt")),
            Ok(DocKind::SalesReceipt)
        );
        assert!(
            document_of_url(&format!("{base}?document=quote"))
                .unwrap_err()
                .0
                .contains("quote")
        );
        let body = br#"{"callbackId":"c","origin":{"portalId":1},"object":{"objectId":9,"objectType":"DEAL"},
          "inputFields":{"due_date":"2026-07-01","terms":"3","tax_code":"5","discount_percent":"12.5"}}"#;
        let job = parse_execution_request(body, DocKind::Estimate).unwrap();
        assert_eq!(job.doc_kind, DocKind::Estimate);
        assert_eq!(job.inputs.due_date, Some("2026-07-01".parse().unwrap()));
        assert_eq!(job.inputs.terms.as_deref(), Some("3"));
        assert_eq!(job.inputs.tax_code.as_deref(), Some("5"));
        assert_eq!(job.inputs.discount_percent, Some("12.5".parse().unwrap()));
        let millis = br#"{"callbackId":"c","origin":{"portalId":1},"object":{"objectId":9,"objectType":"DEAL"},"inputFields":{"due_date":1782864000000}}"#;
        let job = parse_execution_request(millis, DocKind::Invoice).unwrap();
        assert_eq!(job.inputs.due_date, Some("2026-07-01".parse().unwrap()));
    }
}
