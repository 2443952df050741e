//! `PendingCreates` on SQLite: one row per connection, kind and source record, replaced whole.

use async_trait::async_trait;
use rusqlite::params;

use super::SqliteStore;
use crate::adapters::sqlite::db::{from_json, to_json};
use crate::model::{ConnectionId, ObjectKind};
use crate::ports::{PendingCreate, PendingCreates, RecordRef, StoreError};

#[async_trait]
impl PendingCreates for SqliteStore {
    async fn put_pending_create(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        pending: &PendingCreate,
    ) -> Result<(), StoreError> {
        let (c, pending) = (connection.to_string(), pending.clone());
        self.db
            .run(move |conn| {
                conn.execute(
                    "INSERT OR REPLACE INTO pending_creates \
                     (connection, kind, source_side, source_id, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        c,
                        kind.as_str(),
                        pending.source.side.as_str(),
                        pending.source.id,
                        to_json(&pending)?
                    ],
                )?;
                Ok(())
            })
            .await
    }

    async fn pending_creates(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<Vec<PendingCreate>, StoreError> {
        let c = connection.to_string();
        self.db
            .run(move |conn| {
                let mut statement = conn.prepare(
                    "SELECT body FROM pending_creates WHERE connection = ?1 AND kind = ?2 \
                     ORDER BY source_side, source_id",
                )?;
                let bodies = statement
                    .query_map(params![c, kind.as_str()], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(bodies
                    .iter()
                    .map(|b| from_json(b))
                    .collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    async fn clear_pending_create(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        source: &RecordRef,
    ) -> Result<(), StoreError> {
        let (c, source) = (connection.to_string(), source.clone());
        self.db
            .run(move |conn| {
                conn.execute(
                    "DELETE FROM pending_creates \
                     WHERE connection = ?1 AND kind = ?2 AND source_side = ?3 AND source_id = ?4",
                    params![c, kind.as_str(), source.side.as_str(), source.id],
                )?;
                Ok(())
            })
            .await
    }
}
