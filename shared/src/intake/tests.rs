//! Intake tests: recorded deliveries (signed here with the vendors' algorithms) become the
//! right jobs; bad signatures, bad bodies and oversize bodies get the right refusals.

use chrono::{TimeZone, Utc};
use secrecy::SecretString;

use super::hubspot::hubspot_delivery;
use super::quickbooks::quickbooks_delivery;
use super::{InboundRequest, IntakeError, MAX_BODY_BYTES};
use std::sync::Arc;

use crate::adapters::memory::{MemoryReplayGuard, MemoryStore};
use crate::hubspot::webhook::WebhookVerifier;
use crate::hubspot::webhook::signature::sign_v3;
use crate::model::{Connection, ConnectionId, ConnectionSettings, ObjectKind, Side};
use crate::ports::{ConnectionRecord, ConnectionStatus, Connections};
use crate::quickbooks::webhook::signature::sign;

const URL: &str = "https://hooks.example.com/webhooks/hubspot";
const HS_SECRET: &str = "hubspot-client-secret";
const QB_TOKEN: &str = "qbo-verifier-token";

fn fixture(vendor: &str, name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../tests/fixtures/{vendor}/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

async fn store_with(portal: &str, realm: &str) -> MemoryStore {
    let store = MemoryStore::new();
    let record = ConnectionRecord {
        connection: Connection {
            id: ConnectionId::new("conn-1").expect("valid id"),
            hubspot_portal_id: portal.into(),
            qbo_realm_id: realm.into(),
            settings: ConnectionSettings::default(),
        },
        environment: "local".into(),
        status: ConnectionStatus::Active,
    };
    store.put_connection(&record).await.expect("put connection");
    store
}

fn now() -> chrono::DateTime<Utc> {
    Utc.timestamp_opt(1_790_000_000, 0)
        .single()
        .expect("valid time")
}

async fn hubspot(
    store: &MemoryStore,
    body: &[u8],
    signature: Option<String>,
    app_id: Option<&str>,
) -> Result<super::IntakeOutcome, IntakeError> {
    let secret = SecretString::from(HS_SECRET);
    let timestamp = now().timestamp_millis().to_string();
    let signature = signature.unwrap_or_else(|| sign_v3(&secret, "POST", URL, body, &timestamp));
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
    // A guard per delivery: these tests sign the same bodies at the same fixed time.
    let verifier =
        WebhookVerifier::new(secret).with_replay_guard(Arc::new(MemoryReplayGuard::default()));
    hubspot_delivery(&verifier, app_id, store, &request, now()).await
}

async fn quickbooks(
    store: &MemoryStore,
    body: &[u8],
    signature: Option<String>,
) -> Result<super::IntakeOutcome, IntakeError> {
    let token = SecretString::from(QB_TOKEN);
    let signature = signature.unwrap_or_else(|| sign(&token, body));
    let headers = [
        ("content-type", "application/cloudevents+json"),
        ("intuit-signature", signature.as_str()),
    ];
    let request = InboundRequest {
        method: "POST",
        url: "https://hooks.example.com/webhooks/quickbooks",
        headers: &headers,
        body,
    };
    quickbooks_delivery(&token, store, &request, now()).await
}

#[tokio::test]
async fn a_hubspot_merge_signals_every_record_it_touched() {
    let store = store_with("62515", "r1").await;
    let body = fixture("hubspot", "webhook-contact-merge.json");
    let outcome = hubspot(&store, &body, None, Some("54321"))
        .await
        .expect("accepted");
    let mut ids: Vec<&str> = outcome.jobs.iter().map(|j| j.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["1001", "1002", "1003"]);
    assert!(
        outcome
            .jobs
            .iter()
            .all(|j| j.kind == ObjectKind::Contact && j.side == Side::Hubspot)
    );
}

#[tokio::test]
async fn our_own_hubspot_writes_are_dropped_as_echoes() {
    let store = store_with("247187887", "r1").await;
    let body = fixture("hubspot", "webhook-contact-propertychange-by-app.json");
    let outcome = hubspot(&store, &body, None, Some("50780459"))
        .await
        .expect("accepted");
    assert!(outcome.jobs.is_empty());
    assert!(outcome.ignored[0].contains("our own write"));
    let other_app = hubspot(&store, &body, None, Some("1"))
        .await
        .expect("accepted");
    assert_eq!(
        other_app.jobs.len(),
        1,
        "another app's write is a real change"
    );
}

#[tokio::test]
async fn hubspot_events_of_unknown_portals_are_reported_not_failed() {
    let store = store_with("999", "r1").await;
    let body = fixture("hubspot", "webhook-contact-merge.json");
    let outcome = hubspot(&store, &body, None, None).await.expect("accepted");
    assert!(outcome.jobs.is_empty());
    assert_eq!(outcome.unknown_tenants, ["portal 62515"]);
}

#[tokio::test]
async fn hubspot_refusals_carry_the_right_status() {
    let store = store_with("62515", "r1").await;
    let body = fixture("hubspot", "webhook-contact-merge.json");
    let forged = hubspot(&store, &body, Some("bm90IGEgc2lnbmF0dXJl".into()), None).await;
    assert_eq!(forged.expect_err("forged").status(), 401);
    let malformed = hubspot(&store, b"{not json", None, None).await;
    let err = malformed.expect_err("malformed");
    assert_eq!(err.status(), 400);
    assert!(err.to_string().contains("not a JSON array"), "{err}");
    let big = vec![b' '; MAX_BODY_BYTES + 1];
    assert_eq!(
        hubspot(&store, &big, None, None)
            .await
            .expect_err("big")
            .status(),
        413
    );
}

#[tokio::test]
async fn a_legacy_signature_and_a_replayed_v3_delivery_are_refused_with_401() {
    let store = store_with("62515", "r1").await;
    let body = fixture("hubspot", "webhook-contact-merge.json");
    let secret = SecretString::from(HS_SECRET);
    // v1: hex(sha256(secret + body)), no timestamp (docs/hubspot.md §5.5).
    let v1 = {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(HS_SECRET.as_bytes());
        h.update(&body);
        hex::encode(h.finalize())
    };
    let legacy_headers = [("X-HubSpot-Signature", v1.as_str())];
    let legacy = InboundRequest {
        method: "POST",
        url: URL,
        headers: &legacy_headers,
        body: &body,
    };
    let verifier = WebhookVerifier::new(secret.clone())
        .with_replay_guard(Arc::new(MemoryReplayGuard::default()));
    let refused = hubspot_delivery(&verifier, None, &store, &legacy, now())
        .await
        .expect_err("v1 is refused by default");
    assert_eq!(refused.status(), 401);
    assert!(
        refused.to_string().contains("legacy_signatures"),
        "{refused}"
    );
    let allowing = verifier.clone().allowing_legacy(true);
    assert!(
        hubspot_delivery(&allowing, None, &store, &legacy, now())
            .await
            .is_ok(),
        "accepted where the app secret allows it"
    );

    let timestamp = now().timestamp_millis().to_string();
    let v3 = sign_v3(&secret, "POST", URL, &body, &timestamp);
    let headers = [
        ("X-HubSpot-Signature-v3", v3.as_str()),
        ("X-HubSpot-Request-Timestamp", timestamp.as_str()),
    ];
    let captured = InboundRequest {
        method: "POST",
        url: URL,
        headers: &headers,
        body: &body,
    };
    let first = hubspot_delivery(&verifier, None, &store, &captured, now()).await;
    assert!(!first.expect("first delivery").jobs.is_empty());
    let again = hubspot_delivery(&verifier, None, &store, &captured, now())
        .await
        .expect_err("the replay");
    assert_eq!(again.status(), 401);
    assert!(again.to_string().contains("replay"), "{again}");
}

#[tokio::test]
async fn a_quickbooks_batch_is_split_by_realm_and_entity() {
    let store = store_with("1", "1234567890123456").await;
    let body = fixture("quickbooks", "webhook-cloudevents-mixed-batch.json");
    let outcome = quickbooks(&store, &body, None).await.expect("accepted");
    let jobs: Vec<_> = outcome
        .jobs
        .iter()
        .map(|j| (j.kind, j.side, j.id.as_str()))
        .collect();
    assert_eq!(
        jobs,
        [
            // A Customer is a job for both customer kinds; the worker does the one the
            // connection's customer model does not use at once.
            (ObjectKind::Contact, Side::Quickbooks, "58"),
            (ObjectKind::Company, Side::Quickbooks, "58"),
            (ObjectKind::Invoice, Side::Quickbooks, "146"),
            (ObjectKind::Invoice, Side::Quickbooks, "29"),
        ]
    );
    // The payment belongs to another company, which no connection serves here.
    assert_eq!(outcome.unknown_tenants, ["realm 6543210987654321"]);
    assert!(outcome.ignored.is_empty(), "{:?}", outcome.ignored);
    let unrouted = store_with("1", "42").await;
    let outcome = quickbooks(&unrouted, &body, None).await.expect("accepted");
    assert!(outcome.jobs.is_empty());
    assert_eq!(
        outcome.unknown_tenants,
        ["realm 1234567890123456", "realm 6543210987654321"]
    );
}

#[tokio::test]
async fn a_quickbooks_merge_signals_the_survivor_and_the_merged_away() {
    let store = store_with("1", "1234567890123456").await;
    let body = fixture("quickbooks", "webhook-cloudevents-customer-merged.json");
    let outcome = quickbooks(&store, &body, None).await.expect("accepted");
    let mut ids: Vec<(&str, Option<&str>)> = outcome
        .jobs
        .iter()
        .filter(|j| j.kind == ObjectKind::Contact)
        .map(|j| (j.id.as_str(), j.merged_into.as_deref()))
        .collect();
    ids.sort();
    // The merged-away customer's job names the kept one (docs/architecture.md §13).
    assert_eq!(ids, [("123", None), ("27", Some("123"))]);
    let companies = outcome
        .jobs
        .iter()
        .filter(|j| j.kind == ObjectKind::Company);
    assert_eq!(
        companies.count(),
        2,
        "the company kind gets the same two jobs"
    );
}

#[tokio::test]
async fn quickbooks_refusals_carry_the_right_status() {
    let store = store_with("1", "1234567890123456").await;
    let body = fixture("quickbooks", "webhook-cloudevents-mixed-batch.json");
    let forged = quickbooks(
        &store,
        &body,
        Some(sign(&SecretString::from("wrong"), &body)),
    )
    .await;
    assert_eq!(forged.expect_err("forged").status(), 401);
    let missing = quickbooks(&store, &body, Some(String::new())).await;
    assert_eq!(missing.expect_err("missing").status(), 401);
    let malformed = quickbooks(&store, b"42", None).await;
    assert_eq!(malformed.expect_err("malformed").status(), 400);
}
