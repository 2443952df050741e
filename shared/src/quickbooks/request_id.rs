//! `RequestId`: the idempotency key QBO replays on (`requestid`, ≤ 50 chars, ≤ 36 on batch,
//! docs/quickbooks.md §1), derived deterministically from what is being written.

use std::fmt;

use serde::Serialize;
use uuid::Uuid;

use super::error::QboError;
use super::limits::{MAX_BATCH_REQUEST_ID_LEN, MAX_REQUEST_ID_LEN};

/// Namespace of HQSync's name-based (v5) request ids; changing it would change every key.
const NAMESPACE: Uuid = Uuid::from_u128(0x6f1d_2c0e_5a7b_4e35_9d1a_8b3c_0f42_71aa);

/// A validated `requestid`. Derived ids are UUIDv5 strings (36 chars), so they also fit the
/// shorter batch limit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(String);

impl RequestId {
    /// A caller-chosen id (e.g. from a workflow execution id); 1..=50 printable ASCII chars.
    pub fn new(value: impl Into<String>) -> Result<Self, QboError> {
        let value = value.into();
        if value.is_empty() || value.len() > MAX_REQUEST_ID_LEN {
            return Err(QboError::InvalidRequest(format!(
                "requestid must be 1..={MAX_REQUEST_ID_LEN} characters, got {}",
                value.len()
            )));
        }
        if !value.chars().all(|c| c.is_ascii_graphic()) {
            return Err(QboError::InvalidRequest(
                "requestid must be printable ASCII without spaces".into(),
            ));
        }
        Ok(Self(value))
    }

    /// The id for writing `payload` as `entity` in `realm`: the same inputs always give the same
    /// id, so a retried create replays the first response instead of creating a duplicate.
    pub fn for_payload(realm: &str, entity: &str, payload: &impl Serialize) -> Self {
        // serde_json writes struct fields in declaration order and maps in insertion order,
        // so the same payload value always serialises to the same bytes.
        let body = serde_json::to_vec(payload).unwrap_or_default();
        let mut name = Vec::with_capacity(body.len() + realm.len() + entity.len() + 2);
        name.extend_from_slice(realm.as_bytes());
        name.push(0);
        name.extend_from_slice(entity.as_bytes());
        name.push(0);
        name.extend_from_slice(&body);
        Self(Uuid::new_v5(&NAMESPACE, &name).to_string())
    }

    /// The id for a write identified by stable key parts (e.g. `["contact", hs_id, revision]`).
    pub fn from_key(parts: &[&str]) -> Self {
        let joined = parts.join("\u{1f}");
        Self(Uuid::new_v5(&NAMESPACE, joined.as_bytes()).to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this id may be sent with a batch request (≤ 36 chars).
    pub fn fits_batch(&self) -> bool {
        self.0.len() <= MAX_BATCH_REQUEST_ID_LEN
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_same_payload_gives_the_same_id_and_a_different_one_does_not() {
        let a = RequestId::for_payload("123", "Customer", &json!({"DisplayName": "Ann"}));
        let again = RequestId::for_payload("123", "Customer", &json!({"DisplayName": "Ann"}));
        let other = RequestId::for_payload("123", "Customer", &json!({"DisplayName": "Bob"}));
        let other_realm = RequestId::for_payload("456", "Customer", &json!({"DisplayName": "Ann"}));
        assert_eq!(a, again);
        assert_ne!(a, other);
        assert_ne!(a, other_realm);
        assert!(a.as_str().len() <= MAX_REQUEST_ID_LEN && a.fits_batch());
    }

    #[test]
    fn key_parts_are_not_ambiguous() {
        assert_ne!(
            RequestId::from_key(&["ab", "c"]),
            RequestId::from_key(&["a", "bc"])
        );
        assert_eq!(RequestId::from_key(&["x"]), RequestId::from_key(&["x"]));
    }

    #[test]
    fn caller_ids_are_validated() {
        assert!(RequestId::new("wf-exec-42").is_ok());
        assert!(RequestId::new("").is_err());
        assert!(RequestId::new("x".repeat(51)).is_err());
        assert!(RequestId::new("has space").is_err());
        assert!(!RequestId::new("y".repeat(40)).unwrap().fits_batch());
    }
}
