//! `StatusLog` on SQLite: a status row per record, and the log as a sequence trimmed to the
//! store's capacity per connection in the transaction that appends.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::adapters::sqlite::db::{from_json, to_json};
use crate::model::{ConnectionId, ObjectKind, Side};
use crate::ports::{StatusLog, StoreError, SyncLogEntry, SyncStatus};

#[async_trait]
impl StatusLog for SqliteStore {
    async fn get_status(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        id: &str,
    ) -> Result<Option<SyncStatus>, StoreError> {
        let (c, id) = (connection.to_string(), id.to_owned());
        self.db
            .run(move |conn| {
                let body: Option<String> = conn
                    .query_row(
                        "SELECT body FROM statuses WHERE connection = ?1 AND kind = ?2 AND side = ?3 AND id = ?4",
                        params![c, kind.as_str(), side.as_str(), id],
                        |r| r.get(0),
                    )
                    .optional()?;
                Ok(body.map(|b| from_json(&b)).transpose()?)
            })
            .await
    }

    async fn put_status(
        &self,
        connection: &ConnectionId,
        status: &SyncStatus,
    ) -> Result<(), StoreError> {
        let (c, body) = (connection.to_string(), to_json(status)?);
        let (kind, side, id) = (status.kind, status.side, status.id.clone());
        self.db
            .run(move |conn| {
                conn.execute(
                    "INSERT OR REPLACE INTO statuses (connection, kind, side, id, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![c, kind.as_str(), side.as_str(), id, body],
                )?;
                Ok(())
            })
            .await
    }

    async fn list_statuses(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<Vec<SyncStatus>, StoreError> {
        let c = connection.to_string();
        self.db
            .run(move |conn| {
                let mut stmt = conn.prepare(
                    "SELECT body FROM statuses WHERE connection = ?1 AND kind = ?2 ORDER BY side, id",
                )?;
                let bodies = stmt
                    .query_map(params![c, kind.as_str()], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                bodies.iter().map(|b| Ok(from_json(b)?)).collect()
            })
            .await
    }

    async fn append_log(
        &self,
        connection: &ConnectionId,
        entries: &[SyncLogEntry],
    ) -> Result<(), StoreError> {
        let c = connection.to_string();
        let bodies = entries.iter().map(to_json).collect::<Result<Vec<_>, _>>()?;
        let capacity = i64::try_from(self.log_capacity).unwrap_or(i64::MAX);
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                {
                    let mut insert =
                        tx.prepare("INSERT INTO sync_log (connection, body) VALUES (?1, ?2)")?;
                    for body in &bodies {
                        insert.execute(params![c, body])?;
                    }
                }
                tx.execute(
                    "DELETE FROM sync_log WHERE connection = ?1 AND seq <= (
                        SELECT seq FROM sync_log WHERE connection = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
                    params![c, capacity],
                )?;
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn recent_log(
        &self,
        connection: &ConnectionId,
        limit: usize,
    ) -> Result<Vec<SyncLogEntry>, StoreError> {
        let c = connection.to_string();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db
            .run(move |conn| {
                let mut stmt = conn.prepare(
                    "SELECT body FROM sync_log WHERE connection = ?1 ORDER BY seq DESC LIMIT ?2",
                )?;
                let bodies = stmt
                    .query_map(params![c, limit], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                bodies.iter().map(|b| Ok(from_json(b)?)).collect()
            })
            .await
    }
}
