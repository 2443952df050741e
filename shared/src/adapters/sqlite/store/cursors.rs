//! `Cursors` on SQLite: one row per connection, side and kind, replaced as a whole.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::adapters::sqlite::db::{from_json, to_json};
use crate::model::{ConnectionId, ObjectKind, Side};
use crate::ports::{Cursor, Cursors, StoreError};

#[async_trait]
impl Cursors for SqliteStore {
    async fn get_cursor(
        &self,
        connection: &ConnectionId,
        side: Side,
        kind: ObjectKind,
    ) -> Result<Option<Cursor>, StoreError> {
        let c = connection.to_string();
        self.db
            .run(move |conn| {
                let body: Option<String> = conn
                    .query_row(
                        "SELECT body FROM cursors WHERE connection = ?1 AND side = ?2 AND kind = ?3",
                        params![c, side.as_str(), kind.as_str()],
                        |r| r.get(0),
                    )
                    .optional()?;
                Ok(body.map(|b| from_json(&b)).transpose()?)
            })
            .await
    }

    async fn put_cursor(
        &self,
        connection: &ConnectionId,
        side: Side,
        kind: ObjectKind,
        cursor: &Cursor,
    ) -> Result<(), StoreError> {
        let (c, body) = (connection.to_string(), to_json(cursor)?);
        self.db
            .run(move |conn| {
                conn.execute(
                    "INSERT OR REPLACE INTO cursors (connection, side, kind, body) VALUES (?1, ?2, ?3, ?4)",
                    params![c, side.as_str(), kind.as_str(), body],
                )?;
                Ok(())
            })
            .await
    }
}
