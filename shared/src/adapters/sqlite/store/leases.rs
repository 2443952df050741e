//! `Leases` on SQLite: a lease row per connection and name, taken in a transaction that checks
//! the current holder and expiry.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, to_chrono};
use crate::adapters::sqlite::db::{from_json, to_json};
use crate::model::ConnectionId;
use crate::ports::{Lease, Leases, StoreError};

#[async_trait]
impl Leases for SqliteStore {
    async fn acquire_lease(
        &self,
        connection: &ConnectionId,
        name: &str,
        holder: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<Lease>, StoreError> {
        let (c, name, holder) = (connection.to_string(), name.to_owned(), holder.to_owned());
        let expires_at = now + to_chrono(ttl);
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                let current: Option<(String, String)> = tx
                    .query_row(
                        "SELECT holder, expires_at FROM leases WHERE connection = ?1 AND name = ?2",
                        params![c, name],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                if let Some((current_holder, current_expiry)) = current {
                    let current_expiry: DateTime<Utc> = from_json(&current_expiry)?;
                    if current_holder != holder && current_expiry > now {
                        return Ok(None);
                    }
                }
                tx.execute(
                    "INSERT OR REPLACE INTO leases (connection, name, holder, expires_at) VALUES (?1, ?2, ?3, ?4)",
                    params![c, name, holder, to_json(&expires_at)?],
                )?;
                tx.commit()?;
                Ok(Some(Lease {
                    name,
                    holder,
                    expires_at,
                }))
            })
            .await
    }

    async fn release_lease(
        &self,
        connection: &ConnectionId,
        name: &str,
        holder: &str,
    ) -> Result<(), StoreError> {
        let (c, name, holder) = (connection.to_string(), name.to_owned(), holder.to_owned());
        self.db
            .run(move |conn| {
                conn.execute(
                    "DELETE FROM leases WHERE connection = ?1 AND name = ?2 AND holder = ?3",
                    params![c, name, holder],
                )?;
                Ok(())
            })
            .await
    }
}
