//! Fuzz target `hubspot-signature`: `SignedRequest::from_headers` + `WebhookVerifier::verify` and
//! `verify_fresh` (v3 with its timestamp window and replay guard; v1/v2 where allowed).

use std::sync::Arc;

use rand::Rng;
use rand::rngs::StdRng;

use hqsync::adapters::memory::MemoryReplayGuard;
use hqsync::hubspot::webhook::signature::{MAX_AGE_MS, sign_v3};
use hqsync::hubspot::webhook::{SignatureError, SignatureVersion, SignedRequest, WebhookVerifier};

use super::signed_request::HubspotRequest;
use super::{HUBSPOT_SECRET, NOW_MS, Target, fixture, hubspot_secret, now, runtime, variant};
use crate::fuzz::mutate::pick;

pub struct HubspotSignature {
    bodies: Vec<Vec<u8>>,
    runtime: tokio::runtime::Runtime,
}

impl HubspotSignature {
    pub fn new() -> Self {
        let vectors = crate::fixtures::json("hubspot", "webhook-signature-test-vectors.json");
        let mut bodies: Vec<Vec<u8>> = ["v1", "v2_get", "v2_post", "v3_post"]
            .iter()
            .filter_map(|k| vectors[k]["requestBody"].as_str())
            .map(|b| b.as_bytes().to_vec())
            .collect();
        bodies.push(fixture("hubspot", "webhook-contact-creation-by-app.json"));
        bodies.push(fixture("hubspot", "workflow-action-execution-request.json"));
        HubspotSignature {
            bodies,
            runtime: runtime(),
        }
    }

    fn verifier(&self, allow_legacy: bool) -> WebhookVerifier {
        WebhookVerifier::new(hubspot_secret())
            .allowing_legacy(allow_legacy)
            .with_replay_guard(Arc::new(MemoryReplayGuard::default()))
    }
}

impl Target for HubspotSignature {
    fn name(&self) -> &'static str {
        "hubspot-signature"
    }

    fn generate(&self, rng: &mut StdRng) -> Vec<u8> {
        let mut body = pick(rng, &self.bodies).clone();
        if rng.random_ratio(1, 4) {
            crate::fuzz::mutate::bytes_n(rng, &mut body, &[], &[], 3);
        }
        HubspotRequest::generate(rng, body).encode()
    }

    fn run(&self, input: &[u8]) -> Result<String, String> {
        let request = HubspotRequest::decode(input);
        let pairs = request.header_pairs();
        let signed = request.signed(&pairs);
        let verifier = self.verifier(request.allow_legacy);
        let result = verifier.verify(&signed, now());
        if verifier.verify(&signed, now()) != result {
            return Err("verify gave two answers for one request".into());
        }
        if let Err(error) = &result
            && error.to_string().contains(HUBSPOT_SECRET)
        {
            return Err(format!("an error shows the client secret: {error:?}"));
        }
        if result == Ok(SignatureVersion::V3) {
            let first = self.runtime.block_on(verifier.verify_fresh(&signed, now()));
            let again = self.runtime.block_on(verifier.verify_fresh(&signed, now()));
            if first != Ok(SignatureVersion::V3) || again != Err(SignatureError::Replayed) {
                return Err(format!("replay guard: first {first:?}, again {again:?}"));
            }
        }
        resigned_verifies(&verifier, &signed)?;
        Ok(match result {
            Ok(version) => format!("ok {version:?}"),
            Err(error) => format!("err {}", variant(&format!("{error:?}"))),
        })
    }
}

/// The same request signed correctly over its own method, URL, body and timestamp verifies
/// when the timestamp is inside the window, is `Stale` outside it, and a changed body does not.
fn resigned_verifies(verifier: &WebhookVerifier, signed: &SignedRequest<'_>) -> Result<(), String> {
    let Some(timestamp) = signed.timestamp else {
        return Ok(());
    };
    let Ok(ts_ms) = timestamp.trim().parse::<i64>() else {
        return Ok(());
    };
    let in_window = (i128::from(NOW_MS) - i128::from(ts_ms)).abs() <= i128::from(MAX_AGE_MS);
    let signature = sign_v3(
        &hubspot_secret(),
        signed.method,
        signed.url,
        signed.body,
        timestamp,
    );
    let resigned = SignedRequest {
        signature_v3: Some(&signature),
        ..*signed
    };
    let answer = verifier.verify(&resigned, now());
    match (in_window, &answer) {
        (true, Ok(SignatureVersion::V3)) | (false, Err(SignatureError::Stale { .. })) => {}
        _ => {
            return Err(format!(
                "a correct v3 signature at {ts_ms} (in window: {in_window}) got {answer:?}"
            ));
        }
    }
    if in_window {
        let mut body = signed.body.to_vec();
        body.push(b' ');
        let changed = SignedRequest {
            body: &body,
            ..resigned
        };
        let answer = verifier.verify(&changed, now());
        if answer != Err(SignatureError::Mismatch(SignatureVersion::V3)) {
            return Err(format!(
                "a changed body under a v3 signature got {answer:?}"
            ));
        }
    }
    Ok(())
}
