//! Fuzz target `qbo-events`: `parse_delivery` on a QBO webhook body (CloudEvents arrays and
//! legacy `eventNotifications`), its JSON round trip, and the whole `quickbooks_delivery`.

use rand::rngs::StdRng;
use serde_json::Value;

use hqsync::adapters::memory::MemoryStore;
use hqsync::intake::quickbooks::quickbooks_delivery;
use hqsync::intake::{InboundRequest, IntakeError, MAX_BODY_BYTES};
use hqsync::quickbooks::webhook::signature::sign;
use hqsync::quickbooks::webhook::{PayloadFormat, parse_delivery};

use super::hubspot_events::generate_json;
use super::{Target, fixture, now, qbo_token, routing_store, runtime};
use crate::fuzz::mutate::Dictionary;

pub const DICTIONARY: Dictionary = Dictionary {
    keys: &[
        "specversion",
        "id",
        "source",
        "type",
        "datacontenttype",
        "time",
        "intuitentityid",
        "intuitaccountid",
        "data",
        "deletedid",
        "deletedId",
        "DELETEDID",
        "eventNotifications",
        "realmId",
        "dataChangeEvent",
        "entities",
        "name",
        "operation",
        "lastUpdated",
    ],
    strings: &[
        "1.0",
        "qbo.customer.created.v1",
        "qbo.customer.updated.v1",
        "qbo.customer.deleted.v1",
        "qbo.customer.merged.v1",
        "qbo.invoice.voided.v1",
        "qbo.invoice.emailed.v1",
        "qbo.payment.created.v1",
        "qbo.item.updated.v1",
        "qbo.salesreceipt.updated.v1",
        "QBO.CUSTOMER.CREATED.V1",
        "qbo..created.v1",
        "qbo.customer",
        "qbo.",
        "Customer",
        "Invoice",
        "Payment",
        "Item",
        "SalesReceipt",
        "Create",
        "Update",
        "Delete",
        "Merge",
        "Void",
        "Emailed",
        "1234567890123456",
        "310687",
        "1234567890",
        "2015-10-05T14:42:19-0700",
        "2021-11-28T15:27:59.000Z",
        "2025-09-10T21:31:25.179851517Z",
        "2025-09-10T21:31:25",
        "2025-02-30T25:61:61Z",
        "+275760-09-13T00:00:00Z",
        "9999-12-31T23:59:59.999999999+23:59",
        "0000-01-01T00:00:00-23:59",
        "intuit.dsnBV9G8Ml+1y2Q2xB2ycNe54t6Jx6I8Tb4rmc6pX4o=",
    ],
};

const SEEDS: &[&str] = &[
    "webhook-cloudevents-account-created.json",
    "webhook-cloudevents-customer-merged.json",
    "webhook-cloudevents-mixed-batch.json",
    "webhook-cloudevents-salesreceipt-updated-no-data.json",
    "webhook-legacy-eventnotifications.json",
];

pub struct QboEvents {
    seeds: Vec<Vec<u8>>,
    values: Vec<Value>,
    runtime: tokio::runtime::Runtime,
    store: MemoryStore,
}

impl QboEvents {
    pub fn new() -> Self {
        let seeds: Vec<Vec<u8>> = SEEDS.iter().map(|n| fixture("quickbooks", n)).collect();
        let values = seeds
            .iter()
            .map(|s| serde_json::from_slice(s).expect("fixture is JSON"))
            .collect();
        let runtime = runtime();
        let store = routing_store(&runtime);
        QboEvents {
            seeds,
            values,
            runtime,
            store,
        }
    }
}

impl Target for QboEvents {
    fn name(&self) -> &'static str {
        "qbo-events"
    }

    fn generate(&self, rng: &mut StdRng) -> Vec<u8> {
        generate_json(rng, &self.seeds, &self.values, &DICTIONARY)
    }

    fn run(&self, body: &[u8]) -> Result<String, String> {
        let parsed = parse_delivery(body);
        if let Ok(delivery) = &parsed {
            // The delivery depends only on the JSON: written out again, it parses the same.
            let value: Value = serde_json::from_slice(body)
                .map_err(|e| format!("parse_delivery accepted what serde_json refuses: {e}"))?;
            let again = parse_delivery(&serde_json::to_vec(&value).expect("serialises"))
                .map_err(|e| format!("the re-serialised delivery does not parse: {e}"))?;
            if &again != delivery {
                return Err("the re-serialised delivery parses differently".into());
            }
            if delivery
                .changes
                .iter()
                .any(|c| c.realm_id.is_empty() || c.entity_id.is_empty() || c.dedupe_key.is_empty())
            {
                return Err("a change without realm, entity id or dedupe key".into());
            }
        }
        let signature = sign(&qbo_token(), body);
        let headers = [
            ("content-type", "application/cloudevents-batch+json"),
            ("intuit-signature", signature.as_str()),
        ];
        let request = InboundRequest {
            method: "POST",
            url: "https://hooks.example.com/webhooks/quickbooks",
            headers: &headers,
            body,
        };
        let outcome = self.runtime.block_on(quickbooks_delivery(
            &qbo_token(),
            &self.store,
            &request,
            now(),
        ));
        let format = |p: PayloadFormat| match p {
            PayloadFormat::CloudEvents => "cloudevents",
            PayloadFormat::Legacy => "legacy",
        };
        let kind = match (&parsed, &outcome) {
            (_, Err(IntakeError::TooLarge(_))) if body.len() > MAX_BODY_BYTES => {
                "413 too large".to_owned()
            }
            (Err(e), Err(IntakeError::Malformed(_))) => {
                format!("400 {}", super::variant(&format!("{e:?}")))
            }
            (Ok(d), Ok(o)) => format!(
                "ok {}: {}{}",
                format(d.format),
                if o.jobs.is_empty() { "no jobs" } else { "jobs" },
                if d.skipped.is_empty() {
                    ""
                } else {
                    ", skipped"
                }
            ),
            (parsed, outcome) => {
                return Err(format!(
                    "parse_delivery {} but the intake answered {:?}",
                    if parsed.is_ok() {
                        "accepted"
                    } else {
                        "refused"
                    },
                    outcome.as_ref().map_err(|e| e.status())
                ));
            }
        };
        Ok(kind)
    }
}
