//! The SQLite `LinkStore`: each conditional write is one transaction that checks its condition
//! and writes, so a crash leaves either the old or the new state.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::db::{SqliteDb, SqliteError, from_json, to_json};
use crate::model::{ConnectionId, Link, ObjectKind, Side};
use crate::ports::{
    Claim, ClaimOutcome, ConnectionRecord, Cursor, Lease, LinkStore, RecordRef, StoreError,
    SyncLogEntry, SyncStatus,
};

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

pub struct SqliteLinkStore {
    db: SqliteDb,
    log_capacity: usize,
}

impl SqliteLinkStore {
    pub fn new(db: SqliteDb) -> Self {
        Self::with_log_capacity(db, DEFAULT_LOG_CAPACITY)
    }

    pub fn with_log_capacity(db: SqliteDb, log_capacity: usize) -> Self {
        SqliteLinkStore { db, log_capacity }
    }
}

fn id_column(side: Side) -> &'static str {
    match side {
        Side::Hubspot => "hubspot_id",
        Side::Quickbooks => "qbo_id",
    }
}

fn read_link(
    conn: &Connection,
    connection: &str,
    kind: &str,
    side: Side,
    id: &str,
) -> Result<Option<Link>, StoreError> {
    let sql = format!(
        "SELECT body FROM links WHERE connection = ?1 AND kind = ?2 AND {} = ?3",
        id_column(side)
    );
    let body: Option<String> = conn
        .query_row(&sql, params![connection, kind, id], |r| r.get(0))
        .optional()?;
    Ok(body.map(|b| from_json(&b)).transpose()?)
}

/// Fails unless the stored link joins the same ids at `link.revision`.
fn check_revision(tx: &Transaction<'_>, link: &Link) -> Result<(), StoreError> {
    let found: Option<u64> = tx
        .query_row(
            "SELECT revision FROM links WHERE connection = ?1 AND kind = ?2 AND hubspot_id = ?3 AND qbo_id = ?4",
            params![link.connection.as_str(), link.kind.as_str(), link.hubspot_id, link.qbo_id],
            |r| r.get(0),
        )
        .optional()?;
    if found == Some(link.revision) {
        Ok(())
    } else {
        Err(StoreError::RevisionMismatch {
            expected: link.revision,
            found,
        })
    }
}

/// Fails if either id of `link` is linked, ignoring ids `except` already holds.
fn check_unlinked(
    tx: &Transaction<'_>,
    link: &Link,
    except: Option<&Link>,
) -> Result<(), StoreError> {
    for side in Side::BOTH {
        let id = link.id(side);
        if except.is_some_and(|old| old.id(side) == id) {
            continue;
        }
        if read_link(tx, link.connection.as_str(), link.kind.as_str(), side, id)?.is_some() {
            return Err(StoreError::AlreadyLinked {
                side,
                id: id.to_owned(),
            });
        }
    }
    Ok(())
}

fn insert_link(tx: &Transaction<'_>, link: &Link) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO links (connection, kind, hubspot_id, qbo_id, revision, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            link.connection.as_str(),
            link.kind.as_str(),
            link.hubspot_id,
            link.qbo_id,
            link.revision,
            to_json(link)?
        ],
    )?;
    Ok(())
}

fn remove_link(tx: &Transaction<'_>, link: &Link) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM links WHERE connection = ?1 AND kind = ?2 AND hubspot_id = ?3",
        params![
            link.connection.as_str(),
            link.kind.as_str(),
            link.hubspot_id
        ],
    )?;
    Ok(())
}

fn to_chrono(ttl: Duration) -> chrono::Duration {
    chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX)
}

#[async_trait]
impl LinkStore for SqliteLinkStore {
    async fn get_link(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        id: &str,
    ) -> Result<Option<Link>, StoreError> {
        let (c, id) = (connection.to_string(), id.to_owned());
        self.db
            .run(move |conn| read_link(conn, &c, kind.as_str(), side, &id))
            .await
    }

    async fn get_links(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        side: Side,
        ids: &[String],
    ) -> Result<Vec<Link>, StoreError> {
        let (c, ids) = (connection.to_string(), ids.to_vec());
        self.db
            .run(move |conn| {
                let mut out = Vec::with_capacity(ids.len());
                for id in &ids {
                    out.extend(read_link(conn, &c, kind.as_str(), side, id)?);
                }
                Ok(out)
            })
            .await
    }

    async fn list_links(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<Vec<Link>, StoreError> {
        let c = connection.to_string();
        self.db
            .run(move |conn| {
                let mut stmt = conn.prepare(
                    "SELECT body FROM links WHERE connection = ?1 AND kind = ?2 ORDER BY hubspot_id",
                )?;
                let bodies = stmt
                    .query_map(params![c, kind.as_str()], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()?;
                bodies.iter().map(|b| Ok(from_json(b)?)).collect()
            })
            .await
    }

    async fn create_link(&self, link: &Link) -> Result<Link, StoreError> {
        let stored = Link {
            revision: 1,
            ..link.clone()
        };
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                check_unlinked(&tx, &stored, None)?;
                insert_link(&tx, &stored)?;
                tx.commit()?;
                Ok(stored)
            })
            .await
    }

