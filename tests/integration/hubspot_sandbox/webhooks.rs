//! Webhooks (docs/hubspot.md §5.3-§5.5): signed deliveries (v3 + v1 headers, checked here with
//! hmac/sha2 directly), event shapes as the fixtures, batching, retries on non-2xx with the
//! time-compressed schedule, duplicate/drop/reorder rates.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use hmac::{Hmac, Mac};
use hqsync_sandbox::hubspot::{ACTOR_HEADER, HubspotSandboxConfig};
use hqsync_tests::fixtures;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Hs, keys, quiet_config};

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    fail_first: Arc<AtomicUsize>,
}

async fn hook(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    r.got.lock().unwrap().push((headers, body));
    let failing = r
        .fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

/// A receiver on a free port; answers 500 to the first `fail_first` POSTs.
async fn receiver(fail_first: usize) -> (String, Receiver) {
    let r = Receiver::default();
    r.fail_first.store(fail_first, Ordering::SeqCst);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hubspot/webhooks", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/hubspot/webhooks", post(hook))
        .with_state(r.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, r)
}

impl Receiver {
    /// Waits (real time, up to 10 s) until `done` holds for the deliveries so far.
    async fn wait_for(
        &self,
        done: impl Fn(&[(HeaderMap, Bytes)]) -> bool,
    ) -> Vec<(HeaderMap, Bytes)> {
        for _ in 0..1000 {
            {
                let got = self.got.lock().unwrap();
                if done(&got) {
                    return got.clone();
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!(
            "webhook deliveries did not arrive: {}",
            self.got.lock().unwrap().len()
        );
    }

    async fn wait_events(&self, n: usize) -> Vec<(HeaderMap, Bytes)> {
        self.wait_for(|got| events_in(got) >= n).await
    }
}

fn events_in(got: &[(HeaderMap, Bytes)]) -> usize {
    got.iter()
        .map(|(_, b)| {
            serde_json::from_slice::<Value>(b)
                .unwrap()
                .as_array()
                .unwrap()
                .len()
        })
        .sum()
}

/// Verifies one delivery per docs/hubspot.md §5.5, independently of the sandbox's code, and
/// returns its events.
fn verify(headers: &HeaderMap, body: &[u8], secret: &str, url: &str) -> Vec<Value> {
    let h = |n: &str| {
        headers
            .get(n)
            .unwrap_or_else(|| panic!("header {n}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let ts = h("x-hubspot-request-timestamp");
    assert!(ts.parse::<i64>().is_ok());
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("POST{url}").as_bytes());
    mac.update(body);
    mac.update(ts.as_bytes());
    let v3 = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(h("x-hubspot-signature-v3"), v3, "v3 signature");
    let mut sha = Sha256::new();
    sha.update(secret.as_bytes());
    sha.update(body);
    let v1: String = sha.finalize().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(h("x-hubspot-signature"), v1, "v1 signature");
    assert_eq!(h("x-hubspot-signature-version"), "v1");
    let events: Vec<Value> = serde_json::from_slice(body).unwrap();
    assert!(!events.is_empty() && events.len() <= 100);
    events
}

async fn hs_with_hooks(fail_first: usize, config: HubspotSandboxConfig) -> (Hs, String, Receiver) {
    let (url, r) = receiver(fail_first).await;
    let hs = Hs::start(HubspotSandboxConfig {
        webhook_url: Some(url.clone()),
        webhook_delay: Duration::ZERO,
        ..config
    })
    .await;
    (hs, url, r)
}

fn all_events(got: &[(HeaderMap, Bytes)], secret: &str, url: &str) -> Vec<Value> {
    got.iter()
        .flat_map(|(h, b)| verify(h, b, secret, url))
        .collect()
}

#[tokio::test]
async fn app_writes_arrive_signed_as_legacy_contact_events() {
    let (hs, url, r) = hs_with_hooks(0, quiet_config()).await;
    let c = hs.sandbox.config().clone();
    let id = hs
        .create(
            "contacts",
            json!({"email": "hook@x.example", "firstname": "Hook"}),
        )
        .await;
    let got = r.wait_events(3).await;
    let events = all_events(&got, &c.client_secret, &url);
    let creation = events
        .iter()
        .find(|e| e["subscriptionType"] == "contact.creation")
        .expect("creation");
    let fixture = fixtures::json("hubspot", "webhook-contact-creation-by-app.json");
    assert_eq!(keys(creation), keys(&fixture[0]));
    assert_eq!(creation["objectId"], id.parse::<u64>().unwrap());
    assert_eq!(creation["portalId"], c.portal_id);
    assert_eq!(creation["appId"], c.app_id);
    assert_eq!(creation["changeSource"], "INTEGRATION");
    assert_eq!(creation["sourceId"], c.app_id.to_string());
    assert_eq!(creation["changeFlag"], "CREATED");
    assert_eq!(creation["attemptNumber"], 0);
    let change = events
        .iter()
        .find(|e| e["subscriptionType"] == "contact.propertyChange" && e["propertyName"] == "email")
        .expect("email propertyChange");
    let fixture = fixtures::json("hubspot", "webhook-contact-propertychange-by-app.json");
    assert_eq!(keys(change), keys(&fixture[0]));
    assert_eq!(change["propertyValue"], "hook@x.example");
    // docs/hubspot.md §5.2: no event for the last-modified date.
    assert!(
        events
            .iter()
            .all(|e| e["propertyName"] != "lastmodifieddate")
    );
}

#[tokio::test]
async fn user_edits_invoices_deletions_and_merges_have_their_shapes() {
    let (hs, url, r) = hs_with_hooks(0, quiet_config()).await;
    let secret = hs.sandbox.config().client_secret.clone();
    // A simulated UI edit: changeSource CRM_UI, sourceId userId:<id>.
    let resp = hs
        .http
        .post(format!("{}/crm/v3/objects/products", hs.base))
        .bearer_auth(&hs.token)
        .header(ACTOR_HEADER, "user:7")
        .json(&json!({"properties": {"name": "By hand"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let inv = hs.create("invoices", json!({"hs_currency": "USD"})).await;
    hs.delete(&format!("/crm/v3/objects/invoices/{inv}")).await;
    let a = hs.create("contacts", json!({"email": "p@x.example"})).await;
    let b = hs.create("contacts", json!({"email": "s@x.example"})).await;
    hs.post(
        "/crm/v3/objects/contacts/merge",
        json!({"primaryObjectId": a, "objectIdToMerge": b}),
    )
    .await;
    let got = r
        .wait_for(|got| {
            got.iter()
                .any(|(_, b)| String::from_utf8_lossy(b).contains("contact.merge"))
                && got
                    .iter()
                    .any(|(_, b)| String::from_utf8_lossy(b).contains("object.deletion"))
        })
        .await;
    let events = all_events(&got, &secret, &url);
    let by_hand = events
        .iter()
        .find(|e| e["subscriptionType"] == "product.creation")
        .unwrap();
    assert_eq!(by_hand["changeSource"], "CRM_UI");
    assert_eq!(by_hand["sourceId"], "userId:7");

    let fx = fixtures::json("hubspot", "webhook-object-creation-and-propertychange.json");
    let created = events
        .iter()
        .find(|e| e["subscriptionType"] == "object.creation")
        .unwrap();
    assert_eq!(created["objectTypeId"], "0-53");
    assert_eq!(keys(created), keys(&fx[0]));
    let changed = events
        .iter()
        .find(|e| {
            e["subscriptionType"] == "object.propertyChange" && e["propertyName"] == "hs_currency"
        })
        .unwrap();
    assert_eq!(keys(changed), keys(&fx[1]));
    let deleted = events
        .iter()
        .find(|e| e["subscriptionType"] == "object.deletion")
        .unwrap();
    assert_eq!(
        keys(deleted),
        keys(&fixtures::json("hubspot", "webhook-object-deletion.json")[0])
    );
    assert_eq!(deleted["changeFlag"], "DELETED");

    let merge = events
        .iter()
        .find(|e| e["subscriptionType"] == "contact.merge")
        .unwrap();
    assert_eq!(
        keys(merge),
        keys(&fixtures::json("hubspot", "webhook-contact-merge.json")[0])
    );
    assert_eq!(merge["primaryObjectId"], a.parse::<u64>().unwrap());
    assert_eq!(merge["mergedObjectIds"], json!([b.parse::<u64>().unwrap()]));
}

#[tokio::test]
async fn batches_hold_at_most_max_batch_events() {
    let (hs, url, r) = hs_with_hooks(0, quiet_config()).await;
    let secret = hs.sandbox.config().client_secret.clone();
    let s = hs
        .put(
            "/_sandbox/webhooks",
            Some(json!({"maxBatch": 3, "delayMs": 200})),
        )
        .await;
    assert_eq!(s.status, 200, "{}", s.body);
    let inputs: Vec<Value> = (0..5)
        .map(|i| json!({"properties": {"name": format!("P{i}")}}))
        .collect();
    hs.post(
        "/crm/v3/objects/products/batch/create",
        json!({"inputs": inputs}),
    )
    .await;
    let got = r.wait_events(10).await;
    assert!(
        got.len() >= 4,
        "10 events in batches of 3 need 4 POSTs, got {}",
        got.len()
    );
    for (h, b) in &got {
        assert!(verify(h, b, &secret, &url).len() <= 3);
    }
}

#[tokio::test]
async fn non_2xx_is_retried_on_the_time_compressed_schedule() {
    // docs/hubspot.md §5.4: retries on any 4xx/5xx; default schedule starts at 1 minute, which
    // at time scale 600 is 0.1 s of real time.
    let (hs, url, r) = hs_with_hooks(
        2,
        HubspotSandboxConfig {
            time_scale: 600.0,
            ..quiet_config()
        },
    )
    .await;
    let secret = hs.sandbox.config().client_secret.clone();
    hs.create(
        "deals",
        json!({"dealname": "Retry me", "dealstage": "appointmentscheduled"}),
    )
    .await;
    let got = r.wait_for(|got| got.len() >= 3).await;
    let attempts: Vec<Vec<Value>> = got
        .iter()
        .take(3)
        .map(|(h, b)| verify(h, b, &secret, &url))
        .collect();
    for (n, events) in attempts.iter().enumerate() {
        assert!(
            events.iter().all(|e| e["attemptNumber"] == n as u64),
            "attempt {n}: {events:?}"
        );
    }
    let ids = |evs: &Vec<Value>| evs.iter().map(|e| e["eventId"].clone()).collect::<Vec<_>>();
    assert_eq!(
        ids(&attempts[0]),
        ids(&attempts[2]),
        "the same events are redelivered"
    );
    // Counters over the control API.
    for _ in 0..200 {
        let c = hs.get("/_sandbox/webhooks").await.body["counters"].clone();
        if c["deliveredBatches"] == 1 {
            assert_eq!(c["failedAttempts"], 2);
            assert_eq!(c["attempts"], 3);
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("delivery never succeeded");
}

#[tokio::test]
async fn duplicate_and_drop_rates_and_the_secret_are_settable() {
    let (hs, url, r) = hs_with_hooks(0, quiet_config()).await;
    hs.put(
        "/_sandbox/webhooks",
        Some(json!({"duplicateRate": 1.0, "secret": "rotated"})),
    )
    .await;
    hs.create("products", json!({"name": "Twice"})).await;
    let got = r.wait_events(4).await;
    let events = all_events(&got, "rotated", &url);
    let creations: Vec<&Value> = events
        .iter()
        .filter(|e| e["subscriptionType"] == "product.creation")
        .collect();
    assert_eq!(creations.len(), 2, "duplicated");
    assert_eq!(creations[0]["eventId"], creations[1]["eventId"]);

    hs.put(
        "/_sandbox/webhooks",
        Some(json!({"duplicateRate": 0.0, "dropRate": 1.0})),
    )
    .await;
    let before = r.got.lock().unwrap().len();
    hs.create("products", json!({"name": "Never"})).await;
    for _ in 0..200 {
        let c = hs.get("/_sandbox/webhooks").await.body["counters"].clone();
        if c["dropped"].as_u64().unwrap() >= 2 && c["queued"] == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        r.got.lock().unwrap().len(),
        before,
        "dropped events are never sent"
    );
}

#[tokio::test]
async fn reorder_rate_shuffles_but_loses_nothing() {
    let (hs, url, r) = hs_with_hooks(0, quiet_config()).await;
    let secret = hs.sandbox.config().client_secret.clone();
    hs.put(
        "/_sandbox/webhooks",
        Some(json!({"reorderRate": 1.0, "delayMs": 300})),
    )
    .await;
    let inputs: Vec<Value> = (0..30)
        .map(|i| json!({"properties": {"name": format!("P{i}")}}))
        .collect();
    let created = hs
        .post(
            "/crm/v3/objects/products/batch/create",
            json!({"inputs": inputs}),
        )
        .await;
    let got = r.wait_events(60).await;
    let events = all_events(&got, &secret, &url);
    let order: Vec<u64> = events
        .iter()
        .filter(|e| e["subscriptionType"] == "product.creation")
        .map(|e| e["objectId"].as_u64().unwrap())
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    let mut expected: Vec<u64> = created.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().parse().unwrap())
        .collect();
    expected.sort();
    assert_eq!(sorted, expected, "every creation arrives once");
    assert_ne!(order, sorted, "but not in creation order");
}

#[tokio::test]
async fn gdpr_delete_sends_privacy_deletion_and_deletion() {
    // docs/hubspot.md §5.3: contact.privacyDeletion also triggers contact.deletion.
    let (hs, url, r) = hs_with_hooks(0, quiet_config()).await;
    let secret = hs.sandbox.config().client_secret.clone();
    let id = hs.create("contacts", json!({"firstname": "Gone"})).await;
    let d = hs
        .post(
            "/crm/v3/objects/contacts/gdpr-delete",
            json!({"objectId": id}),
        )
        .await;
    assert_eq!(d.status, 204);
    let got = r
        .wait_for(|got| {
            got.iter()
                .any(|(_, b)| String::from_utf8_lossy(b).contains("contact.deletion"))
        })
        .await;
    let events = all_events(&got, &secret, &url);
    let types: Vec<&str> = events
        .iter()
        .filter_map(|e| e["subscriptionType"].as_str())
        .collect();
    assert!(types.contains(&"contact.privacyDeletion"), "{types:?}");
    assert!(types.contains(&"contact.deletion"), "{types:?}");
}

#[tokio::test]
async fn a_merge_with_a_new_id_redirects_both_ids_and_sends_merge_and_deletions() {
    // docs/hubspot.md §2.11: the portal setting for merges that create a new record.
    let (hs, url, r) = hs_with_hooks(0, quiet_config()).await;
    let secret = hs.sandbox.config().client_secret.clone();
    let on = hs
        .put(
            "/_sandbox/hubspot/portal",
            Some(json!({"mergeNewIds": true})),
        )
        .await;
    assert_eq!(on.status, 200, "{}", on.body);
    assert_eq!(on.body["mergeNewIds"], true);
    let a = hs
        .create(
            "contacts",
            json!({"email": "keep@n.example", "firstname": "Kay"}),
        )
        .await;
    let b = hs
        .create(
            "contacts",
            json!({"email": "gone@n.example", "phone": "+1 555 0101"}),
        )
        .await;
    // Errors first: into itself, and an unknown id (HubSpot's error object).
    let itself = hs
        .post(
            "/crm/v3/objects/contacts/merge",
            json!({"primaryObjectId": a, "objectIdToMerge": a}),
        )
        .await;
    assert_eq!(itself.status, 400, "{}", itself.body);
    assert_eq!(itself.body["category"], "VALIDATION_ERROR");
    let unknown = hs
        .post(
            "/crm/v3/objects/contacts/merge",
            json!({"primaryObjectId": a, "objectIdToMerge": "999999999"}),
        )
        .await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    assert_eq!(unknown.body["category"], "OBJECT_NOT_FOUND");

    let merged = hs
        .post(
            "/crm/v3/objects/contacts/merge",
            json!({"primaryObjectId": a, "objectIdToMerge": b}),
        )
        .await;
    assert_eq!(merged.status, 200, "{}", merged.body);
    let new_id = merged.body["id"].as_str().unwrap().to_owned();
    assert_ne!(new_id, a);
    assert_ne!(new_id, b);
    assert_eq!(merged.body["properties"]["email"], "keep@n.example");
    assert_eq!(merged.body["properties"]["phone"], "+1 555 0101");
    // Both old ids read as the result; it lists them in hs_merged_object_ids.
    for old in [&a, &b] {
        let via_old = hs
            .get(&format!(
                "/crm/v3/objects/contacts/{old}?properties=hs_merged_object_ids,email"
            ))
            .await;
        assert_eq!(via_old.status, 200, "{}", via_old.body);
        assert_eq!(via_old.body["id"], new_id.as_str());
        let ids = via_old.body["properties"]["hs_merged_object_ids"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(ids, format!("{a};{b}"));
    }
    // Merging the now merged-away id again is refused: it reads as the result itself.
    let again = hs
        .post(
            "/crm/v3/objects/contacts/merge",
            json!({"primaryObjectId": new_id, "objectIdToMerge": b}),
        )
        .await;
    assert_eq!(again.status, 400, "{}", again.body);

    let got = r
        .wait_for(|got| {
            let text: String = got
                .iter()
                .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
                .collect();
            text.contains("contact.merge") && text.matches("contact.deletion").count() >= 2
        })
        .await;
    let events = all_events(&got, &secret, &url);
    let merge = events
        .iter()
        .find(|e| e["subscriptionType"] == "contact.merge")
        .unwrap();
    assert_eq!(merge["primaryObjectId"], a.parse::<u64>().unwrap());
    assert_eq!(merge["mergedObjectIds"], json!([b.parse::<u64>().unwrap()]));
    assert_eq!(merge["newObjectId"], new_id.parse::<u64>().unwrap());
    let mut deleted: Vec<String> = events
        .iter()
        .filter(|e| e["subscriptionType"] == "contact.deletion")
        .map(|e| e["objectId"].to_string())
        .collect();
    deleted.sort();
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(deleted, expected);
}

#[tokio::test]
async fn company_changes_arrive_as_legacy_company_events() {
    // docs/hubspot.md §2.12, §5.2: companies have the legacy `company.*` types (object 0-2).
    let (hs, url, r) = hs_with_hooks(0, quiet_config()).await;
    let c = hs.sandbox.config().clone();
    let id = hs
        .create(
            "companies",
            json!({"name": "Initech", "domain": "initech.example"}),
        )
        .await;
    let got = r.wait_events(3).await;
    let events = all_events(&got, &c.client_secret, &url);
    let creation = events
        .iter()
        .find(|e| e["subscriptionType"] == "company.creation")
        .expect("company.creation");
    assert_eq!(creation["objectId"], id.parse::<u64>().unwrap());
    assert!(
        events
            .iter()
            .any(|e| e["subscriptionType"] == "company.propertyChange"
                && e["propertyName"] == "domain"
                && e["propertyValue"] == "initech.example"),
        "{events:?}"
    );
}
