//! Parses HubSpot webhook batches (a JSON array of up to 100 events) into typed events, keeping
//! unknown types as `Other`, and gives each event a dedupe key that does not trust `eventId` (§5.3).

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::hubspot::objects::ObjectType;

/// What happened, by the part of `subscriptionType` after the dot (§5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventAction {
    Creation,
    Deletion,
    Restore,
    PrivacyDeletion,
    PropertyChange {
        name: String,
        /// The new value as a string; `None` when HubSpot sent none (a cleared value).
        value: Option<String>,
    },
    Merge {
        /// The winner.
        primary_object_id: Option<String>,
        /// The losers.
        merged_object_ids: Vec<String>,
        /// A new record HubSpot may create for the merge.
        new_object_id: Option<String>,
    },
    AssociationChange {
        /// Legacy enum string, e.g. `DEAL_TO_LINE_ITEM`.
        association_type: Option<String>,
        /// Generic form: `associationTypeId` with `fromObjectTypeId` / `toObjectTypeId`.
        association_type_id: Option<u64>,
        from_object_type_id: Option<String>,
        to_object_type_id: Option<String>,
        from_object_id: Option<String>,
        to_object_id: Option<String>,
        removed: bool,
    },
    /// A type we do not handle (kept, never a failure of the batch).
    Other,
}

impl EventAction {
    fn name(&self) -> &'static str {
        match self {
            EventAction::Creation => "creation",
            EventAction::Deletion => "deletion",
            EventAction::Restore => "restore",
            EventAction::PrivacyDeletion => "privacyDeletion",
            EventAction::PropertyChange { .. } => "propertyChange",
            EventAction::Merge { .. } => "merge",
            EventAction::AssociationChange { .. } => "associationChange",
            EventAction::Other => "other",
        }
    }
}

/// One delivered event. Every field is optional on the wire; `raw` keeps the whole event.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    /// `subscriptionType`, or `eventType` in the older payloads (§5.3).
    pub subscription_type: String,
    /// `0-1`, `0-53`, `2-...`: from `objectTypeId`, or from the legacy type prefix.
    pub object_type_id: Option<String>,
    /// The object type when it is one HQSync knows.
    pub object_type: Option<ObjectType>,
    /// `objectId`, number or string on the wire, kept as a string.
    pub object_id: Option<String>,
    pub portal_id: Option<String>,
    pub app_id: Option<String>,
    pub subscription_id: Option<String>,
    /// Not unique (§5.3); never used for dedupe.
    pub event_id: Option<String>,
    /// Milliseconds since the epoch; order events by this (§5.4).
    pub occurred_at: Option<i64>,
    pub attempt_number: Option<u64>,
    pub change_source: Option<String>,
    pub source_id: Option<String>,
    pub change_flag: Option<String>,
    pub action: EventAction,
    pub raw: Value,
}

/// The body was not a JSON array of events.
#[derive(Debug, thiserror::Error)]
#[error("HubSpot webhook body is not a JSON array of events: {0}")]
pub struct EventsError(String);

