//! The action's execution request (docs/hubspot.md §6.2) as a job, and the immediate `BLOCK`
//! answer with an expiration (§6.3).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{ActionExecution, ConnectionId};
use crate::ports::Job;
use serde_json::{Value, json};

/// How long HubSpot waits for the callback before giving up on the execution (§6.3: ISO-8601
/// duration; the default without one is UNVERIFIED, so we always send it).
pub const EXPIRATION: &str = "PT1H";

pub use crate::model::ActionInputs;

/// One execution to run: the callback to complete and the deal it was enrolled with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateInvoiceJob {
    /// Unique per execution and reused by HubSpot's retries: the idempotency key (§6.2).
    pub callback_id: String,
    pub portal_id: u64,
    pub deal_id: String,
    pub inputs: ActionInputs,
}

impl CreateInvoiceJob {
    /// The queue job that carries this execution to the worker for `connection`.
    pub fn to_job(&self, connection: ConnectionId, seen_at: DateTime<Utc>) -> Job {
        Job::create_invoice(
            connection,
            self.deal_id.clone(),
            ActionExecution {
                callback_id: self.callback_id.clone(),
                inputs: self.inputs.clone(),
            },
            seen_at,
        )
    }

    /// The execution an action job carries (`None` for other jobs); `portal_id` is the
    /// connection's portal, where the execution came from.
    pub fn from_job(job: &Job, portal_id: u64) -> Option<Self> {
        let execution = job.action.as_ref()?;
        Some(CreateInvoiceJob {
            callback_id: execution.callback_id.clone(),
            portal_id,
            deal_id: job.id.clone(),
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

/// Parses the body HubSpot POSTs to the action URL (§6.2). Inputs come from `inputFields`,
/// falling back to the legacy `fields` duplicate.
pub fn parse_execution_request(body: &[u8]) -> Result<CreateInvoiceJob, InvalidActionRequest> {
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
    let send_email = input("send_email").is_some_and(|s| s.eq_ignore_ascii_case("true"));
    Ok(CreateInvoiceJob {
        callback_id,
        portal_id,
        deal_id,
        inputs: ActionInputs {
            due_in_days,
            memo: input("memo"),
            send_email,
        },
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
        let job = parse_execution_request(body).unwrap();
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
            parse_execution_request(contact)
                .unwrap_err()
                .0
                .contains("deals")
        );
        let no_callback =
            br#"{"origin":{"portalId":1},"object":{"objectId":1,"objectType":"DEAL"}}"#;
        assert!(
            parse_execution_request(no_callback)
                .unwrap_err()
                .0
                .contains("callbackId")
        );
        let bad_days = br#"{"callbackId":"c","origin":{"portalId":1},"object":{"objectId":1,"objectType":"DEAL"},"inputFields":{"due_in_days":"soon"}}"#;
        assert!(
            parse_execution_request(bad_days)
                .unwrap_err()
                .0
                .contains("due_in_days")
        );
        assert!(parse_execution_request(b"not json").is_err());
    }

    #[test]
    fn an_execution_travels_as_a_job_and_comes_back_whole() {
        let body = br#"{"callbackId":"ap-1-2-3-0","origin":{"portalId":7},"object":{"objectId":55,"objectType":"DEAL"},"inputFields":{"due_in_days":"10","memo":"m"}}"#;
        let execution = parse_execution_request(body).unwrap();
        let connection = ConnectionId::new("acme").unwrap();
        let job = execution.to_job(connection, Utc::now());
        let wire = serde_json::to_string(&job).unwrap();
        assert!(
            wire.contains(r#""kind":"invoice""#) && wire.contains(r#""callback_id":"ap-1-2-3-0""#)
        );
        let back: Job = serde_json::from_str(&wire).unwrap();
        assert_eq!(CreateInvoiceJob::from_job(&back, 7), Some(execution));
        let signal = Job {
            action: None,
            ..back
        };
        assert_eq!(CreateInvoiceJob::from_job(&signal, 7), None);
    }

    #[test]
    fn the_block_answer_carries_an_expiration() {
        let v = block_response();
        assert_eq!(v["outputFields"]["hs_execution_state"], "BLOCK");
        assert_eq!(v["outputFields"]["hs_expiration_duration"], EXPIRATION);
    }
}
