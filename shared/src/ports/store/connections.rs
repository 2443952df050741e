//! The `Connections` capability: stored connection records, the webhook routing from a HubSpot
//! portal or a QBO company to its connections, and a listing that isolates unreadable records.

use async_trait::async_trait;
use serde::Serialize;

use super::StoreError;
use crate::model::ConnectionId;
use crate::ports::connection::ConnectionRecord;

/// Connection records; putting one also writes its routing entries.
#[async_trait]
pub trait Connections: Send + Sync {
    async fn put_connection(&self, connection: &ConnectionRecord) -> Result<(), StoreError>;

    async fn get_connection(
        &self,
        id: &ConnectionId,
    ) -> Result<Option<ConnectionRecord>, StoreError>;

    /// Every connection, sorted by id. One record that cannot be read (malformed JSON, invalid
    /// settings, a missing record behind an index entry) is listed in `broken` with its error
    /// instead of failing the whole listing, so the others keep syncing. `Err` only when the
    /// store itself cannot be read.
    async fn list_connections(&self) -> Result<ConnectionListing, StoreError>;

    /// Connections of a HubSpot portal (webhook routing).
    async fn connections_for_portal(
        &self,
        portal_id: &str,
    ) -> Result<Vec<ConnectionId>, StoreError>;

    /// Connections of a QBO company (webhook routing).
    async fn connections_for_realm(&self, realm_id: &str) -> Result<Vec<ConnectionId>, StoreError>;

    /// Removes the connection record and its routing entries, so no webhook, poll or listing
    /// finds it again. Links, cursors and statuses are forgotten per kind (`ForgetKind`)
    /// first; the sync log stays. Deleting an absent connection is not an error.
    async fn delete_connection(&self, id: &ConnectionId) -> Result<(), StoreError>;
}

/// What `list_connections` read: the usable records and the broken ones, each sorted by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectionListing {
    pub records: Vec<ConnectionRecord>,
    pub broken: Vec<BrokenConnection>,
}

/// A stored connection that cannot be used, with what could still be read of it (adapters
/// that keep the account ids beside the record fill them in) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenConnection {
    pub id: ConnectionId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realm_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    pub error: String,
}

impl BrokenConnection {
    /// A broken connection of which only the id is known.
    pub fn new(id: ConnectionId, error: impl Into<String>) -> Self {
        BrokenConnection {
            id,
            portal_id: None,
            realm_id: None,
            environment: None,
            error: error.into(),
        }
    }
}

impl ConnectionListing {
    /// Files one decoded record: usable when it decoded and its settings validate (the same
    /// `ConnectionSettings::validate` every write path runs), broken otherwise. Every adapter
    /// goes through here so the rule is one.
    pub fn push(&mut self, id: ConnectionId, decoded: Result<ConnectionRecord, StoreError>) {
        match decoded {
            Ok(record) if record.id() != &id => self.broken.push(BrokenConnection::new(
                id,
                format!("the stored record names connection {}", record.id()),
            )),
            Ok(record) => match record.connection.settings.validate() {
                Ok(()) => self.records.push(record),
                Err(error) => self.broken.push(BrokenConnection {
                    id,
                    portal_id: Some(record.connection.hubspot_portal_id),
                    realm_id: Some(record.connection.qbo_realm_id),
                    environment: Some(record.environment),
                    error: error.to_string(),
                }),
            },
            Err(error) => self
                .broken
                .push(BrokenConnection::new(id, error.to_string())),
        }
    }

    /// Sorts both lists by id (adapters call it last).
    pub fn sorted(mut self) -> Self {
        self.records.sort_by(|a, b| a.id().cmp(b.id()));
        self.broken.sort_by(|a, b| a.id.cmp(&b.id));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.broken.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Connection, ConnectionSettings};
    use crate::ports::ConnectionStatus;

    fn record(id: &str) -> ConnectionRecord {
        ConnectionRecord {
            connection: Connection {
                id: ConnectionId::new(id).unwrap(),
                hubspot_portal_id: "111".into(),
                qbo_realm_id: "r1".into(),
                settings: ConnectionSettings::default(),
            },
            environment: "sandbox".into(),
            status: ConnectionStatus::Active,
        }
    }

    #[test]
    fn unreadable_records_and_invalid_settings_are_listed_as_broken_beside_the_good_ones() {
        let id = |s: &str| ConnectionId::new(s).unwrap();
        let mut invalid = record("conn-c");
        invalid.connection.settings.invoices.doc_number_prefix = "much-too-long-prefix".into();
        let mut listing = ConnectionListing::default();
        listing.push(id("conn-z"), Ok(record("conn-z")));
        listing.push(id("conn-b"), Err(StoreError::Corrupt("not JSON".into())));
        listing.push(id("conn-c"), Ok(invalid));
        listing.push(id("conn-d"), Ok(record("conn-other")));
        listing.push(id("conn-a"), Ok(record("conn-a")));
        let listing = listing.sorted();

        let good: Vec<&str> = listing.records.iter().map(|r| r.id().as_str()).collect();
        assert_eq!(good, ["conn-a", "conn-z"]);
        let broken: Vec<(&str, &str)> = listing
            .broken
            .iter()
            .map(|b| (b.id.as_str(), b.error.as_str()))
            .collect();
        assert_eq!(broken.len(), 3, "{broken:?}");
        assert_eq!(broken[0].0, "conn-b");
        assert!(broken[0].1.contains("not JSON"), "{}", broken[0].1);
        assert_eq!(broken[1].0, "conn-c");
        assert!(broken[1].1.contains("doc_number_prefix"), "{}", broken[1].1);
        // What could be read of an invalid-settings record is kept for the listing.
        assert_eq!(listing.broken[1].portal_id.as_deref(), Some("111"));
        assert_eq!(listing.broken[1].environment.as_deref(), Some("sandbox"));
        assert_eq!(broken[2].0, "conn-d");
        assert!(broken[2].1.contains("conn-other"), "{}", broken[2].1);
    }
}
