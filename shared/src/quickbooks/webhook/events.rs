//! Webhook payload parsing (docs/quickbooks.md §11.3, §11.4): CloudEvents arrays and legacy
//! `eventNotifications`, detected from the body, into one `EntityChange` per event.

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use serde_json::Value;

/// Which of the two delivery formats a body used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadFormat {
    CloudEvents,
    Legacy,
}

/// What happened to the entity. Unknown operations are kept, not fatal (§11.4: Void and
/// Emailed type strings are UNVERIFIED, so both `voided` and `void` are accepted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    Created,
    Updated,
    /// For name lists this most plausibly means "made inactive" (§11.6): re-read, use `Active`.
    Deleted,
    Merged,
    Voided,
    Emailed,
    Unknown(String),
}

impl Operation {
    /// Accepts CloudEvents (`created`, `voided`...) and legacy (`Create`, `Void`...) spellings.
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "created" | "create" => Operation::Created,
            "updated" | "update" => Operation::Updated,
            "deleted" | "delete" => Operation::Deleted,
            "merged" | "merge" => Operation::Merged,
            "voided" | "void" => Operation::Voided,
            "emailed" | "email" => Operation::Emailed,
            _ => Operation::Unknown(s.to_string()),
        }
    }
}

/// One change notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityChange {
    /// Stable per event across redeliveries: the CloudEvents `id`; for legacy events (which
    /// have none) `realm/entity/id/operation/lastUpdated`.
    pub dedupe_key: String,
    /// The company (`intuitaccountid` / `realmId`).
    pub realm_id: String,
    /// QBO entity name (`Customer`, `SalesReceipt`); unknown names kept as sent.
    pub entity: String,
    pub entity_id: String,
    pub operation: Operation,
    /// Event time (`time` / `lastUpdated`), parsed leniently; `None` if unreadable.
    pub occurred_at: Option<DateTime<FixedOffset>>,
    /// The record merged away, for merges (`data.deletedid` / `deletedId`).
    pub merged_away_id: Option<String>,
    pub format: PayloadFormat,
}

/// An event that could not be turned into a change (kept so nothing is silently lost).
#[derive(Debug, Clone, PartialEq)]
pub struct SkippedEvent {
    pub index: usize,
    pub reason: String,
    pub event: Value,
}

/// A parsed delivery: changes for any number of companies, and events that were skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedDelivery {
    pub format: PayloadFormat,
    pub changes: Vec<EntityChange>,
    pub skipped: Vec<SkippedEvent>,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("webhook body is not JSON: {0}")]
    NotJson(String),
    #[error("webhook body is neither a CloudEvents array nor eventNotifications")]
    UnknownFormat,
    #[error("unsupported webhook content type {0:?}")]
    UnsupportedContentType(String),
}

/// Content types a delivery may come with (§11.4): JSON and structured CloudEvents JSON.
pub fn check_content_type(content_type: Option<&str>) -> Result<(), WebhookError> {
    let Some(ct) = content_type else {
        return Ok(());
    };
    let media = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        ""
        | "application/json"
        | "application/cloudevents+json"
        | "application/cloudevents-batch+json" => Ok(()),
        _ => Err(WebhookError::UnsupportedContentType(ct.to_string())),
    }
}

/// Parses a delivery body, detecting the format: a JSON array (or one object with
/// `specversion`) is CloudEvents, an object with `eventNotifications` is legacy.
pub fn parse_delivery(body: &[u8]) -> Result<ParsedDelivery, WebhookError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| WebhookError::NotJson(format!("line {} column {}", e.line(), e.column())))?;
    match &value {
        Value::Array(events) => Ok(parse_cloudevents(events)),
        Value::Object(obj) if obj.contains_key("specversion") => {
            Ok(parse_cloudevents(std::slice::from_ref(&value)))
        }
        Value::Object(obj) => match obj.get("eventNotifications").and_then(Value::as_array) {
            Some(notifications) => Ok(parse_legacy(notifications)),
            None => Err(WebhookError::UnknownFormat),
        },
        _ => Err(WebhookError::UnknownFormat),
    }
}

