//! The single-table key layout of docs/architecture.md §10, in one place: every partition and sort key the
//! DynamoDB link store reads or writes is built (and parsed back) here.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::model::{ConnectionId, ObjectKind, Side};

/// Partition key attribute name.
pub const PK: &str = "pk";
/// Sort key attribute name.
pub const SK: &str = "sk";
/// The table's TTL attribute (epoch seconds); DynamoDB deletes items some time after it.
pub const EXPIRES_AT: &str = "expires_at";

/// Sort key of the connection item.
pub const META: &str = "META";
/// Partition of the connection index (one item per connection, so listing needs no scan).
pub const CONNECTIONS: &str = "CONNECTIONS";

pub const LINK_HUBSPOT_PREFIX: &str = "HS#";
pub const LINK_QBO_PREFIX: &str = "QB#";
pub const CLAIM_PREFIX: &str = "KEY#";
pub const PENDING_CREATE_PREFIX: &str = "PENDING#";
pub const STATUS_PREFIX: &str = "STATUS#";
pub const CURSOR_PREFIX: &str = "CURSOR#";
pub const LEASE_PREFIX: &str = "LEASE#";
/// Sort key (under `CONN#{c}`) of the connection's latest initial sync run.
pub const INITIAL_SYNC: &str = "INITIAL_SYNC";
/// Partition of the admin audit log (one item per entry, sorted by time).
pub const AUDIT: &str = "AUDIT";

/// `CONN#{c}`: connection item, cursors, leases.
pub fn connection_pk(connection: &ConnectionId) -> String {
    format!("CONN#{connection}")
}

/// `CONN#{c}#{kind}`: links, claims, pending creates and statuses of one kind.
pub fn kind_pk(connection: &ConnectionId, kind: ObjectKind) -> String {
    format!("CONN#{connection}#{kind}")
}

/// `CONN#{c}`, as the sort key of routing and index items.
pub fn connection_sk(connection: &ConnectionId) -> String {
    connection_pk(connection)
}

/// Parses `CONN#{c}` back into the connection id.
pub fn parse_connection_sk(sk: &str) -> Option<ConnectionId> {
    sk.strip_prefix("CONN#")
        .and_then(|id| ConnectionId::new(id).ok())
}

pub fn portal_pk(portal_id: &str) -> String {
    format!("PORTAL#{portal_id}")
}

pub fn realm_pk(realm_id: &str) -> String {
    format!("REALM#{realm_id}")
}

/// The prefix of one side's link items (`HS#` / `QB#`).
pub fn link_prefix(side: Side) -> &'static str {
    match side {
        Side::Hubspot => LINK_HUBSPOT_PREFIX,
        Side::Quickbooks => LINK_QBO_PREFIX,
    }
}

/// `HS#{id}` / `QB#{id}`.
pub fn link_sk(side: Side, id: &str) -> String {
    format!("{}{id}", link_prefix(side))
}

/// `KEY#{normalised key}`.
pub fn claim_sk(key: &str) -> String {
    format!("{CLAIM_PREFIX}{key}")
}

/// `PENDING#{side}#{id}`: the pending create of one source record.
pub fn pending_create_sk(side: Side, id: &str) -> String {
    format!("{PENDING_CREATE_PREFIX}{side}#{id}")
}

/// `STATUS#{side}#{id}`.
pub fn status_sk(side: Side, id: &str) -> String {
    format!("{STATUS_PREFIX}{side}#{id}")
}

/// `CURSOR#{side}#{kind}`.
pub fn cursor_sk(side: Side, kind: ObjectKind) -> String {
    format!("{CURSOR_PREFIX}{side}#{kind}")
}

/// `LEASE#{name}`.
pub fn lease_sk(name: &str) -> String {
    format!("{LEASE_PREFIX}{name}")
}

/// `CONN#{c}#LOG#{yyyy-mm-dd}`: one partition per connection and UTC day.
pub fn log_pk(connection: &ConnectionId, day: DateTime<Utc>) -> String {
    format!("CONN#{connection}#LOG#{}", day.format("%Y-%m-%d"))
}

/// `{ts}#{kind}#{side}#{id}#{n}`: sorts by time (fixed-width RFC 3339 with microseconds);
/// `n` keeps entries of the same instant and record apart.
pub fn log_sk(at: DateTime<Utc>, kind: ObjectKind, side: Side, id: &str, n: usize) -> String {
    format!(
        "{}#{kind}#{side}#{id}#{n:04}",
        at.to_rfc3339_opts(SecondsFormat::Micros, true)
    )
}

/// `{ts}#{unique}`: audit entries sort by time; `unique` keeps entries of one instant apart.
pub fn audit_sk(at: DateTime<Utc>, unique: &str) -> String {
    format!(
        "{}#{unique}",
        at.to_rfc3339_opts(SecondsFormat::Micros, true)
    )
}

/// `LOGIN#{source}`: the failed sign-in window of one client (or `*` for all of them).
pub fn login_pk(source: &str) -> String {
    format!("LOGIN#{source}")
}

/// `OAUTH#{sha256 of the state}`: one OAuth authorization in progress.
pub fn pending_pk(state_hash: &str) -> String {
    format!("OAUTH#{state_hash}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_design_layout() {
        let c = ConnectionId::new("acme").unwrap();
        assert_eq!(connection_pk(&c), "CONN#acme");
        assert_eq!(kind_pk(&c, ObjectKind::Contact), "CONN#acme#contact");
        assert_eq!(link_sk(Side::Hubspot, "12"), "HS#12");
        assert_eq!(link_sk(Side::Quickbooks, "7"), "QB#7");
        assert_eq!(
            claim_sk("email:ada@example.com"),
            "KEY#email:ada@example.com"
        );
        assert_eq!(status_sk(Side::Quickbooks, "7"), "STATUS#quickbooks#7");
        assert_eq!(
            cursor_sk(Side::Hubspot, ObjectKind::Product),
            "CURSOR#hubspot#product"
        );
        assert_eq!(lease_sk("token-refresh"), "LEASE#token-refresh");
        assert_eq!(portal_pk("123"), "PORTAL#123");
        assert_eq!(realm_pk("456"), "REALM#456");
        assert_eq!(parse_connection_sk("CONN#acme"), Some(c.clone()));
        assert_eq!(parse_connection_sk("PORTAL#1"), None);
        assert_eq!(login_pk("client:10.0.0.1"), "LOGIN#client:10.0.0.1");
        assert_eq!(pending_pk("ab12"), "OAUTH#ab12");
        let at = DateTime::parse_from_rfc3339("2026-11-27T10:00:00.5Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(log_pk(&c, at), "CONN#acme#LOG#2026-11-27");
        assert_eq!(
            log_sk(at, ObjectKind::Contact, Side::Hubspot, "12", 3),
            "2026-11-27T10:00:00.500000Z#contact#hubspot#12#0003"
        );
    }

    #[test]
    fn log_sort_keys_order_by_time() {
        let early = DateTime::parse_from_rfc3339("2026-11-27T09:59:59.999Z")
            .unwrap()
            .with_timezone(&Utc);
        let late = DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert!(
            log_sk(early, ObjectKind::Product, Side::Quickbooks, "9", 9)
                < log_sk(late, ObjectKind::Contact, Side::Hubspot, "1", 0)
        );
    }
}
