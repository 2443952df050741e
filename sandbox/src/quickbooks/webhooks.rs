//! QBO webhook emission (docs/quickbooks.md §11): changes become events, encoded as CloudEvents
//! (§11.4) or legacy `eventNotifications` (§11.3), signed with `intuit-signature` (§11.2), and
//! handed to the shared delivery engine with the documented retry schedule (§11.5).

use std::sync::{Arc, Mutex};

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::config::{InactiveEventKind, WebhookPayloadFormat};
use super::state::{Change, ChangeOp};
use crate::common::WebhookFormat;

/// §11.5: retry waits after a failed delivery: 10 s, 20 s, 30 s, 5 min, 20 min, 2 h, 4 h, 6 h,
/// then every 6 h (the docs give no end; the sandbox stops after four more).
pub const RETRY_SCHEDULE_SECONDS: &[u64] = &[
    10, 20, 30, 300, 1200, 7200, 14_400, 21_600, 21_600, 21_600, 21_600, 21_600,
];

/// The header carrying the signature (§11.2).
pub const SIGNATURE_HEADER: &str = "intuit-signature";

/// base64(HMAC-SHA256(key = verifier token, message = raw body)) (§11.2).
pub fn sign(verifier_token: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(verifier_token.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Settings that change how events look, switchable at runtime.
#[derive(Debug, Clone)]
pub struct EventStyle {
    pub format: WebhookPayloadFormat,
    pub inactive_event: InactiveEventKind,
    /// CloudEvents operation segment for voids (`voided`, or `void`, §11.4 UNVERIFIED).
    pub void_operation: String,
}

/// The legacy operation name (§11.3) of a change.
fn legacy_operation(op: ChangeOp, inactive: InactiveEventKind) -> &'static str {
    match op {
        ChangeOp::Create => "Create",
        ChangeOp::Update => "Update",
        ChangeOp::Delete => "Delete",
        ChangeOp::Void => "Void",
        ChangeOp::Emailed => "Emailed",
        ChangeOp::Merge => "Merge",
        ChangeOp::Deactivate => match inactive {
            InactiveEventKind::Update => "Update",
            InactiveEventKind::Delete => "Delete",
        },
    }
}

/// A change as a neutral queued event; [`QboWebhookFormat`] renders it at send time, but its
/// identity (`eventId`) is fixed here so retries and duplicates carry the same `id` (§11.4).
pub fn event_for(change: &Change, realm_id: &str, style: &EventStyle, time: &str) -> Value {
    json!({
        "eventId": format!("{}-{}-{}", uuid::Uuid::new_v4(), change.kind.name(), change.id),
        "realmId": realm_id,
        "entity": change.kind.name(),
        "entityId": change.id,
        "operation": legacy_operation(change.op, style.inactive_event),
        "time": time,
        "deletedId": change.merged_away,
    })
}

/// Encodes queued events in the current [`EventStyle`] and signs bodies.
pub struct QboWebhookFormat {
    pub style: Arc<Mutex<EventStyle>>,
}

fn cloud_event(e: &Value, void_operation: &str) -> Value {
    let entity = e["entity"].as_str().unwrap_or_default();
    let realm = e["realmId"].as_str().unwrap_or_default();
    let operation = match e["operation"].as_str().unwrap_or_default() {
        "Create" => "created",
        "Update" => "updated",
        "Delete" => "deleted",
        "Merge" => "merged",
        "Void" => void_operation,
        // §11.4: UNVERIFIED; past tense like the confirmed operations.
        "Emailed" => "emailed",
        _ => "updated",
    };
    json!({
        "specversion": "1.0",
        "id": e["eventId"],
        "source": format!("intuit.{}", base64::engine::general_purpose::STANDARD.encode(realm)),
        "type": format!("qbo.{}.{operation}.v1", entity.to_lowercase()),
        "datacontenttype": "application/json",
        "time": e["time"],
        "intuitentityid": e["entityId"],
        "intuitaccountid": realm,
        // §4.8, §11.4: a merge names the merged-away record in `data.deletedid`.
        "data": match e["deletedId"].as_str() {
            Some(id) => json!({"deletedid": id}),
            None => json!({}),
        }
    })
}

/// Legacy payload: one notification per realm, entities in order (§11.3).
fn legacy(events: &[Value]) -> Value {
    let mut realms: Vec<(String, Vec<Value>)> = Vec::new();
    for e in events {
        let realm = e["realmId"].as_str().unwrap_or_default().to_owned();
        let mut entity = json!({
            "name": e["entity"], "id": e["entityId"], "operation": e["operation"],
            "lastUpdated": e["time"]
        });
        // §4.8, §11.3: a merge names the merged-away record in `deletedId`.
        if let Some(id) = e["deletedId"].as_str() {
            entity["deletedId"] = id.into();
        }
        match realms.iter_mut().find(|(r, _)| *r == realm) {
            Some((_, list)) => list.push(entity),
            None => realms.push((realm, vec![entity])),
        }
    }
    let notifications: Vec<Value> = realms
        .into_iter()
        .map(|(realm, entities)| json!({"realmId": realm, "dataChangeEvent": {"entities": entities}}))
        .collect();
    json!({"eventNotifications": notifications})
}

impl WebhookFormat for QboWebhookFormat {
    fn encode(&self, events: &[Value], _attempt: u32) -> Vec<u8> {
        let style = self.style.lock().expect("style lock").clone();
        let body = match style.format {
            WebhookPayloadFormat::CloudEvents => Value::Array(
                events
                    .iter()
                    .map(|e| cloud_event(e, &style.void_operation))
                    .collect(),
            ),
            WebhookPayloadFormat::Legacy => legacy(events),
        };
        serde_json::to_vec(&body).expect("JSON serialises")
    }

    fn sign(
        &self,
        secret: &str,
        _method: &str,
        _url: &str,
        body: &[u8],
        _now_ms: i64,
    ) -> Vec<(String, String)> {
        vec![(SIGNATURE_HEADER.to_owned(), sign(secret, body))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quickbooks::entity_kind::EntityKind;

    fn style(format: WebhookPayloadFormat) -> Arc<Mutex<EventStyle>> {
        Arc::new(Mutex::new(EventStyle {
            format,
            inactive_event: InactiveEventKind::Delete,
            void_operation: "voided".into(),
        }))
    }

    fn change(op: ChangeOp) -> Change {
        Change {
            kind: EntityKind::Invoice,
            id: "42".into(),
            op,
            at_ms: 0,
            merged_away: None,
        }
    }

    #[test]
    fn cloud_events_have_the_documented_fields() {
        let s = style(WebhookPayloadFormat::CloudEvents);
        let e = event_for(
            &change(ChangeOp::Void),
            "123",
            &s.lock().unwrap(),
            "2026-01-01T00:00:00.000Z",
        );
        let body: Value =
            serde_json::from_slice(&QboWebhookFormat { style: s }.encode(&[e], 0)).unwrap();
        assert_eq!(body[0]["type"], "qbo.invoice.voided.v1");
        assert_eq!(body[0]["intuitaccountid"], "123");
        assert_eq!(body[0]["intuitentityid"], "42");
        assert_eq!(body[0]["specversion"], "1.0");
        assert!(body[0]["id"].as_str().unwrap().ends_with("-Invoice-42"));
    }

    #[test]
    fn legacy_groups_by_realm_and_deactivation_follows_the_knob() {
        let s = style(WebhookPayloadFormat::Legacy);
        let mut c = change(ChangeOp::Deactivate);
        c.kind = EntityKind::Customer;
        let e = event_for(&c, "9", &s.lock().unwrap(), "t");
        let body: Value =
            serde_json::from_slice(&QboWebhookFormat { style: s }.encode(&[e.clone(), e], 0))
                .unwrap();
        let entities = &body["eventNotifications"][0]["dataChangeEvent"]["entities"];
        assert_eq!(entities.as_array().unwrap().len(), 2);
        assert_eq!(entities[0]["operation"], "Delete");
        assert_eq!(body["eventNotifications"][0]["realmId"], "9");
    }

    #[test]
    fn signature_is_base64_hmac_sha256() {
        // Independent vector: HMAC-SHA256(key="key", "The quick brown fox jumps over the lazy dog")
        // = f7bc83f4...d8 (RFC 4231-style well-known value), base64-encoded.
        assert_eq!(
            sign("key", b"The quick brown fox jumps over the lazy dog"),
            "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="
        );
    }
}