fn text(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A member looked up case-insensitively (`deletedId` vs `deletedID`, §11.3).
fn text_ci(value: &Value, key: &str) -> Option<String> {
    let obj = value.as_object()?;
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .and_then(|(k, _)| text(value, k))
}

fn parse_cloudevents(events: &[Value]) -> ParsedDelivery {
    let mut changes = Vec::new();
    let mut skipped = Vec::new();
    for (index, event) in events.iter().enumerate() {
        match cloudevent_change(event) {
            Ok(change) => changes.push(change),
            Err(reason) => skipped.push(SkippedEvent {
                index,
                reason,
                event: event.clone(),
            }),
        }
    }
    ParsedDelivery {
        format: PayloadFormat::CloudEvents,
        changes,
        skipped,
    }
}

fn cloudevent_change(event: &Value) -> Result<EntityChange, String> {
    let kind = text(event, "type").ok_or("no type")?;
    let parts: Vec<&str> = kind.split('.').collect();
    if parts.len() < 3 || !parts[0].eq_ignore_ascii_case("qbo") {
        return Err(format!("type {kind:?} is not qbo.<entity>.<operation>.v1"));
    }
    let id = text(event, "id").ok_or("no id")?;
    let realm_id = text(event, "intuitaccountid").ok_or("no intuitaccountid")?;
    let entity_id = text(event, "intuitentityid").ok_or("no intuitentityid")?;
    let merged_away_id = event.get("data").and_then(|d| text_ci(d, "deletedid"));
    Ok(EntityChange {
        dedupe_key: id,
        realm_id,
        entity: canonical_entity_name(parts[1]),
        entity_id,
        operation: Operation::parse(parts[2]),
        occurred_at: text(event, "time").and_then(|t| parse_lenient_time(&t)),
        merged_away_id,
        format: PayloadFormat::CloudEvents,
    })
}

fn parse_legacy(notifications: &[Value]) -> ParsedDelivery {
    let mut changes = Vec::new();
    let mut skipped = Vec::new();
    let mut index = 0;
    for notification in notifications {
        let realm = text(notification, "realmId");
        let entities = notification
            .pointer("/dataChangeEvent/entities")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for entity in entities {
            let change = (|| -> Result<EntityChange, String> {
                let realm_id = realm.clone().ok_or("notification has no realmId")?;
                let name = text(entity, "name").ok_or("no name")?;
                let id = text(entity, "id").ok_or("no id")?;
                let operation = text(entity, "operation").ok_or("no operation")?;
                let last_updated = text(entity, "lastUpdated").unwrap_or_default();
                Ok(EntityChange {
                    dedupe_key: format!("{realm_id}/{name}/{id}/{operation}/{last_updated}"),
                    realm_id,
                    entity: canonical_entity_name(&name),
                    entity_id: id,
                    operation: Operation::parse(&operation),
                    occurred_at: parse_lenient_time(&last_updated),
                    merged_away_id: text_ci(entity, "deletedId"),
                    format: PayloadFormat::Legacy,
                })
            })();
            match change {
                Ok(c) => changes.push(c),
                Err(reason) => skipped.push(SkippedEvent {
                    index,
                    reason,
                    event: entity.clone(),
                }),
            }
            index += 1;
        }
    }
    ParsedDelivery {
        format: PayloadFormat::Legacy,
        changes,
        skipped,
    }
}

/// Entity names webhooks cover (§11.6), to restore the casing CloudEvents lower-cases away.
const KNOWN_ENTITIES: [&str; 30] = [
    "Account",
    "Bill",
    "BillPayment",
    "Budget",
    "Class",
    "CreditMemo",
    "Currency",
    "Customer",
    "Department",
    "Deposit",
    "Employee",
    "Estimate",
    "Invoice",
    "Item",
    "JournalCode",
    "JournalEntry",
    "Payment",
    "PaymentMethod",
    "Preferences",
    "Purchase",
    "PurchaseOrder",
    "RefundReceipt",
    "SalesReceipt",
    "TaxAgency",
    "Term",
    "TimeActivity",
    "Transfer",
    "Vendor",
    "VendorCredit",
    "Attachable",
];

/// `customer` → `Customer`, `salesreceipt` → `SalesReceipt`; unknown names are kept as sent.
fn canonical_entity_name(name: &str) -> String {
    KNOWN_ENTITIES
        .iter()
        .find(|known| known.eq_ignore_ascii_case(name))
        .map(|known| known.to_string())
        .unwrap_or_else(|| name.to_string())
}

/// Parses `2015-10-05T14:42:19-0700`, `2021-11-28T15:27:59.000Z`, nanosecond RFC 3339 and
/// offset-less times (taken as UTC) (§11.3, §11.4).
pub fn parse_lenient_time(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, format) {
            return Some(t);
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(t.and_utc().fixed_offset());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/../tests/fixtures/quickbooks/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn the_blog_cloudevent_parses() {
        let d = parse_delivery(&fixture("webhook-cloudevents-account-created.json")).unwrap();
        assert_eq!(d.format, PayloadFormat::CloudEvents);
        assert!(d.skipped.is_empty());
        let c = &d.changes[0];
        assert_eq!(c.dedupe_key, "88cd52aa-33b6-4351-9aa4-47572edbd068");
        assert_eq!(c.realm_id, "310687");
        assert_eq!(c.entity, "Account");
        assert_eq!(c.entity_id, "1234");
        assert_eq!(c.operation, Operation::Created);
        assert_eq!(
            c.occurred_at.unwrap(),
            DateTime::parse_from_rfc3339("2025-09-10T21:31:25.179851517Z").unwrap()
        );
    }

    #[test]
    fn merges_carry_the_merged_away_id() {
        let d = parse_delivery(&fixture("webhook-cloudevents-customer-merged.json")).unwrap();
        let c = &d.changes[0];
        assert_eq!(
            (c.entity.as_str(), c.operation.clone()),
            ("Customer", Operation::Merged)
        );
        assert_eq!(c.merged_away_id.as_deref(), Some("27"));
    }

    #[test]
    fn events_without_data_parse_and_compound_names_are_restored() {
        let d = parse_delivery(&fixture(
            "webhook-cloudevents-salesreceipt-updated-no-data.json",
        ))
        .unwrap();
        assert_eq!(d.changes[0].entity, "SalesReceipt");
        assert_eq!(d.changes[0].operation, Operation::Updated);
        assert_eq!(d.changes[0].merged_away_id, None);
    }

    #[test]
    fn one_delivery_can_hold_several_companies() {
        let d = parse_delivery(&fixture("webhook-cloudevents-mixed-batch.json")).unwrap();
        assert_eq!(d.changes.len(), 4);
        let realms: std::collections::BTreeSet<_> =
            d.changes.iter().map(|c| c.realm_id.as_str()).collect();
        assert_eq!(realms.len(), 2);
        assert_eq!(d.changes[3].operation, Operation::Deleted);
        assert_eq!(d.changes[2].entity, "Payment");
    }

    #[test]
    fn the_legacy_format_is_detected_and_parsed() {
        let d = parse_delivery(&fixture("webhook-legacy-eventnotifications.json")).unwrap();
        assert_eq!(d.format, PayloadFormat::Legacy);
        assert_eq!(d.changes.len(), 2);
        assert_eq!(d.changes[0].entity, "Vendor");
        assert_eq!(d.changes[0].operation, Operation::Updated);
        assert_eq!(d.changes[1].realm_id, "1234567890");
        assert_eq!(d.changes[1].operation, Operation::Created);
        assert_eq!(
            d.changes[1].dedupe_key,
            "1234567890/Customer/43/Create/2016-10-05T03:07:04.000Z"
        );
    }

    #[test]
    fn legacy_merges_and_colonless_offsets_are_read() {
        let body = br#"{"eventNotifications":[{"realmId":"1185883450","dataChangeEvent":{"entities":[
          {"name":"Customer","id":"1","operation":"Create","lastUpdated":"2015-10-05T14:42:19-0700"},
          {"name":"Customer","id":"7","operation":"Merge","lastUpdated":"2021-11-28T15:27:59.000Z","deletedID":"27"}]}}]}"#;
        let d = parse_delivery(body).unwrap();
        assert_eq!(
            d.changes[0].occurred_at.unwrap(),
            DateTime::parse_from_rfc3339("2015-10-05T14:42:19-07:00").unwrap()
        );
        assert_eq!(d.changes[1].operation, Operation::Merged);
        assert_eq!(d.changes[1].merged_away_id.as_deref(), Some("27"));
    }

    #[test]
    fn unknown_entities_and_operations_are_kept_and_bad_events_skipped_not_fatal() {
        let body = br#"[
          {"id":"a","type":"qbo.widget.frobbed.v1","intuitaccountid":"1","intuitentityid":"9","time":"garbage"},
          {"id":"b","type":"qbo.invoice.voided.v1","intuitaccountid":"1","intuitentityid":"5"},
          {"id":"c","type":"qbo.invoice.void.v1","intuitaccountid":"1","intuitentityid":"6"},
          {"id":"d","type":"com.other.thing","intuitaccountid":"1","intuitentityid":"7"},
          {"type":"qbo.customer.updated.v1","intuitaccountid":"1","intuitentityid":"8"}
        ]"#;
        let d = parse_delivery(body).unwrap();
        assert_eq!(d.changes.len(), 3);
        assert_eq!(d.changes[0].entity, "widget");
        assert_eq!(d.changes[0].operation, Operation::Unknown("frobbed".into()));
        assert_eq!(d.changes[0].occurred_at, None);
        assert_eq!(d.changes[1].operation, Operation::Voided);
        assert_eq!(d.changes[2].operation, Operation::Voided);
        assert_eq!(d.skipped.len(), 2);
        assert_eq!(d.skipped[1].reason, "no id");
    }

    #[test]
    fn bodies_that_are_not_deliveries_are_clear_errors() {
        assert!(matches!(
            parse_delivery(b"nope"),
            Err(WebhookError::NotJson(_))
        ));
        assert!(matches!(
            parse_delivery(br#"{"x":1}"#),
            Err(WebhookError::UnknownFormat)
        ));
    }

    #[test]
    fn both_json_content_types_are_accepted() {
        assert!(check_content_type(Some("application/json")).is_ok());
        assert!(check_content_type(Some("application/cloudevents+json; charset=utf-8")).is_ok());
        assert!(check_content_type(None).is_ok());
        assert!(check_content_type(Some("text/plain")).is_err());
    }
}
