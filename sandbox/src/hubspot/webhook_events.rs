//! Turning store changes into HubSpot webhook events (docs/hubspot.md §5.2, §5.3) and signing
//! delivered batches with the v3 signature plus the v1 header (§5.5).

use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::object_types::ObjectKind;
use super::store::{Change, ChangeEvent};
use crate::common::WebhookFormat;

/// Builds event JSON for one portal and app.
#[derive(Debug)]
pub struct EventBuilder {
    pub portal_id: u64,
    pub app_id: u64,
    next_event_id: AtomicU64,
}

/// A stable fake subscription id per subscription (type + object type + property): real
/// subscriptions have one id each (docs/hubspot.md §5.3 `subscriptionId`).
fn subscription_id(parts: &[&str]) -> u64 {
    // FNV-1a: tiny, stable across runs (std's hasher is randomly seeded).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in parts.join("/").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    1_000_000 + h % 9_000_000
}

impl EventBuilder {
    pub fn new(portal_id: u64, app_id: u64) -> Self {
        Self {
            portal_id,
            app_id,
            next_event_id: AtomicU64::new(3_400_000_000),
        }
    }

    /// The events for one change: legacy `contact.*` style for types that have it, generic
    /// `object.*` with `objectTypeId` for the others (docs/hubspot.md §5.2: no `invoice.*`).
    pub fn events(&self, event: &ChangeEvent) -> Vec<Value> {
        let (kind, object_id, action, mut extra) = match &event.change {
            Change::Created { kind, id } => {
                (*kind, *id, "creation", json!({"changeFlag": "CREATED"}))
            }
            Change::Deleted { kind, id } => {
                (*kind, *id, "deletion", json!({"changeFlag": "DELETED"}))
            }
            // docs/hubspot.md §5.2/§5.3: contact.privacyDeletion (followed by contact.deletion).
            Change::PrivacyDeleted { kind, id } => (*kind, *id, "privacyDeletion", json!({})),
            Change::PropertyChanged {
                kind,
                id,
                name,
                value,
            } => {
                // docs/hubspot.md §5.2: no subscriptions to hs_lastmodifieddate.
                if name == kind.last_modified_property() {
                    return Vec::new();
                }
                let mut extra = json!({"propertyName": name, "propertyValue": value});
                if kind.legacy_webhook_prefix().is_none() {
                    extra["isSensitive"] = false.into();
                }
                (*kind, *id, "propertyChange", extra)
            }
            // docs/hubspot.md §2.11: `newObjectId` names the result (a new record or the primary).
            Change::Merged {
                kind,
                primary,
                merged,
                result,
                moved,
            } => (
                *kind,
                *primary,
                "merge",
                json!({
                    "primaryObjectId": primary,
                    "mergedObjectIds": [merged],
                    "newObjectId": result,
                    "numberOfPropertiesMoved": moved,
                }),
            ),
            Change::Association {
                from,
                from_id,
                to,
                to_id,
                type_id,
                type_name,
                removed,
            } => {
                let extra = if from.legacy_webhook_prefix().is_some() {
                    json!({
                        "associationType": type_name,
                        "fromObjectId": from_id,
                        "toObjectId": to_id,
                        "associationRemoved": removed,
                        "isPrimaryAssociation": type_name.starts_with("PRIMARY_"),
                    })
                } else {
                    // docs/hubspot.md §5.3 generic form [2nd].
                    json!({
                        "fromObjectTypeId": from.type_id(),
                        "toObjectTypeId": to.type_id(),
                        "fromObjectId": from_id,
                        "toObjectId": to_id,
                        "associationTypeId": type_id,
                        "associationCategory": "HUBSPOT_DEFINED",
                        "associationRemoved": removed,
                    })
                };
                (*from, *from_id, "associationChange", extra)
            }
        };
        let (subscription_type, object_type_id) = match kind.legacy_webhook_prefix() {
            Some(prefix) => (format!("{prefix}.{action}"), None),
            None => (format!("object.{action}"), Some(kind.type_id())),
        };
        let property = extra
            .get("propertyName")
            .and_then(Value::as_str)
            .unwrap_or("");
        let sub_id = subscription_id(&[&subscription_type, kind.type_id(), property]);
        let mut e = Map::new();
        e.insert(
            "eventId".into(),
            self.next_event_id.fetch_add(1, Ordering::Relaxed).into(),
        );
        e.insert("subscriptionId".into(), sub_id.into());
        e.insert("portalId".into(), self.portal_id.into());
        e.insert("appId".into(), self.app_id.into());
        e.insert("occurredAt".into(), event.occurred_at_ms.into());
        e.insert("subscriptionType".into(), subscription_type.into());
        e.insert("attemptNumber".into(), 0.into());
        e.insert("objectId".into(), object_id.into());
        if let Some(t) = object_type_id {
            e.insert("objectTypeId".into(), t.into());
        }
        if let Some(map) = extra.as_object_mut() {
            e.append(map);
        }
        e.insert("changeSource".into(), event.actor.change_source.into());
        e.insert("sourceId".into(), event.actor.source_id.clone().into());
        vec![Value::Object(e)]
    }
}

