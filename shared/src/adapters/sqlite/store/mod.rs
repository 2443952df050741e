//! `SqliteStore`: every store capability on the local database (one file per capability); each
//! conditional write is one transaction, so a crash leaves either the old or the new state.

mod admin;
mod claims;
mod connections;
mod cursors;
mod initial_sync_runs;
mod leases;
mod links;
mod pending_creates;
mod status_log;

use std::time::Duration;

use async_trait::async_trait;
use rusqlite::params;

use super::db::{SqliteDb, SqliteError};
use crate::model::{ConnectionId, ObjectKind};
use crate::ports::{ForgetKind, StoreError};

/// How many log entries per connection the local store keeps by default.
pub const DEFAULT_LOG_CAPACITY: usize = 10_000;

impl From<SqliteError> for StoreError {
    fn from(error: SqliteError) -> Self {
        match error {
            SqliteError::Corrupt(message) => StoreError::Corrupt(message),
            other => StoreError::Backend(other.to_string()),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Backend(error.to_string())
    }
}

/// The store on one SQLite database (shared with the job queue and the token vault).
pub struct SqliteStore {
    db: SqliteDb,
    log_capacity: usize,
}

impl SqliteStore {
    pub fn new(db: SqliteDb) -> Self {
        Self::with_log_capacity(db, DEFAULT_LOG_CAPACITY)
    }

    pub fn with_log_capacity(db: SqliteDb, log_capacity: usize) -> Self {
        SqliteStore { db, log_capacity }
    }
}

fn to_chrono(ttl: Duration) -> chrono::Duration {
    chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX)
}

#[async_trait]
impl ForgetKind for SqliteStore {
    async fn forget_kind(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<(), StoreError> {
        let c = connection.to_string();
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                for table in ["links", "claims", "pending_creates", "cursors", "statuses"] {
                    tx.execute(
                        &format!("DELETE FROM {table} WHERE connection = ?1 AND kind = ?2"),
                        params![c, kind.as_str()],
                    )?;
                }
                tx.commit()?;
                Ok(())
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Side;
    use crate::ports::Links;
    use crate::ports::contract::store as contract;

    async fn fresh(_test: &str) -> Option<SqliteStore> {
        let db = SqliteDb::open_in_memory().expect("open");
        Some(SqliteStore::with_log_capacity(db, contract::LOG_CAPACITY))
    }

    crate::store_contract_tests!(fresh);

    #[tokio::test]
    async fn a_malformed_connection_row_is_listed_as_broken_beside_the_good_one() {
        use crate::model::{Connection, ConnectionId, ConnectionSettings};
        use crate::ports::{ConnectionRecord, ConnectionStatus, Connections};
        let db = SqliteDb::open_in_memory().expect("open");
        let store = SqliteStore::new(db.clone());
        let good = ConnectionRecord {
            connection: Connection {
                id: ConnectionId::new("conn-good").unwrap(),
                hubspot_portal_id: "111".into(),
                qbo_realm_id: "r1".into(),
                settings: ConnectionSettings::default(),
            },
            environment: "local".into(),
            status: ConnectionStatus::Active,
        };
        store.put_connection(&good).await.expect("put");
        db.run(|conn| {
            conn.execute(
                "INSERT INTO connections (id, portal_id, realm_id, body) VALUES ('conn-bad', '222', 'r2', '{\"connection\": 7}')",
                [],
            )?;
            Ok::<_, StoreError>(())
        })
        .await
        .expect("raw insert");
        let listing = store
            .list_connections()
            .await
            .expect("one bad row fails nothing");
        assert_eq!(listing.records, vec![good]);
        assert_eq!(listing.broken.len(), 1);
        let broken = &listing.broken[0];
        assert_eq!(broken.id.as_str(), "conn-bad");
        assert_eq!(broken.portal_id.as_deref(), Some("222"));
        assert_eq!(broken.realm_id.as_deref(), Some("r2"));
        assert!(!broken.error.is_empty());
    }

    #[tokio::test]
    async fn log_keeps_only_the_newest() {
        for capacity in [1, contract::LOG_CAPACITY] {
            let store =
                SqliteStore::with_log_capacity(SqliteDb::open_in_memory().expect("open"), capacity);
            contract::status_log::log_keeps_only_the_newest(&store, capacity).await;
        }
    }

    #[tokio::test]
    async fn state_survives_reopening_the_file() {
        let dir = std::env::temp_dir().join(format!("hqsync-sqlite-test-{}", uuid::Uuid::new_v4()));
        let path = SqliteDb::default_path(&dir);
        let c = ConnectionId::new("reopen").unwrap();
        let link = contract::sample_link(&c, ObjectKind::Product, "h1", "q1");
        {
            let store = SqliteStore::new(SqliteDb::open(&path).expect("open"));
            store.create_link(&link).await.expect("create");
        }
        let store = SqliteStore::new(SqliteDb::open(&path).expect("reopen"));
        let found = store
            .get_link(&c, ObjectKind::Product, Side::Quickbooks, "q1")
            .await
            .expect("get");
        assert_eq!(
            found.map(|l| (l.hubspot_id, l.revision)),
            Some(("h1".to_string(), 1))
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
