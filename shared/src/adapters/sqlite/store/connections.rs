//! `Connections` on SQLite: a row per connection with its portal and realm columns, which the
//! webhook routing reads through their indexes.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::adapters::sqlite::db::{from_json, to_json};
use crate::model::ConnectionId;
use crate::ports::{ConnectionRecord, Connections, StoreError};

#[async_trait]
impl Connections for SqliteStore {
    async fn put_connection(&self, connection: &ConnectionRecord) -> Result<(), StoreError> {
        let body = to_json(connection)?;
        let id = connection.id().to_string();
        let portal = connection.connection.hubspot_portal_id.clone();
        let realm = connection.connection.qbo_realm_id.clone();
        self.db
            .run(move |conn| {
                conn.execute(
                    "INSERT OR REPLACE INTO connections (id, portal_id, realm_id, body) VALUES (?1, ?2, ?3, ?4)",
                    params![id, portal, realm, body],
                )?;
                Ok(())
            })
            .await
    }

    async fn get_connection(
        &self,
        id: &ConnectionId,
    ) -> Result<Option<ConnectionRecord>, StoreError> {
        let id = id.to_string();
        self.db
            .run(move |conn| {
                let body: Option<String> = conn
                    .query_row(
                        "SELECT body FROM connections WHERE id = ?1",
                        params![id],
                        |r| r.get(0),
                    )
                    .optional()?;
                Ok(body.map(|b| from_json(&b)).transpose()?)
            })
            .await
    }

    async fn list_connections(&self) -> Result<Vec<ConnectionRecord>, StoreError> {
        self.db
            .run(move |conn| {
                let mut stmt = conn.prepare("SELECT body FROM connections ORDER BY id")?;
                let bodies = stmt
                    .query_map([], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                bodies.iter().map(|b| Ok(from_json(b)?)).collect()
            })
            .await
    }

    async fn connections_for_portal(
        &self,
        portal_id: &str,
    ) -> Result<Vec<ConnectionId>, StoreError> {
        self.route("portal_id", portal_id).await
    }

    async fn connections_for_realm(&self, realm_id: &str) -> Result<Vec<ConnectionId>, StoreError> {
        self.route("realm_id", realm_id).await
    }

    async fn delete_connection(&self, id: &ConnectionId) -> Result<(), StoreError> {
        let id = id.to_string();
        self.db
            .run(move |conn| {
                conn.execute("DELETE FROM connections WHERE id = ?1", params![id])?;
                Ok(())
            })
            .await
    }
}

impl SqliteStore {
    /// Connection ids whose `column` (portal_id or realm_id, never user input) equals `value`.
    async fn route(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Vec<ConnectionId>, StoreError> {
        let value = value.to_owned();
        self.db
            .run(move |conn| {
                let mut stmt = conn.prepare(&format!(
                    "SELECT id FROM connections WHERE {column} = ?1 ORDER BY id"
                ))?;
                let ids = stmt
                    .query_map(params![value], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                ids.into_iter()
                    .map(|id| ConnectionId::new(id).map_err(|e| StoreError::Corrupt(e.to_string())))
                    .collect()
            })
            .await
    }
}
