//! Fuzz target `hubspot-events`: `parse_events` on a webhook body (dedupe keys, round trip of the
//! events' JSON) and the whole `intake::hubspot::hubspot_delivery` on it, validly signed.

use std::sync::Arc;

use rand::Rng;
use rand::rngs::StdRng;
use serde_json::Value;

use hqsync::adapters::memory::{MemoryReplayGuard, MemoryStore};
use hqsync::hubspot::webhook::signature::sign_v3;
use hqsync::hubspot::webhook::{WebhookVerifier, parse_events};
use hqsync::intake::hubspot::hubspot_delivery;
use hqsync::intake::{InboundRequest, IntakeError, MAX_BODY_BYTES};

use super::{Target, fixture, hubspot_secret, now, routing_store, runtime};
use crate::fuzz::mutate::{self, Dictionary, pick};

const URL: &str = "https://hooks.example.com/webhooks/hubspot";

pub const DICTIONARY: Dictionary = Dictionary {
    keys: &[
        "subscriptionType",
        "eventType",
        "objectTypeId",
        "objectId",
        "portalId",
        "appId",
        "subscriptionId",
        "eventId",
        "occurredAt",
        "attemptNumber",
        "changeSource",
        "sourceId",
        "changeFlag",
        "propertyName",
        "propertyValue",
        "primaryObjectId",
        "mergedObjectIds",
        "newObjectId",
        "associationType",
        "associationTypeId",
        "fromObjectTypeId",
        "toObjectTypeId",
        "fromObjectId",
        "toObjectId",
        "associationRemoved",
        "isPrimaryAssociation",
    ],
    strings: &[
        "contact.creation",
        "contact.deletion",
        "contact.restore",
        "contact.privacyDeletion",
        "contact.propertyChange",
        "contact.merge",
        "contact.associationChange",
        "product.creation",
        "product.propertyChange",
        "deal.propertyChange",
        "line_item.creation",
        "object.creation",
        "object.propertyChange",
        "object.merge",
        "object.associationChange",
        "object.deletion",
        "ticket.creation",
        "conversation.creation",
        "contact.",
        ".creation",
        "contact.propertyChange.extra",
        "0-1",
        "0-3",
        "0-7",
        "0-8",
        "0-53",
        "2-123",
        "INTEGRATION",
        "CRM_UI",
        "API",
        "62515",
        "145883449",
        "49547190",
        "1234",
        "email",
        "firstname",
        "DEAL_TO_LINE_ITEM",
        "CONTACT_TO_COMPANY",
    ],
};

const SEEDS: &[&str] = &[
    "webhook-contact-creation-by-app.json",
    "webhook-contact-merge.json",
    "webhook-contact-propertychange-by-app.json",
    "webhook-object-creation-and-propertychange.json",
    "webhook-object-deletion.json",
];

pub struct HubspotEvents {
    seeds: Vec<Vec<u8>>,
    values: Vec<Value>,
    runtime: tokio::runtime::Runtime,
    store: MemoryStore,
}

impl HubspotEvents {
    pub fn new() -> Self {
        let seeds: Vec<Vec<u8>> = SEEDS.iter().map(|n| fixture("hubspot", n)).collect();
        let values = seeds
            .iter()
            .map(|s| serde_json::from_slice(s).expect("fixture is JSON"))
            .collect();
        let runtime = runtime();
        let store = routing_store(&runtime);
        HubspotEvents {
            seeds,
            values,
            runtime,
            store,
        }
    }
}

/// A JSON seed mutated structurally (1-4 times), then byte-wise at times; or bytes only.
pub fn generate_json(
    rng: &mut StdRng,
    seeds: &[Vec<u8>],
    values: &[Value],
    dictionary: &Dictionary,
) -> Vec<u8> {
    let splice: Vec<&[u8]> = seeds.iter().map(Vec::as_slice).collect();
    if rng.random_ratio(3, 5) {
        let mut value = pick(rng, values).clone();
        for _ in 0..rng.random_range(1..=4) {
            mutate::json(rng, &mut value, dictionary);
        }
        let mut bytes = if rng.random_bool(0.5) {
            serde_json::to_vec(&value)
        } else {
            serde_json::to_vec_pretty(&value)
        }
        .expect("a Value serialises");
        if rng.random_ratio(1, 4) {
            mutate::bytes_n(rng, &mut bytes, &splice, dictionary.strings, 2);
        }
        bytes
    } else {
        let mut bytes = pick(rng, seeds).clone();
        mutate::bytes_n(rng, &mut bytes, &splice, dictionary.strings, 6);
        bytes
    }
}

impl Target for HubspotEvents {
    fn name(&self) -> &'static str {
        "hubspot-events"
    }

    fn generate(&self, rng: &mut StdRng) -> Vec<u8> {
        generate_json(rng, &self.seeds, &self.values, &DICTIONARY)
    }

    fn run(&self, body: &[u8]) -> Result<String, String> {
        let parsed = parse_events(body);
        if let Ok(events) = &parsed {
            for event in events {
                let _ = event.dedupe_key();
                let _ = event.written_by_app("54321");
            }
            // The events depend only on the JSON: written out again, they parse the same.
            let raws = Value::Array(events.iter().map(|e| e.raw.clone()).collect());
            let again = parse_events(&serde_json::to_vec(&raws).expect("serialises"))
                .map_err(|e| format!("re-serialised events do not parse: {e}"))?;
            if &again != events {
                return Err("re-serialised events parse differently".into());
            }
        }
        let timestamp = now().timestamp_millis().to_string();
        let signature = sign_v3(&hubspot_secret(), "POST", URL, body, &timestamp);
        let headers = [
            ("Content-Type", "application/json"),
            ("X-HubSpot-Signature-v3", signature.as_str()),
            ("X-HubSpot-Request-Timestamp", timestamp.as_str()),
        ];
        let request = InboundRequest {
            method: "POST",
            url: URL,
            headers: &headers,
            body,
        };
        let verifier = WebhookVerifier::new(hubspot_secret())
            .with_replay_guard(Arc::new(MemoryReplayGuard::default()));
        let outcome = self.runtime.block_on(hubspot_delivery(
            &verifier,
            Some("54321"),
            &self.store,
            &request,
            now(),
        ));
        let kind = match (&parsed, &outcome) {
            (_, Err(IntakeError::TooLarge(_))) if body.len() > MAX_BODY_BYTES => "413 too large",
            (Err(_), Err(IntakeError::Malformed(_))) => "400 not JSON events",
            (Ok(_), Ok(o)) if !o.jobs.is_empty() => "ok jobs",
            (Ok(_), Ok(o)) if !o.unknown_tenants.is_empty() => "ok unknown tenant",
            (Ok(events), Ok(_)) if events.is_empty() => "ok empty batch",
            (Ok(_), Ok(_)) => "ok all ignored",
            (parsed, outcome) => {
                return Err(format!(
                    "parse_events {} but the intake answered {:?}",
                    if parsed.is_ok() {
                        "accepted"
                    } else {
                        "refused"
                    },
                    outcome.as_ref().map_err(|e| e.status())
                ));
            }
        };
        Ok(kind.to_owned())
    }
}
