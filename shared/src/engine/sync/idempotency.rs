//! Deterministic idempotency keys for creates: the same source record at the same version
//! (and the same name attempt) always yields the same key, so a retried create replays.

use uuid::Uuid;

use crate::model::{ConnectionId, ObjectKind, Side};

/// Namespace of HQSync's create keys (a fixed random UUID; changing it would break replays).
const CREATE_NAMESPACE: Uuid = Uuid::from_u128(0x5c1e_7a0d_3b9f_4e61_a8d2_90c4_1f6b_7e35);

/// A UUID v5 (36 chars: fits QBO's `requestid`, ≤ 36 for batch, and HubSpot's
/// `objectWriteTraceId`) over connection, kind, source record, its version and the name attempt
/// (a renamed retry after a duplicate-name answer is a different request and needs its own key).
pub fn create_key(
    connection: &ConnectionId,
    kind: ObjectKind,
    source_side: Side,
    source_id: &str,
    source_version: &str,
    name_attempt: u32,
) -> String {
    let material = format!(
        "{connection}\u{1f}{kind}\u{1f}{source_side}\u{1f}{source_id}\u{1f}{source_version}\u{1f}{name_attempt}"
    );
    Uuid::new_v5(&CREATE_NAMESPACE, material.as_bytes()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_short_and_distinct_per_input() {
        let c = ConnectionId::new("c1").unwrap();
        let key = create_key(&c, ObjectKind::Contact, Side::Hubspot, "101", "v1", 0);
        assert_eq!(key.len(), 36);
        assert_eq!(
            key,
            create_key(&c, ObjectKind::Contact, Side::Hubspot, "101", "v1", 0)
        );
        let others = [
            create_key(&c, ObjectKind::Product, Side::Hubspot, "101", "v1", 0),
            create_key(&c, ObjectKind::Contact, Side::Quickbooks, "101", "v1", 0),
            create_key(&c, ObjectKind::Contact, Side::Hubspot, "102", "v1", 0),
            create_key(&c, ObjectKind::Contact, Side::Hubspot, "101", "v2", 0),
            create_key(&c, ObjectKind::Contact, Side::Hubspot, "101", "v1", 1),
            create_key(
                &ConnectionId::new("c2").unwrap(),
                ObjectKind::Contact,
                Side::Hubspot,
                "101",
                "v1",
                0,
            ),
        ];
        for other in others {
            assert_ne!(key, other);
        }
    }
}