/// Parses a delivery. Only a body that is not JSON fails; every element becomes an event
/// (unknown or malformed ones as [`EventAction::Other`]), so nothing in a batch is lost.
pub fn parse_events(body: &[u8]) -> Result<Vec<WebhookEvent>, EventsError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| EventsError(e.to_string()))?;
    let items = match value {
        Value::Array(items) => items,
        // Tolerate a single event object.
        Value::Object(_) => vec![value],
        other => return Err(EventsError(format!("found {}", kind_of(&other)))),
    };
    Ok(items.into_iter().map(WebhookEvent::from_value).collect())
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A field that may be a number or a string, as a string.
fn id(obj: &Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn text(obj: &Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn int(obj: &Map<String, Value>, key: &str) -> Option<i64> {
    match obj.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl WebhookEvent {
    fn from_value(raw: Value) -> Self {
        let empty = Map::new();
        let obj = raw.as_object().unwrap_or(&empty);
        let subscription_type = text(obj, "subscriptionType")
            .or_else(|| text(obj, "eventType"))
            .unwrap_or_default();
        let (prefix, verb) = subscription_type
            .split_once('.')
            .unwrap_or((subscription_type.as_str(), ""));
        let object_type_id = id(obj, "objectTypeId").or_else(|| {
            ObjectType::from_legacy_event_prefix(prefix).map(|t| t.type_id().to_owned())
        });
        let object_type = object_type_id.as_deref().and_then(ObjectType::from_type_id);
        let known_prefix = prefix == "object"
            || ObjectType::from_legacy_event_prefix(prefix).is_some()
            || matches!(prefix, "ticket" | "conversation");
        let action = if !known_prefix {
            EventAction::Other
        } else {
            match verb {
                "creation" => EventAction::Creation,
                "deletion" => EventAction::Deletion,
                "restore" => EventAction::Restore,
                "privacyDeletion" => EventAction::PrivacyDeletion,
                "propertyChange" => match text(obj, "propertyName") {
                    Some(name) => EventAction::PropertyChange {
                        name,
                        value: text(obj, "propertyValue"),
                    },
                    None => EventAction::Other,
                },
                "merge" => EventAction::Merge {
                    primary_object_id: id(obj, "primaryObjectId"),
                    merged_object_ids: obj
                        .get("mergedObjectIds")
                        .and_then(Value::as_array)
                        .map(|ids| {
                            ids.iter()
                                .filter_map(|v| match v {
                                    Value::String(s) => Some(s.clone()),
                                    Value::Number(n) => Some(n.to_string()),
                                    _ => None,
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    new_object_id: id(obj, "newObjectId"),
                },
                "associationChange" => EventAction::AssociationChange {
                    association_type: text(obj, "associationType"),
                    association_type_id: int(obj, "associationTypeId")
                        .and_then(|n| u64::try_from(n).ok()),
                    from_object_type_id: id(obj, "fromObjectTypeId"),
                    to_object_type_id: id(obj, "toObjectTypeId"),
                    from_object_id: id(obj, "fromObjectId"),
                    to_object_id: id(obj, "toObjectId"),
                    removed: obj
                        .get("associationRemoved")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                },
                _ => EventAction::Other,
            }
        };
        WebhookEvent {
            object_id: id(obj, "objectId"),
            portal_id: id(obj, "portalId"),
            app_id: id(obj, "appId"),
            subscription_id: id(obj, "subscriptionId"),
            event_id: id(obj, "eventId"),
            occurred_at: int(obj, "occurredAt"),
            attempt_number: int(obj, "attemptNumber").and_then(|n| u64::try_from(n).ok()),
            change_source: text(obj, "changeSource"),
            source_id: text(obj, "sourceId"),
            change_flag: text(obj, "changeFlag"),
            subscription_type,
            object_type_id,
            object_type,
            action,
            raw,
        }
    }

    /// True when the change was written by the app `app_id` (our own echo): `changeSource`
    /// `INTEGRATION` and `sourceId` = the app id (§5.3, §11 item 4).
    pub fn written_by_app(&self, app_id: &str) -> bool {
        self.change_source.as_deref() == Some("INTEGRATION")
            && self.source_id.as_deref() == Some(app_id)
    }

    /// A key equal for redeliveries of the same change and different for different changes:
    /// portal, object type, object, action, property + value (or merge / association details)
    /// and `occurredAt`. `eventId`, `attemptNumber` and `subscriptionId` are left out, so a
    /// legacy `contact.propertyChange` and a generic `object.propertyChange` for one change
    /// share a key (§5.3: `eventId` is not guaranteed unique; §5.6).
    pub fn dedupe_key(&self) -> String {
        let mut parts: Vec<String> = vec![
            self.portal_id.clone().unwrap_or_default(),
            self.object_type_id.clone().unwrap_or_default(),
            self.object_id.clone().unwrap_or_default(),
            self.action.name().to_owned(),
            self.occurred_at.map(|t| t.to_string()).unwrap_or_default(),
        ];
        match &self.action {
            EventAction::PropertyChange { name, value } => {
                parts.push(name.clone());
                parts.push(value.clone().unwrap_or_else(|| "\u{0}none".into()));
            }
            EventAction::Merge {
                primary_object_id,
                merged_object_ids,
                new_object_id,
            } => {
                parts.push(primary_object_id.clone().unwrap_or_default());
                parts.push(merged_object_ids.join(","));
                parts.push(new_object_id.clone().unwrap_or_default());
            }
            EventAction::AssociationChange {
                association_type,
                association_type_id,
                from_object_type_id,
                to_object_type_id,
                from_object_id,
                to_object_id,
                removed,
            } => {
                parts.push(association_type.clone().unwrap_or_default());
                parts.push(
                    association_type_id
                        .map(|n| n.to_string())
                        .unwrap_or_default(),
                );
                parts.push(from_object_type_id.clone().unwrap_or_default());
                parts.push(to_object_type_id.clone().unwrap_or_default());
                parts.push(from_object_id.clone().unwrap_or_default());
                parts.push(to_object_id.clone().unwrap_or_default());
                parts.push(removed.to_string());
            }
            EventAction::Other => {
                // Whatever it is: the whole event minus the per-delivery fields.
                let mut raw = self.raw.clone();
                if let Some(o) = raw.as_object_mut() {
                    for k in ["eventId", "attemptNumber", "subscriptionId"] {
                        o.remove(k);
                    }
                }
                parts.push(self.subscription_type.clone());
                parts.push(raw.to_string());
            }
            _ => {}
        }
        let mut hasher = Sha256::new();
        for part in &parts {
            // Length-prefixed, so ("ab","c") and ("a","bc") differ.
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        hex::encode(hasher.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../tests/fixtures/hubspot/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn creation_by_our_app_is_recognised_as_an_echo() {
        let events = parse_events(&fixture("webhook-contact-creation-by-app.json")).unwrap();
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(e.action, EventAction::Creation);
        assert_eq!(e.object_type, Some(ObjectType::Contacts));
        assert_eq!(e.object_id.as_deref(), Some("106314056576"));
        assert_eq!(e.portal_id.as_deref(), Some("49547190"));
        assert!(e.written_by_app("9393361"));
        assert!(!e.written_by_app("1"));
    }

    #[test]
    fn property_changes_carry_name_and_value() {
        let events = parse_events(&fixture("webhook-contact-propertychange-by-app.json")).unwrap();
        assert_eq!(
            events[0].action,
            EventAction::PropertyChange {
                name: "email".into(),
                value: Some("emailmaria+webhook-test-2@hubspot.com".into())
            }
        );
        assert_eq!(events[0].attempt_number, Some(1));
    }

    #[test]
    fn generic_object_events_use_object_type_id() {
        let events =
            parse_events(&fixture("webhook-object-creation-and-propertychange.json")).unwrap();
        assert_eq!(events.len(), 3);
        assert_eq!(events[0].action, EventAction::Creation);
        assert_eq!(events[0].object_type_id.as_deref(), Some("2-143964984"));
        assert_eq!(events[0].object_type, None, "custom objects are not ours");
        assert!(
            matches!(&events[2].action, EventAction::PropertyChange { name, .. } if name == "specialiteit")
        );
        let keys: std::collections::HashSet<_> =
            events.iter().map(WebhookEvent::dedupe_key).collect();
        assert_eq!(keys.len(), 3, "same object and time, different changes");
        let deletion = parse_events(&fixture("webhook-object-deletion.json")).unwrap();
        assert_eq!(deletion[0].action, EventAction::Deletion);
        assert_eq!(deletion[0].change_flag.as_deref(), Some("DELETED"));
    }

    #[test]
    fn merges_name_winner_and_losers() {
        let events = parse_events(&fixture("webhook-contact-merge.json")).unwrap();
        assert_eq!(
            events[0].action,
            EventAction::Merge {
                primary_object_id: Some("1001".into()),
                merged_object_ids: vec!["1002".into()],
                new_object_id: Some("1003".into()),
            }
        );
    }

    #[test]
    fn signature_vector_body_parses_as_a_creation() {
        let vectors: Value =
            serde_json::from_slice(&fixture("webhook-signature-test-vectors.json")).unwrap();
        let body = vectors["v1"]["requestBody"].as_str().unwrap();
        let events = parse_events(body.as_bytes()).unwrap();
        assert_eq!(events[0].action, EventAction::Creation);
        assert_eq!(events[0].object_id.as_deref(), Some("123"));
    }

    #[test]
    fn legacy_event_type_string_ids_and_associations_parse() {
        let body = br#"[
          {"eventType":"deal.associationChange","objectId":"55","portalId":"7","occurredAt":"1700000000000",
           "associationType":"DEAL_TO_LINE_ITEM","fromObjectId":55,"toObjectId":66,"associationRemoved":true},
          {"subscriptionType":"object.associationChange","objectId":1,"portalId":7,"occurredAt":1,
           "fromObjectTypeId":"0-53","toObjectTypeId":"0-1","associationTypeId":177,"fromObjectId":1,"toObjectId":2},
          {"subscriptionType":"app.install","portalId":7},
          42,
          {"subscriptionType":"contact.propertyChange","objectId":9}
        ]"#;
        let events = parse_events(body).unwrap();
        assert_eq!(events.len(), 5, "nothing dropped");
        assert_eq!(events[0].object_type, Some(ObjectType::Deals));
        assert_eq!(events[0].occurred_at, Some(1_700_000_000_000));
        assert!(
            matches!(&events[0].action, EventAction::AssociationChange { association_type: Some(t), removed: true, to_object_id: Some(to), .. } if t == "DEAL_TO_LINE_ITEM" && to == "66")
        );
        assert!(
            matches!(&events[1].action, EventAction::AssociationChange { association_type_id: Some(177), from_object_type_id: Some(f), .. } if f == "0-53")
        );
        assert_eq!(events[2].action, EventAction::Other);
        assert_eq!(events[3].action, EventAction::Other);
        assert_eq!(
            events[4].action,
            EventAction::Other,
            "propertyChange without a property"
        );
        assert!(parse_events(b"not json").is_err());
        assert!(parse_events(b"\"x\"").is_err());
    }

    #[test]
    fn dedupe_ignores_event_id_and_attempt_but_not_the_change() {
        let a = br#"[{"eventId":1,"attemptNumber":0,"subscriptionId":5,"portalId":7,"objectId":9,"occurredAt":10,
                      "subscriptionType":"contact.propertyChange","propertyName":"email","propertyValue":"a@x.com"}]"#;
        let retry = br#"[{"eventId":2,"attemptNumber":3,"subscriptionId":5,"portalId":7,"objectId":"9","occurredAt":10,
                      "subscriptionType":"contact.propertyChange","propertyName":"email","propertyValue":"a@x.com"}]"#;
        let generic = br#"[{"eventId":3,"subscriptionId":6,"portalId":7,"objectId":9,"occurredAt":10,"objectTypeId":"0-1",
                      "subscriptionType":"object.propertyChange","propertyName":"email","propertyValue":"a@x.com"}]"#;
        let other_value = br#"[{"eventId":1,"portalId":7,"objectId":9,"occurredAt":10,
                      "subscriptionType":"contact.propertyChange","propertyName":"email","propertyValue":"b@x.com"}]"#;
        let key = |b: &[u8]| parse_events(b).unwrap()[0].dedupe_key();
        assert_eq!(key(a), key(retry));
        assert_eq!(key(a), key(generic));
        assert_ne!(key(a), key(other_value));
    }
}
