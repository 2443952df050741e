//! `Connections` on SQLite: a row per connection with its portal and realm columns, which the
//! webhook routing reads through their indexes.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::adapters::sqlite::db::{from_json, to_json};
use crate::model::ConnectionId;
use crate::ports::{ConnectionListing, ConnectionRecord, Connections, StoreError};

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

    async fn list_connections(&self) -> Result<ConnectionListing, StoreError> {
        let rows = self
            .db
            .run(move |conn| {
                let mut stmt = conn
                    .prepare("SELECT id, portal_id, realm_id, body FROM connections ORDER BY id")?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok::<_, StoreError>(rows)
            })
            .await?;
        let mut listing = ConnectionListing::default();
        for (id, portal, realm, body) in rows {
            let Ok(id) = ConnectionId::new(&id) else {
                // put_connection only writes valid ids; a row without one cannot be addressed.
                tracing::error!(id = %id, "connections row with an invalid id; left out");
                continue;
            };
            let decoded = from_json::<ConnectionRecord>(&body).map_err(StoreError::from);
            let before = listing.broken.len();
            listing.push(id, decoded);
            // The columns beside the body still say which accounts a broken record joins.
            if let Some(broken) = listing.broken.get_mut(before) {
                broken.portal_id.get_or_insert(portal);
                broken.realm_id.get_or_insert(realm);
            }
        }
        Ok(listing.sorted())
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