/// docs/hubspot.md §5.5 v3: base64(HMAC-SHA256(secret, method + uri + body + timestamp)).
pub fn signature_v3(secret: &str, method: &str, uri: &str, body: &[u8], timestamp: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(method.as_bytes());
    mac.update(uri.as_bytes());
    mac.update(body);
    mac.update(timestamp.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// docs/hubspot.md §5.5 v1: hex(SHA-256(secret + body)).
pub fn signature_v1(secret: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(secret.as_bytes());
    h.update(body);
    hex::encode(h.finalize())
}

/// docs/hubspot.md §5.5 v2: hex(SHA-256(secret + method + uri + body)).
pub fn signature_v2(secret: &str, method: &str, uri: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(secret.as_bytes());
    h.update(method.as_bytes());
    h.update(uri.as_bytes());
    h.update(body);
    hex::encode(h.finalize())
}

/// HubSpot's delivery format: a JSON array with `attemptNumber` set per attempt (§5.3),
/// signed with v3 + `X-HubSpot-Request-Timestamp` and the older v1 header (§5.5: CRM webhooks
/// use v1 in `X-HubSpot-Signature`, named by `X-HubSpot-Signature-Version`).
#[derive(Debug, Default)]
pub struct HubspotWebhookFormat;

impl WebhookFormat for HubspotWebhookFormat {
    fn encode(&self, events: &[Value], attempt: u32) -> Vec<u8> {
        let events: Vec<Value> = events
            .iter()
            .cloned()
            .map(|mut e| {
                if let Some(o) = e.as_object_mut() {
                    o.insert("attemptNumber".into(), attempt.into());
                }
                e
            })
            .collect();
        serde_json::to_vec(&events).unwrap_or_default()
    }

    fn sign(
        &self,
        secret: &str,
        method: &str,
        url: &str,
        body: &[u8],
        now_ms: i64,
    ) -> Vec<(String, String)> {
        let timestamp = now_ms.to_string();
        vec![
            (
                "X-HubSpot-Signature-v3".into(),
                signature_v3(secret, method, url, body, &timestamp),
            ),
            ("X-HubSpot-Request-Timestamp".into(), timestamp),
            ("X-HubSpot-Signature".into(), signature_v1(secret, body)),
            ("X-HubSpot-Signature-Version".into(), "v1".into()),
        ]
    }
}

/// Which object type a webhook `objectTypeId` names (for tests and tooling).
pub fn kind_of_type_id(type_id: &str) -> Option<ObjectKind> {
    ObjectKind::parse(type_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hubspot::store::Actor;

    fn vectors() -> Value {
        serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/hubspot/webhook-signature-test-vectors.json"
        )))
        .unwrap()
    }

    #[test]
    fn signatures_match_the_documented_vectors() {
        let v = vectors();
        let s = |k: &str, f: &str| v[k][f].as_str().unwrap().to_owned();
        assert_eq!(
            signature_v1(&s("v1", "clientSecret"), s("v1", "requestBody").as_bytes()),
            s("v1", "expectedSignature")
        );
        for k in ["v2_get", "v2_post"] {
            assert_eq!(
                signature_v2(
                    &s(k, "clientSecret"),
                    &s(k, "method"),
                    &s(k, "uri"),
                    s(k, "requestBody").as_bytes()
                ),
                s(k, "expectedSignature")
            );
        }
        assert_eq!(
            signature_v3(
                &s("v3_post", "clientSecret"),
                &s("v3_post", "method"),
                &s("v3_post", "uri"),
                s("v3_post", "requestBody").as_bytes(),
                &s("v3_post", "timestamp")
            ),
            s("v3_post", "expectedSignature")
        );
    }

    #[test]
    fn invoice_changes_are_generic_object_events() {
        let b = EventBuilder::new(62515, 99);
        let e = ChangeEvent {
            change: Change::PropertyChanged {
                kind: ObjectKind::Invoice,
                id: 5,
                name: "hs_invoice_status".into(),
                value: "open".into(),
            },
            occurred_at_ms: 1,
            actor: Actor::app(99),
        };
        let ev = &b.events(&e)[0];
        assert_eq!(ev["subscriptionType"], "object.propertyChange");
        assert_eq!(ev["objectTypeId"], "0-53");
        assert_eq!(ev["changeSource"], "INTEGRATION");
        assert_eq!(ev["sourceId"], "99");
        assert_eq!(ev["isSensitive"], false);
    }

    #[test]
    fn attempt_number_is_set_per_attempt() {
        let body = HubspotWebhookFormat.encode(&[json!({"attemptNumber": 0})], 3);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v[0]["attemptNumber"], 3);
    }
}