    async fn update_link(&self, link: &Link) -> Result<Link, StoreError> {
        let link = link.clone();
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                let stored = read_link(&tx, link.connection.as_str(), link.kind.as_str(), Side::Hubspot, &link.hubspot_id)?;
                if stored.is_some_and(|s| s.qbo_id != link.qbo_id) {
                    return Err(StoreError::IdsChanged);
                }
                check_revision(&tx, &link)?;
                let next = Link {
                    revision: link.revision + 1,
                    ..link
                };
                tx.execute(
                    "UPDATE links SET revision = ?4, body = ?5 WHERE connection = ?1 AND kind = ?2 AND hubspot_id = ?3",
                    params![next.connection.as_str(), next.kind.as_str(), next.hubspot_id, next.revision, to_json(&next)?],
                )?;
                tx.commit()?;
                Ok(next)
            })
            .await
    }

    async fn relink(&self, old: &Link, new: &Link) -> Result<Link, StoreError> {
        let old = old.clone();
        let next = Link {
            revision: old.revision + 1,
            ..new.clone()
        };
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                check_revision(&tx, &old)?;
                check_unlinked(&tx, &next, Some(&old))?;
                remove_link(&tx, &old)?;
                insert_link(&tx, &next)?;
                tx.commit()?;
                Ok(next)
            })
            .await
    }

    async fn delete_link(&self, link: &Link) -> Result<(), StoreError> {
        let link = link.clone();
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                check_revision(&tx, &link)?;
                remove_link(&tx, &link)?;
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn claim_key(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<ClaimOutcome, StoreError> {
        let (c, key, owner) = (connection.to_string(), key.to_owned(), owner.clone());
        let expires_at = now + to_chrono(ttl);
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                let body: Option<String> = tx
                    .query_row(
                        "SELECT body FROM claims WHERE connection = ?1 AND kind = ?2 AND key = ?3",
                        params![c, kind.as_str(), key],
                        |r| r.get(0),
                    )
                    .optional()?;
                let existing: Option<Claim> = body.map(|b| from_json(&b)).transpose()?;
                let (outcome, claim) = match existing {
                    Some(claim) if claim.owner == owner => {
                        let claim = Claim { expires_at, ..claim };
                        (ClaimOutcome::AlreadyOwned(claim.clone()), claim)
                    }
                    Some(claim) if claim.expires_at > now => {
                        return Ok(ClaimOutcome::HeldBy(claim));
                    }
                    _ => {
                        let claim = Claim {
                            key: key.clone(),
                            owner,
                            created_id: None,
                            claimed_at: now,
                            expires_at,
                        };
                        (ClaimOutcome::Claimed, claim)
                    }
                };
                tx.execute(
                    "INSERT OR REPLACE INTO claims (connection, kind, key, body) VALUES (?1, ?2, ?3, ?4)",
                    params![c, kind.as_str(), key, to_json(&claim)?],
                )?;
                tx.commit()?;
                Ok(outcome)
            })
            .await
    }

    async fn note_created(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
        created_id: &str,
    ) -> Result<(), StoreError> {
        let (c, key, owner, created_id) = (
            connection.to_string(),
            key.to_owned(),
            owner.clone(),
            created_id.to_owned(),
        );
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                let body: Option<String> = tx
                    .query_row(
                        "SELECT body FROM claims WHERE connection = ?1 AND kind = ?2 AND key = ?3",
                        params![c, kind.as_str(), key],
                        |r| r.get(0),
                    )
                    .optional()?;
                if let Some(mut claim) = body.map(|b| from_json::<Claim>(&b)).transpose()?
                    && claim.owner == owner
                {
                    claim.created_id = Some(created_id);
                    tx.execute(
                        "UPDATE claims SET body = ?4 WHERE connection = ?1 AND kind = ?2 AND key = ?3",
                        params![c, kind.as_str(), key, to_json(&claim)?],
                    )?;
                }
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn release_key(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
        key: &str,
        owner: &RecordRef,
    ) -> Result<(), StoreError> {
        let (c, key, owner) = (connection.to_string(), key.to_owned(), owner.clone());
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                let body: Option<String> = tx
                    .query_row(
                        "SELECT body FROM claims WHERE connection = ?1 AND kind = ?2 AND key = ?3",
                        params![c, kind.as_str(), key],
                        |r| r.get(0),
                    )
                    .optional()?;
                if body
                    .map(|b| from_json::<Claim>(&b))
                    .transpose()?
                    .is_some_and(|claim| claim.owner == owner)
                {
                    tx.execute(
                        "DELETE FROM claims WHERE connection = ?1 AND kind = ?2 AND key = ?3",
                        params![c, kind.as_str(), key],
                    )?;
                }
                tx.commit()?;
                Ok(())
            })
            .await
    }

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

    async fn forget_kind(
        &self,
        connection: &ConnectionId,
        kind: ObjectKind,
    ) -> Result<(), StoreError> {
        let c = connection.to_string();
        self.db
            .run(move |conn| {
                let tx = conn.transaction()?;
                for table in ["links", "claims", "cursors", "statuses"] {
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

impl SqliteLinkStore {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::contract::link_store as contract;

    #[tokio::test]
    async fn passes_the_link_store_contract() {
        contract::all(
            || SqliteLinkStore::with_log_capacity(SqliteDb::open_in_memory().expect("open"), 5),
            5,
        )
        .await;
    }

    #[tokio::test]
    async fn state_survives_reopening_the_file() {
        let dir = std::env::temp_dir().join(format!("hqsync-sqlite-test-{}", uuid::Uuid::new_v4()));
        let path = SqliteDb::default_path(&dir);
        let c = ConnectionId::new("reopen").unwrap();
        let link = contract::sample_link(&c, ObjectKind::Product, "h1", "q1");
        {
            let store = SqliteLinkStore::new(SqliteDb::open(&path).expect("open"));
            store.create_link(&link).await.expect("create");
        }
        let store = SqliteLinkStore::new(SqliteDb::open(&path).expect("reopen"));
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
