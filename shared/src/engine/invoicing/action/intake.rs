//! The action endpoint's logic, shared by the Lambda and `hqsync dev`: verify HubSpot's signature
//! (v3 once; v2 where allowed), parse the execution and its document kind, hand the job on, answer `BLOCK` (§6).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::request::{DocActionJob, block_response, document_of_url, parse_execution_request};
use crate::hubspot::webhook::WebhookVerifier;
use crate::hubspot::webhook::signature::SignedRequest;
use crate::intake::{InboundRequest, IntakeError, MAX_BODY_BYTES};

/// Where accepted executions go (a queue in the cloud, an in-process worker locally).
#[async_trait]
pub trait ActionJobSink: Send + Sync {
    /// Stores the job for the worker; an error answers 500 so HubSpot may call again.
    async fn submit(&self, job: DocActionJob) -> Result<(), String>;
}

/// Verifies and accepts one execution request; the `Ok` value is the 200 body (`BLOCK`).
/// The same callbackId submitted twice is harmless: the worker's QBO create replays.
pub async fn accept_action_request(
    verifier: &WebhookVerifier,
    request: &InboundRequest<'_>,
    now: DateTime<Utc>,
    sink: &dyn ActionJobSink,
) -> Result<Value, IntakeError> {
    if request.body.len() > MAX_BODY_BYTES {
        return Err(IntakeError::TooLarge(request.body.len()));
    }
    let signed = SignedRequest::from_headers(
        request.method,
        request.url,
        request.body,
        request.headers.iter().copied(),
    );
    verifier
        .verify_fresh(&signed, now)
        .await
        .map_err(IntakeError::from_signature)?;
    let malformed = |e: super::request::InvalidActionRequest| IntakeError::Malformed(e.to_string());
    let doc_kind = document_of_url(request.url).map_err(malformed)?;
    let job = parse_execution_request(request.body, doc_kind).map_err(malformed)?;
    sink.submit(job).await.map_err(|e| {
        IntakeError::Store(crate::ports::StoreError::Backend(format!(
            "action job not stored: {e}"
        )))
    })?;
    Ok(block_response())
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use secrecy::SecretString;
    use sha2::{Digest, Sha256};

    use super::*;
    use crate::hubspot::webhook::signature::sign_v3;

    #[derive(Default)]
    struct Collect(Mutex<Vec<DocActionJob>>);

    #[async_trait]
    impl ActionJobSink for Collect {
        async fn submit(&self, job: DocActionJob) -> Result<(), String> {
            self.0.lock().unwrap().push(job);
            Ok(())
        }
    }

    const URL: &str = "https://hooks.example.com/hubspot/actions/create-invoice";
    const BODY: &[u8] = br#"{"callbackId":"ap-1-2-3-0","origin":{"portalId":7},"object":{"objectId":55,"objectType":"DEAL"},"inputFields":{"due_in_days":"10"}}"#;

    fn secret() -> SecretString {
        SecretString::from("shh".to_owned())
    }

    #[tokio::test]
    async fn a_v3_signed_request_is_blocked_and_its_job_submitted() {
        let now = Utc::now();
        let ts = now.timestamp_millis().to_string();
        let sig = sign_v3(&secret(), "POST", URL, BODY, &ts);
        let headers = [
            ("X-HubSpot-Signature-v3", sig.as_str()),
            ("X-HubSpot-Request-Timestamp", ts.as_str()),
        ];
        let request = InboundRequest {
            method: "POST",
            url: URL,
            headers: &headers,
            body: BODY,
        };
        let sink = Collect::default();
        let answer = accept_action_request(&WebhookVerifier::new(secret()), &request, now, &sink)
            .await
            .unwrap();
        assert_eq!(answer["outputFields"]["hs_execution_state"], "BLOCK");
        let replayed = accept_action_request(&WebhookVerifier::new(secret()), &request, now, &sink)
            .await
            .unwrap_err();
        assert_eq!(replayed.status(), 401, "a captured execution sent again");
        let jobs = sink.0.lock().unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].deal_id, "55");
        assert_eq!(jobs[0].inputs.due_in_days, Some(10));
    }

    #[tokio::test]
    async fn v2_is_refused_unless_allowed_and_bad_signatures_submit_nothing() {
        // v2: hex(sha256(secret + method + url + body)) (docs/hubspot.md §5.5).
        let mut h = Sha256::new();
        h.update(b"shhPOST");
        h.update(URL.as_bytes());
        h.update(BODY);
        let v2 = hex::encode(h.finalize());
        let headers = [
            ("X-HubSpot-Signature", v2.as_str()),
            ("X-HubSpot-Signature-Version", "v2"),
        ];
        let request = InboundRequest {
            method: "POST",
            url: URL,
            headers: &headers,
            body: BODY,
        };
        let sink = Collect::default();
        let refused =
            accept_action_request(&WebhookVerifier::new(secret()), &request, Utc::now(), &sink)
                .await
                .unwrap_err();
        assert_eq!(
            refused.status(),
            401,
            "v2 has no timestamp: refused by default"
        );
        let verifier = WebhookVerifier::new(secret()).allowing_legacy(true);
        assert!(
            accept_action_request(&verifier, &request, Utc::now(), &sink)
                .await
                .is_ok()
        );
        let wrong = [
            ("X-HubSpot-Signature", "00"),
            ("X-HubSpot-Signature-Version", "v2"),
        ];
        let request = InboundRequest {
            method: "POST",
            url: URL,
            headers: &wrong,
            body: BODY,
        };
        let err = accept_action_request(&verifier, &request, Utc::now(), &sink)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 401);
        assert_eq!(sink.0.lock().unwrap().len(), 1);
    }
}
