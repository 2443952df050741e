//! Fuzz target `qbo-signature`: `verify_signature` on the `intuit-signature` header (found the
//! way the intake finds it) and the whole `quickbooks_delivery` with those headers.

use rand::Rng;
use rand::rngs::StdRng;

use hqsync::adapters::memory::MemoryStore;
use hqsync::intake::quickbooks::quickbooks_delivery;
use hqsync::intake::{InboundRequest, MAX_BODY_BYTES};
use hqsync::quickbooks::webhook::signature::{SIGNATURE_HEADER, sign, verify_signature};

use super::{QBO_VERIFIER_TOKEN, Target, fixture, now, qbo_token, routing_store, runtime, variant};
use crate::fuzz::frame;
use crate::fuzz::mutate::{self, WEIRD_STRINGS, pick};

const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/cloudevents-batch+json",
    "application/cloudevents+json; charset=utf-8",
    "APPLICATION/JSON",
    "text/plain",
    "",
    ";",
    "application/json;;;",
];

pub struct QboSignature {
    bodies: Vec<Vec<u8>>,
    runtime: tokio::runtime::Runtime,
    store: MemoryStore,
}

impl QboSignature {
    pub fn new() -> Self {
        let bodies = [
            "webhook-cloudevents-account-created.json",
            "webhook-cloudevents-mixed-batch.json",
            "webhook-legacy-eventnotifications.json",
        ]
        .iter()
        .map(|n| fixture("quickbooks", n))
        .chain([b"[]".to_vec(), Vec::new()])
        .collect();
        let runtime = runtime();
        let store = routing_store(&runtime);
        QboSignature {
            bodies,
            runtime,
            store,
        }
    }
}

/// The input: body, then `(name, value)` header pairs.
fn decode(input: &[u8]) -> (Vec<u8>, Vec<(String, String)>) {
    let fields = frame::decode(input);
    let body = fields.first().map(|b| b.to_vec()).unwrap_or_default();
    let headers = (1..fields.len())
        .step_by(2)
        .map(|i| (frame::text(&fields, i), frame::text(&fields, i + 1)))
        .collect();
    (body, headers)
}

impl Target for QboSignature {
    fn name(&self) -> &'static str {
        "qbo-signature"
    }

    fn generate(&self, rng: &mut StdRng) -> Vec<u8> {
        let mut body = pick(rng, &self.bodies).clone();
        let mut signature = sign(&qbo_token(), &body);
        match rng.random_range(0..10) {
            0..=3 => {}
            4 => {
                let mut bytes = signature.into_bytes();
                mutate::bytes_n(rng, &mut bytes, &[], &[], 2);
                signature = String::from_utf8_lossy(&bytes).into_owned();
            }
            5 => signature = signature.trim_end_matches('=').to_owned(),
            6 => signature = format!(" {signature}\t"),
            7 => signature = signature.replace('+', "-").replace('/', "_"),
            8 => mutate::bytes_n(rng, &mut body, &[], &[], 3),
            _ => signature = mutate::edge_text(rng, WEIRD_STRINGS),
        }
        let name = pick(
            rng,
            &["intuit-signature", "Intuit-Signature", "INTUIT-SIGNATURE"],
        );
        let mut fields: Vec<Vec<u8>> = vec![body];
        if !rng.random_ratio(1, 10) {
            fields.push(name.as_bytes().to_vec());
            fields.push(signature.into_bytes());
        }
        if rng.random_ratio(1, 10) {
            fields.push(b"intuit-signature".to_vec());
            fields.push(mutate::edge_text(rng, &[]).into_bytes());
        }
        if rng.random_bool(0.7) {
            fields.push(b"Content-Type".to_vec());
            fields.push(pick(rng, CONTENT_TYPES).as_bytes().to_vec());
        }
        frame::encode(fields)
    }

    fn run(&self, input: &[u8]) -> Result<String, String> {
        let (body, headers) = decode(input);
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let request = InboundRequest {
            method: "POST",
            url: "https://hooks.example.com/webhooks/quickbooks",
            headers: &pairs,
            body: &body,
        };
        let token = qbo_token();
        let checked = verify_signature(&token, &body, request.header(SIGNATURE_HEADER));
        if verify_signature(&token, &body, request.header(SIGNATURE_HEADER)) != checked {
            return Err("verify_signature gave two answers for one request".into());
        }
        if let Err(error) = &checked
            && error.to_string().contains(QBO_VERIFIER_TOKEN)
        {
            return Err(format!("an error shows the verifier token: {error:?}"));
        }
        let correct = sign(&token, &body);
        if verify_signature(&token, &body, Some(&correct)).is_err() {
            return Err("a correct signature over these bytes does not verify".into());
        }
        let mut changed = body.clone();
        changed.push(b'\n');
        if verify_signature(&token, &changed, Some(&correct)).is_ok() {
            return Err("a signature verified a body it was not computed over".into());
        }
        let outcome =
            self.runtime
                .block_on(quickbooks_delivery(&token, &self.store, &request, now()));
        let status = match &outcome {
            Ok(_) => 200,
            Err(e) => e.status(),
        };
        let expected_refusal = if body.len() > MAX_BODY_BYTES {
            Some(413)
        } else if checked.is_err() {
            Some(401)
        } else {
            None
        };
        if let Some(expected) = expected_refusal
            && status != expected
        {
            return Err(format!("the intake answered {status}, expected {expected}"));
        }
        if let Err(e) = &outcome
            && e.to_string().contains(QBO_VERIFIER_TOKEN)
        {
            return Err("an intake error shows the verifier token".into());
        }
        Ok(match checked {
            Ok(()) if status == 200 => "ok verified".to_owned(),
            Ok(()) => format!("ok verified, then {status}"),
            Err(error) => format!("err {}", variant(&format!("{error:?}"))),
        })
    }
}
